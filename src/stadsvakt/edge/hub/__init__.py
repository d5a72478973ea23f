"""The centre's edge hub: devices' messages in, revocations, deltas, snapshots and the
time out, and the broker's accounts kept to the enrolled devices (docs/edge.md)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.receivers.run import Receiver
from stadsvakt.edge.hub.hub import EdgeHub
from stadsvakt.settings import Settings

__all__ = ["EdgeHub", "edge_receivers"]


def edge_receivers(settings: Settings, session_factory: sessionmaker[Session]) -> list[Receiver]:
    """The edge hub when ``edge.broker.enabled``, else nothing (for ``stadsvakt serve``)."""
    if not settings.edge.broker.enabled:
        return []
    return [EdgeHub(settings.edge, session_factory)]
