"""A municipality keeps an active system owner: no API call deactivates the last one,
takes the role from them or strips the role itself, not even two owners at once; the
CLI still lets an operator with database access back in."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from stadsvakt.api.deps import Services
from stadsvakt.app import build_services, create_app
from stadsvakt.audit.models import AuditEntry
from stadsvakt.auth.models import Role, User
from stadsvakt.auth.permissions import PERMISSIONS
from stadsvakt.auth.schemas import UserUpdate
from stadsvakt.auth.service import SystemOwnerConflict, actor_for_user, update_user
from stadsvakt.cli import app as cli_app
from stadsvakt.context import acting_as
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.org.models import Municipality
from stadsvakt.settings import Settings
from tests import factories as f
from tests.conftest import fast_security
from tests.waiting import wait_until


@pytest.fixture
def owner(session: Session, tenant: Municipality, services: Services) -> f.TestUser:
    """The municipality's only system owner."""
    return f.user(session, tenant, services.passwords)


def _patch_user(
    client: TestClient, headers: dict[str, str], who: f.TestUser, **changes: object
) -> tuple[int, dict[str, object]]:
    response = client.patch(f"/api/v1/users/{who.id}", headers=headers, json=changes)
    return response.status_code, response.json()


def _refused_as_last_owner(status: int, body: dict[str, object], field: str) -> None:
    assert status == 409, body
    assert body["type"] == "https://stadsvakt.se/problems/system_owner_required"
    assert body["errors"] == [
        {"field": field, "rule": "last_system_owner", "message": body["detail"]}
    ]
    assert "last active system owner" in str(body["detail"])


def _is_active(session: Session, who: f.TestUser) -> bool:
    session.expire_all()
    return bool(session.scalars(select(User.active).where(User.id == who.id)).one())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"active": False}, "active"),
        ({"roles": [{"role": "operator"}]}, "roles"),
        ({"roles": []}, "roles"),
        ({"roles": [{"role": "auditor"}], "active": False}, "active"),
    ],
)
def test_the_last_system_owner_cannot_be_deactivated_or_stripped(
    client: TestClient,
    session: Session,
    admin: dict[str, str],
    owner: f.TestUser,
    changes: dict[str, object],
    field: str,
) -> None:
    status, body = _patch_user(client, admin, owner, **changes)
    _refused_as_last_owner(status, body, field)
    assert _is_active(session, owner)
    roles = client.get(f"/api/v1/users/{owner.id}", headers=admin).json()["roles"]
    assert roles == [{"role": "system_owner", "org_unit_id": None}]
    audited = select(AuditEntry).where(
        AuditEntry.action == "user.update", AuditEntry.object_id == str(owner.id)
    )
    assert session.scalars(audited).first() is None


def test_limiting_the_last_owner_to_a_unit_takes_the_role_away(
    client: TestClient,
    session: Session,
    tenant: Municipality,
    admin: dict[str, str],
    owner: f.TestUser,
) -> None:
    unit = f.unit(session, tenant)
    limited = [{"role": "system_owner", "org_unit_id": str(unit.id)}]
    _refused_as_last_owner(*_patch_user(client, admin, owner, roles=limited), "roles")


def test_another_active_owner_lets_the_change_through_once(
    client: TestClient,
    session: Session,
    services: Services,
    tenant: Municipality,
    admin: dict[str, str],
    owner: f.TestUser,
) -> None:
    second = f.user(session, tenant, services.passwords)
    assert _patch_user(client, admin, owner, active=False)[0] == 200
    _refused_as_last_owner(*_patch_user(client, admin, second, active=False), "active")
    # Giving the owner back their account is always allowed; then the second may go.
    assert _patch_user(client, admin, owner, active=True)[0] == 200
    status, body = _patch_user(client, admin, second, roles=[{"role": "auditor"}])
    assert (status, body["roles"]) == (200, [{"role": "auditor", "org_unit_id": None}])


def test_owners_that_do_not_count(
    client: TestClient,
    session: Session,
    services: Services,
    tenant: Municipality,
    admin: dict[str, str],
    owner: f.TestUser,
) -> None:
    """An inactive owner, an owner limited to a unit and another municipality's owner
    cannot take over: the change is still refused."""
    inactive = f.user(session, tenant, services.passwords)
    assert _patch_user(client, admin, inactive, active=False)[0] == 200
    f.user(session, tenant, services.passwords, unit=f.unit(session, tenant))
    f.user(session, f.municipality(session), services.passwords)
    _refused_as_last_owner(*_patch_user(client, admin, owner, active=False), "active")


def test_other_changes_to_the_last_owner_and_to_others_go_through(
    client: TestClient,
    session: Session,
    services: Services,
    tenant: Municipality,
    admin: dict[str, str],
    owner: f.TestUser,
) -> None:
    status, body = _patch_user(
        client,
        admin,
        owner,
        display_name="Ägaren",
        roles=[{"role": "system_owner"}, {"role": "auditor"}],
    )
    assert (status, body["display_name"]) == (200, "Ägaren")
    operator = f.user(session, tenant, services.passwords, role="operator")
    assert _patch_user(client, admin, operator, active=False)[0] == 200


def test_an_owner_cannot_strip_their_own_role_when_they_are_the_last(
    client: TestClient, owner: f.TestUser
) -> None:
    csrf = f.login(client, owner)
    status, body = _patch_user(client, csrf, owner, roles=[{"role": "operator"}])
    _refused_as_last_owner(status, body, "roles")
    assert client.get("/api/v1/me").json()["permissions"].keys() >= {"user.write", "role.write"}


