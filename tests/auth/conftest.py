"""Fixtures of the auth tests: a municipality and a token with every permission."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from stadsvakt.org.models import Municipality
from tests import factories as f


@pytest.fixture
def tenant(session: Session) -> Municipality:
    """A municipality (to log in to, or to hold users and roles)."""
    return f.municipality(session)


@pytest.fixture
def admin(session: Session, tenant: Municipality) -> dict[str, str]:
    """A bearer token with every permission (a token is no system owner itself)."""
    return f.owner_bearer(session, tenant)
