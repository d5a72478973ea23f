"""Helpers for the SCAIP receiver tests: units, and SIP over real sockets.

The receiver itself (``start_scaip`` and the ``start_sip`` and ``sip`` fixtures) is in
:mod:`tests.alarms.conftest`, beside the DC-09 one.
"""

from __future__ import annotations

import itertools
import re
import socket
from typing import Any

from stadsvakt.alarms.models import Transmitter, TransmitterProtocol
from stadsvakt.alarms.protocols.scaip import ScaipRequest
from stadsvakt.alarms.protocols.sip import SipResponse, parse_response
from stadsvakt.alarms.simulate.scaip import Dialog, SocialUnit, message
from tests.alarms.conftest import ReceiverDb, RunningReceiver

_numbers = itertools.count(1)
_LENGTH = re.compile(rb"\r\n(?:Content-Length|l)[ \t]*:[ \t]*([0-9]+)", re.IGNORECASE)


def next_cid() -> str:
    """A fresh controller id (digits, so it is also a valid registry account)."""
    return f"4670{next(_numbers):06d}"


def add_unit(receiver_db: ReceiverDb, **kwargs: Any) -> tuple[Transmitter, SocialUnit]:
    """Register a SCAIP transmitter and the simulated unit that sends for it."""
    kwargs.setdefault("protocol", TransmitterProtocol.SCAIP)
    row = receiver_db.add(account=kwargs.pop("account", None) or next_cid(), **kwargs)
    return row, SocialUnit(row.account)


def mrq_message(
    request: ScaipRequest,
    rx: RunningReceiver,
    transport: str = "udp",
    dialog: Dialog | None = None,
) -> bytes:
    """A SIP MESSAGE carrying ``request`` to the running receiver."""
    port = rx.udp[1] if transport == "udp" else rx.tcp[1]
    return message(
        request, dialog or Dialog.new(), transport=transport, host="127.0.0.1", port=port
    )


def udp_send(address: tuple[str, int], data: bytes, timeout: float = 10.0) -> SipResponse:
    """Send one datagram and parse the response datagram."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(data, address)
        reply, _ = sock.recvfrom(65536)
    return parse_response(reply)


def udp_silent(address: tuple[str, int], data: bytes, wait: float = 1.0) -> bool:
    """Whether a datagram gets no answer within ``wait`` seconds."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(wait)
        sock.sendto(data, address)
        try:
            sock.recvfrom(65536)
        except TimeoutError:
            return True
    return False


def read_response(sock: socket.socket) -> SipResponse:
    """Read one response from a TCP stream: headers, then Content-Length bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError(f"connection closed after {data!r}")
        data += chunk
    match = _LENGTH.search(data)
    length = int(match.group(1)) if match else 0
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            raise ConnectionError("connection closed inside a body")
        body += chunk
    return parse_response(data + body)


def tcp_send(sock: socket.socket, data: bytes) -> SipResponse:
    """Send bytes over TCP and read one response."""
    sock.sendall(data)
    return read_response(sock)
