"""``GET /api/v1/centre/queue`` and ``GET /api/v1/centre/stream``: the open activations in
order, only the caller's municipalities, and a stream that resumes from a feed number
without missing or repeating a change."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.orm import Session

from stadsvakt.centre import feed
from stadsvakt.centre.models import ActivationState, QueueChange
from stadsvakt.web.localtime import local_time
from tests import factories as f
from tests.centre.live.conftest import Centre
from tests.centre.live.helpers import Event, change, open_activation, parse, until

QUEUE = "/api/v1/centre/queue"
STREAM = "/api/v1/centre/stream"


def _stream(
    client: TestClient, headers: dict[str, str], *, kind: str = "ready", **params: Any
) -> list[Event]:
    """The stream's events up to the first of ``kind`` (then the client hangs up)."""
    with client.stream("GET", STREAM, headers=headers, params=params) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return until(parse(response.iter_lines()), kind)


def test_the_queue_is_ordered_by_priority_then_age(
    client: TestClient, session: Session, centre: Centre
) -> None:
    older = open_activation(session, centre.home, centre.site, priority=4, minutes_ago=30)
    newer = open_activation(session, centre.home, centre.site, priority=4, minutes_ago=5)
    fire = open_activation(
        session, centre.home, centre.site, priority=1, category="fire", title="Fire alarm"
    )
    closed = open_activation(session, centre.home, centre.site, priority=1, minutes_ago=60)
    change(session, closed, feed.CLOSED, state=ActivationState.CLOSED)
    held = open_activation(session, centre.home, centre.site, priority=2, minutes_ago=1)
    change(session, held, state=ActivationState.ON_HOLD)
    session.flush()

    response = client.get(QUEUE, headers=centre.operator)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["id"] for item in body["items"]] == [
        str(fire.id),
        str(held.id),
        str(older.id),
        str(newer.id),
    ]
    assert body["seq"] == feed.head(session)
    assert body["total"] == 4
    first = body["items"][0]
    assert first["category"] == "fire"
    assert first["title"] == "Fire alarm"
    assert first["state"] == "open"
    assert first["site"]["name"] == centre.site.name
    assert first["site"]["address"].startswith(centre.site.street)
    assert first["municipality"] == "Hemby kommun"
    assert first["url"] == f"/centre/activations/{fire.id}"
    assert first["opened_at"].endswith("+00:00")
    assert first["opened_at_display"] == local_time(fire.opened_at)


def test_labels_are_in_the_readers_language(
    client: TestClient, session: Session, centre: Centre
) -> None:
    activation = open_activation(session, centre.home, centre.site, priority=1, category="fire")
    change(session, activation, feed.CLAIMED, state=ActivationState.CLAIMED, claimed_by="Ada")
    session.flush()
    swedish = client.get(QUEUE, headers={**centre.operator, "Accept-Language": "sv"}).json()
    english = client.get(QUEUE, headers={**centre.operator, "Accept-Language": "en"}).json()
    assert (swedish["items"][0]["category_label"], swedish["items"][0]["state_label"]) == (
        "Brandlarm",
        "Hanteras av Ada",
    )
    assert (english["items"][0]["category_label"], english["items"][0]["state_label"]) == (
        "Fire",
        "Claimed by Ada",
    )


