"""Receivers beside the web server: started and stopped with it; switched off by settings."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import sessionmaker

from stadsvakt.alarms.receivers.dc09 import Dc09Receiver
from stadsvakt.alarms.receivers.run import enabled_receivers, run_alongside
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.settings import AlarmSettings, Settings
from tests import factories_alarms as fa
from tests.alarms.conftest import ReceiverDb, alarm_settings


def test_receiver_runs_alongside_the_main_server_and_stops_with_it(
    receiver_db: ReceiverDb,
) -> None:
    row = receiver_db.add()
    services = receiver_db.services
    receiver = Dc09Receiver(alarm_settings(), services.session_factory, services.box)

    async def main() -> bytes:
        await asyncio.wait_for(receiver.ready.wait(), 10)
        assert receiver.tcp_port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.tcp_port)
        writer.write(fa.sia_frame(row.account, 1))
        reply = await asyncio.wait_for(reader.readuntil(b"\r"), 10)
        writer.close()
        return reply

    replies: list[bytes] = []

    async def server() -> None:
        replies.append(await main())

    asyncio.run(asyncio.wait_for(run_alongside(server(), [receiver]), 30))
    assert b'"ACK"' in replies[0]
    assert receiver_db.count(row.account) == 1


def test_settings_switch_receivers_off() -> None:
    on = Settings(_env_file=None)
    off = Settings(_env_file=None, alarms=AlarmSettings(dc09_enabled=False))
    neither = Settings(_env_file=None, alarms=AlarmSettings(dc09_tcp=False, dc09_udp=False))
    factory, box = sessionmaker(), SecretBox("test")  # built, never started, here

    def dc09(settings: Settings) -> list[object]:
        # Other receivers (SCAIP, …) have switches of their own.
        found = enabled_receivers(settings, factory, box)
        return [receiver for receiver in found if isinstance(receiver, Dc09Receiver)]

    assert len(dc09(on)) == 1
    assert dc09(off) == []
    assert dc09(neither) == []
