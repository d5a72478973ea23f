"""Contact ID (SIA DC-05): ADM-CID blocks, the raw 16-digit form and its checksum."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.alarms.protocols.contact_id import (
    checksum_digit,
    parse_adm_cid,
    parse_raw_contact_id,
)
from stadsvakt.alarms.protocols.contact_id_table import CONTACT_ID_CODES
from stadsvakt.alarms.protocols.errors import ContactIdChecksumError, MalformedContent
from stadsvakt.alarms.protocols.events import Category, PayloadFormat, Qualifier


def test_table_covers_the_standard_groups() -> None:
    for code in ("100", "110", "120", "121", "130", "137", "301", "302", "350", "401", "602"):
        assert code in CONTACT_ID_CODES
    assert len(CONTACT_ID_CODES) >= 200


def test_burglary_alarm() -> None:
    event = parse_adm_cid("#1234|1130 01 015")
    assert event.format is PayloadFormat.CONTACT_ID
    assert (event.code, event.category, event.qualifier) == (
        "130",
        Category.INTRUSION,
        Qualifier.NEW,
    )
    assert (event.partition, event.zone, event.user, event.account) == (1, 15, None, "1234")


def test_restore_and_status_qualifiers() -> None:
    assert parse_adm_cid("3110 00 003").qualifier is Qualifier.RESTORE
    assert parse_adm_cid("6301 00 000").qualifier is Qualifier.STATUS


def test_opening_and_closing_by_user() -> None:
    opening = parse_adm_cid("#1234|1401 02 007")
    closing = parse_adm_cid("#1234|3401 02 007")
    assert (opening.user, opening.zone, opening.category) == (7, None, Category.OPEN_CLOSE)
    assert opening.description.endswith("(opening)")
    assert closing.description.endswith("(closing)")


def test_unknown_code_is_kept() -> None:
    event = parse_adm_cid("1999 00 001")
    assert (event.code, event.category) == ("999", Category.UNKNOWN)


@pytest.mark.parametrize(
    "block",
    [
        "#12345A|1110 00 129",  # pysiaalarm's ADM-CID case
        "10064|1602 00 000",  # OPAX: account without '#'
        "#9757|1602 00 000",  # PROSEC
        "|1130 01 015",
        "1130 01 015",
        "113001015",
    ],
)
def test_block_variants(block: str) -> None:
    assert len(parse_adm_cid(block).code) == 3


@pytest.mark.parametrize("block", ["", "2130 01 015", "1130 01", "#12|x1130 01 015", "113O 01 015"])
def test_malformed_blocks(block: str) -> None:
    with pytest.raises(MalformedContent):
        parse_adm_cid(block)


def test_raw_message_with_valid_checksum() -> None:
    # 1+2+3+4+1+8+1+1+3+1+10+1+10+1+5 = 52 (each 0 counts 10); 52 + 8 = 60 = 4 x 15.
    assert checksum_digit("123418113101015") == "8"
    parsed = parse_raw_contact_id("1234 18 1 131 01 015 8")
    assert (parsed.account, parsed.message_type) == ("1234", "18")
    assert (parsed.event.code, parsed.event.zone, parsed.event.partition) == ("131", 15, 1)


def test_wrong_checksum() -> None:
    with pytest.raises(ContactIdChecksumError):
        parse_raw_contact_id("1234181131010155")


def test_hex_account_digits_count_11_to_15() -> None:
    first15 = "BCDF18160200000"
    parsed = parse_raw_contact_id(first15 + checksum_digit(first15))
    assert parsed.account == "BCDF"


def test_checksum_f_when_sum_is_already_a_multiple() -> None:
    # 15 digits summing to a multiple of 15 need F (15), never 0 (which counts 10).
    assert checksum_digit("F" * 15) == "F"


def test_checksum_value_ten_is_written_as_zero() -> None:
    # Fourteen 1s and a 6 sum to 20; 20 + 10 = 30, and the digit for 10 is "0".
    assert checksum_digit("111111111111116") == "0"
    assert checksum_digit("555555551111111") == "D"  # 47 + 13 = 60


@given(
    st.text("0123456789BCDEF", min_size=4, max_size=4),
    st.sampled_from(["18", "98"]),
    st.sampled_from("136"),
    st.integers(0, 999),
    st.integers(0, 99),
    st.integers(0, 999),
)
def test_checksum_digit_always_validates(
    account: str, message_type: str, qualifier: str, code: int, group: int, point: int
) -> None:
    first15 = f"{account}{message_type}{qualifier}{code:03d}{group:02d}{point:03d}"
    parsed = parse_raw_contact_id(first15 + checksum_digit(first15))
    assert parsed.event.code == f"{code:03d}"
    assert parsed.event.partition == group
