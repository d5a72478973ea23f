"""An edge agent for the benchmark: its configuration for a number of doors (one loopback
OSDP reader and one lock relay each), a clock the benchmark moves, and outputs that
note when each lock turns on."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from stadsvakt.edge.agent.config import LOOPBACK, EdgeConfig
from stadsvakt.edge.agent.outputs import SimulatedOutputs

#: The OSDP secure channel base key of every benchmark reader.
SCBK = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
#: The first lock relay's GPIO line (door i has line ``LOCK_BASE + i``).
LOCK_BASE = 100


def reader_name(index: int) -> str:
    """The name of door ``index``'s reader."""
    return f"reader-{index}"


def edge_config(
    workdir: Path,
    *,
    device_id: uuid.UUID,
    tenant_id: uuid.UUID,
    door_ids: list[uuid.UUID],
    key: Ed25519PrivateKey,
    centre_url: str = "http://127.0.0.1:9",
    upload_batch: int = 200,
) -> EdgeConfig:
    """The agent's configuration: door i read by reader i (OSDP address i + 1, secure
    channel on) and locked by relay ``LOCK_BASE + i``; the buffer in ``workdir``."""
    if len(door_ids) > 126:
        raise ValueError("one OSDP panel polls at most 126 reader addresses")
    key_file = workdir / "device.key"
    key_file.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return EdgeConfig.model_validate(
        {
            "device_id": device_id,
            "tenant_id": tenant_id,
            "centre_url": centre_url,
            "key_file": key_file,
            "buffer_path": workdir / "events.sqlite",
            "upload_batch": upload_batch,
            "readers": [
                {"name": reader_name(i), "device": LOOPBACK, "address": i + 1, "scbk": SCBK}
                for i in range(len(door_ids))
            ],
            "doors": [
                {"door_id": door, "reader": reader_name(i), "lock_output": LOCK_BASE + i}
                for i, door in enumerate(door_ids)
            ],
        }
    )


class SteppedClock:
    """The agent's clock: it stands still until the benchmark moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(seconds=seconds)


@dataclass
class TimedOutputs(SimulatedOutputs):
    """:class:`SimulatedOutputs` that also note, per line, the ``time.perf_counter()`` at
    which the output last turned on (instrumentation of the real driver in memory)."""

    turned_on: dict[int, float] = field(default_factory=dict)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def set_output(self, line: int, on: bool) -> None:
        """Record the change, and its time when the line turns on."""
        at = time.perf_counter()
        was_on = self.outputs.get(line, False)
        super().set_output(line, on)
        if on and not was_on:
            with self._changed:
                self.turned_on[line] = at
                self._changed.notify_all()

    def wait_on(self, line: int, after: float, timeout: float) -> float | None:
        """The time ``line`` turned on at or after ``after`` (waiting up to ``timeout`` s),
        or None if it did not."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.turned_on.get(line, float("-inf")) < after:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)
            return self.turned_on[line]
