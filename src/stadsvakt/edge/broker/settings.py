"""Settings of the MQTT broker the centre and the edge devices share."""

from __future__ import annotations

from pydantic import BaseModel


class BrokerSettings(BaseModel):
    """Where the edge broker is and how the centre reaches it."""
