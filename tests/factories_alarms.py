"""Factories for alarm reception: transmitters (through the service) and panel frames."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Alarm, Transmitter, TransmitterProtocol
from stadsvakt.alarms.normalise import Envelope, Source, from_event
from stadsvakt.alarms.protocols.dc09.builder import adm_cid_block, build_frame, sia_block
from stadsvakt.alarms.protocols.dc09.header import Token
from stadsvakt.alarms.protocols.dc09.message import Dc09Message
from stadsvakt.alarms.schemas import KeyFormat, TransmitterCreate
from stadsvakt.alarms.service import create_transmitter
from stadsvakt.alarms.store import receive_alarms
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.context import acting_as
from stadsvakt.db import utcnow
from stadsvakt.org.models import Municipality, Site
from tests import factories as f

KEY_128 = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
KEY_256 = b"0123456789abcdef0123456789ABCDEF"
_accounts = itertools.count(0x1000)


def next_account() -> str:
    """A fresh account number (4+ hex digits)."""
    return f"{next(_accounts):X}"


def transmitter(
    session: Session,
    box: SecretBox,
    tenant: Municipality,
    site: Site,
    *,
    account: str | None = None,
    key: bytes | None = None,
    encrypted_only: bool = False,
    protocol: TransmitterProtocol = TransmitterProtocol.DC09_SIA,
    receiver: str = "0",
    line: str = "0",
    interval_s: int | None = 90,
) -> Transmitter:
    """A registered transmitter, optionally with an AES key (given as bytes)."""
    actor = f.system(tenant.id)
    data = TransmitterCreate(
        site_id=site.id,
        account=account or next_account(),
        receiver=receiver,
        line=line,
        protocol=protocol,
        interval_s=interval_s,
        key=key.hex() if key else None,
        key_format=KeyFormat.HEX,
        encrypted_only=encrypted_only,
    )
    with acting_as(actor):
        return create_transmitter(session, actor, box, data)


def sia_frame(
    account: str,
    sequence: int,
    events: str = "Nri1/BA01",
    *,
    key: bytes | None = None,
    timestamp: datetime | None = None,
    receiver: str | None = None,
    line: str | None = "0",
) -> bytes:
    """A SIA-DCS frame as a panel sends it (timestamped now unless told otherwise)."""
    return build_frame(
        Token.SIA_DCS,
        sequence,
        account,
        data=sia_block(account, events),
        receiver=receiver,
        line=line,
        timestamp=timestamp or utcnow(),
        key=key,
    )


def cid_frame(
    account: str, sequence: int, code: int = 130, *, key: bytes | None = None, zone: int = 15
) -> bytes:
    """An ADM-CID (Contact ID) frame."""
    return build_frame(
        Token.ADM_CID,
        sequence,
        account,
        data=adm_cid_block(account, 1, code, 1, zone),
        timestamp=utcnow(),
        key=key,
    )


def null_frame(account: str, sequence: int, *, key: bytes | None = None) -> bytes:
    """A NULL (heartbeat) frame."""
    return build_frame(Token.NULL, sequence, account, timestamp=utcnow(), key=key)


def alarm(
    session: Session,
    row: Transmitter,
    events: str = "Nri1/BA01",
    *,
    sequence: int = 1,
    received_at: datetime | None = None,
) -> list[Alarm]:
    """Alarms stored as the receiver stores them, from a SIA frame of ``row``'s account."""
    moment = received_at or utcnow()
    frame = sia_frame(row.account, sequence, events, timestamp=moment)
    message = Dc09Message.parse(frame, lambda *_: None, moment)
    envelope = Envelope(
        source=Source(row.tenant_id, row.site_id, row.id),
        protocol="dc09-sia",
        account=row.account,
        sequence=message.sequence,
        received_at=moment,
        event_time=message.timestamp,
        encrypted=False,
        payload=f"[{message.data}]",
        raw=frame,
    )
    records = [from_event(event, envelope, i) for i, event in enumerate(message.events())]
    stored = receive_alarms(session, records)
    return [session.get_one(Alarm, item.alarm_id) for item in stored]
