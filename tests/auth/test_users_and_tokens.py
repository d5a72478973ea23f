"""User accounts and API tokens: hashed secrets, scopes, expiry, revocation, no escalation."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.auth.models import ApiToken, User
from stadsvakt.db import utcnow
from stadsvakt.org.models import Municipality
from tests import factories as f


def new_user(**extra: object) -> dict[str, object]:
    """A valid user to create."""
    return {
        "username": "anna.svensson",
        "display_name": "Anna Svensson",
        "password": f.PASSWORD,
        "roles": [{"role": "operator"}],
        **extra,
    }


def test_passwords_are_stored_as_argon2id(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    response = client.post("/api/v1/users", headers=admin, json=new_user())
    assert response.status_code == 201, response.text
    assert "password" not in response.text
    stored = session.scalars(select(User.password_hash).where(User.username == "anna.svensson"))
    digest = stored.one()
    assert digest is not None and digest.startswith("$argon2id$")
    assert f.PASSWORD not in digest


@pytest.mark.parametrize("password", ["short", "aaaaaaaaaaaaaaaa", "abababababababab"])
def test_weak_password_is_refused_naming_field_and_rule(
    client: TestClient, admin: dict[str, str], password: str
) -> None:
    response = client.post("/api/v1/users", headers=admin, json=new_user(password=password))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "password", "rule": "password_strength", "message": response.json()["detail"]}
    ]


def test_duplicate_username_is_409(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post("/api/v1/users", headers=admin, json=new_user()).status_code == 201
    assert client.post("/api/v1/users", headers=admin, json=new_user()).status_code == 409


def test_unknown_role_is_422(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/users", headers=admin, json=new_user(roles=[{"role": "emperor"}])
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "roles.role"


def test_unit_scoped_role_needs_a_unit(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/users", headers=admin, json=new_user(roles=[{"role": "department_admin"}])
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "required_for_unit_scoped_role"


def test_token_is_shown_once_and_stored_as_sha256(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/tokens", headers=admin, json={"name": "dörr", "scopes": ["site.read"]}
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("svt_") and len(secret) > 40
    row = session.get(ApiToken, uuid.UUID(created.json()["id"]))
    assert row is not None
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
    assert not any(secret in value for value in stored)
    listed = client.get("/api/v1/tokens", headers=admin)
    assert listed.status_code == 200
    assert secret not in listed.text
    assert all("token" not in item for item in listed.json())
    # And the shown secret works.
    assert client.get("/api/v1/sites", headers=f.bearer(secret)).status_code == 200


def test_token_acts_only_within_its_scopes(
    client: TestClient, session: Session, tenant: Municipality
) -> None:
    reader = f.bearer(f.token(session, tenant, "site.read"))
    assert client.get("/api/v1/sites", headers=reader).status_code == 200
    assert client.get("/api/v1/org-units", headers=reader).status_code == 403
    assert client.get("/api/v1/users", headers=reader).status_code == 403
    site = {"code": "X", "name": "X", "street": "Gatan 1", "postal_code": "21134", "city": "By",
            "latitude": 55.0, "longitude": 13.0}  # fmt: skip
    assert client.post("/api/v1/sites", headers=reader, json=site).status_code == 403


def test_expired_token_is_401(client: TestClient, session: Session, tenant: Municipality) -> None:
    secret = f.token(session, tenant, "site.read")
    assert client.get("/api/v1/sites", headers=f.bearer(secret)).status_code == 200
    session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == hashlib.sha256(secret.encode()).hexdigest())
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    response = client.get("/api/v1/sites", headers=f.bearer(secret))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_revoked_token_is_401(
    client: TestClient, admin: dict[str, str], session: Session, tenant: Municipality
) -> None:
    secret = f.token(session, tenant, "site.read")
    digest = hashlib.sha256(secret.encode()).hexdigest()
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    assert row is not None
    revoked = client.delete(f"/api/v1/tokens/{row.id}", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/sites", headers=f.bearer(secret)).status_code == 401
    # Revoking twice is harmless.
    assert client.delete(f"/api/v1/tokens/{row.id}", headers=admin).status_code == 200


def test_token_cannot_hand_out_scopes_it_lacks(
    client: TestClient, session: Session, tenant: Municipality
) -> None:
    maker = f.bearer(f.token(session, tenant, "token.write", "site.read"))
    ok = client.post("/api/v1/tokens", headers=maker, json={"name": "a", "scopes": ["site.read"]})
    assert ok.status_code == 201
    refused = client.post(
        "/api/v1/tokens", headers=maker, json={"name": "b", "scopes": ["site.read", "site.write"]}
    )
    assert refused.status_code == 403
    assert "site.write" in refused.json()["detail"]


def _grant(client: TestClient, admin: dict[str, str], role: str, *extra: str) -> None:
    roles = client.get("/api/v1/roles", headers=admin).json()
    current = next(r["permissions"] for r in roles if r["name"] == role)
    response = client.patch(
        f"/api/v1/roles/{role}", headers=admin, json={"permissions": [*current, *extra]}
    )
    assert response.status_code == 200, response.text


def test_user_cannot_create_a_token_with_scopes_they_lack(
    client: TestClient,
    session: Session,
    services: Services,
    tenant: Municipality,
    admin: dict[str, str],
) -> None:
    _grant(client, admin, "auditor", "token.write")
    auditor = f.user(session, tenant, services.passwords, role="auditor")
    csrf = f.login(client, auditor)
    refused = client.post(
        "/api/v1/tokens", headers=csrf, json={"name": "x", "scopes": ["site.write"]}
    )
    assert refused.status_code == 403
    ok = client.post("/api/v1/tokens", headers=csrf, json={"name": "x", "scopes": ["site.read"]})
    assert ok.status_code == 201


def test_unit_scoped_user_cannot_create_municipality_wide_tokens(
    client: TestClient,
    session: Session,
    services: Services,
    tenant: Municipality,
    admin: dict[str, str],
) -> None:
    _grant(client, admin, "department_admin", "token.write")
    department = f.unit(session, tenant)
    dept_admin = f.user(
        session, tenant, services.passwords, role="department_admin", unit=department
    )
    csrf = f.login(client, dept_admin)
    response = client.post(
        "/api/v1/tokens", headers=csrf, json={"name": "x", "scopes": ["site.read"]}
    )
    assert response.status_code == 403


def test_user_cannot_give_a_role_with_permissions_they_lack(
    client: TestClient,
    session: Session,
    services: Services,
    tenant: Municipality,
    admin: dict[str, str],
) -> None:
    _grant(client, admin, "shift_leader", "user.write")
    leader = f.user(session, tenant, services.passwords, role="shift_leader")
    csrf = f.login(client, leader)
    refused = client.post(
        "/api/v1/users", headers=csrf, json=new_user(roles=[{"role": "system_owner"}])
    )
    assert refused.status_code == 403
    assert session.scalars(select(User).where(User.username == "anna.svensson")).first() is None
    ok = client.post("/api/v1/users", headers=csrf, json=new_user(roles=[{"role": "operator"}]))
    assert ok.status_code == 201
    # Nor raise an existing account (or themselves) to it.
    escalate = client.patch(
        f"/api/v1/users/{leader.id}", headers=csrf, json={"roles": [{"role": "system_owner"}]}
    )
    assert escalate.status_code == 403


def test_role_permissions_must_be_known(client: TestClient, admin: dict[str, str]) -> None:
    response = client.patch(
        "/api/v1/roles/operator", headers=admin, json={"permissions": ["site.read", "nuke.all"]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "permissions",
        "rule": "known_permission",
        "message": response.json()["detail"],
    }


def test_unknown_role_name_is_404(client: TestClient, admin: dict[str, str]) -> None:
    response = client.patch("/api/v1/roles/emperor", headers=admin, json={"require_totp": True})
    assert response.status_code == 404


def test_user_cannot_deactivate_themselves(
    client: TestClient, session: Session, services: Services, tenant: Municipality
) -> None:
    owner = f.user(session, tenant, services.passwords)
    csrf = f.login(client, owner)
    response = client.patch(f"/api/v1/users/{owner.id}", headers=csrf, json={"active": False})
    assert response.status_code == 403
