"""scim2-tester's compliance checks (``check_server``) against a real stadsvakt server.

The server is uvicorn on 127.0.0.1 (a free port) in a background thread, over a
fresh migrated database (SQLite, and PostgreSQL when configured). scim2-tester
fills every writable attribute with random values, or with one of an
attribute's published ``canonicalValues``: ``/Schemas`` lists the municipality's
unit codes as ``department``'s, so a stock client, told nothing but the URL and
the token, creates people in a real unit.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from stadsvakt.app import create_app
from stadsvakt.auth.tokens import create_token
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import create_db_engine, create_session_factory
from stadsvakt.migrate import upgrade
from stadsvakt.org.models import UnitKind
from stadsvakt.org.schemas import MunicipalityCreate, OrgUnitCreate
from stadsvakt.org.service import create_municipality, create_unit
from stadsvakt.settings import Settings
from tests.conftest import fast_security
from tests.live import serving

pytestmark = pytest.mark.slow

FAILING = {Status.ERROR, Status.CRITICAL}


def _seed(settings: Settings) -> tuple[str, str]:
    """A municipality with one unit and a provisioning token; returns (unit code, token)."""
    engine = create_db_engine(settings)
    upgrade(settings, engine)
    factory = create_session_factory(engine)
    with factory() as session:
        actor = system_actor("compliance test")
        with acting_as(actor):
            tenant = create_municipality(
                session, actor, MunicipalityCreate(name="Provby", code="9901")
            )
            local = system_actor("compliance test", tenant.id)
            create_unit(
                session,
                local,
                OrgUnitCreate(code="SKOL", name="Skolförvaltningen", kind=UnitKind.DEPARTMENT),
            )
            secret, _ = create_token(
                session, local, name="Entra ID", scopes=["scim.provision"], expires_days=1
            )
        session.commit()
    engine.dispose()
    return "SKOL", secret


@pytest.fixture
def server(fresh_database_url: str) -> Iterator[tuple[str, str, str]]:
    """A running stadsvakt; yields (SCIM base URL, unit code, token)."""
    settings = Settings(database_url=fresh_database_url, security=fast_security(), _env_file=None)
    code, secret = _seed(settings)
    app = create_app(settings)
    try:
        with serving(app) as url:
            yield f"{url}/scim/v2", code, secret
    finally:
        app.state.services.engine.dispose()


def test_check_server_passes(server: tuple[str, str, str]) -> None:
    base_url, _unit_code, secret = server
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx2.Client(base_url=base_url, headers=headers, timeout=30) as http:
        # A stock client: everything it knows, department's valid values included, it
        # discovers from the server.
        client = SyncSCIMClient(http)
        results = check_server(client)
    failures = [r for r in results if r.status in FAILING]
    assert not failures, "\n".join(f"{r.title}: {r.reason}" for r in failures)
    passed = [r for r in results if r.status is Status.SUCCESS]
    # Discovery, both resource types' CRUD and the PATCH checks really ran.
    assert len(passed) > 40
    assert {r.resource_type for r in passed} >= {"User", "Group"}
