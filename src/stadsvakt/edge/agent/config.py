"""The edge agent's configuration: ``edge.toml``, read with :mod:`tomllib` into typed models.

A bad file is refused as a whole with :class:`ConfigError`, whose message names each
field (``readers.0.scbk``) and what is wrong, so a technician at the door can fix it.
"""

from __future__ import annotations

import tomllib
import uuid
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: The reader path that joins a reader to an in-process test peripheral instead of a port.
LOOPBACK = "loopback"


class ConfigError(ValueError):
    """``edge.toml`` cannot be used; the message names every broken field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReaderConfig(_Strict):
    """An OSDP reader (peripheral device) on a serial line, or ``loopback`` in tests."""

    name: Annotated[str, Field(min_length=1, max_length=40)]
    device: Annotated[str, Field(min_length=1)]
    address: Annotated[int, Field(ge=0, le=126)]
    baud_rate: int = 9600
    secure_channel: bool = True
    #: The reader's Secure Channel Base Key: 16 bytes as 32 hex digits.
    scbk: str | None = None

    @field_validator("scbk")
    @classmethod
    def _scbk_hex(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            key = bytes.fromhex(value)
        except ValueError:
            raise ValueError("scbk must be hex digits") from None
        if len(key) != 16:
            raise ValueError(f"scbk must be 16 bytes (32 hex digits), not {len(key)}")
        return value

    @model_validator(mode="after")
    def _key_when_secure(self) -> ReaderConfig:
        if self.secure_channel and self.scbk is None:
            raise ValueError("scbk is required when secure_channel is on")
        return self

    @property
    def key(self) -> bytes | None:
        """The SCBK as bytes (None when the secure channel is off)."""
        return bytes.fromhex(self.scbk) if self.secure_channel and self.scbk else None


class DoorConfig(_Strict):
    """A door: its reader, lock relay output and door-contact input (GPIO line numbers)."""

    door_id: uuid.UUID
    reader: str
    lock_output: Annotated[int, Field(ge=0)]
    contact_input: Annotated[int, Field(ge=0)] | None = None
    #: An exit button (request to exit), when wired.
    exit_input: Annotated[int, Field(ge=0)] | None = None
    unlock_seconds: Annotated[float, Field(gt=0, le=600)] = 5.0
    held_open_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    #: Whether the lock relay is energised to unlock (fail-secure) or to lock.
    active_low: bool = False


class OutputsConfig(_Strict):
    """Which output driver runs the relays and reads the contacts."""

    driver: Literal["simulated", "gpio"] = "simulated"
    #: The GPIO character device (``gpiod``) or ``sysfs``.
    chip: str = "/dev/gpiochip0"


class BrokerConfig(_Strict):
    """The edge broker (MQTT over TLS) the centre sends snapshots, deltas and commands on."""

    host: Annotated[str, Field(min_length=1)]
    port: Annotated[int, Field(ge=1, le=65535)] = 8883
    #: The broker's CA bundle (None: the system's trust store).
    ca_file: Path | None = None
    #: A file holding the device's MQTT password from enrolment (kept out of edge.toml).
    password_file: Path

    def password(self) -> str:
        """The password in :attr:`password_file`, without its trailing newline."""
        try:
            text = self.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"broker.password_file: cannot read {self.password_file}: {exc.strerror}"
            ) from None
        if not text:
            raise ConfigError(f"broker.password_file: {self.password_file} is empty")
        return text


class EdgeConfig(_Strict):
    """Everything in ``edge.toml``."""

    device_id: uuid.UUID
    tenant_id: uuid.UUID
    #: HTTPS; plain HTTP only to this machine (a development centre).
    centre_url: Annotated[
        str, Field(pattern=r"^(https://[^\s/]+|http://(localhost|127\.0\.0\.1)(:\d+)?)(/\S*)?$")
    ]
    key_file: Path
    buffer_path: Path
    #: The last signed snapshot of this device's doors' rights (as the centre sent it).
    snapshot_file: Path | None = None
    #: The centre's edge signing key (raw 32 bytes or PEM), which signs snapshots.
    centre_key_file: Path | None = None
    clock_drift_limit_seconds: Annotated[float, Field(gt=0)] = 30.0
    upload_interval_seconds: Annotated[float, Field(gt=0)] = 10.0
    upload_batch: Annotated[int, Field(ge=1, le=1000)] = 200
    #: How long the edge keeps events the centre has confirmed (personal data).
    keep_uploaded_hours: Annotated[float, Field(ge=0)] = 24.0
    #: The centre's CA bundle for HTTPS (None: the system's).
    ca_file: Path | None = None
    #: How often the agent reports its status over MQTT (also at once when a door changes).
    status_interval_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    #: The MQTT link to the centre; without it the agent decides on the saved snapshot only.
    broker: BrokerConfig | None = None
    outputs: OutputsConfig = OutputsConfig()
    readers: Annotated[list[ReaderConfig], Field(min_length=1)]
    doors: Annotated[list[DoorConfig], Field(min_length=1)]

    @model_validator(mode="after")
    def _references(self) -> EdgeConfig:
        names = [reader.name for reader in self.readers]
        if len(set(names)) != len(names):
            raise ValueError("readers: two readers have the same name")
        # One control panel polls every reader; it tells them apart by address.
        if len({reader.address for reader in self.readers}) != len(self.readers):
            raise ValueError("readers: two readers have the same address")
        for i, door in enumerate(self.doors):
            if door.reader not in names:
                raise ValueError(f"doors.{i}.reader: no reader named {door.reader!r}")
        if len({door.door_id for door in self.doors}) != len(self.doors):
            raise ValueError("doors: a door is listed twice")
        if self.broker is not None and (self.snapshot_file is None or self.centre_key_file is None):
            # Without them the link could neither check nor keep what the centre sends.
            raise ValueError("broker: needs snapshot_file and centre_key_file set as well")
        return self

    def door_of_reader(self, reader: str) -> DoorConfig | None:
        """The door a reader stands at."""
        return next((door for door in self.doors if door.reader == reader), None)


def parse_config(text: str) -> EdgeConfig:
    """The configuration in ``text`` (TOML), or :class:`ConfigError` naming each bad field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"edge.toml is not valid TOML: {exc}") from None
    try:
        return EdgeConfig.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in e['loc']) or 'edge.toml'}: {e['msg']}"
            for e in exc.errors()
        ]
        raise ConfigError("edge.toml: " + "; ".join(problems)) from None


def load_config(path: Path) -> EdgeConfig:
    """The configuration in the file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    return parse_config(text)
