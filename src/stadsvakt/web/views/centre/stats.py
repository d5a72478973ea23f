"""The safety centre's statistics page (``/centre/statistics``), each statistic as a chart
and a table, its CSV exports (``/centre/statistics.csv?kind=...``), and the shift
leader's list of escalated activations (``/centre/escalations``).

Each statistic becomes one :class:`Table` (headers in the reader's language, raw values)
that the page shows under its chart and the CSV export writes, so both say the same.
The charts are drawn by ``static/charts.js`` (Chart.js from the vendor manifest) from a
``data-chart`` attribute: the CSP allows no inline script.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from stadsvakt.api.deps import ServicesDep, SessionDep
from stadsvakt.centre.escalation import OPERATOR, UNCLAIMED, Escalation, escalated
from stadsvakt.centre.service_levels import PERCENTILES, from_settings
from stadsvakt.centre.stats import (
    CategoryCounts,
    Period,
    Report,
    choose_period,
    default_period,
    municipalities,
    report,
    scope_of,
)
from stadsvakt.centre.texts import category_label
from stadsvakt.db import utcnow
from stadsvakt.errors import InvalidInput, NotFound
from stadsvakt.web.deps import HtmlRoute, Page, PageDep
from stadsvakt.web.forms import N_, FormErrors
from stadsvakt.web.localtime import local_time

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)

#: The statistics, in page order, with their headings.
KINDS: dict[str, str] = {
    "per_day": N_("Activations per category and day"),
    "per_month": N_("Activations per category and month"),
    "false_alarms": N_("False alarms per site"),
    "handling": N_("Handling times against the service levels"),
    "response_times": N_("Response times per unit type"),
    "operators": N_("Activations per operator"),
    "flood": N_("Hours in flood"),
}
UNIT_TYPES: dict[str, str] = {
    "guard": N_("Guards"),
    "security_officer": N_("Security officers"),
    "safety_host": N_("Safety hosts"),
    "home_care": N_("Home-care responders"),
}
REASONS: dict[str, str] = {
    UNCLAIMED: N_("Not claimed in time"),
    "unanswered": N_("Dispatch not accepted"),
    OPERATOR: N_("Asked for by the operator"),
}
_RULES: dict[str, str] = {
    "date": N_("Enter a date as YYYY-MM-DD."),
    "year_range": N_("Choose a date in the years 2000-2099."),
    "after_from": N_("The last day must not be before the first."),
    "max_days": N_("Choose a period of at most 366 days."),
}
#: How many sites the false-alarm chart shows (the table shows them all).
CHART_SITES = 15
FIELDS = ("from", "to", "municipality")


@dataclass(frozen=True, slots=True)
class Table:
    """One statistic as rows: headers in the reader's language, cells as raw values."""

    headers: list[str]
    rows: list[list[Any]]
    #: The columns that hold numbers (right-aligned, formatted in the reader's language).
    numeric: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Chart:
    """What charts.js draws: bars per label, one dataset per series."""

    labels: list[str]
    datasets: list[dict[str, Any]]
    value_title: str
    stacked: bool = False
    horizontal: bool = False
    #: The values are counts: the value axis has whole-number ticks.
    counts: bool = False

    def spec(self) -> dict[str, Any]:
        """The chart as the JSON its ``data-chart`` attribute carries."""
        return {
            "labels": self.labels,
            "datasets": self.datasets,
            "valueTitle": self.value_title,
            "stacked": self.stacked,
            "horizontal": self.horizontal,
            "counts": self.counts,
        }


