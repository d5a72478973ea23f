"""HTTP decisions against a real ``stadsvakt serve`` process: an open-loop load at a fixed
rate, and the delay from a deactivation (made in this process) to the server's first deny."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx

Request = tuple[uuid.UUID, str, datetime]


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(database_url: str, workdir: Path, *, poll_ms: int = 200) -> Iterator[str]:
    """Run ``stadsvakt serve`` on a free port; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "STADSVAKT_DATABASE_URL": database_url,
        "STADSVAKT_SERVER__PORT": str(port),
        "STADSVAKT_ACCESS__INDEX_POLL_MS": str(poll_ms),
        "STADSVAKT_ALARMS__DC09_ENABLED": "false",
    }
    log = (workdir / "serve.log").open("w")
    stadsvakt = Path(sys.executable).with_name("stadsvakt")
    proc = subprocess.Popen(
        [str(stadsvakt), "serve", "--port", str(port)],
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
        yield base
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


async def _open_loop(
    base: str, token: str, requests: list[Request], rate: float, seconds: float
) -> tuple[list[float], int, float]:
    """Send at a fixed rate whatever the answers do; latency counts from the planned send."""
    headers = {"Authorization": f"Bearer {token}"}
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:
        # Warm up the server's index, then the connections.
        await client.post("/api/v1/access/decisions", json=_body(requests[0]))
        await asyncio.gather(
            *(client.post("/api/v1/access/decisions", json=_body(r)) for r in requests[:50])
        )
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.05

        async def one(planned: float, request: Request) -> None:
            nonlocal errors
            try:
                response = await client.post("/api/v1/access/decisions", json=_body(request))
                if response.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(loop.time() - planned)

        # Each request is started at its planned time (not all queued up front: a pool with
        # thousands of waiting tasks slows the client itself down).
        tasks = []
        for i in range(total):
            planned = start + i / rate
            delay = planned - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(planned, requests[i % len(requests)])))
        await asyncio.gather(*tasks)
        elapsed = loop.time() - start
    return latencies, errors, total / elapsed


def open_loop(
    base: str, token: str, requests: list[Request], *, rate: float, seconds: float
) -> tuple[list[float], int, float]:
    """Latencies (s), error count and achieved rate of an open-loop run."""
    return asyncio.run(_open_loop(base, token, requests, rate, seconds))


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
