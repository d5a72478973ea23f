"""Feed numbers the pusher passed over but has not seen yet.

On PostgreSQL a change's number is handed out before its transaction commits, so the
feed may show 41 and 43 while 42 is still being committed (or was rolled back and never
will be). The pusher notes such a gap and looks for it again at each poll for a while
(``delta_overlap_seconds``, the window deltas look back over too), so a revocation that
commits late still goes out as a command. Pure; on the event loop.
"""

from __future__ import annotations

from collections.abc import Iterable


class Gaps:
    """Missing feed numbers and when each was first missed (monotonic seconds)."""

    def __init__(self, keep_s: float) -> None:
        self._keep_s = keep_s
        self._since: dict[int, float] = {}

    def __len__(self) -> int:
        return len(self._since)

    def missed(self, seqs: Iterable[int], now: float) -> None:
        """These numbers were passed over at ``now``."""
        for seq in seqs:
            self._since.setdefault(seq, now)

    def found(self, seqs: Iterable[int]) -> None:
        """These numbers have been read."""
        for seq in seqs:
            self._since.pop(seq, None)

    def open(self, now: float) -> list[int]:
        """The numbers still worth looking for (older ones are given up: rolled back)."""
        for seq in [s for s, since in self._since.items() if now - since > self._keep_s]:
            del self._since[seq]
        return sorted(self._since)
