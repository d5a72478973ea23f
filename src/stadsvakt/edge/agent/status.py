"""What the agent tells the centre about itself over MQTT: ``hello`` and ``status`` bodies.

``hello`` goes on every (re)connect and when the centre's delta shows changes are
missing; it carries the version held so the centre knows what to send (a delta from it,
or a snapshot). ``status`` carries the health (``ok``, ``degraded``, ``fault``: see
:attr:`~stadsvakt.edge.agent.agent.Health.level`), the version, the events still to
upload, the clock's drift from the centre's and each door's live state.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from stadsvakt import __version__
from stadsvakt.edge.agent.agent import Agent

#: The agent's software version as reported.
SOFTWARE_VERSION = __version__


def hello_body(version: int | None, software_version: str = SOFTWARE_VERSION) -> dict[str, Any]:
    """The body of a ``hello``."""
    return {"snapshot_version": version, "software_version": software_version}


def status_body(
    agent: Agent, version: int | None, software_version: str = SOFTWARE_VERSION
) -> dict[str, Any]:
    """The body of a ``status``: the agent as it stands now."""
    health = agent.health
    drift = health.clock_drift_seconds
    return {
        "software_version": software_version,
        "health": health.level,
        "health_detail": health.detail(),
        "snapshot_version": version,
        "pending_events": agent.buffer.count(uploaded=False),
        "clock_drift_ms": None if drift is None else round(drift * 1000),
        "doors": {str(door_id): state for door_id, state in agent.live_states().items()},
        "at": agent.clock().astimezone(UTC).isoformat(),
    }
