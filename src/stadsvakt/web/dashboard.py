"""The dashboard (översikt): what needs the signed-in user's attention, per role.

Each panel is shown only to a user holding the permissions of the list it links to, and
counts exactly the rows that list shows behind its filter URL: an operator sees open
activations, silent transmitters and today's alarms; an access administrator sees orphan
credentials, grants ending within a week, people lacking required training and sites
short of their service level. Two charts (alarms and access denials per day over two
weeks) come with the same figures as a table. Every figure is one aggregate query in
the feature that owns the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from stadsvakt.access.reports import attention as access_attention
from stadsvakt.access.services import catalogue
from stadsvakt.alarms import attention as alarm_attention
from stadsvakt.centre import attention as centre_attention
from stadsvakt.context import Actor
from stadsvakt.errors import N_
from stadsvakt.org import service as org
from stadsvakt.org.models import OwnerKind
from stadsvakt.perday import DayCount, day_bounds
from stadsvakt.web.localtime import STOCKHOLM

#: Days the charts cover, today included.
CHART_DAYS = 14
#: "Ending this week": the grants list's ``ending`` filter value and its days.
ENDING_FILTER, ENDING_DAYS = "7d", 7


@dataclass(frozen=True, slots=True)
class Tile:
    """One figure with what it counts (a message id) and the list showing those rows."""

    key: str
    count: int
    label: str
    href: str
    #: Whether a non-zero count asks for action (drawn as a warning).
    alarming: bool = True
    #: Smaller figures under the count: (message id, count).
    parts: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class DayChart:
    """Counts per day and key over the chart's days, for a chart and its table."""

    key: str
    title: str
    #: The ``web.labels`` group naming the keys (``alarm_category``, ``decision_reason``).
    group: str
    days: tuple[date, ...]
    #: key → count per day (in the order of ``days``).
    series: dict[str, list[int]]
    #: A day's list, or None when no list shows those rows.
    day_href: Callable[[date], str] | None = None

    @property
    def totals(self) -> list[int]:
        """Each day's sum over the keys."""
        return [sum(values[i] for values in self.series.values()) for i in range(len(self.days))]

    def spec(self, label: Callable[[str], str], day_label: Callable[[date], str]) -> dict[str, Any]:
        """The figures as ``charts.js`` reads them (stacked bars, one set per key)."""
        return {
            "labels": [day_label(day) for day in self.days],
            "datasets": [{"label": label(k), "data": v} for k, v in self.series.items()],
            "stacked": True,
            "counts": True,
        }


@dataclass(slots=True)
class Dashboard:
    """The panels one user sees; an empty list is a panel the role does not get."""

    centre: list[Tile] = field(default_factory=list)
    access: list[Tile] = field(default_factory=list)
    organisation: list[Tile] = field(default_factory=list)
    charts: list[DayChart] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether the user's roles show nothing at all."""
        return not (self.centre or self.access or self.organisation or self.charts)


def alarms_url(day: date, category: str | None = None) -> str:
    """The alarm list on one day (Swedish time), optionally one category."""
    params = {"from": day.isoformat(), "to": day.isoformat()}
    if category:
        params["category"] = category
    return "/alarms?" + urlencode(params)


def _can_all(actor: Actor, *permissions: str) -> bool:
    return all(actor.can(permission) for permission in permissions)


def _centre_tiles(session: Session, actor: Actor, now: datetime) -> list[Tile]:
    tiles: list[Tile] = []
    if actor.can("centre.read"):
        found = centre_attention.open_activations(session, actor)
        parts = (
            (N_("waiting"), found.by_state["open"]),
            (N_("being handled"), found.by_state["claimed"]),
            (N_("on hold"), found.by_state["on_hold"]),
            (N_("urgent"), found.urgent),
            (N_("escalated"), found.escalated),
        )
        tiles.append(
            Tile("open_activations", found.total, N_("Open activations"), "/centre", parts=parts)
        )
    if actor.can("transmitter.read"):
        silent = alarm_attention.silent_transmitters(session, actor)
        tiles.append(Tile("silent", silent, N_("Silent transmitters"), "/transmitters?silent=1"))
    if actor.can("alarm.read"):
        today = now.astimezone(STOCKHOLM).date()
        bounds = day_bounds(today, 1, STOCKHOLM)
        count = sum(c.count for c in alarm_attention.alarms_per_day(session, actor, bounds=bounds))
        tiles.append(
            Tile("alarms_today", count, N_("Alarms today"), alarms_url(today), alarming=False)
        )
    return tiles


