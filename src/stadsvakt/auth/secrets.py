"""Tokens, TOTP and encryption of secrets at rest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets
from datetime import UTC, datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken

TOKEN_PREFIX = "svt_"


def new_token() -> tuple[str, str, str]:
    """A new API or session token: (full token shown once, short lookup prefix, sha256 hash)."""
    body = _secrets.token_urlsafe(32)
    token = f"{TOKEN_PREFIX}{body}"
    return token, token[: len(TOKEN_PREFIX) + 8], hash_token(token)


def hash_token(token: str) -> str:
    """The stored form of a token: tokens are long and random, so a plain SHA-256 is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def random_key(nbytes: int = 32) -> str:
    """A URL-safe random string (CSRF tokens, session cookies)."""
    return _secrets.token_urlsafe(nbytes)


class SecretBox:
    """Encrypts small secrets at rest (TOTP seeds, later device keys) with the installation key."""

    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"stadsvakt-secretbox:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, plaintext: str) -> str:
        """Encrypt and authenticate."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        """Decrypt; raises ValueError if the text was not sealed with this key."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("secret cannot be decrypted with this installation's key") from exc


def new_totp_secret() -> str:
    """A new base32 TOTP seed."""
    return pyotp.random_base32()


def totp_uri(secret: str, username: str, issuer: str = "stadsvakt") -> str:
    """The otpauth:// URI an authenticator app reads."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer))


def totp_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step a 6-digit code belongs to (now, or one step either side), or None.

    Returning the step lets the caller refuse a code that was already used.
    """
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    moment = now or datetime.now(UTC)
    current = int(totp.timecode(moment))
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
