"""The durable event buffer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from stadsvakt.edge.agent.buffer import EventBuffer


def test_events_survive_reopening_and_stay_pending_until_confirmed(tmp_path: Path) -> None:
    path = tmp_path / "edge" / "events.sqlite"
    buffer = EventBuffer(path)
    first = buffer.add({"type": "access", "granted": True})
    second = buffer.add({"type": "door_alarm", "alarm": "door_forced"})
    buffer.close()

    buffer = EventBuffer(path)
    pending = buffer.pending(10)
    assert [event.id for event in pending] == [first.id, second.id]
    assert pending[0].body == {"type": "access", "granted": True, "id": str(first.id)}
    buffer.mark_uploaded([first.id])
    buffer.close()

    buffer = EventBuffer(path)
    assert [event.id for event in buffer.pending(10)] == [second.id]
    assert (buffer.count(), buffer.count(uploaded=True)) == (2, 1)
    buffer.close()


def test_ids_are_uuid7_in_the_order_written(tmp_path: Path) -> None:
    buffer = EventBuffer(tmp_path / "events.sqlite")
    ids = [buffer.add({"n": n}).id for n in range(50)]
    assert all(event_id.version == 7 for event_id in ids)
    assert [event.body["n"] for event in buffer.pending(100)] == list(range(50))
    assert len(buffer.pending(20)) == 20
    buffer.close()


def test_only_confirmed_events_older_than_the_bound_are_pruned(tmp_path: Path) -> None:
    buffer = EventBuffer(tmp_path / "events.sqlite")
    sent = buffer.add({"n": 1})
    kept = buffer.add({"n": 2})
    buffer.mark_uploaded([sent.id])
    now = datetime.now(UTC)

    assert buffer.prune_uploaded(now - timedelta(hours=1)) == 0
    assert buffer.prune_uploaded(now + timedelta(minutes=1)) == 1
    assert [event.id for event in buffer.pending(10)] == [kept.id]
    assert buffer.count() == 1
    buffer.close()
