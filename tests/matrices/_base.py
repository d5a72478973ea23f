"""What every feature's authorization matrix shares: the roles, the world the calls act on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.auth.permissions import BUILTIN_ROLES
from stadsvakt.org.models import Municipality, OrgUnit, Site
from tests import factories as f

V1 = "/api/v1"
ROLES = [spec.name for spec in BUILTIN_ROLES]
SO, DA, SL, AU = "system_owner", "department_admin", "shift_leader", "auditor"
#: A guard's or home-care responder's phone: it reports its unit's status and position
#: and reads nothing else, so it is denied every endpoint the matrices list for everyone.
FU = "field_unit"
#: Every role, the field unit's too: what any logged-in user may do (log in, see themselves).
ANYONE = frozenset(ROLES)
#: Every role of the municipality's own staff (every built-in role but the field unit's).
EVERYONE = frozenset(ROLES) - {FU}


@dataclass
class World:
    """A municipality with a department (and its units and a site) the callers act on."""

    tenant: Municipality
    department: OrgUnit
    child: OrgUnit
    empty: OrgUnit
    site: Site
    other: f.TestUser
    token_id: str
    me: f.TestUser
    #: For feature matrices that need objects of their own (made with the factories).
    session: Session
    services: Services


Call = Callable[[TestClient, World, dict[str, str]], Response]
