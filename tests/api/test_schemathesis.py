"""A bounded schemathesis run over /openapi.json: no 5xx, no response that breaks its schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.result import Ok

from stadsvakt.app import create_app
from stadsvakt.auth.permissions import PERMISSIONS
from stadsvakt.auth.tokens import create_token
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import create_db_engine, unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.org.schemas import MunicipalityCreate, OrgUnitCreate
from stadsvakt.org.service import create_municipality, create_unit
from stadsvakt.settings import Settings
from tests.conftest import fast_security

_TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """An app on its own migrated SQLite file, with a municipality and an all-powerful token."""
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    config = Settings(database_url=f"sqlite:///{path}", security=fast_security(), _env_file=None)
    engine = create_db_engine(config)
    upgrade(config, engine)
    engine.dispose()
    app = create_app(config)
    actor = system_actor("fuzz")
    with acting_as(actor), unit_of_work(app.state.services.session_factory) as session:
        tenant = create_municipality(session, actor, MunicipalityCreate(name="Fuzzby", code="1234"))
        bound = system_actor("fuzz", tenant.id)
        create_unit(session, bound, OrgUnitCreate(code="D1", name="Förvaltning"))
        secret, _ = create_token(
            session, bound, name="fuzz", scopes=list(PERMISSIONS), expires_days=1
        )
    _TOKEN["Authorization"] = f"Bearer {secret}"
    yield app
    app.state.services.engine.dispose()


def test_api_conforms_to_its_schema(fuzzed_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    failures: list[str] = []
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) > 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def check(case: Any) -> None:
            # Business rules beyond the schema (password strength, an external owner's
            # name) rightly refuse some schema-valid input with a documented 422.
            case.call_and_validate(headers=dict(_TOKEN), excluded_checks=[positive_data_acceptance])

        try:
            check()
        except BaseException as exc:  # collect every operation's failure, then report all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
