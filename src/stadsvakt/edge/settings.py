"""The edge's settings in the centre (``STADSVAKT_EDGE__...``), one section per part."""

from __future__ import annotations

from pydantic import BaseModel

from stadsvakt.edge.broker.settings import BrokerSettings
from stadsvakt.edge.devices.settings import DeviceSettings
from stadsvakt.edge.snapshot.settings import SnapshotSettings


class EdgeSettings(BaseModel):
    """Edge devices, their broker and their snapshots."""

    devices: DeviceSettings = DeviceSettings()
    broker: BrokerSettings = BrokerSettings()
    snapshot: SnapshotSettings = SnapshotSettings()
