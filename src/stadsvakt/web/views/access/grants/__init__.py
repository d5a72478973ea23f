"""Direct grants in the web UI: the list, a form per kind, a grant's page with its safe
actions (end now and undo, withdraw, edit with a stale-form check).

The forms' routes come before the grant's page, so ``/access/grants/new`` is never read
as a grant's id.
"""

from __future__ import annotations

from fastapi import APIRouter

from stadsvakt.web.views.access.grants import detail, index, new

router = APIRouter(include_in_schema=False)
for _module in (index, new, detail):
    router.include_router(_module.router)
