"""What ``/Schemas`` publishes for one municipality: the schemas of :mod:`.models`, with
the municipality's unit codes as the ``canonicalValues`` of the enterprise extension's
``department``.

A ``department`` must name a unit of the asking token's municipality (stadsvakt never
creates units from provisioning), so a client that fills it from the published schema
(an administrator mapping Entra ID's department, or scim2-tester's stock client) needs
the valid values there, not in a document it cannot discover. RFC 7643 §7 calls them
suggested values; the server still accepts a unit's name too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from scim2_models import Schema
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.org.models import OrgUnit
from stadsvakt.scim.models import ENTERPRISE_SCHEMA

DEPARTMENT = "department"


def unit_codes(session: Session, tenant_id: uuid.UUID) -> list[str]:
    """The codes of the municipality's units, in order."""
    query = select(OrgUnit.code).where(OrgUnit.tenant_id == tenant_id).order_by(OrgUnit.code)
    return list(session.scalars(query))


def with_departments(schema: Schema, codes: Sequence[str]) -> Schema:
    """The schema with ``codes`` as ``department``'s canonical values (the enterprise
    extension only; any other schema, or no codes, as it is)."""
    if schema.id != ENTERPRISE_SCHEMA or not codes or not schema.attributes:
        return schema
    attributes = [
        attribute.model_copy(update={"canonical_values": list(codes)})
        if attribute.name == DEPARTMENT
        else attribute
        for attribute in schema.attributes
    ]
    return schema.model_copy(update={"attributes": attributes})
