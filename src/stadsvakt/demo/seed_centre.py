"""The demo's safety centre (trygghetscentral), seeded through the centre's own services.

Sundby's centre gets field units spread over the city (guards, a security officer,
safety hosts, home care's responders), default action plans per alarm category and
two site-specific ones, call lists (contacts and keyholders with their hours) for
its sites, cameras on the camera simulator, a neighbouring municipality it serves
(Grannby kommun, with sites and panels of its own), a month of handled activations,
a few activations going on right now, a planned visit schedule (nattillsyn) and a
site in test. What is seeded is data in ``centre.json``; everything is done as the
demo's system actor and audited, and nothing is committed here.
"""

from __future__ import annotations

import json
import random
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any

from rich.progress import Progress
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Transmitter
from stadsvakt.auth.models import User
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.auth.service import actor_for_user
from stadsvakt.centre.cameras.models import CameraAuth
from stadsvakt.centre.cameras.schemas import CameraCreate
from stadsvakt.centre.cameras.service import create_camera
from stadsvakt.centre.contacts import create_contact, parse_windows
from stadsvakt.centre.plans.schemas import ContactIn, PlanIn, StepIn, WindowIn
from stadsvakt.centre.plans.service import create_plan
from stadsvakt.centre.positions import record_position
from stadsvakt.centre.tasks import ScheduleIn, create_schedule
from stadsvakt.centre.testmode import TestWindowIn, start_test
from stadsvakt.centre.units.models import FieldUnit, PositionSource, UnitStatus
from stadsvakt.centre.units.schemas import PositionIn, UnitCreate
from stadsvakt.centre.units.service import create_unit, set_status
from stadsvakt.context import Actor, acting_as, system_actor
from stadsvakt.db import utcnow
from stadsvakt.demo.cameras import DEFAULT_BASE
from stadsvakt.demo.seed import DEMO_ACTOR
from stadsvakt.demo.seed_history import (
    HISTORY_ACTIVATIONS,
    STOCKHOLM,
    AlarmMaker,
    HistorySeed,
    Sender,
    seed_history,
)
from stadsvakt.demo.seed_present import seed_present
from stadsvakt.demo.seed_served import seed_served
from stadsvakt.demo.staff import StaffData, load_staff_data
from stadsvakt.demo.steps import steps
from stadsvakt.org.models import Municipality, Site

#: At most this many sites get a call list (a larger city's others have none).
CONTACT_SITES = 60
#: Fictional mobile numbers (PTS): 070-174 06 05 to 070-174 06 99.
_MOBILE_FIRST, _MOBILE_LAST = 5, 99
#: The property on-call service (fastighetsjour) each municipality shares between sites.
_ON_CALL = {
    "Sundby": ("Fastighetsjouren Sundby", "040-628 04 90", "fastighetsjour@sundby.example"),
    "Grannby": ("Fastighetsjouren Grannby", "040-628 04 91", "fastighetsjour@grannby.example"),
}
_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("home_care", ("hemtjänst", "nattpatrull")),
    ("care", ("boende", "äldre", "lss", "korttid", "härbärge")),
    ("school", ("skola", "skolan", "gymnas", "komvux", "förskola", "fritidshem")),
)


@dataclass(frozen=True, slots=True)
class CentreSeed:
    """What the centre got."""

    units: int
    plans: int
    contacts: int
    cameras: int
    served: str
    history: HistorySeed
    open_now: int

    def counts(self) -> dict[str, int]:
        """The sizes, by what they count (for the demo's summary table)."""
        return {
            "field units": self.units,
            "action plans": self.plans,
            "site contacts": self.contacts,
            "cameras": self.cameras,
            "activations (30 days)": self.history.activations,
            "dispatches (30 days)": self.history.dispatches,
            "open activations": self.open_now,
        }


