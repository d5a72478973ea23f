"""The known codes of JSON alarm messages, as data: code → category and description.

Codes are short snake_case words (at most 16 characters, the width of the alarm's
``code`` column). A code missing here is still stored, as category ``unknown`` (or
the category the sender gave), so an operator sees it: an alarm is never dropped for
its code. Door codes follow the SIA DC-03 table: a forced door and a door held open
are intrusion alarms (as ``DF`` and ``DL``), a reader's tamper switch is tamper.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from stadsvakt.alarms.protocols.events import Category


@dataclass(frozen=True, slots=True)
class JsonCode:
    """One known code: its category and what it means, in Swedish and English."""

    category: Category
    sv: str
    en: str


_TEC = Category.TECHNICAL
_FLT = Category.FAULT
_INT = Category.INTRUSION
_TMP = Category.TAMPER
_HLD = Category.HOLD_UP
_TST = Category.TEST
_OTH = Category.OTHER

# fmt: off
_ROWS: dict[str, tuple[Category, str, str]] = {
    # Driftlarm from building systems.
    "water_leak":     (_TEC, "Vattenläckage", "Water leak"),
    "high_temp":      (_TEC, "Hög temperatur", "High temperature"),
    "low_temp":       (_TEC, "Låg temperatur (frysrisk)", "Low temperature (freeze risk)"),
    "high_humidity":  (_TEC, "Hög luftfuktighet", "High humidity"),
    "ventilation":    (_TEC, "Ventilationsfel", "Ventilation failure"),
    "heating":        (_TEC, "Värmefel", "Heating failure"),
    "cooling":        (_TEC, "Kylfel", "Cooling failure"),
    "gas":            (_TEC, "Gaslarm", "Gas detected"),
    "high_co2":       (_TEC, "Hög koldioxidhalt", "High CO2 level"),
    "pump":           (_TEC, "Pumpfel", "Pump failure"),
    "elevator":       (_TEC, "Hissfel", "Elevator failure"),
    "freezer":        (_TEC, "Frys- eller kylrumslarm", "Freezer or cold room alarm"),
    # Power and equipment (fel).
    "power_fail":     (_FLT, "Strömavbrott", "Mains power failure"),
    "battery_low":    (_FLT, "Lågt batteri", "Low battery"),
    "comm_fail":      (_FLT, "Kommunikationsfel", "Communication failure"),
    "device_fault":   (_FLT, "Utrustningsfel", "Device fault"),
    "sensor_fault":   (_FLT, "Givarfel", "Sensor fault"),
    "lock_fault":     (_FLT, "Låsfel", "Lock fault"),
    # Door alarms from access controllers.
    "door_forced":    (_INT, "Dörr uppbruten", "Door forced open"),
    "door_held_open": (_INT, "Dörr uppställd för länge", "Door held open"),
    "door_tamper":    (_TMP, "Sabotage på dörrmiljö eller läsare", "Door or reader tamper"),
    "duress":         (_HLD, "Hotkod inslagen", "Duress code entered"),
    # Tests and logs.
    "test":           (_TST, "Provlarm", "Test alarm"),
    "info":           (_OTH, "Information", "Information"),
}
# fmt: on

#: Every known code (lower case).
CODES: Mapping[str, JsonCode] = MappingProxyType(
    {code: JsonCode(category, sv, en) for code, (category, sv, en) in _ROWS.items()}
)


def lookup(code: str) -> JsonCode | None:
    """The known code, matched without regard to case, or ``None``."""
    return CODES.get(code.lower())
