"""The JSON alarm message, its limits, the answer per message, and the refusals.

One schema serves HTTP and MQTT. A body is one message or a list of 1-100; a message
is an alarm (``kind`` ``"alarm"``, the default) or a heartbeat. Unknown fields are
refused, every text has a bound, and numbers and times are taken only in their own
JSON form (``"5"`` is not a zone, ``1700000000`` is not a time).
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from stadsvakt.alarms.protocols.events import Category
from stadsvakt.errors import DomainError
from stadsvakt.schemas import StrictInput

#: Messages in one body at most (HTTP request or MQTT publish).
MAX_BATCH = 100
#: Bytes in one body at most.
MAX_BODY_BYTES = 256 * 1024
#: The permission (a device token's scope) that may send alarms over HTTP.
INPUT_PERMISSION = "alarm.input"

Account = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9A-Fa-f]{3,16}$"),
    Field(description="The transmitter's account (3-16 hex digits), registered as protocol json"),
]
MessageId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/+#-]*$"),
    Field(description="The sender's id of this message; a re-send carries the same id"),
]
Code = Annotated[
    str,
    StringConstraints(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"),
    Field(description="What happened, e.g. water_leak or door_forced (see docs/alarm-inputs.md)"),
]


class AlarmQualifier(StrEnum):
    """Whether the condition began or ended."""

    NEW = "new"
    RESTORE = "restore"


def _no_control(value: str) -> str:
    # Control characters (other than tab and newline) and lone surrogates cannot be
    # shown to an operator, and PostgreSQL refuses some of them outright.
    for char in value:
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) in {"Cc", "Cs"}:
            raise PydanticCustomError("no_control_character", "must not contain control characters")
    return value


class Position(StrictInput):
    """Where a personal or dementia alarm is (WGS 84); the centre shows it on its map."""

    latitude: float = Field(strict=True, ge=-90, le=90)
    longitude: float = Field(strict=True, ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, strict=True, ge=0, le=100_000)
    at: AwareDatetime | None = Field(default=None, description="When the fix was taken")


class AlarmMessage(StrictInput):
    """A technical or door alarm, or its restore."""

    kind: Literal["alarm"] = "alarm"
    account: Account
    message_id: MessageId
    code: Code
    qualifier: AlarmQualifier = Field(
        default=AlarmQualifier.NEW, description="new (default) or restore"
    )
    category: Category | None = Field(
        default=None,
        description="Only for codes not in the table (a known code's category always applies)",
    )
    # Not pydantic's strict mode: JSON Schema's "integer" takes 5.0, and StrictInput already
    # refuses text ("5") and true/false here.
    zone: int | None = Field(
        default=None, ge=0, le=99_999, description="Sensor, point or door number"
    )
    text: str | None = Field(
        default=None, min_length=1, max_length=500, description="Free text for the operator"
    )
    position: Position | None = Field(
        default=None,
        description="Where the sender is (a personal or dementia alarm's GPS)",
        exclude_if=lambda value: value is None,  # the stored payload of others is unchanged
    )
    event_time: AwareDatetime | None = Field(
        default=None,
        description="When it happened at the sender (ISO 8601 with zone)",
        json_schema_extra={"pattern": r"^20[0-9]{2}-"},  # the years 2000-2099, in the schema
    )

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _no_control(value)

    @field_validator("event_time", mode="before")
    @classmethod
    def _event_time_text(cls, value: Any) -> Any:
        # Lax parsing would read a bare number as a Unix time; a sender means ISO 8601.
        if value is not None and not isinstance(value, str | datetime):
            raise PydanticCustomError("datetime_type", "must be an ISO 8601 time with zone")
        return value

    @field_validator("event_time")
    @classmethod
    def _event_time(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        moment = value.astimezone(UTC)
        if not 2000 <= moment.year <= 2099:
            raise PydanticCustomError("event_time_range", "must lie between 2000 and 2099")
        return moment


class HeartbeatMessage(StrictInput):
    """The sender is alive: only the transmitter's last-seen time is updated."""

    kind: Literal["heartbeat"]
    account: Account
    message_id: MessageId | None = None


