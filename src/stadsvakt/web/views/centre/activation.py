"""The safety centre's pages: activation (being built)."""

from __future__ import annotations

from fastapi import APIRouter

from stadsvakt.web.deps import HtmlRoute

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