def _access_tiles(session: Session, actor: Actor, now: datetime) -> list[Tile]:
    tiles: list[Tile] = []
    if actor.can("credential.read"):
        orphans = access_attention.orphan_count(session, actor, at=now)
        tiles.append(
            Tile("orphans", orphans, N_("Orphan credentials"), "/access/credentials?orphan=1")
        )
    if actor.can("grant.read"):
        ending = access_attention.grants_ending(session, actor, now=now, days=ENDING_DAYS)
        href = f"/access/grants?ending={ENDING_FILTER}"
        tiles.append(Tile("ending", ending, N_("Grants ending within a week"), href))
    if _can_all(actor, "training.read", "person.read"):
        lacking = access_attention.lacking_training_count(session, actor, at=now)
        label = N_("People lacking required training")
        tiles.append(Tile("training", lacking, label, "/people?training=missing"))
    if actor.can("access.read"):
        short = catalogue.shortfall(session, actor, limit=0, offset=0)[1]
        label = N_("Sites short of their service level")
        tiles.append(Tile("shortfall", short, label, "/access/shortfall"))
    return tiles


def _organisation_tiles(session: Session, actor: Actor) -> list[Tile]:
    tiles: list[Tile] = []
    if actor.can("org.read"):
        units = org.list_units(session, actor, limit=1, offset=0)[1]
        tiles.append(Tile("units", units, N_("Organisation units"), "/org-units", alarming=False))
    if actor.can("site.read"):
        sites = org.list_sites(session, actor, limit=1, offset=0)[1]
        external = org.list_sites(session, actor, limit=1, offset=0, owner_kind=OwnerKind.EXTERNAL)[
            1
        ]
        tiles.append(Tile("sites", sites, N_("Sites"), "/sites", alarming=False))
        label = N_("Sites with an external owner")
        tiles.append(Tile("external", external, label, "/sites?owner=external", alarming=False))
    return tiles


def _series(counts: Sequence[DayCount], days: int) -> dict[str, list[int]]:
    series: dict[str, list[int]] = {}
    for item in counts:
        if 0 <= item.day < days:
            series.setdefault(item.key, [0] * days)[item.day] += item.count
    return dict(sorted(series.items()))


def _charts(session: Session, actor: Actor, now: datetime) -> list[DayChart]:
    today = now.astimezone(STOCKHOLM).date()
    bounds = day_bounds(today, CHART_DAYS, STOCKHOLM)
    days = tuple(bound.date() for bound in bounds[:-1])
    charts: list[DayChart] = []
    if actor.can("alarm.read"):
        counts = alarm_attention.alarms_per_day(session, actor, bounds=bounds)
        title = N_("Alarms per day")
        series = _series(counts, CHART_DAYS)
        charts.append(DayChart("alarms", title, "alarm_category", days, series, alarms_url))
    if actor.can("access.read"):
        counts = access_attention.denials_per_day(session, actor, bounds=bounds)
        title = N_("Access denials per day")
        series = _series(counts, CHART_DAYS)
        charts.append(DayChart("denials", title, "decision_reason", days, series))
    return charts


def build(session: Session, actor: Actor, *, now: datetime) -> Dashboard:
    """The dashboard for ``actor`` at ``now``: only the panels its permissions allow."""
    return Dashboard(
        centre=_centre_tiles(session, actor, now),
        access=_access_tiles(session, actor, now),
        organisation=_organisation_tiles(session, actor),
        charts=_charts(session, actor, now),
    )
