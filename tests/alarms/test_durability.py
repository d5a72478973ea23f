"""Durability: a real receiver process killed with SIGKILL under load, restarted, three times.

Senders behave like panels: each message is re-sent (new timestamp, same sequence and
data) until it is acknowledged, across refused connections and timeouts. Afterwards
every acknowledged message must be in the database exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from stadsvakt.alarms.models import Alarm
from stadsvakt.app import build_services
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import Settings
from tests import factories as f
from tests import factories_alarms as fa
from tests.alarms.conftest import read_reply, throwaway_database
from tests.conftest import POSTGRES_ENV, fast_security
from tests.waiting import pace, wait_until

SENDERS = 4
MESSAGES_PER_SENDER = 60
KILLS = 3
STADSVAKT = str(Path(sys.executable).parent / "stadsvakt")


@pytest.fixture
def durable_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database the receiver process and the test share."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'durable.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    url, drop = throwaway_database(base)
    try:
        yield url
    finally:
        drop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """``stadsvakt receive dc09`` as a child process."""

    def __init__(self, url: str, port: int, log: Path) -> None:
        self.port = port
        self.env = {
            **os.environ,
            "STADSVAKT_DATABASE_URL": url,
            "STADSVAKT_DC09_PORT": str(port),
            "STADSVAKT_ALARMS__DC09_HOST": "127.0.0.1",
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [STADSVAKT, "receive", "dc09"], env=self.env, stdout=out, stderr=out
            )
        wait_until(self._listening, "the receiver to listen", timeout=30)

    def _listening(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.log.read_text()
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class Panel(threading.Thread):
    """Sends its messages one by one, each until acknowledged, like a panel."""

    def __init__(self, port: int, account: str, first: int, count: int, key: bytes | None) -> None:
        super().__init__(daemon=True)
        self.port, self.account, self.key = port, account, key
        self.numbers = range(first, first + count)
        self.acked: list[int] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        sock: socket.socket | None = None
        try:
            for number in self.numbers:
                deadline = time.monotonic() + 90
                while True:
                    assert time.monotonic() < deadline, f"message {number} never acknowledged"
                    try:
                        if sock is None:
                            sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
                        frame = fa.sia_frame(
                            self.account, number % 10_000, f"Nri1/BA{number}", key=self.key
                        )
                        sock.sendall(frame)
                        reply = read_reply(sock)
                    except OSError:
                        if sock is not None:
                            sock.close()
                        sock, reply = None, b""
                        pace(0.05)  # a panel's pause before it dials again
                    if b'ACK"' in reply:
                        self.acked.append(number)
                        break
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            if sock is not None:
                sock.close()


@pytest.mark.slow
def test_every_acked_alarm_survives_sigkill_exactly_once(durable_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=durable_url, security=fast_security(), _env_file=None)
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session)
        site = f.site(session, tenant)
        plain = fa.transmitter(session, services.box, tenant, site)
        sealed = fa.transmitter(session, services.box, tenant, site, key=fa.KEY_128)
        accounts = {plain.account: None, sealed.account: fa.KEY_128}
    receiver = Receiver(durable_url, _free_port(), tmp_path / "receiver.log")
    receiver.start()
    panels = [
        Panel(receiver.port, account, 1 + i * MESSAGES_PER_SENDER, MESSAGES_PER_SENDER, key)
        for i, (account, key) in enumerate(list(accounts.items()) * (SENDERS // 2))
    ]
    try:
        for panel in panels:
            panel.start()
        total = SENDERS * MESSAGES_PER_SENDER
        for kill in range(1, KILLS + 1):
            target = total * kill // (KILLS + 1)
            wait_until(
                lambda: sum(len(p.acked) for p in panels) >= target,  # noqa: B023
                f"{target} acknowledged alarms",
                timeout=60,
            )
            receiver.kill()
            receiver.start()
        for panel in panels:
            panel.join(timeout=120)
            assert not panel.is_alive() and panel.error is None, panel.error
    finally:
        receiver.stop()
    acked = sorted(n for panel in panels for n in panel.acked)
    assert len(acked) == SENDERS * MESSAGES_PER_SENDER
    with services.session_factory() as session:
        zones = list(session.scalars(select(Alarm.zone).where(Alarm.account.in_(accounts))))
    services.engine.dispose()
    assert sorted(z for z in zones if z is not None) == acked, "lost or doubled alarms"
