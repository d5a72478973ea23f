"""Seeding the demo city's people through the directory and credential services.

Employees come from :func:`stadsvakt.demo.staff.plan_staff`: each is created,
given their assignments and their credentials (cards, a few mobile keys and
PINs); some cards are then lost, suspended or revoked, and the people who left
properly are deactivated (which revokes what they carry). Every call goes through
a service, so each row gets its audit entry and its change-feed entry.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

from pydantic import SecretStr
from rich.progress import Progress
from sqlalchemy.orm import Session

from stadsvakt.access.models import CredentialKind, CredentialState
from stadsvakt.access.schemas.credentials import CredentialCreate, CredentialUpdate
from stadsvakt.access.services.credentials import create_credential, mark_lost, update_credential
from stadsvakt.auth.passwords import Passwords
from stadsvakt.context import Actor
from stadsvakt.demo.staff import CARD_TECHNOLOGY, CardState, Fate, PersonPlan
from stadsvakt.demo.steps import steps
from stadsvakt.directory.models import PersonKind
from stadsvakt.directory.schemas import AssignmentIn, PersonCreate
from stadsvakt.directory.service import create_person, deactivate_person, set_assignments
from stadsvakt.org.models import OrgUnit


@dataclass(slots=True)
class PeopleSeed:
    """What the directory part of the demo created."""

    people: int = 0
    assignments: int = 0
    ended_assignments: int = 0
    inactive: int = 0
    credentials: Counter[str] = field(default_factory=Counter)
    #: The first current person with one open assignment and an active card, per (unit,
    #: position): (person, UID); the example decision is chosen among them.
    cardholders: dict[tuple[str, str], tuple[uuid.UUID, str]] = field(default_factory=dict)


def _card(
    session: Session, actor: Actor, passwords: Passwords, person_id: uuid.UUID, uid: str
) -> uuid.UUID:
    credential = create_credential(
        session,
        actor,
        CredentialCreate(
            person_id=person_id,
            kind=CredentialKind.CARD,
            identifier=uid,
            technology=CARD_TECHNOLOGY,
        ),
        passwords,
    )
    return credential.id


def _block(
    session: Session, actor: Actor, passwords: Passwords, credential_id: uuid.UUID, state: CardState
) -> None:
    if state is CardState.LOST:
        mark_lost(session, actor, credential_id)
    elif state is not CardState.ACTIVE:
        update_credential(
            session,
            actor,
            credential_id,
            CredentialUpdate(state=CredentialState(state.value)),
            passwords,
        )


def seed_employees(
    session: Session,
    actor: Actor,
    passwords: Passwords,
    plans: list[PersonPlan],
    units: dict[str, OrgUnit],
    progress: Progress | None,
) -> PeopleSeed:
    """Create every planned employee with assignments and credentials."""
    seed = PeopleSeed()
    for plan in steps(progress, "People and credentials", plans):
        person = create_person(
            session,
            actor,
            PersonCreate(
                given_name=plan.given_name,
                family_name=plan.family_name,
                employee_number=plan.employee_number,
                email=plan.email,
                kind=PersonKind.EMPLOYEE,
                active=plan.fate is not Fate.INACTIVE,
                org_unit_id=units[plan.unit].id,
            ),
        )
        set_assignments(
            session,
            actor,
            person,
            [
                AssignmentIn(
                    org_unit_id=units[a.unit].id, position=a.position, start=a.start, end=a.end
                )
                for a in plan.assignments
            ],
            source="csv",
        )
        seed.people += 1
        seed.assignments += len(plan.assignments)
        seed.ended_assignments += sum(1 for a in plan.assignments if a.end is not None)
        seed.inactive += plan.fate in (Fate.INACTIVE, Fate.DEACTIVATED)
        if plan.card is not None:
            card_id = _card(session, actor, passwords, person.id, plan.card)
            seed.credentials["card"] += 1
            _block(session, actor, passwords, card_id, plan.card_state)
            if plan.card_state is not CardState.ACTIVE:
                seed.credentials[plan.card_state.value] += 1
            elif plan.fate is Fate.CURRENT and len(plan.assignments) == 1:
                (only,) = plan.assignments
                key = (plan.unit, only.position)
                if only.unit == plan.unit and only.end is None and key not in seed.cardholders:
                    seed.cardholders[key] = (person.id, plan.card)
        if plan.mobile is not None:
            create_credential(
                session,
                actor,
                CredentialCreate(
                    person_id=person.id, kind=CredentialKind.MOBILE, identifier=plan.mobile
                ),
                passwords,
            )
            seed.credentials["mobile"] += 1
        if plan.pin is not None:
            create_credential(
                session,
                actor,
                CredentialCreate(
                    person_id=person.id, kind=CredentialKind.PIN, pin=SecretStr(plan.pin)
                ),
                passwords,
            )
            seed.credentials["pin"] += 1
        if plan.fate is Fate.DEACTIVATED:
            deactivate_person(session, actor, person.id, reason="slutat (demo)")
    return seed
