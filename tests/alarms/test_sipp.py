"""Debian's SIPp as a real SIP client: a SCAIP MESSAGE over UDP and TCP, answered 200 OK.

SIPp is packaged as ``sip-tester`` (``./dev test`` installs it). The scenario in
``sipp/scaip_message.xml`` sends an ``<mrq>`` for the controller id read from an
injection file and requires a 200 whose ``<mrs>`` carries ``<snu>0</snu>``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from stadsvakt.alarms.metrics import SCAIP_MESSAGES
from tests.alarms.conftest import ReceiverDb, RunningReceiver, start_scaip
from tests.alarms.scaip_support import add_unit

SIPP = shutil.which("sipp")
SCENARIO = Path(__file__).parent / "sipp" / "scaip_message.xml"
CALLS = 3

pytestmark = pytest.mark.skipif(
    SIPP is None, reason="sipp is not on PATH (Debian: apt-get install sip-tester)"
)


@pytest.fixture
def sip(receiver_db: ReceiverDb) -> Iterator[RunningReceiver]:
    """A SCAIP receiver on one free port for UDP and TCP."""
    running = start_scaip(receiver_db)
    yield running
    running.stop()


def free_port(kind: socket.SocketKind) -> int:
    """A port nothing listens on now (for SIPp's own socket)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize(("mode", "transport"), [("u1", "udp"), ("t1", "tcp")])
def test_sipp_sends_scaip_messages_that_are_stored_and_answered(
    receiver_db: ReceiverDb, sip: RunningReceiver, tmp_path: Path, mode: str, transport: str
) -> None:
    row, _ = add_unit(receiver_db)
    sip.refresh()
    fields = tmp_path / "units.csv"
    fields.write_text(f"SEQUENTIAL\n{row.account};\n")
    target = sip.udp if transport == "udp" else sip.tcp
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    command = [
        str(SIPP),
        f"{target[0]}:{target[1]}",
        "-sf", str(SCENARIO),
        "-inf", str(fields),
        "-t", mode,
        "-i", "127.0.0.1",
        "-p", str(free_port(kind)),
        "-m", str(CALLS),
        "-r", "10",
        "-timeout", "60s",
        "-timeout_error",
        "-nostdin",
        "-trace_err",
        "-error_file", str(tmp_path / "errors.log"),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=120, check=False)
    errors = (tmp_path / "errors.log").read_text() if (tmp_path / "errors.log").exists() else ""
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:], errors)
    alarms = receiver_db.alarms(row.account)
    assert len(alarms) == CALLS
    assert {(a.protocol, a.category, a.code) for a in alarms} == {("scaip", "social", "0003/0010")}
    assert all(b"User-Agent: SIPp" in a.raw for a in alarms)
    assert sip.metrics.value(SCAIP_MESSAGES, transport=transport, type="ME") == CALLS
