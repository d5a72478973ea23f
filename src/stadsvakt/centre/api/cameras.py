"""The safety centre's API: cameras (centre.admin writes, centre.read reads) and the
snapshots kept with an activation as evidence (every view of a picture is logged)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from stadsvakt.api.deps import ActorDep, PagingDep, ServicesDep, SessionDep, writes_on_read
from stadsvakt.centre.cameras import service
from stadsvakt.centre.cameras.fetch import HttpSnapshots
from stadsvakt.centre.cameras.models import Camera, Snapshot, SnapshotView
from stadsvakt.centre.cameras.schemas import (
    CameraCreate,
    CameraOut,
    CameraUpdate,
    SnapshotOut,
    ViewOut,
)
from stadsvakt.org.schemas import Page
from stadsvakt.settings import CentreSettings

router = APIRouter(tags=["centre"])


def camera_out(row: Camera) -> CameraOut:
    """A camera as the API shows it (whether it has a password, never the password)."""
    return CameraOut.model_validate(
        {
            **{
                name: getattr(row, name)
                for name in CameraOut.model_fields
                if name != "has_password"
            },
            "has_password": row.password_sealed is not None,
        }
    )


def snapshot_out(
    row: Snapshot, views: list[SnapshotView], prefix: str = "/api/v1/centre"
) -> SnapshotOut:
    """A snapshot with its views; ``image_url`` when it holds a picture."""
    image = (
        f"{prefix}/activations/{row.activation_id}/snapshots/{row.id}/image" if row.size else None
    )
    fields = {
        name: getattr(row, name)
        for name in SnapshotOut.model_fields
        if name not in ("image_url", "views")
    }
    return SnapshotOut.model_validate(
        {**fields, "image_url": image, "views": [ViewOut.model_validate(v) for v in views]}
    )


def snapshot_source(settings: CentreSettings) -> HttpSnapshots:
    """Snapshots over HTTP with the settings' time limit and size cap."""
    return HttpSnapshots(timeout_s=settings.camera_timeout_s, max_bytes=settings.camera_max_bytes)


@router.get("/cameras", response_model=Page[CameraOut])
def list_cameras(
    session: SessionDep, actor: ActorDep, page: PagingDep, site_id: uuid.UUID | None = None
) -> Page[CameraOut]:
    """Cameras of the municipalities the caller sees."""
    rows, total = service.list_cameras(
        session, actor, limit=page.limit, offset=page.offset, site_id=site_id
    )
    return Page[CameraOut](
        items=[camera_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/cameras", response_model=CameraOut, status_code=status.HTTP_201_CREATED)
def create_camera(
    data: CameraCreate, session: SessionDep, actor: ActorDep, services: ServicesDep
) -> CameraOut:
    """Register a camera (its password is stored sealed)."""
    return camera_out(service.create_camera(session, actor, services.box, data))


@router.get("/cameras/{camera_id}", response_model=CameraOut)
def get_camera(camera_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> CameraOut:
    """One camera."""
    return camera_out(service.get_camera(session, actor, camera_id))


@router.patch("/cameras/{camera_id}", response_model=CameraOut)
def update_camera(
    camera_id: uuid.UUID,
    data: CameraUpdate,
    session: SessionDep,
    actor: ActorDep,
    services: ServicesDep,
) -> CameraOut:
    """Change a camera; send ``password`` to replace it, ``""`` or ``null`` to remove it."""
    return camera_out(service.update_camera(session, actor, services.box, camera_id, data))


@router.delete("/cameras/{camera_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_camera(camera_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a camera; the snapshots it gave stay with their activations."""
    service.delete_camera(session, actor, camera_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/activations/{activation_id}/snapshots", response_model=list[SnapshotOut])
def list_snapshots(
    activation_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> list[SnapshotOut]:
    """The snapshots kept with an activation, newest first, with who viewed each."""
    rows = service.list_snapshots(session, actor, activation_id)
    views = service.views_of(session, [r.id for r in rows])
    return [snapshot_out(r, views[r.id]) for r in rows]


@router.post(
    "/activations/{activation_id}/snapshots",
    response_model=list[SnapshotOut],
    status_code=status.HTTP_201_CREATED,
)
def take_snapshots(
    activation_id: uuid.UUID, session: SessionDep, actor: ActorDep, services: ServicesDep
) -> list[SnapshotOut]:
    """Fetch a snapshot from each camera of the activation's site and the nearest others,
    all at once, each within ``centre.camera_timeout_s``; failures are kept with their
    reason."""
    settings = services.settings.centre
    rows = service.take_snapshots(
        session,
        actor,
        services.box,
        activation_id,
        settings,
        snapshot_source(settings),
        release=session.commit,
    )
    return [snapshot_out(r, []) for r in rows]


@router.get(
    "/activations/{activation_id}/snapshots/{snapshot_id}/image",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
@writes_on_read
def snapshot_image(
    activation_id: uuid.UUID, snapshot_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> Response:
    """The picture itself; the view is logged (who, when)."""
    row = service.view_snapshot(session, actor, activation_id, snapshot_id)
    return image_response(row)


def image_response(row: Snapshot) -> Response:
    """A kept picture, never cached, never sniffed as another type."""
    return Response(
        row.content or b"",
        media_type=row.content_type or "application/octet-stream",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
