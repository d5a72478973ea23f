"""SIA DC-03: the code table as data and the data-block parser."""

from __future__ import annotations

import re

import pytest

from stadsvakt.alarms.protocols.errors import MalformedContent
from stadsvakt.alarms.protocols.events import Category, PayloadFormat, Qualifier
from stadsvakt.alarms.protocols.sia_code_table import AREA_CODES, SIA_CODES, USER_CODES
from stadsvakt.alarms.protocols.sia_codes import lookup, parse_sia_data


def test_table_is_complete_and_well_formed() -> None:
    assert len(SIA_CODES) >= 320
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in SIA_CODES)
    assert USER_CODES <= SIA_CODES.keys() and AREA_CODES <= SIA_CODES.keys()
    used = {info.category for info in SIA_CODES.values()}
    assert used == set(Category) - {Category.UNKNOWN}


@pytest.mark.parametrize(
    ("code", "category", "qualifier"),
    [
        ("FA", Category.FIRE, Qualifier.NEW),
        ("FH", Category.FIRE, Qualifier.RESTORE),
        ("HA", Category.HOLD_UP, Qualifier.NEW),
        ("PA", Category.HOLD_UP, Qualifier.NEW),
        ("MA", Category.MEDICAL, Qualifier.NEW),
        ("QA", Category.MEDICAL, Qualifier.NEW),
        ("NA", Category.SOCIAL, Qualifier.NEW),
        ("BA", Category.INTRUSION, Qualifier.NEW),
        ("BR", Category.INTRUSION, Qualifier.RESTORE),
        ("TA", Category.TAMPER, Qualifier.NEW),
        ("WA", Category.TECHNICAL, Qualifier.NEW),
        ("ZA", Category.TECHNICAL, Qualifier.NEW),
        ("AT", Category.FAULT, Qualifier.NEW),
        ("YK", Category.FAULT, Qualifier.RESTORE),
        ("CL", Category.OPEN_CLOSE, Qualifier.NEW),
        ("OP", Category.OPEN_CLOSE, Qualifier.NEW),
        ("RP", Category.TEST, Qualifier.NEW),
        ("JT", Category.OTHER, Qualifier.NEW),
    ],
)
def test_categories(code: str, category: Category, qualifier: Qualifier) -> None:
    assert (lookup(code).category, lookup(code).qualifier) == (category, qualifier)


def test_unknown_code_is_an_event_not_an_error() -> None:
    (event,) = parse_sia_data("#1234|Nri1/ZX12").events
    assert (event.code, event.category, event.zone, event.known) == (
        "ZX",
        Category.UNKNOWN,
        12,
        False,
    )


def test_account_modifiers_zone_and_text() -> None:
    block = parse_sia_data("#1234|Nti10:23/id7/ri3/BA05^Entrance^")
    (event,) = block.events
    assert block.account == "1234"
    assert event.format is PayloadFormat.SIA
    assert (event.event_time, event.user, event.partition, event.zone, event.text) == (
        "10:23",
        7,
        3,
        5,
        "Entrance",
    )


def test_several_events_and_repeated_code() -> None:
    events = parse_sia_data("Nri1/BA01/02/FA3").events
    assert [(e.code, e.zone, e.partition) for e in events] == [
        ("BA", 1, 1),
        ("BA", 2, 1),
        ("FA", 3, 1),
    ]


def test_user_and_area_codes() -> None:
    closing, perimeter = parse_sia_data("Nri2/CL12/NL4").events
    assert (closing.user, closing.zone, closing.partition) == (12, None, 2)
    assert (perimeter.partition, perimeter.zone) == (4, None)


@pytest.mark.parametrize(
    ("block", "account", "codes"),
    [
        ("|Nri1/CL501", None, ["CL"]),  # pysiaalarm: empty account
        ("Nri1/WA000", None, ["WA"]),  # no account at all
        ("36214|NRP", "36214", ["RP"]),  # PROSEC: no '#', no zone
        ("#3080|Nti19:44/id1/ri4/RP", "3080", ["RP"]),
        ("#006969|Nri04/OP001NM", "006969", ["OP", "NM"]),  # two codes in one item
        ("#AFFE|Nri1CL0001^user^", "AFFE", ["CL"]),  # no '/' after the modifier
        ("#0000|NBA1|AFree text", "0000", ["BA"]),
        ("", None, []),
    ],
)
def test_published_block_variants(block: str, account: str | None, codes: list[str]) -> None:
    parsed = parse_sia_data(block)
    assert parsed.account == account
    assert [event.code for event in parsed.events] == codes


def test_free_text_segment() -> None:
    assert parse_sia_data("#0000|NBA1|AFree text").text == "Free text"


@pytest.mark.parametrize("block", ["N!!", "Nri1/BA1^unterminated", "NBA1|Xnot text", "N12"])
def test_malformed_blocks(block: str) -> None:
    with pytest.raises(MalformedContent):
        parse_sia_data(block)