def test_the_system_owner_role_keeps_its_permissions(
    client: TestClient, session: Session, tenant: Municipality, admin: dict[str, str]
) -> None:
    for permissions in ([], ["site.read"], sorted(set(PERMISSIONS) - {"user.write"})):
        response = client.patch(
            "/api/v1/roles/system_owner", headers=admin, json={"permissions": permissions}
        )
        assert response.status_code == 409, response.text
        assert response.json()["errors"][0]["field"] == "permissions"
        assert response.json()["errors"][0]["rule"] == "system_owner_keeps_permissions"
    role = session.scalars(
        select(Role).where(Role.tenant_id == tenant.id, Role.name == "system_owner")
    ).one()
    session.refresh(role)
    assert set(role.permissions) == set(PERMISSIONS)
    # What takes nothing away still works.
    same = client.patch(
        "/api/v1/roles/system_owner",
        headers=admin,
        json={"permissions": sorted(PERMISSIONS), "require_totp": True},
    )
    assert (same.status_code, same.json()["require_totp"]) == (200, True)


def test_a_role_cannot_be_given_permissions_its_editor_lacks(
    client: TestClient,
    session: Session,
    services: Services,
    tenant: Municipality,
    admin: dict[str, str],
) -> None:
    granted = client.patch(
        "/api/v1/roles/shift_leader",
        headers=admin,
        json={"permissions": ["org.read", "role.read", "role.write"]},
    )
    assert granted.status_code == 200
    leader = f.user(session, tenant, services.passwords, role="shift_leader")
    csrf = f.login(client, leader)
    escalate = client.patch(
        "/api/v1/roles/shift_leader",
        headers=csrf,
        json={"permissions": ["org.read", "role.read", "role.write", "user.write"]},
    )
    assert escalate.status_code == 403
    assert "user.write" in escalate.json()["detail"]
    # Taking away, or keeping what the editor holds, is theirs to do.
    narrowed = client.patch(
        "/api/v1/roles/shift_leader",
        headers=csrf,
        json={"permissions": ["role.read", "role.write"]},
    )
    assert narrowed.status_code == 200


def _waiting_for_a_lock(engine: Engine) -> bool:
    """Whether a PostgreSQL transaction is waiting for an advisory lock."""
    with engine.connect() as conn:
        waiting: int = conn.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        ).scalar_one()
    return waiting > 0


def test_two_owners_deactivating_each_other_at_once_leave_one(
    fresh_database_url: str, backend: str
) -> None:
    settings = Settings(database_url=fresh_database_url, security=fast_security(), _env_file=None)
    services = build_services(settings)
    try:
        upgrade(settings, services.engine)
        with unit_of_work(services.session_factory) as setup:
            tenant = f.municipality(setup)
            first = f.user(setup, tenant, services.passwords)
            second = f.user(setup, tenant, services.passwords)
            actors = {
                who.id: actor_for_user(setup.get_one(User, who.id)) for who in (first, second)
            }
        errors: list[Exception] = []

        def deactivate(by: uuid.UUID, target: uuid.UUID) -> None:
            actor = actors[by]
            try:
                with acting_as(actor), unit_of_work(services.session_factory) as session:
                    update_user(session, actor, target, UserUpdate(active=False))
            except SystemOwnerConflict as exc:
                errors.append(exc)

        # The first owner's change is made and not yet committed when the second's starts.
        with acting_as(actors[first.id]), unit_of_work(services.session_factory) as session:
            update_user(session, actors[first.id], second.id, UserUpdate(active=False))
            racer = threading.Thread(target=deactivate, args=(second.id, first.id))
            racer.start()
            if backend == "postgresql":
                wait_until(
                    lambda: _waiting_for_a_lock(services.engine),
                    "the second owner's change to wait for the first's",
                )
        racer.join()
        assert len(errors) == 1
        with services.session_factory() as session:
            active = session.scalars(
                select(User.id).where(User.id.in_([first.id, second.id]), User.active)
            ).all()
        assert active == [first.id]
    finally:
        services.engine.dispose()


def test_the_cli_still_lets_an_operator_back_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The last owner's password is lost: an operator with database access creates a new
    system owner, who may then deactivate the old account."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'var' / 'cli.db'}"
    runner = CliRunner(
        env={
            "STADSVAKT_DATABASE_URL": url,
            "STADSVAKT_SECURITY__ARGON2_TIME_COST": "1",
            "STADSVAKT_SECURITY__ARGON2_MEMORY_KIB": "1024",
        }
    )
    assert runner.invoke(cli_app, ["db", "upgrade"]).exit_code == 0
    made = runner.invoke(cli_app, ["municipality", "create", "--name", "Sundby", "--code", "1299"])
    assert made.exit_code == 0, made.output
    for name in ("gammal", "ny"):
        created = runner.invoke(
            cli_app,
            ["user", "create", "--username", name, "--name", name.title(), "--password-stdin"],
            input=f.PASSWORD + "\n",
        )
        assert created.exit_code == 0, created.output
    settings = Settings(database_url=url, security=fast_security(), _env_file=None)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        csrf = client.post(
            "/api/v1/auth/login", json={"username": "ny", "password": f.PASSWORD}
        ).json()["csrf_token"]
        users = {u["username"]: u["id"] for u in client.get("/api/v1/users").json()}
        old = client.patch(
            f"/api/v1/users/{users['gammal']}",
            headers={"X-CSRF-Token": csrf},
            json={"active": False},
        )
        assert old.status_code == 200
        client.app.state.services.engine.dispose()  # type: ignore[attr-defined]
