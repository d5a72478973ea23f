"""The edge's API routes (``/api/v1/edge/...``), each part's router included here."""

from __future__ import annotations

from fastapi import APIRouter


def edge_router() -> APIRouter:
    """Every edge API route."""
    router = APIRouter()
    return router
