"""The topic scheme: every topic it makes parses back to what made it; nothing else parses."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.edge.broker.topics import (
    KINDS,
    BadTopic,
    Direction,
    Down,
    Up,
    parse_topic,
    topic,
)

_pairs = st.sampled_from([(way, kind) for way, kinds in KINDS.items() for kind in sorted(kinds)])


@given(device=st.uuids(), pair=_pairs)
def test_a_topic_parses_back_to_its_device_direction_and_kind(
    device: uuid.UUID, pair: tuple[Direction, str]
) -> None:
    way, kind = pair
    name = topic(device, way, kind)
    assert name == f"stadsvakt/edge/{device}/{way}/{kind}"
    assert parse_topic(name) == (device, way, kind)


@given(device=st.uuids(), kind=st.sampled_from(sorted(Up)))
def test_an_up_kind_is_no_down_topic(device: uuid.UUID, kind: str) -> None:
    with pytest.raises(BadTopic) as refused:
        topic(device, Direction.DOWN, kind)
    assert refused.value.rule == "kind"
    with pytest.raises(BadTopic):
        parse_topic(f"stadsvakt/edge/{device}/down/{kind}")


@given(name=st.text(alphabet="stadvkeg/+#0123456789abcdefupnow-", max_size=80))
def test_arbitrary_text_parses_only_if_it_is_a_made_topic(name: str) -> None:
    try:
        device, way, kind = parse_topic(name)
    except BadTopic:
        return
    assert topic(device, way, kind) == name


DEVICE = uuid.UUID("0b6f3c1e-6a0f-4a8e-9a57-1b0d2b9a7c11")


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("stadsvakt/edge/x/up/status", "device"),
        (f"stadsvakt/edge/{str(DEVICE).upper()}/up/status", "device"),
        (f"stadsvakt/edge/{DEVICE.hex}/up/status", "device"),
        (f"stadsvakt/edge/{DEVICE}/sideways/status", "direction"),
        (f"stadsvakt/edge/{DEVICE}/up/snapshot", "kind"),
        (f"stadsvakt/edge/{DEVICE}/up/status/extra", "shape"),
        (f"stadsvakt/other/{DEVICE}/up/status", "shape"),
        ("", "shape"),
    ],
)
def test_a_wrong_topic_names_what_is_wrong(name: str, rule: str) -> None:
    with pytest.raises(BadTopic) as refused:
        parse_topic(name)
    assert refused.value.rule == rule


def test_the_kinds_are_the_scheme_s() -> None:
    assert {str(kind) for kind in Down} == {"snapshot", "delta", "command", "time"}
    assert {str(kind) for kind in Up} == {"status", "events", "hello"}