def _number(value: Any, lang: str) -> str:
    """A cell as the reader reads it: decimal comma in Swedish, one decimal, "–" for none."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text.replace(".", ",") if lang == "sv" else text
    return str(value)


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _counts_table(counts: CategoryCounts, page: Page, first: str) -> Table:
    headers = [first, *(category_label(c, page.lang) for c in counts.categories), page._("Total")]
    rows = [
        [key, *(counts.count(key, c) for c in counts.categories), counts.total(key)]
        for key in counts.keys
    ]
    return Table(headers, rows, frozenset(range(1, len(headers))))


def _counts_chart(counts: CategoryCounts, page: Page) -> Chart:
    return Chart(
        labels=list(counts.keys),
        datasets=[
            {
                "label": category_label(category, page.lang),
                "data": [counts.count(key, category) for key in counts.keys],
            }
            for category in counts.categories
        ],
        value_title=page._("Activations"),
        stacked=True,
        counts=True,
    )


def _met(value: bool | None, page: Page) -> str:
    if value is None:
        return page._("Nothing measured")
    return page._("Met") if value else page._("Not met")


def tables(found: Report, page: Page) -> dict[str, Table]:
    """Every statistic of a report as a table, by kind."""
    _ = page._
    pct = [f"p{q}" for q in PERCENTILES]
    handling = found.handling
    ops = found.operators
    return {
        "per_day": _counts_table(found.by_day, page, _("Day")),
        "per_month": _counts_table(found.by_month, page, _("Month")),
        "false_alarms": Table(
            [_("Site"), _("Closed activations"), _("False alarms"), _("False alarm share (%)")],
            [[s.site_name, s.closed, s.false, round(100 * s.ratio, 1)] for s in found.false_alarms],
            frozenset({1, 2, 3}),
        ),
        "handling": Table(
            [_("Measure"), _("Activations"), *(f"{p} (s)" for p in pct)],
            [
                [
                    _("Time to acknowledge"),
                    handling.measured,
                    *(_seconds(handling.ack_percentiles[q]) for q in PERCENTILES),
                ],
                [
                    _("Time to close"),
                    handling.closed,
                    *(_seconds(handling.close_percentiles[q]) for q in PERCENTILES),
                ],
            ],
            frozenset(range(1, 2 + len(PERCENTILES))),
        ),
        "targets": Table(
            [
                _("Acknowledged within (s)"),
                _("Target (%)"),
                _("Achieved (%)"),
                _("Within"),
                _("Of"),
                _("Result"),
            ],
            [
                [
                    o.target.seconds,
                    o.target.share,
                    None if o.share is None else round(o.share, 1),
                    o.within,
                    o.total,
                    _met(o.met, page),
                ]
                for o in handling.outcomes
            ],
            frozenset({0, 1, 2, 3, 4}),
        ),
        "response_times": Table(
            [_("Unit type"), _("Dispatched"), _("Arrived"), *(f"{p} (min)" for p in pct)],
            [
                [
                    _(UNIT_TYPES.get(t.unit_type, t.unit_type)),
                    t.dispatched,
                    t.arrived,
                    *(
                        None if t.percentiles[q] is None else round(t.percentiles[q] / 60, 1)  # type: ignore[operator]
                        for q in PERCENTILES
                    ),
                ]
                for t in found.response.by_type
            ],
            frozenset(range(1, 3 + len(PERCENTILES))),
        ),
        "operators": Table(
            [
                _("Operator"),
                _("Claimed"),
                _("Hours with claims"),
                _("Per hour"),
                _("Busiest hour"),
            ],
            [[o.name, o.claimed, o.hours, round(o.per_hour, 1), o.peak] for o in ops.operators],
            frozenset({1, 2, 3, 4}),
        ),
        "flood": Table(
            [_("Hour"), _("Activations"), _("Operators"), _("Per operator")],
            [
                [
                    local_time(h.hour, seconds=False),
                    h.opened,
                    h.operators,
                    round(h.per_operator, 1),
                ]
                for h in ops.flood_hours
            ],
            frozenset({1, 2, 3}),
        ),
    }


def charts(found: Report, page: Page) -> dict[str, Chart]:
    """The charts of a report, by kind (the flood hours have only their table)."""
    _ = page._
    sites = found.false_alarms[:CHART_SITES]
    outcomes = found.handling.outcomes
    by_type = found.response.by_type

    def minutes(value: float | None) -> float | None:
        return None if value is None else round(value / 60, 1)

    return {
        "per_day": _counts_chart(found.by_day, page),
        "per_month": _counts_chart(found.by_month, page),
        "false_alarms": Chart(
            labels=[s.site_name for s in sites],
            datasets=[
                {
                    "label": _("False alarm share (%)"),
                    "data": [round(100 * s.ratio, 1) for s in sites],
                }
            ],
            value_title=_("False alarm share (%)"),
            horizontal=True,
        ),
        "handling": Chart(
            labels=[_("Within %(seconds)s s") % {"seconds": o.target.seconds} for o in outcomes],
            datasets=[
                {
                    "label": _("Achieved (%)"),
                    "data": [None if o.share is None else round(o.share, 1) for o in outcomes],
                },
                {"label": _("Target (%)"), "data": [o.target.share for o in outcomes]},
            ],
            value_title=_("Share of activations (%)"),
        ),
        "response_times": Chart(
            labels=[_(UNIT_TYPES.get(t.unit_type, t.unit_type)) for t in by_type],
            datasets=[
                {"label": f"p{q} (min)", "data": [minutes(t.percentiles[q]) for t in by_type]}
                for q in PERCENTILES
            ],
            value_title=_("Minutes"),
        ),
        "operators": Chart(
            labels=[o.name for o in found.operators.operators],
            datasets=[
                {
                    "label": _("Per hour"),
                    "data": [round(o.per_hour, 1) for o in found.operators.operators],
                }
            ],
            value_title=_("Activations per hour"),
        ),
    }


@dataclass(frozen=True, slots=True)
class _Chosen:
    period: Period
    municipality: uuid.UUID | None
    errors: FormErrors
    values: dict[str, str]


def _choose(page: Page, session: Session, day_from: str, day_to: str, municipality: str) -> _Chosen:
    assert page.actor is not None
    now = utcnow()
    errors = FormErrors()
    try:
        period = choose_period(day_from, day_to, now)
    except InvalidInput as exc:
        for item in exc.extra.get("errors", []):
            errors.add(str(item["field"]), page._(_RULES[str(item["rule"])]), FIELDS)
        period = default_period(now)
    chosen: uuid.UUID | None = None
    if municipality:
        try:
            chosen = uuid.UUID(municipality)
        except ValueError:
            raise NotFound("municipality not found") from None
    values = {
        "from": day_from if errors else period.first.isoformat(),
        "to": day_to if errors else period.last.isoformat(),
        "municipality": "" if chosen is None else str(chosen),
    }
    return _Chosen(period, chosen, errors.in_order(FIELDS), values)


def _report(
    page: Page, session: Session, services: ServicesDep, chosen: _Chosen
) -> tuple[Report, list[tuple[uuid.UUID, str]]]:
    assert page.actor is not None
    scope = scope_of(session, page.actor, chosen.municipality)
    levels = from_settings(services.settings.centre)
    found = report(session, scope, chosen.period, levels=levels, now=utcnow())
    return found, municipalities(session, page.actor)


Municipality = Annotated[str, Query(max_length=40)]


@router.get("/centre/statistics")
def statistics_page(
    page: PageDep,
    session: SessionDep,
    services: ServicesDep,
    day_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    day_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    municipality: Municipality = "",
) -> Response:
    """Every statistic of a period (default: the last 30 Swedish days) as charts and
    tables, with CSV links; shift leaders also see the open escalations."""
    assert page.actor is not None
    chosen = _choose(page, session, day_from, day_to, municipality)
    found, towns = _report(page, session, services, chosen)
    query = {
        "from": chosen.period.first.isoformat(),
        "to": chosen.period.last.isoformat(),
        **({"municipality": chosen.values["municipality"]} if chosen.municipality else {}),
    }
    context = {
        "nav": "centre",
        "centre_nav": "statistics",
        "report": found,
        "tables": tables(found, page),
        "charts": {kind: chart.spec() for kind, chart in charts(found, page).items()},
        "kinds": KINDS,
        "values": chosen.values,
        "errors": chosen.errors,
        "municipalities": [(str(town), name) for town, name in towns],
        "csv_url": lambda kind: "/centre/statistics.csv?" + urlencode({"kind": kind, **query}),
        "number": lambda value: _number(value, page.lang),
        "escalations": escalated(session, page.actor) if page.can("centre.lead") else None,
        "reasons": REASONS,
        "levels": from_settings(services.settings.centre),
    }
    return page.render("centre/stats.html", context)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    # A cell starting like a formula is quoted so a spreadsheet shows it as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_csv(table: Table) -> str:
    """A table as CSV (UTF-8, comma-separated, RFC 4180 quoting, numbers with a point)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


