"""Frames published by other implementations and in bug reports, checked byte for byte.

Each frame's CRC and length were recomputed (see the notes); where a published copy
had lost characters (Markdown collapses runs of spaces) the original was recovered
by finding the spacing that reproduces the published CRC *and* length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from stadsvakt.alarms.protocols.dc09.crc import crc16
from stadsvakt.alarms.protocols.dc09.header import parse_timestamp
from stadsvakt.alarms.protocols.dc09.message import Dc09Message
from stadsvakt.alarms.protocols.dc09.responses import ack
from stadsvakt.alarms.protocols.events import Category, Qualifier


@dataclass(frozen=True)
class Case:
    """A published frame and what it must parse to."""

    source: str
    frame: bytes
    account: str
    receiver: str | None
    line: str | None
    codes: tuple[str, ...]
    key: bytes | None = None
    sent: str | None = None  # receiver time to parse at, when the frame has no timestamp


AJAX_KEY = b"3BD7E66AA9E2F190"  # published with the frames in pysiaalarm's tests/run.py

CASES = [
    # pysiaalarm issue #11 (Ajax); the ^…^ name is 16 characters, as the CRC proves.
    Case(
        "pysiaalarm #11",
        b'9618004D"SIA-DCS"7960L0#123456[#123456|Nri1CL0^VX FRONTE       ^]_22:40:48,04-11-2021',
        "123456",
        None,
        "0",
        ("CL",),
    ),
    # pysiaalarm issue #42: "TAST.  001      " — again recovered from CRC 5670.
    Case(
        "pysiaalarm #42",
        b'5670004D"SIA-DCS"8070L0#123456[#123456|Nri0KR1^TAST.  001      ^]_13:49:12,04-13-2021',
        "123456",
        None,
        "0",
        ("KR",),
    ),
    # Real encrypted frames (pysiaalarm tests/run.py, tests/run_re.py), binary pad.
    Case(
        "pysiaalarm run.py",
        b'021A0078"*SIA-DCS"0764L0#EA1984[E759F1FE2FDBAF5B30AED69378DF87CF'
        b"9DA82AA9292D0661E3EBA6DF2AD55AEA4D91968EE8460EC206B8AEAD69B33BCB",
        "EA1984",
        None,
        "0",
        ("YG",),
        AJAX_KEY,
    ),
    Case(
        "pysiaalarm run_re.py",
        b'85DF0078"*SIA-DCS"4480L0#EA1984[83F153789366885D5F83DD5A8D19F6'
        b"91DE6602D5D71342E244C040C5D10D89040444068312750F38DF7E63AD3DE8AD5A",
        "EA1984",
        None,
        "0",
        ("RP",),
        AJAX_KEY,
    ),
    # An encrypted NULL whose pad has no '|' before the empty data's ']'.
    Case(
        "pysiaalarm cases",
        b'76D80055"*NULL"0000R0L0#AAAB[B4BC8B40D0E6D959D6BEA78E88CC0B2155'
        b"741A3C44FBB96D476A3E557CAD64D9",
        "AAAB",
        "0",
        "0",
        (),
        b"AAAAAAAAAAAAAAAA",
    ),
    # ioBroker.sia issue #11: bare "L" and a 10-digit account (bytes from the debug log).
    Case(
        "ioBroker.sia #11",
        b'\nBB86002C"NULL"0001L#7303658550[]_15:39:38,06-07-2019\r',
        "7303658550",
        None,
        "",
        (),
    ),
    # node-red-contrib-sia-ultimate issue #2 (bytes from the debug log).
    Case(
        "node-red sia #2",
        b'\n70C4003B"SIA-DCS"1707L0#0000[#0000|Nri0/RP0000]_13:36:41,12-22-2021\r',
        "0000",
        None,
        "0",
        ("RP",),
    ),
    # A public Go receiver's notes: PROSEC panels (L000, account without '#').
    Case("PROSEC", b'B0970029"NULL"0000L000#0809[]_21:00:01,02-20-2024', "0809", None, "000", ()),
    Case(
        "PROSEC",
        b'F68B003B"ADM-CID"0028L0#9757[#9757|1602 00 000]_20:59:45,02-20-2024',
        "9757",
        None,
        "0",
        ("602",),
    ),
    Case(
        "PROSEC",
        b'B4330036"SIA-DCS"0442L000#36214[36214|NRP]_00:00:00,02-21-2024',
        "36214",
        None,
        "000",
        ("RP",),
    ),
    Case(
        "PROSEC",
        b'3F60003C"SIA-DCS"0001L0#51449[#51449|Nri0000/LR]_21:26:19,12-20-2023',
        "51449",
        None,
        "0",
        ("LR",),
    ),
    Case(
        "PROSEC",
        b'7B620035"SIA-DCS"0005L000#3044[3044|NOP1]_00:03:31,12-21-2023',
        "3044",
        None,
        "000",
        ("OP",),
    ),
    Case(
        "PROSEC",
        b'85340035"SIA-DCS"0004L000#3044[3044|NBC1]_00:03:31,12-21-2023',
        "3044",
        None,
        "000",
        ("BC",),
    ),
    # Hikvision: short receiver and line numbers.
    Case(
        "Hikvision",
        b'99820040"ADM-CID"1937R15L1#21401[#21401|1602 00 000]_20:59:59,02-20-2024',
        "21401",
        "15",
        "1",
        ("602",),
    ),
    # Hikvision AX hub (eavanvalkenburg/sia issue #17, a Home Assistant user's log): a NULL
    # that carries a data block (#0000|0000 00 000), which a strict NULL pattern refuses.
    Case(
        "Hikvision sia #17",
        b'821F003A"NULL"0000R0L0#AAAB[#0000|0000 00 000]_18:25:49,07-05-2020',
        "AAAB",
        "0",
        "0",
        (),
    ),
    # Pyronix Enforcer 11 (home-assistant/core issue #180511, from tcpdump): a NULL with
    # bare L0 and no receiver; it only stays connected when the ACK echoes L0#1409.
    Case(
        "Pyronix HA #180511",
        b'EA740027"NULL"0000L0#1409[]_20:38:07,08-27-2026',
        "1409",
        None,
        "0",
        (),
    ),
    # Galaxy: no published DC-09 frame was found. Galaxy Flex panels send Honeywell's own
    # SIA-over-TCP blocks (length byte, command byte, XOR checksum; see the reverse-engineered
    # notes in ZebMcKayhan/SIA-Server, galaxy/README.md), which is not DC-09 framing.
    # OPAX: the CRC sent as two binary bytes instead of four hex digits.
    Case("OPAX", b'\xc5\x5b002A"NULL"0000R8L0#41213[]_21:00:10,02-20-2024', "41213", "8", "0", ()),
    Case(
        "OPAX",
        b'\xc1\x7e003E"ADM-CID"0379R0L0#10064[10064|1602 00 000]_00:00:43,02-21-2024',
        "10064",
        "0",
        "0",
        ("602",),
    ),
    Case(
        "OPAX",
        b'\x6c\x5b003C"ADM-CID"0148R0L0#8362[8362|1602 00 000]_00:00:09,06-11-2022',
        "8362",
        "0",
        "0",
        ("602",),
    ),
    Case(
        "alarmReceiver",
        b'37070047"SIA-DCS"0038R0L0#10303117[#10303117|Nri0001/BH005]_13:44:48,08-17-2022',
        "10303117",
        "0",
        "0",
        ("BH",),
    ),
]
# Timestamps of the encrypted cases, read from their plaintexts.
ENCRYPTED_SENT = {
    "0764": "_12:56:10,07-17-2020",
    "4480": "_16:57:20,08-11-2020",
    "0000": "_18:24:52,07-05-2020",
}


def _sent_at(case: Case) -> datetime:
    """The frame's own timestamp, so the window check passes as it did live."""
    text = case.frame.decode("latin-1").strip("\n\r")
    stamp = text.rsplit("]", 1)[-1]
    if stamp.startswith("_"):
        return parse_timestamp(stamp)
    sequence = text.split('"')[2][:4]
    return parse_timestamp(ENCRYPTED_SENT[sequence])


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.source)
def test_published_frame_parses(case: Case) -> None:
    message = Dc09Message.parse(case.frame, lambda *_: case.key, _sent_at(case))
    assert message.account == case.account
    assert message.receiver == case.receiver
    assert message.line == case.line
    assert message.encrypted == (case.key is not None)
    assert tuple(event.code for event in message.events()) == case.codes


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.source)
def test_published_crc_and_length_match_content(case: Case) -> None:
    body = case.frame.strip(b"\n\r")
    start = body.index(b'"')
    content = body[start:]
    assert int(body[start - 4 : start], 16) == len(content)
    declared = body[:4] if start == 8 else f"{int.from_bytes(body[:2], 'big'):04X}".encode()
    assert declared == f"{crc16(content):04X}".encode()


