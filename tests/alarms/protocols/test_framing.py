"""FrameBuffer: LF…CR frames out of an arbitrary byte stream."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.alarms.protocols.dc09.framing import FrameBuffer

A = b'\nB0970029"NULL"0000L000#0809[]_21:00:01,02-20-2024\r'
B = b'\nF68B003B"ADM-CID"0028L0#9757[#9757|1602 00 000]_20:59:45,02-20-2024\r'


def test_several_frames_in_one_segment() -> None:
    assert FrameBuffer().feed(A + B + A) == [A, B, A]


def test_one_frame_split_over_many_segments() -> None:
    buffer = FrameBuffer()
    out = [frame for byte in B for frame in buffer.feed(bytes([byte]))]
    assert out == [B]
    assert buffer.pending == 0


def test_garbage_before_lf_is_discarded_and_counted() -> None:
    buffer = FrameBuffer()
    assert buffer.feed(b"GET / HTTP/1.1\r" + A) == [A]
    assert buffer.garbage_bytes == len(b"GET / HTTP/1.1\r")


def test_lf_inside_a_partial_frame_restarts_it() -> None:
    buffer = FrameBuffer()
    assert buffer.feed(b"\n1234broken" + A) == [A]
    assert buffer.garbage_bytes == len(b"\n1234broken")


def test_oversized_frame_is_dropped_and_stream_resyncs() -> None:
    buffer = FrameBuffer(max_frame=len(A))
    assert buffer.feed(b"\n" + b"X" * 200) == []
    assert buffer.pending == 0  # memory stays bounded while the flood goes on
    assert buffer.feed(b"Y" * 500) == []
    assert buffer.feed(b"Z\r" + A) == [A]
    assert buffer.oversized_frames == 1
    assert buffer.garbage_bytes == 0  # the flood counts as one oversize, not noise


def test_oversized_complete_frame_in_one_segment() -> None:
    buffer = FrameBuffer(max_frame=len(A))
    assert buffer.feed(B + A) == [A]
    assert buffer.oversized_frames == 1


def test_binary_crc_bytes_may_be_cr_or_lf() -> None:
    # Panels sending a binary CRC can produce 0x0D/0x0A right after the LF.
    frame = b"\n\r\n002A" + b"x" * 42 + b"\r"
    assert FrameBuffer().feed(frame) == [frame]


@given(
    st.lists(st.sampled_from([A, B]), max_size=6),
    st.lists(st.integers(min_value=0, max_value=400), max_size=10),
)
def test_any_split_of_a_stream_reassembles(frames: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(frames)
    points = sorted({min(cut, len(stream)) for cut in cuts})
    pieces = [stream[i:j] for i, j in zip([0, *points], [*points, len(stream)], strict=True)]
    buffer = FrameBuffer()
    assert [frame for piece in pieces for frame in buffer.feed(piece)] == frames


@given(st.lists(st.binary(max_size=300), max_size=20), st.integers(min_value=4, max_value=200))
def test_arbitrary_bytes_give_only_bounded_lf_cr_frames(chunks: list[bytes], limit: int) -> None:
    buffer = FrameBuffer(max_frame=limit)
    for chunk in chunks:
        for frame in buffer.feed(chunk):
            assert frame[:1] == b"\n" and frame[-1:] == b"\r"
            assert len(frame) <= limit
        assert buffer.pending <= limit  # memory bounded whatever arrives
