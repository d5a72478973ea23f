"""Test doubles for login throttling: a clock the test moves, and argon2 behind a gate."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher

from tests.waiting import DEADLINE_S


class FakeClock:
    """The time for login backoff: it moves only when the test says so."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        self.now += timedelta(seconds=seconds)


class GatedHasher:
    """Cheap argon2 whose checks wait at a gate until the test opens it, counting how many
    run at once and at what CPU priority."""

    def __init__(self) -> None:
        self._inner = PasswordHasher(time_cost=1, memory_cost=1024)
        self._lock = threading.Lock()
        self.gate = threading.Event()
        self.running = 0
        self.most = 0
        self.checked = 0
        self.niceness: set[int] = set()

    def hash(self, password: str) -> str:
        """Hash at once (making hashes is not what these tests hold back)."""
        return self._inner.hash(password)

    def verify(self, hash: str, password: str) -> bool:
        """Wait at the gate, then check."""
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.niceness.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        try:
            self.gate.wait(DEADLINE_S)
            return self._inner.verify(hash, password)
        finally:
            with self._lock:
                self.running -= 1
                self.checked += 1

    def check_needs_rehash(self, hash: str) -> bool:
        """As argon2 says."""
        return self._inner.check_needs_rehash(hash)
