"""Logging in through the web pages: password, the TOTP step and its enrolment, CSRF, logout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import SESSION_COOKIE, Services
from stadsvakt.auth.models import Role, User
from tests import factories as f
from tests.web.conftest import City, csrf_of, log_in


def _code_not_valid_now(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    now = datetime.now(UTC)
    valid = {totp.at(now + timedelta(seconds=30 * step)) for step in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def test_pages_redirect_to_login_with_next(client: TestClient, city: City) -> None:
    response = client.get("/sites?q=skola", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/sites%3Fq%3Dskola"


def test_login_goes_on_to_the_page_asked_for(client: TestClient, owner: f.TestUser) -> None:
    response = log_in(client, owner.username, owner.password, next_path="/sites")
    assert response.status_code == 303
    assert response.headers["location"] == "/sites"
    assert client.get("/sites").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_login_never_redirects_off_site(client: TestClient, owner: f.TestUser, target: str) -> None:
    response = log_in(client, owner.username, owner.password, next_path=target)
    assert response.headers["location"] == "/"


def test_wrong_password_shows_a_message(client: TestClient, owner: f.TestUser) -> None:
    client.headers["Accept-Language"] = "en"
    response = log_in(client, owner.username, "not the password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert SESSION_COOKIE not in response.cookies
    assert f'value="{owner.username}"' in response.text


@pytest.mark.parametrize("username", ["a\x00b", "\x00", "x" * 81])
def test_a_username_no_account_can_have_is_a_wrong_login_not_an_error(
    client: TestClient, owner: f.TestUser, username: str
) -> None:
    client.headers["Accept-Language"] = "en"
    response = log_in(client, username, owner.password)
    assert response.status_code == 401
    assert "Wrong username or password." in response.text


def test_throttling_shows_a_message_not_an_error(
    client: TestClient, owner: f.TestUser, services: Services
) -> None:
    client.headers["Accept-Language"] = "sv"
    for _ in range(services.settings.security.login_max_failures):
        assert log_in(client, owner.username, "not the password").status_code == 401
    response = log_in(client, owner.username, owner.password)
    assert response.status_code == 429
    assert "För många misslyckade försök" in response.text


def test_login_form_without_its_csrf_value_is_refused(
    client: TestClient, owner: f.TestUser
) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": owner.username, "password": owner.password, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies


def _with_totp(session: Session, services: Services, owner: f.TestUser) -> str:
    secret = pyotp.random_base32()
    user = session.get(User, owner.id)
    assert user is not None
    user.totp_secret = services.box.seal(secret)
    user.totp_enabled = True
    session.flush()
    return secret


def test_totp_step_with_right_and_wrong_code(
    client: TestClient, session: Session, services: Services, owner: f.TestUser
) -> None:
    secret = _with_totp(session, services, owner)
    response = log_in(client, owner.username, owner.password, next_path="/sites")
    assert response.headers["location"] == "/login/totp?next=/sites"
    assert client.get("/sites", follow_redirects=False).status_code == 303  # not complete yet

    step = client.get("/login/totp?next=/sites")
    token = csrf_of(step.text)
    wrong = client.post(
        "/login/totp",
        data={"code": _code_not_valid_now(secret), "csrf_token": token, "next": "/sites"},
        follow_redirects=False,
    )
    assert wrong.status_code == 422
    assert 'aria-describedby="f-code-error"' in wrong.text

    right = client.post(
        "/login/totp",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": token, "next": "/sites"},
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert right.headers["location"] == "/sites"
    assert client.get("/sites").status_code == 200


def test_enrolment_shows_the_secret_and_a_code_confirms_it(
    client: TestClient, session: Session, services: Services, owner: f.TestUser, city: City
) -> None:
    role = session.query(Role).filter_by(tenant_id=city.tenant.id, name="system_owner").one()
    role.require_totp = True
    session.flush()
    response = log_in(client, owner.username, owner.password)
    assert response.headers["location"] == "/login/enrol"
    page = client.get("/login/enrol")
    assert "otpauth://totp/" in page.text
    secret = page.text.split('id="totp-secret">', 1)[1].split("<", 1)[0]
    done = client.post(
        "/login/totp",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.expire_all()
    user = session.get(User, owner.id)
    assert user is not None and user.totp_enabled


def test_forms_without_the_session_csrf_token_are_refused(browser: TestClient, city: City) -> None:
    response = browser.post("/org-units", data={"code": "X1", "name": "Ny", "kind": "unit"})
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    page = browser.get("/org-units")
    assert "Ny" not in page.text.split("tree-title", 1)[1].split("new-title", 1)[0]


def test_logout_ends_the_session(browser: TestClient) -> None:
    token = csrf_of(browser.get("/").text.split('action="/logout"', 1)[1])
    response = browser.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/login"
    assert browser.get("/", follow_redirects=False).status_code == 303
