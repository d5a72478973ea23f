"""Authorization rows for the access model, grants, credentials and the service catalogue.

The objects the calls act on are inserted as plain rows (no audit), because the
matrix checks that a refused call leaves the audit trail untouched.
"""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.orm import Session

from stadsvakt.access.models import (
    AccessProfile,
    Credential,
    CredentialKind,
    Door,
    Grant,
    HolidayCalendar,
    PositionProfile,
    ProfileZone,
    Schedule,
    ServiceLevel,
    SiteService,
    Zone,
)
from stadsvakt.directory.models import Person
from tests.matrices._base import AU, DA, EVERYONE, SL, SO, V1, Call, World

OP = "operator"
WRITERS = frozenset({SO, DA})
OWNER = frozenset({SO})
GRANT_READERS = frozenset({SO, DA, AU})
CREDENTIAL_READERS = frozenset({SO, DA, OP, SL, AU})
_n = itertools.count(1)
_INTERVALS = [{"day": 0, "start": "07:00", "end": "18:00"}]


@dataclass
class Objects:
    """Rows in the world's site and department for the calls to act on."""

    zone: Zone
    spare_zone: Zone
    door: Door
    schedule: Schedule
    spare_schedule: Schedule
    calendar: HolidayCalendar
    spare_calendar: HolidayCalendar
    profile: AccessProfile
    spare_profile: AccessProfile
    position_profile: PositionProfile
    person: Person
    credential: Credential
    grant: Grant
    level: ServiceLevel
    spare_level: ServiceLevel


# Keyed by the session itself, not id(): an id is reused once a session is collected.
_made: weakref.WeakKeyDictionary[Session, Objects] = weakref.WeakKeyDictionary()


def _add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def objects(w: World) -> Objects:
    """The world's access objects, made once per world."""
    made = _made.get(w.session)
    if made is not None and made.zone.tenant_id == w.tenant.id:
        return made
    s, t, unit, site = w.session, w.tenant.id, w.child.id, w.site.id
    n = next(_n)

    def schedule(code: str) -> Schedule:
        row = Schedule(tenant_id=t, org_unit_id=unit, code=code, name=code, intervals=_INTERVALS)
        _add(s, row)
        return row

    def zone(code: str) -> Zone:
        row = Zone(tenant_id=t, site_id=site, code=code, name=code)
        _add(s, row)
        return row

    def calendar(code: str) -> HolidayCalendar:
        row = HolidayCalendar(tenant_id=t, code=code, name=code, local_days=[])
        _add(s, row)
        return row

    def level(code: str) -> ServiceLevel:
        row = ServiceLevel(tenant_id=t, code=code, name=code, rank=5, requirements=["camera"])
        _add(s, row)
        return row

    z, spare_z = zone(f"MZ{n}"), zone(f"MZS{n}")
    sched, spare_s = schedule(f"MS{n}"), schedule(f"MSS{n}")
    door = Door(tenant_id=t, site_id=site, zone_id=z.id, code=f"MD{n}", name="Dörr", reader_ids=[])
    _add(s, door)
    profile = AccessProfile(
        tenant_id=t, org_unit_id=unit, code=f"MP{n}", name="Profil", schedule_id=sched.id
    )
    spare_p = AccessProfile(
        tenant_id=t, org_unit_id=unit, code=f"MPS{n}", name="Reserv", schedule_id=sched.id
    )
    _add(s, profile)
    _add(s, spare_p)
    _add(s, ProfileZone(profile_id=profile.id, zone_id=z.id))
    pp = PositionProfile(tenant_id=t, org_unit_id=unit, position="lärare", profile_id=profile.id)
    person = Person(tenant_id=t, org_unit_id=unit, given_name="Gäst", family_name=f"Nr{n}")
    _add(s, pp)
    _add(s, person)
    cred = Credential(
        tenant_id=t, person_id=person.id, kind=CredentialKind.CARD, identifier=f"04{n:010X}"
    )
    grant = Grant(
        tenant_id=t,
        org_unit_id=unit,
        profile_id=profile.id,
        person_id=person.id,
        valid_from=datetime.now(UTC),
    )
    _add(s, cred)
    _add(s, grant)
    made = Objects(
        z,
        spare_z,
        door,
        sched,
        spare_s,
        calendar(f"MC{n}"),
        calendar(f"MCS{n}"),
        profile,
        spare_p,
        pp,
        person,
        cred,
        grant,
        level(f"ML{n}"),
        level(f"MLS{n}"),
    )
    _made[w.session] = made
    return made


def _ended(w: World) -> Grant:
    """The matrix's grant, ended early (so its early end can be undone)."""
    grant = objects(w).grant
    grant.ended_early_at, grant.ended_early_from = datetime.now(UTC), grant.valid_to
    grant.valid_to = grant.ended_early_at
    w.session.flush()
    return grant


def _soon(hours: int) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def _get(path: str) -> Call:
    """A GET of a path template filled from the world's objects."""
    return lambda c, w, h: c.get(V1 + path.format(o=objects(w), w=w))


