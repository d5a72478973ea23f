"""Handling an activation: claim, release, hold, hand over, escalate, note, close.

Each action is refused on a stale version, appends a timeline line, bumps the version,
numbers a change on the queue feed and writes an audit row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.audit.models import AuditEntry
from stadsvakt.centre import feed, guards, handling
from stadsvakt.centre.handling import HeldByOther, NotClosable, StaleVersion, WrongState
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationState, Cause
from stadsvakt.db import utcnow
from stadsvakt.errors import InvalidInput, NotFound
from tests import factories as f
from tests.centre.handling.conftest import Centre, activation


def _kinds(session: Session, row: Activation) -> list[str]:
    return [entry.kind for entry in handling.timeline(session, row)]


def _state(row: Activation) -> ActivationState:
    """The state as it is now (a plain read, so the type checker does not narrow it)."""
    return row.state


def _audited(session: Session, row: Activation) -> list[str]:
    return list(
        session.execute(
            select(AuditEntry.action)
            .where(AuditEntry.object_id == str(row.id))
            .order_by(AuditEntry.seq)
        ).scalars()
    )


def test_claim_takes_it_acknowledges_it_and_tells_everyone(
    session: Session, centre: Centre
) -> None:
    row = activation(session, centre.tenant, centre.site)
    before = feed.head(session)

    handling.claim(session, centre.anna.actor, row.id, version=1)

    assert row.state is ActivationState.CLAIMED
    assert row.claimed_by == centre.anna.actor.id
    assert row.claimed_by_name == centre.anna.actor.name
    assert row.acknowledged_at is not None
    assert row.version == 2
    assert _kinds(session, row) == ["event", "claimed"]
    changes = feed.changes_since(session, before)
    assert [(c.activation_id, c.kind, c.version) for c in changes] == [
        (str(row.id), feed.CLAIMED, 2)
    ]
    assert _audited(session, row) == ["activation.claim"]


def test_a_second_claim_is_told_who_holds_it(session: Session, centre: Centre) -> None:
    row = activation(session, centre.tenant, centre.site)
    handling.claim(session, centre.anna.actor, row.id, version=1)

    with pytest.raises(HeldByOther) as refused:
        handling.claim(session, centre.bertil.actor, row.id, version=1)

    assert refused.value.status == 409
    assert refused.value.extra["held_by"] == centre.anna.actor.name
    assert row.claimed_by == centre.anna.actor.id


def test_claiming_your_own_again_changes_nothing(session: Session, centre: Centre) -> None:
    row = activation(session, centre.tenant, centre.site)
    handling.claim(session, centre.anna.actor, row.id, version=1)
    handling.claim(session, centre.anna.actor, row.id, version=1)
    assert row.version == 2


def test_a_stale_version_is_refused_and_changes_nothing(session: Session, centre: Centre) -> None:
    row = activation(session, centre.tenant, centre.site)
    handling.claim(session, centre.anna.actor, row.id, version=1)
    handling.add_note(session, centre.anna.actor, row.id, version=2, text="Ringt väktare")

    attempts: list[Callable[[], object]] = [
        lambda: handling.add_note(session, centre.anna.actor, row.id, version=2, text="igen"),
        lambda: handling.close(session, centre.anna.actor, row.id, version=2, cause=Cause.REAL),
        lambda: handling.release(session, centre.anna.actor, row.id, version=1),
        lambda: handling.escalate(session, centre.anna.actor, row.id, version=2, note="hjälp"),
    ]
    for act in attempts:
        with pytest.raises(StaleVersion) as refused:
            act()
        assert refused.value.status == 409
        assert refused.value.extra["version"] == 3
        assert refused.value.extra["field"] == "version"
    assert row.state is ActivationState.CLAIMED
    assert row.version == 3


def test_a_stale_claim_is_refused(session: Session, centre: Centre) -> None:
    row = activation(session, centre.tenant, centre.site)
    handling.escalate(session, centre.bertil.actor, row.id, version=1, note="Oklart")
    with pytest.raises(StaleVersion):
        handling.claim(session, centre.anna.actor, row.id, version=1)
    handling.claim(session, centre.anna.actor, row.id, version=2)
    assert row.claimed_by == centre.anna.actor.id


def test_release_returns_it_open_and_only_the_holder_or_a_leader_may(
    session: Session, centre: Centre
) -> None:
    row = activation(session, centre.tenant, centre.site)
    handling.claim(session, centre.anna.actor, row.id, version=1)

    with pytest.raises(HeldByOther):
        handling.release(session, centre.bertil.actor, row.id, version=2)
    handling.release(session, centre.leader.actor, row.id, version=2)

    assert row.state is ActivationState.OPEN
    assert row.claimed_by is None
    assert row.acknowledged_at is not None  # the first claim still counts
    assert _kinds(session, row)[-1] == "released"


def test_hold_parks_it_and_wake_held_returns_it_when_its_time_comes(
    session: Session, centre: Centre
) -> None:
    row = activation(session, centre.tenant, centre.site)
    now = utcnow()
    handling.claim(session, centre.anna.actor, row.id, version=1, now=now)
    handling.hold(
        session,
        centre.anna.actor,
        row.id,
        version=2,
        reason="Väntar på att kunden ringer tillbaka",
        until=now + timedelta(minutes=10),
        now=now + timedelta(seconds=1),
    )
    assert row.state is ActivationState.ON_HOLD
    assert row.claimed_by is None
    assert row.hold_reason == "Väntar på att kunden ringer tillbaka"

    assert handling.wake_held(session, now + timedelta(minutes=9)) == []
    assert row.state is ActivationState.ON_HOLD

    before = feed.head(session)
    assert handling.wake_held(session, now + timedelta(minutes=10)) == [row]
    assert _state(row) is ActivationState.OPEN
    assert row.held_until is None
    assert row.version == 4
    assert _kinds(session, row)[-2:] == ["held", "returned"]
    assert [c.kind for c in feed.changes_since(session, before)] == [feed.UPDATED]


def test_hold_needs_a_reason_and_a_time_ahead(session: Session, centre: Centre) -> None:
    row = activation(session, centre.tenant, centre.site)
    now = utcnow()
    handling.claim(session, centre.anna.actor, row.id, version=1)
    cases = [
        ("", now + timedelta(minutes=5), "reason", "required"),
        ("Väntar", now - timedelta(minutes=1), "until", "future"),
        ("Väntar", now + timedelta(days=8), "until", "max_hold"),
    ]
    for reason, until, field, rule in cases:
        with pytest.raises(InvalidInput) as refused:
            handling.hold(
                session, centre.anna.actor, row.id, version=2, reason=reason, until=until, now=now
            )
        assert refused.value.extra["errors"][0] | {"message": ""} == {
            "field": field,
            "rule": rule,
            "message": "",
        }


def test_a_parked_activation_can_be_claimed_before_its_time(
    session: Session, centre: Centre
) -> None:
    row = activation(session, centre.tenant, centre.site)
    handling.claim(session, centre.anna.actor, row.id, version=1)
    handling.hold(
        session,
        centre.anna.actor,
        row.id,
        version=2,
        reason="Väntar",
        until=utcnow() + timedelta(hours=1),
    )
    handling.claim(session, centre.bertil.actor, row.id, version=3)
    assert row.state is ActivationState.CLAIMED
    assert row.held_until is None
    assert row.claimed_by == centre.bertil.actor.id


def test_hand_over_to_another_operator_of_the_centre(session: Session, centre: Centre) -> None:
    row = activation(session, centre.tenant, centre.site)
    handling.claim(session, centre.anna.actor, row.id, version=1)

    handling.hand_over(
        session, centre.anna.actor, row.id, version=2, to=centre.bertil.user.id, note="Rast"
    )

    assert row.claimed_by == centre.bertil.actor.id
    assert row.claimed_by_name == centre.bertil.actor.name
    entry = handling.timeline(session, row)[-1]
    assert (entry.kind, entry.text, entry.data["to"]) == (
        "handed_over",
        "Rast",
        centre.bertil.actor.name,
    )
    assert _audited(session, row) == ["activation.claim", "activation.handover"]


def test_hand_over_only_to_staff_of_the_same_centre(
    session: Session, centre: Centre, services: object
) -> None:
    row = activation(session, centre.tenant, centre.site)
    handling.claim(session, centre.anna.actor, row.id, version=1)
    elsewhere = f.municipality(session)
    stranger = f.user(session, elsewhere, services.passwords, role="operator")  # type: ignore[attr-defined]
    auditor = f.user(session, centre.tenant, services.passwords, role="auditor")  # type: ignore[attr-defined]

    for target in (stranger.id, auditor.id, centre.anna.user.id):
        with pytest.raises(InvalidInput) as refused:
            handling.hand_over(session, centre.anna.actor, row.id, version=2, to=target)
        assert refused.value.extra["errors"][0]["field"] == "to"
    with pytest.raises(HeldByOther):
        handling.hand_over(
            session, centre.bertil.actor, row.id, version=2, to=centre.leader.user.id
        )


def test_escalate_marks_it_for_the_shift_leader(session: Session, centre: Centre) -> None:
    row = activation(session, centre.tenant, centre.site)
    handling.escalate(session, centre.anna.actor, row.id, version=1, note="Hotfull person")
    assert row.escalated_at is not None
    entry = handling.timeline(session, row)[-1]
    assert (entry.kind, entry.text, entry.actor_name) == (
        "escalated",
        "Hotfull person",
        centre.anna.actor.name,
    )
    with pytest.raises(InvalidInput):
        handling.escalate(session, centre.anna.actor, row.id, version=2, note="  ")


def test_close_with_a_cause_and_a_note(session: Session, centre: Centre) -> None:
    row = activation(session, centre.tenant, centre.site)
    handling.claim(session, centre.anna.actor, row.id, version=1)
    before = feed.head(session)

    handling.close(
        session, centre.anna.actor, row.id, version=2, cause=Cause.REAL, note="Väktare på plats"
    )

    assert row.state is ActivationState.CLOSED
    assert (row.cause, row.close_note) == (Cause.REAL, "Väktare på plats")
    assert row.closed_by_name == centre.anna.actor.name
    assert [c.kind for c in feed.changes_since(session, before)] == [feed.CLOSED]
    with pytest.raises(WrongState):
        handling.add_note(session, centre.anna.actor, row.id, version=3, text="sent")


def test_a_false_alarm_needs_a_note(session: Session, centre: Centre) -> None:
    row = activation(session, centre.tenant, centre.site)
    handling.claim(session, centre.anna.actor, row.id, version=1)
    with pytest.raises(InvalidInput) as refused:
        handling.close(session, centre.anna.actor, row.id, version=2, cause=Cause.FALSE)
    assert refused.value.extra["errors"][0]["field"] == "note"
    handling.close(
        session, centre.anna.actor, row.id, version=2, cause=Cause.FALSE, note="Städpersonal"
    )
    assert row.cause is Cause.FALSE


def test_closing_needs_a_claim(session: Session, centre: Centre) -> None:
    row = activation(session, centre.tenant, centre.site)
    with pytest.raises(WrongState) as refused:
        handling.close(session, centre.anna.actor, row.id, version=1, cause=Cause.TEST)
    assert refused.value.extra["rule"] == "not_claimed"


_OBJECTING: set[object] = set()


def _mandatory_steps(session: Session, row: Activation) -> list[str]:
    return ["Call the keyholder"] if row.id in _OBJECTING else []


@pytest.fixture
def steps_guard() -> Iterator[set[object]]:
    """A close guard objecting (mandatory step left) for the activations in the set."""
    guards.register(_mandatory_steps)
    yield _OBJECTING
    _OBJECTING.clear()


def test_close_is_refused_while_a_guard_objects(
    session: Session, centre: Centre, steps_guard: set[object]
) -> None:
    row = activation(session, centre.tenant, centre.site)
    steps_guard.add(row.id)
    handling.claim(session, centre.anna.actor, row.id, version=1)

    with pytest.raises(NotClosable) as refused:
        handling.close(session, centre.anna.actor, row.id, version=2, cause=Cause.REAL)

    assert refused.value.status == 409
    assert refused.value.extra["objections"] == ["Call the keyholder"]
    assert row.state is ActivationState.CLAIMED
    assert row.version == 2

    steps_guard.discard(row.id)
    handling.close(session, centre.anna.actor, row.id, version=2, cause=Cause.REAL)
    assert _state(row) is ActivationState.CLOSED


def test_another_municipalitys_activation_is_not_found_for_every_action(
    session: Session, centre: Centre
) -> None:
    elsewhere = f.municipality(session)
    row = activation(session, elsewhere, f.site(session, elsewhere))
    actor = centre.leader.actor
    actions: list[Callable[[], object]] = [
        lambda: handling.detail(session, actor, row.id),
        lambda: handling.claim(session, actor, row.id, version=1),
        lambda: handling.release(session, actor, row.id, version=1),
        lambda: handling.hold(
            session, actor, row.id, version=1, reason="x", until=utcnow() + timedelta(hours=1)
        ),
        lambda: handling.hand_over(session, actor, row.id, version=1, to=centre.anna.user.id),
        lambda: handling.escalate(session, actor, row.id, version=1, note="x"),
        lambda: handling.add_note(session, actor, row.id, version=1, text="x"),
        lambda: handling.close(session, actor, row.id, version=1, cause=Cause.REAL),
    ]
    for act in actions:
        with pytest.raises(NotFound):
            act()
    assert row.version == 1
    assert session.execute(
        select(ActivationEntry.kind).where(ActivationEntry.activation_id == row.id)
    ).scalars().all() == ["event"]
