"""The audit trail: one row per change through the API, append-only in the database,
and one unbroken chain even with concurrent writers."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.audit.chain import ROTATE_ACTION
from stadsvakt.audit.models import AuditEntry
from stadsvakt.audit.service import record, verify
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import create_db_engine, create_session_factory, unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import AuditSettings, Settings
from tests import factories as f
from tests.conftest import fast_security

V1 = "/api/v1"


def _new_rows(session: Session, after_seq: int) -> list[AuditEntry]:
    session.expire_all()
    stmt = select(AuditEntry).where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq)
    return list(session.scalars(stmt))


def _last_seq(session: Session) -> int:
    return session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)) or 0


def _body(kind: str, parent: str) -> dict[str, Any]:
    if kind == "org-units":
        return {"code": "K1", "name": "Konsthallen", "parent_id": parent}
    return {
        "code": "K1",
        "name": "Konsthallen",
        "org_unit_id": parent,
        "street": "S:t Johannesgatan 7",
        "postal_code": "205 80",
        "city": "Sundby",
        "latitude": 55.59,
        "longitude": 13.01,
    }


@pytest.mark.parametrize("kind", ["org-units", "sites"])
def test_each_change_through_the_api_writes_one_row(
    client: TestClient, session: Session, services: Services, kind: str
) -> None:
    tenant = f.municipality(session)
    department = f.unit(session, tenant, name="Kulturförvaltningen")
    owner = f.user(session, tenant, services.passwords)
    csrf = f.login(client, owner)
    object_type = kind.removesuffix("s").replace("-", "_")

    def change(method: str, path: str, request_id: str, **body: Any) -> AuditEntry:
        before = _last_seq(session)
        headers = {**csrf, "X-Request-ID": request_id}
        response = client.request(method, path, headers=headers, json=body or None)
        assert response.status_code < 300, response.text
        rows = _new_rows(session, before)
        assert len(rows) == 1, [r.action for r in rows]
        row = rows[0]
        assert row.request_id == response.headers["x-request-id"] == request_id
        assert row.actor_kind == "user"
        assert row.actor_id == owner.id
        assert row.actor_name.startswith("Användare")
        assert row.tenant_id == tenant.id
        assert row.object_type == object_type
        return row

    created = change("POST", f"{V1}/{kind}", "req-create-0001", **_body(kind, str(department.id)))
    assert created.action == f"{object_type}.create"
    assert created.before is None
    after = json.loads(created.after or "{}")
    assert after["name"] == "Konsthallen"
    object_id = after["id"]
    assert created.object_id == object_id
    assert created.object_text == "Konsthallen"

    updated = change("PATCH", f"{V1}/{kind}/{object_id}", "req-update-0002", name="Kulturhuset")
    assert updated.action == f"{object_type}.update"
    assert json.loads(updated.before or "{}")["name"] == "Konsthallen"
    assert json.loads(updated.after or "{}")["name"] == "Kulturhuset"

    deleted = change("DELETE", f"{V1}/{kind}/{object_id}", "req-delete-0003")
    assert deleted.action == f"{object_type}.delete"
    assert json.loads(deleted.before or "{}")["name"] == "Kulturhuset"
    assert deleted.after is None
    # The rows are readable through the API, newest first.
    listed = client.get(f"{V1}/audit?object_id={object_id}").json()["items"]
    assert [r["action"] for r in listed] == [
        f"{object_type}.delete",
        f"{object_type}.update",
        f"{object_type}.create",
    ]
    assert listed[0]["request_id"] == "req-delete-0003"


def test_token_changes_are_audited_with_the_tokens_name(
    client: TestClient, session: Session
) -> None:
    tenant = f.municipality(session)
    headers = f.owner_bearer(session, tenant)
    before = _last_seq(session)
    response = client.post(f"{V1}/org-units", headers=headers, json={"code": "A", "name": "A"})
    assert response.status_code == 201
    (row,) = _new_rows(session, before)
    assert row.actor_kind == "token"
    assert row.actor_name.startswith("token:test")


def test_secrets_never_reach_the_audit_trail(
    client: TestClient, session: Session, services: Services
) -> None:
    tenant = f.municipality(session)
    owner = f.user(session, tenant, services.passwords)
    csrf = f.login(client, owner)
    before = _last_seq(session)
    token = client.post(f"{V1}/tokens", headers=csrf, json={"name": "t", "scopes": ["site.read"]})
    user = client.post(
        f"{V1}/users",
        headers=csrf,
        json={"username": "ny", "display_name": "Ny", "password": f.PASSWORD},
    )
    assert token.status_code == user.status_code == 201
    dumped = " ".join(f"{r.before} {r.after}" for r in _new_rows(session, before))
    assert token.json()["token"] not in dumped
    assert "argon2" not in dumped and f.PASSWORD not in dumped
    assert "token_hash" not in dumped and "password_hash" not in dumped


def test_refused_changes_write_no_row(client: TestClient, session: Session) -> None:
    tenant = f.municipality(session)
    reader = f.bearer(f.token(session, tenant, "org.read"))
    before = _last_seq(session)
    assert (
        client.post(f"{V1}/org-units", headers=reader, json={"code": "A", "name": "A"}).status_code
        == 403
    )
    assert _new_rows(session, before) == []


def test_no_api_route_changes_audit_rows(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    audit_paths = {p: item for p, item in app.openapi()["paths"].items() if "audit" in p}
    assert {p: set(item) for p, item in audit_paths.items()} == {f"{V1}/audit": {"get"}}
    headers = f.owner_bearer(session, f.municipality(session))
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert client.request(method, f"{V1}/audit", headers=headers).status_code == 405
        assert client.request(method, f"{V1}/audit/1", headers=headers).status_code == 404


def test_audit_rows_need_audit_read(client: TestClient, session: Session) -> None:
    tenant = f.municipality(session)
    assert (
        client.get(
            f"{V1}/audit", headers=f.bearer(f.token(session, tenant, "site.read"))
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor_name = 'mallory'", "DELETE FROM audit_log"],
)
def test_the_database_refuses_to_change_audit_rows(
    connection: Connection, session: Session, statement: str
) -> None:
    f.municipality(session)
    session.flush()
    savepoint = connection.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text(statement))
    savepoint.rollback()
    count, found = verify(session)
    assert count >= 1
    assert found is None


def _write_concurrently(settings: Settings, threads: int, each: int) -> None:
    engine = create_db_engine(settings)
    factory = create_session_factory(engine)
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                with acting_as(system_actor(f"writer {n}")), unit_of_work(factory) as s:
                    record(
                        s,
                        action="test.write",
                        object_type="test",
                        object_id=uuid.uuid4(),
                        object_text=f"{n}/{i}",
                        tenant_id=None,
                        after={"n": n, "i": i},
                    )
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    engine.dispose()
    assert errors == []


def test_concurrent_writers_make_one_unbroken_chain(fresh_database_url: str) -> None:
    settings = Settings(database_url=fresh_database_url, security=fast_security(), _env_file=None)
    engine = create_db_engine(settings)
    upgrade(settings, engine)
    threads, each = 4, 15
    _write_concurrently(settings, threads, each)
    with create_session_factory(engine)() as s:
        count, found = verify(s)
        seqs = list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
    engine.dispose()
    assert found is None
    assert count == threads * each
    assert seqs == list(range(1, threads * each + 1))


def test_concurrent_writers_after_a_key_change_write_one_rotation_row(
    fresh_database_url: str,
) -> None:
    """Every writer sees the old key at the head; the head lock lets exactly one of them
    write the rotation row, and the rest chain after it with the new key."""
    old = Settings(database_url=fresh_database_url, security=fast_security(), _env_file=None)
    engine = create_db_engine(old)
    upgrade(old, engine)
    engine.dispose()
    _write_concurrently(old, 1, 3)
    audit = AuditSettings(
        hmac_key_id="k2",
        hmac_key=SecretStr("the new key, rotated in while writers run"),
        retired_hmac_keys={"dev": old.audit.hmac_key},
    )
    new = old.model_copy(update={"audit": audit})
    threads, each = 4, 10
    _write_concurrently(new, threads, each)
    engine = create_db_engine(new)
    with create_session_factory(engine)() as s:
        count, found = verify(s)
        rotations = s.scalars(select(AuditEntry.seq).where(AuditEntry.action == ROTATE_ACTION))
        keys = list(s.scalars(select(AuditEntry.key_id).order_by(AuditEntry.seq)))
        assert list(rotations) == [4]
    engine.dispose()
    assert found is None
    assert count == 3 + 1 + threads * each
    assert keys == ["dev"] * 3 + ["k2"] * (1 + threads * each)
