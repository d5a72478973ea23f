"""Receiver test fixtures: a committed database per module and a receiver on real sockets.

Receivers write from worker threads and commit, so they cannot share the rolled-back
test connection; each test module gets its own migrated database instead (a temp
SQLite file, or a throwaway PostgreSQL database), and tests use fresh accounts.
"""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from stadsvakt.alarms.metrics import Metrics
from stadsvakt.alarms.models import Alarm, Transmitter
from stadsvakt.alarms.receivers.dc09 import Dc09Receiver
from stadsvakt.alarms.receivers.sip import ScaipReceiver
from stadsvakt.api.deps import Services
from stadsvakt.app import build_services
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.org.models import Municipality, Site
from stadsvakt.settings import AlarmSettings, Settings
from tests import factories as f
from tests import factories_alarms as fa
from tests.conftest import POSTGRES_ENV, fast_security


@dataclass
class ReceiverDb:
    """A committed database with a municipality and a site to register transmitters on."""

    url: str
    services: Services
    tenant: Municipality
    site: Site

    def add(self, **kwargs: Any) -> Transmitter:
        """Register and commit a transmitter."""
        with unit_of_work(self.services.session_factory) as session:
            return fa.transmitter(session, self.services.box, self.tenant, self.site, **kwargs)

    def alarms(self, account: str) -> list[Alarm]:
        """The stored alarms of an account, oldest first."""
        with self.services.session_factory() as session:
            stmt = select(Alarm).where(Alarm.account == account).order_by(Alarm.received_at)
            return list(session.scalars(stmt))

    def count(self, account: str) -> int:
        """How many alarms an account has."""
        with self.services.session_factory() as session:
            stmt = select(func.count()).where(Alarm.account == account)
            return session.scalar(stmt) or 0

    def transmitter(self, transmitter_id: uuid.UUID) -> Transmitter:
        """A transmitter as stored now."""
        with self.services.session_factory() as session:
            row = session.get(Transmitter, transmitter_id)
            assert row is not None
            return row


def throwaway_database(base: str) -> tuple[str, Callable[[], None]]:
    """A new empty PostgreSQL database beside ``base``, and how to drop it."""
    name = f"stadsvakt_tmp_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        gc.collect()  # report a connection left open here, not in a later test
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="module")
def receiver_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReceiverDb]:
    """A migrated, committed database for this module's receiver tests."""
    drop: Callable[[], None] | None = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('rx') / 'rx.db'}"
    else:
        base = os.environ.get(POSTGRES_ENV)
        if not base:
            pytest.skip(f"{POSTGRES_ENV} is not set")
        url, drop = throwaway_database(base)
    settings = Settings(database_url=url, security=fast_security(), _env_file=None)
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = f.municipality(session)
        site = f.site(session, tenant)
    yield ReceiverDb(url, services, tenant, site)
    services.engine.dispose()
    if drop is not None:
        drop()


class Counters(Protocol):
    """What a test reads of a receiver's counters."""

    def value(self, name: str, **labels: str) -> float:
        """The value of one series."""
        ...


class Served(Protocol):
    """A receiver as the test threads see it: it serves until cancelled and counts."""

    metrics: Metrics

    async def serve(self) -> None:
        """Serve until cancelled."""
        ...


R = TypeVar("R", bound=Served)


class LoopThread(Generic[R]):
    """A receiver's ``serve()`` run by its own event loop in a daemon thread."""

    def __init__(self, receiver: R) -> None:
        self.receiver = receiver
        self.metrics: Counters = receiver.metrics
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started: Future[None] = Future()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._task = self._loop.create_task(self.receiver.serve())
        self._loop.create_task(self._signal_started())
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # surface start-up failures to the test
            if self._started.done():
                raise
            self._started.set_exception(exc)
        finally:
            self._loop.close()

    async def _signal_started(self) -> None:
        await self._until_started()
        self._started.set_result(None)

    async def _until_started(self) -> None:
        """Return once the receiver counts as started (at once, unless overridden)."""

    def _start_thread(self, timeout: float) -> None:
        self._thread.start()
        self._started.result(timeout=timeout)

    def _stop_thread(self, timeout: float) -> None:
        if self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=timeout)
        assert not self._thread.is_alive()


class RunningReceiver(LoopThread[Dc09Receiver | ScaipReceiver]):
    """A :class:`Dc09Receiver` (or :class:`ScaipReceiver`) served by its own loop in a thread."""

    async def _until_started(self) -> None:
        await self.receiver.ready.wait()

    def start(self) -> RunningReceiver:
        """Start and wait until the sockets are bound."""
        self._start_thread(timeout=20)
        return self

    def stop(self) -> None:
        """Cancel the receiver and wait for its thread."""
        self._stop_thread(timeout=20)

    def refresh(self) -> None:
        """Reload the transmitter directory now (instead of waiting for its poll)."""
        self.receiver.directory.refresh()

    @property
    def tcp(self) -> tuple[str, int]:
        """The TCP address."""
        assert self.receiver.tcp_port is not None
        return ("127.0.0.1", self.receiver.tcp_port)

    @property
    def udp(self) -> tuple[str, int]:
        """The UDP address."""
        assert self.receiver.udp_port is not None
        return ("127.0.0.1", self.receiver.udp_port)

    def connect(self, timeout: float = 10.0) -> socket.socket:
        """A TCP connection to the receiver."""
        return socket.create_connection(self.tcp, timeout=timeout)


