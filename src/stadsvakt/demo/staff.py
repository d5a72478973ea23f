"""The demo city's staff as data: fictional people, their assignments and credentials.

Names are drawn from ``staff.json`` (common Swedish given and family names,
combined at random, so the demo describes nobody real). Everything is drawn from
one generator seeded with ``seed``, so the same city, head count and day always
give the same staff. Most people hold one open-ended assignment; some hold a
second one in another unit of their department; some left and still carry an
active card, and some are inactive with an active card — the findings of the
orphan-credential report (Malmö's city hall finding). A few left properly: they
are deactivated, which revokes their credentials.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from importlib.resources import files
from typing import Any

from stadsvakt.demo.data import DemoCity, UnitSpec

#: People per scale step (``stadsvakt demo --scale N`` gives N times as many). Every person
#: goes through the services (about 10 ms of CPU each on this 2-core machine, with audit rows
#: and change-feed entries), so this keeps the default demo under half a minute; ``--people``
#: asks for more.
PEOPLE_PER_SCALE = 2000
#: Card technology noted on every demo card.
CARD_TECHNOLOGY = "MIFARE DESFire EV2"
#: The e-mail domain of the fictional municipality.
EMAIL_DOMAIN = "sundby.example"

# Shares of the staff, drawn per person (why: enough of each for the reports to show).
_LEFT_SHARE = 0.07  # assignment ended, card still active: an orphan credential
_INACTIVE_SHARE = 0.02  # inactive in the directory, card still active: an orphan too
_DEACTIVATED_SHARE = 0.03  # left properly: deactivated, credentials revoked
_SECOND_SHARE = 0.05  # a second assignment in another unit of the department
_NO_CARD_SHARE = 0.03
_MOBILE_SHARE = 0.06
_PIN_SHARE = 0.003  # few: each PIN is hashed with the configured argon2 cost
_LOST_SHARE = 0.005
_SUSPENDED_SHARE = 0.005
_REVOKED_SHARE = 0.003
_ASCII = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u", " ": ""})


class Fate(StrEnum):
    """What became of a demo employee, as the directory shows it."""

    CURRENT = "current"  # holds a current assignment
    LEFT = "left"  # every assignment ended; still active, card not returned
    INACTIVE = "inactive"  # inactive, card still active
    DEACTIVATED = "deactivated"  # deactivated properly: every credential revoked


class CardState(StrEnum):
    """How an employee's card ends up after seeding."""

    ACTIVE = "active"
    LOST = "lost"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class AssignmentPlan:
    """A position in a unit (by code) from ``start`` until ``end`` (excluded)."""

    unit: str
    position: str
    start: date
    end: date | None


@dataclass(frozen=True, slots=True)
class PersonPlan:
    """One fictional employee and what they carry."""

    given_name: str
    family_name: str
    employee_number: str
    email: str
    unit: str
    fate: Fate
    assignments: tuple[AssignmentPlan, ...]
    card: str | None  # a 7-byte UID as 14 upper-case hex digits
    card_state: CardState
    mobile: str | None
    pin: str | None


@dataclass(frozen=True, slots=True)
class Department:
    """How a department (förvaltning) is staffed."""

    weight: int
    manager: str
    positions: tuple[tuple[str, int], ...]
    technical: frozenset[str]


@dataclass(frozen=True, slots=True)
class StaffData:
    """The contents of ``staff.json``."""

    given_names: tuple[str, ...]
    family_names: tuple[str, ...]
    departments: dict[str, Department]


def load_staff_data() -> StaffData:
    """Names and staffing per department, read from the packaged ``staff.json``."""
    raw: dict[str, Any] = json.loads(
        (files("stadsvakt.demo") / "staff.json").read_text(encoding="utf-8")
    )
    return StaffData(
        given_names=tuple(raw["given_names"]),
        family_names=tuple(raw["family_names"]),
        departments={
            code: Department(
                weight=d["weight"],
                manager=d["manager"],
                positions=tuple((p, w) for p, w in d["positions"]),
                technical=frozenset(d["technical"]),
            )
            for code, d in raw["departments"].items()
        },
    )


def new_uid(rng: random.Random) -> str:
    """A random 7-byte card UID (as DESFire EV2 cards have), 14 upper-case hex digits."""
    return f"{rng.getrandbits(56):014X}"


