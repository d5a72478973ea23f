"""A camera simulator: snapshots drawn on the fly, and cameras that misbehave on purpose.

``create_app()`` is a small ASGI app (Starlette) for the demo and the tests:

* ``/cameras/{name}/snapshot.png`` – a PNG with the camera's name and the time (UTC),
  drawn with a tiny built-in font (no Pillow), a colour of its own per camera;
* ``/cameras/{name}/private.png`` – the same behind HTTP basic auth (``demo``/``demo``);
* ``/cameras/{name}/hang`` – never answers (until the client gives up);
* ``/cameras/{name}/slow`` – trickles a picture one small piece per half second;
* ``/cameras/{name}/garbage`` – answers 200 ``image/jpeg`` with bytes that are no picture;
* ``/cameras/{name}/huge`` – streams an endless "picture" with no length given;
* ``/cameras/{name}/broken`` – answers 500.

An ONVIF camera's own snapshot URL is found with the Media service's
``GetSnapshotUri`` (see docs/centre.md); the simulator stands in for that URL.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

WIDTH, HEIGHT = 320, 180
#: How long ``/hang`` holds a request at most (a client normally gives up long before).
HANG_LIMIT_S = 120.0
#: The basic-auth login of ``private.png``.
PRIVATE_LOGIN = ("demo", "demo")

# A 3×5 font: each glyph is five rows of three bits.
# fmt: off
_FONT: dict[str, str] = {
    "A": "010101111101101", "B": "110101110101110", "C": "011100100100011",
    "D": "110101101101110", "E": "111100110100111", "F": "111100110100100",
    "G": "011100101101011", "H": "101101111101101", "I": "111010010010111",
    "J": "001001001101010", "K": "101101110101101", "L": "100100100100111",
    "M": "101111111101101", "N": "110101101101101", "O": "010101101101010",
    "P": "110101110100100", "Q": "010101101110011", "R": "110101110101101",
    "S": "011100010001110", "T": "111010010010010", "U": "101101101101111",
    "V": "101101101101010", "W": "101101111111101", "X": "101101010101101",
    "Y": "101101010010010", "Z": "111001010100111", "Å": "010000010101111",
    "Ä": "101000010101111", "Ö": "101000010101010",
    "0": "111101101101111", "1": "010110010010111", "2": "110001010100111",
    "3": "110001010001110", "4": "101101111001001", "5": "111100110001110",
    "6": "011100111101111", "7": "111001010010010", "8": "111101111101111",
    "9": "111101111001110", ":": "000010000010000", "-": "000000111000000",
    ".": "000000000000010", " ": "000000000000000", "/": "001001010100100",
}
# fmt: on


def _colour(name: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(name.encode()).digest()
    return 40 + digest[0] % 80, 40 + digest[1] % 80, 40 + digest[2] % 80


def _draw(text: str, rows: list[bytearray], x: int, y: int, scale: int) -> None:
    for glyph in text.upper():
        bits = _FONT.get(glyph, _FONT[" "])
        for row in range(5):
            for col in range(3):
                if bits[row * 3 + col] == "1":
                    for dy in range(scale):
                        line = rows[y + row * scale + dy]
                        for dx in range(scale):
                            at = (x + col * scale + dx) * 3
                            if 0 <= at < len(line) - 2:
                                line[at : at + 3] = b"\xff\xff\xff"
        x += 4 * scale


def png(name: str, when: datetime | None = None) -> bytes:
    """A PNG picture showing ``name`` and the time (UTC) on a colour of the camera's own."""
    moment = (when or datetime.now(UTC)).astimezone(UTC)
    red, green, blue = _colour(name)
    rows = [bytearray(bytes((red, green, blue)) * WIDTH) for _ in range(HEIGHT)]
    for x in range(WIDTH):  # a moving bar, so successive pictures differ
        if (x + moment.second * 5) % 64 < 4:
            for y in range(HEIGHT - 20, HEIGHT):
                rows[y][x * 3 : x * 3 + 3] = b"\xc0\xc0\xc0"
    _draw(name[:24], rows, 10, 20, 4)
    _draw(moment.strftime("%Y-%m-%d"), rows, 10, 70, 4)
    _draw(moment.strftime("%H:%M:%S UTC"), rows, 10, 100, 4)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _picture(name: str) -> Response:
    return Response(png(name), media_type="image/png", headers={"Cache-Control": "no-store"})


async def snapshot(request: Request) -> Response:
    """The camera's current picture."""
    return _picture(request.path_params["name"])


async def private(request: Request) -> Response:
    """The picture, for HTTP basic auth ``demo``/``demo`` only."""
    expected = "Basic " + base64.b64encode(":".join(PRIVATE_LOGIN).encode()).decode()
    if request.headers.get("authorization") != expected:
        return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="camera"'})
    return _picture(request.path_params["name"])


async def hang(request: Request) -> Response:
    """Never answers; gives up only when the client has left (or after a long while)."""
    waited = 0.0
    while waited < HANG_LIMIT_S and not await request.is_disconnected():
        await asyncio.sleep(0.05)
        waited += 0.05
    return Response(status_code=504)


async def slow(request: Request) -> StreamingResponse:
    """A picture trickled a few bytes at a time, far slower than any time limit."""
    picture = png(request.path_params["name"])

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(picture), 64):
            yield picture[start : start + 64]
            await asyncio.sleep(0.5)

    return StreamingResponse(pieces(), media_type="image/png")


async def garbage(request: Request) -> Response:
    """200 and an image type, but the body is no picture."""
    body = b"<html><body>Camera login required</body></html>" + bytes(range(256)) * 4
    return Response(body, media_type="image/jpeg")


async def huge(request: Request) -> StreamingResponse:
    """An endless body claiming to be a PNG, with no length given."""

    async def endless() -> AsyncIterator[bytes]:
        yield b"\x89PNG\r\n\x1a\n"
        block = bytes(65536)
        for _ in range(100_000):
            yield block

    return StreamingResponse(endless(), media_type="image/png")


async def broken(request: Request) -> Response:
    """The camera's web server fails."""
    return Response("internal error", status_code=500, media_type="text/plain")


def create_app() -> Starlette:
    """The simulator as an ASGI app (mount it anywhere, or serve it on a port of its own)."""
    return Starlette(
        routes=[
            Route("/cameras/{name}/snapshot.png", snapshot),
            Route("/cameras/{name}/private.png", private),
            Route("/cameras/{name}/hang", hang),
            Route("/cameras/{name}/slow", slow),
            Route("/cameras/{name}/garbage", garbage),
            Route("/cameras/{name}/huge", huge),
            Route("/cameras/{name}/broken", broken),
        ]
    )
