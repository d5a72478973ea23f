"""The pure core of the JSON inputs: batches cut verbatim, records and dedup keys."""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.alarms.inputs.codes import CODES
from stadsvakt.alarms.inputs.json_input import parse, split_batch, to_record
from stadsvakt.alarms.inputs.schema import AlarmMessage
from stadsvakt.alarms.normalise import Source
from stadsvakt.alarms.protocols.events import Category

SOURCE = Source(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)
spaces = st.text(alphabet=" \t\r\n", max_size=3)

messages = st.fixed_dictionaries(
    {
        "account": st.from_regex(r"[0-9A-Fa-f]{3,16}", fullmatch=True),
        "message_id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@/+#-]{0,63}", fullmatch=True),
        "code": st.sampled_from(sorted(CODES))
        | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,15}", fullmatch=True),
    },
    optional={
        "qualifier": st.sampled_from(["new", "restore"]),
        "category": st.sampled_from([c.value for c in Category]),
        "zone": st.integers(0, 99_999),
        "text": st.text(
            alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=500
        ),
    },
)


@given(st.lists(json_values, max_size=5), spaces, spaces, st.sampled_from([None, 1]))
def test_a_batch_is_cut_into_its_elements_verbatim(
    elements: list[Any], before: str, between: str, indent: int | None
) -> None:
    texts = [json.dumps(e, indent=indent) for e in elements]
    body = f"{before}[{between}" + f"{between},{between}".join(texts) + f"{between}]{before}"
    pieces = split_batch(body.encode())
    assert pieces is not None
    assert [p.decode() for p in pieces] == texts


def test_what_is_not_an_array_is_not_cut() -> None:
    assert split_batch(b'{"a": 1}') is None
    assert split_batch(b"\xff[") is None


@given(messages)
def test_every_valid_message_maps_to_a_record(body: dict[str, Any]) -> None:
    [item] = parse(json.dumps(body).encode())
    assert isinstance(item.message, AlarmMessage)
    record = to_record(item.message, item.raw, SOURCE, NOW)
    known = CODES.get(body["code"].lower())
    expected = known.category if known else Category(body.get("category", "unknown"))
    assert record.category is expected
    assert len(record.code) <= 16 and len(record.description) <= 200
    assert record.raw == json.dumps(body).encode()
    assert 1 <= record.priority <= 9


@given(messages, st.randoms())
def test_key_order_and_spacing_do_not_change_the_dedup_key(
    body: dict[str, Any], rnd: random.Random
) -> None:
    shuffled = list(body.items())
    rnd.shuffle(shuffled)
    [a] = parse(json.dumps(body).encode())
    [b] = parse(json.dumps(dict(shuffled), indent=2).encode())
    assert isinstance(a.message, AlarmMessage) and isinstance(b.message, AlarmMessage)
    first = to_record(a.message, a.raw, SOURCE, NOW)
    second = to_record(b.message, b.raw, SOURCE, NOW)
    assert first.dedup_keys == second.dedup_keys


def test_another_transmitter_or_message_id_is_another_alarm() -> None:
    body = {"account": "ABC", "message_id": "m1", "code": "gas"}
    [item] = parse(json.dumps(body).encode())
    assert isinstance(item.message, AlarmMessage)
    one = to_record(item.message, item.raw, SOURCE, NOW).dedup_keys
    other = Source(SOURCE.tenant_id, SOURCE.site_id, uuid.uuid4())
    assert to_record(item.message, item.raw, other, NOW).dedup_keys != one
    [again] = parse(json.dumps({**body, "message_id": "m2"}).encode())
    assert isinstance(again.message, AlarmMessage)
    assert to_record(again.message, again.raw, SOURCE, NOW).dedup_keys != one


def test_the_code_table_fits_the_schema() -> None:
    for code, row in CODES.items():
        assert re.fullmatch(r"[a-z0-9_]{1,16}", code), code
        assert row.category is not Category.UNKNOWN
        assert row.sv and row.en
