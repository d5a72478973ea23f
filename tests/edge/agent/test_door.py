"""The door-contact state machine: examples and Hypothesis properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.edge.agent.door import Door, DoorAlarm, DoorState

HELD = 30.0


def test_opening_inside_the_unlock_window_is_no_alarm() -> None:
    door = Door(HELD).unlock(100.0, 5.0)
    door, alarms = door.contact(103.0, True)
    assert (door.state, alarms) == (DoorState.OPEN, ())
    door, alarms = door.contact(110.0, False)
    assert (door.state, alarms) == (DoorState.CLOSED, ())


def test_opening_without_a_grant_is_forced_and_closing_restores_it() -> None:
    door, alarms = Door(HELD).contact(100.0, True)
    assert (door.state, alarms) == (DoorState.FORCED, (DoorAlarm.FORCED,))
    door, alarms = door.contact(101.0, True)
    assert alarms == ()
    door, alarms = door.contact(102.0, False)
    assert (door.state, alarms) == (DoorState.CLOSED, (DoorAlarm.FORCED_RESTORED,))


def test_opening_after_the_window_is_forced() -> None:
    door = Door(HELD).unlock(100.0, 5.0)
    _, alarms = door.contact(105.5, True)
    assert alarms == (DoorAlarm.FORCED,)


def test_one_grant_lets_the_door_open_once() -> None:
    door = Door(HELD).unlock(100.0, 5.0)
    door, _ = door.contact(101.0, True)
    door, _ = door.contact(102.0, False)
    _, alarms = door.contact(103.0, True)
    assert alarms == (DoorAlarm.FORCED,)


def test_a_door_open_past_the_held_open_time_is_held_once() -> None:
    door, _ = Door(HELD).unlock(0.0, 5.0).contact(1.0, True)
    door, alarms = door.tick(31.0)
    assert alarms == ()
    door, alarms = door.tick(31.5)
    assert (door.state, alarms) == (DoorState.HELD, (DoorAlarm.HELD,))
    door, alarms = door.contact(40.0, True)
    assert alarms == ()
    door, alarms = door.contact(41.0, False)
    assert (door.state, alarms) == (DoorState.CLOSED, (DoorAlarm.HELD_RESTORED,))


# A random life of a door: grants, contact readings and ticks at increasing times.
_steps = st.lists(
    st.tuples(
        st.sampled_from(["unlock", "open", "close", "tick"]),
        st.floats(min_value=0.0, max_value=50.0),
    ),
    max_size=40,
)


def _run(steps: list[tuple[str, float]]) -> list[tuple[Door, tuple[DoorAlarm, ...]]]:
    door = Door(HELD)
    now = 0.0
    trace = []
    for action, gap in steps:
        now += gap
        alarms: tuple[DoorAlarm, ...] = ()
        if action == "unlock":
            door = door.unlock(now, 5.0)
        elif action == "tick":
            door, alarms = door.tick(now)
        else:
            door, alarms = door.contact(now, action == "open")
        trace.append((door, alarms))
    return trace


@given(_steps)
def test_every_alarm_is_restored_at_most_once_and_only_after_it_was_raised(
    steps: list[tuple[str, float]],
) -> None:
    open_alarms: list[DoorAlarm] = []
    for _, alarms in _run(steps):
        for alarm in alarms:
            if alarm in (DoorAlarm.FORCED, DoorAlarm.HELD):
                assert not open_alarms, "a second alarm while one is standing"
                open_alarms.append(alarm)
            else:
                raised = DoorAlarm.FORCED if alarm is DoorAlarm.FORCED_RESTORED else DoorAlarm.HELD
                assert open_alarms == [raised]
                open_alarms.clear()


@given(_steps)
def test_the_state_follows_the_contact(steps: list[tuple[str, float]]) -> None:
    contact_open = False
    for (action, _), (door, _) in zip(steps, _run(steps), strict=True):
        if action in ("open", "close"):
            contact_open = action == "open"
        assert (door.state is DoorState.CLOSED) == (not contact_open)
        assert (door.opened_at is None) == (not contact_open)


@given(_steps)
def test_a_door_that_never_opens_raises_nothing(steps: list[tuple[str, float]]) -> None:
    closed = [(action if action != "open" else "close", gap) for action, gap in steps]
    assert all(alarms == () for _, alarms in _run(closed))
