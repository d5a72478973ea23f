"""Edits made from a page opened before someone else's change are refused, not saved over it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.access.schemas.credentials import CredentialUpdate
from stadsvakt.access.services import credentials
from stadsvakt.context import acting_as
from stadsvakt.directory import service as directory
from stadsvakt.directory.schemas import PersonUpdate
from tests import factories as f
from tests.web.conftest import csrf_of
from tests.web.credentials.conftest import School, audit_actions

STALE = "Uppgifterna har ändrats av någon annan sedan du öppnade sidan. Ladda om och försök igen."
_FIELD = re.compile(r'name="([a-z_]+)"[^>]*value="([^"]*)"')


def _fields(html: str) -> dict[str, str]:
    form = html.split("<main", 1)[1].split('<form method="post"', 1)[1]
    return dict(_FIELD.findall(form.split("</form>")[0]))


def test_a_stale_credential_edit_is_refused(
    admin: TestClient, session: Session, school: School
) -> None:
    url = f"/access/credentials/{school.card.id}/edit"
    page = admin.get(url)
    assert page.status_code == 200
    fields = _fields(page.text)
    assert fields["version"] and fields["technology"] == "MIFARE DESFire EV2"
    actor = f.system(school.tenant.id)
    with acting_as(actor):
        credentials.update_credential(
            session,
            actor,
            school.card.id,
            CredentialUpdate(technology="HID iCLASS SE"),
            school.services.passwords,
        )
    session.flush()
    refused = admin.post(url, data={**fields, "technology": "MIFARE DESFire EV3"})
    assert refused.status_code == 409 and STALE in refused.text
    session.expire_all()
    assert school.card.technology == "HID iCLASS SE"
    fresh = _fields(admin.get(url).text)
    saved = admin.post(
        url,
        data={**fresh, "technology": "MIFARE DESFire EV3", "valid_to": "2027-06-30 18:00"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    session.expire_all()
    assert school.card.technology == "MIFARE DESFire EV3"
    assert school.card.valid_to is not None and school.card.valid_to.hour == 16  # CEST
    assert audit_actions(session, school.card.id)[-1] == "credential.update"
    notice = admin.get(saved.headers["location"]).text
    assert "Kortet 04A1B2C3: ändringarna är sparade." in notice


def test_a_bad_validity_is_named(admin: TestClient, school: School) -> None:
    url = f"/access/credentials/{school.card.id}/edit"
    fields = _fields(admin.get(url).text)
    bad = admin.post(url, data={**fields, "valid_from": "i morgon"})
    assert bad.status_code == 422 and 'id="f-valid_from-error"' in bad.text


def test_a_stale_person_edit_is_refused(
    admin: TestClient, session: Session, school: School
) -> None:
    url = f"/people/{school.teacher.id}"
    page = admin.get(url)
    token = csrf_of(page.text.split("<main", 1)[1])
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    data = {
        "csrf_token": token,
        "version": version[1],
        "given_name": "Anna",
        "family_name": "Andersson-Berg",
        "employee_number": school.teacher.employee_number or "",
        "kind": "employee",
        "org_unit_id": str(school.school.id),
    }
    actor = f.system(school.tenant.id)
    with acting_as(actor):
        directory.update_person(session, actor, school.teacher.id, PersonUpdate(email="a@x.se"))
    session.flush()
    refused = admin.post(url, data=data)
    assert refused.status_code == 409 and STALE in refused.text
    session.expire_all()
    assert school.teacher.family_name == "Andersson"
    fresh = re.search(r'name="version" value="(\d+)"', admin.get(url).text)
    assert fresh and fresh[1] != version[1]
    saved = admin.post(url, data={**data, "version": fresh[1]}, follow_redirects=False)
    assert saved.status_code == 303
    session.expire_all()
    assert school.teacher.family_name == "Andersson-Berg"
