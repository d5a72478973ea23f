"""``stadsvakt serve --workers N``: several processes answer on one port, and stop together."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from benchmarks.decisions.http_load import free_port

from stadsvakt.db import create_db_engine
from stadsvakt.migrate import upgrade
from stadsvakt.server import _QuietDecisions, _sockets
from stadsvakt.settings import Settings
from tests.waiting import wait_until


def _access_record(path: str, status: int) -> logging.LogRecord:
    # As uvicorn logs a request: client, method, path, HTTP version, status.
    args = ("127.0.0.1:5000", "POST", path, "1.1", status)
    fmt = '%s - "%s %s HTTP/%s" %d'
    return logging.LogRecord("uvicorn.access", logging.INFO, "", 0, fmt, args, None)


def test_only_answered_decisions_leave_the_access_log() -> None:
    quiet = _QuietDecisions()
    assert not quiet.filter(_access_record("/api/v1/access/decisions", 200))
    assert quiet.filter(_access_record("/api/v1/access/decisions", 503))
    assert quiet.filter(_access_record("/api/v1/access/decisions", 401))
    assert quiet.filter(_access_record("/api/v1/sites", 200))


def test_each_worker_gets_its_own_socket_on_the_same_port() -> None:
    settings = Settings(server={"host": "127.0.0.1", "port": free_port()}, _env_file=None)
    sockets = _sockets(settings, 2)
    try:
        assert len({s.fileno() for s in sockets}) == 2
        assert {s.getsockname() for s in sockets} == {("127.0.0.1", settings.server.port)}
    finally:
        for sock in sockets:
            sock.close()


def _children(pid: int) -> list[int]:
    task = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in task.read_text().split()] if task.exists() else []


@pytest.mark.slow
def test_serve_with_two_workers_answers_and_stops_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    settings = Settings(database_url=url, _env_file=None)
    engine = create_db_engine(settings)
    upgrade(settings, engine)
    engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "STADSVAKT_DATABASE_URL": url,
        "STADSVAKT_ALARMS__DC09_ENABLED": "false",
    }
    stadsvakt = Path(sys.executable).with_name("stadsvakt")
    proc = subprocess.Popen(
        [str(stadsvakt), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        answered = 0

        def ten_answers() -> bool:
            nonlocal answered
            try:
                # A new connection each time: the kernel spreads them over the workers.
                answered += httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).is_success
            except httpx.HTTPError:
                pass  # not listening yet
            return answered >= 10

        wait_until(ten_answers, "ten health answers", timeout=90, every=0.2)
        workers = [c for c in _children(proc.pid) if "resource_tracker" not in _cmdline(c)]
        assert len(workers) == 2
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not any(Path(f"/proc/{w}").exists() and _state(w) != "Z" for w in workers)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"
