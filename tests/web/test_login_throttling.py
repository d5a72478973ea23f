"""The login form under throttling: how long to wait, in the reader's language, and a
plain message (not an error page) when every password-hashing thread is busy."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from stadsvakt.api.deps import Services
from stadsvakt.app import bind_services
from stadsvakt.auth.passwords import Passwords
from tests import factories as f
from tests.auth.hashing import FakeClock, GatedHasher
from tests.waiting import wait_until
from tests.web.conftest import log_in

WRONG = "not the password at all"


@pytest.fixture
def clock() -> FakeClock:
    """The time login backoff sees; it moves only when a test moves it."""
    return FakeClock()


@pytest.fixture
def services(services: Services, clock: FakeClock) -> Services:
    """The app's services, with the test's clock."""
    return replace(services, clock=clock)


def test_the_form_says_how_many_seconds_to_wait(
    client: TestClient, owner: f.TestUser, services: Services
) -> None:
    client.headers["Accept-Language"] = "sv"
    for _ in range(services.settings.security.login_max_failures):
        assert log_in(client, owner.username, WRONG).status_code == 401
    response = log_in(client, owner.username, owner.password)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert "För många misslyckade försök. Vänta 1 sekund och försök igen." in response.text
    assert f'value="{owner.username}"' in response.text


def test_a_long_wait_is_given_in_minutes(
    client: TestClient, owner: f.TestUser, services: Services, clock: FakeClock
) -> None:
    client.headers["Accept-Language"] = "en"
    for _ in range(services.settings.security.login_max_failures):
        assert log_in(client, owner.username, WRONG).status_code == 401
    waited: list[int] = []
    while not waited or waited[-1] < 120:
        refused = log_in(client, owner.username, WRONG)
        assert refused.status_code == 429
        waited.append(int(refused.headers["Retry-After"]))
        clock.advance(waited[-1])
        assert log_in(client, owner.username, WRONG).status_code == 401
    refused = log_in(client, owner.username, owner.password)
    minutes = -(-int(refused.headers["Retry-After"]) // 60)
    assert f"Too many failed attempts. Wait {minutes} minutes and try again." in refused.text
    clock.advance(int(refused.headers["Retry-After"]))
    assert log_in(client, owner.username, owner.password).status_code == 303


def test_a_busy_pool_gets_a_message_to_try_again(
    app: FastAPI, client: TestClient, owner: f.TestUser, services: Services
) -> None:
    gated = GatedHasher()
    security = services.settings.security.model_copy(
        update={"password_hash_workers": 1, "password_hash_queue": 0}
    )
    passwords = Passwords(security, hasher=gated)
    bind_services(app, replace(services, passwords=passwords))
    stored = passwords.hash("a password held in the pool")
    holder = threading.Thread(target=passwords.verify, args=(stored, "a password held"))
    holder.start()
    try:
        wait_until(lambda: gated.running == 1, "the only hashing thread to be busy")
        client.headers["Accept-Language"] = "sv"
        response = log_in(client, owner.username, owner.password)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert "Många loggar in just nu. Försök igen om en stund." in response.text
    finally:
        gated.gate.set()
        holder.join()
    assert log_in(client, owner.username, owner.password).status_code == 303