def load_centre_data() -> dict[str, Any]:
    """The centre's seed data (``centre.json``)."""
    text = files("stadsvakt.demo").joinpath("centre.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def site_kind(name: str) -> str:
    """Which call list a site gets: ``home_care``, ``care``, ``school`` or ``other``."""
    lowered = name.lower()
    return next((kind for kind, words in _KINDS if any(w in lowered for w in words)), "other")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


class _Centre:
    """One seeding of the centre: the services' inputs built from ``centre.json``."""

    def __init__(
        self,
        session: Session,
        box: SecretBox,
        tenant_id: uuid.UUID,
        *,
        camera_base: str,
        test_max_hours: int,
        history: int,
        now: datetime,
    ) -> None:
        self.session = session
        self.history_size = history
        self.box = box
        self.actor = system_actor(DEMO_ACTOR, tenant_id)
        self.data = load_centre_data()
        self.camera_base = camera_base.rstrip("/")
        self.test_max_hours = test_max_hours
        self.now = now
        self.rng = random.Random(9280)
        self.sites: dict[str, Site] = {}
        self.grannby: Municipality | None = None
        self.units: list[FieldUnit] = []
        self.counts: dict[str, int] = {}
        self.history: HistorySeed | None = None
        self.alarms = AlarmMaker()
        self.staff: StaffData = load_staff_data()
        self._mobile = _MOBILE_FIRST

    def work(self) -> list[tuple[str, Callable[[], None]]]:
        """The steps, in the order they depend on each other."""
        return [
            ("served", self.seed_served),
            ("units", self.seed_units),
            ("contacts", self.seed_contacts),
            ("plans", self.seed_plans),
            ("cameras", self.seed_cameras),
            ("history", self.seed_month),
            ("present", self.seed_now),
            ("planned", self.seed_planned),
        ]

    def _actor_for(self, site: Site) -> Actor:
        """The demo's actor in the site's municipality (a camera is registered there)."""
        if site.tenant_id == self.actor.tenant_id:
            return self.actor
        return system_actor(DEMO_ACTOR, site.tenant_id)

    def _load_sites(self) -> None:
        """The sites of the centre's municipality and of the one it serves, by code."""
        tenants = [self.actor.tenant_id] + ([self.grannby.id] if self.grannby else [])
        rows = self.session.scalars(
            select(Site).where(Site.tenant_id.in_(tenants)).order_by(Site.code)
        )
        self.sites = {site.code: site for site in rows}

    # --- the served municipality ------------------------------------------------------------

    def seed_served(self) -> None:
        """Grannby kommun, served by Sundby's centre (:mod:`.seed_served`)."""
        self.grannby = seed_served(
            self.session,
            self.box,
            self.actor,
            self.data["served"],
            first_account=int(self.data["first_account"]),
        )
        self._load_sites()

    # --- field units --------------------------------------------------------------------------

    def seed_units(self) -> None:
        """The units, each with a short trail ending near its site; all available for now."""
        users = {
            user.username: user.id
            for user in self.session.scalars(
                select(User).where(User.tenant_id == self.actor.tenant_id)
            )
        }
        fallback = next(iter(self.sites.values()))
        for spec in self.data["units"]:
            unit = create_unit(
                self.session,
                self.actor,
                UnitCreate(
                    call_sign=spec["call_sign"],
                    name=spec["name"],
                    unit_type=spec["unit_type"],
                    company=spec["company"],
                    status=UnitStatus.AVAILABLE,
                    user_id=users.get(spec.get("user") or ""),
                ),
            )
            self._trail(unit, self.sites.get(spec["near"], fallback))
            self.units.append(unit)
        self.counts["units"] = len(self.units)

    def _trail(self, unit: FieldUnit, site: Site) -> None:
        """Four phone positions over the last quarter of an hour, closing in on the site."""
        if site.latitude is None or site.longitude is None:
            return
        start_lat = self.rng.uniform(-0.006, 0.006)
        start_lon = self.rng.uniform(-0.01, 0.01)
        for step in range(4):
            share = (3 - step) / 3
            point = PositionIn(
                latitude=site.latitude + start_lat * share + 0.0003,
                longitude=site.longitude + start_lon * share + 0.0004,
                accuracy_m=self.rng.choice((8.0, 12.0, 25.0)),
                at=self.now - timedelta(minutes=15 - 5 * step),
            )
            record_position(self.session, unit, point, PositionSource.PHONE)

    def final_statuses(self) -> None:
        """Set the units busy or off duty as ``centre.json`` says (after the history)."""
        by_sign = {unit.call_sign: unit for unit in self.units}
        for spec in self.data["units"]:
            unit = by_sign[spec["call_sign"]]
            wanted = UnitStatus(spec["status"])
            if unit.status is UnitStatus.AVAILABLE and wanted is not UnitStatus.AVAILABLE:
                set_status(self.session, self.actor, unit.id, wanted)

    # --- contacts and plans -------------------------------------------------------------------

    def _phone(self) -> str:
        number = self._mobile
        self._mobile = _MOBILE_FIRST if number >= _MOBILE_LAST else number + 1
        return f"070-174 06 {number:02d}"

    def _person(self) -> tuple[str, str]:
        given = self.rng.choice(self.staff.given_names)
        family = self.rng.choice(self.staff.family_names)
        return f"{given} {family}", f"{_ascii(given)}.{_ascii(family)}"

    def _contact(self, site: Site, spec: dict[str, Any]) -> ContactIn:
        windows = [WindowIn.model_validate(w) for w in parse_windows(spec["hours"])]
        town = "Grannby" if site.code.startswith("GB-") else "Sundby"
        if spec.get("shared"):
            name, phone, email = _ON_CALL[town]
            notes = "Fastighetsjour dygnet runt"
        elif spec["role"] == "owner":
            name = site.owner_contact or site.owner_name or "Förvaltare"
            phone, email = site.owner_phone or "", site.owner_email or ""
            notes = f"{spec['title']}, {site.owner_name}"
        else:
            name, local = self._person()
            phone, email = self._phone(), f"{local}@{_ascii(town)}.example"
            notes = spec["title"]
        return ContactIn(
            name=name,
            role=spec["role"],
            phone=phone,
            email=email,
            windows=windows,
            notes=notes,
        )

    def seed_contacts(self) -> None:
        """A call list for every site (the first :data:`CONTACT_SITES` of a large city)."""
        lists = self.data["contacts"]
        count = 0
        for site in list(self.sites.values())[:CONTACT_SITES]:
            for spec in lists[site_kind(site.name)]:
                create_contact(
                    self.session, self._actor_for(site), site.id, self._contact(site, spec)
                )
                count += 1
        self.counts["contacts"] = count

    def seed_plans(self) -> None:
        """The centre's default plan per category, and the site-specific plans."""
        count = 0
        for plan in self.data["plans"]:
            steps_in = [StepIn.model_validate(step) for step in plan["steps"]]
            data = PlanIn(category=plan["category"], steps=steps_in, note=plan["note"])
            create_plan(self.session, self.actor, data)
            count += 1
        for plan in self.data["site_plans"]:
            site = self.sites.get(plan["site"])
            if site is None:
                continue
            steps_in = [StepIn.model_validate(step) for step in plan["steps"]]
            data = PlanIn(
                site_id=site.id, category=plan["category"], steps=steps_in, note=plan["note"]
            )
            create_plan(self.session, self._actor_for(site), data)
            count += 1
        self.counts["plans"] = count

    # --- cameras ------------------------------------------------------------------------------

    def seed_cameras(self) -> None:
        """Cameras on the simulator; one asks for a login, one is a street camera."""
        count = 0
        for spec in self.data["cameras"]:
            site = self.sites.get(spec["site"]) if spec["site"] else None
            if spec["site"] and site is None:
                continue
            data = self._camera(spec, site)
            create_camera(
                self.session, self._actor_for(site) if site else self.actor, self.box, data
            )
            count += 1
        self.counts["cameras"] = count

    def _camera(self, spec: dict[str, Any], site: Site | None) -> CameraCreate:
        if site is not None and site.latitude is not None and site.longitude is not None:
            lat, lon = site.latitude + spec["d"][0], site.longitude + spec["d"][1]
        else:
            lat, lon = spec["at"]
        private = bool(spec.get("private"))
        picture = "private.png" if private else "snapshot.png"
        return CameraCreate(
            name=spec["name"],
            latitude=lat,
            longitude=lon,
            snapshot_url=f"{self.camera_base}/cameras/{spec['slug']}/{picture}",
            site_id=site.id if site else None,
            auth=CameraAuth.BASIC if private else CameraAuth.NONE,
            username="demo" if private else None,
            password="demo" if private else None,
        )

    # --- what happened and what happens -------------------------------------------------------

    def senders(self) -> list[Sender]:
        """Every transmitter of the demo, with its site's name."""
        names = {site.id: site.name for site in self.sites.values()}
        rows = self.session.scalars(select(Transmitter).order_by(Transmitter.account))
        return [
            Sender(
                row.tenant_id, row.site_id, row.id, row.account, row.protocol, names[row.site_id]
            )
            for row in rows
            if row.site_id in names
        ]

    def operators(self) -> list[Actor]:
        """The demo's operators as they act (day shift first); the system if there are none."""
        users = self.session.scalars(
            select(User)
            .where(User.tenant_id == self.actor.tenant_id)
            .where(User.username.in_(("operator", "operator2")))
            .order_by(User.username)
        )
        return [actor_for_user(user) for user in users] or [self.actor]

    def seed_month(self) -> None:
        """A month of alarms handled by the operators."""
        plans = [*self.data["plans"], *self.data["site_plans"]]
        mandatory = frozenset(
            plan["category"]
            for plan in plans
            if plan["category"] and any(step.get("mandatory") for step in plan["steps"])
        )
        self.history = seed_history(
            self.session,
            self.alarms,
            self.senders(),
            self.operators(),
            self.units,
            self.now,
            mandatory=mandatory,
            count=self.history_size,
        )

    def seed_now(self) -> None:
        """A few activations going on now, then the units' statuses of the moment."""
        self.counts["open"] = seed_present(
            self.session,
            self.alarms,
            senders=self.senders(),
            operators=self.operators(),
            units=self.units,
            sites=self.sites,
            now=self.now,
        )
        self.final_statuses()

    def seed_planned(self) -> None:
        """A nattillsyn schedule for a care recipient (a reference, no name) and a site in test."""
        spec = self.data["schedule"]
        site = self.sites.get(spec["site"])
        today = self.now.astimezone(STOCKHOLM).date()
        schedule = ScheduleIn(
            reference=spec["reference"],
            site_id=site.id if site else None,
            address=spec["address"],
            times=spec["times"],
            weekdays=spec["weekdays"],
            valid_from=today - timedelta(days=14),
            note=spec["note"],
        )
        create_schedule(self.session, self.actor, schedule)
        test = self.data["in_test"]
        tested = self.sites.get(test["site"])
        if tested is not None:
            window = TestWindowIn(
                site_id=tested.id,
                ends_at=self.now + timedelta(hours=min(test["hours"], self.test_max_hours)),
                reason=test["reason"],
            )
            start_test(
                self.session, self.actor, window, now=self.now, max_hours=self.test_max_hours
            )

    def result(self) -> CentreSeed:
        """What was seeded."""
        assert self.history is not None and self.grannby is not None
        return CentreSeed(
            units=self.counts["units"],
            plans=self.counts["plans"],
            contacts=self.counts["contacts"],
            cameras=self.counts["cameras"],
            served=self.grannby.name,
            history=self.history,
            open_now=self.counts["open"],
        )


def seed_demo_centre(
    session: Session,
    box: SecretBox,
    tenant_id: uuid.UUID,
    *,
    camera_base: str = DEFAULT_BASE,
    test_max_hours: int = 72,
    history: int = HISTORY_ACTIVATIONS,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> CentreSeed:
    """Seed the demo municipality's safety centre as its system actor (not committed);
    ``history`` is how many activations the past month had."""
    centre = _Centre(
        session,
        box,
        tenant_id,
        camera_base=camera_base,
        test_max_hours=test_max_hours,
        history=history,
        now=now or utcnow(),
    )
    with acting_as(centre.actor):
        centre._load_sites()
        for _, work in steps(progress, "Safety centre", centre.work()):
            work()
    return centre.result()
