"""Running receivers beside another server (``stadsvakt serve``) or on their own.

A receiver is anything with an ``async serve()`` that listens until cancelled
(DC-09, SCAIP over SIP, the MQTT input) or a background job of alarm reception
(transmitter supervision). :func:`enabled_receivers` builds those the settings
switch on.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.receivers.dc09 import Dc09Receiver
from stadsvakt.alarms.receivers.mqtt import MqttReceiver
from stadsvakt.alarms.receivers.sip import ScaipReceiver
from stadsvakt.alarms.supervision.watcher import Supervisor
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.settings import Settings


class Receiver(Protocol):
    """Something that serves until cancelled and can say where it listens."""

    async def serve(self) -> None:
        """Listen (or work) until cancelled."""
        ...

    def describe(self) -> str:
        """One line for the console, e.g. ``DC-09 receiver on 127.0.0.1:12300``."""
        ...


def enabled_receivers(
    settings: Settings, factory: sessionmaker[Session], box: SecretBox
) -> list[Receiver]:
    """The receivers the settings switch on (none when every one is off)."""
    alarms = settings.alarms
    receivers: list[Receiver] = []
    if alarms.dc09_enabled and (alarms.dc09_tcp or alarms.dc09_udp):
        receivers.append(Dc09Receiver(alarms, factory, box))
    if alarms.sip_enabled and (alarms.sip_tcp or alarms.sip_udp):
        receivers.append(ScaipReceiver(alarms, factory, box))
    if alarms.supervision_enabled:
        receivers.append(Supervisor(alarms, factory))
    if alarms.mqtt_enabled:
        receivers.append(MqttReceiver(alarms, factory, box))
    return receivers


async def run_alongside(main: Awaitable[None], receivers: Sequence[Receiver]) -> None:
    """Run ``main`` (e.g. uvicorn) with the receivers; stop them when ``main`` returns."""
    async with asyncio.TaskGroup() as tasks:
        running = [tasks.create_task(receiver.serve()) for receiver in receivers]
        try:
            await main
        finally:
            for task in running:
                task.cancel()


async def run_receivers(receivers: Sequence[Receiver]) -> None:
    """Run receivers until cancelled: by Ctrl-C, or by SIGTERM (how systemd and most
    supervisors stop a service; a shell's background job also ignores Ctrl-C)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        async with asyncio.TaskGroup() as tasks:
            for receiver in receivers:
                tasks.create_task(receiver.serve())
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (uvicorn[standard] brings it), else None
    for asyncio's own: the receivers run the same on both, uvloop does their socket work
    in C (the web server picks uvloop the same way)."""
    if importlib.util.find_spec("uvloop") is None:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = importlib.import_module(
        "uvloop"
    ).new_event_loop
    return factory