def _kind(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("kind", "alarm")
        return kind if isinstance(kind, str) else None
    if isinstance(value, BaseModel):
        return str(getattr(value, "kind", ""))
    return None


def _shape(value: Any) -> str:
    return "batch" if isinstance(value, list) else "one"


Message = Annotated[
    Annotated[AlarmMessage, Tag("alarm")] | Annotated[HeartbeatMessage, Tag("heartbeat")],
    Discriminator(
        _kind,
        custom_error_type="message_kind",
        custom_error_message="expected an object whose kind is 'alarm' (default) or 'heartbeat'",
    ),
]
Body = Annotated[
    Annotated[Message, Tag("one")]
    | Annotated[list[Message], Tag("batch"), Field(min_length=1, max_length=MAX_BATCH)],
    Discriminator(_shape),
]
BodyValue = AlarmMessage | HeartbeatMessage | list[AlarmMessage | HeartbeatMessage]
# mypy cannot see through the tagged union's Annotated layers; the value type is BodyValue.
# Whether mypy 1.20 reports it depends on what else it checks in the run (this module
# alone: arg-type; the whole tree: nothing), hence unused-ignore beside it.
BODY: TypeAdapter[BodyValue] = TypeAdapter(Body)  # type: ignore[arg-type, unused-ignore]
_TAGS = frozenset({"one", "batch", "alarm", "heartbeat"})


class InputResult(BaseModel):
    """What became of one message."""

    kind: Literal["alarm", "heartbeat"]
    account: str
    message_id: str | None
    alarm_id: uuid.UUID | None = Field(
        description="The stored alarm (the first copy's for a re-send)"
    )
    duplicate: bool = Field(description="The message was already stored: a re-send")
    category: Category | None
    priority: int | None


class InputResults(BaseModel):
    """The answer: one result per message, in the order sent."""

    results: list[InputResult]


# --- refusals ----------------------------------------------------------------------------


class MessageRejected(DomainError):
    """A body that is not stored; ``reason`` is its metrics label."""

    code = "invalid_input"
    title = "Invalid input"
    status = 422

    def __init__(self, detail: str, *, reason: str, errors: list[dict[str, str]]) -> None:
        super().__init__(detail, errors=errors)
        self.reason = reason
        self.errors = errors


class InvalidMessage(MessageRejected):
    """Not JSON, too large, or against the schema."""

    code = "validation_failed"

    @classmethod
    def single(cls, field: str, rule: str, message: str, *, reason: str) -> InvalidMessage:
        """A refusal naming one field and rule."""
        return cls(
            f"{field}: {message} ({rule})",
            reason=reason,
            errors=[{"field": field, "rule": rule, "message": message}],
        )

    @classmethod
    def from_validation(cls, exc: ValidationError) -> InvalidMessage:
        """Pydantic's errors as fields and rules (the union tags left out of the names)."""
        errors = []
        for err in exc.errors(include_url=False):
            rule = str(err["type"])
            parts = [str(p) for p in err["loc"] if not (isinstance(p, str) and p in _TAGS)]
            field = "body" if rule == "json_invalid" else ".".join(parts) or "body"
            errors.append({"field": field, "rule": rule, "message": str(err["msg"])})
        detail = "; ".join(f"{e['field']}: {e['message']} ({e['rule']})" for e in errors[:5])
        reason = "json" if any(e["rule"] == "json_invalid" for e in errors) else "schema"
        return cls(detail, reason=reason, errors=errors)


class StorageUnavailable(MessageRejected):
    """The database cannot take the alarms now; nothing of the body is stored, send again."""

    code = "storage_unavailable"
    title = "Alarms not stored"
    status = 503
    #: Seconds a sender is asked to wait before it sends again.
    retry_after = 5

    def __init__(self, detail: str) -> None:
        super().__init__(detail, reason="storage", errors=[])

    def headers(self) -> dict[str, str]:
        """``Retry-After``: when to send the body again."""
        return {"Retry-After": str(self.retry_after)}


class AccountNotRegistered(MessageRejected):
    """No transmitter with this account and protocol ``json`` that the sender may use."""

    code = "unknown_account"
    title = "Account not registered"
