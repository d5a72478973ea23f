"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint is one JSON line: the chain head (last sequence number and hash) at a
moment, signed with the installation's Ed25519 key::

    {"at":"2026-12-03T10:15:00Z","hash":"9c1f…","key":"4b2a…","seq":1042,"sig":"…","v":1}

It is appended to a file opened ``O_APPEND`` (and/or sent to syslog), a place the
database's users cannot rewrite. Anyone holding only the public key can check a line,
and ``stadsvakt audit verify --checkpoints FILE`` proves that the chain still extends
every checkpoint: a row deleted below one, or a chain rewritten even with the HMAC key,
no longer matches what was signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import syslog
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.audit.chain import (
    GENESIS_HASH,
    Anchor,
    ChainBreak,
    ChainHead,
    canonical_json,
    head_mac,
    keyed_row_hash,
)
from stadsvakt.audit.keys import keyring_of
from stadsvakt.audit.models import AuditEntry
from stadsvakt.audit.service import chain_row, seal, stored_head
from stadsvakt.errors import DomainError
from stadsvakt.settings import AuditSettings

#: The version of the line format, inside every signed line.
FORMAT_VERSION = 1
#: The syslog ident checkpoints are sent under.
SYSLOG_IDENT = "stadsvakt-audit"
#: A checkpoint line is small; anything longer is not one (and is not parsed).
MAX_LINE_CHARS = 1024


class CheckpointRefused(DomainError):
    """The head cannot be vouched for: it does not match its row or its MAC."""

    code = "audit_checkpoint_refused"
    title = "Checkpoint refused"
    status = 409


class CheckpointNotWritten(DomainError):
    """No destination is configured, or writing to it failed."""

    code = "audit_checkpoint_not_written"
    title = "Checkpoint not written"
    status = 503


