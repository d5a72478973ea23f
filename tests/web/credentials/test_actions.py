"""Safe actions on a credential: a confirmation page saying what happens and to whom, a
POST with CSRF and the row's version, a notice with Undo where the lifecycle allows, and
an audit row for each change."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.access.models import CredentialState
from stadsvakt.access.services import credentials
from stadsvakt.context import acting_as
from stadsvakt.directory.models import Person
from tests import factories as f
from tests import factories_access as fa
from tests.web.conftest import csrf_of
from tests.web.credentials.conftest import School, audit_actions

_VERSION = re.compile(r'name="version" value="([^"]+)"')


def _confirm(admin: TestClient, school: School, action: str) -> tuple[str, dict[str, str]]:
    """The confirmation page's text and the fields its Yes button posts."""
    page = admin.get(f"/access/credentials/{school.card.id}/{action}")
    assert page.status_code == 200, page.text
    match = _VERSION.search(page.text)
    assert match
    return page.text, {"csrf_token": csrf_of(page.text.split("<main", 1)[1]), "version": match[1]}


def _state(session: Session, school: School) -> CredentialState:
    session.expire_all()
    return school.card.state


def test_suspend_is_confirmed_and_undone(
    admin: TestClient, session: Session, school: School
) -> None:
    text, fields = _confirm(admin, school, "suspend")
    assert (
        "Kortet 04A1B2C3 som tillhör Anna Andersson spärras direkt och öppnar inga dörrar." in text
    )
    assert "Åtgärden kan ångras med Återaktivera." in text
    assert _state(session, school) is CredentialState.ACTIVE  # the page changed nothing
    done = admin.post(
        f"/access/credentials/{school.card.id}/suspend", data=fields, follow_redirects=False
    )
    assert done.status_code == 303
    assert _state(session, school) is CredentialState.SUSPENDED
    notice = admin.get(done.headers["location"])
    assert "har spärrats tillfälligt och öppnar inga dörrar" in notice.text
    undo_form = notice.text.split(f'action="/access/credentials/{school.card.id}/reactivate"')[1]
    assert 'name="undo" value="1"' in undo_form.split("</form>")[0]
    version = _VERSION.search(undo_form)
    assert version
    undo = admin.post(
        f"/access/credentials/{school.card.id}/reactivate",
        data={"csrf_token": fields["csrf_token"], "version": version[1], "undo": "1"},
        follow_redirects=False,
    )
    assert undo.status_code == 303 and "undone=1" in undo.headers["location"]
    assert _state(session, school) is CredentialState.ACTIVE
    assert "Åtgärden har ångrats." in admin.get(undo.headers["location"]).text
    assert audit_actions(session, school.card.id)[-2:] == [
        "credential.suspend",
        "credential.reactivate",
    ]


def test_report_lost_has_no_undo_and_offers_a_replacement(
    admin: TestClient, session: Session, school: School
) -> None:
    text, fields = _confirm(admin, school, "lost")
    assert "som tillhör Anna Andersson spärras direkt efter förlustanmälan" in text
    assert "Åtgärden kan inte ångras: ett förlorat kort kan ha kopierats." in text
    done = admin.post(
        f"/access/credentials/{school.card.id}/lost", data=fields, follow_redirects=False
    )
    assert _state(session, school) is CredentialState.LOST
    notice = admin.get(done.headers["location"]).text
    assert "Åtgärden kan inte ångras." in notice and "Ångra</button>" not in notice
    replace = f"/people/{school.teacher.id}/credentials/new?kind=card&amp;replaces={school.card.id}"
    assert replace in notice and "Lämna ut ett ersättningskort" in notice
    form = admin.get(replace.replace("&amp;", "&"))
    assert 'value="MIFARE DESFire EV2"' in form.text  # the lost card's technology, suggested
    # A lost card is never brought back: neither offered nor accepted.
    assert f"/access/credentials/{school.card.id}/reactivate" not in notice
    refused = admin.post(
        f"/access/credentials/{school.card.id}/reactivate",
        data={"csrf_token": fields["csrf_token"]},
    )
    assert refused.status_code == 409
    assert "Passerbärarens status tillåter inte detta." in refused.text
    assert _state(session, school) is CredentialState.LOST
    assert audit_actions(session, school.card.id)[-1] == "credential.lost"


