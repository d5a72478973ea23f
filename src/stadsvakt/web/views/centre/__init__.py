"""The safety centre's pages (trygghetscentral), one module per part."""

from __future__ import annotations

from fastapi import APIRouter

from stadsvakt.web.views.centre import activation, cameras, console, incidents, plans, stats, units


def centre_pages() -> APIRouter:
    """Every page of the safety centre."""
    router = APIRouter(include_in_schema=False)
    for module in (console, activation, plans, units, cameras, stats, incidents):
        router.include_router(module.router)
    return router
