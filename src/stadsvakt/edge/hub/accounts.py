"""The broker's accounts follow the enrolled devices: when a device is enrolled or
revoked, every active device's account (``mqtt_accounts``) and the centre's own are
handed to a sink that makes the broker use them.

For Mosquitto the sink writes its password file (beside and renamed, so Mosquitto never
reads half a file) and sends the process in its pid file SIGHUP, on which Mosquitto
reads the file again; a revoked device's next connection is refused. For the demo's
embedded broker the sink is ``EmbeddedBroker.set_accounts``. A change is noticed by a
cheap mark of ``edge_devices`` read at each poll (:func:`~.queries.devices_mark`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from stadsvakt.edge.broker.mosquitto import password_file_text
from stadsvakt.edge.devices.service import mqtt_accounts
from stadsvakt.edge.hub.queries import devices_mark

if TYPE_CHECKING:  # amqtt is loaded only where the demo runs its broker
    from stadsvakt.edge.broker.embedded import EmbeddedBroker

log = logging.getLogger(__name__)

#: The longest wait between two attempts after a failure.
LONGEST_RETRY_S = 60.0
#: ``(username, $7$ hash)`` of every active device.
Accounts = Sequence[tuple[str, str]]
#: Makes the broker use these device accounts (and the centre's own).
AccountSink = Callable[[Accounts], None]


def _write_atomically(path: Path, text: str) -> None:
    # As mosquitto.write_config does: beside, then renamed. Owner and group: Mosquitto
    # reads it as its own user after a reload (docs/edge.md: a shared group), no one else.
    partial = path.with_name(path.name + ".new")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    partial.replace(path)


def mosquitto_sink(
    password_file: Path, pid_file: Path | None, *, centre_username: str, centre_hash: str
) -> AccountSink:
    """A sink that rewrites Mosquitto's password file and, with a pid file, reloads it."""

    def write(accounts: Accounts) -> None:
        text = password_file_text([(centre_username, centre_hash), *accounts])
        _write_atomically(password_file, text)
        if pid_file is not None:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGHUP)

    return write


def embedded_sink(broker: EmbeddedBroker, centre_hash: str) -> AccountSink:
    """A sink that gives the demo's embedded broker the accounts."""

    def give(accounts: Accounts) -> None:
        broker.set_accounts(accounts, centre_hash)

    return give


class AccountSync:
    """Hands the broker the accounts whenever the active devices change, and tells
    ``on_change`` which devices are active then (without a sink: only that)."""

    def __init__(
        self,
        factory: Callable[[], Session],
        sink: AccountSink | None,
        *,
        poll_s: float,
        on_change: Callable[[set[uuid.UUID]], None] | None = None,
    ) -> None:
        self._factory = factory
        self._sink = sink
        self._poll_s = poll_s
        self._on_change = on_change
        self._mark: tuple[int, int, str] | None = None
        #: How many times the accounts were handed to the broker.
        self.written = 0

    def check(self) -> set[uuid.UUID] | None:
        """If the devices changed since the last check, hand the broker the accounts and
        answer the active devices' ids; else None (blocking: call from a worker thread)."""
        with self._factory() as session:
            mark = devices_mark(session)
            if mark == self._mark:
                return None
            accounts = mqtt_accounts(session)
        if self._sink is not None:
            self._sink(accounts)
            self.written += 1
            log.info("edge broker accounts written: %d devices", len(accounts))
        self._mark = mark
        return {uuid.UUID(username) for username, _ in accounts}

    @property
    def manages_broker(self) -> bool:
        """Whether it writes the broker's accounts (else it only follows the devices)."""
        return self._sink is not None

    async def serve(self) -> None:
        """Check every ``poll_s`` until cancelled; after a failure (logged) wait twice as
        long each time, up to :data:`LONGEST_RETRY_S`, so a broken setup is not logged
        four times a second."""
        wait = self._poll_s
        while True:
            try:
                active = await asyncio.to_thread(self.check)
            except Exception:  # the database is away, or the file or signal is refused
                log.exception("writing the edge broker's accounts failed; again in %.1f s", wait)
                wait = min(wait * 2, max(LONGEST_RETRY_S, self._poll_s))
            else:
                wait = self._poll_s
                if active is not None and self._on_change is not None:
                    self._on_change(active)
            await asyncio.sleep(wait)
