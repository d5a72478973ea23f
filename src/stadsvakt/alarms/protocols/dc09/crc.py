"""CRC-16/ARC as DC-09 uses it (poly 0x8005 reflected, init 0, no final XOR).

Computed by ``fastcrc`` (compiled): every frame in and every reply out needs one, and a
byte-at-a-time loop in Python was a noticeable share of a busy receiver's time.
"""

from __future__ import annotations

from fastcrc import crc16 as _crc16


def crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC of ``data``; pass a previous result as ``crc`` to continue it."""
    return _crc16.arc(data, crc)
