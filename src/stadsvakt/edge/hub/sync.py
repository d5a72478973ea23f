"""What one device needs to be brought up to date: a delta from the version it holds, or
a snapshot when it holds nothing or the feed can no longer give the changes. Runs in a
worker thread with a session of its own (it only reads).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from stadsvakt.edge.hub.queries import device_info
from stadsvakt.edge.hub.registry import DeviceInfo
from stadsvakt.edge.snapshot.build import build_snapshot, seal_snapshot
from stadsvakt.edge.snapshot.delta import deltas_since, seal_delta
from stadsvakt.edge.snapshot.settings import SnapshotSettings


@dataclass(frozen=True, slots=True)
class Sync:
    """The outcome: the device's place (None: revoked or unknown) and, when it needs
    something, the sealed message and the version it brings the device to."""

    info: DeviceInfo | None
    payload: bytes | None = None
    version: int = 0
    kind: str = ""


def sync_device(
    factory: Callable[[], Session],
    device_id: uuid.UUID,
    held: int | None,
    now: datetime,
    settings: SnapshotSettings,
) -> Sync:
    """The snapshot or delta that brings ``device_id`` from ``held`` to the feed's
    position, or nothing when it is there already."""
    with factory() as session:
        info = device_info(session, device_id)
        if info is None:
            return Sync(None)
        if held is not None:
            body = deltas_since(session, info.tenant_id, info.doors, held, now, settings=settings)
            if body is not None:
                if int(body["to_version"]) <= held:
                    return Sync(info)
                payload = seal_delta(body, device_id, settings)
                return Sync(info, payload, int(body["to_version"]), "delta")
        snapshot = build_snapshot(session, info.tenant_id, info.doors, now, settings=settings)
        payload = seal_snapshot(snapshot, device_id, settings)
        return Sync(info, payload, int(snapshot["version"]), "snapshot")
