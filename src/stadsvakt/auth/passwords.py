"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from stadsvakt.settings import SecuritySettings

MIN_LENGTH = 12


class Passwords:
    """Hashes and checks passwords with the configured argon2id cost."""

    def __init__(self, settings: SecuritySettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
        )
        # A hash to verify against when the user does not exist, so timing reveals nothing.
        self._dummy = self._hasher.hash("stadsvakt-no-such-user")

    def hash(self, password: str) -> str:
        """Hash a new password."""
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether the password matches the stored hash (a missing hash never matches)."""
        try:
            self._hasher.verify(stored or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return stored is not None

    def needs_rehash(self, stored: str) -> bool:
        """Whether the stored hash uses weaker parameters than configured."""
        return self._hasher.check_needs_rehash(stored)


def password_problem(password: str) -> str | None:
    """Why a new password is too weak, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > 256:
        return "must be at most 256 characters"
    if len(set(password)) < 5:
        return "must use at least 5 different characters"
    return None
