"""A GET that writes (a picture's view logged, a plan pinned) gets a write transaction;
every other GET reads without taking SQLite's write lock."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from stadsvakt.api.deps import Services, SessionDep, writes_on_read
from stadsvakt.db import READ_ONLY


def test_only_a_marked_read_gets_a_writing_session(services: Services) -> None:
    app = FastAPI()
    app.state.services = services

    @app.get("/reads")
    def reads(session: SessionDep) -> dict[str, bool]:
        return {"read_only": bool(session.get_bind().get_execution_options().get(READ_ONLY))}

    @app.get("/logs-a-view")
    @writes_on_read
    def logs_a_view(session: SessionDep) -> dict[str, bool]:
        return {"read_only": bool(session.get_bind().get_execution_options().get(READ_ONLY))}

    client = TestClient(app)
    # The marked one first: a test's sessions share one connection, and marking it read
    # only (as the plain read does) lasts for the connection.
    assert client.get("/logs-a-view").json() == {"read_only": False}
    assert client.get("/reads").json() == {"read_only": True}
