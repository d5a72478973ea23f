"""What the grant pages share: refusals as messages on their fields, in the page's language,
and reading Swedish-format times from a form."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from pydantic import ValidationError

from stadsvakt.errors import DomainError, InvalidInput
from stadsvakt.web.deps import Page
from stadsvakt.web.forms import N_, FormErrors
from stadsvakt.web.localtime import parse_local_datetime
from stadsvakt.web.views.access._forms import form_errors

#: Messages for the rules the grants service names (``InvalidInput.rule``).
RULES: Mapping[str, str] = {
    "required": N_("This field is required."),
    "max_window": N_("The grant is longer than this kind of grant may last."),
    "not_for_kind": N_("This field is not used for this kind of grant."),
    "person_kind": N_("Choose a person of the kind this grant is for."),
    "person_only": N_("This kind of grant is for one person."),
    "inactive": N_("The person is no longer active."),
    "host_employee": N_("The host must be an active employee."),
    "legacy_kind": N_("New grants are given as guest, contractor, booking or extra right."),
    "fixed": N_("A grant's kind cannot change."),
    "stale": N_(
        "Someone else changed this grant while you had the form open. The page now shows "
        "the grant as it is; make your change again."
    ),
    "not_started": N_("The grant has not started yet: change its window or withdraw it."),
    "already_ended": N_("The grant has already ended."),
    "not_ended_early": N_("The grant was not ended early, so there is nothing to undo."),
    "datetime": N_("Give a date and time as YYYY-MM-DD HH:MM, for example 2026-12-06 14:30."),
    "after_valid_from": N_("The end must be after the start."),
    "date_range": N_("Give a date between 1900 and 2100."),
}
#: Fields whose "not found" means a forged or out-of-scope choice.
_CHOSEN = ("person_id", "host_person_id", "profile_id", "group_id")


def errors_of(page: Page, exc: ValidationError | DomainError, known: Collection[str]) -> FormErrors:
    """A refusal as messages on the form's fields (several at once when several broke)."""
    if isinstance(exc, ValidationError):
        return form_errors(page, exc, known)
    errors = FormErrors()
    for item in exc.extra.get("errors", []):
        rule = str(item.get("rule", ""))
        if rule in RULES:
            errors.add(str(item.get("field", "")), page._(RULES[rule]), known)
    field = str(exc.extra.get("field", ""))
    if exc.extra.get("rule") == "stale":
        errors.add(None, page._(RULES["stale"]), ())
    elif exc.code in {"not_found", "forbidden"} and field in _CHOSEN:
        text = page._("Choose from the list: only people and profiles within your units.")
        errors.add(field, text, known)
    if errors:
        return errors.in_order(known)
    return form_errors(page, exc, known)


def when(page: Page, form: Mapping[str, str], name: str, errors: FormErrors) -> datetime | None:
    """A Swedish-format time from the form (``2026-12-06 14:30``, Stockholm time); an empty
    field is None, a malformed one is noted on its field."""
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_local_datetime(text, name)
    except InvalidInput:
        errors.fields.setdefault(name, page._(RULES["datetime"]))
        return None
