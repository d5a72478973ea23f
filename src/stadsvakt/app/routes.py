"""Assembly of every feature's routes under /api/v1, plus liveness and readiness (the
composition root's, so no feature depends on it)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from stadsvakt.access.api import access_router
from stadsvakt.access.decisions import router as access_decisions_router
from stadsvakt.access.reports.api import router as access_reports_router
from stadsvakt.alarms.api import router as alarms_router
from stadsvakt.alarms.inputs.api import router as alarm_inputs_router
from stadsvakt.alarms.metrics import router as metrics_router
from stadsvakt.api.deps import ServicesDep
from stadsvakt.api.problems import problem_responses
from stadsvakt.audit.api import router as audit_router
from stadsvakt.auth.api import router as auth_router
from stadsvakt.centre.api import centre_router
from stadsvakt.db import read_only
from stadsvakt.directory.api import router as directory_router
from stadsvakt.edge.api import edge_router
from stadsvakt.migrate import is_current
from stadsvakt.org.api import router as org_router

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    """Every feature's routes, versioned."""
    router = APIRouter(prefix=API_PREFIX, responses=problem_responses(401, 403, 404, 409, 422, 429))
    # Routes are matched in order and controllers ask many times a second: decisions first
    # (matching through every route before it cost more than the decision itself).
    router.include_router(access_decisions_router)
    router.include_router(auth_router)
    router.include_router(org_router)
    router.include_router(audit_router)
    router.include_router(directory_router)
    router.include_router(alarms_router)
    router.include_router(alarm_inputs_router)
    router.include_router(access_router())
    router.include_router(access_reports_router)
    router.include_router(centre_router())
    router.include_router(edge_router())
    return router


health = APIRouter(tags=["health"])
health.include_router(metrics_router)


@health.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@health.get("/readyz", responses={503: {"description": "Database unreachable or not migrated"}})
def readyz(services: ServicesDep) -> JSONResponse:
    """The database answers and its schema is at the packaged head."""
    try:
        engine = read_only(services.engine)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = is_current(services.settings, engine)
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if not current:
        return JSONResponse({"status": "unavailable", "database": "not migrated"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
