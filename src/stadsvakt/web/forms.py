"""Form handling for the web UI: posted text to schema input, errors to messages per field.

Errors from pydantic (``ValidationError``) and from services (``DomainError``)
become one message per field in the page's language, shown next to the field;
an error that names no field of the form is shown above it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from stadsvakt.errors import N_, DomainError
from stadsvakt.web.errors import RULES, explain

__all__ = [
    "N_",
    "FormErrors",
    "clean",
    "field_of",
    "from_domain",
    "from_validation",
    "is_form_error",
    "parameter_errors",
]

Translate = Callable[[str], str]
_FIELD_PREFIX = re.compile(r"^([a-z_]+): ")


@dataclass(slots=True)
class FormErrors:
    """Messages per field, plus messages for the form as a whole."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def in_order(self, names: Collection[str]) -> FormErrors:
        """The same errors with fields in the form's order (for the summary above it)."""
        order = {name: i for i, name in enumerate(names)}
        self.fields = dict(sorted(self.fields.items(), key=lambda item: order.get(item[0], 99)))
        return self

    def add(self, name: str | None, message: str, known: Collection[str]) -> None:
        """Attach a message to its field, or to the form if the field is not on it."""
        if name in known and name is not None:
            self.fields.setdefault(name, message)
        else:
            self.general.append(message)


def clean(
    data: Mapping[str, str],
    names: Collection[str],
    *,
    optional: Collection[str] = (),
    decimal: Collection[str] = (),
) -> dict[str, Any]:
    """Schema input from posted text: trimmed, empty optional fields None, empty required left out.

    A left-out required field gives pydantic's ``missing`` error; decimal commas
    (``55,6``, as Swedes write them) are read as points.
    """
    out: dict[str, Any] = {}
    for name in names:
        value = data.get(name, "").strip()
        if name in decimal:
            value = value.replace(",", ".").replace(" ", "")
        if value:
            out[name] = value
        elif name in optional:
            out[name] = None
    return out


def _pattern_hint(name: str, _: Translate) -> str:
    hints = {
        "code": _("Use letters, digits, dot, dash or underscore, without spaces."),
        "postal_code": _("Enter a Swedish postal code, for example 211 34."),
        "owner_phone": _("Enter a phone number, for example +46 40 34 10 00."),
    }
    return hints.get(name, _("The value has the wrong format."))


def _message(name: str, kind: str, ctx: Mapping[str, Any], text: str, _: Translate) -> str:
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return _("This field is required.")
    if kind == "string_too_short":
        return _("Use at least %(min)s characters.") % {"min": ctx.get("min_length")}
    if kind == "string_too_long":
        return _("Use at most %(max)s characters.") % {"max": ctx.get("max_length")}
    if kind == "string_pattern_mismatch":
        return _pattern_hint(name, _)
    if kind in {"float_parsing", "float_type", "finite_number"}:
        return _("Enter a number, for example 55.605.")
    if kind == "greater_than_equal":
        return _("Enter a number of at least %(limit)s.") % {"limit": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("Enter a number of at most %(limit)s.") % {"limit": ctx.get("le")}
    if kind in {"enum", "uuid_parsing", "uuid_type", "literal_error"}:
        return _("Choose one of the options.")
    if kind == "date_range":  # stadsvakt.bounds
        return _("Give a date between 1900 and 2100.")
    if name == "owner_email":
        return _("Enter a valid e-mail address.")
    if name == "owner_name" and "external" in text:
        return _("Required when the owner is external.")
    return _("The value is not valid.")


def from_validation(exc: ValidationError, known: Collection[str], _: Translate) -> FormErrors:
    """Pydantic errors as messages per field."""
    errors = FormErrors()
    for err in exc.errors():
        loc = err.get("loc", ())
        name = str(loc[0]) if loc else ""
        text = str(err.get("msg", ""))
        # A model validator names its field at the start of its message ("owner_name: ...").
        named = _FIELD_PREFIX.match(text.removeprefix("Value error, "))
        if not name and named:
            name = named.group(1)
        errors.add(name, _message(name, str(err.get("type")), err.get("ctx") or {}, text, _), known)
    return errors.in_order(known)


def parameter_errors(errors: Sequence[Mapping[str, Any]], _: Translate) -> list[str]:
    """A web route's query or form parameters that failed validation, each named with the
    rule it broke in words: "The parameter days: Give a whole number." """
    out = []
    for err in errors[:5]:
        loc = [str(part) for part in err.get("loc", ()) if part not in {"query", "body"}]
        name = ".".join(loc) or "?"
        text = _message(name, str(err.get("type")), err.get("ctx") or {}, str(err.get("msg")), _)
        out.append(_("The parameter %(name)s: %(message)s") % {"name": name, "message": text})
    return out


def is_form_error(exc: DomainError) -> bool:
    """Whether a refusal concerns the form's input (shown on it) rather than access as such."""
    if exc.code not in {"not_found", "forbidden", "unauthenticated"}:
        return True
    return "field" in exc.extra or bool(_FIELD_PREFIX.match(exc.detail))


def field_of(exc: DomainError) -> str:
    """The field a refusal names (its first field error's, its ``field``, or its detail's
    ``name:`` prefix), or ``""``."""
    items = exc.extra.get("errors", [])
    name = str(items[0].get("field", "")) if items else str(exc.extra.get("field", ""))
    named = _FIELD_PREFIX.match(exc.detail)
    return name or (named.group(1) if named else "")


def from_domain(exc: DomainError, known: Collection[str], _: Translate) -> FormErrors:
    """A service's refusal as a message on the field it names (or on the form), in the
    page's language (:func:`stadsvakt.web.errors.explain`; never the English detail)."""
    errors = FormErrors()
    items = exc.extra.get("errors", [])
    if exc.msgid is None and len(items) > 1:
        # Several broken rules: each on its own field, in words for its rule.
        for item in items:
            rule = str(item.get("rule", ""))
            text = _(RULES[rule]) if rule in RULES else explain(exc, _)
            errors.add(str(item.get("field", "")), text, known)
        return errors
    name = field_of(exc)
    if exc.msgid is None and exc.code == "conflict" and name == "code":
        errors.add(name, _("This code is already used."), known)
    elif (
        exc.msgid is None
        and name in {"org_unit_id", "parent_id"}
        and exc.code
        in {
            "not_found",
            "forbidden",
        }
    ):
        errors.add(name, _("Choose a unit within your own organisation."), known)
    else:
        errors.add(name or None, explain(exc, _), known)
    return errors
