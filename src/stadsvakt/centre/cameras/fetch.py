"""Fetching camera snapshots: every camera at once, each held to a strict time and size.

A camera that hangs, refuses, answers an error or answers garbage gives a
:class:`Fetched` with the reason, never an exception and never a wait beyond the time
limit: :func:`fetch_all` returns within ``timeout_s`` (plus scheduling) however many
cameras misbehave. The time limit covers connecting *and* reading together
(``asyncio.timeout`` around the whole request), so a camera trickling one byte a
second is cut off like one that never answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import httpx

from stadsvakt.centre.cameras.images import NotAnImage, inspect

#: Reasons a snapshot has no picture (shown to the operator through the catalogue).
TIMEOUT = "timeout"
REFUSED = "refused"
HTTP_STATUS = "http_status"
NOT_IMAGE = "not_image"
TOO_LARGE = "too_large"
UNAUTHORISED = "unauthorised"
BAD_URL = "bad_url"
DISABLED = "disabled"
ERROR = "error"


@dataclass(frozen=True, slots=True)
class Target:
    """One camera to fetch (credentials already opened from their sealed form)."""

    key: str
    url: str
    auth: str = "none"
    username: str | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """What one camera gave: a picture, or the reason there is none."""

    key: str
    content: bytes | None = None
    content_type: str | None = None
    width: int | None = None
    height: int | None = None
    reason: str | None = None
    detail: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether a picture came."""
        return self.content is not None


class SnapshotSource(Protocol):
    """Fetches snapshots (HTTP here; a test or another kind of camera may plug in)."""

    async def fetch_all(self, targets: Sequence[Target]) -> list[Fetched]:
        """One result per target, in order, within the source's time limit."""
        ...


@dataclass(frozen=True, slots=True)
class HttpSnapshots:
    """Snapshots over HTTP(S) GET, each limited to ``timeout_s`` and ``max_bytes``."""

    timeout_s: float
    max_bytes: int
    transport: httpx.AsyncBaseTransport | None = None

    async def fetch_all(self, targets: Sequence[Target]) -> list[Fetched]:
        """Every target at once; returns when all have answered or run out of time."""
        if not targets:
            return []
        limit = httpx.Timeout(self.timeout_s)
        async with httpx.AsyncClient(
            timeout=limit, follow_redirects=False, transport=self.transport
        ) as client:
            return list(await asyncio.gather(*(self._one(client, t) for t in targets)))

    async def _one(self, client: httpx.AsyncClient, target: Target) -> Fetched:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout_s):
                result = await self._get(client, target)
        except (TimeoutError, httpx.TimeoutException):
            result = Fetched(
                target.key, reason=TIMEOUT, detail=f"no answer in {self.timeout_s:g} s"
            )
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            result = Fetched(target.key, reason=REFUSED, detail=_short(exc))
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            result = Fetched(target.key, reason=BAD_URL, detail=_short(exc))
        except httpx.HTTPError as exc:
            result = Fetched(target.key, reason=ERROR, detail=_short(exc))
        except Exception as exc:  # noqa: BLE001 - one odd camera must not fail the others
            result = Fetched(target.key, reason=ERROR, detail=_short(exc))
        return replace(result, seconds=round(time.monotonic() - started, 3))

    async def _get(self, client: httpx.AsyncClient, target: Target) -> Fetched:
        auth: httpx.Auth | None = None
        if target.auth != "none" and target.username is not None:
            password = target.password or ""
            auth = (
                httpx.DigestAuth(target.username, password)
                if target.auth == "digest"
                else httpx.BasicAuth(target.username, password)
            )
        headers = {"Accept": "image/jpeg, image/png, image/*;q=0.8"}
        async with client.stream("GET", target.url, auth=auth, headers=headers) as response:
            if response.status_code in (401, 403):
                return Fetched(
                    target.key, reason=UNAUTHORISED, detail=f"HTTP {response.status_code}"
                )
            if response.status_code != 200:
                return Fetched(
                    target.key, reason=HTTP_STATUS, detail=f"HTTP {response.status_code}"
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                return Fetched(target.key, reason=TOO_LARGE, detail=f"{declared} bytes")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    return Fetched(
                        target.key, reason=TOO_LARGE, detail=f"over {self.max_bytes} bytes"
                    )
        data = bytes(body)
        try:
            info = inspect(data)
        except NotAnImage as exc:
            return Fetched(target.key, reason=NOT_IMAGE, detail=str(exc))
        return Fetched(
            target.key,
            content=data,
            content_type=info.content_type,
            width=info.width,
            height=info.height,
        )


def _short(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__)[:300]