@router.get("/centre/statistics.csv")
def statistics_csv(
    page: PageDep,
    session: SessionDep,
    services: ServicesDep,
    kind: Annotated[str, Query(max_length=20)] = "per_day",
    day_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    day_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    municipality: Municipality = "",
) -> Response:
    """One statistic as CSV, headers in the reader's language (``kind``: a statistic's
    key, or ``targets`` for the service-level outcomes)."""
    assert page.actor is not None
    every = tables_kinds()
    if kind not in every:
        raise NotFound("no such statistic")
    chosen = _choose(page, session, day_from, day_to, municipality)
    if chosen.errors:
        raise InvalidInput("the period is not valid", field="from", rule="period")
    found, _towns = _report(page, session, services, chosen)
    table = tables(found, page)[kind]
    name = f"statistik-{kind}-{chosen.period.first}-{chosen.period.last}.csv"
    return Response(
        to_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def tables_kinds() -> Sequence[str]:
    """The statistics a CSV export may name."""
    return [*KINDS, "targets"]


@router.get("/centre/escalations")
def escalations_page(page: PageDep, session: SessionDep, services: ServicesDep) -> Response:
    """The shift leader's list: escalated activations not yet closed."""
    assert page.actor is not None
    found: list[Escalation] = escalated(session, page.actor)
    context = {
        "nav": "centre",
        "centre_nav": "escalations",
        "escalations": found,
        "reasons": REASONS,
        "now": utcnow(),
        "waited": _waited,
        "levels": from_settings(services.settings.centre),
    }
    return page.render("centre/stats_escalations.html", context)


def _waited(opened: datetime, now: datetime) -> str:
    seconds = max(0, int((now - opened).total_seconds()))
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute}:{second:02d}"
