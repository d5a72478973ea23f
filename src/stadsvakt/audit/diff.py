"""Before and after of an audit row as field changes: what a reader compares.

Pure: the stored JSON texts in, a list of :class:`FieldChange` out. Secrets never reach
the trail (models list them in ``__audit_exclude__``); a field whose name still looks
like one is masked here as well, so a model that forgot to exclude one does not put it
on a screen or in an export.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

#: Field names whose values are never shown (hashes, passwords, keys, secrets).
SECRET_FIELD = re.compile(r"(^|_)(hash|password|secret|sealed|key|pin|token)(_|$)")
#: Fields that merely identify a key yet are not one.
_NOT_SECRET = frozenset({"key_id", "token_id", "pin_length"})


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field: its value before and after (``MISSING`` when the side has no such
    field); a secret's values are masked (``None``), whether it changed is kept."""

    name: str
    before: Any
    after: Any
    changed: bool
    secret: bool = False


class _Missing:
    """The marker of a field one side does not have (not the same as ``null``)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def is_secret(name: str) -> bool:
    """Whether a field's value must be masked."""
    return name not in _NOT_SECRET and bool(SECRET_FIELD.search(name.lower()))


def parse_side(text: str | None) -> dict[str, Any] | None:
    """A stored side as a mapping; a value that is no JSON object is kept under ``value``."""
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return {"value": text}
    return data if isinstance(data, dict) else {"value": data}


def field_changes(before: str | None, after: str | None) -> list[FieldChange]:
    """Every field of either side, in the order of the fields' names."""
    old, new = parse_side(before) or {}, parse_side(after) or {}
    changes = []
    for name in sorted(set(old) | set(new)):
        first, second = old.get(name, MISSING), new.get(name, MISSING)
        changed = first != second
        if is_secret(name):
            first = MISSING if first is MISSING else None
            second = MISSING if second is MISSING else None
            changes.append(FieldChange(name, first, second, changed, secret=True))
        else:
            changes.append(FieldChange(name, first, second, changed))
    return changes
