"""The municipality the demo's safety centre serves besides its own (Grannby kommun).

It has departments, units, a few sites and their panels of its own, registered through
the services as its own system actor; the centre's municipality then serves it
(:mod:`stadsvakt.centre.served`), so the centre's operators see its activations and its
alarms follow the centre's default action plans. Its panels count their accounts up
from an account of their own, so the demo's panel simulator plays them too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stadsvakt.auth.secrets import SecretBox
from stadsvakt.centre.served import ServedIn, add_served
from stadsvakt.context import Actor, acting_as, system_actor
from stadsvakt.demo.seed import DEMO_ACTOR
from stadsvakt.demo.seed_alarms import seed_alarm_transmitters
from stadsvakt.org.models import Municipality, OrgUnit, OwnerKind, UnitKind
from stadsvakt.org.schemas import MunicipalityCreate, OrgUnitCreate, SiteCreate
from stadsvakt.org.service import create_municipality, create_site, create_unit


def _units(session: Session, actor: Actor, specs: list[dict[str, Any]]) -> dict[str, OrgUnit]:
    """Departments and their units; the units by code."""
    created: dict[str, OrgUnit] = {}
    for department in specs:
        top = create_unit(
            session,
            actor,
            OrgUnitCreate(
                code=department["code"], name=department["name"], kind=UnitKind.DEPARTMENT
            ),
        )
        for child in department["children"]:
            created[child["code"]] = create_unit(
                session,
                actor,
                OrgUnitCreate(
                    code=child["code"], name=child["name"], kind=UnitKind.UNIT, parent_id=top.id
                ),
            )
    return created


def _site(spec: dict[str, Any], site: dict[str, Any], units: dict[str, OrgUnit]) -> SiteCreate:
    owner = spec["owner"]
    return SiteCreate(
        code=site["code"],
        name=site["name"],
        org_unit_id=units[site["unit"]].id,
        street=site["street"],
        postal_code=site["postal_code"],
        city=spec["city"],
        latitude=site["latitude"],
        longitude=site["longitude"],
        owner_kind=OwnerKind.CITY,
        owner_name=owner["name"],
        owner_contact=owner["contact"],
        owner_email=owner["email"],
        owner_phone=owner["phone"],
    )


def seed_served(
    session: Session,
    box: SecretBox,
    centre: Actor,
    spec: dict[str, Any],
    *,
    first_account: int,
) -> Municipality:
    """Create the municipality of ``spec`` with its sites and panels, served by the
    centre whose system actor is ``centre`` (audited, not committed)."""
    municipality = create_municipality(
        session, system_actor(DEMO_ACTOR), MunicipalityCreate(name=spec["name"], code=spec["code"])
    )
    actor = system_actor(DEMO_ACTOR, municipality.id)
    with acting_as(actor):
        units = _units(session, actor, spec["units"])
        for site in spec["sites"]:
            create_site(session, actor, _site(spec, site, units))
        seed_alarm_transmitters(
            session, actor, box, municipality.id, first_account=first_account, social_alarms=0
        )
    add_served(session, centre, ServedIn(code=spec["code"]))
    return municipality
