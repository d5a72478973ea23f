"""The edge's web pages (devices, enrolment codes), each part's router included here."""

from __future__ import annotations

from fastapi import APIRouter

from stadsvakt.web.views.edge.devices import router as devices_router


def edge_pages() -> APIRouter:
    """Every edge page."""
    router = APIRouter(include_in_schema=False)
    router.include_router(devices_router)
    return router
