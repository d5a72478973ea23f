"""Incremental framing for stream transports: one ``read()`` is not one frame.

DC-09 frames start with LF (0x0A) and end with CR (0x0D). TCP may deliver several
frames in one segment, or one frame over many; bytes outside a frame are noise.
:class:`FrameBuffer` turns arbitrary chunks into whole frames with bounded memory.
"""

from __future__ import annotations

LF = 0x0A
CR = 0x0D

#: The length field allows 0xFFF bytes of content; with LF, CRC, length and CR the
#: largest valid frame is 4,106 bytes. Real frames are far smaller; receivers may
#: choose a lower bound.
MAX_VALID_FRAME = 1 + 4 + 4 + 0xFFF + 1
DEFAULT_MAX_FRAME = MAX_VALID_FRAME

# Some panels send the CRC as two binary bytes right after LF (see message.py); those
# bytes may be 0x0A or 0x0D, so delimiters are only looked for after them.
_DELIMITER_SEARCH_START = 3


class FrameBuffer:
    """Reassembles LF … CR frames from a byte stream; pure, no I/O.

    Noise before an LF is discarded and counted in :attr:`garbage_bytes`. A frame
    longer than ``max_frame`` is dropped and counted in :attr:`oversized_frames`;
    the buffer then resynchronises on the next LF, so memory stays bounded by
    ``max_frame`` whatever the peer sends.
    """

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        if max_frame < 4:
            raise ValueError("max_frame must be at least 4 bytes")
        self.max_frame = max_frame
        self.garbage_bytes = 0
        self.oversized_frames = 0
        self._buf = bytearray()
        self._in_frame = False  # whether _buf starts with the LF of a frame
        self._skipping = False  # inside an oversized frame: drop until the next LF

    @property
    def pending(self) -> int:
        """Bytes held for an incomplete frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the frames they complete, each from LF to CR."""
        frames: list[bytes] = []
        buf = self._buf
        buf += data
        pos = 0  # scan with an index and trim once: a segment may hold many frames
        size = len(buf)
        while pos < size:
            if not self._in_frame:
                start = buf.find(LF, pos)
                if start < 0:
                    self._drop(size - pos)
                    pos = size
                    break
                self._drop(start - pos)
                pos = start
                self._skipping = False
                self._in_frame = True
            end = buf.find(CR, pos + _DELIMITER_SEARCH_START)
            restart = buf.find(LF, pos + _DELIMITER_SEARCH_START)
            if restart >= 0 and (end < 0 or restart < end):
                # A new LF before this frame's CR: the partial frame was noise.
                self._drop(restart - pos)
                pos = restart
                continue
            if end < 0:
                if size - pos > self.max_frame:
                    self.oversized_frames += 1
                    self._skipping = True
                    self._in_frame = False
                    pos = size
                break
            if end + 1 - pos > self.max_frame:
                self.oversized_frames += 1
            else:
                frames.append(bytes(buf[pos : end + 1]))
            pos = end + 1
            self._in_frame = False
        del buf[:pos]
        return frames

    def _drop(self, count: int) -> None:
        """Count ``count`` skipped bytes as noise, unless they belong to an oversized frame."""
        if not self._skipping:
            self.garbage_bytes += count
