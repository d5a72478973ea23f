"""The web UI's pages, one module per page group."""

from __future__ import annotations

from fastapi import APIRouter

from stadsvakt.web.views import (
    access,
    alarms,
    auth,
    org_units,
    overview,
    people,
    pick,
    reports,
    site_doors,
    sites,
)
from stadsvakt.web.views.audit import audit_pages
from stadsvakt.web.views.centre import centre_pages
from stadsvakt.web.views.edge import edge_pages


def web_router() -> APIRouter:
    """Every page of the web UI."""
    router = APIRouter(include_in_schema=False)
    # Before pick: its /ui/pick/{kind} would take the audit trail's actor picker.
    router.include_router(audit_pages())
    for module in (
        auth,
        overview,
        org_units,
        sites,
        site_doors,
        access,
        alarms,
        people,
        reports,
        pick,
    ):
        router.include_router(module.router)
    router.include_router(centre_pages())
    router.include_router(edge_pages())
    return router
