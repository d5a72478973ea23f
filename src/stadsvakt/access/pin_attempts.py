"""The wrong-PIN count a caller of ``decide()`` keeps (``decide()`` itself is pure).

After :data:`LIMIT` wrong PINs within :data:`WINDOW_SECONDS` a holder is locked out
(``pin_locked_out``) at every PIN door of the municipality until the oldest of those
failures is older than the window; a granted decision at a PIN door forgets their count.
The centre's decision endpoint keeps one per process; an edge agent keeps its own. Only
times are kept, never a PIN.
"""

from __future__ import annotations

import uuid
from collections import deque

from stadsvakt.access.decide import Decision, Reason

#: Wrong PINs that lock a holder out.
LIMIT = 5
#: How long a wrong PIN counts, in seconds.
WINDOW_SECONDS = 900.0
#: Holders counted before stale counts are dropped (bounds the memory an attacker can use).
_PRUNE_AT = 100_000


class PinAttempts:
    """Wrong PINs per holder (by municipality and person), with their times."""

    def __init__(self, limit: int = LIMIT, window_seconds: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window_seconds
        self._failures: dict[tuple[uuid.UUID, uuid.UUID], deque[float]] = {}

    def locked_out(self, tenant_id: uuid.UUID, person_id: uuid.UUID, ts: float) -> bool:
        """Whether the holder typed :attr:`limit` wrong PINs within the window before ``ts``."""
        times = self._failures.get((tenant_id, person_id))
        if times is None or len(times) < self.limit:
            return False
        return ts - times[0] < self.window

    def record(self, tenant_id: uuid.UUID, decision: Decision, ts: float) -> None:
        """Count a ``pin_wrong`` answer; forget the holder's count after a PIN door granted."""
        person_id = decision.person_id
        if person_id is None or not self._failures:
            if decision.reason is not Reason.PIN_WRONG or person_id is None:
                return
        key = (tenant_id, person_id)
        if decision.reason is Reason.PIN_WRONG:
            if len(self._failures) >= _PRUNE_AT:
                self._prune(ts)
            self._failures.setdefault(key, deque(maxlen=self.limit)).append(ts)
        elif decision.granted:
            self._failures.pop(key, None)

    def _prune(self, ts: float) -> None:
        stale = [k for k, times in self._failures.items() if ts - times[-1] >= self.window]
        for key in stale:
            del self._failures[key]
