"""The common decision answered below the router: ASGI middleware for
``POST /api/v1/access/decisions``.

Routing through every route, solving dependencies and parsing the body the general way
cost several times the decision itself, and controllers ask a thousand times a second.
This middleware answers a decision when nothing but the happy path is involved: a JSON
body that :class:`~stadsvakt.access.decisions.DecisionIn` accepts with its ``at`` in the
window around now, a device token looked up less than a second ago that holds
``access.decide``, an index that is current (no change of this process unread, caught
up recently, no failed catch-up), and the event committed. Anything else — a token to
look up, an index to catch up, a body to refuse, a refusal, a failed event store — goes on
to the app with the body replayed, so the route (the one the OpenAPI document describes)
answers it exactly as if this middleware were not there. The answer itself is the route's: the same
functions build it, the same bytes and headers go out.

It sits inside the request-id middleware (which names every answer) and FastAPI's outer
layers (server errors, body size limit).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stadsvakt.access.decisions import (
    DecisionIn,
    Outcome,
    answer_json,
    bearer_token,
    cached_actor,
    decide_on,
    events_of_app,
    index_of_app,
    outcome_event,
    pin_attempts_of_app,
    time_of_app,
)
from stadsvakt.errors import DomainError

log = logging.getLogger(__name__)

PATH = "/api/v1/access/decisions"
#: A decision's body is ~150 bytes; a longer one is left to the app (and its body limit).
MAX_BODY = 4096


class DecisionFastPath:
    """Answers the common decision itself; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != scope.get("root_path", "") + PATH
        ):
            await self.app(scope, receive, send)
            return
        messages, body = await _read_body(receive)
        outcome = self._decide(scope, body) if body is not None else None
        if outcome is not None:
            try:
                await events_of_app(scope["app"]).store(outcome[1])
            except DomainError:
                # Not stored: the route tries once more and answers with the problem.
                outcome = None
        if outcome is None:
            await self.app(scope, _replay(messages, receive), send)
            return
        content = answer_json(outcome[0])
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(content)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})

    def _decide(self, scope: Scope, body: bytes) -> tuple[Outcome, dict[str, Any]] | None:
        """The outcome and its event if the happy path holds, else ``None`` (the app decides)."""
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name, value)  # the first of repeated headers, as Starlette reads
        if headers.get(b"content-type", b"").split(b";")[0].strip() != b"application/json":
            return None
        actor = cached_actor(bearer_token(headers.get(b"authorization", b"").decode("latin-1")))
        if actor is None:
            return None
        app = scope["app"]
        state = index_of_app(app).current()
        if state is None:
            return None
        try:
            data = DecisionIn.model_validate(json.loads(body))
            # The route's own checks, the window of ``at`` included.
            outcome = decide_on(
                state, actor, data, timing=time_of_app(app), attempts=pin_attempts_of_app(app)
            )
        except (ValueError, ValidationError, DomainError):
            # A bad body, or a refusal: the route renders the problem.
            return None
        return outcome, outcome_event(outcome, data)


async def _read_body(receive: Receive) -> tuple[list[Message], bytes | None]:
    """The messages read and the whole body, or ``None`` for the body when it is too long
    or the client went away (the app then reads on from where this stopped)."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > MAX_BODY:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(chunks)


def _replay(messages: list[Message], receive: Receive) -> Callable[[], Awaitable[Message]]:
    """A ``receive`` that gives the messages already read, then reads on."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
