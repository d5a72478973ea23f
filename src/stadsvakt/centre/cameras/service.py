"""Rules and queries of the centre's cameras and their evidence. Callers commit.

Who sees what follows :mod:`stadsvakt.centre.tenancy`: a camera belongs to a
municipality, so centre staff see the cameras of every municipality their centre
serves; anyone else their own. Registering and changing cameras needs
``centre.admin``; reading them ``centre.read``; fetching snapshots for an activation
``centre.operate``. Snapshots are reached only through their activation, so another
tenant's evidence is "not found" even by id. Every view of a picture is written down
(:class:`~stadsvakt.centre.cameras.models.SnapshotView`, and the audit trail).
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, undefer

from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.scope import check_unit_in_scope, require
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.centre.cameras.fetch import Fetched, SnapshotSource, Target
from stadsvakt.centre.cameras.models import (
    Camera,
    CameraAuth,
    Snapshot,
    SnapshotStatus,
    SnapshotView,
)
from stadsvakt.centre.cameras.schemas import CameraCreate, CameraUpdate
from stadsvakt.centre.models import Activation
from stadsvakt.centre.tenancy import restrict, visible_activation, visible_tenants
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.errors import InvalidInput, NotFound
from stadsvakt.org.models import Site
from stadsvakt.settings import CentreSettings

#: Mean earth radius (metres) for the haversine distance.
EARTH_RADIUS_M = 6_371_008.8
_READ = "centre.read"
_ADMIN = "centre.admin"
_OPERATE = "centre.operate"


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points (haversine), in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


# --- the registry ------------------------------------------------------------------------


def _audit(session: Session, action: str, row: Camera, before: dict[str, Any] | None) -> None:
    record(
        session,
        action=f"camera.{action}",
        object_type="camera",
        object_id=row.id,
        object_text=row.name,
        tenant_id=row.tenant_id,
        before=before,
        after=None if action == "delete" else _state(row),
    )


def _state(row: Camera) -> dict[str, Any]:
    return {**snapshot(row), "has_password": row.password_sealed is not None}


def list_cameras(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    site_id: uuid.UUID | None = None,
) -> tuple[list[Camera], int]:
    """Cameras the actor sees, by name."""
    stmt = restrict(select(Camera), session, actor, _READ, model=Camera)
    if site_id is not None:
        stmt = stmt.where(Camera.site_id == site_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Camera.name, Camera.id).limit(limit).offset(offset))
    return list(rows), total


def get_camera(
    session: Session, actor: Actor, camera_id: uuid.UUID, permission: str = _READ
) -> Camera:
    """One camera the actor sees with ``permission``, else :class:`NotFound`."""
    stmt = restrict(
        select(Camera).where(Camera.id == camera_id), session, actor, permission, model=Camera
    )
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound("camera not found")
    return found


def _tenant_for(session: Session, actor: Actor, wanted: uuid.UUID | None) -> uuid.UUID:
    tenants = visible_tenants(session, actor)
    tenant = wanted or actor.tenant_id
    if tenant is None:
        raise InvalidInput("tenant_id: name the municipality", field="tenant_id", rule="required")
    if tenants is not None and tenant not in tenants:
        raise NotFound("tenant_id: no municipality you serve has this id", field="tenant_id")
    return tenant


def _check_site(
    session: Session, actor: Actor, tenant: uuid.UUID, site_id: uuid.UUID | None
) -> None:
    if site_id is None:
        check_unit_in_scope(session, actor, _ADMIN, None, field="site_id")
        return
    site = session.get(Site, site_id)
    if site is None or site.tenant_id != tenant:
        raise NotFound("site_id: no such site in the camera's municipality", field="site_id")
    check_unit_in_scope(session, actor, _ADMIN, site.org_unit_id, field="site_id")


def _credentials(
    box: SecretBox, auth: CameraAuth, username: str | None, password: str | None
) -> tuple[str | None, str | None]:
    if auth is CameraAuth.NONE:
        return None, None
    if not username:
        raise InvalidInput(
            "username: basic or digest authentication needs a user name",
            field="username",
            rule="required_with_auth",
        )
    return username, box.seal(password) if password else None


def create_camera(session: Session, actor: Actor, box: SecretBox, data: CameraCreate) -> Camera:
    """Register a camera in the actor's municipality (or one its centre serves)."""
    require(actor, _ADMIN)
    tenant = _tenant_for(session, actor, data.tenant_id)
    _check_site(session, actor, tenant, data.site_id)
    username, sealed = _credentials(box, data.auth, data.username, data.password)
    row = Camera(
        tenant_id=tenant,
        site_id=data.site_id,
        name=data.name,
        latitude=data.latitude,
        longitude=data.longitude,
        snapshot_url=data.snapshot_url,
        auth=data.auth,
        username=username,
        password_sealed=sealed,
        enabled=data.enabled,
    )
    session.add(row)
    session.flush()
    _audit(session, "create", row, None)
    return row


