"""Security headers on every HTTP response the app sends.

Pages, API answers, problems (404, 405, 422, 500), static files, ``/metrics``,
``/healthz`` and SCIM all pass through :class:`SecurityHeadersMiddleware`, the
outermost layer of the app. The Content-Security-Policy allows scripts, styles and
everything else only from stadsvakt's own origin, never inline, and no framing; a
response that sets its own policy (the API docs pages) keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stadsvakt.settings import SecuritySettings

#: Nothing inline and nothing from another origin; no plugins, no <base>, no framing.
#: ``img-src data:`` because stylesheets draw small icons as data: URLs.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def map_policy(tile_url: str) -> str:
    """The policy of the centre's map page: the strict one, with the tile server's origin
    (from ``centre.map_tile_url``) allowed as an image source and nothing else."""
    parts = urlsplit(tile_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return CONTENT_SECURITY_POLICY
    origin = f"{parts.scheme}://{parts.netloc}"
    if any(char in origin for char in " ;,'\"\n\r"):
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


CSP = b"content-security-policy"
HSTS = b"strict-transport-security"
_SECONDS_A_DAY = 86_400


def security_headers(security: SecuritySettings) -> list[tuple[bytes, bytes]]:
    """The headers every response gets, as ASGI name/value pairs.

    HSTS only while cookies are Secure: an installation on plain HTTP (``stadsvakt
    demo``, a laboratory) must not tell browsers to refuse plain HTTP for a year.
    """
    headers = [
        (CSP, CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        # Older browsers ignore frame-ancestors; they read this one.
        (b"x-frame-options", b"DENY"),
        # Not "no-referrer": that also turns a same-origin form's Origin header into
        # "null", which breaks checks of where a request came from.
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if security.cookie_secure and security.hsts_max_age_days > 0:
        max_age = security.hsts_max_age_days * _SECONDS_A_DAY
        headers.append((HSTS, f"max-age={max_age}".encode()))
    return headers


class SecurityHeadersMiddleware:
    """Adds :func:`security_headers` to every HTTP response, keeping any of them that
    the response already set itself."""

    def __init__(self, app: ASGIApp, *, headers: Iterable[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = tuple(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._added(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _added(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        headers.extend(pair for pair in self.headers if pair[0] not in present)
        return headers
