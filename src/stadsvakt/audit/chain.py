"""Pure hashing and checking of the audit chain: each row commits to the one before it.

A row's hash is an HMAC-SHA-256 over its fields (the previous row's hash among them)
with a key from the settings that never reaches the database, and the row names that
key (``key_id``). Someone who can write the database but lacks the key can change,
insert or delete rows, but cannot make the hashes agree again. Rows written before keyed
hashing existed carry no key id and a plain SHA-256 (:func:`row_hash`); they may only
open the chain, and the first keyed row after them seals them as they stood then.

The key changes only at an ``audit.key.rotate`` row, made with the new key and naming
the old and new ids; a key once rotated away never returns, so a leaked retired key
cannot be used to append to the chain. The chain head (last sequence number and hash)
carries an HMAC too (:func:`head_mac`), so a head moved back by hand after deleting the
last rows is found without any checkpoint. Signed checkpoints kept outside the database
(:mod:`stadsvakt.audit.checkpoints`) become *anchors* here: the chain must still hold
each anchored row with the anchored hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stadsvakt.audit.keys import Keyring

GENESIS_HASH = "0" * 64
#: The action of the row where the chain's HMAC key changes (or keyed hashing starts).
ROTATE_ACTION = "audit.key.rotate"


@dataclass(frozen=True, slots=True)
class ChainRow:
    """The fields of an audit row that its hash covers."""

    seq: int
    at: datetime
    tenant_id: str | None
    actor_kind: str
    actor_id: str | None
    actor_name: str
    request_id: str | None
    action: str
    object_type: str
    object_id: str | None
    object_text: str
    before: str | None
    after: str | None
    prev_hash: str
    key_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The chain head as stored: last sequence number, its hash, its key and the head MAC."""

    seq: int
    hash: str
    key_id: str | None = None
    mac: str | None = None


@dataclass(frozen=True, slots=True)
class Anchor:
    """A signed checkpoint's claim: row ``seq`` had ``hash`` at ``at`` (line ``line``)."""

    seq: int
    hash: str
    at: str
    line: int


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first place where the chain does not hold."""

    seq: int
    #: "altered", "inserted", "deleted", "head", "key", "truncated", "rewritten", "forged"
    kind: str
    message: str


def canonical_json(value: Any) -> str:
    """A deterministic JSON text: sorted keys, no spaces, non-ASCII kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _fields(row: ChainRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": row.at.isoformat(timespec="microseconds"),
        "tenant_id": row.tenant_id,
        "actor_kind": row.actor_kind,
        "actor_id": row.actor_id,
        "actor_name": row.actor_name,
        "request_id": row.request_id,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "object_text": row.object_text,
        "before": row.before,
        "after": row.after,
        "prev_hash": row.prev_hash,
    }


def row_hash(row: ChainRow) -> str:
    """Plain SHA-256 over the row's canonical fields: how rows were hashed before keys.

    Anyone can compute it, so it only shows accidents, not tampering; kept to verify
    rows written before keyed hashing.
    """
    return hashlib.sha256(canonical_json(_fields(row)).encode()).hexdigest()


def keyed_row_hash(row: ChainRow, key: bytes) -> str:
    """HMAC-SHA-256 with ``key`` over the row's canonical fields and its key id."""
    fields = {**_fields(row), "key_id": row.key_id}
    return hmac.new(key, canonical_json(fields).encode(), hashlib.sha256).hexdigest()


def head_mac(key: bytes, seq: int, hash_: str, key_id: str | None) -> str:
    """The HMAC that vouches for a chain head written by stadsvakt."""
    text = canonical_json({"head": {"seq": seq, "hash": hash_, "key_id": key_id}})
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _same(a: str, b: str) -> bool:
    """Whether two digests are equal; stored values come from the database and may hold
    any text (``hmac.compare_digest`` refuses non-ASCII strings, so bytes are compared)."""
    return hmac.compare_digest(str(a).encode(), str(b).encode())


