"""Grants by kind over the API and in the service: each kind's holder, its own fields, the
host and reason every new grant needs, the longest window, early end and its undo, and a
change from a stale copy refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import Grant, GrantKind
from stadsvakt.access.schemas.profiles import GrantUpdate
from stadsvakt.access.services import grants
from stadsvakt.access.services.grant_rules import MAX_WINDOW
from stadsvakt.audit.models import AuditEntry
from stadsvakt.context import system_actor
from stadsvakt.directory.models import PersonKind
from stadsvakt.errors import Conflict, InvalidInput
from tests import factories_access as fa
from tests import factories_directory as fd
from tests.access.town import V1, Town, admin_fixture, town_fixture  # noqa: F401

START = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def _body(
    kind: str, holder: object, host: object, profile: object, **extra: object
) -> dict[str, object]:
    return {
        "kind": kind,
        "person_id": str(holder),
        "profile_id": str(profile),
        "host_person_id": str(host),
        "reason": "Föreläsning i aulan",
        "valid_from": START.isoformat(),
        "valid_to": (START + timedelta(hours=3)).isoformat(),
        **extra,
    }


def _problems(response: Response) -> set[tuple[str, str]]:
    body = response.json()
    return {(e["field"], e["rule"]) for e in body["errors"]}


def test_each_kind_has_its_holder_and_fields(
    client: TestClient, session: Session, town: Town
) -> None:
    profile = fa.profile(session, town.tenant, [town.school_zone])
    host = fd.person(session, town.tenant, unit=town.school)
    guest = fd.person(session, town.tenant, unit=town.school, kind=PersonKind.GUEST)
    fixer = fd.person(session, town.tenant, unit=town.school, kind=PersonKind.CONTRACTOR)

    def post(body: dict[str, object]) -> Response:
        return client.post(V1 + "/grants", headers=town.owner, json=body)

    made = post(_body("guest", guest.id, host.id, profile.id, contact_phone="+46 70 123 45 67"))
    assert made.status_code == 201, made.text
    assert made.json()["host_person_id"] == str(host.id)
    assert made.json()["reason"] == "Föreläsning i aulan"
    assert made.json()["created_by"]

    # A contractor needs the company; a guest grant is not for a contractor nor an employee.
    no_company = post(_body("contractor", fixer.id, host.id, profile.id))
    assert no_company.status_code == 422 and ("company", "required") in _problems(no_company)
    assert post(_body("contractor", fixer.id, host.id, profile.id, company="Hiss AB")).is_success
    wrong = post(_body("guest", fixer.id, host.id, profile.id, company="Hiss AB"))
    assert _problems(wrong) == {("person_id", "person_kind"), ("company", "not_for_kind")}

    # An extra right only for an employee; it may run until further notice.
    assert _problems(post(_body("extra", guest.id, host.id, profile.id))) == {
        ("person_id", "person_kind")
    }
    open_ended = post(_body("extra", host.id, host.id, profile.id, valid_to=None))
    assert open_ended.status_code == 201, open_ended.text

    # A booking names its party, and may go to a group (a club's members).
    club = fd.group(session, town.tenant, unit=town.school, members=[guest])
    booking = {
        **_body("booking", guest.id, host.id, profile.id, booking_party="IK Sundby"),
        "person_id": None,
        "group_id": str(club.id),
    }
    assert post(booking).status_code == 201
    assert ("booking_party", "required") in _problems(
        post(_body("booking", guest.id, host.id, profile.id))
    )


def test_host_and_reason_are_required_and_the_host_is_an_employee(
    client: TestClient, session: Session, town: Town
) -> None:
    profile = fa.profile(session, town.tenant, [town.school_zone])
    guest = fd.person(session, town.tenant, unit=town.school, kind=PersonKind.GUEST)
    body = _body("guest", guest.id, guest.id, profile.id)
    missing = {k: v for k, v in body.items() if k not in {"host_person_id", "reason"}}
    refused = client.post(V1 + "/grants", headers=town.owner, json=missing)
    assert refused.status_code == 422
    assert {"host_person_id", "reason"} <= {f for f, _ in _problems(refused)}
    blank = client.post(V1 + "/grants", headers=town.owner, json={**body, "reason": "  "})
    assert blank.status_code == 422 and "reason" in {f for f, _ in _problems(blank)}
    guest_host = client.post(V1 + "/grants", headers=town.owner, json=body)
    assert _problems(guest_host) == {("host_person_id", "host_employee")}


@pytest.mark.parametrize("kind", [GrantKind.GUEST, GrantKind.CONTRACTOR, GrantKind.BOOKING])
def test_kinds_that_must_end_have_a_longest_window(
    client: TestClient, session: Session, town: Town, kind: GrantKind
) -> None:
    profile = fa.profile(session, town.tenant, [town.school_zone])
    host = fd.person(session, town.tenant, unit=town.school)
    holder_kind = PersonKind.CONTRACTOR if kind is GrantKind.CONTRACTOR else PersonKind.GUEST
    holder = fd.person(session, town.tenant, unit=town.school, kind=holder_kind)
    own = {"company": "Hiss AB"} if kind is GrantKind.CONTRACTOR else {}
    own = {"booking_party": "IK Sundby"} if kind is GrantKind.BOOKING else own
    body = _body(kind.value, holder.id, host.id, profile.id, **own)
    longest = MAX_WINDOW[kind]

    def ending(after: timedelta | None) -> Response:
        to = None if after is None else (START + after).isoformat()
        return client.post(V1 + "/grants", headers=town.owner, json={**body, "valid_to": to})

    assert _problems(ending(None)) == {("valid_to", "required")}
    assert _problems(ending(longest + timedelta(minutes=1))) == {("valid_to", "max_window")}
    assert ending(longest).status_code == 201
    assert MAX_WINDOW[GrantKind.GUEST] == timedelta(days=365)


def test_older_kinds_are_not_given_and_a_kind_is_fixed(
    client: TestClient, session: Session, town: Town
) -> None:
    profile = fa.profile(session, town.tenant, [town.school_zone])
    host = fd.person(session, town.tenant, unit=town.school)
    urgent = client.post(
        V1 + "/grants", headers=town.owner, json=_body("urgent", host.id, host.id, profile.id)
    )
    assert _problems(urgent) == {("kind", "legacy_kind")}
    made = fa.grant(session, host, profile)
    changed = client.patch(f"{V1}/grants/{made.id}", headers=town.owner, json={"kind": "guest"})
    assert _problems(changed) == {("kind", "fixed")}
    emptied = client.patch(f"{V1}/grants/{made.id}", headers=town.owner, json={"reason": None})
    assert emptied.status_code == 422


def test_department_admin_cannot_name_another_departments_host(
    client: TestClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    profile = fa.profile(session, town.tenant, [town.school_zone], unit=town.school)
    guest = fd.person(session, town.tenant, unit=town.school, kind=PersonKind.GUEST)
    own_host = fd.person(session, town.tenant, unit=town.school)
    care_host = fd.person(session, town.tenant, unit=town.care)
    theirs = client.post(
        V1 + "/grants", headers=admin, json=_body("guest", guest.id, care_host.id, profile.id)
    )
    assert theirs.status_code == 404 and theirs.json()["field"] == "host_person_id"
    mine = client.post(
        V1 + "/grants", headers=admin, json=_body("guest", guest.id, own_host.id, profile.id)
    )
    assert mine.status_code == 201, mine.text
    assert mine.json()["org_unit_id"] == str(town.school.id)


def test_end_early_and_undo_over_the_api_are_audited(
    client: TestClient, session: Session, town: Town
) -> None:
    profile = fa.profile(session, town.tenant, [town.school_zone])
    employee = fd.person(session, town.tenant, unit=town.school)
    made = fa.grant(session, employee, profile, hours=5)
    planned_end = made.valid_to
    ended = client.post(f"{V1}/grants/{made.id}/end", headers=town.owner)
    assert ended.status_code == 200, ended.text
    assert ended.json()["ended_early_at"] is not None
    assert datetime.fromisoformat(ended.json()["valid_to"]) < planned_end  # type: ignore[operator]
    again = client.post(f"{V1}/grants/{made.id}/end", headers=town.owner)
    assert _problems(again) == {("valid_to", "already_ended")}
    undone = client.post(f"{V1}/grants/{made.id}/undo-end", headers=town.owner)
    assert undone.status_code == 200
    assert datetime.fromisoformat(undone.json()["valid_to"]) == planned_end
    assert undone.json()["ended_early_at"] is None
    twice = client.post(f"{V1}/grants/{made.id}/undo-end", headers=town.owner)
    assert _problems(twice) == {("valid_to", "not_ended_early")}
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == str(made.id))
    ).all()
    assert actions == ["grant.create", "grant.end", "grant.undo"]


def test_a_stale_copy_is_refused(session: Session, town: Town) -> None:
    profile = fa.profile(session, town.tenant, [town.school_zone])
    employee = fd.person(session, town.tenant, unit=town.school)
    made = fa.grant(session, employee, profile, hours=5)
    seen = made.updated_at
    actor = system_actor("test", town.tenant.id)
    later = GrantUpdate(valid_to=made.valid_from + timedelta(hours=1))
    grants.update_grant(session, actor, made.id, later, expected_updated_at=seen)
    with pytest.raises(Conflict) as stale:
        grants.update_grant(
            session, actor, made.id, GrantUpdate(reason="Annat"), expected_updated_at=seen
        )
    assert stale.value.extra["rule"] == "stale"
    with pytest.raises(Conflict):
        grants.delete_grant(session, actor, made.id, expected_updated_at=seen)
    assert session.get(Grant, made.id) is not None


def test_a_new_visitor_lives_in_the_hosts_unit_without_employee_number(
    session: Session, town: Town
) -> None:
    host = fd.person(session, town.tenant, unit=town.school)
    actor = system_actor("test", town.tenant.id)
    guest = grants.new_visitor(
        session,
        actor,
        kind=PersonKind.GUEST,
        given_name="Greta",
        family_name="Gäst",
        email=None,
        host_person_id=host.id,
    )
    assert (guest.kind, guest.org_unit_id, guest.employee_number) == (
        PersonKind.GUEST,
        town.school.id,
        None,
    )
    with pytest.raises(InvalidInput):
        grants.new_visitor(
            session,
            actor,
            kind=PersonKind.EMPLOYEE,
            given_name="Ny",
            family_name="Anställd",
            email=None,
            host_person_id=host.id,
        )