def test_revoke_is_final(admin: TestClient, session: Session, school: School) -> None:
    text, fields = _confirm(admin, school, "revoke")
    assert "återkallas direkt och öppnar inga dörrar" in text
    assert "en återkallad passerbärare kan aldrig användas igen" in text
    done = admin.post(
        f"/access/credentials/{school.card.id}/revoke", data=fields, follow_redirects=False
    )
    assert _state(session, school) is CredentialState.REVOKED
    notice = admin.get(done.headers["location"]).text
    assert "har återkallats" in notice and "Ångra</button>" not in notice
    again = admin.get(f"/access/credentials/{school.card.id}/suspend")
    assert again.status_code == 409 and "Det går inte" in again.text
    assert audit_actions(session, school.card.id)[-1] == "credential.revoke"


def test_an_action_on_a_stale_page_is_refused(
    admin: TestClient, session: Session, school: School
) -> None:
    _, fields = _confirm(admin, school, "suspend")
    # Someone else suspends and reactivates the card meanwhile: the row's version moves on.
    _someone_else_moves(session, school)
    refused = admin.post(f"/access/credentials/{school.card.id}/suspend", data=fields)
    assert refused.status_code == 409
    assert "Uppgifterna har ändrats av någon annan sedan du öppnade sidan." in refused.text
    assert _state(session, school) is CredentialState.ACTIVE


def _someone_else_moves(session: Session, school: School) -> None:
    """Another administrator's suspend and reactivate, through the service."""
    actor = f.system(school.tenant.id)
    with acting_as(actor):
        credentials.change_state(session, actor, school.card.id, CredentialState.SUSPENDED)
        credentials.change_state(session, actor, school.card.id, CredentialState.ACTIVE)
    session.flush()


def test_deactivation_says_what_ends_and_reactivation_keeps_it_ended(
    admin: TestClient, session: Session, school: School
) -> None:
    fa.pin(session, school.teacher)
    page = admin.get(f"/people/{school.teacher.id}/deactivate")
    assert "Vill du verkligen inaktivera Anna Andersson?" in page.text
    assert "1 placering avslutas i dag." in page.text
    assert "2 kort, PIN-koder och mobilnycklar återkallas" in page.text
    token = csrf_of(page.text.split("<main", 1)[1])
    done = admin.post(
        f"/people/{school.teacher.id}/deactivate",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _state(session, school) is CredentialState.REVOKED
    person = admin.get(done.headers["location"]).text
    assert f"/people/{school.teacher.id}/reactivate" in person
    assert "credentials/new" not in person  # nothing is issued to an inactive person
    confirm = admin.get(f"/people/{school.teacher.id}/reactivate")
    assert "förblir avslutade" in confirm.text
    back = admin.post(
        f"/people/{school.teacher.id}/reactivate",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert back.status_code == 303
    session.expire_all()
    assert session.get(Person, school.teacher.id).active  # type: ignore[union-attr]
    assert _state(session, school) is CredentialState.REVOKED
    assert audit_actions(session, school.teacher.id)[-2:] == ["person.deactivate", "person.update"]


def test_a_nurse_in_care_is_out_of_reach_for_the_schools(
    admin: TestClient, session: Session, school: School
) -> None:
    assert admin.get(f"/people/{school.nurse.id}/deactivate").status_code == 404
    token = csrf_of(admin.get(f"/people/{school.teacher.id}").text)
    refused = admin.post(f"/people/{school.nurse.id}/reactivate", data={"csrf_token": token})
    assert refused.status_code == 404