def update_camera(
    session: Session, actor: Actor, box: SecretBox, camera_id: uuid.UUID, data: CameraUpdate
) -> Camera:
    """Change a camera; its password only when ``password`` is given (empty removes it)."""
    row = get_camera(session, actor, camera_id, _ADMIN)
    before = _state(row)
    changes = data.model_dump(exclude_unset=True, exclude={"password"})
    if "site_id" in changes:
        _check_site(session, actor, row.tenant_id, changes["site_id"])
    for name, value in changes.items():
        if value is None and name not in ("site_id", "username"):
            raise InvalidInput(f"{name}: cannot be emptied", field=name, rule="required")
        setattr(row, name, value)
    password: str | None
    if "password" in data.model_fields_set:
        password = data.password or None
    else:
        password = box.open(row.password_sealed) if row.password_sealed else None
    row.username, row.password_sealed = _credentials(box, row.auth, row.username, password)
    session.flush()
    _audit(session, "update", row, before)
    return row


def delete_camera(session: Session, actor: Actor, camera_id: uuid.UUID) -> None:
    """Remove a camera; the snapshots it gave stay with their activations."""
    row = get_camera(session, actor, camera_id, _ADMIN)
    before = _state(row)
    session.delete(row)
    session.flush()
    _audit(session, "delete", row, before)


# --- cameras of an activation --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Placed:
    """A camera as an activation sees it: on its site, or this far from it."""

    camera: Camera
    distance_m: int
    on_site: bool


def cameras_for(
    session: Session, actor: Actor, activation: Activation, settings: CentreSettings
) -> list[Placed]:
    """The enabled cameras of the activation's site, then the nearest others within
    ``camera_radius_m`` (at most ``camera_nearby_max``), as the actor sees them."""
    if activation.site_id is None:
        return []
    site = session.get(Site, activation.site_id)
    if site is None:
        return []
    visible = restrict(select(Camera), session, actor, _READ, model=Camera).where(
        Camera.enabled.is_(True)
    )
    own = session.scalars(visible.where(Camera.site_id == site.id).order_by(Camera.name)).all()
    placed = [Placed(c, round(_from(site, c)), True) for c in own]
    radius = settings.camera_radius_m
    if radius <= 0 or settings.camera_nearby_max <= 0:
        return placed
    # A box around the site first (an index can use it), then the true distance.
    dlat = math.degrees(radius / EARTH_RADIUS_M)
    dlon = dlat / max(0.01, math.cos(math.radians(site.latitude)))
    near = session.scalars(
        visible.where(Camera.site_id.is_(None) | (Camera.site_id != site.id))
        .where(Camera.latitude.between(site.latitude - dlat, site.latitude + dlat))
        .where(Camera.longitude.between(site.longitude - dlon, site.longitude + dlon))
    ).all()
    ranked = sorted((d, c.name, c) for c in near if (d := _from(site, c)) <= radius)[
        : settings.camera_nearby_max
    ]
    return placed + [Placed(c, round(d), False) for d, _, c in ranked]


def _from(site: Site, camera: Camera) -> float:
    return distance_m(site.latitude, site.longitude, camera.latitude, camera.longitude)


@dataclass(frozen=True, slots=True)
class Planned:
    """One camera to fetch, as plain values (the plan outlives its transaction)."""

    camera_id: uuid.UUID
    name: str
    distance_m: int
    on_site: bool
    target: Target


@dataclass(frozen=True, slots=True)
class Plan:
    """The cameras to fetch for one activation, read before any camera is asked."""

    activation_id: uuid.UUID
    tenant_id: uuid.UUID
    cameras: tuple[Planned, ...]

    @property
    def targets(self) -> list[Target]:
        """What the snapshot source fetches."""
        return [item.target for item in self.cameras]


def plan_snapshots(
    session: Session,
    actor: Actor,
    box: SecretBox,
    activation_id: uuid.UUID,
    settings: CentreSettings,
) -> Plan:
    """What to fetch for an activation (needs ``centre.operate`` on it)."""
    activation = visible_activation(session, actor, activation_id, _OPERATE)
    cameras = []
    for item in cameras_for(session, actor, activation, settings):
        camera = item.camera
        password = None
        if camera.password_sealed:
            try:
                password = box.open(camera.password_sealed)
            except ValueError:
                password = None  # sealed with another key: the camera will refuse
        target = Target(
            key=str(camera.id),
            url=camera.snapshot_url,
            auth=camera.auth.value,
            username=camera.username,
            password=password,
        )
        cameras.append(Planned(camera.id, camera.name, item.distance_m, item.on_site, target))
    return Plan(activation.id, activation.tenant_id, tuple(cameras))


def take_snapshots(
    session: Session,
    actor: Actor,
    box: SecretBox,
    activation_id: uuid.UUID,
    settings: CentreSettings,
    source: SnapshotSource,
    *,
    release: Callable[[], None],
) -> list[Snapshot]:
    """Fetch every camera of an activation at once and keep what they gave.

    ``release`` runs between reading the plan and asking the cameras (the request's
    commit), so no database transaction, and on SQLite no write lock, is held while
    cameras answer; the source returns within its time limit whatever they do.
    """
    plan = plan_snapshots(session, actor, box, activation_id, settings)
    release()
    fetched = asyncio.run(source.fetch_all(plan.targets)) if plan.cameras else []
    return keep_snapshots(session, actor, plan, fetched)


