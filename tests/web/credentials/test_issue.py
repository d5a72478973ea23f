"""Issuing a card or tag, a PIN and a mobile key from a person's page; errors in Swedish
next to their fields."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import Credential, CredentialKind, CredentialState
from tests.web.conftest import csrf_of
from tests.web.credentials.conftest import CARD, School, audit_actions


def _form(admin: TestClient, school: School, kind: str) -> tuple[str, str]:
    url = f"/people/{school.teacher.id}/credentials/new?kind={kind}"
    page = admin.get(url)
    assert page.status_code == 200, page.text
    return url, csrf_of(page.text)


def _held(session: Session, school: School, kind: CredentialKind) -> list[Credential]:
    session.expire_all()
    stmt = select(Credential).where(
        Credential.person_id == school.teacher.id, Credential.kind == kind
    )
    return list(session.scalars(stmt))


def test_issue_a_card_with_validity_in_swedish_time(
    admin: TestClient, session: Session, school: School
) -> None:
    url, token = _form(admin, school, "card")
    data = {
        "csrf_token": token,
        "identifier": "04:b7:22:19:aa:01:80",
        "technology": "MIFARE DESFire EV3",
        "valid_from": "2026-12-06 14:30",
        "valid_to": "2027-06-30 18:00",
    }
    done = admin.post(url, data=data, follow_redirects=False)
    assert done.status_code == 303
    card = next(c for c in _held(session, school, CredentialKind.CARD) if c.identifier != CARD)
    assert card.identifier == "04B72219AA0180" and card.state is CredentialState.ACTIVE
    assert card.technology == "MIFARE DESFire EV3"
    assert card.valid_from is not None and card.valid_from.hour == 13  # 14:30 CET is 13:30 UTC
    assert audit_actions(session, card.id) == ["credential.create"]
    notice = admin.get(done.headers["location"])
    assert "Kortet 04B72219AA0180 har lämnats ut till Anna Andersson." in notice.text


def test_duplicate_or_malformed_card_number_is_shown_in_swedish(
    admin: TestClient, session: Session, school: School
) -> None:
    url, token = _form(admin, school, "card")
    taken = admin.post(url, data={"csrf_token": token, "identifier": CARD.lower()})
    assert taken.status_code == 422
    assert 'id="f-identifier-error"' in taken.text and "Kortnumret används redan." in taken.text
    assert "already issued" not in taken.text
    bad = admin.post(url, data={"csrf_token": token, "identifier": "XYZ"})
    assert bad.status_code == 422 and "Ange kortnumret (UID) som 8–20 hexadecimala" in bad.text
    empty = admin.post(url, data={"csrf_token": token, "identifier": ""})
    assert empty.status_code == 422 and "Ange kortnumret." in empty.text
    window = admin.post(
        url,
        data={
            "csrf_token": token,
            "identifier": "04112233",
            "valid_from": "2026-12-06 14:30",
            "valid_to": "2026-12-06 14:00",
        },
    )
    assert window.status_code == 422
    assert "Giltig till måste komma efter giltig från." in window.text
    shape = admin.post(
        url, data={"csrf_token": token, "identifier": "04112233", "valid_from": "6/12 2026"}
    )
    assert shape.status_code == 422 and "ÅÅÅÅ-MM-DD TT:MM" in shape.text
    assert 'value="04112233"' in shape.text  # the values are kept
    assert len(_held(session, school, CredentialKind.CARD)) == 1


def test_issue_a_generated_pin_shown_once_and_stored_hashed(
    admin: TestClient, session: Session, school: School
) -> None:
    url, token = _form(admin, school, "pin")
    shown = admin.post(url, data={"csrf_token": token, "pin_mode": "generate"})
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    match = re.search(r'<strong class="secret"><code>([0-9]{6})</code>', shown.text)
    assert match, shown.text
    (pin,) = _held(session, school, CredentialKind.PIN)
    assert pin.pin_hash and match.group(1) not in pin.pin_hash
    assert school.services.passwords.verify(pin.pin_hash, match.group(1))
    page = admin.get(f"/people/{school.teacher.id}")
    assert match.group(1) not in page.text and pin.identifier in page.text


def test_issue_an_entered_pin_twice(admin: TestClient, session: Session, school: School) -> None:
    url, token = _form(admin, school, "pin")
    data = {"csrf_token": token, "pin_mode": "enter", "pin": "2468", "pin_again": "2469"}
    differ = admin.post(url, data=data)
    assert differ.status_code == 422 and "De två PIN-koderna är inte lika." in differ.text
    assert "2468" not in differ.text  # a PIN is never sent back
    short = admin.post(url, data={**data, "pin": "12", "pin_again": "12"})
    assert short.status_code == 422 and "En PIN-kod är 4 till 8 siffror." in short.text
    done = admin.post(url, data={**data, "pin_again": "2468"}, follow_redirects=False)
    assert done.status_code == 303
    (pin,) = _held(session, school, CredentialKind.PIN)
    assert pin.pin_hash and school.services.passwords.verify(pin.pin_hash, "2468")


def test_issue_a_mobile_key(admin: TestClient, session: Session, school: School) -> None:
    url, token = _form(admin, school, "mobile")
    bad = admin.post(url, data={"csrf_token": token, "identifier": "a b"})
    assert bad.status_code == 422 and "Ange mobilnyckelns id" in bad.text
    done = admin.post(
        url, data={"csrf_token": token, "identifier": "mk_Zq81-xY"}, follow_redirects=False
    )
    assert done.status_code == 303
    (key,) = _held(session, school, CredentialKind.MOBILE)
    assert key.identifier == "mk_Zq81-xY" and audit_actions(session, key.id) == [
        "credential.create"
    ]
    again = admin.post(url, data={"csrf_token": token, "identifier": "mk_Zq81-xY"})
    assert again.status_code == 422 and "Mobilnyckelns id används redan." in again.text


def test_unknown_kind_is_refused(admin: TestClient, school: School) -> None:
    page = admin.get(f"/people/{school.teacher.id}/credentials/new?kind=badge")
    assert page.status_code == 422
