"""Operator language: every event text and label in Swedish and English, from code tables.

The tables are data (``centre/texts/*.json``, one row per code with ``sv`` and ``en``),
so a better Swedish word is an edit to a file, not to code:

* ``sia.json`` – SIA DC-03 event codes (``BA`` Inbrottslarm, ``AT`` Strömavbrott (nätfel));
* ``contact_id.json`` – Contact ID event codes (``130`` Inbrottslarm, ``301`` Strömavbrott);
* ``scaip.json`` – SCAIP device types, status codes and locations (trygghetslarm);
* ``labels.json`` – categories, qualifiers, closing causes, activation states and kinds,
  timeline entry kinds, access decision reasons and the supervision codes.

Swedish is the main language; English is the fallback for any language the tables do
not speak. A code missing from its table falls back to the text stored with the alarm
(English) or, in Swedish, to "Okänd kod …", so nothing is ever blank. JSON alarm codes
come from :mod:`stadsvakt.alarms.inputs.codes`, which already keeps both languages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib.resources import files
from typing import Any, Protocol

from stadsvakt.alarms.inputs.codes import lookup as json_code
from stadsvakt.alarms.protocols.contact_id_table import OPEN_CLOSE_CODES

#: The languages the tables hold; the first is the main one.
LANGUAGES = ("sv", "en")
#: Alarm ``protocol`` values (and short names) → the table their codes are in.
_PROTOCOL_TABLES: Mapping[str, str] = {
    "dc09-sia": "sia",
    "sia": "sia",
    "sia-dcs": "sia",
    "dc09-cid": "contact_id",
    "contact_id": "contact_id",
    "cid": "contact_id",
    "adm-cid": "contact_id",
    "scaip": "scaip",
    "json": "json",
    "supervision": "supervision",
}
#: Label groups of ``labels.json``.
GROUPS = ("categories", "qualifiers", "causes", "states", "kinds", "entries", "reasons")

Row = Mapping[str, str]
Table = Mapping[str, Row]


@cache
def table(name: str) -> dict[str, Any]:
    """One code-table file, parsed (``sia``, ``contact_id``, ``scaip`` or ``labels``)."""
    text = (files("stadsvakt") / "centre" / "texts" / f"{name}.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _lang(lang: str) -> str:
    return lang if lang in LANGUAGES else "en"


def _pick(row: Row | None, lang: str) -> str | None:
    if row is None:
        return None
    return row.get(_lang(lang)) or row.get("en")


def _unknown(code: str, fallback: str, lang: str) -> str:
    if _lang(lang) == "sv":
        return f"Okänd kod {code}" if code else "Okänd händelse"
    return fallback or (f"Unknown code {code}" if code else "Unknown event")


def event_text(
    protocol: str, code: str, fallback: str, lang: str, *, qualifier: str | None = None
) -> str:
    """What an event means, in ``lang``: ``event_text("dc09-sia", "BA", …, "sv")`` is
    "Inbrottslarm". ``fallback`` (the stored description) is used for codes no table
    knows; ``qualifier`` adds "frånkoppling"/"tillkoppling" to Contact ID openings and
    closings and "återställt" to a JSON alarm's restore, as the stored texts do."""
    kind = _PROTOCOL_TABLES.get(protocol.lower())
    found: str | None = None
    if kind in ("sia", "contact_id"):
        found = _pick(table(kind)["codes"].get(code.upper()), lang)
        if found is not None and kind == "contact_id":
            found = _contact_id_open_close(found, code, qualifier, lang)
    elif kind == "scaip":
        found = _scaip(code, lang)
    elif kind == "json":
        known = json_code(code)
        if known is not None:
            found = known.sv if _lang(lang) == "sv" else known.en
            if qualifier == "restore":
                found += " – återställt" if _lang(lang) == "sv" else " - restored"
    elif kind == "supervision":
        found = _pick(table("labels")["supervision"].get(code), lang)
    return found if found is not None else _unknown(code, fallback, lang)


