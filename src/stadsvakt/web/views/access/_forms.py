"""Form helpers shared by the access pages: refusals as messages on their fields, in the
page's language."""

from __future__ import annotations

from collections.abc import Collection

from pydantic import ValidationError

from stadsvakt.errors import DomainError
from stadsvakt.web.deps import Page
from stadsvakt.web.errors import RULES as ERROR_RULES
from stadsvakt.web.errors import explain
from stadsvakt.web.forms import N_, FormErrors, from_domain, from_validation

#: Messages for the rules the access services name (``InvalidInput.rule``).
RULES = {
    "overlap": N_("Two intervals overlap."),
    "zero_length": N_("An interval must have a length; write 00:00-24:00 for a whole day."),
    "format": N_("Write one interval per line, for example: mon 07:00-18:00."),
    "day": N_("Write one interval per line, for example: mon 07:00-18:00."),
    "after_valid_from": N_("The end must be after the start."),
    "required_for_scheduled_unlock": N_("Choose the schedule that unlocks the door."),
    "card_uid": N_("A card UID is 8 to 20 hexadecimal digits."),
    "pin_digits": N_("A PIN is 4 to 8 digits."),
    "state_transition": N_("The credential cannot change to that state."),
    "distinct": N_("A value is listed twice."),
    "date_range": N_("Give a date between 1900 and 2100."),
}


def _rule_text(page: Page, exc: DomainError, rule: str, *, alone: bool) -> str | None:
    """A refusal's words in the page's language: its rule's message, or (when it names one
    field) the error's own message; None leaves the service's text."""
    if rule in RULES:
        return page._(RULES[rule])
    if rule in ERROR_RULES:
        return page._(ERROR_RULES[rule])
    return explain(exc, page._) if alone and exc.msgid is not None else None


def form_errors(
    page: Page, exc: ValidationError | DomainError, known: Collection[str]
) -> FormErrors:
    """The refusal as messages per field of the form."""
    if isinstance(exc, ValidationError):
        return from_validation(exc, known, page._)
    errors = FormErrors()
    for item in exc.extra.get("errors", []):
        field, rule = str(item.get("field", "")), str(item.get("rule", ""))
        # "intervals[2].end" belongs to the form's one intervals field.
        name = field.split("[", 1)[0].split(".", 1)[0]
        text = _rule_text(page, exc, rule, alone=len(exc.extra["errors"]) == 1)
        if text is None:
            text = str(item.get("message"))
        if field.startswith("intervals["):
            line = field[len("intervals[") :].split("]", 1)[0]
            text = page._("Line %(line)s: %(message)s") % {"line": int(line) + 1, "message": text}
        errors.add(name, text, known)
    if errors:
        return errors.in_order(known)
    return from_domain(exc, known, page._)
