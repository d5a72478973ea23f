"""The interactive API docs, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), from files
stadsvakt serves itself.

FastAPI's own pages load their scripts from a CDN, so they stay blank without
internet and would run a third party's script in the logged-in origin; they also
start Swagger UI with an inline script, which the Content-Security-Policy forbids.
These pages take swagger-ui and redoc from the ``fastapi-offline`` package and
start Swagger UI from ``swagger-init.js``, all under :data:`ASSETS_PATH`.
"""

from __future__ import annotations

from html import escape
from importlib.metadata import version
from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from stadsvakt import __version__
from stadsvakt.app.security_headers import CONTENT_SECURITY_POLICY

ASSETS_PATH = "/docs-assets"
DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
#: Changes with either package, so a browser never keeps an old copy after an upgrade.
_ASSET_VERSION = f"{__version__}-{version('fastapi-offline')}"

#: The policy of /redoc: ReDoc adds its styles as <style> elements and runs its search
#: in a worker made from a blob: URL by its own script; scripts are still only files
#: from stadsvakt's origin.
REDOC_POLICY = (
    CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    + "; worker-src 'self' blob:"
)

_SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – Swagger UI</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css?v={v}">
<link rel="stylesheet" href="{assets}/docs.css?v={v}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js?v={v}"></script>
<script src="{assets}/swagger-init.js?v={v}"></script>
</body>
</html>
"""

_REDOC_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – ReDoc</title>
<link rel="stylesheet" href="{assets}/docs.css?v={v}">
</head>
<body>
<redoc spec-url="{openapi}"></redoc>
<script src="{assets}/redoc.standalone.js?v={v}"></script>
</body>
</html>
"""


def _page(template: str, app: FastAPI, request: Request) -> str:
    """The page with the app's title, its OpenAPI URL and the assets' URL filled in
    (below the proxy's root path, as FastAPI's own pages do)."""
    root = str(request.scope.get("root_path", ""))
    return template.format(
        title=escape(app.title),
        openapi=escape(f"{root}{app.openapi_url}"),
        assets=escape(f"{root}{ASSETS_PATH}"),
        v=escape(_ASSET_VERSION),
    )


def install(app: FastAPI) -> None:
    """Serve ``/docs``, ``/redoc`` and their files; the app is made with ``docs_url``
    and ``redoc_url`` set to None, so FastAPI adds no pages of its own."""
    app.mount(
        ASSETS_PATH,
        StaticFiles(
            directory=str(files("stadsvakt") / "app" / "docs_assets"),
            packages=[("fastapi_offline", "static")],
        ),
        name="docs-assets",
    )

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        """Swagger UI over the app's OpenAPI document."""
        return HTMLResponse(_page(_SWAGGER_PAGE, app, request))

    @app.get(REDOC_PATH, include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        """ReDoc over the app's OpenAPI document, with the policy it needs."""
        page = _page(_REDOC_PAGE, app, request)
        return HTMLResponse(page, headers={"Content-Security-Policy": REDOC_POLICY})
