"""Is a camera's answer a picture? Read from its first bytes, without decoding it.

A camera that answers an error page, a login form or random bytes must show "no
picture", never a broken image: the header says the format (its magic bytes) and the
picture's size (PNG's IHDR, JPEG's start-of-frame, GIF's screen, WebP's VP8 headers).
A header claiming an absurd size is refused too.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

#: The largest side a snapshot may claim (a 16K camera is 15360 wide).
MAX_SIDE = 20_000


class NotAnImage(ValueError):
    """The bytes are no picture stadsvakt shows."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What a picture's header says."""

    content_type: str
    width: int
    height: int


def inspect(data: bytes) -> ImageInfo:
    """The type and size of a PNG, JPEG, GIF or WebP picture; :class:`NotAnImage` if not."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        info = _png(data)
    elif data.startswith(b"\xff\xd8\xff"):
        info = _jpeg(data)
    elif data[:6] in (b"GIF87a", b"GIF89a"):
        info = _gif(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        info = _webp(data)
    else:
        raise NotAnImage("the answer is not a PNG, JPEG, GIF or WebP picture")
    if not (0 < info.width <= MAX_SIDE and 0 < info.height <= MAX_SIDE):
        raise NotAnImage(f"the picture claims an impossible size {info.width}×{info.height}")
    return info


def _png(data: bytes) -> ImageInfo:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise NotAnImage("a PNG without its header chunk")
    width, height = struct.unpack(">II", data[16:24])
    if not data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82"):
        raise NotAnImage("a PNG cut short (no end chunk)")
    return ImageInfo("image/png", width, height)


#: JPEG start-of-frame markers (baseline, progressive, lossless …), not DHT/JPG/DAC.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data: bytes) -> ImageInfo:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            raise NotAnImage("a JPEG whose segments do not follow each other")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if length < 2:
            raise NotAnImage("a JPEG segment of impossible length")
        if marker in _SOF:
            if at + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return ImageInfo("image/jpeg", width, height)
        if marker == 0xDA:  # start of scan before any frame header
            break
        at += 2 + length
    raise NotAnImage("a JPEG without a frame header")


def _gif(data: bytes) -> ImageInfo:
    if len(data) < 10:
        raise NotAnImage("a GIF cut short")
    width, height = struct.unpack("<HH", data[6:10])
    return ImageInfo("image/gif", width, height)


def _webp(data: bytes) -> ImageInfo:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
    elif chunk == b"VP8 " and len(data) >= 30:
        width, height = (v & 0x3FFF for v in struct.unpack("<HH", data[26:30]))
    elif chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    else:
        raise NotAnImage("a WebP without a known header")
    return ImageInfo("image/webp", width, height)
