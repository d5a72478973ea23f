"""Pages of the access model: zones and doors, schedules, profiles, grants, credentials, and
the service catalogue's shortfall report."""

from __future__ import annotations

from fastapi import APIRouter

from stadsvakt.web.views.access import (
    calendars,
    catalogue,
    credentials,
    doors,
    grants,
    places,
    profiles,
    schedules,
)

router = APIRouter(include_in_schema=False)
for _module in (places, doors, schedules, calendars, profiles, grants, credentials, catalogue):
    router.include_router(_module.router)
