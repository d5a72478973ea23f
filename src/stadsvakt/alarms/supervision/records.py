"""The alarms supervision raises: path failure (överföringsfel) and its restore; pure.

Both are ordinary :class:`~stadsvakt.alarms.normalise.AlarmRecord` rows of category
``fault`` with protocol ``supervision``, the transmitter and its site set. Their
dedup keys name the silence they are about, so any number of supervisors that
notice the same silence store one alarm:

* failure: transmitter id and the moment it was last heard from (or registered),
  which every supervisor reads from the same row;
* restore: transmitter id and the row's ``path_failed_at``, i.e. the failure it ends.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from stadsvakt.alarms.normalise import AlarmRecord, Source, priority
from stadsvakt.alarms.protocols.events import Category, Qualifier

PROTOCOL = "supervision"
FAILURE_CODE = "PATH_FAIL"
RESTORE_CODE = "PATH_RESTORE"
FAILURE_DESCRIPTION = "Överföringsfel / path failure"
RESTORE_DESCRIPTION = "Överföring återställd / path restored"


@dataclass(frozen=True, slots=True)
class Watched:
    """What supervision reads about one transmitter from the registry."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    site_id: uuid.UUID
    account: str
    interval_s: int | None
    last_seen_at: datetime | None
    created_at: datetime
    path_failed_at: datetime | None

    @property
    def baseline(self) -> datetime:
        """The last sign of life, or the registration for one never heard from."""
        return self.last_seen_at or self.created_at


def _key(*parts: str) -> tuple[str, str]:
    digest = hashlib.sha256("|".join((PROTOCOL, *parts)).encode()).hexdigest()
    # The same key twice: these keys need no time bucket, the moment is in them.
    return digest, digest


def _record(
    row: Watched,
    *,
    now: datetime,
    event_time: datetime,
    qualifier: Qualifier,
    code: str,
    description: str,
    text: str,
    keys: tuple[str, str],
) -> AlarmRecord:
    return AlarmRecord(
        id=uuid.uuid4(),
        source=Source(row.tenant_id, row.site_id, row.id),
        protocol=PROTOCOL,
        account=row.account,
        sequence=None,
        received_at=now,
        event_time=event_time,
        category=Category.FAULT,
        priority=priority(Category.FAULT, qualifier),
        code=code,
        description=description,
        qualifier=qualifier,
        zone=None,
        user_number=None,
        partition=None,
        text=text,
        encrypted=False,
        payload="",
        raw=b"",
        dedup_keys=keys,
    )


def failure(row: Watched, *, grace_s: int, now: datetime) -> AlarmRecord:
    """The path-failure alarm of a transmitter silent past interval + grace."""
    interval = row.interval_s or 0
    baseline = row.baseline
    heard = "last heard" if row.last_seen_at else "never heard; registered"
    return _record(
        row,
        now=now,
        event_time=deadline(row, grace_s),
        qualifier=Qualifier.NEW,
        code=FAILURE_CODE,
        description=FAILURE_DESCRIPTION,
        text=f"{heard} {baseline.isoformat()}; interval {interval} s + grace {grace_s} s",
        keys=_key("fail", str(row.id), baseline.isoformat()),
    )


def restore(row: Watched, *, now: datetime) -> AlarmRecord:
    """The restore alarm of a failed transmitter heard from again."""
    failed_at = row.path_failed_at or now
    heard = row.last_seen_at or now
    return _record(
        row,
        now=now,
        event_time=heard,
        qualifier=Qualifier.RESTORE,
        code=RESTORE_CODE,
        description=RESTORE_DESCRIPTION,
        text=f"heard {heard.isoformat()}; in path failure since {failed_at.isoformat()}",
        keys=_key("restore", str(row.id), failed_at.isoformat()),
    )


def deadline(row: Watched, grace_s: int) -> datetime:
    """When the transmitter counts as silent: last sign of life + interval + grace."""
    return row.baseline + timedelta(seconds=(row.interval_s or 0) + grace_s)
