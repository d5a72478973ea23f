"""Property tests of the pure hash chain: every kind of tampering is found, at the right row.

Two attackers: one who can write the database and knows how rows are hashed but holds
no HMAC key (the chain alone must name what they did), and one who also holds the key
(only signed checkpoints kept outside the database can name what they did).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stadsvakt.audit.chain import (
    GENESIS_HASH,
    ROTATE_ACTION,
    Anchor,
    ChainHead,
    ChainRow,
    canonical_json,
    find_break,
    head_mac,
    keyed_row_hash,
    row_hash,
)
from stadsvakt.audit.keys import Keyring

Stored = list[tuple[ChainRow, str]]
Chain = tuple[Stored, ChainHead]
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
KEYS = Keyring(
    current_id="k2",
    keys={"k1": b"first key, long enough to be a real one", "k2": b"second key, also long enough"},
)
#: A key the attacker made up under the current key's id.
THEIR_KEY = b"mallory's own key under the id k2"

texts = st.text(max_size=30)
optional_texts = st.none() | texts
json_texts = st.none() | st.dictionaries(st.text(max_size=8), st.integers(), max_size=3).map(str)


@st.composite
def contents(draw: st.DrawFn) -> dict[str, object]:
    """The free fields of one audit row."""
    return {
        "at": EPOCH + timedelta(microseconds=draw(st.integers(0, 10**12))),
        "tenant_id": draw(optional_texts),
        "actor_kind": draw(st.sampled_from(["user", "token", "system", "anonymous"])),
        "actor_id": draw(optional_texts),
        "actor_name": draw(texts),
        "request_id": draw(optional_texts),
        "action": draw(texts),
        "object_type": draw(texts),
        "object_id": draw(optional_texts),
        "object_text": draw(texts),
        "before": draw(json_texts),
        "after": draw(json_texts),
    }


def seal(row: ChainRow, key: bytes | None) -> tuple[ChainRow, str]:
    """The row with the hash stadsvakt would store: HMAC with ``key``, or plain SHA-256."""
    return row, keyed_row_hash(row, key) if key is not None else row_hash(row)


def head_of(rows: Stored, key: bytes | None = None) -> ChainHead:
    """The head stadsvakt writes after ``rows`` (its MAC made with the last row's key)."""
    if not rows:
        return ChainHead(0, GENESIS_HASH)
    last, stored = rows[-1]
    if last.key_id is None:
        return ChainHead(last.seq, stored)
    key = key or KEYS.keys[last.key_id]
    return ChainHead(last.seq, stored, last.key_id, head_mac(key, last.seq, stored, last.key_id))


def append(rows: Stored, content: dict[str, object], key_id: str | None) -> None:
    """Chain one more row after ``rows`` (unkeyed when ``key_id`` is None)."""
    prev = rows[-1][1] if rows else GENESIS_HASH
    row = ChainRow(seq=len(rows) + 1, prev_hash=prev, key_id=key_id, **content)  # type: ignore[arg-type]
    rows.append(seal(row, KEYS.keys[key_id] if key_id else None))


def rotation(old: str | None, new: str) -> dict[str, object]:
    """The content of a rotation row from key ``old`` to ``new``."""
    return {
        "at": EPOCH,
        "tenant_id": None,
        "actor_kind": "system",
        "actor_id": None,
        "actor_name": "stadsvakt",
        "request_id": None,
        "action": ROTATE_ACTION,
        "object_type": "audit_key",
        "object_id": new,
        "object_text": f"HMAC key {new}",
        "before": canonical_json({"key_id": old}),
        "after": canonical_json({"key_id": new}),
    }


def build(items: list[dict[str, object]], key_id: str = "k2") -> Chain:
    """A valid keyed chain of rows with their hashes, and its head."""
    rows: Stored = []
    for content in items:
        append(rows, content, key_id)
    return rows, head_of(rows)


def renumber(rows: Stored, start: int, by: int) -> Stored:
    """Shift the sequence number of rows from ``start`` (0-based) on, keeping their hashes."""
    return [
        (dataclasses.replace(r, seq=r.seq + by), h) if i >= start else (r, h)
        for i, (r, h) in enumerate(rows)
    ]


def rechain(rows: Stored, start: int, rehash: object) -> Stored:
    """Recompute every hash from row ``start`` (0-based) on with ``rehash``, as an attacker
    covering a change would: each row's ``prev_hash`` follows the new hashes."""
    out = rows[:start]
    for row, _ in rows[start:]:
        prev = out[-1][1] if out else GENESIS_HASH
        fixed = dataclasses.replace(row, prev_hash=prev)
        out.append((fixed, rehash(fixed)))  # type: ignore[operator]
    return out


chains = st.lists(contents(), min_size=1, max_size=12).map(build)
FIELDS = [f.name for f in dataclasses.fields(ChainRow) if f.name not in ("seq", "key_id")]


def anchor(rows: Stored, index: int) -> dict[int, Anchor]:
    """A checkpoint of row ``index`` (0-based) as it stands."""
    row, stored = rows[index]
    return {row.seq: Anchor(seq=row.seq, hash=stored, at="2026-01-01T00:00:00Z", line=1)}


@pytest.fixture
def example() -> dict[str, object]:
    """The content of one ordinary row."""
    return {
        "at": EPOCH,
        "tenant_id": "9f0c2d4e-0000-4000-8000-000000000001",
        "actor_kind": "user",
        "actor_id": None,
        "actor_name": "Anna Lind",
        "request_id": "req-1",
        "action": "site.update",
        "object_type": "site",
        "object_id": "s1",
        "object_text": "Rådhuset",
        "before": '{"name":"Rådhuset"}',
        "after": '{"name":"Stadshuset"}',
    }


# -- an intact chain ---------------------------------------------------------------------


@given(chains)
def test_an_intact_chain_has_no_break(chain: Chain) -> None:
    assert find_break(*chain, KEYS) is None


def test_an_empty_chain_is_intact() -> None:
    assert find_break([], ChainHead(0, GENESIS_HASH), KEYS) is None


# -- an attacker without the key: the chain alone names what they did ---------------------


@given(chains, st.data())
@settings(max_examples=200)
def test_altering_any_field_of_any_row_is_found_at_that_row(
    chain: Chain, data: st.DataObject
) -> None:
    rows, head = chain
    index = data.draw(st.integers(0, len(rows) - 1))
    field = data.draw(st.sampled_from([*FIELDS, "stored hash"]))
    row, stored = rows[index]
    if field == "stored hash":
        rows[index] = (row, data.draw(st.text(min_size=1).filter(lambda h: h != stored)))
    else:
        old = getattr(row, field)
        if field == "at":
            new: object = old + timedelta(microseconds=data.draw(st.integers(1, 10**9)))
        else:
            new = data.draw(st.text(max_size=64).filter(lambda v: v != old))
        rows[index] = (dataclasses.replace(row, **{field: new}), stored)  # type: ignore[arg-type]
    found = find_break(rows, head, KEYS)
    assert found is not None
    assert (found.seq, found.kind) == (index + 1, "altered")


@given(chains, st.data())
def test_rewriting_a_row_and_every_later_hash_with_row_hash_is_found_at_that_row(
    chain: Chain, data: st.DataObject
) -> None:
    """The issue's attack: change a row, recompute it and every later row with the
    project's own ``row_hash``, and move the head to the new last hash."""
    rows, _ = chain
    index = data.draw(st.integers(0, len(rows) - 1))
    row = rows[index][0]
    rows[index] = (dataclasses.replace(row, actor_name=row.actor_name + "x"), "")
    forged = rechain(rows, index, row_hash)
    # Without the key, the head's MAC can only be left as it was, or dropped.
    for head in (dataclasses.replace(chain[1], hash=forged[-1][1]), head_of(forged, THEIR_KEY)):
        found = find_break(forged, head, KEYS)
        assert found is not None
        assert (found.seq, found.kind) == (index + 1, "altered")


@given(chains, st.data())
def test_rewriting_with_a_key_of_ones_own_is_found_at_that_row(
    chain: Chain, data: st.DataObject
) -> None:
    rows, _ = chain
    index = data.draw(st.integers(0, len(rows) - 1))
    row = rows[index][0]
    rows[index] = (dataclasses.replace(row, object_text="nothing happened"), "")
    forged = rechain(rows, index, lambda r: keyed_row_hash(r, THEIR_KEY))
    found = find_break(forged, head_of(forged, THEIR_KEY), KEYS)
    assert found is not None
    assert (found.seq, found.kind) == (index + 1, "altered")


@given(chains)
def test_rewriting_the_whole_chain_as_unkeyed_rows_is_found(chain: Chain) -> None:
    """Dropping every key id and rehashing with ``row_hash``, to pass the whole trail off
    as one from before keyed hashing."""
    rows, _ = chain
    unkeyed = [(dataclasses.replace(r, key_id=None), h) for r, h in rows]
    forged = rechain(unkeyed, 0, row_hash)
    found = find_break(forged, head_of(forged), KEYS)
    assert found is not None
    assert found.kind == "key"
    assert "plain SHA-256" in found.message


@given(chains, st.data())
def test_rewriting_the_tail_as_unkeyed_rows_is_found_where_it_starts(
    chain: Chain, data: st.DataObject
) -> None:
    rows, _ = chain
    if len(rows) < 2:
        return
    index = data.draw(st.integers(1, len(rows) - 1))
    tail = [(dataclasses.replace(r, key_id=None), h) for r, h in rows[index:]]
    forged = rechain(rows[:index] + tail, index, row_hash)
    found = find_break(forged, head_of(forged), KEYS)
    assert found is not None
    assert (found.seq, found.kind) == (index + 1, "altered")


@given(chains, st.data())
def test_deleting_the_last_rows_and_moving_the_head_is_found(
    chain: Chain, data: st.DataObject
) -> None:
    """The issue's other attack: delete the newest rows and point ``audit_head`` at the
    row now last. Without the key the head's MAC cannot be made for it."""
    rows, head = chain
    keep = data.draw(st.integers(1, len(rows) - 1)) if len(rows) > 1 else 1
    if keep == len(rows):
        return
    kept = rows[:keep]
    last, stored = kept[-1]
    for mac in (head.mac, None, head_mac(THEIR_KEY, last.seq, stored, last.key_id)):
        moved = ChainHead(last.seq, stored, last.key_id, mac)
        found = find_break(kept, moved, KEYS)
        assert found is not None
        assert (found.seq, found.kind) == (keep, "head")
        assert "deleted" in found.message


@given(chains, st.data())
def test_deleting_rows_is_found_at_the_first_deleted(chain: Chain, data: st.DataObject) -> None:
    rows, head = chain
    doomed = data.draw(st.sets(st.integers(0, len(rows) - 1), min_size=1))
    kept = [r for i, r in enumerate(rows) if i not in doomed]
    found = find_break(kept, head, KEYS)
    assert found is not None
    assert (found.seq, found.kind) == (min(doomed) + 1, "deleted")


@given(chains, st.data())
def test_deleting_a_row_and_closing_the_gap_is_found_there(
    chain: Chain, data: st.DataObject
) -> None:
    rows, head = chain
    index = data.draw(st.integers(0, len(rows) - 1))
    kept = renumber(rows[:index] + rows[index + 1 :], index, -1)
    found = find_break(kept, head, KEYS)
    assert found is not None
    assert found.seq == index + 1


@given(chains, contents(), st.data())
def test_inserting_a_careless_row_anywhere_is_found_at_it(
    chain: Chain, extra: dict[str, object], data: st.DataObject
) -> None:
    rows, head = chain
    index = data.draw(st.integers(0, len(rows)))
    junk = ChainRow(seq=index + 1, prev_hash="f" * 64, key_id="k2", **extra)  # type: ignore[arg-type]
    tampered = rows[:index] + [(junk, "e" * 64)] + renumber(rows[index:], 0, 1)
    found = find_break(tampered, head, KEYS)
    assert found is not None
    assert found.seq == index + 1


@given(chains)
def test_a_changed_head_is_found(chain: Chain) -> None:
    rows, head = chain
    found = find_break(rows, dataclasses.replace(head, hash="0" * 63 + "1"), KEYS)
    assert found is not None
    assert found.seq == head.seq


# -- an attacker who holds the key: the chain's structure, and checkpoints ----------------


@given(chains, st.data())
def test_altering_a_row_and_recomputing_its_hash_is_found_at_that_row(
    chain: Chain, data: st.DataObject
) -> None:
    rows, head = chain
    index = data.draw(st.integers(0, len(rows) - 1))
    row = rows[index][0]
    rows[index] = seal(dataclasses.replace(row, actor_name=row.actor_name + "x"), KEYS.current)
    found = find_break(rows, head, KEYS)
    assert found is not None
    assert found.seq == index + 1


@given(chains, contents(), st.data())
def test_inserting_a_well_forged_row_anywhere_is_found_at_it(
    chain: Chain, extra: dict[str, object], data: st.DataObject
) -> None:
    rows, head = chain
    index = data.draw(st.integers(0, len(rows)))
    prev = rows[index - 1][1] if index else GENESIS_HASH
    forged = ChainRow(seq=index + 1, prev_hash=prev, key_id="k2", **extra)  # type: ignore[arg-type]
    tampered = rows[:index] + [seal(forged, KEYS.current)] + renumber(rows[index:], 0, 1)
    found = find_break(tampered, head, KEYS)
    assert found is not None
    assert (found.seq, found.kind) == (index + 1, "inserted")


@given(chains, st.data())
def test_a_rewrite_with_the_key_is_found_by_a_later_checkpoint(
    chain: Chain, data: st.DataObject
) -> None:
    rows, _ = chain
    index = data.draw(st.integers(0, len(rows) - 1))
    checkpointed = data.draw(st.integers(index, len(rows) - 1))
    anchors = anchor(rows, checkpointed)
    row = rows[index][0]
    rows[index] = (dataclasses.replace(row, actor_name=row.actor_name + "x"), "")
    forged = rechain(rows, index, lambda r: keyed_row_hash(r, KEYS.current))
    assert find_break(forged, head_of(forged), KEYS) is None  # the key hides it...
    found = find_break(forged, head_of(forged), KEYS, anchors)  # ...the checkpoint does not
    assert found is not None
    assert (found.seq, found.kind) == (checkpointed + 1, "rewritten")
    assert f"row {checkpointed + 1}'s hash differs from the checkpoint" in found.message


@given(chains, st.data())
def test_truncation_below_a_checkpoint_is_named(chain: Chain, data: st.DataObject) -> None:
    rows, _ = chain
    checkpointed = data.draw(st.integers(0, len(rows) - 1))
    anchors = anchor(rows, checkpointed)
    keep = data.draw(st.integers(0, checkpointed))
    kept = rows[:keep]
    # The head made anew with the key (or replayed from an earlier copy of the database).
    found = find_break(kept, head_of(kept), KEYS, anchors)
    assert found is not None
    assert found.kind == "truncated"
    assert f"checkpoint seq {checkpointed + 1} " in found.message
    assert "no longer exists" in found.message


@given(chains)
def test_checkpoints_of_an_intact_chain_hold(chain: Chain) -> None:
    rows, head = chain
    anchors = {seq: a for i in range(len(rows)) for seq, a in anchor(rows, i).items()}
    assert find_break(rows, head, KEYS, anchors) is None


# -- keys: rotation, unknown keys, rows from before keyed hashing --------------------------


@given(st.lists(contents(), min_size=1, max_size=4), st.lists(contents(), max_size=4))
def test_a_rotated_chain_verifies(
    before: list[dict[str, object]], after: list[dict[str, object]]
) -> None:
    rows, _ = build(before, key_id="k1")
    append(rows, rotation("k1", "k2"), "k2")
    for content in after:
        append(rows, content, "k2")
    assert find_break(rows, head_of(rows), KEYS) is None


def test_a_key_change_without_a_rotation_row_is_found(example: dict[str, object]) -> None:
    rows, _ = build([example, example], key_id="k1")
    append(rows, example, "k2")
    found = find_break(rows, head_of(rows), KEYS)
    assert found is not None
    assert (found.seq, found.kind) == (3, "key")
    assert "without a rotation row" in found.message


def test_a_retired_key_may_not_write_again(example: dict[str, object]) -> None:
    """A leaked retired key is no use for appending: bringing it back is a break."""
    rows, _ = build([example], key_id="k1")
    append(rows, rotation("k1", "k2"), "k2")
    append(rows, example, "k2")
    append(rows, rotation("k2", "k1"), "k1")
    append(rows, example, "k1")
    found = find_break(rows, head_of(rows), KEYS)
    assert found is not None
    assert (found.seq, found.kind) == (4, "key")
    assert "retired at row 2" in found.message


def test_a_row_made_with_an_unconfigured_key_names_the_key(example: dict[str, object]) -> None:
    rows, head = build([example], key_id="k1")
    found = find_break(rows, head, Keyring(current_id="k2", keys={"k2": KEYS.current}))
    assert found is not None
    assert (found.seq, found.kind) == (1, "key")
    assert "'k1'" in found.message and "retired_hmac_keys" in found.message


def legacy_then_keyed(items: list[dict[str, object]], later: list[dict[str, object]]) -> Stored:
    """Rows from before keyed hashing, the rotation row that starts it, and keyed rows."""
    rows: Stored = []
    for content in items:
        append(rows, content, None)
    append(rows, rotation(None, "k2"), "k2")
    for content in later:
        append(rows, content, "k2")
    return rows


@given(st.lists(contents(), min_size=1, max_size=5), st.lists(contents(), max_size=3))
def test_rows_from_before_keys_verify_once_sealed(
    items: list[dict[str, object]], later: list[dict[str, object]]
) -> None:
    rows = legacy_then_keyed(items, later)
    assert find_break(rows, head_of(rows), KEYS) is None


@given(st.lists(contents(), min_size=1, max_size=5), st.data())
def test_rows_from_before_keys_are_sealed_by_the_first_keyed_row(
    items: list[dict[str, object]], data: st.DataObject
) -> None:
    """Rewriting an old unkeyed row and its unkeyed successors with ``row_hash`` breaks
    the keyed row that followed them."""
    rows = legacy_then_keyed(items, [])
    index = data.draw(st.integers(0, len(items) - 1))
    row = rows[index][0]
    rows[index] = (dataclasses.replace(row, actor_name=row.actor_name + "x"), "")
    forged = rechain(rows[: len(items)], index, row_hash) + rows[len(items) :]
    found = find_break(forged, head_of(forged), KEYS)
    assert found is not None
    assert (found.seq, found.kind) == (len(items), "altered")


def test_unkeyed_rows_alone_are_not_accepted(example: dict[str, object]) -> None:
    rows: Stored = []
    append(rows, example, None)
    append(rows, example, None)
    found = find_break(rows, head_of(rows), KEYS)
    assert found is not None
    assert found.kind == "key"
    assert "rows 1..2 carry only plain SHA-256" in found.message
