"""HTTP decisions against a real ``stadsvakt serve`` process: an open-loop load at a fixed
rate, and the delay from a deactivation (made in this process) to the server's first deny."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from stadsvakt.alarms.receivers.run import loop_factory
from stadsvakt.runtime import settle_heap

Request = tuple[uuid.UUID, str, datetime]
#: Keep-alive connections of the load generator.
CONNECTIONS = 64


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running ``stadsvakt serve``: where it answers and its process id."""

    base: str
    pid: int


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process and all its descendants (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        proc = Path(f"/proc/{current}")
        try:
            # Fields after the command name (which may hold spaces): utime, stime at 11, 12.
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            for task in (proc / "task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended meanwhile
    return total / ticks


@contextmanager
def server(
    database_url: str, workdir: Path, *, poll_ms: int = 200, workers: int = 1
) -> Iterator[Server]:
    """Run ``stadsvakt serve`` (with ``workers`` processes) on a free port."""
    port = free_port()
    env = {
        **os.environ,
        "STADSVAKT_DATABASE_URL": database_url,
        "STADSVAKT_SERVER__PORT": str(port),
        "STADSVAKT_ACCESS__INDEX_POLL_MS": str(poll_ms),
        # The requests are dated in a fixed week of January 2026 (run.WEEK): the server
        # accepts times that far back (its default window is three days).
        "STADSVAKT_ACCESS__DECISION_PAST_HOURS": str(3650 * 24),
        "STADSVAKT_ALARMS__DC09_ENABLED": "false",
    }
    log = (workdir / "serve.log").open("w")
    stadsvakt = Path(sys.executable).with_name("stadsvakt")
    proc = subprocess.Popen(
        [str(stadsvakt), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"stadsvakt serve did not start; see {workdir / 'serve.log'}")
        yield Server(base, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _body(request: Request) -> dict[str, str]:
    door, card, at = request
    return {"door_id": str(door), "credential": card, "at": at.isoformat()}


async def _worker(
    host: str,
    port: int,
    token: str,
    queue: asyncio.Queue[tuple[float, Request] | None],
    latencies: list[float],
    errors: list[int],
) -> None:
    """One keep-alive connection sending queued requests in turn (plain HTTP/1.1: a client
    library's pool bookkeeping grows with the queue and would slow the client itself)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (item := await queue.get()) is not None:
            planned, request = item
            body = json.dumps(_body(request)).encode()
            writer.write(
                b"POST /api/v1/access/decisions HTTP/1.1\r\nHost: bench\r\n"
                b"Content-Type: application/json\r\nAuthorization: Bearer "
                + token.encode()
                + b"\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                errors.append(1)
            latencies.append(time.perf_counter() - planned)
    finally:
        writer.close()


async def _open_loop(
    base: str, token: str, requests: list[Request], rate: float, seconds: float
) -> tuple[list[float], int, float]:
    """Send at a fixed rate whatever the answers do; latency counts from the planned send."""
    # The load generator's own long-lived objects (accounts, city, modules) frozen: a
    # full collection over them would stall the sender and count as slow answers.
    settle_heap()
    host, port = base.removeprefix("http://").split(":")
    total = int(rate * seconds)
    latencies: list[float] = []
    errors: list[int] = []
    queue: asyncio.Queue[tuple[float, Request] | None] = asyncio.Queue()
    # Times come from perf_counter, not loop.time(): uvloop's clock counts whole ms.
    clock = time.perf_counter
    # Warm up the server's index with one request first.
    await queue.put((clock(), requests[0]))
    await queue.put(None)
    await _worker(host, int(port), token, queue, [], errors)
    workers = [
        asyncio.create_task(_worker(host, int(port), token, queue, latencies, errors))
        for _ in range(CONNECTIONS)
    ]
    start = clock() + 0.05
    for i in range(total):
        planned = start + i / rate
        delay = planned - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((planned, requests[i % len(requests)]))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = clock() - start
    return latencies, len(errors), total / elapsed


def open_loop(
    base: str, token: str, requests: list[Request], *, rate: float, seconds: float
) -> tuple[list[float], int, float]:
    """Latencies (s), error count and achieved rate of an open-loop run.

    The sender runs on uvloop where installed: on a two-core machine it shares the CPU
    with the server under test, and the less it takes, the less it delays the server.
    """
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(_open_loop(base, token, requests, rate, seconds))


def deactivation_to_deny(
    base: str, token: str, request: Request, deactivate: Callable[[], None]
) -> float:
    """Seconds from the committed deactivation to the server's first deny of ``request``."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        before = client.post("/api/v1/access/decisions", json=_body(request)).json()
        if not before["granted"]:
            raise RuntimeError(f"the chosen card is not granted before deactivation: {before}")
        deactivate()
        committed = time.monotonic()
        while time.monotonic() - committed < 10:
            answer = client.post("/api/v1/access/decisions", json=_body(request)).json()
            if not answer["granted"]:
                return time.monotonic() - committed
            time.sleep(0.005)
    raise RuntimeError("the server never denied the deactivated person's card")
