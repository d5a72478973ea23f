"""Fixtures for the SCIM tests: a municipality with units and a provisioning token."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.org.models import Municipality, OrgUnit
from stadsvakt.settings import ScimSettings, Settings
from tests import factories
from tests.factories_scim import SCIM_JSON


@dataclass
class ScimWorld:
    """A municipality with two departments and a SCIM client with a provisioning token."""

    tenant: Municipality
    school: OrgUnit
    care: OrgUnit
    client: TestClient
    headers: dict[str, str]

    def get(self, path: str, **params: str) -> object:
        """GET under /scim/v2 with the token."""
        return self.client.get(f"/scim/v2{path}", headers=self.headers, params=params)


@pytest.fixture
def settings(migrated_settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The test settings; ``parametrize("settings", [ScimSettings(…)], indirect=True)``
    gives a test other SCIM limits (the app's services are bound per test)."""
    limits = getattr(request, "param", None)
    if isinstance(limits, ScimSettings):
        return migrated_settings.model_copy(update={"scim": limits})
    return migrated_settings


@pytest.fixture
def scim(session: Session, client: TestClient) -> ScimWorld:
    """A municipality with units SKOL (Skolförvaltningen) and OMS (Omsorgsförvaltningen)."""
    tenant = factories.municipality(session)
    school = factories.unit(session, tenant, name="Skolförvaltningen")
    care = factories.unit(session, tenant, name="Omsorgsförvaltningen")
    session.commit()
    secret = factories.token(session, tenant, "scim.provision")
    session.commit()
    headers = {**factories.bearer(secret), "Content-Type": SCIM_JSON}
    return ScimWorld(tenant, school, care, client, headers)