def rotation_ids(row: ChainRow) -> tuple[str | None, str | None] | None:
    """The (from, to) key ids a rotation row names, or None when it names none."""
    try:
        before = json.loads(row.before) if row.before else {}
        after = json.loads(row.after) if row.after else {}
    except (ValueError, TypeError):
        return None
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    old, new = before.get("key_id"), after.get("key_id")
    if not (old is None or isinstance(old, str)) or not isinstance(new, str):
        return None
    return old, new


@dataclass(slots=True)
class _Walk:
    """The state of one pass over the chain, row by row (see :func:`find_break`)."""

    keyring: Keyring
    head: ChainHead
    anchors: Mapping[int, Anchor]
    expected_seq: int = 1
    prev_hash: str = GENESIS_HASH
    prev_prev_hash: str | None = None
    prev_key: str | None = None
    keyed_from: int | None = None
    #: Keys used so far, each with the row that rotated away from it (None: still in use).
    keys_seen: dict[str, int | None] = field(default_factory=dict)

    def step(self, row: ChainRow, stored: str) -> ChainBreak | None:
        """Check one row against what came before; advance, or return the break."""
        found = self._order(row) or self._key(row) or self._hashes(row, stored)
        found = found or self._rotation(row) or self._anchor(row, stored)
        if found is None:
            self._advance(row, stored)
        return found

    def _order(self, row: ChainRow) -> ChainBreak | None:
        seq = row.seq
        if seq < self.expected_seq:
            return ChainBreak(seq, "inserted", f"row {seq} appears twice in the sequence")
        if seq > self.expected_seq:
            gap = f"{self.expected_seq}..{seq - 1}"
            return ChainBreak(self.expected_seq, "deleted", f"rows {gap} are missing (deleted)")
        if row.prev_hash != self.prev_hash and row.prev_hash == self.prev_prev_hash:
            message = f"row {seq - 1} was inserted: row {seq} follows the row before it"
            return ChainBreak(seq - 1, "inserted", message)
        if seq > self.head.seq:
            return ChainBreak(seq, "inserted", f"row {seq} lies beyond the chain head (inserted)")
        return None

    def _key(self, row: ChainRow) -> ChainBreak | None:
        seq = row.seq
        if row.key_id is None:
            if self.keyed_from is not None:
                return ChainBreak(
                    seq,
                    "altered",
                    f"row {seq} has no HMAC key although keyed hashing began at row"
                    f" {self.keyed_from}: it was rewritten or added without the key",
                )
            return None
        if self.keyring.get(row.key_id) is None:
            return ChainBreak(
                seq,
                "key",
                f"row {seq} was made with HMAC key {row.key_id!r}, which is not configured:"
                " add it to audit.retired_hmac_keys to verify the rows it made",
            )
        return None

    def _hashes(self, row: ChainRow, stored: str) -> ChainBreak | None:
        seq = row.seq
        key = self.keyring.get(row.key_id) if row.key_id is not None else None
        computed = keyed_row_hash(row, key) if key is not None else row_hash(row)
        if not _same(computed, stored):
            return ChainBreak(seq, "altered", f"row {seq} was altered after it was written")
        if row.prev_hash != self.prev_hash:
            culprit = max(seq - 1, 1)
            return ChainBreak(
                culprit, "altered", f"row {culprit} was rewritten: its successor disagrees"
            )
        return None

    def _rotation(self, row: ChainRow) -> ChainBreak | None:
        """A row may change the key only as a rotation row naming both ids; a key
        rotated away from never returns."""
        seq, new = row.seq, row.key_id
        if new is None or seq == 1 or new == self.prev_key:
            return None
        ids = rotation_ids(row) if row.action == ROTATE_ACTION else None
        if ids != (self.prev_key, new):
            return ChainBreak(
                seq,
                "key",
                f"row {seq} changes the HMAC key from {self.prev_key!r} to {new!r} without"
                " a rotation row",
            )
        retired_at = self.keys_seen.get(new)
        if retired_at is not None:
            return ChainBreak(
                seq,
                "key",
                f"row {seq} brings back HMAC key {new!r}, retired at row {retired_at}:"
                " a retired key may not write again",
            )
        return None

    def _anchor(self, row: ChainRow, stored: str) -> ChainBreak | None:
        anchor = self.anchors.get(row.seq)
        if anchor is None or _same(anchor.hash, stored):
            return None
        return ChainBreak(
            row.seq,
            "rewritten",
            f"row {row.seq}'s hash differs from the checkpoint of {anchor.at}"
            f" (checkpoint line {anchor.line}): the chain up to it was rewritten",
        )

    def _advance(self, row: ChainRow, stored: str) -> None:
        if row.key_id is not None:
            if self.keyed_from is None:
                self.keyed_from = row.seq
            if self.prev_key is not None and self.prev_key != row.key_id:
                self.keys_seen[self.prev_key] = row.seq
            self.keys_seen.setdefault(row.key_id, None)
        self.prev_key = row.key_id
        self.prev_prev_hash, self.prev_hash = self.prev_hash, stored
        self.expected_seq += 1

    def finish(self) -> ChainBreak | None:
        """Check the end of the chain: checkpoints past it, and the head."""
        last = self.expected_seq - 1
        beyond = [a for a in self.anchors.values() if a.seq > last]
        if beyond:
            anchor = max(beyond, key=lambda a: a.seq)
            return ChainBreak(
                last + 1,
                "truncated",
                f"checkpoint seq {anchor.seq} of {anchor.at} (line {anchor.line}) no longer"
                f" exists: the chain ends at row {last}",
            )
        zero = self.anchors.get(0)
        if zero is not None and zero.hash != GENESIS_HASH:
            return ChainBreak(0, "forged", f"checkpoint line {zero.line} gives row 0 a hash")
        return self._head(last)

    def _head(self, last: int) -> ChainBreak | None:
        head = self.head
        if head.seq > last:
            return ChainBreak(
                last + 1, "deleted", f"rows {last + 1}..{head.seq} are missing (deleted)"
            )
        if head.seq < last:
            return ChainBreak(
                head.seq + 1, "inserted", f"row {head.seq + 1} was added outside stadsvakt"
            )
        if head.hash != self.prev_hash or head.key_id != self.prev_key:
            return ChainBreak(last, "altered", f"row {last} does not match the chain head")
        if self.prev_key is not None:
            key = self.keyring.keys[self.prev_key]
            if head.mac is None or not _same(
                head.mac, head_mac(key, head.seq, head.hash, head.key_id)
            ):
                return ChainBreak(
                    last,
                    "head",
                    f"the chain head at row {last} was set outside stadsvakt (its MAC does not"
                    f" hold): rows after {last} may have been deleted",
                )
        elif last > 0:
            return ChainBreak(
                1,
                "key",
                f"rows 1..{last} carry only plain SHA-256 and no keyed row seals them: either"
                " they were rewritten without the key, or this database was upgraded and not"
                " sealed yet (`stadsvakt audit checkpoint` or `stadsvakt db upgrade` seals it)",
            )
        return None


def find_break(
    rows: Iterable[tuple[ChainRow, str]],
    head: ChainHead,
    keyring: Keyring,
    anchors: Mapping[int, Anchor] | None = None,
) -> ChainBreak | None:
    """Walk rows in ``seq`` order (each with its stored hash); return the first break or None.

    A row whose content no longer matches its own hash (its HMAC, or the plain SHA-256
    of a row from before keys) was *altered*; a row whose ``prev_hash`` names something
    other than its predecessor's hash shows that the predecessor was rewritten
    (*altered*), or, when it names the row before that, that the predecessor was
    *inserted*; a gap in the sequence means rows were *deleted*; a duplicate sequence
    number means a row was *inserted*. A key change outside a rotation row, a key not
    configured, or unkeyed rows left alone are *key* breaks. The head (last sequence,
    hash and its MAC) catches changes at the end (*head*); ``anchors`` from signed
    checkpoints catch a chain *rewritten* with the key, or *truncated* below one.
    """
    walk = _Walk(keyring=keyring, head=head, anchors=anchors or {})
    for row, stored in rows:
        found = walk.step(row, stored)
        if found is not None:
            return found
    return walk.finish()
