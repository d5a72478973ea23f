"""The receivers under test, each in a child process of its own.

A receiver in its own process does not share the load generator's event loop or
interpreter lock, as in production. :class:`ChildServer` starts it, waits until
its port accepts connections and stops it with SIGTERM (SIGKILL if it hangs).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

STADSVAKT = str(Path(sys.executable).parent / "stadsvakt")
_START_TIMEOUT_S = 60.0


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChildServer:
    """A receiver process, ready once its TCP port accepts connections."""

    def __init__(self, argv: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.argv, self.env, self.port, self.log = argv, env, port, log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ChildServer:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=out)
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        tail = self.log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{self.argv[0]} did not start: {tail}")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """SIGTERM (a graceful stop), then SIGKILL after 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def stadsvakt_receiver(database_url: str, port: int, log: Path) -> ChildServer:
    """``stadsvakt receive dc09`` on ``database_url`` (TCP only, no connection limit)."""
    env = {
        **os.environ,
        "STADSVAKT_DATABASE_URL": database_url,
        "STADSVAKT_DC09_PORT": str(port),
        "STADSVAKT_ALARMS__DC09_HOST": "127.0.0.1",
        "STADSVAKT_ALARMS__DC09_UDP": "false",
        "STADSVAKT_ALARMS__MAX_CONNECTIONS": "100000",
        "STADSVAKT_ALARMS__MAX_CONNECTIONS_PER_ADDRESS": "100000",  # every panel is local
    }
    return ChildServer([STADSVAKT, "receive", "dc09"], env, port, log)


def pysiaalarm_receiver(accounts_file: Path, port: int, log: Path) -> ChildServer:
    """pysiaalarm's asyncio TCP server with the accounts in ``accounts_file``."""
    argv = [sys.executable, "-m", "benchmarks.dc09.pysia_server", str(port), str(accounts_file)]
    return ChildServer(argv, dict(os.environ), port, log)
