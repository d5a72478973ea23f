"""The server-rendered web UI: Jinja2 pages in Swedish and English over the same services."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from stadsvakt.settings import Settings
from stadsvakt.web import favicon
from stadsvakt.web.deps import WebState, install_error_pages
from stadsvakt.web.i18n import Catalogues
from stadsvakt.web.templating import build_templates
from stadsvakt.web.vendor import VENDOR_PATH, VendorAssets
from stadsvakt.web.views import web_router

STATIC_PATH = "/static"


def install(app: FastAPI, settings: Settings) -> None:
    """Add the web pages, their static files and the front-end packages' files to an app."""
    vendor = VendorAssets(settings.server.vendor_dir)
    vendor.warn_if_missing("server.vendor_dir (STADSVAKT_SERVER__VENDOR_DIR)")
    app.state.web = WebState(
        templates=build_templates(vendor),
        catalogues=Catalogues.load(settings.default_language),
        vendor=vendor,
    )
    app.include_router(web_router())
    app.include_router(favicon.router)
    install_error_pages(app)
    # Before /static, which would otherwise take /static/vendor/... for a file of its own.
    app.mount(VENDOR_PATH, vendor.router(), name="vendor")
    app.mount(
        STATIC_PATH,
        StaticFiles(directory=str(files("stadsvakt") / "web" / "static")),
        name="static",
    )
