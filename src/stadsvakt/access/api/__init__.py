"""Routes of the access model: places, schedules, profiles, grants, credentials, catalogue."""

from __future__ import annotations

from fastapi import APIRouter

from stadsvakt.access.api import catalogue, credentials, grants, places, profiles, schedules


def access_router() -> APIRouter:
    """Every access-model route (mounted under /api/v1)."""
    router = APIRouter()
    for module in (places, schedules, profiles, grants, credentials, catalogue):
        router.include_router(module.router)
    return router