def test_ajax_closing_name_and_user() -> None:
    case = CASES[0]
    message = Dc09Message.parse(case.frame, lambda *_: None, _sent_at(case))
    (event,) = message.events()
    assert (event.category, event.user, event.partition, event.text) == (
        Category.OPEN_CLOSE,
        0,
        1,
        "VX FRONTE",
    )


def test_encrypted_data_keeps_its_account() -> None:
    case = CASES[2]
    message = Dc09Message.parse(case.frame, lambda *_: AJAX_KEY, _sent_at(case))
    assert message.data == "#EA1984|Nri0/YG0"


def test_burglary_restore_from_zone_five() -> None:
    case = CASES[-1]
    message = Dc09Message.parse(case.frame, lambda *_: None, _sent_at(case))
    (event,) = message.events()
    assert (event.code, event.qualifier, event.zone, event.partition) == (
        "BH",
        Qualifier.RESTORE,
        5,
        1,
    )


def test_the_ack_to_a_pyronix_poll_is_the_one_its_panel_accepted() -> None:
    """The Enforcer dropped a receiver whose ACK lost ``L0#1409``; this is the accepted one."""
    case = next(c for c in CASES if c.source == "Pyronix HA #180511")
    message = Dc09Message.parse(case.frame, lambda *_: None, _sent_at(case))
    assert ack(message, now=_sent_at(case)) == b'\n59890012"ACK"0000L0#1409[]\r'