def keep_snapshots(
    session: Session, actor: Actor, plan: Plan, fetched: Sequence[Fetched]
) -> list[Snapshot]:
    """Keep what the cameras gave with the activation (pictures and failures alike)."""
    visible_activation(session, actor, plan.activation_id, _OPERATE)
    now = utcnow()
    by_key = {result.key: result for result in fetched}
    rows = []
    for item in plan.cameras:
        result = by_key.get(item.target.key)
        if result is None:
            continue
        row = Snapshot(
            activation_id=plan.activation_id,
            tenant_id=plan.tenant_id,
            camera_id=item.camera_id,
            camera_name=item.name,
            distance_m=item.distance_m,
            on_site=item.on_site,
            requested_at=now,
            fetched_at=now if result.ok else None,
            requested_by_id=actor.id,
            requested_by_name=actor.name,
            status=SnapshotStatus.OK if result.ok else SnapshotStatus.FAILED,
            reason=result.reason,
            detail=result.detail[:300],
            content_type=result.content_type,
            width=result.width,
            height=result.height,
            size=len(result.content or b""),
            content=result.content,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    if rows:
        record(
            session,
            action="camera.snapshots",
            object_type="activation",
            object_id=plan.activation_id,
            object_text=f"{sum(r.status is SnapshotStatus.OK for r in rows)}/{len(rows)} pictures",
            tenant_id=plan.tenant_id,
            after={"snapshots": [str(r.id) for r in rows]},
        )
    return rows


# --- evidence ----------------------------------------------------------------------------


def list_snapshots(session: Session, actor: Actor, activation_id: uuid.UUID) -> list[Snapshot]:
    """Every snapshot kept with an activation the actor sees, newest first."""
    visible_activation(session, actor, activation_id, _READ)
    return list(
        session.scalars(
            select(Snapshot)
            .where(Snapshot.activation_id == activation_id)
            .order_by(Snapshot.requested_at.desc(), Snapshot.on_site.desc(), Snapshot.distance_m)
        )
    )


def latest_snapshots(snapshots: Sequence[Snapshot]) -> dict[uuid.UUID, Snapshot]:
    """The newest snapshot of each camera (``list_snapshots`` gives them newest first)."""
    latest: dict[uuid.UUID, Snapshot] = {}
    for row in snapshots:
        if row.camera_id is not None and row.camera_id not in latest:
            latest[row.camera_id] = row
    return latest


def views_of(
    session: Session, snapshot_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[SnapshotView]]:
    """Who looked at each snapshot, oldest first."""
    found: dict[uuid.UUID, list[SnapshotView]] = {key: [] for key in snapshot_ids}
    if not snapshot_ids:
        return found
    rows = session.scalars(
        select(SnapshotView)
        .where(SnapshotView.snapshot_id.in_(list(snapshot_ids)))
        .order_by(SnapshotView.viewed_at, SnapshotView.id)
    )
    for row in rows:
        found[row.snapshot_id].append(row)
    return found


def view_snapshot(
    session: Session, actor: Actor, activation_id: uuid.UUID, snapshot_id: uuid.UUID
) -> Snapshot:
    """A snapshot's picture for the actor to look at; the view is written down (who, when)."""
    visible_activation(session, actor, activation_id, _READ)
    row = session.scalars(
        select(Snapshot)
        .options(undefer(Snapshot.content))
        .where(Snapshot.id == snapshot_id, Snapshot.activation_id == activation_id)
    ).one_or_none()
    if row is None or row.content is None:
        raise NotFound("snapshot not found")
    session.add(
        SnapshotView(
            snapshot_id=row.id,
            activation_id=activation_id,
            viewed_at=utcnow(),
            viewer_id=actor.id,
            viewer_name=actor.name,
        )
    )
    record(
        session,
        action="camera.snapshot_view",
        object_type="camera_snapshot",
        object_id=row.id,
        object_text=row.camera_name,
        tenant_id=row.tenant_id,
        after={"activation_id": str(activation_id)},
    )
    return row


def purge_evidence(
    session: Session, settings: CentreSettings, *, now: datetime | None = None
) -> int:
    """Delete snapshots (and their view rows) older than ``evidence_retention_days``;
    returns how many. For the CLI or a scheduled job, which commits."""
    cutoff = (now or utcnow()) - timedelta(days=settings.evidence_retention_days)
    old = select(Snapshot.id).where(Snapshot.requested_at < cutoff)
    session.execute(delete(SnapshotView).where(SnapshotView.snapshot_id.in_(old)))
    result = session.execute(delete(Snapshot).where(Snapshot.requested_at < cutoff))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        record(
            session,
            action="camera.evidence_purged",
            object_type="camera_snapshot",
            object_id=None,
            object_text=f"{count} snapshots before {cutoff.isoformat()}",
            tenant_id=None,
            after={"count": count, "before": cutoff.isoformat()},
        )
    return count