def _quotas(city: DemoCity, data: StaffData, count: int) -> list[tuple[str, UnitSpec, int]]:
    """How many people each unit gets: ``count`` split by department weight (largest remainder)."""
    units = [(d.code, u) for d in city.departments for u in d.units]
    weights = [data.departments[code].weight for code, _ in units]
    total = sum(weights)
    exact = [count * w / total for w in weights]
    shares = [int(x) for x in exact]
    order = sorted(range(len(units)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in order[: count - sum(shares)]:
        shares[i] += 1
    return [(code, unit, share) for (code, unit), share in zip(units, shares, strict=True)]


def _email(given: str, family: str, taken: set[str]) -> str:
    stem = f"{given}.{family}".lower().translate(_ASCII)
    local, n = stem, 1
    while local in taken:
        n += 1
        local = f"{stem}{n}"
    taken.add(local)
    return f"{local}@{EMAIL_DOMAIN}"


def _fate(rng: random.Random, manager: bool) -> Fate:
    if manager:
        return Fate.CURRENT
    draw = rng.random()
    for fate, share in (
        (Fate.LEFT, _LEFT_SHARE),
        (Fate.INACTIVE, _INACTIVE_SHARE),
        (Fate.DEACTIVATED, _DEACTIVATED_SHARE),
    ):
        if draw < share:
            return fate
        draw -= share
    return Fate.CURRENT


def _card_state(rng: random.Random) -> CardState:
    draw = rng.random()
    for state, share in (
        (CardState.LOST, _LOST_SHARE),
        (CardState.SUSPENDED, _SUSPENDED_SHARE),
        (CardState.REVOKED, _REVOKED_SHARE),
    ):
        if draw < share:
            return state
        draw -= share
    return CardState.ACTIVE


def plan_staff(city: DemoCity, count: int, today: date, *, seed: int = 9280) -> list[PersonPlan]:
    """``count`` fictional employees spread over the city's units, deterministic in ``seed``.

    The first person of every unit is its manager (rektor, enhetschef …) and stays
    current, so every unit has a working head.
    """
    data = load_staff_data()
    rng = random.Random(seed)
    emails: set[str] = set()
    uids: set[str] = set()
    siblings = {d.code: [u.code for u in d.units] for d in city.departments}
    people: list[PersonPlan] = []
    for department, unit, share in _quotas(city, data, count):
        staffing = data.departments[department]
        names = [p for p, _ in staffing.positions]
        weights = [w for _, w in staffing.positions]
        for k in range(share):
            given = rng.choice(data.given_names)
            family = rng.choice(data.family_names)
            position = staffing.manager if k == 0 else rng.choices(names, weights)[0]
            fate = _fate(rng, k == 0)
            start = today - timedelta(days=rng.randint(30, 15 * 365))
            end = None
            if fate is Fate.LEFT:
                end = today - timedelta(days=rng.randint(1, 300))
                start = min(start, end - timedelta(days=rng.randint(60, 2000)))
            assignments = [AssignmentPlan(unit.code, position, start, end)]
            others = [c for c in siblings[department] if c != unit.code]
            if fate is Fate.CURRENT and others and rng.random() < _SECOND_SHARE:
                second = today - timedelta(days=rng.randint(1, 700))
                other_position = rng.choices(names, weights)[0]
                assignments.append(AssignmentPlan(rng.choice(others), other_position, second, None))
            card = None
            if rng.random() >= _NO_CARD_SHARE:
                card = new_uid(rng)
                while card in uids:
                    card = new_uid(rng)
                uids.add(card)
            mobile = f"MK-{rng.getrandbits(64):016x}" if rng.random() < _MOBILE_SHARE else None
            pin = f"{rng.randint(0, 999999):06d}" if rng.random() < _PIN_SHARE else None
            people.append(
                PersonPlan(
                    given_name=given,
                    family_name=family,
                    employee_number=f"S{100001 + len(people)}",
                    email=_email(given, family, emails),
                    unit=unit.code,
                    fate=fate,
                    assignments=tuple(assignments),
                    card=card,
                    card_state=_card_state(rng) if fate is Fate.CURRENT else CardState.ACTIVE,
                    mobile=mobile,
                    pin=pin,
                )
            )
    return people
