"""Receiver counters, rendered in the Prometheus text format at ``GET /metrics``.

Counters live in process memory (one :data:`REGISTRY` per process) and are only
ever increased; Prometheus computes rates and sums across processes. The text
format is small enough to write here rather than pull in a client library.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class _Family:
    help: str
    kind: str  # "counter" or "gauge"


class Metrics:
    """Named counters and gauges with labels; thread-safe, cheap to increase."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._families: dict[str, _Family] = {}
        self._values: dict[str, dict[Labels, float]] = defaultdict(dict)

    def describe(self, name: str, help_text: str, kind: str = "counter") -> None:
        """Declare a metric so it is listed (with HELP and TYPE) even before it counts."""
        with self._lock:
            self._families.setdefault(name, _Family(help_text, kind))
            self._values.setdefault(name, {})

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        """Increase a counter."""
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._values[name]
            series[key] = series.get(key, 0.0) + amount

    def set(self, name: str, value: float, **labels: str) -> None:
        """Set a gauge."""
        with self._lock:
            self._values[name][tuple(sorted(labels.items()))] = value

    def value(self, name: str, **labels: str) -> float:
        """The current value of one series (0 if it never counted)."""
        with self._lock:
            return self._values.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def snapshot(self) -> dict[str, dict[Labels, float]]:
        """A copy of every series' current value, by metric name."""
        with self._lock:
            return {name: dict(series) for name, series in self._values.items()}

    def render(self) -> str:
        """All metrics in the Prometheus text exposition format (version 0.0.4)."""
        lines: list[str] = []
        with self._lock:
            for name in sorted(self._values):
                family = self._families.get(name, _Family(name, "counter"))
                lines.append(f"# HELP {name} {family.help}")
                lines.append(f"# TYPE {name} {family.kind}")
                for labels, value in sorted(self._values[name].items()):
                    label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
                    series = f"{name}{{{label_text}}}" if label_text else name
                    lines.append(f"{series} {value:g}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


#: The process's metrics, shared by the receivers and ``GET /metrics``.
REGISTRY = Metrics()

FRAMES = "stadsvakt_dc09_frames_total"
REJECTED = "stadsvakt_dc09_rejected_total"
ALARMS = "stadsvakt_alarms_stored_total"
DUPLICATES = "stadsvakt_alarms_duplicates_total"
CONNECTIONS = "stadsvakt_dc09_connections"
UNREADABLE = "stadsvakt_dc09_unreadable_events_total"
STORE_REFUSED = "stadsvakt_alarms_store_refused_total"
SUPERVISED = "stadsvakt_supervision_transmitters"
PATH_FAILED = "stadsvakt_supervision_path_failed"
SUPERVISION_ALARMS = "stadsvakt_supervision_alarms_total"


def describe_receiver_metrics(metrics: Metrics) -> None:
    """Declare the DC-09 receiver's metrics."""
    metrics.describe(FRAMES, "DC-09 frames received, by transport and token")
    metrics.describe(REJECTED, "DC-09 frames or connections refused, by reason and reply")
    metrics.describe(ALARMS, "Alarms committed to the database")
    metrics.describe(DUPLICATES, "Re-sent messages recognised and acknowledged again")
    metrics.describe(CONNECTIONS, "Open DC-09 TCP connections", "gauge")
    metrics.describe(UNREADABLE, "Event data stored as unknown because it broke its grammar")
    metrics.describe(
        STORE_REFUSED,
        "Frames whose rows the database refused in a batch, by outcome (unreadable: stored"
        " as unreadable and acknowledged; refused: not stored, the sender retries)",
    )


def describe_supervision_metrics(metrics: Metrics) -> None:
    """Declare transmitter supervision's metrics."""
    metrics.describe(SUPERVISED, "Transmitters with an interval that supervision watches", "gauge")
    metrics.describe(PATH_FAILED, "Supervised transmitters in path failure now", "gauge")
    metrics.describe(SUPERVISION_ALARMS, "Path-failure and restore alarms raised, by kind")


describe_receiver_metrics(REGISTRY)
describe_supervision_metrics(REGISTRY)

SCAIP_MESSAGES = "stadsvakt_scaip_messages_total"
SCAIP_REJECTED = "stadsvakt_scaip_rejected_total"
SIP_CONNECTIONS = "stadsvakt_sip_connections"


def describe_scaip_metrics(metrics: Metrics) -> None:
    """Declare the SCAIP (SIP) receiver's metrics."""
    metrics.describe(SCAIP_MESSAGES, "SCAIP messages accepted, by transport and message type")
    metrics.describe(SCAIP_REJECTED, "SIP requests or connections refused, by reason and status")
    metrics.describe(SIP_CONNECTIONS, "Open SIP TCP connections", "gauge")


describe_scaip_metrics(REGISTRY)

router = APIRouter(include_in_schema=False)


@router.get("/metrics", response_class=PlainTextResponse)
def metrics_endpoint() -> PlainTextResponse:
    """The process's counters for Prometheus."""
    return PlainTextResponse(REGISTRY.render(), media_type="text/plain; version=0.0.4")
