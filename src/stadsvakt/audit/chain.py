"""Pure hashing of audit rows: each row commits to the one before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


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


def canonical_json(value: Any) -> str:
    """A deterministic JSON text: sorted keys, no spaces, non-ASCII kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_hash(row: ChainRow) -> str:
    """SHA-256 over the row's canonical fields, including the previous row's hash."""
    fields = {
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
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first place where the chain does not hold."""

    seq: int
    kind: str  # "altered", "inserted", "deleted"
    message: str


def find_break(
    rows: Iterable[tuple[ChainRow, str]], head_seq: int, head_hash: str
) -> ChainBreak | None:
    """Walk rows in ``seq`` order (each with its stored hash); return the first break or None.

    A row whose content no longer matches its own hash was *altered*; a row whose
    ``prev_hash`` names something other than its predecessor's hash shows that
    the predecessor was rewritten (*altered*), or, when it names the row before
    that, that the predecessor was *inserted*; a gap in the sequence means rows
    were *deleted*; a duplicate sequence number means a row was *inserted*. The
    head (last sequence and hash) catches changes at the end.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    prev_prev_hash: str | None = None
    for row, stored_hash in rows:
        if row.seq < expected_seq:
            return ChainBreak(row.seq, "inserted", f"row {row.seq} appears twice in the sequence")
        if row.seq > expected_seq:
            return ChainBreak(
                expected_seq,
                "deleted",
                f"rows {expected_seq}..{row.seq - 1} are missing (deleted)",
            )
        if row.prev_hash != prev_hash and row.prev_hash == prev_prev_hash:
            return ChainBreak(
                row.seq - 1,
                "inserted",
                f"row {row.seq - 1} was inserted: row {row.seq} follows the row before it",
            )
        if row.seq > head_seq:
            return ChainBreak(
                row.seq, "inserted", f"row {row.seq} lies beyond the chain head (inserted)"
            )
        if row_hash(row) != stored_hash:
            return ChainBreak(row.seq, "altered", f"row {row.seq} was altered after it was written")
        if row.prev_hash != prev_hash:
            culprit = max(row.seq - 1, 1)
            return ChainBreak(
                culprit, "altered", f"row {culprit} was rewritten: its successor disagrees"
            )
        prev_prev_hash, prev_hash = prev_hash, stored_hash
        expected_seq += 1
    last = expected_seq - 1
    if head_seq > last:
        return ChainBreak(last + 1, "deleted", f"rows {last + 1}..{head_seq} are missing (deleted)")
    if head_seq < last:
        return ChainBreak(
            head_seq + 1, "inserted", f"row {head_seq + 1} was added outside stadsvakt"
        )
    if head_hash != prev_hash:
        return ChainBreak(last, "altered", f"row {last} does not match the chain head")
    return None