#: Last-seen times are written this often in tests (1 s in production): a heartbeat's
#: effect shows at once, and the flush itself is still exercised.
SEEN_FLUSH_S = 0.05


def alarm_settings(**changes: Any) -> AlarmSettings:
    """Receiver settings on ephemeral ports, with test-sized limits."""
    values: dict[str, Any] = {
        "dc09_host": "127.0.0.1",
        "dc09_port": 0,
        "read_timeout_s": 5.0,
        "seen_flush_s": SEEN_FLUSH_S,
    }
    values.update(changes)
    return AlarmSettings(**values)


class MetricsSince:
    """A receiver's counters as one test sees them: counted from the test's start, so a
    receiver shared by a module's tests still gives each test its own numbers."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._start = metrics.snapshot()

    def value(self, name: str, **labels: str) -> float:
        """How much the series grew since the test started."""
        before = self._start.get(name, {}).get(tuple(sorted(labels.items())), 0.0)
        return self._metrics.value(name, **labels) - before


def start_dc09(receiver_db: ReceiverDb, **changes: Any) -> RunningReceiver:
    """Start a DC-09 receiver over the module's database with the given settings."""
    services = receiver_db.services
    receiver = Dc09Receiver(
        alarm_settings(**changes), services.session_factory, services.box, metrics=Metrics()
    )
    return RunningReceiver(receiver).start()


@pytest.fixture
def start_receiver(receiver_db: ReceiverDb) -> Iterator[Callable[..., RunningReceiver]]:
    """Start receivers of their own with given settings; all are stopped after the test."""
    running: list[RunningReceiver] = []

    def start(**changes: Any) -> RunningReceiver:
        running.append(start_dc09(receiver_db, **changes))
        return running[-1]

    yield start
    for item in running:
        item.stop()


@pytest.fixture(scope="module")
def module_rx(receiver_db: ReceiverDb) -> Iterator[RunningReceiver]:
    """One DC-09 receiver with default test settings for the whole module."""
    running = start_dc09(receiver_db)
    yield running
    running.stop()


@pytest.fixture
def rx(module_rx: RunningReceiver) -> RunningReceiver:
    """The module's DC-09 receiver (on TCP and UDP), its counters counted from this test's
    start. A test that needs other settings or a pristine receiver uses ``start_receiver``."""
    module_rx.metrics = MetricsSince(module_rx.receiver.metrics)
    return module_rx


def sip_settings(**changes: Any) -> AlarmSettings:
    """SCAIP receiver settings on an ephemeral port, with test-sized limits."""
    values: dict[str, Any] = {
        "sip_host": "127.0.0.1",
        "sip_port": 0,
        "read_timeout_s": 5.0,
        "seen_flush_s": SEEN_FLUSH_S,
    }
    values.update(changes)
    return AlarmSettings(**values)


def start_scaip(receiver_db: ReceiverDb, **changes: Any) -> RunningReceiver:
    """Start a SCAIP receiver (``max_header``/``max_body`` go to the receiver itself)."""
    limits = {key: changes.pop(key) for key in ("max_header", "max_body") if key in changes}
    services = receiver_db.services
    receiver = ScaipReceiver(
        sip_settings(**changes),
        services.session_factory,
        services.box,
        metrics=Metrics(),
        **limits,
    )
    return RunningReceiver(receiver).start()


@pytest.fixture
def start_sip(receiver_db: ReceiverDb) -> Iterator[Callable[..., RunningReceiver]]:
    """Start SCAIP receivers with given settings; all are stopped after the test."""
    running: list[RunningReceiver] = []

    def start(**changes: Any) -> RunningReceiver:
        running.append(start_scaip(receiver_db, **changes))
        return running[-1]

    yield start
    for item in running:
        item.stop()


@pytest.fixture(scope="module")
def module_sip(receiver_db: ReceiverDb) -> Iterator[RunningReceiver]:
    """One SCAIP receiver with default test settings for the whole module."""
    running = start_scaip(receiver_db)
    yield running
    running.stop()


@pytest.fixture
def sip(module_sip: RunningReceiver) -> RunningReceiver:
    """The module's SCAIP receiver (SIP over UDP and TCP), its counters counted from this
    test's start. A test that needs other settings uses ``start_sip``."""
    module_sip.metrics = MetricsSince(module_sip.receiver.metrics)
    return module_sip


def exchange(sock: socket.socket, frame: bytes) -> bytes:
    """Send one frame over TCP and read one reply frame (LF … CR)."""
    sock.sendall(frame)
    return read_reply(sock)


def read_reply(sock: socket.socket) -> bytes:
    """Read bytes up to and including the next CR."""
    data = b""
    while not data.endswith(b"\r"):
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError(f"connection closed after {data!r}")
        data += chunk
    return data


def udp_exchange(address: tuple[str, int], frame: bytes, timeout: float = 10.0) -> bytes:
    """Send one frame as a datagram and return the reply datagram."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(frame, address)
        reply, _ = sock.recvfrom(65536)
        return reply
