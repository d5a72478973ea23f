"""The edge's API routes (``/api/v1/edge/...``), each part's router included here."""

from __future__ import annotations

from fastapi import APIRouter

from stadsvakt.edge.devices.api import router as devices_router
from stadsvakt.edge.ingest.api import router as ingest_router


def edge_router() -> APIRouter:
    """Every edge API route."""
    router = APIRouter()
    router.include_router(devices_router)
    router.include_router(ingest_router)
    return router
