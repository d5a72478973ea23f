"""ASGI middleware: a request id on every request and response, set as audit context."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stadsvakt.api.problems import internal_error
from stadsvakt.context import acting_as, new_request_id

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEADER = b"x-request-id"


class RequestIdMiddleware:
    """Takes a well-formed incoming ``X-Request-ID`` or makes one, and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(HEADER, b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else new_request_id()

        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((HEADER, request_id.encode()))
                message["headers"] = headers
            await send(message)

        with acting_as(None, request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                # Answer here, where the request id is known, so even a 500 carries it;
                # Starlette's outer error middleware still logs the exception.
                if scope["type"] == "http" and not started:
                    response = internal_error(Request(scope))
                    await response(scope, receive, send_with_id)
                raise
