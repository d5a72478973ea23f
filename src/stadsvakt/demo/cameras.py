"""While the demo serves, its cameras answer from the camera simulator in the same process.

The demo registers its cameras with snapshot addresses on the simulator
(:mod:`stadsvakt.centre.camera_sim`), so the simulator's address must be known before
seeding: :meth:`CameraSimulator.reserve` binds a loopback socket first (the server's
port + 1 when free, else any free port) and keeps it, so no other program can take the
port between seeding and serving. While the demo serves, uvicorn runs the simulator on
that socket in a thread with an event loop of its own (as the panels do,
:mod:`stadsvakt.demo.panels`). Should it stop, the cameras show "no picture" and the
rest of the demo goes on.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self

import uvicorn

from stadsvakt.centre.camera_sim import create_app
from stadsvakt.demo.panels import LoopThread
from stadsvakt.settings import Settings

#: The simulator listens on loopback only: stadsvakt itself fetches the pictures.
HOST = "127.0.0.1"
#: Where the cameras point when no simulator was reserved (as docs/centre.md shows).
DEFAULT_BASE = f"http://{HOST}:8090"


class CameraSimulator:
    """A reserved loopback socket, and the simulator served on it once started."""

    def __init__(self, sock: socket.socket) -> None:
        self.socket = sock
        self.port = int(sock.getsockname()[1])
        self._thread: LoopThread | None = None

    @classmethod
    def reserve(cls, preferred: int | None = None) -> Self:
        """Bind the preferred port on loopback if it is free, else any free port."""
        for port in ([preferred] if preferred else []) + [0]:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, port))
            except OSError as exc:
                sock.close()
                if port and exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    continue
                raise
            return cls(sock)
        raise OSError(errno.EADDRINUSE, "no free port for the camera simulator")

    @property
    def base_url(self) -> str:
        """Where the simulator answers, without a trailing slash."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        """Serve the simulator on the reserved socket in a thread of its own."""
        config = uvicorn.Config(create_app(), log_level="warning", access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        self._thread = LoopThread(server.serve(sockets=[self.socket]), "demo-cameras").start()

    def close(self) -> None:
        """Stop serving (if it was) and release the port."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        self.socket.close()

    def describe(self) -> str:
        """One line for the console."""
        return f"Simulated cameras: snapshots served on {self.base_url}/cameras/…"


def reserve_for(settings: Settings) -> CameraSimulator:
    """Reserve the simulator's port: the server's port + 1 unless a receiver of the
    demo listens there or it is taken, else any free port."""
    alarms = settings.alarms
    taken = {alarms.dc09_port, alarms.sip_port, alarms.mqtt_port, settings.server.port}
    preferred = settings.server.port + 1
    return CameraSimulator.reserve(None if preferred > 65535 or preferred in taken else preferred)


@contextmanager
def demo_cameras(simulator: CameraSimulator | None) -> Iterator[CameraSimulator | None]:
    """Serve the reserved simulator while the block runs, and release it afterwards."""
    if simulator is None:
        yield None
        return
    try:
        simulator.start()
        yield simulator
    finally:
        simulator.close()
