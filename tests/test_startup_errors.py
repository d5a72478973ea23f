"""Startup errors are one clear line, as a user of the ``stadsvakt`` command sees them.

Each test runs the console script in a subprocess against a SQLite file made with
``stadsvakt db upgrade``, with a port the test holds itself (a free one from the OS):
the command exits non-zero and prints one line naming the port and the setting that
chooses it, never a traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from stadsvakt.ports import CannotListen, Listener, check_free, dc09_listener, web_listener
from stadsvakt.settings import AlarmSettings, ServerSettings

STADSVAKT = str(Path(sys.executable).parent / "stadsvakt")
#: Generous: it catches a command that started serving instead of stopping.
DEADLINE_S = 120


@dataclass(frozen=True)
class Installation:
    """A migrated database and the environment to run ``stadsvakt`` over it."""

    folder: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Installation:
    """A SQLite file upgraded by ``stadsvakt db upgrade``; nothing else of the test's
    environment (no STADSVAKT_* variable, no .env) reaches the commands."""
    folder = tmp_path_factory.mktemp("startup")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STADSVAKT_")}
    env |= {
        "STADSVAKT_DATABASE_URL": f"sqlite:///{folder / 'stadsvakt.db'}",
        "STADSVAKT_ALARMS__SUPERVISION_ENABLED": "false",
        "COLUMNS": "80",  # Rich wraps at this width unless told not to
    }
    done = subprocess.run(
        [STADSVAKT, "db", "upgrade"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return Installation(folder, env)


def free_port() -> int:
    """A port nobody listens on now (the OS's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def held(kind: socket.SocketKind = socket.SOCK_STREAM) -> Iterator[int]:
    """A port on 127.0.0.1 held by this test (listening, for TCP) while the block runs."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        if kind == socket.SOCK_STREAM:
            sock.listen()
        yield int(sock.getsockname()[1])


def run(installation: Installation, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``stadsvakt ARGS`` with every listening port free unless ``env`` says otherwise."""
    ports = {
        "STADSVAKT_SERVER__PORT": str(free_port()),
        "STADSVAKT_DC09_PORT": str(free_port()),
        "STADSVAKT_SIP_PORT": str(free_port()),
    }
    return subprocess.run(
        [STADSVAKT, *args],
        cwd=installation.folder,
        env=installation.env | ports | env,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=False,
    )


def the_one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The command failed and said why in exactly one line, with no traceback."""
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


# --- a port taken, for each command and listener ------------------------------------------

TAKEN = {
    "serve, HTTP": (("serve",), "STADSVAKT_SERVER__PORT", "server.port"),
    "serve, DC-09": (("serve",), "STADSVAKT_DC09_PORT", "alarms.dc09_port"),
    "serve, SIP": (("serve",), "STADSVAKT_SIP_PORT", "alarms.sip_port"),
    "serve --workers 2, HTTP": (
        ("serve", "--workers", "2"),
        "STADSVAKT_SERVER__PORT",
        "server.port",
    ),
    "serve --workers 2, DC-09": (
        ("serve", "--workers", "2"),
        "STADSVAKT_DC09_PORT",
        "alarms.dc09_port",
    ),
    "receive dc09": (("receive", "dc09"), "STADSVAKT_DC09_PORT", "alarms.dc09_port"),
    "receive sip": (("receive", "sip"), "STADSVAKT_SIP_PORT", "alarms.sip_port"),
}


@pytest.mark.parametrize("case", TAKEN.values(), ids=TAKEN.keys())
def test_a_taken_port_is_one_line_naming_the_setting(
    installation: Installation, case: tuple[tuple[str, ...], str, str]
) -> None:
    args, variable, setting = case
    with held() as port:
        line = the_one_line(run(installation, *args, **{variable: str(port)}))
    assert variable in line
    assert setting in line
    assert f"port {port}" in line
    assert "already in use" in line


def test_the_port_option_is_named_too(installation: Installation) -> None:
    with held() as port:
        line = the_one_line(run(installation, "serve", "--port", str(port)))
    assert f"port {port}" in line
    assert "--port" in line


def test_a_udp_port_taken_is_named_as_udp(installation: Installation) -> None:
    """The DC-09 receiver's TCP port is free but another program has its UDP port."""
    with held(socket.SOCK_DGRAM) as port:
        line = the_one_line(run(installation, "receive", "dc09", STADSVAKT_DC09_PORT=str(port)))
    assert f"port {port} (UDP)" in line
    assert "STADSVAKT_DC09_PORT" in line


def test_a_host_that_is_not_this_machine_names_the_host_setting(
    installation: Installation,
) -> None:
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine; binding
    # to it fails at once and sends nothing.
    line = the_one_line(run(installation, "receive", "sip", STADSVAKT_ALARMS__SIP_HOST="192.0.2.1"))
    assert "192.0.2.1" in line
    assert "STADSVAKT_ALARMS__SIP_HOST" in line


@pytest.mark.parametrize(
    "how",
    [("serve", "--port", "70000"), ("serve", "--workers", "2", "--port", "70000")],
    ids=["serve", "serve --workers 2"],
)
def test_a_port_out_of_range_is_refused_before_anything_starts(
    installation: Installation, how: tuple[str, ...]
) -> None:
    """Not wrapped round to port 4464, nor an OverflowError from a worker's socket."""
    done = run(installation, *how)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Traceback" not in output
    assert "65535" in output


def test_an_unreachable_database_is_one_line_without_the_password(
    installation: Installation,
) -> None:
    url = f"postgresql+psycopg://stadsvakt:hemligt@127.0.0.1:{free_port()}/stadsvakt"
    line = the_one_line(run(installation, "serve", STADSVAKT_DATABASE_URL=url))
    assert "cannot open the database" in line
    assert "STADSVAKT_DATABASE_URL" in line
    assert "hemligt" not in line


# --- the check itself ---------------------------------------------------------------------


def dc09(port: int, *, tcp: bool = True, udp: bool = True) -> Listener:
    """The DC-09 listener on 127.0.0.1:port."""
    return dc09_listener(
        AlarmSettings(dc09_host="127.0.0.1", dc09_port=port, dc09_tcp=tcp, dc09_udp=udp)
    )


def test_free_ports_and_port_zero_pass() -> None:
    check_free([dc09(free_port()), dc09(0), web_listener(ServerSettings(port=free_port()))])


def test_a_taken_tcp_port_is_refused_and_a_udp_only_listener_passes() -> None:
    with held() as port:
        with pytest.raises(CannotListen) as refused:
            check_free([dc09(port)])
        assert refused.value.transport == "TCP"
        check_free([dc09(port, tcp=False)])


def test_a_port_out_of_range_is_refused_by_the_check() -> None:
    """Settings keep ports in range; a value set past them is still not wrapped round."""
    for port in (-1, 70000):
        with pytest.raises(CannotListen, match="not a port to listen on"):
            check_free([replace(dc09(free_port()), port=port)])


def test_a_port_shared_out_by_another_server_counts_as_taken() -> None:
    """A server that listens with SO_REUSEPORT (another ``serve --workers``) would let a
    second one share its port silently; the check refuses it."""
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = int(other.getsockname()[1])
        with pytest.raises(CannotListen):
            check_free([dc09(port, udp=False)])
