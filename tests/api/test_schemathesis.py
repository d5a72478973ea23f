"""A bounded schemathesis run over /openapi.json, on every backend, in both directions.

Positive mode: every input the schema allows is accepted, or refused only with a
business outcome the operation documents and JSON Schema cannot state (404 for an id
that does not exist, 409 for a taken natural key). Negative mode: every input the schema
forbids is refused. Both: no 5xx, no status the operation does not document, no answer
that breaks its own schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
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

#: The only schema-valid input an operation may refuse with a 422, by the rule it breaks.
#: Each is a rule JSON Schema cannot state: one that depends on the database or the clock,
#: compares two fields, or looks inside a file. Everything else is in the schema.
ALLOWED_REFUSALS: dict[str, set[tuple[str, str]]] = {
    # An enrolment code is a secret the fuzzer cannot guess (unknown, or used or expired
    # once guessed), and a device's key is 32 bytes that are an Ed25519 key; a code's doors
    # are at its site (a lookup).
    "POST /api/v1/edge/enrol": {
        ("code", "code_unknown"),
        ("code", "code_used"),
        ("code", "code_expired"),
        ("public_key", "public_key"),
    },
    "POST /api/v1/edge/enrolment-codes": {("door_ids", "door_site")},
    # A decision's time must lie near the server's clock (a replay window).
    "POST /api/v1/access/decisions": {("at", "window")},
    # Password strength beyond its length (five different characters); a role is named
    # by a municipality's role rows (a lookup, like an id that does not exist).
    "POST /api/v1/users": {("password", "password_strength"), ("role", "known_role")},
    "PATCH /api/v1/users/{user_id}": {("role", "known_role")},
    # Expiry compared with completion (two fields).
    "POST /api/v1/training": {("expires_on", "value_error")},
    # A transmitter registry lookup, the alarm input's own 404; the event time's years are
    # checked in UTC, so a zone can move a time the year pattern allows across 2000/2099.
    "POST /api/v1/alarms/inputs": {
        ("account", "unknown_account"),
        ("event_time", "event_time_range"),
        # Control characters in an operator-facing text (a pattern the schema does not say).
        ("text", "no_control_character"),
    },
    # A grant's or credential's validity ends after it begins (two fields).
    "POST /api/v1/grants": {("valid_to", "after_valid_from")},
    "PATCH /api/v1/grants/{grant_id}": {("valid_to", "after_valid_from")},
    "POST /api/v1/credentials": {("valid_to", "after_valid_from")},
    "PATCH /api/v1/credentials/{credential_id}": {("valid_to", "after_valid_from")},
    # An assignment's end after its start (two fields).
    "PUT /api/v1/people/{person_id}/assignments": {("end", "value_error")},
    # A schedule interval's end differs from its start (two fields), and intervals of
    # one day do not overlap (items compared with each other).
    "POST /api/v1/schedules": {("end", "zero_length"), ("intervals", "overlap")},
    "PATCH /api/v1/schedules/{schedule_id}": {("end", "zero_length"), ("intervals", "overlap")},
    # Two local holidays on one date (objects that differ in their names); a recurring
    # local day is a month-day range or an ISO week, one of the two (fields that depend
    # on each other; the error is named by the day's place in the list).
    "POST /api/v1/holiday-calendars": {
        ("local_days", "distinct"),
        ("recurring_days", "value_error"),
    },
    "PATCH /api/v1/holiday-calendars/{calendar_id}": {
        ("local_days", "distinct"),
        ("recurring_days", "value_error"),
    },
    # A statistics period ends on or after its first day and spans at most 366 days (two
    # fields); its days lie in 2000-2099 (a far-off date would overflow as a moment).
    # A field unit's linked user or device token, a camera's login: lookups and a rule
    # between two fields (basic or digest authentication needs a user name).
    "POST /api/v1/centre/units": {("user_id", "exists"), ("token_id", "exists")},
    "PATCH /api/v1/centre/units/{unit_id}": {("user_id", "exists"), ("token_id", "exists")},
    "POST /api/v1/centre/cameras": {("username", "required_with_auth")},
    "PATCH /api/v1/centre/cameras/{camera_id}": {("username", "required_with_auth")},
    # A planned visit's schedule ends after it begins and names a site or an address; an
    # incident names one or the other too (two fields each).
    "POST /api/v1/centre/task-schedules": {
        ("valid_to", "after_valid_from"),
        ("address", "site_or_address"),
    },
    "PUT /api/v1/centre/task-schedules/{schedule_id}": {
        ("valid_to", "after_valid_from"),
        ("address", "site_or_address"),
    },
    "POST /api/v1/centre/incidents": {("address", "site_or_address")},
    # A test window starts now or later, ends after it starts and lasts at most a setting.
    "POST /api/v1/centre/tests": {
        ("starts_at", "not_past"),
        ("ends_at", "after_starts_at"),
        ("ends_at", "max_duration"),
    },
    "GET /api/v1/centre/statistics": {
        ("to", "after_from"),
        ("to", "max_days"),
        ("from", "year_range"),
        ("to", "year_range"),
    },
}


#: Operations whose body is a file the schema can only call text: any problem of the
#: file's own type is a refusal the schema cannot foresee (its header, its rows).
ALLOWED_PROBLEM_TYPES = {"POST /api/v1/directory/import": "invalid_csv"}


#: email-validator refuses special-use domains (.test, .local, .invalid) that JSON
#: Schema's format "email" allows; a lookahead pattern could say so, but no fuzzer or
#: client generator reads one. Allowed on any e-mail field, by this message only.
SPECIAL_USE_DOMAIN = "special-use or reserved name"


def _allowed_error(error: dict[str, str], allowed: set[tuple[str, str]]) -> bool:
    """Whether one field error is a listed refusal (or a special-use e-mail domain)."""
    # A list item's error is named by its place (recurring_days.1): the list names it here.
    parts = re.sub(r"\[\d+\]", "", error["field"]).split(".")
    field = [p for p in parts if not p.isdigit()][-1]
    if field.endswith("email") and SPECIAL_USE_DOMAIN in error["message"]:
        return True
    return (field, error["rule"]) in allowed


def _refusal_allowed(label: str, response: Any) -> bool:
    """Whether a 422 to schema-valid input names only rules listed as beyond the schema."""
    if response.json().get("type", "").endswith("/" + ALLOWED_PROBLEM_TYPES.get(label, "-")):
        return True
    allowed = ALLOWED_REFUSALS.get(label, set())
    errors = response.json().get("errors") or []
    return bool(errors) and all(_allowed_error(error, allowed) for error in errors)


@pytest.fixture
def fuzzed(fresh_database_url: str) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """An app on its own migrated database of this backend, and an all-powerful token.

    The fuzzer's requests commit, so the app gets a throwaway database rather than the
    shared rolled-back one.
    """
    config = Settings(database_url=fresh_database_url, security=fast_security(), _env_file=None)
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
    yield app, {"Authorization": f"Bearer {secret}"}
    app.state.services.engine.dispose()


def _fuzzer(operation: Any, mode: GenerationMode, token: dict[str, str]) -> Callable[[], None]:
    """A Hypothesis test of one operation in one mode, with every default check."""
    label: str = operation.label

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def check(case: Any) -> None:
        # Every default check runs, negative_data_rejection included; schema-valid data
        # may meet only 2xx, 404 (no such object), 409 (taken), or a 422 for a rule
        # listed in ALLOWED_REFUSALS (schemathesis' positive_data_acceptance, narrowed
        # by that list).
        response = case.call_and_validate(
            headers=dict(token), excluded_checks=[positive_data_acceptance]
        )
        if mode is GenerationMode.POSITIVE:
            assert response.status_code not in (400, 422) or _refusal_allowed(label, response), (
                f"schema-valid input refused: {case.as_curl_command()}\n{response.text}"
            )

    return check


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_keeps_its_contract(
    backend: str, fuzzed: tuple[FastAPI, dict[str, str]], mode: GenerationMode
) -> None:
    app, token = fuzzed
    # SCIM is held to RFC 7644 by scim2-tester (tests/scim/test_compliance.py): its
    # operations are documented for people, and answer SCIM errors, not this contract's.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(tag="SCIM 2.0")
    failures: list[str] = []
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) > 20

    for operation in operations:
        check = _fuzzer(operation, mode, token)
        try:
            check()
        except Unsatisfiable:
            # Negative mode: an operation that takes no input has none to break.
            assert mode is GenerationMode.NEGATIVE, operation.label
        except BaseException as exc:  # collect every operation's failure, then report all
            # A flaky failure hides its cause in its sub-exceptions: show them.
            causes = "".join(f"\n  {cause}" for cause in getattr(exc, "exceptions", ()))
            failures.append(f"{operation.label}: {exc}{causes}")
    assert not failures, f"{len(failures)} operations break the contract:\n\n" + "\n\n".join(
        failures
    )
