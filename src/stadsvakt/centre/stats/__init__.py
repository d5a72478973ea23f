"""The safety centre's statistics: activations per category, false alarms per site,
handling times against the service levels, response times per unit type, operators'
load and the share of time in flood. :mod:`.period` chooses the Swedish days covered;
:mod:`.figures` counts them."""

from stadsvakt.centre.stats.figures import (
    CategoryCounts,
    FloodHour,
    HandlingTimes,
    OperatorLoad,
    Operators,
    Report,
    ResponseTimes,
    Scope,
    SiteFalseAlarms,
    UnitTypeTimes,
    false_alarms,
    handling_times,
    municipalities,
    operators,
    per_category,
    report,
    response_times,
    scope_of,
)
from stadsvakt.centre.stats.period import Period, choose_period, default_period

__all__ = [
    "CategoryCounts",
    "FloodHour",
    "HandlingTimes",
    "OperatorLoad",
    "Operators",
    "Period",
    "Report",
    "ResponseTimes",
    "Scope",
    "SiteFalseAlarms",
    "UnitTypeTimes",
    "choose_period",
    "default_period",
    "false_alarms",
    "handling_times",
    "municipalities",
    "operators",
    "per_category",
    "report",
    "response_times",
    "scope_of",
]
