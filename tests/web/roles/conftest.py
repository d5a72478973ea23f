"""Fixtures of the role tests: the world every role looks at."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from tests.web.roles.world import RoleWorld, build


@pytest.fixture
def world(session: Session, services: Services) -> RoleWorld:
    """A municipality with data of every kind and a user of every role."""
    return build(session, services)
