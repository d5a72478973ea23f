"""Service levels (servicenivåer) of the safety centre, as pure code: the targets the
statistics report against and the limits after which an unclaimed activation is
escalated to the shift leader (jourledare).

The targets follow EN 50518's style: a share of activations *acknowledged* (claimed by
an operator: ``Activation.acknowledged_at - opened_at``) within a number of seconds,
e.g. 80 % within 30 s and 98.5 % within 60 s. Percentiles are computed here, in Python,
over durations the statistics read from the database, so SQLite and PostgreSQL give
the very same figures (linear interpolation between the closest ranks, as
PostgreSQL's ``percentile_cont`` and NumPy's default do).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from stadsvakt.settings import DEFAULT_UNCLAIMED_LIMITS, CentreSettings

#: The percentiles the statistics show.
PERCENTILES = (50, 90, 99)


@dataclass(frozen=True, slots=True)
class Target:
    """``share`` percent of activations acknowledged within ``within``."""

    within: timedelta
    share: float

    @property
    def seconds(self) -> int:
        """The time limit in whole seconds (for labels and CSV)."""
        return int(self.within.total_seconds())


@dataclass(frozen=True, slots=True)
class ServiceLevels:
    """The centre's targets, unclaimed limits per priority and flood rate."""

    targets: tuple[Target, ...] = (
        Target(timedelta(seconds=30), 80.0),
        Target(timedelta(seconds=60), 98.5),
    )
    unclaimed: Mapping[int, timedelta] = field(
        default_factory=lambda: {
            priority: timedelta(seconds=seconds)
            for priority, seconds in DEFAULT_UNCLAIMED_LIMITS.items()
        }
    )
    unclaimed_default: timedelta = timedelta(seconds=300)
    flood_rate_per_hour: int = 20

    def limit_for(self, priority: int) -> timedelta:
        """How long an activation of this priority may wait unclaimed."""
        return self.unclaimed.get(priority, self.unclaimed_default)


def from_settings(settings: CentreSettings) -> ServiceLevels:
    """The service levels the centre's settings name."""
    return ServiceLevels(
        targets=tuple(
            Target(timedelta(seconds=target.within_s), target.share_percent)
            for target in sorted(settings.ack_targets, key=lambda target: target.within_s)
        ),
        unclaimed={
            priority: timedelta(seconds=seconds)
            for priority, seconds in settings.unclaimed_limit_s.items()
        },
        unclaimed_default=timedelta(seconds=settings.unclaimed_limit_default_s),
        flood_rate_per_hour=settings.flood_rate_per_hour,
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of ``values`` by linear interpolation between the
    closest ranks (PostgreSQL's ``percentile_cont``); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one target fared: ``within`` of ``total`` activations inside its limit."""

    target: Target
    within: int
    total: int

    @property
    def share(self) -> float | None:
        """The share within the limit in percent (``None`` when nothing was measured)."""
        return None if self.total == 0 else 100 * self.within / self.total

    @property
    def met(self) -> bool | None:
        """Whether the target is met (``None`` when nothing was measured)."""
        if self.total == 0:
            return None
        # Compared as counts, so 197 of 200 meets 98.5 % without a rounding doubt.
        return self.within * 100 >= self.target.share * self.total - 1e-9


def assess(seconds: Sequence[float], targets: Sequence[Target]) -> list[Outcome]:
    """Each target's outcome over acknowledgement times in seconds."""
    return [
        Outcome(
            target=target,
            within=sum(1 for value in seconds if value <= target.within.total_seconds()),
            total=len(seconds),
        )
        for target in targets
    ]


def percentiles(seconds: Sequence[float]) -> dict[int, float | None]:
    """The :data:`PERCENTILES` of durations in seconds."""
    return {q: percentile(seconds, q) for q in PERCENTILES}
