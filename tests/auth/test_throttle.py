"""Login throttling by address, by account and by pair, with backoff instead of a lock-out;
and the bounded pool that every password hash runs in."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.app import bind_services, build_services, create_app
from stadsvakt.auth.models import LoginAttempt
from stadsvakt.auth.passwords import HashingBusy, Passwords
from stadsvakt.auth.throttle import Throttle, backoff_seconds, client_key
from stadsvakt.db import create_db_engine, unit_of_work, utcnow
from stadsvakt.migrate import upgrade
from stadsvakt.org.models import Municipality
from stadsvakt.settings import SecuritySettings, Settings
from tests import factories as f
from tests.auth.hashing import FakeClock, GatedHasher
from tests.conftest import fast_security
from tests.waiting import wait_until

LOGIN = "/api/v1/auth/login"
ATTACKER, DESK, ELSEWHERE = "203.0.113.66", "198.51.100.10", "192.0.2.44"
WRONG = "not the password at all"

Connect = Callable[[str], TestClient]


@pytest.fixture
def clock() -> FakeClock:
    """The time login backoff sees; it moves only when a test moves it."""
    return FakeClock()


@pytest.fixture
def services(services: Services, clock: FakeClock) -> Services:
    """The app's services, with the test's clock."""
    return replace(services, clock=clock)


@pytest.fixture
def owner(session: Session, tenant: Municipality, services: Services) -> f.TestUser:
    """A system owner account."""
    return f.user(session, tenant, services.passwords)


@pytest.fixture
def connect(app: FastAPI) -> Iterator[Connect]:
    """Clients that connect from the address given."""
    opened: list[TestClient] = []

    def client_from(host: str) -> TestClient:
        client = TestClient(app, base_url="https://testserver", client=(host, 50000))
        opened.append(client)
        return client

    yield client_from
    for client in opened:
        client.close()


def _login(client: TestClient, username: str, password: str) -> Response:
    return client.post(LOGIN, json={"username": username, "password": password})


def _retry_after(response: Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    seconds = int(response.headers["Retry-After"])
    assert response.json()["retry_after"] == seconds >= 1
    return seconds


def _security(services: Services) -> SecuritySettings:
    return services.settings.security


def test_password_spraying_from_one_address_is_slowed_down(
    connect: Connect, session: Session, tenant: Municipality, services: Services
) -> None:
    users = [f.user(session, tenant, services.passwords, role="operator") for _ in range(30)]
    attacker = connect(ATTACKER)
    statuses = [
        _login(attacker, user.username, f"{WRONG} {guess}").status_code
        for guess in range(3)
        for user in users
    ]
    allowed = _security(services).login_address_max_failures
    assert statuses[:allowed] == [401] * allowed
    assert set(statuses[allowed:]) == {429}
    # Even a right password from there waits; the same account from elsewhere does not.
    _retry_after(_login(attacker, users[-1].username, users[-1].password))
    assert _login(connect(ELSEWHERE), users[-1].username, users[-1].password).status_code == 200


def test_the_wait_doubles_with_each_failure(
    connect: Connect, clock: FakeClock, owner: f.TestUser, services: Services
) -> None:
    guesser = connect(ATTACKER)
    for _ in range(_security(services).login_max_failures):
        assert _login(guesser, owner.username, WRONG).status_code == 401
    waits = []
    for _ in range(5):
        wait = _retry_after(_login(guesser, owner.username, WRONG))
        waits.append(wait)
        clock.advance(wait - 0.5)
        _retry_after(_login(guesser, owner.username, owner.password))
        clock.advance(0.5)
        assert _login(guesser, owner.username, WRONG).status_code == 401
    assert waits == [1, 2, 4, 8, 16]


def test_the_owner_gets_in_after_a_short_backoff(
    connect: Connect, clock: FakeClock, owner: f.TestUser, services: Services
) -> None:
    desk = connect(DESK)
    allowed = _security(services).login_max_failures
    for _ in range(allowed):
        assert _login(desk, owner.username, WRONG).status_code == 401
    assert _retry_after(_login(desk, owner.username, owner.password)) == 1
    clock.advance(1)
    assert _login(desk, owner.username, owner.password).status_code == 200
    # Logging in forgave this address its failures on the account: a typo costs nothing.
    for _ in range(allowed - 1):
        assert _login(desk, owner.username, WRONG).status_code == 401
    assert _login(desk, owner.username, owner.password).status_code == 200


def test_a_guesser_elsewhere_does_not_keep_the_owner_out(
    connect: Connect, owner: f.TestUser, services: Services
) -> None:
    guesser = connect(ATTACKER)
    statuses = [_login(guesser, owner.username, f"{WRONG} {n}").status_code for n in range(30)]
    assert statuses.count(401) == _security(services).login_max_failures
    assert set(statuses) == {401, 429}
    assert _login(connect(DESK), owner.username, owner.password).status_code == 200


def test_many_addresses_slow_an_account_briefly_but_never_at_its_known_address(
    connect: Connect, clock: FakeClock, owner: f.TestUser, services: Services
) -> None:
    security = _security(services)
    desk = connect(DESK)
    assert _login(desk, owner.username, owner.password).status_code == 200
    # A botnet: one guess from each of many addresses.
    for n in range(security.login_account_max_failures + 6):
        clock.advance(security.login_account_backoff_max_seconds)
        guesser = connect(f"203.0.113.{n + 1}")
        assert _login(guesser, owner.username, f"{WRONG} {n}").status_code == 401
    # A new address waits for the account's backoff, which stays short...
    wait = _retry_after(_login(connect(ELSEWHERE), owner.username, owner.password))
    assert wait <= security.login_account_backoff_max_seconds
    # ...and the address the owner logs in from does not wait at all.
    assert _login(desk, owner.username, owner.password).status_code == 200
    clock.advance(wait)
    assert _login(connect(ELSEWHERE), owner.username, owner.password).status_code == 200


def test_addresses_of_one_ipv6_network_count_together(
    connect: Connect, owner: f.TestUser, services: Services
) -> None:
    for n in range(_security(services).login_max_failures):
        guesser = connect(f"2001:db8:5:7::{n + 1:x}")
        assert _login(guesser, owner.username, WRONG).status_code == 401
    _retry_after(_login(connect("2001:db8:5:7:ffff::9"), owner.username, owner.password))
    assert _login(connect("2001:db8:5:8::1"), owner.username, owner.password).status_code == 200


def test_failures_are_forgotten_after_the_window(
    connect: Connect, clock: FakeClock, owner: f.TestUser, services: Services
) -> None:
    guesser = connect(ATTACKER)
    allowed = _security(services).login_max_failures
    for _ in range(allowed):
        assert _login(guesser, owner.username, WRONG).status_code == 401
    clock.advance(_security(services).login_window_minutes * 60 + 1)
    for _ in range(allowed):
        assert _login(guesser, owner.username, WRONG).status_code == 401


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::", "2001:db8:1:2::/64"),
        (None, "unknown"),
        ("", "unknown"),
        ("testclient", "testclient"),
        ("x" * 300, "x" * 64),
    ],
)
def test_client_key(host: str | None, key: str) -> None:
    assert client_key(host) == key


@hypothesis_settings(max_examples=200)
@given(failures=st.integers(0, 10_000), allowed=st.integers(1, 100), cap=st.integers(1, 24 * 3600))
def test_backoff_grows_from_one_second_to_the_cap(failures: int, allowed: int, cap: int) -> None:
    wait = backoff_seconds(failures, allowed, cap)
    if failures < allowed:
        assert wait == 0
    else:
        assert min(1, cap) <= wait <= cap
        assert backoff_seconds(failures + 1, allowed, cap) in (cap, 2 * wait)


def _gated(services: Services, workers: int, queue: int) -> tuple[Passwords, GatedHasher]:
    gated = GatedHasher()
    security = _security(services).model_copy(
        update={"password_hash_workers": workers, "password_hash_queue": queue}
    )
    return Passwords(security, hasher=gated), gated


def _in_threads(
    count: int, work: Callable[[], object]
) -> tuple[list[object], list[threading.Thread]]:
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(work())) for _ in range(count)]
    for thread in threads:
        thread.start()
    return results, threads


def test_the_pool_never_runs_more_hashes_than_its_workers(services: Services) -> None:
    passwords, gated = _gated(services, workers=2, queue=3)
    stored = passwords.hash("correct horse battery")
    results, threads = _in_threads(5, lambda: passwords.verify(stored, "correct horse battery"))
    try:
        wait_until(lambda: passwords.pool.in_use == 5 and gated.running == 2, "a full pool")
        # Workers and queue are full: the next caller is turned away at once.
        with pytest.raises(HashingBusy):
            passwords.verify(stored, "correct horse battery")
    finally:
        gated.gate.set()
        for thread in threads:
            thread.join()
    assert results == [True] * 5
    assert gated.most == 2
    # The hashing threads yield the CPU to everything else (receivers above all).
    assert min(gated.niceness) > os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_login_beyond_the_queue_gets_503_at_once_and_does_not_count(
    app: FastAPI,
    connect: Connect,
    services: Services,
    session: Session,
    owner: f.TestUser,
) -> None:
    passwords, gated = _gated(services, workers=1, queue=0)
    bind_services(app, replace(services, passwords=passwords))
    stored = passwords.hash("a password held in the pool")
    _, threads = _in_threads(1, lambda: passwords.verify(stored, "a password held in the pool"))
    try:
        wait_until(lambda: gated.running == 1, "the only hashing thread to be busy")
        busy = _login(connect(DESK), owner.username, owner.password)
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "1"
        assert busy.json()["type"].endswith("/busy")
        attempts = select(func.count()).where(LoginAttempt.username == owner.username)
        assert session.scalar(attempts) == 0
    finally:
        gated.gate.set()
        for thread in threads:
            thread.join()
    assert _login(connect(DESK), owner.username, owner.password).status_code == 200


def test_a_burst_of_guesses_counts_in_full_and_holds_no_lock_while_hashing(
    fresh_database_url: str,
) -> None:
    settings = Settings(database_url=fresh_database_url, security=fast_security(), _env_file=None)
    engine = create_db_engine(settings)
    upgrade(settings, engine)
    engine.dispose()
    services = build_services(settings)
    passwords, gated = _gated(services, workers=2, queue=16)
    services = replace(services, passwords=passwords)
    with unit_of_work(services.session_factory) as session:
        victim = f.user(session, f.municipality(session), passwords)
    allowed = settings.security.login_max_failures
    burst = allowed + 3
    try:
        with TestClient(create_app(settings, services), base_url="https://testserver") as client:
            results, threads = _in_threads(
                burst, lambda: _login(client, victim.username, WRONG).status_code
            )
            try:
                wait_until(
                    lambda: len(results) == burst - allowed and passwords.pool.in_use == allowed,
                    "the guesses beyond the allowance to be refused while the rest hash",
                )
                # While argon2 works, nobody waits for the database (alarms need SQLite's
                # write lock): a write that refuses to wait goes through.
                with unit_of_work(services.session_factory, wait=False) as other:
                    other.add(LoginAttempt(username="probe", client="probe", at=utcnow()))
            finally:
                gated.gate.set()
                for thread in threads:
                    thread.join()
        assert sorted(results) == [401] * allowed + [429] * (burst - allowed)  # type: ignore[type-var]
    finally:
        services.engine.dispose()


def test_a_refused_attempt_waits_for_no_lock(fresh_database_url: str) -> None:
    """Attempts in backoff are refused by reading alone: while another transaction holds
    the write lock (SQLite) or the address's turn (PostgreSQL), they are still answered."""
    settings = Settings(database_url=fresh_database_url, security=fast_security(), _env_file=None)
    services = build_services(settings)
    try:
        upgrade(settings, services.engine)
        with unit_of_work(services.session_factory) as session:
            victim = f.user(session, f.municipality(session), services.passwords)
        with TestClient(create_app(settings, services), base_url="https://testserver") as client:
            for _ in range(settings.security.login_max_failures):
                assert _login(client, victim.username, WRONG).status_code == 401
            answers: list[Response] = []
            threads: list[threading.Thread] = []
            try:
                with unit_of_work(services.session_factory) as holder:
                    holder.execute(select(1))  # SQLite: the write lock, from the first statement
                    Throttle(settings.security).take_turns(holder, victim.username, "testclient")
                    _, threads = _in_threads(
                        1, lambda: answers.append(_login(client, victim.username, victim.password))
                    )
                    wait_until(lambda: bool(answers), "the refused attempt to be answered")
            finally:
                for thread in threads:
                    thread.join()
        _retry_after(answers[0])
    finally:
        services.engine.dispose()
