"""Front-end packages from npm (``frontend/package.json``), served by stadsvakt itself.

Only the files named in :data:`MANIFEST` are served, at ``/static/vendor/<public
name>``: a request never reaches the file system with a path of its own making. Each URL
that :meth:`VendorAssets.url` writes carries the package's version as ``?v=``, so a
browser caches the file for a year and an upgrade changes the URL. A missing
``node_modules`` folder or file does not stop the app: it logs one warning at startup,
and the asset answers 404.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route, Router

log = logging.getLogger(__name__)

#: Where the assets are mounted.
VENDOR_PATH = "/static/vendor"

#: Public name -> path inside node_modules. Leaflet's images keep their folder beside
#: leaflet.css, whose rules point at them as ``images/...``.
MANIFEST: dict[str, str] = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet/images/layers.png": "leaflet/dist/images/layers.png",
    "leaflet/images/layers-2x.png": "leaflet/dist/images/layers-2x.png",
    "leaflet/images/marker-icon.png": "leaflet/dist/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png": "leaflet/dist/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png": "leaflet/dist/images/marker-shadow.png",
    # Chart.js's UMD build (it is minified) sets window.Chart for a plain <script>.
    "chart.js/chart.umd.js": "chart.js/dist/chart.umd.js",
    "tom-select/tom-select.complete.min.js": "tom-select/dist/js/tom-select.complete.min.js",
    # The plain stylesheet, not the ".default" theme: that one's white-on-blue chips
    # fall short of WCAG's 4.5:1 contrast.
    "tom-select/tom-select.css": "tom-select/dist/css/tom-select.css",
}

#: Content types by suffix; text types get "; charset=utf-8" from Starlette.
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}

#: For a URL that names the version being served: the file behind it never changes.
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
#: For a URL without the current version (an old page, a hand-typed URL): ask each time.
CACHE_REVALIDATE = "no-cache"

SETUP_HINT = "run ./dev setup (or npm ci --prefix frontend)"


class UnknownVendorAsset(KeyError):
    """A template asked for an asset that is not in :data:`MANIFEST`."""


def package_of(inner_path: str) -> str:
    """The npm package an inner path belongs to (``@scope/name`` or ``name``)."""
    parts = PurePosixPath(inner_path).parts
    return "/".join(parts[:2]) if parts[0].startswith("@") else parts[0]


def read_version(node_modules: Path, package: str) -> str | None:
    """The version in ``node_modules/<package>/package.json``, or None when unreadable."""
    try:
        manifest = json.loads((node_modules / package / "package.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return version if isinstance(version, str) else None


@dataclass(frozen=True, slots=True)
class _Asset:
    """One served file: where it lies, its content type and its package's version."""

    path: Path
    content_type: str
    version: str | None


class VendorAssets:
    """The manifest's files in one node_modules folder: their URLs, and the routes that
    serve them."""

    def __init__(self, node_modules: Path, manifest: dict[str, str] | None = None) -> None:
        self.node_modules = node_modules
        manifest = MANIFEST if manifest is None else manifest
        versions = {
            package: read_version(node_modules, package)
            for package in {package_of(inner) for inner in manifest.values()}
        }
        self._assets = {
            name: _Asset(
                path=node_modules / inner,
                content_type=CONTENT_TYPES[PurePosixPath(name).suffix],
                version=versions[package_of(inner)],
            )
            for name, inner in manifest.items()
        }

    def missing(self) -> list[str]:
        """The public names whose files are not there, in manifest order."""
        return [name for name, asset in self._assets.items() if not asset.path.is_file()]

    def warn_if_missing(self, setting: str) -> None:
        """Log one warning when any file is missing, naming ``setting`` and the fix."""
        missing = self.missing()
        if not missing:
            return
        if self.node_modules.is_dir():
            what = f"lacks {', '.join(missing)}"
        else:
            what = "does not exist"
        log.warning(
            "%s = %s %s, so the web UI's front-end assets answer 404: %s",
            setting,
            self.node_modules,
            what,
            SETUP_HINT,
        )

    def url(self, name: str) -> str:
        """The URL of asset ``name``, with its package's version as ``?v=``."""
        try:
            asset = self._assets[name]
        except KeyError:
            raise UnknownVendorAsset(f"{name!r} is not in stadsvakt.web.vendor.MANIFEST") from None
        if asset.version is None:
            return f"{VENDOR_PATH}/{name}"
        return f"{VENDOR_PATH}/{name}?v={asset.version}"

    def router(self) -> Router:
        """The routes that serve the files, to mount at :data:`VENDOR_PATH`."""
        return Router([Route("/{name:path}", self._serve, methods=["GET", "HEAD"])])

    async def _serve(self, request: Request) -> Response:
        asset = self._assets.get(request.path_params["name"])
        if asset is None or not asset.path.is_file():
            raise HTTPException(404)
        current = asset.version is not None and request.query_params.get("v") == asset.version
        return FileResponse(
            asset.path,
            media_type=asset.content_type,
            headers={"cache-control": CACHE_IMMUTABLE if current else CACHE_REVALIDATE},
        )
