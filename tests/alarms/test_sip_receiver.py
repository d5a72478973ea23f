"""The SCAIP receiver over real UDP and TCP sockets: stored before 200 OK, heartbeats, re-sends."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from sqlalchemy.orm import sessionmaker

from stadsvakt.alarms.metrics import ALARMS, DUPLICATES, SCAIP_MESSAGES
from stadsvakt.alarms.protocols.scaip import CONTENT_TYPE, MessageType, ScaipRequest, parse_mrs
from stadsvakt.alarms.receivers.run import enabled_receivers
from stadsvakt.alarms.receivers.sip import ScaipReceiver
from stadsvakt.alarms.simulate.scaip import Dialog
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.settings import AlarmSettings, Settings
from tests.alarms.conftest import ReceiverDb, RunningReceiver
from tests.alarms.scaip_support import add_unit, mrq_message, tcp_send, udp_send
from tests.waiting import pace, wait_until


def fall(cid: str, ref: str = "F0001") -> ScaipRequest:
    """A fall detector's automatic alarm in the bathroom."""
    return ScaipRequest(ref=ref, cid=cid, device_type=5, status=9, location=11, device_id="3")


def test_alarm_over_udp_is_stored_then_answered_200_with_mrs(
    receiver_db: ReceiverDb, sip: RunningReceiver
) -> None:
    row, _ = add_unit(receiver_db)
    sip.refresh()
    dialog = Dialog.new()
    data = mrq_message(fall(row.account, "A1B2C3"), sip, dialog=dialog)
    response = udp_send(sip.udp, data)
    assert response.status == 200
    assert response.content_type == CONTENT_TYPE
    mrs = parse_mrs(response.body)
    assert (mrs.ref, mrs.snu) == ("A1B2C3", 0)
    assert response.header("Call-ID") == dialog.call_id
    assert response.header("CSeq") == "1 MESSAGE"
    assert dialog.branch in (response.header("Via") or "")
    assert ";tag=" in (response.header("To") or "")
    [alarm] = receiver_db.alarms(row.account)
    assert (alarm.protocol, alarm.category, alarm.priority) == ("scaip", "medical", 2)
    assert alarm.code == "0005/0009" and alarm.description == "Fall detector: automatic alarm"
    assert alarm.zone == 3 and "bathroom" in (alarm.text or "")
    assert alarm.raw == data and alarm.transmitter_id == row.id
    assert alarm.sequence == "A1B2C3" and "<ref>A1B2C3</ref>" in alarm.payload
    assert sip.metrics.value(ALARMS) == 1


def test_button_press_over_tcp_two_requests_in_one_segment_answered_in_order(
    receiver_db: ReceiverDb, sip: RunningReceiver
) -> None:
    row, unit = add_unit(receiver_db)
    sip.refresh()
    rng = random.Random(1)
    first = ScaipRequest(ref="B1", cid=row.account, device_type=3, status=10, component=2)
    second = unit.alarm(rng)
    with sip.connect() as sock:
        sock.sendall(mrq_message(first, sip, "tcp") + mrq_message(second, sip, "tcp"))
        replies = [tcp_send(sock, b"") for _ in range(2)]
    assert [parse_mrs(r.body).ref for r in replies] == ["B1", second.ref]
    alarms = receiver_db.alarms(row.account)
    assert len(alarms) == 2
    button = next(a for a in alarms if a.sequence == "B1")
    assert (button.category, button.description) == ("social", "Personal trigger: manual alarm")
    assert "button 1" in (button.text or "")


def test_a_request_split_over_segments_is_reassembled(
    receiver_db: ReceiverDb, sip: RunningReceiver
) -> None:
    row, unit = add_unit(receiver_db)
    sip.refresh()
    data = mrq_message(unit.alarm(random.Random(2)), sip, "tcp")
    with sip.connect() as sock:
        for start in range(0, len(data), 37):
            sock.sendall(data[start : start + 37])
            pace(0.01)
        assert tcp_send(sock, b"").status == 200
    assert receiver_db.count(row.account) == 1