def _delete(path: str) -> Call:
    return lambda c, w, h: c.delete(V1 + path.format(o=objects(w), w=w), headers=h)


def _site_service(c: TestClient, w: World, h: dict[str, str]) -> Response:
    if w.session.get(SiteService, w.site.id) is None:
        row = SiteService(site_id=w.site.id, tenant_id=w.tenant.id, level_id=objects(w).level.id)
        _add(w.session, row)
    return c.get(f"{V1}/sites/{w.site.id}/service")


MATRIX: dict[tuple[str, str], tuple[frozenset[str], Call]] = {
    ("GET", "/zones"): (EVERYONE, _get("/zones?site_id={w.site.id}")),
    ("POST", "/zones"): (
        WRITERS,
        lambda c, w, h: c.post(
            V1 + "/zones", headers=h, json={"site_id": str(w.site.id), "code": "NZ", "name": "Ny"}
        ),
    ),
    ("GET", "/zones/{zone_id}"): (EVERYONE, _get("/zones/{o.zone.id}")),
    ("PATCH", "/zones/{zone_id}"): (
        WRITERS,
        lambda c, w, h: c.patch(f"{V1}/zones/{objects(w).zone.id}", headers=h, json={"name": "X"}),
    ),
    ("DELETE", "/zones/{zone_id}"): (WRITERS, _delete("/zones/{o.spare_zone.id}")),
    ("GET", "/doors"): (EVERYONE, _get("/doors")),
    ("POST", "/doors"): (
        WRITERS,
        lambda c, w, h: c.post(
            V1 + "/doors",
            headers=h,
            json={"zone_id": str(objects(w).zone.id), "code": "ND", "name": "Ny dörr"},
        ),
    ),
    ("GET", "/doors/{door_id}"): (EVERYONE, _get("/doors/{o.door.id}")),
    ("PATCH", "/doors/{door_id}"): (
        WRITERS,
        lambda c, w, h: c.patch(
            f"{V1}/doors/{objects(w).door.id}", headers=h, json={"mode": "lockdown"}
        ),
    ),
    ("DELETE", "/doors/{door_id}"): (WRITERS, _delete("/doors/{o.door.id}")),
    ("GET", "/schedules"): (EVERYONE, _get("/schedules")),
    ("POST", "/schedules"): (
        WRITERS,
        lambda c, w, h: c.post(
            V1 + "/schedules",
            headers=h,
            json={
                "code": "NS",
                "name": "Nytt",
                "org_unit_id": str(w.child.id),
                "intervals": [{"day": 4, "start": "22:00", "end": "06:00"}],
            },
        ),
    ),
    ("GET", "/schedules/{schedule_id}"): (EVERYONE, _get("/schedules/{o.schedule.id}")),
    ("PATCH", "/schedules/{schedule_id}"): (
        WRITERS,
        lambda c, w, h: c.patch(
            f"{V1}/schedules/{objects(w).schedule.id}", headers=h, json={"holiday_mode": "normal"}
        ),
    ),
    ("DELETE", "/schedules/{schedule_id}"): (WRITERS, _delete("/schedules/{o.spare_schedule.id}")),
    ("GET", "/holiday-calendars"): (EVERYONE, _get("/holiday-calendars")),
    ("POST", "/holiday-calendars"): (
        OWNER,
        lambda c, w, h: c.post(
            V1 + "/holiday-calendars", headers=h, json={"code": "NH", "name": "Helgdagar"}
        ),
    ),
    ("GET", "/holiday-calendars/{calendar_id}"): (
        EVERYONE,
        _get("/holiday-calendars/{o.calendar.id}"),
    ),
    ("GET", "/holiday-calendars/{calendar_id}/days"): (
        EVERYONE,
        _get("/holiday-calendars/{o.calendar.id}/days?year=2026"),
    ),
    ("PATCH", "/holiday-calendars/{calendar_id}"): (
        OWNER,
        lambda c, w, h: c.patch(
            f"{V1}/holiday-calendars/{objects(w).calendar.id}",
            headers=h,
            json={"local_days": [{"date": "2026-06-05", "name": "Studiedag"}]},
        ),
    ),
    ("DELETE", "/holiday-calendars/{calendar_id}"): (
        OWNER,
        _delete("/holiday-calendars/{o.spare_calendar.id}"),
    ),
    ("GET", "/access-profiles"): (EVERYONE, _get("/access-profiles")),
    ("POST", "/access-profiles"): (
        WRITERS,
        lambda c, w, h: c.post(
            V1 + "/access-profiles",
            headers=h,
            json={
                "code": "NP",
                "name": "Ny profil",
                "org_unit_id": str(w.child.id),
                "schedule_id": str(objects(w).schedule.id),
                "zone_ids": [str(objects(w).zone.id)],
            },
        ),
    ),
    ("GET", "/access-profiles/{profile_id}"): (EVERYONE, _get("/access-profiles/{o.profile.id}")),
    ("PATCH", "/access-profiles/{profile_id}"): (
        WRITERS,
        lambda c, w, h: c.patch(
            f"{V1}/access-profiles/{objects(w).profile.id}",
            headers=h,
            json={"required_course": "Brandskydd"},
        ),
    ),
    ("DELETE", "/access-profiles/{profile_id}"): (
        WRITERS,
        _delete("/access-profiles/{o.spare_profile.id}"),
    ),
    ("GET", "/position-profiles"): (EVERYONE, _get("/position-profiles")),
    ("POST", "/position-profiles"): (
        WRITERS,
        lambda c, w, h: c.post(
            V1 + "/position-profiles",
            headers=h,
            json={
                "org_unit_id": str(w.child.id),
                "position": "*",
                "profile_id": str(objects(w).profile.id),
            },
        ),
    ),
    ("GET", "/position-profiles/{pp_id}"): (
        EVERYONE,
        _get("/position-profiles/{o.position_profile.id}"),
    ),
    ("PATCH", "/position-profiles/{pp_id}"): (
        WRITERS,
        lambda c, w, h: c.patch(
            f"{V1}/position-profiles/{objects(w).position_profile.id}",
            headers=h,
            json={"include_subunits": True},
        ),
    ),
    ("DELETE", "/position-profiles/{pp_id}"): (
        WRITERS,
        _delete("/position-profiles/{o.position_profile.id}"),
    ),
    ("GET", "/grants"): (GRANT_READERS, _get("/grants")),
    ("POST", "/grants"): (
        WRITERS,
        lambda c, w, h: c.post(
            V1 + "/grants",
            headers=h,
            json={
                "profile_id": str(objects(w).profile.id),
                "person_id": str(objects(w).person.id),
                "kind": "extra",
                "valid_from": _soon(0),
                "valid_to": _soon(2),
                "host_person_id": str(objects(w).person.id),
                "reason": "Matris",
            },
        ),
    ),
    ("GET", "/grants/{grant_id}"): (GRANT_READERS, _get("/grants/{o.grant.id}")),
    ("PATCH", "/grants/{grant_id}"): (
        WRITERS,
        lambda c, w, h: c.patch(
            f"{V1}/grants/{objects(w).grant.id}", headers=h, json={"valid_to": _soon(4)}
        ),
    ),
    ("POST", "/grants/{grant_id}/end"): (
        WRITERS,
        lambda c, w, h: c.post(f"{V1}/grants/{objects(w).grant.id}/end", headers=h),
    ),
    ("POST", "/grants/{grant_id}/undo-end"): (
        WRITERS,
        lambda c, w, h: c.post(f"{V1}/grants/{_ended(w).id}/undo-end", headers=h),
    ),
    ("DELETE", "/grants/{grant_id}"): (WRITERS, _delete("/grants/{o.grant.id}")),
    ("GET", "/credentials"): (CREDENTIAL_READERS, _get("/credentials")),
    ("POST", "/credentials"): (
        WRITERS,
        lambda c, w, h: c.post(
            V1 + "/credentials",
            headers=h,
            json={
                "person_id": str(objects(w).person.id),
                "kind": "card",
                "identifier": "04:a1:b2:c3:d4:e5:f6",
            },
        ),
    ),
    ("GET", "/credentials/{credential_id}"): (
        CREDENTIAL_READERS,
        _get("/credentials/{o.credential.id}"),
    ),
    ("PATCH", "/credentials/{credential_id}"): (
        WRITERS,
        lambda c, w, h: c.patch(
            f"{V1}/credentials/{objects(w).credential.id}", headers=h, json={"state": "suspended"}
        ),
    ),
    ("POST", "/credentials/{credential_id}/lost"): (
        WRITERS,
        lambda c, w, h: c.post(f"{V1}/credentials/{objects(w).credential.id}/lost", headers=h),
    ),
    ("GET", "/service-levels"): (EVERYONE, _get("/service-levels")),
    ("POST", "/service-levels"): (
        OWNER,
        lambda c, w, h: c.post(
            V1 + "/service-levels",
            headers=h,
            json={"code": "special", "name": "Special", "rank": 4, "requirements": ["camera"]},
        ),
    ),
    ("GET", "/service-levels/{level_id}"): (EVERYONE, _get("/service-levels/{o.level.id}")),
    ("PATCH", "/service-levels/{level_id}"): (
        OWNER,
        lambda c, w, h: c.patch(
            f"{V1}/service-levels/{objects(w).level.id}", headers=h, json={"rank": 6}
        ),
    ),
    ("DELETE", "/service-levels/{level_id}"): (
        OWNER,
        _delete("/service-levels/{o.spare_level.id}"),
    ),
    ("PUT", "/sites/{site_id}/service"): (
        OWNER,
        lambda c, w, h: c.put(
            f"{V1}/sites/{w.site.id}/service",
            headers=h,
            json={"level_id": str(objects(w).level.id), "components": ["camera"]},
        ),
    ),
    ("GET", "/sites/{site_id}/service"): (EVERYONE, _site_service),
    ("GET", "/reports/service-shortfall"): (EVERYONE, _get("/reports/service-shortfall")),
}
