"""The server-rendered web UI: Jinja2 pages in Swedish and English over the same services."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from stadsvakt.settings import Settings
from stadsvakt.web.deps import WebState
from stadsvakt.web.i18n import Catalogues
from stadsvakt.web.templating import build_templates
from stadsvakt.web.views import web_router

STATIC_PATH = "/static"


def install(app: FastAPI, settings: Settings) -> None:
    """Add the web pages and their static files to an app."""
    app.state.web = WebState(
        templates=build_templates(), catalogues=Catalogues.load(settings.default_language)
    )
    app.include_router(web_router())
    app.mount(
        STATIC_PATH,
        StaticFiles(directory=str(files("stadsvakt") / "web" / "static")),
        name="static",
    )
