"""The pure supervision core: deadlines, one failure per silence, one restore per return."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.alarms.supervision.deadlines import Deadlines, Returned

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
INTERVAL = 60
GRACE = 30
SPAN = INTERVAL + GRACE


def at(seconds: float) -> datetime:
    """A moment ``seconds`` after T0."""
    return T0 + timedelta(seconds=seconds)


def watched(count: int = 1, grace: int = GRACE) -> tuple[Deadlines, list[uuid.UUID]]:
    """A core watching ``count`` transmitters last seen at T0."""
    core = Deadlines(grace)
    ids = [uuid.uuid4() for _ in range(count)]
    for tid in ids:
        core.watch(tid, INTERVAL, T0)
    return core, ids


# --- properties ---------------------------------------------------------------------------

gaps = st.lists(st.integers(min_value=1, max_value=SPAN - 1), min_size=1, max_size=30)
fractions = st.floats(min_value=0, max_value=1)


@given(gaps, st.lists(fractions, min_size=30, max_size=30))
def test_a_transmitter_seen_within_interval_and_grace_never_fails(
    steps: list[int], checks: list[float]
) -> None:
    core, (tid,) = watched()
    last = 0.0
    for gap, fraction in zip(steps, checks, strict=False):
        assert core.due(at(last + gap * fraction)) == []
        last += gap
        assert core.seen(tid, at(last)) is None
    assert core.due(at(last + SPAN - 0.001)) == []
    assert core.failed == 0


@given(
    st.integers(min_value=0, max_value=1000),
    st.lists(st.floats(min_value=0, max_value=100_000), min_size=1, max_size=20),
)
def test_a_silent_transmitter_fails_exactly_once_until_seen(
    last_seen: int, extra: list[float]
) -> None:
    core, (tid,) = watched()
    core.seen(tid, at(last_seen))
    assert core.due(at(last_seen + SPAN - 0.5)) == []
    checks = [at(last_seen + SPAN + moment) for moment in sorted(extra)]
    reported = [silent for moment in checks for silent in core.due(moment)]
    assert [s.transmitter_id for s in reported] == [tid]
    assert reported[0].last_seen == at(last_seen)
    assert reported[0].deadline == at(last_seen + SPAN)
    assert core.is_failed(tid)


@given(st.lists(st.floats(min_value=0.001, max_value=10_000), min_size=1, max_size=20))
def test_a_failed_transmitter_is_restored_exactly_once(returns: list[float]) -> None:
    core, (tid,) = watched()
    assert len(core.due(at(SPAN))) == 1
    restores = [core.seen(tid, at(SPAN + offset)) for offset in returns]
    assert [r for r in restores if r is not None] == [Returned(tid, at(SPAN + returns[0]))]
    assert not core.is_failed(tid)
    assert core.failed == 0


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=4), st.integers(min_value=0, max_value=500)),
        max_size=40,
    ),
    st.randoms(use_true_random=False),
    st.integers(min_value=0, max_value=800),
)
def test_seen_updates_give_the_same_result_in_any_order(
    updates: list[tuple[int, int]], rng: random.Random, now: int
) -> None:
    ids = [uuid.UUID(int=n + 1) for n in range(5)]
    shuffled = list(updates)
    rng.shuffle(shuffled)
    results = []
    for order in (updates, shuffled):
        core = Deadlines(GRACE)
        for tid in ids:
            core.watch(tid, INTERVAL, T0)
        for index, moment in order:
            core.seen(ids[index], at(moment))
        due = sorted(silent.transmitter_id for silent in core.due(at(now)))
        results.append((due, [core.last_seen(tid) for tid in ids]))
    assert results[0] == results[1]


# --- examples -----------------------------------------------------------------------------


def test_fails_again_after_a_restore_and_a_new_silence() -> None:
    core, (tid,) = watched()
    assert len(core.due(at(SPAN))) == 1
    assert core.seen(tid, at(100)) is not None
    assert core.due(at(100 + SPAN - 1)) == []
    (again,) = core.due(at(100 + SPAN))
    assert again.last_seen == at(100)


def test_only_the_silent_ones_of_many_fail() -> None:
    core, ids = watched(1000)
    for tid in ids[10:]:
        core.seen(tid, at(50))
    assert {s.transmitter_id for s in core.due(at(SPAN + 1))} == set(ids[:10])
    assert core.failed == 10
    assert core.due(at(SPAN + 2)) == []
    assert {s.transmitter_id for s in core.due(at(50 + SPAN))} == set(ids[10:])


def test_unwatched_transmitters_never_fail() -> None:
    core, (tid, other) = watched(2)
    core.unwatch(tid)
    assert [s.transmitter_id for s in core.due(at(SPAN))] == [other]
    assert tid not in core and len(core) == 1
    assert core.seen(tid, at(SPAN + 5)) is None
    core.unwatch(other)
    assert core.failed == 0


def test_a_shorter_interval_brings_the_deadline_forward_and_a_longer_one_back() -> None:
    core, (short, long) = watched(2)
    core.watch(short, 10, T0)
    core.watch(long, 600, T0)
    assert [s.transmitter_id for s in core.due(at(10 + GRACE))] == [short]
    assert core.due(at(SPAN + 1)) == []
    assert [s.transmitter_id for s in core.due(at(600 + GRACE))] == [long]


def test_a_transmitter_failed_before_start_is_restored_by_its_next_message() -> None:
    core = Deadlines(GRACE)
    tid = uuid.uuid4()
    core.watch(tid, INTERVAL, T0, failed=True)
    assert core.failed == 1
    assert core.due(at(10 * SPAN)) == []
    assert core.seen(tid, T0) is None  # not newer than what was known
    assert core.seen(tid, at(1)) == Returned(tid, at(1))


def test_clear_takes_a_failure_back_without_a_restore() -> None:
    core, (tid,) = watched()
    assert len(core.due(at(SPAN))) == 1
    core.clear(tid, at(SPAN - 1))
    assert not core.is_failed(tid)
    assert core.seen(tid, at(SPAN - 1)) is None
    assert [s.last_seen for s in core.due(at(2 * SPAN))] == [at(SPAN - 1)]


def test_many_interval_changes_keep_the_heap_small() -> None:
    core, (tid,) = watched()
    for interval in range(600, 10, -1):
        core.watch(tid, interval, T0)
    core.due(at(0))
    assert len(core._heap) < 100
    assert [s.transmitter_id for s in core.due(at(11 + GRACE))] == [tid]


def test_next_deadline_is_the_earliest() -> None:
    core, ids = watched(3)
    core.seen(ids[0], at(20))
    assert core.next_deadline() == at(SPAN)
    assert Deadlines(GRACE).next_deadline() is None


def test_naive_times_and_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Deadlines(-1)
    core = Deadlines(0)
    with pytest.raises(ValueError, match="positive"):
        core.watch(uuid.uuid4(), 0, T0)
    with pytest.raises(ValueError, match="naive"):
        core.watch(uuid.uuid4(), 10, datetime(2026, 1, 1))  # noqa: DTZ001
