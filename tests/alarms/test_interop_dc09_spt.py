"""Interoperability: the third-party dialler dc09-spt (PyPI) sends to stadsvakt's receiver.

dc09-spt builds its frames, CRC and encryption itself (github.com/jvanovost/dc09_spt);
each event must be stored and dc09-spt must see the ACK (it checks the reply's CRC,
length and sequence, and decrypts ``*ACK``). Two things about dc09-spt 0.0.4:

* it was written against pycrypto and hands ``str`` to ``AES.new``/``encrypt``; pycrypto
  no longer builds on Python 3.11, and pycryptodome (same ``Crypto`` module) wants bytes,
  so :func:`_bytes_aes` passes its text on as latin-1 bytes (its pad is ASCII);
* it writes the sequence number in hex (``{:04X}``), so its 10th message is ``000A``.
  DC-09 sequence numbers are decimal, but the receiver takes hex digits too and echoes
  them, so such a dialler keeps working past its ninth message (the last test).
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from Crypto.Cipher import AES
from dc09_spt import dc09_spt as spt_module  # type: ignore[import-untyped]
from dc09_spt.comm.transpath import TransPath  # type: ignore[import-untyped]
from dc09_spt.msg import dc03_msg, dc05_msg, dc09_msg  # type: ignore[import-untyped]

from stadsvakt.alarms.protocols.events import Category, Qualifier
from tests import factories_alarms as fa
from tests.alarms.conftest import ReceiverDb, RunningReceiver
from tests.waiting import wait_until

KEYS = {"plain": None, "aes128": fa.KEY_128, "aes256": fa.KEY_256}


def _latin1(value: Any) -> Any:
    return value.encode("latin-1") if isinstance(value, str) else value


class _Cipher:
    """pycryptodome's cipher, taking dc09-spt's ``str`` as bytes."""

    def __init__(self, cipher: Any) -> None:
        self._cipher = cipher

    def encrypt(self, data: Any) -> bytes:
        result: bytes = self._cipher.encrypt(_latin1(data))
        return result

    def decrypt(self, data: Any) -> bytes:
        result: bytes = self._cipher.decrypt(_latin1(data))
        return result


class _BytesAES:
    """Stands in for ``Crypto.Cipher.AES`` inside dc09-spt's message module."""

    MODE_CBC = AES.MODE_CBC

    @staticmethod
    def new(key: bytes, mode: int, iv: Any) -> _Cipher:
        return _Cipher(AES.new(key, mode, _latin1(iv)))  # type: ignore[call-overload]


@pytest.fixture(autouse=True)
def _bytes_aes(monkeypatch: pytest.MonkeyPatch) -> None:
    # The package re-exports the class under its module's name, so reach the module itself.
    monkeypatch.setattr(sys.modules["dc09_spt.msg.dc09_msg"], "AES", _BytesAES)


def _path(rx: RunningReceiver, transport: str, account: str, key: bytes | None) -> Any:
    host, port = rx.tcp if transport == "tcp" else rx.udp
    return TransPath(host, port, account, key=key, type=transport)


@pytest.mark.parametrize("transport", ["tcp", "udp"])
@pytest.mark.parametrize("key_name", list(KEYS))
def test_sia_and_contact_id_events_are_stored_and_acknowledged(
    receiver_db: ReceiverDb, rx: RunningReceiver, transport: str, key_name: str
) -> None:
    key = KEYS[key_name]
    row = receiver_db.add(key=key)
    rx.refresh()
    dialler = spt_module.dc09_spt(row.account)
    path = _path(rx, transport, row.account, key)
    sia = dc03_msg.dc03event(row.account, {"code": "BA", "zone": "5", "zonename": "Entre"})
    cid = dc05_msg.dc05event(row.account, {"code": "110", "zone": "12", "q": "1", "area": "2"})
    assert dialler.transfer_msg(1, "SIA-DCS", sia, path) is True
    assert dialler.transfer_msg(2, "ADM-CID", cid, path) is True
    burglary, fire = receiver_db.alarms(row.account)
    assert (burglary.code, burglary.category, burglary.zone) == ("BA", Category.INTRUSION, 5)
    assert burglary.text == "Entre"
    assert (fire.code, fire.category, fire.zone, fire.partition) == ("110", Category.FIRE, 12, 2)
    assert fire.qualifier == Qualifier.NEW
    assert burglary.encrypted == fire.encrypted == (key is not None)


@pytest.mark.parametrize("key_name", ["plain", "aes256"])
def test_its_poll_is_acknowledged_and_marks_the_transmitter_seen(
    receiver_db: ReceiverDb, rx: RunningReceiver, key_name: str
) -> None:
    key = KEYS[key_name]
    row = receiver_db.add(key=key)
    rx.refresh()
    dialler = spt_module.dc09_spt(row.account)
    assert dialler.transfer_msg(0, "NULL", "]", _path(rx, "tcp", row.account, key)) is True
    wait_until(lambda: receiver_db.transmitter(row.id).last_seen_at is not None, "last seen")
    assert receiver_db.count(row.account) == 0


def test_its_queue_and_send_thread_deliver_every_event(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add(key=fa.KEY_128)
    rx.refresh()
    dialler = spt_module.dc09_spt(row.account)
    host, port = rx.tcp
    dialler.set_path("main", "primary", host, port, key=fa.KEY_128, type="tcp")
    for zone in range(1, 5):
        dialler.send_msg("SIA", {"code": "BA", "zone": str(zone)})
    dialler.send_msg("CID", {"code": "401", "user": "3", "q": "3"})
    wait_until(
        lambda: dialler.notSent() == 0 and not dialler.state().get("send active"), "the queue"
    )
    alarms = receiver_db.alarms(row.account)
    assert sorted(a.code for a in alarms) == ["401", "BA", "BA", "BA", "BA"]
    assert {a.zone for a in alarms if a.code == "BA"} == {1, 2, 3, 4}


def test_its_hex_sequence_number_from_the_tenth_message_on_is_accepted(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add()
    rx.refresh()
    frame = dc09_msg(row.account).dc09block(10, "SIA-DCS", f"#{row.account}|NBA1]")
    assert '"SIA-DCS"000A' in frame
    with rx.connect() as sock:
        sock.sendall(frame.encode("ascii"))
        reply = sock.recv(1024)
    assert b'"ACK"000A' in reply
    assert receiver_db.count(row.account) == 1
