"""The rules each kind of direct grant is held to, as data, and the checks that apply them.

* a **guest** (gäst) is a person of kind guest, for at most :data:`MAX_WINDOW` of a guest;
* a **contractor** (entreprenör) is a person of kind contractor and names the company;
* a **booking** (bokning, e.g. a sports hall) names the booking party (association or
  organisation) and goes to its contact person or to a group (a club's members);
* an **extra right** (extra behörighet) goes to an existing, active employee, and may
  run until further notice.

Every new grant names a host (värd, an active employee in the giver's scope) and a
reason. Guests, contractors and bookings must end. A problem is reported on the field
it concerns, with a rule a client can act on.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import GrantKind
from stadsvakt.auth.scope import restrict
from stadsvakt.context import Actor
from stadsvakt.directory.models import Person, PersonKind
from stadsvakt.errors import InvalidInput, NotFound

#: Fields that belong to some kinds only.
KIND_FIELDS = ("company", "booking_party", "booking_reference", "contact_phone")


@dataclass(frozen=True, slots=True)
class KindRule:
    """What one kind of grant needs."""

    holders: frozenset[PersonKind]  # the kinds of person who may hold it
    groups: bool  # whether a group may hold it
    needs_end: bool
    longest: timedelta | None  # the longest window, when it must end
    required: tuple[str, ...] = ()  # of KIND_FIELDS
    allowed: tuple[str, ...] = ()  # of KIND_FIELDS (the required ones included)


#: The longest window of each kind that must end.
MAX_WINDOW: Mapping[GrantKind, timedelta] = {
    GrantKind.GUEST: timedelta(days=365),
    GrantKind.CONTRACTOR: timedelta(days=2 * 365),
    GrantKind.BOOKING: timedelta(days=365),
}

KIND_RULES: Mapping[GrantKind, KindRule] = {
    GrantKind.GUEST: KindRule(
        frozenset({PersonKind.GUEST}),
        groups=False,
        needs_end=True,
        longest=MAX_WINDOW[GrantKind.GUEST],
        allowed=("contact_phone",),
    ),
    GrantKind.CONTRACTOR: KindRule(
        frozenset({PersonKind.CONTRACTOR}),
        groups=False,
        needs_end=True,
        longest=MAX_WINDOW[GrantKind.CONTRACTOR],
        required=("company",),
        allowed=("company", "contact_phone"),
    ),
    GrantKind.BOOKING: KindRule(
        frozenset(PersonKind),
        groups=True,
        needs_end=True,
        longest=MAX_WINDOW[GrantKind.BOOKING],
        required=("booking_party",),
        allowed=("booking_party", "booking_reference", "contact_phone"),
    ),
    GrantKind.EXTRA: KindRule(
        frozenset({PersonKind.EMPLOYEE}), groups=False, needs_end=False, longest=None
    ),
}


@dataclass(slots=True)
class Problems:
    """Every problem found with a grant, raised together as one :class:`InvalidInput`."""

    items: list[tuple[str, str, str]]

    def add(self, field: str, rule: str, message: str) -> None:
        """Note a problem with ``field``."""
        self.items.append((field, rule, f"{field}: {message}"))

    def raise_any(self) -> None:
        """Refuse the input if anything was noted."""
        if not self.items:
            return
        field, rule, message = self.items[0]
        error = InvalidInput("; ".join(m for _, _, m in self.items), field=field, rule=rule)
        error.extra["errors"] = [{"field": f, "rule": r, "message": m} for f, r, m in self.items]
        raise error


def rule_of(kind: GrantKind) -> KindRule:
    """The rule of a kind new grants are given as; older kinds are refused."""
    rule = KIND_RULES.get(kind)
    if rule is None:
        raise InvalidInput(
            f"kind: {kind.value} is an older kind no new grant is given as; "
            "use guest, contractor, booking or extra",
            field="kind",
            rule="legacy_kind",
        )
    return rule


def check_window(
    rule: KindRule, valid_from: datetime, valid_to: datetime | None, problems: Problems
) -> None:
    """An end where the kind needs one, and no longer than the kind allows."""
    if valid_to is None:
        if rule.needs_end:
            problems.add("valid_to", "required", "this kind of grant must end")
        return
    if rule.longest is not None and valid_to - valid_from > rule.longest:
        problems.add(
            "valid_to", "max_window", f"this kind of grant lasts at most {rule.longest.days} days"
        )


def check_kind_fields(rule: KindRule, values: Mapping[str, Any], problems: Problems) -> None:
    """The kind's own fields present, and no field of another kind."""
    for name in KIND_FIELDS:
        given = values.get(name) not in (None, "")
        if name in rule.required and not given:
            problems.add(name, "required", "required for this kind of grant")
        elif given and name not in rule.allowed:
            problems.add(name, "not_for_kind", "not used for this kind of grant")


def check_holder(rule: KindRule, person: Person | None, problems: Problems) -> None:
    """A person of a kind that may hold the grant, still active (a group: if allowed)."""
    if person is None:
        if not rule.groups:
            problems.add("group_id", "person_only", "this kind of grant is for one person")
        return
    if person.kind not in rule.holders:
        allowed = ", ".join(sorted(k.value for k in rule.holders))
        problems.add("person_id", "person_kind", f"must be a person of kind {allowed}")
    elif not person.active:
        problems.add("person_id", "inactive", "the person is no longer active")


def host_in_scope(
    session: Session, actor: Actor, host_id: uuid.UUID, permission: str, problems: Problems
) -> Person:
    """The host: an active employee the actor may give grants for (404 naming the field)."""
    stmt = restrict(select(Person).where(Person.id == host_id), Person, actor, permission)
    host = session.execute(stmt).scalar_one_or_none()
    if host is None:
        raise NotFound(f"host_person_id: no person {host_id} in your scope", field="host_person_id")
    if host.kind is not PersonKind.EMPLOYEE or not host.active:
        problems.add("host_person_id", "host_employee", "the host must be an active employee")
    return host
