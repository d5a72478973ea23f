"""The live queue's API: ``GET /queue`` (the open activations and the feed number they
are current to) and ``GET /stream`` (every change after a number, as server-sent events).

The stream sends each change as an event ``new``, ``claimed``, ``updated`` or
``closed`` whose ``id`` is its feed number and whose data is the activation as the
reader sees it (:func:`stadsvakt.centre.queue.activation_view`); ``removed`` when an
activation the reader could see is gone; ``resync`` when the reader must reload the
queue (its number is unknown, too old, or it fell behind); ``ready`` once the missed
changes are sent. A reconnecting ``EventSource`` sends ``Last-Event-ID`` itself, so it
resumes without missing or repeating a change; ``?after=<seq>`` does the same for a
first connection. A stream ends after a few minutes and the browser reconnects, so no
connection outlives a server's shutdown for long.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from stadsvakt.api.deps import ActorDep, ServicesDep, SessionDep
from stadsvakt.centre import feed
from stadsvakt.centre.follower import Delivery, Replay, follower_of, replay
from stadsvakt.centre.queue import (
    QUEUE_LIMIT,
    Audience,
    Gettext,
    activation_view,
    audience_of,
    open_queue,
)
from stadsvakt.context import Actor
from stadsvakt.db import read_only_session
from stadsvakt.web.i18n import LANG_COOKIE, Catalogues, choose_language

log = logging.getLogger(__name__)
router = APIRouter(tags=["centre"])

#: The change kinds a stream sends as they are; anything else is sent as ``updated``.
KINDS = frozenset({feed.NEW, feed.CLAIMED, feed.UPDATED, feed.CLOSED})
#: Seconds between keep-alive comments on a quiet stream (proxies close idle ones).
HEARTBEAT_S = 15.0
#: Seconds a stream lasts before the server ends it and the browser reconnects.
STREAM_LIFETIME_S = 300.0
#: How long a browser waits before reconnecting (milliseconds, the SSE ``retry`` field).
RETRY_MS = 2000
_ID_LIMIT = 2**62


class SiteOut(BaseModel):
    """Where an activation is."""

    id: str
    name: str | None
    address: str | None


class ActivationViewOut(BaseModel):
    """One activation as the queue shows it, in the reader's language. Times are UTC in
    ISO 8601; each ``*_display`` beside one is Swedish time with its zone."""

    id: str
    url: str
    tenant_id: str
    municipality: str
    kind: str
    kind_label: str
    category: str
    category_label: str
    code: str
    title: str
    priority: int
    state: str
    state_label: str
    opened_at: str
    opened_at_display: str
    last_event_at: str
    last_event_at_display: str
    count: int
    confirmed: bool
    restored: bool
    claimed_by_name: str | None
    held_until: str | None
    held_until_display: str
    hold_reason: str | None
    site: SiteOut | None
    version: int


class QueueOut(BaseModel):
    """The open activations by priority, then age, and the feed number they are current
    to: follow ``GET /centre/stream?after=<seq>`` from it to keep the list live."""

    seq: int = Field(description="The queue feed's number this list is current to.")
    total: int = Field(description="Open activations the caller sees (beyond limit too).")
    items: list[ActivationViewOut]


def reader_language(request: Request, actor: Actor) -> tuple[str, Gettext]:
    """The reader's language (cookie, their setting, ``Accept-Language``) and its gettext."""
    web = getattr(request.app.state, "web", None)
    if web is None:  # an app without the web UI has no catalogues
        return "en", str
    catalogues: Catalogues = web.catalogues
    lang = choose_language(
        cookie=request.cookies.get(LANG_COOKIE),
        user_setting=actor.language,
        accept_language=request.headers.get("accept-language"),
        default=catalogues.default,
    )
    translations = catalogues.get(lang)
    return lang, lambda message: str(translations.gettext(message))


@router.get("/queue", response_model=QueueOut)
def get_queue(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Rows at most")] = QUEUE_LIMIT,
) -> dict[str, Any]:
    """The open activations the caller sees, by priority then age (needs ``centre.read``)."""
    snapshot = open_queue(session, actor, limit=limit)
    lang, gettext = reader_language(request, actor)
    return {
        "seq": snapshot.seq,
        "total": snapshot.total,
        "items": [activation_view(row, lang=lang, gettext=gettext) for row in snapshot.rows],
    }


