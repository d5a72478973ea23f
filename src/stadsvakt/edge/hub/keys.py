"""The active devices' public keys, kept in memory after the first look-up.

Every message a device sends is checked against its key; reading it from the database
each time would cost a worker thread's turn per message, and during a hello storm
(snapshot builds holding the interpreter) that turn is slow. A device's key never
changes; a revoked device is dropped from the cache when the hub sees the active
devices change (each feed poll). Until then its messages still fail further on: its
status is refused (no longer active), its events name doors it no longer serves, and
what it is sent is a ``time`` at most.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Collection

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.edge.devices.models import DeviceState, EdgeDevice
from stadsvakt.edge.devices.service import public_key_of

#: Ids per ``IN (...)`` list.
_CHUNK = 500


class KeyCache:
    """A key lookup for the gateway that remembers the keys of active devices."""

    def __init__(self, factory: Callable[[], Session]) -> None:
        self._factory = factory
        self._keys: dict[uuid.UUID, Ed25519PublicKey] = {}

    def _read(self, device_id: uuid.UUID) -> Ed25519PublicKey | None:
        with self._factory() as session:
            return public_key_of(session, device_id)

    async def __call__(self, device_id: uuid.UUID) -> Ed25519PublicKey | None:
        """The active device's key (None: unknown or revoked, asked again next time)."""
        key = self._keys.get(device_id)
        if key is None:
            key = await asyncio.to_thread(self._read, device_id)
            if key is not None:
                self._keys[device_id] = key
        return key

    def missing(self, active: Collection[uuid.UUID]) -> list[uuid.UUID]:
        """Those of ``active`` whose keys are not kept yet."""
        return [device_id for device_id in active if device_id not in self._keys]

    def load(self, device_ids: Collection[uuid.UUID]) -> None:
        """Read the keys of these devices in a few queries, ahead of their messages (a
        hello storm then needs no look-up per message). Blocking: from a worker thread."""
        ids = list(device_ids)
        found: dict[uuid.UUID, Ed25519PublicKey] = {}
        with self._factory() as session:
            for start in range(0, len(ids), _CHUNK):
                rows = session.execute(
                    select(EdgeDevice.id, EdgeDevice.public_key).where(
                        EdgeDevice.id.in_(ids[start : start + _CHUNK]),
                        EdgeDevice.state == DeviceState.ACTIVE,
                    )
                )
                for device_id, raw in rows:
                    found[device_id] = Ed25519PublicKey.from_public_bytes(bytes(raw))
        self._keys.update(found)

    def retain(self, active: Collection[uuid.UUID]) -> None:
        """Forget the keys of devices no longer active."""
        for device_id in [d for d in self._keys if d not in active]:
            del self._keys[device_id]
