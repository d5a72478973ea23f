"""Running receivers beside another server (``stadsvakt serve``) or on their own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.receivers.dc09 import Dc09Receiver
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.settings import Settings


def enabled_receivers(
    settings: Settings, factory: sessionmaker[Session], box: SecretBox
) -> list[Dc09Receiver]:
    """The receivers the settings switch on (none when every one is off)."""
    alarms = settings.alarms
    if not alarms.dc09_enabled or not (alarms.dc09_tcp or alarms.dc09_udp):
        return []
    return [Dc09Receiver(alarms, factory, box)]


async def run_alongside(main: Awaitable[None], receivers: list[Dc09Receiver]) -> None:
    """Run ``main`` (e.g. uvicorn) with the receivers; stop them when ``main`` returns."""
    async with asyncio.TaskGroup() as tasks:
        running = [tasks.create_task(receiver.serve()) for receiver in receivers]
        try:
            await main
        finally:
            for task in running:
                task.cancel()


async def run_receivers(receivers: list[Dc09Receiver]) -> None:
    """Run receivers until cancelled (Ctrl-C)."""
    async with asyncio.TaskGroup() as tasks:
        for receiver in receivers:
            tasks.create_task(receiver.serve())
