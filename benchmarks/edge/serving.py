"""The centre for the outage's upload: ``stadsvakt serve`` in a child process (the full
run: the centre's own process, as in service), or the same app under uvicorn on a thread
of this process (quick runs and the test: no second interpreter to start)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from benchmarks.decisions.http_load import free_port, server
from stadsvakt.app import create_app
from stadsvakt.settings import Settings

#: How long the centre may take to start.
START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Serving:
    """Where the centre answers, and its process (None: this one)."""

    base: str
    pid: int | None


@contextmanager
def centre(url: str, workdir: Path, *, in_process: bool) -> Iterator[Serving]:
    """The centre over the database at ``url``, on a free port, until the block ends."""
    if not in_process:
        with server(url, workdir) as running:
            yield Serving(running.base, running.pid)
        return
    port = free_port()
    app = create_app(Settings(database_url=url, _env_file=None))
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, name="centre", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not uv.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the centre did not start")
            time.sleep(0.05)
        yield Serving(f"http://127.0.0.1:{port}", None)
    finally:
        uv.should_exit = True
        thread.join(30)