class BadPublicKey(DomainError):
    """A public key given to check checkpoints with is not an Ed25519 key in base64."""

    code = "audit_bad_public_key"
    title = "Bad public key"
    status = 422


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def public_key_id(public: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_text(public: Ed25519PublicKey) -> str:
    """The public key as base64 of its 32 raw bytes (how settings and --public-key take it)."""
    return _b64(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


def load_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from base64 of its 32 raw bytes."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise BadPublicKey(
            f"public key {text[:60]!r}: must be base64 of a 32-byte Ed25519 public key"
        ) from exc


def signing_key(audit: AuditSettings) -> Ed25519PrivateKey:
    """The Ed25519 private key of the settings (validated there as base64 of 32 bytes)."""
    seed = base64.b64decode(audit.signing_key.get_secret_value(), validate=True)
    return Ed25519PrivateKey.from_private_bytes(seed)


def trusted_keys(
    audit: AuditSettings, extra: Iterable[str] = (), *, only_extra: bool = False
) -> dict[str, Ed25519PublicKey]:
    """The public keys whose checkpoints are believed, by key id.

    By default the configured signing key's public half and ``checkpoint_public_keys``
    (earlier signing keys); ``only_extra``: just the keys given (an auditor holding only
    the public key trusts nothing from a settings file it did not write).
    """
    keys = [load_public_key(text) for text in extra]
    if not only_extra:
        keys.append(signing_key(audit).public_key())
        keys.extend(load_public_key(text) for text in audit.checkpoint_public_keys)
    return {public_key_id(key): key for key in keys}


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed statement: the chain's row ``seq`` had ``hash`` at ``at``."""

    seq: int
    hash: str
    at: str
    key: str
    sig: str

    def signed_bytes(self) -> bytes:
        """What the signature covers: every field but the signature, canonically."""
        fields = {"v": FORMAT_VERSION, "seq": self.seq, "hash": self.hash, "at": self.at}
        return canonical_json({**fields, "key": self.key}).encode()

    def line(self) -> str:
        """The JSON line that is appended (no newline)."""
        return canonical_json(
            {
                "v": FORMAT_VERSION,
                "seq": self.seq,
                "hash": self.hash,
                "at": self.at,
                "key": self.key,
                "sig": self.sig,
            }
        )

    @classmethod
    def sign(cls, seq: int, hash_: str, at: datetime, private: Ed25519PrivateKey) -> Checkpoint:
        """A checkpoint of row ``seq`` with ``hash_`` at ``at``, signed by ``private``."""
        stamp = at.isoformat(timespec="seconds").replace("+00:00", "Z")
        unsigned = cls(seq, hash_, stamp, public_key_id(private.public_key()), "")
        signature = private.sign(unsigned.signed_bytes())
        return cls(seq, hash_, stamp, unsigned.key, _b64(signature))

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """A checkpoint from one line; a syslog prefix before the JSON is skipped.

        Raises ``ValueError`` naming what is wrong.
        """
        if len(text) > MAX_LINE_CHARS:
            raise ValueError(f"longer than {MAX_LINE_CHARS} characters")
        start = text.find("{")
        if start < 0:
            raise ValueError("no JSON object")
        try:
            data: Any = json.loads(text[start:])
        except ValueError as exc:
            raise ValueError(f"not JSON ({exc.args[0]})") from exc
        if not isinstance(data, dict) or data.get("v") != FORMAT_VERSION:
            raise ValueError(f"not a version {FORMAT_VERSION} checkpoint")
        if set(data) != {"v", "seq", "hash", "at", "key", "sig"}:
            raise ValueError("unexpected or missing fields")
        seq = data["seq"]
        if type(seq) is not int or seq < 0:
            raise ValueError("seq must be a whole number of at least 0")
        hash_, at, key, sig = (_text(data, name) for name in ("hash", "at", "key", "sig"))
        return cls(seq, hash_, at, key, sig)

    def check(self, trusted: Mapping[str, Ed25519PublicKey]) -> str | None:
        """Why the signature does not hold (unknown key, bad signature), or None."""
        public = trusted.get(self.key)
        if public is None:
            return f"is signed by key {self.key}, which is not trusted"
        try:
            public.verify(base64.b64decode(self.sig, validate=True), self.signed_bytes())
        except (binascii.Error, ValueError, InvalidSignature):
            return f"has a bad signature (row {self.seq}, key {self.key})"
        return None


def _text(data: dict[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not value or not value.isascii():
        raise ValueError(f"{name} must be a non-empty ASCII string")
    return value


# -- taking a checkpoint ------------------------------------------------------------------


def take_checkpoint(session: Session, *, private: Ed25519PrivateKey, now: datetime) -> Checkpoint:
    """Seal the chain with the current key if needed, check its head, and sign it.

    A head that does not match its last row, or whose MAC does not hold, is refused: a
    checkpoint must never vouch for a chain someone cut back or rewrote by hand.
    """
    seal(session)
    try:
        head = _vouched_head(session)
    except (ValueError, TypeError) as exc:  # values SQLite kept that are not their type
        raise CheckpointRefused(
            f"the chain head or its row cannot be read ({exc}):"
            " run `stadsvakt audit verify` to see what changed"
        ) from exc
    return Checkpoint.sign(head.seq, head.hash, now, private)


def _vouched_head(session: Session) -> ChainHead:
    """The stored head, once its last row and its MAC hold (CheckpointRefused if not)."""
    head = stored_head(session)
    if head.seq == 0:
        return ChainHead(0, GENESIS_HASH)
    keyring = keyring_of(session)
    last = session.scalar(select(AuditEntry).where(AuditEntry.seq == head.seq))
    key = keyring.get(head.key_id) if head.key_id else None
    if last is None or key is None or last.hash != head.hash or last.key_id != head.key_id:
        raise CheckpointRefused(
            f"the chain head (row {head.seq}) does not match its row:"
            " run `stadsvakt audit verify` to see what changed"
        )
    row_holds = keyed_row_hash(chain_row(last), key) == last.hash
    mac_holds = head.mac == head_mac(key, head.seq, head.hash, head.key_id)
    if not (row_holds and mac_holds):
        raise CheckpointRefused(
            f"the chain head (row {head.seq}) was set outside stadsvakt:"
            " run `stadsvakt audit verify` to see what changed"
        )
    return head


class CheckpointSink(Protocol):
    """Somewhere a checkpoint line can be appended and never rewritten by stadsvakt."""

    def write(self, line: str) -> None:
        """Append one line; raise ``OSError`` when it cannot."""
        ...

    def describe(self) -> str:
        """Where the lines go, for the console."""
        ...


@dataclass(frozen=True, slots=True)
class FileSink:
    """Appends lines to a file opened ``O_APPEND`` (each line one write, then fsync).

    With ``O_APPEND`` every write lands at the end whoever else writes, and the process
    never seeks back; mark the file append-only (``chattr +a``) or ship it elsewhere so
    that stadsvakt's own account cannot rewrite it either.
    """

    path: Path

    def write(self, line: str) -> None:
        """Append ``line`` and a newline, durably."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def describe(self) -> str:
        """The file's path."""
        return str(self.path)


def _to_syslog(line: str) -> None:
    syslog.openlog(SYSLOG_IDENT, syslog.LOG_PID, syslog.LOG_AUTHPRIV)
    syslog.syslog(syslog.LOG_NOTICE, line)


@dataclass(frozen=True, slots=True)
class SyslogSink:
    """Sends lines to the local syslog (ident ``stadsvakt-audit``, facility authpriv)."""

    send: Callable[[str], None] = _to_syslog

    def write(self, line: str) -> None:
        """Send ``line``."""
        self.send(line)

    def describe(self) -> str:
        """The syslog ident."""
        return f"syslog ({SYSLOG_IDENT})"


def sinks_of(audit: AuditSettings) -> list[CheckpointSink]:
    """The destinations the settings name (none when checkpoints are not configured)."""
    sinks: list[CheckpointSink] = []
    if audit.checkpoint_file is not None:
        sinks.append(FileSink(audit.checkpoint_file))
    if audit.checkpoint_syslog:
        sinks.append(SyslogSink())
    return sinks


def publish(checkpoint: Checkpoint, sinks: Iterable[CheckpointSink]) -> None:
    """Write the checkpoint to every sink; one that fails does not stop the others."""
    failed: list[str] = []
    line = checkpoint.line()
    for sink in sinks:
        try:
            sink.write(line)
        except OSError as exc:
            failed.append(f"{sink.describe()}: {exc.strerror or exc}")
    if failed:
        raise CheckpointNotWritten("checkpoint not written to " + "; ".join(failed))


# -- reading checkpoints back -------------------------------------------------------------


def load_anchors(
    lines: Iterable[str], trusted: Mapping[str, Ed25519PublicKey]
) -> tuple[dict[int, Anchor], ChainBreak | None]:
    """The rows the lines vouch for, by sequence number, and the first problem, if any.

    Every line must parse and carry a good signature by a trusted key; two checkpoints
    may not give one row two hashes; and, read in the order they were appended, the
    sequence number never goes down (a head that went back means rows were deleted).
    """
    anchors: dict[int, Anchor] = {}
    highest: Anchor | None = None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            checkpoint = Checkpoint.parse(text)
        except ValueError as exc:
            return anchors, ChainBreak(
                0, "forged", f"checkpoint line {number} is unreadable: {exc}"
            )
        problem = checkpoint.check(trusted)
        if problem is not None:
            seq = checkpoint.seq
            return anchors, ChainBreak(seq, "forged", f"checkpoint line {number} {problem}")
        anchor = Anchor(checkpoint.seq, checkpoint.hash, checkpoint.at, number)
        found = _conflict(anchors.get(anchor.seq), highest, anchor)
        if found is not None:
            return anchors, found
        anchors[anchor.seq] = anchor
        if highest is None or anchor.seq > highest.seq:
            highest = anchor
    return anchors, None


def _conflict(same: Anchor | None, highest: Anchor | None, anchor: Anchor) -> ChainBreak | None:
    if same is not None and same.hash != anchor.hash:
        return ChainBreak(
            anchor.seq,
            "rewritten",
            f"checkpoint lines {same.line} and {anchor.line} give row {anchor.seq} two"
            " different hashes: the chain was rewritten between them",
        )
    if highest is not None and anchor.seq < highest.seq:
        return ChainBreak(
            anchor.seq + 1,
            "truncated",
            f"checkpoint line {anchor.line} ({anchor.at}) ends the chain at row {anchor.seq},"
            f" below row {highest.seq} of line {highest.line}: rows were deleted between them",
        )
    return None
