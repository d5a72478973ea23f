"""The hub's reads of the database: the feed's position, what a batch of changes
revokes and whom it concerns, and where a device is. Each takes a session; the hub runs
them in worker threads, never on the event loop.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from stadsvakt.access.changes import URGENT, Entity
from stadsvakt.access.models import AccessChange, Credential
from stadsvakt.directory.models import Person
from stadsvakt.edge.devices.models import DeviceState, EdgeDevice, EdgeDeviceDoor
from stadsvakt.edge.hub.registry import DeviceInfo
from stadsvakt.edge.snapshot.delta import BLOCKED_STATES

UUID = uuid.UUID


@dataclass(frozen=True, slots=True)
class Revocation:
    """One municipality's access taken away by a batch: the body of a ``revoke`` command."""

    tenant_id: UUID
    seq: int
    credentials: tuple[UUID, ...]
    people: tuple[UUID, ...]

    def body(self) -> dict[str, Any]:
        """The command's body (the contract with the edge agent, docs/edge.md)."""
        return {
            "op": "revoke",
            "seq": self.seq,
            "tenant": str(self.tenant_id),
            "credentials": [str(c) for c in self.credentials],
            "people": [str(p) for p in self.people],
        }


@dataclass(slots=True)
class Batch:
    """The feed from ``after`` (exclusive) to ``upto``: who changed, what is urgent, what
    is revoked."""

    after: int
    upto: int
    #: The feed numbers read.
    seqs: set[int] = field(default_factory=set)
    tenants: set[UUID] = field(default_factory=set)
    #: Doors put into or out of lockdown, and sites whose emergency open changed.
    urgent_doors: set[UUID] = field(default_factory=set)
    urgent_sites: set[UUID] = field(default_factory=set)
    revocations: list[Revocation] = field(default_factory=list)

    def urgent_for(self, info: DeviceInfo) -> bool:
        """Whether the batch opens or shuts one of this device's doors at once."""
        return info.site_id in self.urgent_sites or not info.doors.isdisjoint(self.urgent_doors)


def feed_position(session: Session) -> int:
    """The access change feed's highest number (0 when empty)."""
    return int(session.execute(select(func.max(AccessChange.seq))).scalar() or 0)


def _uuid(text: str) -> UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def read_batch(
    session: Session, after: int, upto: int, now: datetime, also: Collection[int] = ()
) -> Batch:
    """What the changes numbered ``after < seq <= upto``, and those numbered ``also``
    (late commits, :mod:`.gaps`), concern (see :class:`Batch`); ``upto`` becomes the
    highest number read."""
    batch = Batch(after, upto)
    named: dict[str, dict[UUID, UUID]] = defaultdict(dict)  # entity -> id -> tenant
    wanted = and_(AccessChange.seq > after, AccessChange.seq <= upto)
    if also:
        wanted = or_(wanted, AccessChange.seq.in_(list(also)))
    rows = session.execute(
        select(
            AccessChange.seq, AccessChange.tenant_id, AccessChange.entity, AccessChange.entity_id
        ).where(wanted)
    )
    for seq, tenant_id, entity, raw_id in rows:
        batch.seqs.add(seq)
        batch.tenants.add(tenant_id)
        entity_id = _uuid(raw_id)
        if entity_id is not None:
            named[entity][entity_id] = tenant_id
    for entity in URGENT:
        target = batch.urgent_doors if entity == Entity.DOOR_LOCKDOWN else batch.urgent_sites
        target.update(named.get(entity, {}))
    # At least the feed's position: a late commit's revocation numbered below what an edge
    # already holds would be ignored there as old news.
    batch.upto = max([upto, *batch.seqs])
    batch.revocations = _revocations(
        session, named.get(Entity.CREDENTIAL, {}), named.get(Entity.PERSON, {}), batch.upto, now
    )
    return batch


def _revocations(
    session: Session,
    credentials: dict[UUID, UUID],
    people: dict[UUID, UUID],
    seq: int,
    now: datetime,
) -> list[Revocation]:
    """Per municipality: the named credentials now blocked, expired or deleted, and the
    named people now inactive or deleted."""
    blocked: dict[UUID, set[UUID]] = defaultdict(set)
    gone: dict[UUID, set[UUID]] = defaultdict(set)
    if credentials:
        found = session.execute(
            select(Credential.id, Credential.state, Credential.valid_to).where(
                Credential.id.in_(list(credentials))
            )
        ).all()
        alive = {
            cid
            for cid, state, valid_to in found
            if str(state) not in BLOCKED_STATES and (valid_to is None or _aware(valid_to) > now)
        }
        for cid, tenant_id in credentials.items():
            if cid not in alive:
                blocked[tenant_id].add(cid)
    if people:
        active = set(
            session.scalars(
                select(Person.id).where(Person.id.in_(list(people)), Person.active.is_(True))
            )
        )
        for pid, tenant_id in people.items():
            if pid not in active:
                gone[tenant_id].add(pid)
    return [
        Revocation(
            tenant_id,
            seq,
            tuple(sorted(blocked.get(tenant_id, ()), key=str)),
            tuple(sorted(gone.get(tenant_id, ()), key=str)),
        )
        for tenant_id in sorted(set(blocked) | set(gone), key=str)
    ]


def device_info(session: Session, device_id: UUID) -> DeviceInfo | None:
    """Where an active device is; None when it is unknown or revoked."""
    return device_infos(session, [device_id]).get(device_id)


#: Ids per ``IN (...)`` list (well below SQLite's and PostgreSQL's limits).
_CHUNK = 500


def device_infos(session: Session, device_ids: Collection[UUID]) -> dict[UUID, DeviceInfo]:
    """Where each of the active devices among ``device_ids`` is, in a few queries."""
    ids = list(device_ids)
    places: dict[UUID, tuple[UUID, UUID]] = {}
    doors: dict[UUID, set[UUID]] = defaultdict(set)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for device_id, tenant_id, site_id in session.execute(
            select(EdgeDevice.id, EdgeDevice.tenant_id, EdgeDevice.site_id).where(
                EdgeDevice.id.in_(chunk), EdgeDevice.state == DeviceState.ACTIVE
            )
        ):
            places[device_id] = (tenant_id, site_id)
        for device_id, door_id in session.execute(
            select(EdgeDeviceDoor.device_id, EdgeDeviceDoor.door_id).where(
                EdgeDeviceDoor.device_id.in_(chunk)
            )
        ):
            doors[device_id].add(door_id)
    return {
        device_id: DeviceInfo(tenant_id, site_id, frozenset(doors.get(device_id, ())))
        for device_id, (tenant_id, site_id) in places.items()
    }


def devices_mark(session: Session) -> tuple[int, int, str]:
    """A cheap mark that changes when the set of active devices or their accounts do:
    their count, the sum of their versions and the latest change to any device."""
    count, versions = session.execute(
        select(func.count(EdgeDevice.id), func.coalesce(func.sum(EdgeDevice.version), 0)).where(
            EdgeDevice.state == DeviceState.ACTIVE
        )
    ).one()
    latest = session.execute(select(func.max(EdgeDevice.updated_at))).scalar()
    return int(count), int(versions), "" if latest is None else _aware(latest).isoformat()
