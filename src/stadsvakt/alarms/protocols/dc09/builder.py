"""The sender side: build valid DC-09 frames, plain or encrypted.

Used by tests, the panel simulator and benchmarks. Inputs are checked, since a
sender that emits an invalid frame would only move the bug to the receiver.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from stadsvakt.alarms.protocols.dc09 import _crypto
from stadsvakt.alarms.protocols.dc09.header import Dc09Header, Token, format_timestamp, wrap
from stadsvakt.alarms.protocols.dc09.message import ExtendedData

_ACCOUNT = re.compile(r"[0-9A-Fa-f]{3,16}")
_RECEIVER = re.compile(r"[0-9A-Fa-f]{1,6}")
_LINE = re.compile(r"[0-9A-Fa-f]{0,6}")
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\[\]]")


def build_frame(
    token: Token,
    sequence: int,
    account: str,
    *,
    data: str = "",
    receiver: str | None = None,
    line: str | None = "0",
    extended: Sequence[ExtendedData] = (),
    timestamp: datetime | None = None,
    key: bytes | None = None,
    pad: str | None = None,
    crc_binary: bool = False,
) -> bytes:
    """A complete frame, LF to CR; encrypted when ``key`` is given (then needs a timestamp)."""
    if not 0 <= sequence <= 9999:
        raise ValueError("sequence must be 0-9999")
    if not _ACCOUNT.fullmatch(account):
        raise ValueError("account must be 3-16 hex digits")
    if receiver is not None and not _RECEIVER.fullmatch(receiver):
        raise ValueError("receiver must be 1-6 hex digits")
    if line is not None and not _LINE.fullmatch(line):
        raise ValueError("line prefix must be 0-6 hex digits")
    if _FORBIDDEN.search(data):
        raise ValueError("data must not contain '[', ']' or control characters")
    for item in extended:
        if len(item.kind) != 1 or _FORBIDDEN.search(item.kind + item.value):
            raise ValueError("extended data needs a one-letter kind and no brackets")
    header = Dc09Header(
        token=Token(token).value,
        encrypted=key is not None,
        sequence=f"{sequence:04d}",
        receiver=receiver,
        line=line,
        account=account,
        crc_binary=crc_binary,
    )
    tail = "".join(f"[{item.kind}{item.value}]" for item in extended)
    stamp = format_timestamp(timestamp) if timestamp is not None else ""
    content = f"{data}]{tail}{stamp}"
    if key is None:
        body = f'"{header.token}"{header.routing()}[{content}'
    else:
        if timestamp is None:
            raise ValueError("DC-09 requires a timestamp in encrypted frames")
        body = f'"*{header.token}"{header.routing()}[{_crypto.encrypt(key, content, pad)}'
    return wrap(body.encode("latin-1"), crc_binary=crc_binary)


def sia_block(account: str | None, events: str) -> str:
    """A SIA-DCS data block, e.g. ``sia_block("1234", "Nri1/BA01")`` → ``#1234|Nri1/BA01``."""
    return f"#{account}|{events}" if account else events


def adm_cid_block(account: str | None, qualifier: int, code: int, group: int, point: int) -> str:
    """An ADM-CID data block, e.g. ``#1234|1130 01 015``."""
    event = f"{qualifier}{code:03d} {group:02d} {point:03d}"
    return f"#{account}|{event}" if account else event