def _contact_id_open_close(text: str, code: str, qualifier: str | None, lang: str) -> str:
    from_table: Table = table("contact_id")["open_close"]
    if qualifier not in ("new", "restore") or code not in OPEN_CLOSE_CODES:
        return text
    word = _pick(from_table["1" if qualifier == "new" else "3"], lang)
    return f"{text} ({word})"


def _scaip(code: str, lang: str) -> str | None:
    """``dddd/ssss`` (device type and status, status empty for the device's own alarm)."""
    device_part, _, status_part = code.partition("/")
    if not device_part.isdigit():
        return None
    data = table("scaip")
    device = _pick(data["devices"].get(str(int(device_part))), lang)
    if device is None:
        device = f"{'Enhetstyp' if _lang(lang) == 'sv' else 'Device type'} {device_part}"
    if not status_part:
        status = _pick(data["alarm"], lang)
    elif status_part.isdigit():
        status = _pick(data["statuses"].get(str(int(status_part))), lang)
        if status is None:
            return None
    else:
        return None
    return f"{device}: {status}"


def scaip_location(code: int, lang: str) -> str:
    """Where a SCAIP device is (``<lco>``), e.g. 11 → "badrum"."""
    found = _pick(table("scaip")["locations"].get(str(code)), lang)
    if found is not None:
        return found
    return f"{'plats' if _lang(lang) == 'sv' else 'location'} {code:03d}"


def label(group: str, key: str | None, lang: str) -> str:
    """A label of ``labels.json``: ``label("causes", "false", "sv")`` is "Falsklarm".
    An unknown key is shown as it is (never blank, never an error)."""
    if key is None:
        return ""
    value = str(getattr(key, "value", key))
    found = _pick(table("labels")[group].get(value), lang)
    return found if found is not None else value.replace("_", " ")


def category_label(category: str | None, lang: str) -> str:
    """An alarm category: ``fire`` → "Brandlarm", ``fault`` → "Fel"."""
    return label("categories", category, lang)


def qualifier_label(qualifier: str | None, lang: str) -> str:
    """Whether an event began, ended or still holds: ``restore`` → "Återställd"."""
    return label("qualifiers", qualifier, lang)


def cause_label(cause: str | None, lang: str) -> str:
    """Why an activation was closed: ``false`` → "Falsklarm"."""
    return label("causes", cause, lang)


def state_label(state: str | None, lang: str) -> str:
    """Where an activation is: ``on_hold`` → "Parkerat"."""
    return label("states", state, lang)


def kind_label(kind: str | None, lang: str) -> str:
    """Where an activation came from: ``storm`` → "Larmstorm"."""
    return label("kinds", kind, lang)


def entry_label(kind: str | None, lang: str) -> str:
    """A timeline entry's kind: ``claimed`` → "Taget", ``step_done`` → "Åtgärd utförd"."""
    return label("entries", kind, lang)


def reason_label(reason: str | None, lang: str) -> str:
    """An access decision's reason: ``no_right`` → "Behörighet saknas"."""
    return label("reasons", reason, lang)


def labels(group: str, lang: str) -> dict[str, str]:
    """Every key of a label group with its text, in table order (for select lists)."""
    return {key: label(group, key, lang) for key in table("labels")[group]}


class AlarmLike(Protocol):
    """What :func:`alarm_text` reads of an alarm (an ``Alarm`` row fits)."""

    @property
    def protocol(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def qualifier(self) -> str: ...


def alarm_text(alarm: AlarmLike, lang: str) -> str:
    """A stored alarm's event text in ``lang``."""
    return event_text(
        alarm.protocol, alarm.code, alarm.description, lang, qualifier=alarm.qualifier
    )


#: Template filters (the web UI passes the page's language): ``{{ alarm|alarm_text }}``,
#: ``{{ activation.category|category_label }}``, ``{{ entry.kind|entry_label }}``.
FILTERS: Mapping[str, Callable[[Any, str], str]] = {
    "alarm_text": alarm_text,
    "category_label": category_label,
    "qualifier_label": qualifier_label,
    "cause_label": cause_label,
    "state_label": state_label,
    "kind_label": kind_label,
    "entry_label": entry_label,
    "reason_label": reason_label,
}
