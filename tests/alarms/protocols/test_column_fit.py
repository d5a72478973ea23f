"""Every value a device sends fits the column it lands in, or the event is unreadable.

Hypothesis drives each parser (SIA DC-03, Contact ID, SCAIP, JSON) with values far
beyond what a column holds (numbers past 2**31, texts past their widths, NUL and lone
surrogates); whatever record comes out must go into the alarm table as it is (see
:mod:`tests.alarms.columns`), since a row the database refuses made the sender's
frame be refused forever.
"""

from __future__ import annotations

import json
import string
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Integer, String

from stadsvakt.alarms.inputs.json_input import parse, to_record
from stadsvakt.alarms.inputs.schema import AlarmMessage
from stadsvakt.alarms.models import Alarm
from stadsvakt.alarms.normalise import (
    NUMBERS,
    WIDTHS,
    AlarmRecord,
    Envelope,
    Source,
    fitted,
    from_event,
    unreadable,
)
from stadsvakt.alarms.protocols import scaip_codes
from stadsvakt.alarms.protocols.contact_id import parse_adm_cid
from stadsvakt.alarms.protocols.errors import MalformedContent, ScaipError
from stadsvakt.alarms.protocols.events import NUMBER_MAX, Category, device_number
from stadsvakt.alarms.protocols.scaip import ScaipRequest, build_mrq, parse_mrq
from stadsvakt.alarms.protocols.sia_codes import parse_sia_data
from tests.alarms.columns import misfits

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
SOURCE = Source(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())

#: Digit strings from 0 to far past any column, with and without leading zeros.
numbers = st.integers(0, 10**30).map(str) | st.text("0123456789", min_size=1, max_size=40)
#: Any text at all: controls, NUL, lone surrogates, other scripts' digits.
any_text = st.text(st.characters(codec=None), max_size=700)


def envelope(protocol: str = "dc09-sia", payload: str = "[]") -> Envelope:
    """The envelope a receiver would build around the data."""
    return Envelope(
        source=SOURCE,
        protocol=protocol,
        account="1234",
        sequence="0001",
        received_at=NOW,
        event_time=None,
        encrypted=False,
        payload=payload,
        raw=b"raw frame",
    )


def records_of(events_or_error: object, frame: Envelope) -> list[AlarmRecord]:
    """The records the DC-09 handler stores for a parse outcome."""
    if isinstance(events_or_error, MalformedContent):
        return [unreadable(events_or_error.detail, frame)]
    assert isinstance(events_or_error, tuple)
    return [from_event(event, frame, index) for index, event in enumerate(events_or_error)]


# --- SIA DC-03 ---------------------------------------------------------------------------

sia_pieces = st.one_of(
    st.sampled_from(["N", "O", "/", "|", "#", "BA", "FA", "OP", "CL", "UX", "ZZ"]),
    st.sampled_from(["id", "ri", "pi", "ti"]).flatmap(lambda m: numbers.map(lambda n: m + n)),
    st.sampled_from(["BA", "OP", "CG", "FA"]).flatmap(lambda c: numbers.map(lambda n: c + n)),
    numbers,
    st.text(string.printable, max_size=30).map(lambda t: f"^{t.replace('^', '')}^"),
    st.text(string.printable, max_size=30).map(lambda t: f"|A{t.replace('|', '')}"),
)


@settings(max_examples=300)
@given(st.lists(sia_pieces, max_size=12).map("".join))
def test_any_sia_block_gives_records_that_fit(data: str) -> None:
    try:
        outcome: object = parse_sia_data(data).events
    except MalformedContent as exc:
        outcome = exc
    for record in records_of(outcome, envelope(payload=f"[{data}]")):
        assert misfits(record) == [], (data, record)


@pytest.mark.parametrize(
    "data",
    [
        "Nid99999999999999999999ri1/BA01",  # the probe's frame
        "Nid2147483648ri1/BA01",  # 2**31: past PostgreSQL's integer
        "Nri2147483648/BA01",
        "Nri1id" + "9" * 4000 + "/BA01",  # int() of 4,000 digits must not be asked
    ],
)
def test_a_sia_number_past_its_column_makes_the_block_unreadable(data: str) -> None:
    with pytest.raises(MalformedContent, match="larger than 2147483647"):
        parse_sia_data(data)


def test_the_largest_number_a_column_holds_is_still_read() -> None:
    [event] = parse_sia_data(f"Nid{NUMBER_MAX}ri0000000000000001/BA01").events
    assert (event.user, event.partition, event.zone) == (NUMBER_MAX, 1, 1)


# --- Contact ID --------------------------------------------------------------------------


@given(
    st.sampled_from("136"),
    st.text("0123456789", min_size=3, max_size=3),
    st.text("0123456789", min_size=2, max_size=2),
    st.text("0123456789", min_size=3, max_size=3),
)
def test_any_contact_id_block_gives_records_that_fit(
    qualifier: str, code: str, group: str, point: str
) -> None:
    data = f"#1234|{qualifier}{code} {group} {point}"
    outcome = (parse_adm_cid(data),)
    for record in records_of(outcome, envelope("dc09-cid", f"[{data}]")):
        assert misfits(record) == []


