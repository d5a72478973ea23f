"""Credentials over the API: UID normalising, PINs hashed, states, lost in one action, scope."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessChange, Credential
from stadsvakt.audit.models import AuditEntry
from tests import factories_access as fa
from tests import factories_directory as fd
from tests.access.town import V1, Town, admin_fixture, town_fixture  # noqa: F401


def _rule(response: object) -> tuple[str, str]:
    error = response.json()["errors"][0]  # type: ignore[attr-defined]
    return error["field"], error["rule"]


def test_card_uid_is_normalised_and_unique(
    client: TestClient, session: Session, town: Town
) -> None:
    holder = fd.person(session, town.tenant, unit=town.school)
    body = {
        "person_id": str(holder.id),
        "kind": "card",
        "identifier": "04:a2:2b:1c:5d:6e:80",
        "technology": "MIFARE DESFire EV2",
    }
    created = client.post(V1 + "/credentials", headers=town.owner, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["identifier"] == "04A22B1C5D6E80"
    assert created.json()["state"] == "active"
    again = client.post(
        V1 + "/credentials", headers=town.owner, json={**body, "identifier": "04a22b1c5d6e80"}
    )
    assert again.status_code == 409
    for bad in ("04A22B1", "04A2", "ZZ112233", "04" * 11):
        refused = client.post(
            V1 + "/credentials", headers=town.owner, json={**body, "identifier": bad}
        )
        assert _rule(refused) == ("identifier", "card_uid"), bad
    found = client.get(V1 + "/credentials", headers=town.owner, params={"q": "04:A2:2B"})
    assert [c["id"] for c in found.json()["items"]] == [created.json()["id"]]


def test_a_pin_is_stored_only_as_a_hash(client: TestClient, session: Session, town: Town) -> None:
    holder = fd.person(session, town.tenant, unit=town.school)
    body = {"person_id": str(holder.id), "kind": "pin", "pin": "482915"}
    created = client.post(V1 + "/credentials", headers=town.owner, json=body)
    assert created.status_code == 201, created.text
    assert "482915" not in created.text and "pin" not in created.json()
    assert created.json()["identifier"].startswith("PIN-")
    row = session.get(Credential, uuid.UUID(created.json()["id"]))
    assert row is not None and row.pin_hash is not None and row.pin_hash.startswith("$argon2id$")
    audit = session.scalars(
        select(AuditEntry.after).where(AuditEntry.object_id == str(row.id))
    ).all()
    assert audit and all("482915" not in (a or "") and "pin_hash" not in (a or "") for a in audit)
    assert _rule(
        client.post(V1 + "/credentials", headers=town.owner, json={**body, "pin": "12a4"})
    ) == (
        "pin",
        "pin_digits",
    )
    assert _rule(
        client.post(V1 + "/credentials", headers=town.owner, json={**body, "pin": None})
    ) == ("pin", "required_for_pin")
    card_with_pin = {**body, "kind": "card", "identifier": "04112233"}
    assert _rule(client.post(V1 + "/credentials", headers=town.owner, json=card_with_pin)) == (
        "pin",
        "only_for_pin",
    )


def test_mobile_key_and_several_per_person(
    client: TestClient, session: Session, town: Town
) -> None:
    holder = fd.person(session, town.tenant, unit=town.school)
    fa.card(session, holder)
    fa.pin(session, holder)
    mobile = client.post(
        V1 + "/credentials",
        headers=town.owner,
        json={"person_id": str(holder.id), "kind": "mobile", "identifier": "mk-7f3a9c21"},
    )
    assert mobile.status_code == 201, mobile.text
    held = client.get(V1 + "/credentials", headers=town.owner, params={"person_id": str(holder.id)})
    assert sorted(c["kind"] for c in held.json()["items"]) == ["card", "mobile", "pin"]


def test_lost_blocks_in_one_action(client: TestClient, session: Session, town: Town) -> None:
    holder = fd.person(session, town.tenant, unit=town.school)
    card = fa.card(session, holder)
    audit_before = session.scalar(select(func.count()).select_from(AuditEntry))
    feed_before = session.scalar(select(func.count()).select_from(AccessChange))

    lost = client.post(f"{V1}/credentials/{card.id}/lost", headers=town.owner)
    assert lost.status_code == 200
    assert lost.json()["state"] == "lost"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == (audit_before or 0) + 1
    assert session.scalar(select(func.count()).select_from(AccessChange)) == (feed_before or 0) + 1
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert entry.action == "credential.lost" and entry.object_id == str(card.id)

    again = client.post(f"{V1}/credentials/{card.id}/lost", headers=town.owner)
    assert again.status_code == 200 and again.json()["state"] == "lost"
    back = client.patch(f"{V1}/credentials/{card.id}", headers=town.owner, json={"state": "active"})
    assert _rule(back) == ("state", "state_transition")
    revoked = client.patch(
        f"{V1}/credentials/{card.id}", headers=town.owner, json={"state": "revoked"}
    )
    assert revoked.json()["state"] == "revoked"
    assert _rule(client.post(f"{V1}/credentials/{card.id}/lost", headers=town.owner)) == (
        "state",
        "state_transition",
    )


def test_suspend_resume_and_window(client: TestClient, session: Session, town: Town) -> None:
    card = fa.card(session, fd.person(session, town.tenant, unit=town.school))
    path = f"{V1}/credentials/{card.id}"
    assert (
        client.patch(path, headers=town.owner, json={"state": "suspended"}).json()["state"]
        == "suspended"
    )
    assert (
        client.patch(path, headers=town.owner, json={"state": "active"}).json()["state"] == "active"
    )
    window = {"valid_from": "2026-01-01T00:00:00+01:00", "valid_to": "2025-12-31T00:00:00+01:00"}
    assert _rule(client.patch(path, headers=town.owner, json=window)) == (
        "valid_to",
        "after_valid_from",
    )
    assert _rule(client.patch(path, headers=town.owner, json={"pin": "1234"})) == (
        "pin",
        "only_for_pin",
    )


def test_department_admin_handles_only_their_peoples_credentials(
    client: TestClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    own = fa.card(session, fd.person(session, town.tenant, unit=town.school))
    care_worker = fd.person(session, town.tenant, unit=town.care)
    theirs = fa.card(session, care_worker)
    listed = client.get(V1 + "/credentials").json()["items"]
    assert [c["id"] for c in listed] == [str(own.id)]
    assert client.get(f"{V1}/credentials/{theirs.id}").status_code == 404
    assert client.post(f"{V1}/credentials/{theirs.id}/lost", headers=admin).status_code == 404
    issued = client.post(
        V1 + "/credentials",
        headers=admin,
        json={"person_id": str(care_worker.id), "kind": "card", "identifier": "04AABBCCDD"},
    )
    assert issued.status_code == 404
    assert issued.json()["field"] == "person_id"
    assert client.post(f"{V1}/credentials/{own.id}/lost", headers=admin).json()["state"] == "lost"
