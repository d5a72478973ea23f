"""CRC-16/ARC as DC-09 uses it (poly 0x8005 reflected = 0xA001, init 0, no final XOR)."""

from __future__ import annotations

_POLY = 0xA001


def _make_table() -> tuple[int, ...]:
    """The 256-entry lookup table: one entry per possible low byte of ``crc ^ byte``."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC of ``data``; pass a previous result as ``crc`` to continue it."""
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc
