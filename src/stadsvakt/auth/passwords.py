"""Password hashing with argon2id, in a bounded pool of low-priority threads.

argon2id is expensive on purpose: each hash or check takes tens of milliseconds of CPU
(on up to four threads) and 64 MiB. Run on each request's own thread, eight bogus
logins at once took the cores from the alarm receivers (the DC-09 ACK median went from
3.3 ms to 49.7 ms). So every hash and check runs in :class:`HashPool`: at most
``password_hash_workers`` at once per process, in threads whose CPU priority (nice
value) is lowered so a receiver wins every contest for a core, with at most
``password_hash_queue`` more callers waiting. Anyone beyond that gets
:class:`HashingBusy` (503 with ``Retry-After``) at once instead of piling up.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from stadsvakt.errors import DomainError
from stadsvakt.settings import SecuritySettings

MIN_LENGTH = 12
#: How much lower than the process the hashing threads run (argon2's own threads, started
#: from them, inherit it): receivers and requests go first when the cores are busy.
NICENESS = 10
#: A caller gives up on a hash that has not finished in this time (a stuck pool).
WAIT_SECONDS = 60.0

T = TypeVar("T")


class Hasher(Protocol):
    """What :class:`Passwords` needs of argon2's ``PasswordHasher`` (tests wrap one)."""

    def hash(self, password: str) -> str:
        """Hash a password with a fresh salt."""
        ...

    def verify(self, hash: str, password: str) -> bool:
        """True when the password matches; raises an argon2 error otherwise."""
        ...

    def check_needs_rehash(self, hash: str) -> bool:
        """Whether the hash uses weaker parameters than this hasher's."""
        ...


class HashingBusy(DomainError):
    """Every hashing thread is busy and the queue is full: try again in a moment."""

    code = "busy"
    title = "Busy"
    status = 503

    def headers(self) -> dict[str, str]:
        """``Retry-After``: a hash takes a fraction of a second, so a second is plenty."""
        return {"Retry-After": "1"}


def _busy() -> HashingBusy:
    return HashingBusy("too many passwords are being checked now; try again in a second")


def _lower_priority() -> None:
    """Lower the calling thread's CPU priority (a pool thread, as it starts)."""
    try:
        # On Linux the nice value belongs to a thread, so this leaves the rest alone.
        tid = threading.get_native_id()
        niceness = os.getpriority(os.PRIO_PROCESS, tid) + NICENESS
        os.setpriority(os.PRIO_PROCESS, tid, min(19, niceness))
    except (AttributeError, OSError):
        pass  # no per-thread priority on this platform: the bound on threads still holds


class HashPool:
    """Runs hashing work in ``workers`` low-priority threads, with ``queue`` callers waiting."""

    def __init__(self, workers: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="argon2", initializer=_lower_priority
        )
        self._capacity = workers + queue
        self._places = threading.BoundedSemaphore(self._capacity)
        self._count_lock = threading.Lock()
        self._in_use = 0

    @property
    def in_use(self) -> int:
        """Callers inside the pool now: hashing, or waiting for a thread."""
        return self._in_use

    def refuse_when_full(self) -> None:
        """Raise HashingBusy now if no place is free (a cheap early answer; :meth:`run`
        decides for certain)."""
        if self._in_use >= self._capacity:
            raise _busy()

    def run(self, work: Callable[..., T], *args: str | None) -> T:
        """Run ``work(*args)`` in the pool and return its result; HashingBusy when full."""
        if not self._places.acquire(blocking=False):
            raise _busy()
        with self._count_lock:
            self._in_use += 1
        try:
            future = self._executor.submit(work, *args)
            try:
                return future.result(timeout=WAIT_SECONDS)
            except TimeoutError as exc:
                future.cancel()
                raise HashingBusy("checking the password took too long; try again") from exc
        finally:
            with self._count_lock:
                self._in_use -= 1
            self._places.release()


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """The outcome of checking a password: whether it matched, and a stronger hash of it
    when the stored one used weaker parameters than configured."""

    ok: bool
    new_hash: str | None = None


class Passwords:
    """Hashes and checks passwords with the configured argon2id cost, in a bounded pool."""

    def __init__(self, settings: SecuritySettings, hasher: Hasher | None = None) -> None:
        self._hasher: Hasher = hasher or PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
        )
        self.pool = HashPool(settings.password_hash_workers, settings.password_hash_queue)
        # A hash to verify against when the user does not exist, so timing reveals nothing.
        # Made once at start-up, outside the pool.
        self._dummy = self._hasher.hash("stadsvakt-no-such-user")

    def hash(self, password: str) -> str:
        """Hash a new password (or PIN)."""
        return self.pool.run(self._hasher.hash, password)

    def check(self, stored: str | None, password: str) -> PasswordCheck:
        """Check a password against its stored hash (a missing hash never matches, but
        costs the same time)."""
        return self.pool.run(self._check, stored, password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether the password matches the stored hash."""
        return self.check(stored, password).ok

    def _check(self, stored: str | None, password: str) -> PasswordCheck:
        try:
            self._hasher.verify(stored or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return PasswordCheck(ok=False)
        if stored is None:
            return PasswordCheck(ok=False)
        if self._hasher.check_needs_rehash(stored):
            return PasswordCheck(ok=True, new_hash=self._hasher.hash(password))
        return PasswordCheck(ok=True)


def password_problem(password: str) -> str | None:
    """Why a new password is too weak, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > 256:
        return "must be at most 256 characters"
    if len(set(password)) < 5:
        return "must use at least 5 different characters"
    return None
