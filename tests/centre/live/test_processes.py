"""Two real ``stadsvakt serve`` processes over one PostgreSQL database: an alarm posted to
process A reaches an SSE client connected to process B (the fan-out goes through the
database's NOTIFY, never one process's memory)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from benchmarks.decisions.http_load import free_port

from stadsvakt.server import GRACEFUL_SHUTDOWN_S
from tests.centre.live.helpers import parse, until
from tests.centre.live.world import World, committed_database, world
from tests.waiting import wait_until


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("several processes share a PostgreSQL database")


@pytest.fixture
def live(postgres_only: None, backend: str, tmp_path: Path) -> Iterator[World]:
    with committed_database(backend, tmp_path) as url, world(url) as made:
        yield made


def _start(live: World, directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start one ``stadsvakt serve`` process on a free port, without receivers."""
    port = free_port()
    env = {
        **os.environ,
        "STADSVAKT_DATABASE_URL": live.url,
        "STADSVAKT_ALARMS__DC09_ENABLED": "false",
        "STADSVAKT_ALARMS__SIP_ENABLED": "false",
        "STADSVAKT_ALARMS__SUPERVISION_ENABLED": "false",
        # The slowest poll allowed: a change reaches the other process by NOTIFY.
        "STADSVAKT_CENTRE__FEED_POLL_S": "10",
    }
    stadsvakt = Path(sys.executable).with_name("stadsvakt")
    proc = subprocess.Popen(
        [str(stadsvakt), "serve", "--port", str(port)],
        env=env,
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, f"http://127.0.0.1:{port}"


@contextmanager
def _serving(
    live: World, directory: Path, count: int
) -> Iterator[list[tuple[subprocess.Popen[bytes], str]]]:
    """``count`` processes started at once; yields them with their URLs once all answer."""
    started = [_start(live, directory) for _ in range(count)]
    try:
        for proc, url in started:

            def healthy(proc: subprocess.Popen[bytes] = proc, url: str = url) -> bool:
                assert proc.poll() is None, "stadsvakt serve stopped"
                try:
                    return httpx.get(f"{url}/healthz", timeout=2).is_success
                except httpx.HTTPError:
                    return False

            wait_until(healthy, f"stadsvakt serve at {url}", timeout=120, every=0.1)
        yield started
    finally:
        for proc, _ in started:
            proc.send_signal(signal.SIGTERM)
        for proc, _ in started:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.slow
def test_an_alarm_posted_to_one_process_reaches_a_stream_on_another(
    live: World, tmp_path: Path
) -> None:
    with _serving(live, tmp_path, 2) as [(_, a), (b_process, b)]:
        with httpx.Client(base_url=b, headers=live.operator, timeout=30) as client:
            with client.stream("GET", "/api/v1/centre/stream") as response:
                assert response.status_code == 200
                events = parse(response.iter_lines())
                [ready] = until(events, "ready")
                body = {"account": live.json_account, "message_id": "leak-1", "code": "water_leak"}
                posted = httpx.post(
                    f"{a}/api/v1/alarms/inputs",
                    content=json.dumps(body),
                    headers={**live.device, "Content-Type": "application/json"},
                    timeout=30,
                )
                assert posted.status_code == 201, posted.text
                [new] = until(events, "new")
                # Stopping with a stream open cuts it after the grace period rather than
                # waiting for it (the browser resumes from its last change elsewhere).
                stopping = time.monotonic()
                b_process.send_signal(signal.SIGTERM)
                b_process.wait(timeout=60)
                assert time.monotonic() - stopping < GRACEFUL_SHUTDOWN_S + 10
    assert new.seq > ready.seq
    assert new.json["category"] == "technical"
    assert new.json["title"] == "Vattenläckage"
    assert new.json["site"]["id"] == str(live.site_id)
