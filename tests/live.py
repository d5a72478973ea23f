"""A real stadsvakt server for tests that need one over TCP (a browser, a third-party
client): uvicorn in a background thread on a port bound before it starts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from tests.waiting import wait_until


@contextmanager
def serving(
    app: FastAPI, *, lifespan: bool = False, sock: socket.socket | None = None
) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 on a free port while the block runs; yields its base URL.
    ``sock``: a socket already bound there (when the app's settings must name its port)."""
    if sock is None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", ws="none", lifespan="on" if lifespan else "off"
    )
    # uvicorn installs no signal handlers off the main thread, so pytest keeps its own.
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), "uvicorn to start")
        assert server.started, "uvicorn stopped before it served"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
