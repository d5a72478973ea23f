"""Settings of snapshots and deltas."""

from __future__ import annotations

from pydantic import BaseModel


class SnapshotSettings(BaseModel):
    """How snapshots are signed and how long deltas are kept."""
