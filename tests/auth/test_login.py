"""Logging in: passwords, throttling, the TOTP step, session cookies, CSRF and logout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.audit.models import AuditEntry
from stadsvakt.auth.login import LocalPasswordProvider
from stadsvakt.auth.models import User
from stadsvakt.errors import Unauthenticated
from stadsvakt.org.models import Municipality
from tests import factories as f

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def owner(session: Session, tenant: Municipality, services: Services) -> f.TestUser:
    """A system owner account."""
    return f.user(session, tenant, services.passwords)


def _login(client: TestClient, username: str, password: str) -> tuple[int, dict[str, str]]:
    response = client.post(LOGIN, json={"username": username, "password": password})
    return response.status_code, response.json()


def wrong_code(secret: str) -> str:
    """A six-digit code that is not valid for the secret at the moment."""
    totp = pyotp.TOTP(secret)
    now = datetime.now(UTC)
    valid = {totp.at(now + timedelta(seconds=30 * step)) for step in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def test_login_with_the_right_password(client: TestClient, owner: f.TestUser) -> None:
    status, body = _login(client, owner.username, owner.password)
    assert status == 200
    assert body["status"] == "ok"
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["kind"] == "user"


@pytest.mark.parametrize("who", ["wrong password", "unknown user"])
def test_login_refused(client: TestClient, owner: f.TestUser, who: str) -> None:
    username = owner.username if who == "wrong password" else "nobody-here"
    response = client.post(LOGIN, json={"username": username, "password": "not the password"})
    assert response.status_code == 401
    assert response.json()["detail"] == "wrong username or password"
    assert "stadsvakt_session" not in response.cookies


def test_deactivated_account_cannot_log_in(
    client: TestClient,
    session: Session,
    services: Services,
    tenant: Municipality,
    owner: f.TestUser,
) -> None:
    f.user(session, tenant, services.passwords)  # another system owner, so this one may go
    admin = f.owner_bearer(session, tenant)
    response = client.patch(f"/api/v1/users/{owner.id}", headers=admin, json={"active": False})
    assert response.status_code == 200
    assert _login(client, owner.username, owner.password)[0] == 401


def test_throttled_after_repeated_failures(
    client: TestClient,
    services: Services,
    session: Session,
    tenant: Municipality,
    owner: f.TestUser,
) -> None:
    other = f.user(session, tenant, services.passwords)
    limit = services.settings.security.login_max_failures
    for _ in range(limit):
        assert _login(client, owner.username, "wrong password!")[0] == 401
    # From the same address even the right password waits a moment: 429 with Retry-After.
    response = client.post(LOGIN, json={"username": owner.username, "password": owner.password})
    assert response.status_code == 429
    assert "too many" in response.json()["detail"]
    assert response.headers["Retry-After"] == str(response.json()["retry_after"]) == "1"
    # Other accounts are not affected.
    assert _login(client, other.username, other.password)[0] == 200


def test_success_resets_the_failure_count(
    client: TestClient, services: Services, owner: f.TestUser
) -> None:
    limit = services.settings.security.login_max_failures
    for _ in range(limit - 1):
        assert _login(client, owner.username, "wrong password!")[0] == 401
    assert _login(client, owner.username, owner.password)[0] == 200
    for _ in range(limit - 1):
        assert _login(client, owner.username, "wrong password!")[0] == 401
    assert _login(client, owner.username, owner.password)[0] == 200


def test_session_cookie_is_httponly_secure_and_samesite_lax(
    client: TestClient, owner: f.TestUser
) -> None:
    response = client.post(LOGIN, json={"username": owner.username, "password": owner.password})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("stadsvakt_session=")
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= attributes


def test_unsafe_cookie_request_needs_the_csrf_header(client: TestClient, owner: f.TestUser) -> None:
    csrf = f.login(client, owner)
    unit = {"code": "GSF", "name": "Grundskoleförvaltningen", "kind": "department"}
    refused = client.post("/api/v1/org-units", json=unit)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    wrong = client.post("/api/v1/org-units", json=unit, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    assert client.post("/api/v1/org-units", json=unit, headers=csrf).status_code == 201
    # Reads need no CSRF token.
    assert client.get("/api/v1/org-units").status_code == 200


def test_logout_ends_the_session(client: TestClient, owner: f.TestUser) -> None:
    csrf = f.login(client, owner)
    cookie = client.cookies["stadsvakt_session"]
    assert client.post("/api/v1/auth/logout").status_code == 403  # CSRF protects logout too
    assert client.post("/api/v1/auth/logout", headers=csrf).status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    # The old cookie value is dead on the server, not only forgotten by the browser.
    client.cookies.set("stadsvakt_session", cookie, domain="testserver")
    assert client.get("/api/v1/me").status_code == 401


def _require_totp(client: TestClient, admin: dict[str, str], role: str) -> None:
    response = client.patch(f"/api/v1/roles/{role}", headers=admin, json={"require_totp": True})
    assert response.status_code == 200
    assert response.json()["require_totp"] is True


def next_code(secret: str) -> str:
    """The code of the next time step (accepted: one step of clock drift is allowed)."""
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))


def test_login_is_audited_as_the_user_who_logged_in(
    client: TestClient, session: Session, owner: f.TestUser
) -> None:
    assert _login(client, owner.username, owner.password)[0] == 200
    row = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "session.login")
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert row is not None
    assert (row.actor_kind, row.actor_id, row.object_id) == ("user", owner.id, str(owner.id))


def test_role_requiring_totp_forces_enrolment_then_asks_for_codes(
    client: TestClient, session: Session, services: Services, tenant: Municipality
) -> None:
    _require_totp(client, f.owner_bearer(session, tenant), "operator")
    operator = f.user(session, tenant, services.passwords, role="operator")

    status, body = _login(client, operator.username, operator.password)
    assert (status, body["status"]) == (200, "totp_enrollment_required")
    csrf = {"X-CSRF-Token": body["csrf_token"]}
    # Half a login is no login.
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/sites").status_code == 401

    enrolment = client.post("/api/v1/auth/totp/enroll", headers=csrf)
    assert enrolment.status_code == 200
    secret = enrolment.json()["secret"]
    assert enrolment.json()["otpauth_uri"].startswith("otpauth://totp/")

    bad = client.post("/api/v1/auth/totp", headers=csrf, json={"code": wrong_code(secret)})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "code"
    assert client.get("/api/v1/me").status_code == 401

    done = client.post("/api/v1/auth/totp", headers=csrf, json={"code": pyotp.TOTP(secret).now()})
    assert (done.status_code, done.json()["status"]) == (200, "ok")
    assert client.get("/api/v1/sites").status_code == 200
    assert session.scalars(select(User.totp_enabled).where(User.id == operator.id)).one()

    # Next time the enrolled user is asked for a code, and a wrong one is refused.
    client.cookies.clear()
    status, body = _login(client, operator.username, operator.password)
    assert (status, body["status"]) == (200, "totp_required")
    csrf = {"X-CSRF-Token": body["csrf_token"]}
    bad = client.post("/api/v1/auth/totp", headers=csrf, json={"code": wrong_code(secret)})
    assert bad.status_code == 422
    assert client.get("/api/v1/me").status_code == 401
    # The code just used for enrolment is spent; the next time step's code is accepted.
    spent = client.post("/api/v1/auth/totp", headers=csrf, json={"code": pyotp.TOTP(secret).now()})
    assert spent.status_code == 422
    assert spent.json()["errors"][0]["rule"] == "totp_valid"
    done = client.post("/api/v1/auth/totp", headers=csrf, json={"code": next_code(secret)})
    assert done.status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_malformed_totp_code_is_422(
    client: TestClient, session: Session, services: Services, tenant: Municipality
) -> None:
    _require_totp(client, f.owner_bearer(session, tenant), "operator")
    operator = f.user(session, tenant, services.passwords, role="operator")
    body = _login(client, operator.username, operator.password)[1]
    response = client.post(
        "/api/v1/auth/totp", headers={"X-CSRF-Token": body["csrf_token"]}, json={"code": "12ab"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "code"


def test_wrong_totp_codes_are_throttled(
    client: TestClient, session: Session, services: Services, tenant: Municipality
) -> None:
    _require_totp(client, f.owner_bearer(session, tenant), "operator")
    operator = f.user(session, tenant, services.passwords, role="operator")
    csrf = {"X-CSRF-Token": _login(client, operator.username, operator.password)[1]["csrf_token"]}
    secret = client.post("/api/v1/auth/totp/enroll", headers=csrf).json()["secret"]
    for _ in range(services.settings.security.login_max_failures):
        response = client.post("/api/v1/auth/totp", headers=csrf, json={"code": wrong_code(secret)})
        assert response.status_code == 422
    response = client.post(
        "/api/v1/auth/totp", headers=csrf, json={"code": pyotp.TOTP(secret).now()}
    )
    assert response.status_code == 429


@pytest.mark.parametrize("change", ["deactivated", "password changed"])
def test_a_change_made_while_the_password_is_checked_is_honoured(
    session: Session, services: Services, owner: f.TestUser, change: str
) -> None:
    provider = LocalPasswordProvider(services.passwords, services.settings.security)
    attempt = provider.begin(session, owner.username, "198.51.100.7")
    session.commit()
    # Another process changes the account while argon2 works on this attempt.
    values = (
        {"active": False}
        if change == "deactivated"
        else {"password_hash": services.passwords.hash("a brand new password")}
    )
    elsewhere = update(User).where(User.id == owner.id).values(**values)
    session.execute(elsewhere.execution_options(synchronize_session=False))
    result = provider.check(attempt, owner.password)
    assert result.ok
    with pytest.raises(Unauthenticated):
        provider.conclude(session, attempt, result)
