"""CRC-16/ARC: the check value, published frames, and the table against a bitwise reference."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.alarms.protocols.dc09.crc import crc16


def bitwise_crc16(data: bytes) -> int:
    """The textbook bit-at-a-time CRC-16/ARC, as DC-09's annex describes it."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def test_check_value() -> None:
    assert crc16(b"123456789") == 0xBB3D


def test_empty_input_is_zero() -> None:
    assert crc16(b"") == 0


def test_published_null_frame() -> None:
    # From a PROSEC panel, quoted in a public receiver's source.
    assert crc16(b'"NULL"0000L000#0809[]_21:00:01,02-20-2024') == 0xB097


@given(st.binary(max_size=512))
def test_crc_equals_bitwise_reference(data: bytes) -> None:
    assert crc16(data) == bitwise_crc16(data)


@given(st.binary(max_size=128), st.binary(max_size=128))
def test_crc_continues_over_chunks(head: bytes, tail: bytes) -> None:
    assert crc16(tail, crc16(head)) == crc16(head + tail)
