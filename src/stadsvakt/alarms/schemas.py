"""API schemas for transmitters and alarms, with their limits."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from stadsvakt.alarms.models import Bearer, TransmitterProtocol
from stadsvakt.alarms.protocols.events import Category
from stadsvakt.schemas import StrictInput

Account = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Fa-f]{3,16}$"),
    Field(description="Account number: 3-16 hex digits, as the panel sends it"),
]
HexField = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Fa-f]{0,6}$"),
    Field(description="0-6 hex digits; empty means 0"),
]
Interval = Annotated[
    int, Field(ge=10, le=7 * 86_400, description="Expected supervision interval in seconds")
]
Key = Annotated[str, StringConstraints(max_length=64), Field(description="AES key (write only)")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class KeyFormat(StrEnum):
    """How a key is written: hex digits (32/48/64) or ASCII characters (16/24/32)."""

    HEX = "hex"
    ASCII = "ascii"


class TransmitterCreate(StrictInput):
    site_id: uuid.UUID
    account: Account
    receiver: HexField = "0"
    line: HexField = "0"
    protocol: TransmitterProtocol = TransmitterProtocol.DC09_SIA
    name: Name | None = None
    bearer: Bearer | None = None
    interval_s: Interval | None = None
    key: Key | None = None
    key_format: KeyFormat = KeyFormat.HEX
    encrypted_only: bool = False


class TransmitterUpdate(StrictInput):
    """Changes; ``key`` absent keeps the key, ``null`` or ``""`` removes it."""

    site_id: uuid.UUID | None = None
    account: Account | None = None
    receiver: HexField | None = None
    line: HexField | None = None
    protocol: TransmitterProtocol | None = None
    name: Name | None = None
    bearer: Bearer | None = None
    interval_s: Interval | None = None
    key: Key | None = None
    key_format: KeyFormat = KeyFormat.HEX
    encrypted_only: bool | None = None


class TransmitterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    site_id: uuid.UUID
    account: str
    receiver: str
    line: str
    protocol: TransmitterProtocol
    name: str | None
    bearer: Bearer | None
    interval_s: int | None
    key_bits: int | None = Field(description="Size of the AES key; null when unencrypted")
    encrypted_only: bool
    last_seen_at: datetime | None
    path_failed_at: datetime | None = Field(
        description="Since when supervision holds the transmitter in path failure; null when not"
    )
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def path_failed(self) -> bool:
        """Whether the transmitter is in path failure (silent past its interval and grace)."""
        return self.path_failed_at is not None


class AlarmOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    site_id: uuid.UUID | None
    transmitter_id: uuid.UUID | None
    received_at: datetime
    event_time: datetime | None
    protocol: str
    account: str
    sequence: str | None
    category: Category
    priority: int
    code: str
    description: str
    qualifier: str
    zone: int | None
    user_number: int | None
    partition: int | None
    text: str | None
    encrypted: bool


class AlarmDetail(AlarmOut):
    """One alarm with its payload and the frame exactly as received."""

    payload: str = Field(description="The event data (decrypted when the frame was encrypted)")
    raw_text: str = Field(description="The frame as text; bytes outside printable ASCII escaped")
    raw_hex: str = Field(description="The frame's bytes in hex")
