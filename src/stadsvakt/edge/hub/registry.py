"""What the hub knows of each device it talks to: the snapshot version it holds, and
(once read) its municipality, site and doors. Pure, in memory, on the event loop.

A device enters with its ``hello`` (or a ``status`` after the hub restarted) and leaves
when it is revoked or is found gone. ``epoch`` counts its hellos: a delta computed for
an older hello is not sent (the device has started over meanwhile).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """Where an active device is: its municipality, site and the doors it serves."""

    tenant_id: uuid.UUID
    site_id: uuid.UUID
    doors: frozenset[uuid.UUID]


@dataclass(slots=True)
class Held:
    """One device's known state: its version (None: it holds nothing), hello count, info."""

    version: int | None
    epoch: int = 0
    info: DeviceInfo | None = None


class Registry:
    """The devices the hub sends to, by id."""

    def __init__(self) -> None:
        self._devices: dict[uuid.UUID, Held] = {}

    def __contains__(self, device_id: object) -> bool:
        return device_id in self._devices

    def __len__(self) -> int:
        return len(self._devices)

    def __iter__(self) -> Iterator[uuid.UUID]:
        return iter(list(self._devices))

    def get(self, device_id: uuid.UUID) -> Held | None:
        """The device's state, or None when the hub does not know it."""
        return self._devices.get(device_id)

    def hello(self, device_id: uuid.UUID, version: int | None) -> Held:
        """The device (re)started holding ``version``: believe it, and start a new epoch."""
        held = self._devices.get(device_id)
        if held is None:
            held = self._devices[device_id] = Held(version)
        held.version = version
        held.epoch += 1
        return held

    def status(self, device_id: uuid.UUID, version: int | None) -> bool:
        """A status report; True when the device was new to the hub (it joins). A known
        device's version only moves up: a report may predate the delta last sent."""
        held = self._devices.get(device_id)
        if held is None:
            self._devices[device_id] = Held(version)
            return True
        if version is not None and (held.version is None or version > held.version):
            held.version = version
        return False

    def sent(self, device_id: uuid.UUID, epoch: int, version: int) -> None:
        """A snapshot or delta up to ``version`` went out in ``epoch``: assume it is held."""
        held = self._devices.get(device_id)
        if held is not None and held.epoch == epoch:
            held.version = version

    def know(self, device_id: uuid.UUID, info: DeviceInfo) -> None:
        """Keep where the device is (read from the database by a sync)."""
        held = self._devices.get(device_id)
        if held is not None:
            held.info = info

    def forget(self, device_id: uuid.UUID) -> None:
        """Send the device nothing more (revoked, or gone)."""
        self._devices.pop(device_id, None)

    def retain(self, active: Iterable[uuid.UUID]) -> list[uuid.UUID]:
        """Forget every device not in ``active``; the ones forgotten."""
        keep = set(active)
        gone = [device_id for device_id in self._devices if device_id not in keep]
        for device_id in gone:
            del self._devices[device_id]
        return gone

    def unplaced(self) -> list[uuid.UUID]:
        """The devices whose place has not been read yet."""
        return [device_id for device_id, held in self._devices.items() if held.info is None]

    def of_tenant(self, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, DeviceInfo]]:
        """The known devices of a municipality whose place has been read."""
        return [
            (device_id, held.info)
            for device_id, held in self._devices.items()
            if held.info is not None and held.info.tenant_id == tenant_id
        ]
