"""Settings of device enrolment."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DeviceSettings(BaseModel):
    """How devices enrol and when the UI calls them online."""

    #: How long a one-time enrolment code works after it is made.
    enrolment_code_hours: int = Field(default=24, ge=1, le=24 * 30)
    #: A device seen within this many seconds is shown as online.
    online_seconds: int = Field(default=120, ge=10, le=3600)
