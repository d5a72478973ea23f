"""Doors' live state as their edge device reports it: kept per door, newest report wins,
read back by door id; a state the centre does not know is refused naming the door."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from stadsvakt.context import acting_as
from stadsvakt.edge.devices import service
from stadsvakt.edge.devices.live import door_states, record_door_states
from stadsvakt.edge.devices.models import DoorLiveState
from stadsvakt.errors import InvalidInput
from tests.edge.devices.conftest import Town, device_key, make_code

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def _enrolled(session: Session, town: Town) -> uuid.UUID:
    _, plain = make_code(session, town.owner(), town.north_site, town.north_doors, now=NOW)
    return service.enrol(session, plain, device_key()[1], "1.0.0", now=NOW).device_id


def test_states_of_the_device_s_doors_are_kept_and_read_back_with_their_time(
    session: Session, town: Town
) -> None:
    device = _enrolled(session, town)
    first, second = (d.id for d in town.north_doors)
    stranger = town.south_doors[0].id  # another device's site: not this device's to report

    changed = record_door_states(
        session, device, {str(first): "locked", str(second): "open", str(stranger): "forced"}, NOW
    )

    assert changed == 2
    assert door_states(session, [first, second, stranger]) == {
        first: (DoorLiveState.LOCKED, NOW),
        second: (DoorLiveState.OPEN, NOW),
    }


def test_a_newer_report_wins_an_older_one_is_ignored_and_a_repeat_is_no_change(
    session: Session, town: Town
) -> None:
    device = _enrolled(session, town)
    door = town.north_doors[0].id
    later = NOW + timedelta(seconds=5)
    record_door_states(session, device, {str(door): "locked"}, NOW)

    assert record_door_states(session, device, {str(door): "forced"}, later) == 1
    # Delivered late (QoS 1 may reorder a resend): the door stays forced.
    assert record_door_states(session, device, {str(door): "unlocked"}, NOW) == 0
    assert door_states(session, [door]) == {door: (DoorLiveState.FORCED, later)}
    assert record_door_states(session, device, {str(door): "forced"}, later) == 0


@pytest.mark.parametrize(
    ("door", "state"), [("first", "ajar"), ("not-a-uuid", "locked")], ids=["state", "id"]
)
def test_an_unknown_state_or_door_id_is_refused_naming_the_door_and_nothing_is_kept(
    session: Session, town: Town, door: str, state: str
) -> None:
    device = _enrolled(session, town)
    first, second = (str(d.id) for d in town.north_doors)
    key = first if door == "first" else door

    with pytest.raises(InvalidInput) as refused:
        record_door_states(session, device, {second: "locked", key: state}, NOW)

    (error,) = refused.value.extra["errors"]
    assert (error["field"], error["rule"]) == (f"doors.{key}", "door_state")
    assert door_states(session, [d.id for d in town.north_doors]) == {}


def test_a_revoked_device_s_reports_are_not_kept(session: Session, town: Town) -> None:
    device = _enrolled(session, town)
    door = town.north_doors[0].id
    with acting_as(town.owner()):
        service.revoke(session, town.owner(), device)

    assert record_door_states(session, device, {str(door): "open"}, NOW) == 0
    assert door_states(session, [door]) == {}


def test_no_doors_asked_or_none_reported_reads_nothing(session: Session, town: Town) -> None:
    device = _enrolled(session, town)
    assert record_door_states(session, device, {}, NOW) == 0
    assert door_states(session, []) == {}
    assert door_states(session, [d.id for d in town.north_doors]) == {}
