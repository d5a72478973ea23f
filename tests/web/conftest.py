"""Helpers for the web UI tests: a municipality with units and sites, and a logged-in browser."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.org.models import Municipality, OrgUnit, Site
from tests import factories as f

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The hidden CSRF value of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@dataclass
class City:
    """A municipality with a department, a unit below it, and sites."""

    tenant: Municipality
    department: OrgUnit
    unit: OrgUnit
    city_site: Site
    external_site: Site


@pytest.fixture
def city(session: Session) -> City:
    """Test data to browse."""
    tenant = f.municipality(session)
    department = f.unit(session, tenant, name="Stadsfastighetsförvaltningen")
    unit = f.unit(session, tenant, parent=department, name="Förvaltning Öst")
    city_site = f.site(session, tenant, unit=unit)
    external_site = f.site(session, tenant, unit=unit, external=True)
    return City(tenant, department, unit, city_site, external_site)


@pytest.fixture
def owner(session: Session, city: City, services: Services) -> f.TestUser:
    """A system owner of the city."""
    return f.user(session, city.tenant, services.passwords)


def log_in(client: TestClient, username: str, password: str, next_path: str = "/") -> Response:
    """Fill in the login form as a browser would (not following the redirect)."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(page.text),
            "next": next_path,
        },
        follow_redirects=False,
    )


@pytest.fixture
def browser(client: TestClient, owner: f.TestUser) -> TestClient:
    """A client logged in as the system owner, preferring Swedish."""
    client.headers["Accept-Language"] = "sv"
    response = log_in(client, owner.username, owner.password)
    assert response.status_code == 303
    return client
