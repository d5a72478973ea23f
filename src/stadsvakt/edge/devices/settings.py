"""Settings of device enrolment."""

from __future__ import annotations

from pydantic import BaseModel


class DeviceSettings(BaseModel):
    """How devices enrol."""
