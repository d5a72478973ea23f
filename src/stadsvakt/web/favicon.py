"""The site's icon: ``static/favicon.svg``, which ``base.html`` links, and
``static/favicon.ico`` (the same mark at 32 px) at ``/favicon.ico``, where browsers,
feed readers and bookmarks ask without reading any page."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

ICO_PATH = "/favicon.ico"
#: A day: the icon seldom changes, and a browser asks for it on every site it opens.
_CACHE = "public, max-age=86400"

router = APIRouter(include_in_schema=False)


@router.get(ICO_PATH)
def favicon() -> Response:
    """The icon in ICO format."""
    icon = (files("stadsvakt") / "web" / "static" / "favicon.ico").read_bytes()
    return Response(icon, media_type="image/vnd.microsoft.icon", headers={"Cache-Control": _CACHE})
