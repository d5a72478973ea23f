"""A holiday calendar's recurring days in words and from the add form (pure, no I/O).

A recurring day is shown as "23 december – 6 januari (över årsskiftet)" or "Vecka 44";
the form asks for a name, the kind (a range by day and month, or an ISO week) and the
range's day and month fields or the week's number. Every broken rule is reported on its
field at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from pydantic import ValidationError

from stadsvakt.access.schemas.schedules import RecurringDay
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.forms import N_, FormErrors, from_validation

Translate = Callable[[str], str]

#: The form's fields, in order (the error summary's order).
FIELDS = ("name", "kind", "start", "end", "week")
#: Month names, January first (lower case: Swedish writes "23 december").
MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)


def month_day_words(value: str, _: Translate) -> str:
    """``12-23`` as "23 december"; a value that is no month-day is shown as it is."""
    try:
        month, day = (int(part) for part in value.split("-", 1))
        return f"{day} {_(MONTHS[month - 1])}"
    except (ValueError, IndexError):
        return value


def over_new_year(item: Mapping[str, str]) -> bool:
    """Whether a range's end comes before its start in the year (it runs over the new year)."""
    return "week" not in item and item.get("end", "") < item.get("start", "")


def describe(item: Mapping[str, str], _: Translate) -> str:
    """A stored recurring day's span in words: "Vecka 44", "23 december – 6 januari"."""
    if "week" in item:
        return _("Week %(week)s") % {"week": item["week"]}
    start, end = item.get("start", ""), item.get("end", "")
    if start == end:
        return month_day_words(start, _)
    text = f"{month_day_words(start, _)} – {month_day_words(end, _)}"
    if over_new_year(item):
        text = _("%(span)s (over the new year)") % {"span": text}
    return text


def _month_day(form: Mapping[str, str], which: str, errors: dict[str, str]) -> str | None:
    """``MM-DD`` from the form's ``<which>_day`` and ``<which>_month``; a refusal in ``errors``."""
    day_text = form.get(f"{which}_day", "").strip()
    month_text = form.get(f"{which}_month", "").strip()
    if not day_text.isdigit() or not 1 <= int(day_text) <= 31:
        errors[which] = N_("Give the day of the month as a number from 1 to 31.")
        return None
    if not month_text.isdigit() or not 1 <= int(month_text) <= 12:
        errors[which] = N_("Choose a month.")
        return None
    month, day = int(month_text), int(day_text)
    try:
        date(2024, month, day)  # a leap year: 29 February is a day of some years
    except ValueError:
        errors[which] = N_("That month has no such day.")
        return None
    return f"{month:02d}-{day:02d}"


def _values(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, object]:
    values: dict[str, object] = {"name": form.get("name", "").strip()}
    if not values["name"]:
        errors["name"] = N_("This field is required.")
    kind = form.get("kind", "")
    if kind == "week":
        week = form.get("week", "").strip()
        if week.isdigit() and 1 <= int(week) <= 53:
            values["week"] = int(week)
        else:
            errors["week"] = N_("Give a week number from 1 to 53.")
    elif kind == "range":
        values["start"] = _month_day(form, "start", errors)
        values["end"] = _month_day(form, "end", errors)
    else:
        errors["kind"] = N_("Choose a range of dates or a week.")
    return values


def read_form(form: Mapping[str, str], _: Translate) -> RecurringDay | FormErrors:
    """The recurring day the form describes, or its errors per field in the page's language."""
    found: dict[str, str] = {}
    values = _values(form, found)
    if not found:
        try:
            return RecurringDay.model_validate(values, context=FORM_TEXT)
        except ValidationError as exc:
            return from_validation(exc, FIELDS, _)
    errors = FormErrors()
    for name, msgid in found.items():
        errors.add(name, _(msgid), FIELDS)
    return errors.in_order(FIELDS)
