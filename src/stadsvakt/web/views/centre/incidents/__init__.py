"""The safety centre's pages beyond device alarms: incidents logged from calls, planned
visits' schedules, the situation picture and the officer on duty, sites in test, and the
municipalities the centre serves. Importing it registers the activation page's panel for
informing the officer on duty."""

from __future__ import annotations

from fastapi import APIRouter

from stadsvakt.web.deps import HtmlRoute
from stadsvakt.web.views.centre.incidents import calls, officer, schedules, serving, testing

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
for _part in (calls, officer, testing, serving, schedules):
    router.include_router(_part.router)
