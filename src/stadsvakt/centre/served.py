"""The municipalities one centre serves (as Skåne Nordost serves six).

The municipality whose staff run the centre adds the municipalities it serves; from
then on its operators and shift leaders see their activations
(:mod:`stadsvakt.centre.tenancy`). A served municipality's own staff still see only
their own. Only a system owner of the centre's municipality (``centre.admin`` over the
whole municipality, not limited to units) may add or remove one; adding needs only the
municipality's code, because the served municipality's consent is an agreement made
outside the system.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.audit.service import record
from stadsvakt.auth.scope import require
from stadsvakt.centre.models import ServedMunicipality
from stadsvakt.context import Actor
from stadsvakt.errors import Conflict, Forbidden, InvalidInput, NotFound
from stadsvakt.org.models import Municipality
from stadsvakt.schemas import StrictInput

Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4}$"),
    Field(description="The served municipality's code (kommunkod), e.g. 1280"),
]


class ServedIn(StrictInput):
    """A municipality to serve, by its code."""

    code: Code


def _centre(actor: Actor) -> uuid.UUID:
    require(actor, "centre.admin")
    if actor.tenant_id is None:
        raise InvalidInput("act within a municipality", field="tenant", rule="required")
    if actor.scope("centre.admin") is not None:
        raise Forbidden("only a system owner of the whole municipality manages whom it serves")
    return actor.tenant_id


def list_served(session: Session, actor: Actor) -> list[tuple[ServedMunicipality, Municipality]]:
    """The municipalities the actor's centre serves, by name (centre.read)."""
    require(actor, "centre.read")
    if actor.tenant_id is None:
        return []
    rows = session.execute(
        select(ServedMunicipality, Municipality)
        .join(Municipality, Municipality.id == ServedMunicipality.served_tenant_id)
        .where(ServedMunicipality.centre_tenant_id == actor.tenant_id)
        .order_by(Municipality.name)
    ).all()
    return [(served, municipality) for served, municipality in rows]


def add_served(session: Session, actor: Actor, data: ServedIn) -> ServedMunicipality:
    """Serve the municipality with this code from the actor's centre; audited."""
    centre = _centre(actor)
    municipality = session.execute(
        select(Municipality).where(Municipality.code == data.code)
    ).scalar_one_or_none()
    if municipality is None:
        raise NotFound(f"code: no municipality with code {data.code}", field="code")
    if municipality.id == centre:
        raise Conflict("code: the centre's own municipality is always served", field="code")
    exists = session.execute(
        select(ServedMunicipality.id)
        .where(ServedMunicipality.centre_tenant_id == centre)
        .where(ServedMunicipality.served_tenant_id == municipality.id)
    ).scalar_one_or_none()
    if exists is not None:
        raise Conflict(f"code: {municipality.name} is already served", field="code")
    row = ServedMunicipality(
        id=uuid.uuid4(), centre_tenant_id=centre, served_tenant_id=municipality.id
    )
    session.add(row)
    session.flush()
    record(
        session,
        action="centre.served.add",
        object_type="served_municipality",
        object_id=row.id,
        object_text=f"{municipality.code} {municipality.name}",
        tenant_id=centre,
        after={"served_tenant_id": str(municipality.id), "code": municipality.code},
    )
    return row


def remove_served(session: Session, actor: Actor, served_id: uuid.UUID) -> None:
    """Stop serving a municipality; its activations leave the centre's queue at once."""
    centre = _centre(actor)
    row = session.get(ServedMunicipality, served_id)
    if row is None or row.centre_tenant_id != centre:
        raise NotFound("served municipality not found")
    municipality = session.get_one(Municipality, row.served_tenant_id)
    record(
        session,
        action="centre.served.remove",
        object_type="served_municipality",
        object_id=row.id,
        object_text=f"{municipality.code} {municipality.name}",
        tenant_id=centre,
        before={"served_tenant_id": str(municipality.id), "code": municipality.code},
    )
    session.delete(row)
    session.flush()
