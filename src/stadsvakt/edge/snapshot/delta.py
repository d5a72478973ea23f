"""Deltas: what changed for an edge's doors since the version it holds.

The access change feed names the entities changed since ``version``; the edge's view is
compiled again (:func:`.build.edge_view`) and the entries of the named entities are
sent: an upsert when the entity is still in the view, a removal when it is not (a
removal of something the edge never had is harmless). Revocations come first in
``changes``: a credential suspended, lost, revoked or removed, a person deactivated or
removed, a door locked down or removed. A credential named in the feed sends its holder
again too (a PIN is part of its holder's entry; a holder sent for a PIN suspended, lost or
revoked counts as a revocation); a site's door rules or emergency state
send the edge's doors again. Changes that can move rights for many people
at once (a door, zone, profile, position profile, grant, group or unit) make the delta
replace the edge's people and credentials whole; profiles and schedules, a handful per
edge, are replaced in every delta that has changes, so the holiday dates move on too.

When the feed can no longer give the changes, :func:`deltas_since` answers None and
the caller sends a snapshot: the version is ahead of the feed (another database), more
than ``delta_max_changes`` changes are waiting, or the first of them is older than
``delta_max_age_days``.

On PostgreSQL a change's number is handed out before its transaction commits, so a
change numbered below an edge's version may become visible after the version was read.
The entities of changes made within ``delta_overlap_seconds`` before the edge's version
are therefore named again in each delta from that version (an upsert sent twice is
harmless; a revocation never sent is not).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.changes import Entity
from stadsvakt.access.models import AccessChange, Credential, CredentialKind
from stadsvakt.directory.models import Assignment, TrainingRecord
from stadsvakt.edge.envelope import seal
from stadsvakt.edge.snapshot.build import EdgeView, current_version, edge_view
from stadsvakt.edge.snapshot.codec import Json, pack
from stadsvakt.edge.snapshot.settings import SnapshotSettings

UUID = uuid.UUID

#: Credential states that take a card's access away (``access.models.CredentialState``).
BLOCKED_STATES = frozenset({"suspended", "lost", "revoked"})

#: How far below an edge's version late changes are looked for (a range of the primary key).
LATE_ROWS = 10_000

#: Changes after which the edge's people and credentials are replaced whole.
_WIDE = frozenset(
    {
        Entity.DOOR,
        Entity.ZONE,
        Entity.PROFILE,
        Entity.POSITION_PROFILE,
        Entity.GRANT,
        Entity.GROUP,
        Entity.ORG_UNIT,
    }
)


def _uuid(value: str) -> UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive UTC; PostgreSQL aware.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_revocation(change: Json) -> bool:
    """Whether a change takes access away (and so goes first)."""
    kind, op = change["kind"], change["op"]
    if op == "remove":
        return kind in ("credentials", "people", "doors")
    entry = change["entry"]
    if kind == "credentials":
        return str(entry["state"]) in BLOCKED_STATES
    if kind == "people":
        return entry["active"] is not True
    if kind == "doors":
        return str(entry["mode"]) == "lockdown"
    return False


def _changes(view: EdgeView, kind: str, ids: set[UUID]) -> list[Json]:
    found = view.entries.get(kind, {})
    out: list[Json] = []
    for entity_id in sorted(ids, key=str):
        entry = found.get(str(entity_id))
        if entry is None:
            out.append({"kind": kind, "op": "remove", "id": str(entity_id)})
        else:
            out.append({"kind": kind, "op": "upsert", "entry": entry})
    return out


def deltas_since(
    session: Session,
    tenant_id: UUID,
    door_ids: Collection[UUID],
    version: int,
    now: datetime,
    *,
    settings: SnapshotSettings,
) -> Json | None:
    """The delta body from ``version`` to the feed's position for an edge serving
    ``door_ids``, or None when the edge needs a snapshot instead (module docstring).
    A delta whose ``changes`` and ``replace`` are empty need not be sent."""
    if version > current_version(session):
        return None
    view = edge_view(session, tenant_id, door_ids, now, settings=settings)
    rows = session.execute(
        select(AccessChange.entity, AccessChange.entity_id, AccessChange.at)
        .where(
            AccessChange.tenant_id == tenant_id,
            AccessChange.seq > version,
            AccessChange.seq <= view.version,
        )
        .order_by(AccessChange.seq)
        .limit(settings.delta_max_changes + 1)
    ).all()
    if len(rows) > settings.delta_max_changes:
        return None
    if rows and _aware(rows[0][2]) < now - timedelta(days=settings.delta_max_age_days):
        return None
    late = _late(session, tenant_id, version, settings.delta_overlap_seconds)
    named: dict[str, set[UUID]] = {}
    for entity, raw_id, _ in [*late, *rows]:
        entity_id = _uuid(raw_id)
        if entity_id is not None:
            named.setdefault(entity, set()).add(entity_id)
    body: Json = {
        "tenant": str(tenant_id),
        "from_version": version,
        "to_version": view.version,
        "changes": [],
        "replace": {},
    }
    if not named:
        return body
    doors = (named.get(Entity.DOOR, set()) | named.get(Entity.DOOR_LOCKDOWN, set())) & set(door_ids)
    if named.get(Entity.SITE_DOOR_RULES) or named.get(Entity.SITE_EMERGENCY):
        # A site's calendar or emergency state is copied onto each of its doors.
        doors |= {uuid.UUID(key) for key in view.entries["doors"]}
    people = set(named.get(Entity.PERSON, set()))
    people |= _owners(session, Assignment, named.get(Entity.ASSIGNMENT, set()))
    people |= _owners(session, TrainingRecord, named.get(Entity.TRAINING, set()))
    credentials = set(named.get(Entity.CREDENTIAL, set()))
    pins: set[UUID] = set()
    # Holders of a PIN named while blocked: their entry takes that PIN's access away.
    pin_blocked: set[str] = set()
    for credential_id, person_id, kind, state in session.execute(
        select(Credential.id, Credential.person_id, Credential.kind, Credential.state).where(
            Credential.id.in_(list(credentials))
        )
    ):
        # A PIN is part of its holder's entry: the holder is sent again, not the PIN.
        people.add(person_id)
        if kind == CredentialKind.PIN:
            pins.add(credential_id)
            if str(state) in BLOCKED_STATES:
                pin_blocked.add(str(person_id))
    if people:
        # A person who gains or loses a right gains or loses their cards with it.
        credentials |= set(
            session.execute(
                select(Credential.id).where(
                    Credential.person_id.in_(list(people)), Credential.kind != CredentialKind.PIN
                )
            ).scalars()
        )
    credentials -= pins
    changes = (
        _changes(view, "credentials", credentials)
        + _changes(view, "people", people)
        + _changes(view, "doors", doors)
    )

    def revokes(change: Json) -> bool:
        if change["kind"] == "people" and change["op"] == "upsert":
            return is_revocation(change) or change["entry"]["id"] in pin_blocked
        return is_revocation(change)

    # Stable: revocations first, each group in the order above.
    body["changes"] = sorted(changes, key=lambda c: not revokes(c))
    replace: dict[str, Any] = {}
    full = view.body()
    replace["schedules"] = full["schedules"]
    replace["profiles"] = full["profiles"]
    if _WIDE & set(named):
        replace["people"] = full["people"]
        replace["credentials"] = full["credentials"]
    body["replace"] = replace
    body["holidays_until"] = full["holidays_until"]
    return body


def _late(session: Session, tenant_id: UUID, version: int, seconds: int) -> list[Any]:
    """The changes numbered at or below ``version`` but made within ``seconds`` before the
    newest of them: on PostgreSQL a number is handed out before commit, so such a change
    may have become visible only after the edge's version was read (sent again: harmless)."""
    if seconds <= 0:
        return []
    anchor = session.execute(
        select(AccessChange.at)
        .where(AccessChange.seq <= version)
        .order_by(AccessChange.seq.desc())
        .limit(1)
    ).scalar()
    if anchor is None:
        return []
    return list(
        session.execute(
            select(AccessChange.entity, AccessChange.entity_id, AccessChange.at).where(
                AccessChange.tenant_id == tenant_id,
                AccessChange.seq <= version,
                AccessChange.seq > version - LATE_ROWS,
                AccessChange.at >= anchor - timedelta(seconds=seconds),
            )
        ).all()
    )


def _owners(
    session: Session, model: type[Assignment] | type[TrainingRecord], ids: set[UUID]
) -> set[UUID]:
    """The people the named assignments or training records belong to (a deleted row is
    gone, but the service that deleted it noted its person too: ``access.changes``)."""
    if not ids:
        return set()
    return set(session.execute(select(model.person_id).where(model.id.in_(list(ids)))).scalars())


def seal_delta(body: Json, device_id: UUID, settings: SnapshotSettings) -> bytes:
    """A delta body packed and signed for one device, as the bytes to publish."""
    fields = {
        "kind": "delta",
        "device": str(device_id),
        "tenant": str(body["tenant"]),
        "from_version": int(body["from_version"]),
        "to_version": int(body["to_version"]),
        "body": pack(body),
    }
    return seal(fields, settings.private_key())