def test_heartbeat_updates_last_seen_and_stores_no_alarm(
    receiver_db: ReceiverDb, sip: RunningReceiver
) -> None:
    row, unit = add_unit(receiver_db)
    sip.refresh()
    response = udp_send(sip.udp, mrq_message(unit.heartbeat(), sip))
    assert response.status == 200 and parse_mrs(response.body).snu == 0
    wait_until(lambda: receiver_db.transmitter(row.id).last_seen_at is not None, "last seen")
    assert receiver_db.count(row.account) == 0
    assert sip.metrics.value(SCAIP_MESSAGES, transport="udp", type="PI") == 1


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_resent_message_is_answered_ok_without_a_second_alarm(
    receiver_db: ReceiverDb, sip: RunningReceiver, transport: str
) -> None:
    row, _ = add_unit(receiver_db)
    sip.refresh()
    data = mrq_message(fall(row.account), sip, transport)
    if transport == "udp":
        replies = [udp_send(sip.udp, data) for _ in range(2)]
    else:
        with sip.connect() as sock:
            replies = [tcp_send(sock, data) for _ in range(2)]
    assert [(r.status, parse_mrs(r.body).snu) for r in replies] == [(200, 0), (200, 0)]
    assert replies[0].header("To") == replies[1].header("To")  # the same To tag
    assert receiver_db.count(row.account) == 1
    assert sip.metrics.value(DUPLICATES) == 1


def test_a_new_ref_with_the_same_content_is_a_new_alarm(
    receiver_db: ReceiverDb, sip: RunningReceiver
) -> None:
    row, _ = add_unit(receiver_db)
    sip.refresh()
    for ref in ("R1", "R2"):
        assert udp_send(sip.udp, mrq_message(fall(row.account, ref), sip)).status == 200
    assert receiver_db.count(row.account) == 2


def test_reset_is_stored_as_a_restore(receiver_db: ReceiverDb, sip: RunningReceiver) -> None:
    row, _ = add_unit(receiver_db)
    sip.refresh()
    reset = ScaipRequest(
        ref="RE1", cid=row.account, device_type=3, status=10, message_type=MessageType.RESET
    )
    assert udp_send(sip.udp, mrq_message(reset, sip)).status == 200
    [alarm] = receiver_db.alarms(row.account)
    assert (alarm.qualifier, alarm.priority) == ("restore", 7)


def test_a_slow_client_does_not_block_others(
    receiver_db: ReceiverDb, start_sip: Callable[..., RunningReceiver]
) -> None:
    sip = start_sip(read_timeout_s=30.0)
    row, unit = add_unit(receiver_db)
    sip.refresh()
    data = mrq_message(unit.alarm(random.Random(3)), sip, "tcp")
    with sip.connect() as slow, sip.connect() as fast:
        slow.sendall(data[:50])  # and nothing more for now
        assert tcp_send(fast, mrq_message(fall(row.account, "FAST"), sip, "tcp")).status == 200
        assert udp_send(sip.udp, mrq_message(fall(row.account, "UDP"), sip)).status == 200
        assert tcp_send(slow, data[50:]).status == 200
    assert receiver_db.count(row.account) == 3


def test_settings_switch_the_scaip_receiver() -> None:
    factory, box = sessionmaker(), SecretBox("test")  # built, never started, here
    on = Settings(_env_file=None)
    off = Settings(_env_file=None, alarms=AlarmSettings(sip_enabled=False))
    neither = Settings(_env_file=None, alarms=AlarmSettings(sip_tcp=False, sip_udp=False))

    def scaip(settings: Settings) -> list[ScaipReceiver]:
        found = enabled_receivers(settings, factory, box)
        return [receiver for receiver in found if isinstance(receiver, ScaipReceiver)]

    [receiver] = scaip(on)
    where = f"{on.alarms.sip_host}:{on.alarms.sip_port}"  # the environment may change it
    assert receiver.describe() == f"SCAIP receiver (SIP over UDP/TCP) on {where}"
    assert scaip(off) == [] and scaip(neither) == []