def test_each_reader_sees_only_their_municipalities(
    client: TestClient, session: Session, centre: Centre
) -> None:
    home = open_activation(session, centre.home, centre.site)
    served = open_activation(session, centre.served, centre.served_site)
    stranger = open_activation(session, centre.stranger, centre.stranger_site)
    session.flush()

    def ids(headers: dict[str, str]) -> set[str]:
        response = client.get(QUEUE, headers=headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    # The centre's staff see the municipality it serves; its own reader sees only itself.
    assert ids(centre.operator) == {str(home.id), str(served.id)}
    assert ids(centre.served_reader) == {str(served.id)}
    assert ids(centre.stranger_operator) == {str(stranger.id)}

    streamed = _stream(client, centre.operator, after=0)
    assert {e.json["id"] for e in streamed if e.event == "new"} == {str(home.id), str(served.id)}
    streamed = _stream(client, centre.stranger_operator, after=0)
    assert {e.json["id"] for e in streamed if e.event == "new"} == {str(stranger.id)}


def test_the_queue_needs_centre_read(client: TestClient, session: Session, centre: Centre) -> None:
    no_centre = f.bearer(f.token(session, centre.home, "site.read"))
    assert client.get(QUEUE, headers=no_centre).status_code == 403
    assert client.get(STREAM, headers=no_centre).status_code == 403
    assert client.get(QUEUE).status_code == 401
    assert client.get(STREAM).status_code == 401


def test_the_stream_replays_after_a_number_without_gaps_or_repeats(
    client: TestClient, session: Session, centre: Centre
) -> None:
    start = feed.head(session)
    first = open_activation(session, centre.home, centre.site, priority=3)
    second = open_activation(session, centre.home, centre.site, priority=1)
    change(session, first, feed.CLAIMED, state=ActivationState.CLAIMED, claimed_by="Ada")
    change(session, second, feed.CLOSED, state=ActivationState.CLOSED)
    session.flush()

    events = _stream(client, centre.operator, after=start)
    assert [(e.event, e.seq) for e in events] == [
        ("new", start + 1),
        ("new", start + 2),
        ("claimed", start + 3),
        ("closed", start + 4),
        ("ready", start + 4),
    ]
    claimed = events[2].json
    assert (claimed["id"], claimed["state"], claimed["claimed_by_name"]) == (
        str(first.id),
        "claimed",
        "Ada",
    )
    assert claimed["version"] == 2

    # A browser that reconnects sends the last id it saw; it wins over the page's ?after.
    resumed = _stream(client, {**centre.operator, "Last-Event-ID": str(start + 2)}, after=start)
    assert [(e.event, e.seq) for e in resumed] == [
        ("claimed", start + 3),
        ("closed", start + 4),
        ("ready", start + 4),
    ]
    # Up to date: nothing to replay.
    assert [(e.event, e.seq) for e in _stream(client, centre.operator, after=start + 4)] == [
        ("ready", start + 4)
    ]


def test_another_municipalitys_changes_never_reach_the_stream(
    client: TestClient, session: Session, centre: Centre
) -> None:
    start = feed.head(session)
    stranger = open_activation(session, centre.stranger, centre.stranger_site)
    change(session, stranger, feed.CLAIMED, state=ActivationState.CLAIMED, claimed_by="Eve")
    mine = open_activation(session, centre.home, centre.site)
    session.flush()
    events = _stream(client, centre.operator, after=start)
    assert [(e.event, e.seq) for e in events] == [("new", start + 3), ("ready", start + 3)]
    assert events[0].json["id"] == str(mine.id)
    assert str(stranger.id) not in "".join(e.data for e in events)


def test_an_unknown_or_too_old_number_asks_for_a_reload(
    client: TestClient, session: Session, centre: Centre
) -> None:
    open_activation(session, centre.home, centre.site)
    open_activation(session, centre.home, centre.site)
    session.flush()
    head = feed.head(session)

    ahead = _stream(client, centre.operator, after=head + 10)
    assert [(e.event, e.seq) for e in ahead] == [("resync", head), ("ready", head)]
    assert ahead[0].json == {"seq": head}
    garbled = _stream(client, {**centre.operator, "Last-Event-ID": "yesterday"})
    assert [e.event for e in garbled] == ["resync", "ready"]

    # The feed no longer keeps the change after the number asked for.
    session.execute(delete(QueueChange).where(QueueChange.seq <= head - 1))
    session.flush()
    old = _stream(client, centre.operator, after=head - 2)
    assert [(e.event, e.seq) for e in old] == [("resync", head), ("ready", head)]


def test_a_stream_without_a_number_starts_at_the_head(
    client: TestClient, session: Session, centre: Centre
) -> None:
    open_activation(session, centre.home, centre.site)
    session.flush()
    head = feed.head(session)
    with client.stream("GET", STREAM, headers=centre.operator) as response:
        assert response.headers["cache-control"] == "no-store"
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if line.startswith("event: ready"):
                break
    assert lines[0] == "retry: 2000"
    assert f"id: {head}" in lines