def _audience(session: SessionDep, actor: ActorDep) -> Audience:
    return audience_of(session, actor)


def _resume_from(after: int | None, last_event_id: str | None) -> int | None:
    """Where a stream starts: the browser's ``Last-Event-ID`` (set on reconnection, so it
    wins over the page's ``after``), else ``after``; ``-1`` for an id that is no number
    (the stream then tells the browser to reload)."""
    if last_event_id is not None and last_event_id.strip():
        text = last_event_id.strip()
        return int(text) if text.isdigit() and len(text) < 19 else -1
    return after


def _event(kind: str, seq: int, data: dict[str, Any]) -> bytes:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {seq}\nevent: {kind}\ndata: {body}\n\n".encode()


class _Encoder:
    """Turns deliveries into one reader's events (``None``: not theirs to see)."""

    def __init__(self, audience: Audience, lang: str, gettext: Gettext) -> None:
        self.audience = audience
        self.lang = lang
        self.gettext = gettext

    def encode(self, delivery: Delivery) -> bytes | None:
        change, row = delivery.change, delivery.row
        if row is None:
            # Gone altogether: say so only to readers who see its municipality.
            if not self.audience.knows(uuid.UUID(change.tenant_id)):
                return None
            return _event("removed", change.seq, {"id": change.activation_id})
        if not self.audience.sees(row):
            return None
        kind = change.kind if change.kind in KINDS else feed.UPDATED
        view = activation_view(row, lang=self.lang, gettext=self.gettext)
        return _event(kind, change.seq, view)


def _read(factory: Callable[[], Session], after: int | None) -> Replay:
    with factory() as session:
        return replay(session, after)


def _head(factory: Callable[[], Session]) -> int:
    with factory() as session:
        return feed.head(session)


@router.get("/stream", include_in_schema=False)
async def stream(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    audience: Annotated[Audience, Depends(_audience)],
    after: Annotated[int | None, Query(ge=0, le=_ID_LIMIT)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=40)] = None,
) -> StreamingResponse:
    """The queue's changes as server-sent events (see the module docstring); needs
    ``centre.read`` and sends only what the caller sees."""
    lang, gettext = reader_language(request, actor)
    encoder = _Encoder(audience, lang, gettext)
    factory = services.session_factory

    def reader() -> Session:
        return read_only_session(factory)

    start = _resume_from(after, last_event_id)
    body = _changes(request, encoder, reader, start)
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _changes(
    request: Request, encoder: _Encoder, reader: Callable[[], Session], start: int | None
) -> AsyncIterator[bytes]:
    follower = follower_of(request.app)
    loop = asyncio.get_running_loop()
    # Subscribe before reading the feed: every change after the follower's number comes
    # through the subscription, every one up to the feed's head from the replay.
    subscription = await follower.subscribe()
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        found = await asyncio.to_thread(_read, reader, None if start == -1 else start)
        if start == -1 or found.resync:
            last = found.head
            yield _event("resync", last, {"seq": last})
        else:
            last = start if start is not None else found.head
            for delivery in found.deliveries:
                event = encoder.encode(delivery)
                if event is not None:
                    yield event
                last = delivery.change.seq
        yield _event("ready", last, {"seq": last})
        sent_id, wrote = last, loop.time()
        ends = loop.time() + STREAM_LIFETIME_S
        while (left := ends - loop.time()) > 0:
            wait = max(0.0, min(HEARTBEAT_S - (loop.time() - wrote), left))
            deliveries = await subscription.take(wait)
            if subscription.lagged:
                subscription.reset()
                last = await asyncio.to_thread(_head, reader)
                yield _event("resync", last, {"seq": last})
                sent_id, wrote = last, loop.time()
                continue
            for delivery in deliveries:
                if delivery.change.seq <= last:
                    continue  # already replayed
                event = encoder.encode(delivery)
                last = delivery.change.seq
                if event is not None:
                    yield event
                    sent_id, wrote = last, loop.time()
            if loop.time() - wrote >= HEARTBEAT_S:
                # A bare id moves the browser's resume point past changes it may not see.
                moved = f"id: {last}\n\n" if last != sent_id else ""
                yield f": keep-alive\n\n{moved}".encode()
                sent_id, wrote = last, loop.time()
    finally:
        follower.unsubscribe(subscription)
