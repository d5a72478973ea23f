"""The safety centre's API under ``/api/v1/centre``, one module per part."""

from __future__ import annotations

from fastapi import APIRouter

from stadsvakt.centre.api import cameras, handling, incidents, plans, queue, stats, units


def centre_router() -> APIRouter:
    """Every part of the centre's API."""
    router = APIRouter(prefix="/centre")
    for module in (queue, handling, plans, units, cameras, stats, incidents):
        router.include_router(module.router)
    return router
