"""A refusal in the page's language: :func:`explain` turns any ``DomainError`` into words.

One function for every place the UI shows an error (a form's field, the message above
a form, the error page), so a Swedish page never shows a service's English ``detail``:

1. the error's own message (``DomainError.said(msgid, **params)``), translated, with
   :class:`~stadsvakt.errors.Term` parameters translated too;
2. else a message for the rule it broke (``InvalidInput(..., rule="after_valid_from")``);
3. else a message for its kind (``not_found``, ``conflict``, ``forbidden``...).

A web route's request validation (a bad query parameter) is worded per parameter by
``stadsvakt.web.forms.parameter_errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from stadsvakt.errors import N_, DomainError, Term

Translate = Callable[[str], str]

#: Messages for the rules services name (``InvalidInput.rule``), when the error says
#: nothing of its own.
RULES: Mapping[str, str] = {
    "required": N_("This field is required."),
    "required_for_external_owner": N_("Required when the owner is external."),
    "no_cycle": N_("A unit cannot be moved below itself."),
    "after_valid_from": N_("The end must be after the start."),
    "date_range": N_("Give a date between 1900 and 2100."),
    "datetime": N_("Give a date and time as YYYY-MM-DD HH:MM (Swedish time)."),
    "date": N_("Give a date as YYYY-MM-DD."),
    "distinct": N_("A value is listed twice."),
    "one_holder": N_("Choose either a person or a group."),
    "same_site": N_("The zone must be in the door's site."),
    "required_for_scheduled_unlock": N_("Choose the schedule that unlocks the door."),
    "card_uid": N_("A card UID is 8 to 20 hexadecimal digits."),
    "pin_digits": N_("A PIN is 4 to 8 digits."),
    "required_for_pin": N_("Give the PIN code."),
    "only_for_pin": N_("Only a PIN credential has a PIN code."),
    "state_transition": N_("The credential cannot change to that state."),
    "overlap": N_("Two intervals overlap."),
    "zero_length": N_("An interval must have a length; write 00:00-24:00 for a whole day."),
    "format": N_("The value has the wrong format."),
    "day": N_("Write one interval per line, for example: mon 07:00-18:00."),
    "unknown_key": N_("The value has the wrong format."),
    "integer": N_("Give a whole number."),
    "choice": N_("Choose one of the options."),
    "stale": N_("Someone else changed this meanwhile. Reload the page to see the change."),
    "fixed": N_("This cannot be changed."),
    "not_started": N_("It has not started yet; change its dates or withdraw it."),
    "already_ended": N_("It has already ended."),
    "not_ended_early": N_("It was not ended early, so there is nothing to undo."),
    "person_kind": N_("Employees come from the personnel directory."),
}

#: Messages for an error's kind (``DomainError.code``), the last resort.
CODES: Mapping[str, str] = {
    "not_found": N_("The page or item does not exist, or you do not have access to it."),
    "forbidden": N_("You do not have permission to do this."),
    "conflict": N_("The change clashes with the current state."),
    "invalid_input": N_("The value is not valid."),
    "unauthenticated": N_("Log in to continue."),
    "too_many_attempts": N_("Too many attempts. Wait a moment and try again."),
}
_OTHERWISE = N_("The request could not be handled.")


def say(msgid: str, params: Mapping[str, object], _: Translate) -> str:
    """A message id with its parameters in the page's language (terms translated too)."""
    values = {key: _(value) if isinstance(value, Term) else value for key, value in params.items()}
    try:
        return _(msgid) % values if values else _(msgid)
    except (KeyError, ValueError, TypeError):
        # A translation that lost a placeholder must not turn a refusal into a 500.
        return msgid % values if values else msgid


def rule_of(exc: DomainError) -> str:
    """The rule an error names (its first field error's), or ``""``."""
    items: Sequence[Mapping[str, Any]] = exc.extra.get("errors", [])
    if items:
        return str(items[0].get("rule", ""))
    return str(exc.extra.get("rule", ""))


def specific(exc: DomainError, _: Translate) -> str | None:
    """The error's own message or its rule's, in the page's language; None when only its
    kind is known (an error page then says no more than its heading)."""
    if exc.msgid is not None:
        return say(exc.msgid, exc.params, _)
    rule = rule_of(exc)
    if rule in RULES:
        return _(RULES[rule])
    if exc.code == "not_found" and "field" in exc.extra:
        # A choice on a form that names nothing the person may use.
        return _("Choose one of the options within your scope.")
    return None


def explain(exc: DomainError, _: Translate) -> str:
    """What a person reads for a refusal, in the page's language (never the English detail)."""
    return specific(exc, _) or _(CODES.get(exc.code, _OTHERWISE))
