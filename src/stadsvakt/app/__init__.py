"""The composition root: ``create_app(settings)`` builds the web application from injected
settings, assembling every feature's routes (``routes``) and the app-wide layers
(``middleware``, ``security_headers``, ``docs``). Features never import from here; the
shared request plumbing they use lives in ``stadsvakt.api`` (dependencies, problems)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from stadsvakt import __version__, db_statistics
from stadsvakt.access import decisions as access_decisions
from stadsvakt.access.fast_path import DecisionFastPath
from stadsvakt.api import problems
from stadsvakt.api.deps import Services
from stadsvakt.app import docs as api_docs
from stadsvakt.app.middleware import RequestIdMiddleware
from stadsvakt.app.routes import api_router, health
from stadsvakt.app.security_headers import (
    SecurityHeadersMiddleware,
    map_policy,
    security_headers,
)
from stadsvakt.auth.passwords import Passwords
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.centre import escalation as centre_escalation
from stadsvakt.centre import follower as centre_follower
from stadsvakt.centre import intake as centre_intake
from stadsvakt.centre import jobs as centre_jobs
from stadsvakt.centre import tasks as centre_tasks
from stadsvakt.db import create_db_engine, create_session_factory
from stadsvakt.scim.api import router as scim_router
from stadsvakt.settings import Settings
from stadsvakt.web import install as install_web


def build_services(settings: Settings) -> Services:
    """The engine, session factory and helpers an app (or a CLI command) shares."""
    engine = create_db_engine(settings)
    centre_intake.configure(settings.centre)
    return Services(
        settings=settings,
        engine=engine,
        session_factory=create_session_factory(engine),
        passwords=Passwords(settings.security),
        box=SecretBox(settings.security.secret_key.get_secret_value()),
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Per-process background work, started with the app and stopped by cancellation."""
    services: Services = app.state.services
    visits = centre_tasks.background(services.engine, services.settings.centre)
    # Sessions of its own over the engine, never a request's (or a test's) connection.
    own_sessions = create_session_factory(services.engine)
    escalations = centre_escalation.running(own_sessions, services.settings.centre)
    jobs = centre_jobs.running(own_sessions, services.settings.centre)
    statistics_s = services.settings.database.statistics_interval_minutes * 60
    async with (
        db_statistics.kept_fresh(services.engine, statistics_s),
        access_decisions.background(app),
        centre_follower.background(app),
        visits,
        escalations,
        jobs,
    ):
        yield


def bind_services(app: FastAPI, services: Services) -> None:
    """Give the app the services its requests use, with a fresh decision index and event
    writer over them (everything a request reaches goes through ``app.state``)."""
    app.state.services = services
    access_decisions.install(app, services)
    centre_follower.install(app, services)


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """A stadsvakt web application for the given settings."""
    app = FastAPI(
        title="stadsvakt",
        version=__version__,
        summary="Open security platform for Swedish municipalities",
        openapi_url="/openapi.json",
        # /docs and /redoc are stadsvakt.app.docs' pages, over files served from here.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    bind_services(app, services or build_services(settings))
    problems.install(app)
    app.include_router(health)
    app.include_router(api_router())
    app.include_router(scim_router)
    install_web(app, settings)
    # The map page's policy allows the tile server's images (web/ never imports app/).
    app.state.map_policy = map_policy(settings.centre.map_tile_url)
    api_docs.install(app)
    # Inside the request-id middleware (added last, so outermost): every answer is named.
    app.add_middleware(DecisionFastPath)
    app.add_middleware(RequestIdMiddleware)
    # Outermost: every answer, a 500 written by the request-id middleware too.
    app.add_middleware(SecurityHeadersMiddleware, headers=security_headers(settings.security))
    return app
