"""The same rights as a pycasbin policy and as Cedar policies, for comparison.

Both get the rights as they stand at the benchmark's reference time, the closest each
can come to stadsvakt's model:

* credential state and validity, person activity and the windows of assignments and
  grants are applied when the policy is written (neither engine has validity windows
  on role links), so a blocked card simply has no link to its person;
* the schedule is evaluated at decision time from the local minute of the week: a
  custom matcher function in casbin, and ``when`` conditions on ``context.mow`` in Cedar;
* the training requirement is a condition on a person attribute in Cedar, and a role
  link that exists only for trained people in casbin.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import casbin  # type: ignore[import-untyped]
import cedarpy

from stadsvakt.access.index.state import CompiledIndex
from stadsvakt.access.timerules import STOCKHOLM

CASBIN_MODEL = """
[request_definition]
r = sub, dom, obj, act, mow

[policy_definition]
p = sub, dom, obj, act, sched

[role_definition]
g = _, _, _
g2 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.dom == p.dom && r.act == p.act && g2(r.obj, p.obj) && g(r.sub, p.sub, r.dom) \
&& in_schedule(p.sched, r.mow)
"""

Windows = dict[str, tuple[tuple[int, int], ...]]


def minute_of_week(at: datetime) -> int:
    """The local (Europe/Stockholm) minute of the week, Monday 00:00 = 0."""
    local = at.astimezone(STOCKHOLM)
    return local.weekday() * 1440 + local.hour * 60 + local.minute


def schedule_windows(index: CompiledIndex) -> Windows:
    """Each schedule as minute-of-week ranges (holidays aside: the request week has none)."""
    windows: Windows = {}
    for schedule_id, entry in index.schedules.items():
        ranges: list[tuple[int, int]] = []
        for day in range(7):
            ranges.extend((day * 1440 + a, day * 1440 + b) for a, b in entry.week.own[day])
            nxt = ((day + 1) % 7) * 1440
            ranges.extend((nxt + a, nxt + b) for a, b in entry.week.spill[day])
        windows[str(schedule_id)] = tuple(sorted(ranges))
    return windows


def _links(index: CompiledIndex, ts: float) -> Iterable[tuple[str, str, uuid.UUID, bool, bool]]:
    """(card, person, profile, valid, trained) for every right usable at ``ts``."""
    for (_, _, identifier), cred in index.credentials.items():
        if cred.state != "active" or not cred.valid_from <= ts < cred.valid_to:
            continue
        person = index.people.get(cred.person_id)
        if person is None or not person.active:
            continue
        for right in person.rights:
            if right.valid_from <= ts < right.valid_to:
                profile = index.profiles[right.profile_id]
                course = profile.required_course
                trained = course is None or person.training.get(course, -math.inf) > ts
                yield identifier, str(person.id), right.profile_id, True, trained


class CasbinRival:
    """pycasbin with an RBAC-with-domains model: card → person → profile, door → zone."""

    def __init__(
        self, index: CompiledIndex, tenant: uuid.UUID, at: datetime, workdir: Path
    ) -> None:
        ts = at.timestamp()
        self.tenant = str(tenant)
        windows = schedule_windows(index)
        lines = [
            f"p, {p.id}, {self.tenant}, {zone}, open, {p.schedule_id}"
            for p in index.profiles.values()
            for zone in p.zones
        ]
        cards: set[tuple[str, str]] = set()
        roles: set[tuple[str, str]] = set()
        for card, person, profile, _, trained in _links(index, ts):
            cards.add((card, person))
            if trained:
                roles.add((person, str(profile)))
        lines += [f"g, {c}, {p}, {self.tenant}" for c, p in sorted(cards)]
        lines += [f"g, {p}, {r}, {self.tenant}" for p, r in sorted(roles)]
        lines += [f"g2, {d.id}, {d.zone_id}" for d in index.doors.values() if d.mode != "lockdown"]
        model, policy = workdir / "casbin.conf", workdir / "casbin.csv"
        model.write_text(CASBIN_MODEL)
        policy.write_text("\n".join(lines) + "\n")
        self.enforcer = casbin.Enforcer(str(model), str(policy))
        # pycasbin's domain role manager compares names with an equality *function*, which
        # makes building the links quadratic (hours for this city); plain equality is the
        # same rule without that cost.
        for manager in self.enforcer.rm_map.values():
            manager.matching_func = None
        self.enforcer.build_role_links()

        def in_schedule(name: str, mow: int) -> bool:
            return any(a <= mow < b for a, b in windows[name])

        self.enforcer.add_function("in_schedule", in_schedule)
        self.policy_count = len(lines)

    def decide(self, door: uuid.UUID, card: str, at: datetime) -> bool:
        """Whether casbin allows the card at the door."""
        return bool(self.enforcer.enforce(card, self.tenant, str(door), "open", minute_of_week(at)))


def _condition(ranges: tuple[tuple[int, int], ...]) -> str:
    if ranges == ((0, 1440 * 7),) or len(ranges) == 0:
        return "true" if ranges else "false"
    return " || ".join(f"(context.mow >= {a} && context.mow < {b})" for a, b in ranges)


class CedarRival:
    """Cedar: Card in Person in Profile; Door in Zone; one policy per profile and zone."""

    def __init__(self, index: CompiledIndex, tenant: uuid.UUID, at: datetime) -> None:
        ts = at.timestamp()
        windows = schedule_windows(index)
        texts = []
        for p in index.profiles.values():
            cond = _condition(windows.get(str(p.schedule_id), ()))
            if p.required_course is not None:
                cond = f'({cond}) && principal.trained.contains("{p.required_course}")'
            for zone in p.zones:
                texts.append(
                    f'permit(principal in Profile::"{p.id}", action == Action::"open", '
                    f'resource in Zone::"{zone}") when {{ {cond} }};'
                )
        self.policies = cedarpy.PolicySet.from_str("\n".join(texts))
        person_parents: dict[str, set[str]] = {}
        entities: list[dict[str, Any]] = []
        for card, person, profile, _, _ in _links(index, ts):
            person_parents.setdefault(person, set()).add(str(profile))
            entities.append(_entity("Card", card, [("Person", person)], {}))
        for person, profiles in person_parents.items():
            entry = index.people[uuid.UUID(person)]
            trained = [c for c, until in entry.training.items() if until > ts]
            entities.append(
                _entity(
                    "Person",
                    person,
                    [("Profile", p) for p in profiles],
                    {"trained": trained},
                )
            )
        entities.extend(_entity("Profile", str(pid), [], {}) for pid in index.profiles)
        zones = {d.zone_id for d in index.doors.values()}
        entities.extend(_entity("Zone", str(z), [], {}) for z in zones)
        entities.extend(
            _entity(
                "Door", str(d.id), [("Zone", str(d.zone_id))] if d.mode != "lockdown" else [], {}
            )
            for d in index.doors.values()
        )
        self.entities = cedarpy.Entities.from_json_str(json.dumps(entities))
        self.policy_count = len(texts)
        self.entity_count = len(entities)

    def decide_batch(self, requests: list[tuple[uuid.UUID, str, datetime]]) -> list[bool]:
        """Cedar's answers for a batch of (door, card, time)."""
        batch = [
            {
                "principal": f'Card::"{card}"',
                "action": 'Action::"open"',
                "resource": f'Door::"{door}"',
                "context": {"mow": minute_of_week(at)},
            }
            for door, card, at in requests
        ]
        results = cedarpy.is_authorized_batch(batch, self.policies, self.entities)
        return [r.allowed for r in results]


def _door_parents(zone: uuid.UUID, mode: str) -> list[tuple[str, str]]:
    # A door in lockdown belongs to no zone, so no policy reaches it.
    return [] if mode == "lockdown" else [("Zone", str(zone))]


def _entity(
    kind: str, id: str, parents: list[tuple[str, str]], attrs: dict[str, Any]
) -> dict[str, Any]:
    return {
        "uid": {"type": kind, "id": id},
        "attrs": attrs,
        "parents": [{"type": t, "id": i} for t, i in parents],
    }