def test_other_scripts_digits_are_no_contact_id() -> None:
    with pytest.raises(MalformedContent):
        parse_adm_cid("#1234|1١٣٠ ٠١ ٠١٥")  # Arabic-Indic digits are \d without re.ASCII


# --- SCAIP -------------------------------------------------------------------------------

xml_text = st.text(
    st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"
    ),
    min_size=1,
    max_size=256,
).filter(lambda t: t.strip() == t)

scaip_requests = st.builds(
    ScaipRequest,
    ref=st.text(string.ascii_letters + string.digits, min_size=1, max_size=16),
    cid=st.text(string.digits, min_size=1, max_size=16),
    device_type=st.integers(0, 9999),
    status=st.none() | st.integers(0, 9999),
    component=st.none() | st.integers(0, 999),
    device_id=st.none() | xml_text | numbers | st.sampled_from(["²", "¹²", "١٢٣", "0" * 30]),
    location=st.none() | st.integers(0, 999),
    callers=st.lists(xml_text, max_size=64).map(tuple),
    texts=st.dictionaries(st.sampled_from(["dte", "stt", "lte", "ite"]), xml_text, max_size=4),
)


@settings(max_examples=200)
@given(scaip_requests)
def test_any_scaip_message_gives_a_record_that_fits(request: ScaipRequest) -> None:
    body = build_mrq(request)
    try:
        mrq = parse_mrq(body)
    except ScaipError:
        return  # refused with a SIP or SCAIP error: nothing stored
    frame = envelope("scaip", body.decode())
    try:
        record = from_event(scaip_codes.event(mrq), frame, 0)
    except MalformedContent as exc:
        record = unreadable(exc.detail, frame)
    assert misfits(record) == [], record


@pytest.mark.parametrize("device_id", ["²", "¹²³", "99999999999999999999"])
def test_a_scaip_device_id_that_is_no_storable_number_is_no_zone(device_id: str) -> None:
    request = ScaipRequest(ref="r1", cid="46701234567", device_type=3, device_id=device_id)
    event = scaip_codes.event(parse_mrq(build_mrq(request)))
    assert event.zone is None
    assert f"device {device_id}" in (event.text or "")


# --- JSON --------------------------------------------------------------------------------

json_messages = st.fixed_dictionaries(
    {
        "account": st.from_regex(r"[0-9A-Fa-f]{3,16}", fullmatch=True),
        "message_id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@/+#-]{0,63}", fullmatch=True),
        "code": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,15}", fullmatch=True),
    },
    optional={
        "qualifier": st.sampled_from(["new", "restore"]),
        "category": st.sampled_from([c.value for c in Category]),
        "zone": st.integers(-1, 2**40),
        "text": any_text,
    },
)


@settings(max_examples=200)
@given(json_messages)
def test_any_accepted_json_message_gives_a_record_that_fits(message: dict[str, object]) -> None:
    try:
        [item] = parse(json.dumps(message).encode())
    except Exception:  # refused with a 422 naming the field: nothing stored
        return
    assert isinstance(item.message, AlarmMessage)
    record = to_record(item.message, item.raw, SOURCE, NOW)
    assert misfits(record) == [], record


# --- the last guard: any record at all -----------------------------------------------------


@settings(max_examples=300)
@given(
    st.fixed_dictionaries(
        {
            "account": any_text,
            "sequence": st.none() | any_text,
            "code": any_text,
            "description": any_text,
            "text": st.none() | any_text,
            "payload": any_text,
            "zone": st.none() | st.integers(-(2**70), 2**70),
            "user_number": st.none() | st.integers(-(2**70), 2**70),
            "partition": st.none() | st.integers(-(2**70), 2**70),
        }
    )
)
def test_any_record_is_fitted_to_the_table(values: dict[str, Any]) -> None:
    base = from_event(parse_sia_data("Nri1/BA01").events[0], envelope(), 0)
    record = fitted(replace(base, **values))
    assert misfits(record) == []
    assert (record.id, record.raw, record.dedup_keys) == (base.id, base.raw, base.dedup_keys)
    numbers_fit = all(
        value is None or 0 <= value <= NUMBER_MAX
        for value in (values["zone"], values["user_number"], values["partition"])
    )
    assert (record.category is Category.UNKNOWN) or numbers_fit


def test_the_widths_checked_are_the_tables() -> None:
    columns = Alarm.__table__.columns
    for name, width in WIDTHS.items():
        column_type = columns[name].type
        assert isinstance(column_type, String) and column_type.length == width, name
    for name in NUMBERS:
        assert isinstance(columns[name].type, Integer), name


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("007", 7), (str(NUMBER_MAX), NUMBER_MAX), ("0" * 50 + "12", 12)],
)
def test_a_device_number_is_read_when_a_column_holds_it(text: str, expected: int) -> None:
    assert device_number(text, "zone") == expected


@pytest.mark.parametrize("text", [str(NUMBER_MAX + 1), "9" * 5000, "²", "١٢", "", "-1", "1 "])
def test_a_device_number_no_column_holds_is_malformed_content(text: str) -> None:
    with pytest.raises(MalformedContent):
        device_number(text, "zone")
