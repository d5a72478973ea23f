"""Simulated panels' frames: valid DC-09, sequence numbers, a realistic mix, restores."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from stadsvakt.alarms.protocols.dc09.message import Dc09Message
from stadsvakt.alarms.protocols.dc09.responses import ack_header, duh, nak
from stadsvakt.alarms.protocols.events import Qualifier
from stadsvakt.alarms.simulate.accounts import csv_lines, panels_from_csv, plan_panels
from stadsvakt.alarms.simulate.panels import (
    MAX_SEQUENCE,
    Panel,
    PanelSpec,
    Payload,
    acknowledges,
    read_reply,
)

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
KEY = bytes(range(32))


def _parse(frame: bytes, key: bytes | None) -> Dc09Message:
    return Dc09Message.parse(frame, lambda *_: key, NOW)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    payload=st.sampled_from(Payload),
    key=st.sampled_from([None, KEY[:16], KEY]),
)
def test_every_message_is_a_frame_the_receiver_parses(
    seed: int, payload: Payload, key: bytes | None
) -> None:
    panel = Panel(PanelSpec("5E0001", payload, key), random.Random(seed))
    for _ in range(20):
        message = panel.event() if panel.rng.random() < 0.8 else panel.heartbeat()
        parsed = _parse(message.frame(panel.spec, NOW), key)
        assert parsed.account == "5E0001" and parsed.encrypted == (key is not None)
        assert parsed.sequence == f"{message.sequence:04d}"
        assert parsed.timestamp == NOW
        codes = [event.code for event in parsed.events()]
        assert codes == ([] if message.is_heartbeat else [message.code])


def test_sequence_numbers_count_up_and_wrap_after_9999() -> None:
    panel = Panel(PanelSpec("5E0002"), random.Random(1), sequence=MAX_SEQUENCE - 1)
    numbers = [panel.heartbeat().sequence, panel.event().sequence, panel.heartbeat().sequence]
    assert numbers == [9999, 1, 2]


def test_a_re_send_keeps_sequence_and_data_but_not_the_ciphertext() -> None:
    panel = Panel(PanelSpec("5E0003", Payload.SIA, KEY), random.Random(2))
    message = panel.event()
    first, again = message.frame(panel.spec, NOW), message.frame(panel.spec, NOW)
    assert first != again  # a fresh pad each time
    assert _parse(first, KEY).data == _parse(again, KEY).data
    assert _parse(first, KEY).sequence == _parse(again, KEY).sequence


def test_the_mix_has_openings_burglaries_tests_and_their_restores() -> None:
    sia = Panel(PanelSpec("5E0004", Payload.SIA), random.Random(3))
    codes = Counter(sia.event().code for _ in range(2000))
    assert {"OP", "CL", "BA", "BR", "RP", "FA", "FR", "AT", "AR"} <= set(codes)
    assert codes["OP"] + codes["CL"] > codes["BA"] > codes["FA"]
    cid = Panel(PanelSpec("5E0005", Payload.CID), random.Random(3))
    events = [
        event
        for _ in range(500)
        for event in _parse(cid.event().frame(cid.spec, NOW), None).events()
    ]
    assert {"130", "110", "401", "602", "301"} <= {event.code for event in events}
    assert {Qualifier.NEW, Qualifier.RESTORE} <= {event.qualifier for event in events}


def test_a_restore_follows_an_active_condition() -> None:
    panel = Panel(PanelSpec("5E0006", Payload.SIA), random.Random(4))
    seen: list[str] = []
    for _ in range(300):
        seen.append(panel.event().code)
    first_restore = seen.index("BR")
    assert "BA" in seen[:first_restore]


def test_replies_are_read_with_their_sequence() -> None:
    panel = Panel(PanelSpec("5E0007", Payload.SIA, KEY), random.Random(5))
    message = panel.event()
    header = _parse(message.frame(panel.spec, NOW), KEY).header
    acked = read_reply(ack_header(header, now=NOW, key=KEY))
    assert (acked.kind, acked.encrypted, acknowledges(acked, message)) == ("ACK", True, True)
    assert read_reply(nak(NOW)).kind == "NAK"
    assert read_reply(duh(header)).kind == "DUH"
    assert not acknowledges(read_reply(nak(NOW)), message)
    other = panel.heartbeat()
    assert not acknowledges(acked, other)


def test_planned_panels_round_trip_through_the_import_csv() -> None:
    specs = plan_panels(12, encrypted_share=0.5, seed=9, interval_s=60)
    assert any(spec.key for spec in specs) and any(spec.key is None for spec in specs)
    assert {spec.payload for spec in specs} == set(Payload)
    lines = csv_lines(specs, ["SB-001", "SB-002"])
    assert lines[1].split(",")[4] == "SB-001" and lines[2].split(",")[4] == "SB-002"
    assert panels_from_csv(lines) == specs


def test_ascii_keys_are_hex_characters_for_receivers_that_take_them_so() -> None:
    specs = plan_panels(20, encrypted_share=1.0, ascii_keys=True, seed=1)
    for spec in specs:
        assert spec.key is not None and len(spec.key) in (16, 32)
        int(spec.key, 16)
    assert panels_from_csv(csv_lines(specs, ["SB-001"], ascii_keys=True)) == specs


def test_csv_rows_of_other_protocols_are_skipped() -> None:
    lines = [
        "account,receiver,line,protocol,site,interval_s,key,key_format,encrypted_only",
        "46701234501,0,0,scaip,SB-027,3600,,,false",
        "1234,0,0,dc09-cid,SB-001,,,,false",
    ]
    (spec,) = panels_from_csv(lines)
    assert (spec.account, spec.payload, spec.interval_s) == ("1234", Payload.CID, 90.0)
