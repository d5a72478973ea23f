"""Property tests of the pure hash chain: every kind of tampering is found, at the right row."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from stadsvakt.audit.chain import GENESIS_HASH, ChainRow, find_break, row_hash

Stored = list[tuple[ChainRow, str]]
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

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


def build(items: list[dict[str, object]]) -> tuple[Stored, int, str]:
    """A valid chain of rows with their hashes, and its head."""
    rows: Stored = []
    prev = GENESIS_HASH
    for seq, content in enumerate(items, start=1):
        row = ChainRow(seq=seq, prev_hash=prev, **content)  # type: ignore[arg-type]
        prev = row_hash(row)
        rows.append((row, prev))
    return rows, len(rows), prev


def renumber(rows: Stored, start: int, by: int) -> Stored:
    """Shift the sequence number of rows from ``start`` (0-based) on, keeping their hashes."""
    return [
        (dataclasses.replace(r, seq=r.seq + by), h) if i >= start else (r, h)
        for i, (r, h) in enumerate(rows)
    ]


chains = st.lists(contents(), min_size=1, max_size=12).map(build)
FIELDS = [f.name for f in dataclasses.fields(ChainRow) if f.name != "seq"]


@given(chains)
def test_an_intact_chain_has_no_break(chain: tuple[Stored, int, str]) -> None:
    assert find_break(*chain) is None


def test_an_empty_chain_is_intact() -> None:
    assert find_break([], 0, GENESIS_HASH) is None


@given(chains, st.data())
@settings(max_examples=200)
def test_altering_any_field_of_any_row_is_found_at_that_row(
    chain: tuple[Stored, int, str], data: st.DataObject
) -> None:
    rows, head_seq, head_hash = chain
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
    found = find_break(rows, head_seq, head_hash)
    assert found is not None
    assert (found.seq, found.kind) == (index + 1, "altered")


@given(chains, st.data())
def test_altering_a_row_and_recomputing_its_hash_is_found_at_that_row(
    chain: tuple[Stored, int, str], data: st.DataObject
) -> None:
    rows, head_seq, head_hash = chain
    index = data.draw(st.integers(0, len(rows) - 1))
    row = rows[index][0]
    forged = dataclasses.replace(row, actor_name=row.actor_name + "x")
    rows[index] = (forged, row_hash(forged))
    found = find_break(rows, head_seq, head_hash)
    assert found is not None
    assert found.seq == index + 1


@given(chains, st.data())
def test_deleting_rows_is_found_at_the_first_deleted(
    chain: tuple[Stored, int, str], data: st.DataObject
) -> None:
    rows, head_seq, head_hash = chain
    doomed = data.draw(st.sets(st.integers(0, len(rows) - 1), min_size=1))
    kept = [r for i, r in enumerate(rows) if i not in doomed]
    found = find_break(kept, head_seq, head_hash)
    assert found is not None
    assert (found.seq, found.kind) == (min(doomed) + 1, "deleted")


@given(chains, st.data())
def test_deleting_a_row_and_closing_the_gap_is_found_there(
    chain: tuple[Stored, int, str], data: st.DataObject
) -> None:
    rows, head_seq, head_hash = chain
    index = data.draw(st.integers(0, len(rows) - 1))
    kept = renumber(rows[:index] + rows[index + 1 :], index, -1)
    found = find_break(kept, head_seq, head_hash)
    assert found is not None
    assert found.seq == index + 1


@given(chains, contents(), st.data())
def test_inserting_a_well_forged_row_anywhere_is_found_at_it(
    chain: tuple[Stored, int, str], extra: dict[str, object], data: st.DataObject
) -> None:
    rows, head_seq, head_hash = chain
    index = data.draw(st.integers(0, len(rows)))
    prev = rows[index - 1][1] if index else GENESIS_HASH
    forged = ChainRow(seq=index + 1, prev_hash=prev, **extra)  # type: ignore[arg-type]
    tampered = rows[:index] + [(forged, row_hash(forged))] + renumber(rows[index:], 0, 1)
    found = find_break(tampered, head_seq, head_hash)
    assert found is not None
    assert (found.seq, found.kind) == (index + 1, "inserted")


@given(chains, contents(), st.data())
def test_inserting_a_careless_row_anywhere_is_found_at_it(
    chain: tuple[Stored, int, str], extra: dict[str, object], data: st.DataObject
) -> None:
    rows, head_seq, head_hash = chain
    index = data.draw(st.integers(0, len(rows)))
    junk = ChainRow(seq=index + 1, prev_hash="f" * 64, **extra)  # type: ignore[arg-type]
    tampered = rows[:index] + [(junk, "e" * 64)] + renumber(rows[index:], 0, 1)
    found = find_break(tampered, head_seq, head_hash)
    assert found is not None
    assert found.seq == index + 1


@given(chains)
def test_a_changed_head_is_found(chain: tuple[Stored, int, str]) -> None:
    rows, head_seq, _ = chain
    found = find_break(rows, head_seq, "0" * 63 + "1")
    assert found is not None
    assert found.seq == head_seq
