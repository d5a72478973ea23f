"""Running the web app: in this process, or in several worker processes.

One Python process runs one request at a time on one core, so ``--workers N`` starts N
processes, each a complete app (its own engine, decision index following the change
feed, access event writer and event purge). Their listening sockets share the port with
``SO_REUSEPORT``, so the kernel spreads connections evenly over the workers.

The alarm receivers listen on ports of their own and must run once, as must the edge
hub (one connection to the edge broker as the centre): they run in the first worker
only. A worker that exits stops the others and the command exits non-zero,
so the service manager restarts the whole set rather than a half.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import socket
import threading
from collections.abc import Sequence
from multiprocessing.context import SpawnProcess
from types import FrameType

import uvicorn
from rich.console import Console

from stadsvakt.alarms.receivers.run import Receiver, enabled_receivers, run_alongside
from stadsvakt.api.deps import Services
from stadsvakt.app import build_services, create_app
from stadsvakt.audit.jobs import checkpoint_timers
from stadsvakt.edge.hub import edge_receivers
from stadsvakt.ports import CannotListen, web_listener
from stadsvakt.runtime import serving
from stadsvakt.settings import Settings

log = logging.getLogger(__name__)

#: Seconds a worker gets to finish its requests after SIGTERM before it is killed.
STOP_SECONDS = 15.0


class _QuietDecisions(logging.Filter):
    """Drops uvicorn's access-log line of a successful decision: each one is stored as an
    access event already, and at a thousand a second the log line costs more CPU than
    the decision. Failed decisions and every other request are still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            return not (args[2] == "/api/v1/access/decisions" and args[4] == 200)
        return True


#: Seconds a stopping server waits for open requests (the live queue's streams) to end.
GRACEFUL_SHUTDOWN_S = 5


def _config(settings: Settings, services: Services) -> uvicorn.Config:
    config = uvicorn.Config(
        create_app(settings, services),
        host=settings.server.host,
        port=settings.server.port,
        log_level="info",
        proxy_headers=True,
        # Open live-queue streams never end by themselves; on stop they are cut after a
        # few seconds, and browsers resume from the last change they saw on the next start.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    # After uvicorn.Config, which (re)configures its loggers; added once per process.
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _QuietDecisions) for f in access.filters):
        access.addFilter(_QuietDecisions())
    return config


async def _serve(
    config: uvicorn.Config, receivers: Sequence[Receiver], sockets: list[socket.socket] | None
) -> None:
    await run_alongside(uvicorn.Server(config).serve(sockets=sockets), receivers)


def run_single(settings: Settings, services: Services, receivers: Sequence[Receiver]) -> None:
    """Serve in this process, with the given receivers, until interrupted."""
    config = _config(settings, services)
    # uvicorn's own loop choice (uvloop when installed), as `uvicorn.run` would make.
    with serving(services.engine), asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(_serve(config, receivers, None))


def _worker(settings: Settings, sock: socket.socket, first: bool) -> None:
    """One worker process: its own services and app; the receivers only in the first."""
    services = build_services(settings)
    receivers: list[Receiver] = []
    if first:
        receivers = [
            *enabled_receivers(settings, services.session_factory, services.box),
            *edge_receivers(settings, services.session_factory),
            *checkpoint_timers(settings, services.session_factory),
        ]
    console = Console()
    for receiver in receivers:
        console.print(receiver.describe())
    config = _config(settings, services)
    try:
        with (
            serving(services.engine),
            asyncio.Runner(loop_factory=config.get_loop_factory()) as runner,
        ):
            runner.run(_serve(config, receivers, [sock]))
    except KeyboardInterrupt:
        pass
    finally:
        services.engine.dispose()


def _sockets(settings: Settings, count: int) -> list[socket.socket]:
    """One bound socket per worker on the same address (bound here, so a taken port fails
    before any worker starts)."""
    host, port = settings.server.host, settings.server.port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    out: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family=family)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.set_inheritable(True)
            out.append(sock)
    except OSError as exc:
        for sock in out:
            sock.close()
        # Checked free just before (stadsvakt.ports); taken since, it is said as plainly.
        raise CannotListen(web_listener(settings.server), "TCP", exc) from exc
    return out


def run_workers(settings: Settings, workers: int) -> int:
    """Serve with ``workers`` processes until interrupted or one exits; returns the exit
    code (0 after Ctrl-C or SIGTERM, 1 when a worker ended on its own)."""
    sockets = _sockets(settings, workers)
    # spawn, not fork: a forked child would share the parent's pooled connections.
    context = multiprocessing.get_context("spawn")
    processes: list[SpawnProcess] = [
        context.Process(
            target=_worker, args=(settings, sock, i == 0), name=f"stadsvakt-worker-{i + 1}"
        )
        for i, sock in enumerate(sockets)
    ]
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for process in processes:
            process.start()
        for sock in sockets:
            sock.close()  # the workers hold their own copies
        while not stop.wait(0.5):
            if any(not process.is_alive() for process in processes):
                log.error("a worker exited on its own; stopping the others")
                return 1
        return 0
    finally:
        _stop_all(processes)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_all(processes: list[SpawnProcess]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn finishes the requests under way
    for process in processes:
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
