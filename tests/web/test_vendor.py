"""Front-end packages served by stadsvakt itself (``stadsvakt.web.vendor``).

Every file of the manifest is served from ``frontend/node_modules`` with its content type
and, under its versioned URL, a year's cache; nothing else is, however the path is
spelled; a missing folder leaves the app running with one warning and 404s. The lockfile
pins every dependency with an integrity hash, and the scripts the pages may load still
come only from stadsvakt, never inline.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from stadsvakt.app import create_app
from stadsvakt.app.security_headers import CONTENT_SECURITY_POLICY
from stadsvakt.settings import ServerSettings, Settings, source_checkout_node_modules
from stadsvakt.web.vendor import (
    CACHE_IMMUTABLE,
    CACHE_REVALIDATE,
    MANIFEST,
    UnknownVendorAsset,
    VendorAssets,
)
from tests.conftest import fast_security

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
NODE_MODULES = FRONTEND / "node_modules"
EXPECTED_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}


def _app(tmp_path: Path, vendor_dir: Path) -> FastAPI:
    """An app whose packages come from ``vendor_dir`` (no request here reaches the database)."""
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'vendor.db'}",
        security=fast_security(),
        server=ServerSettings(vendor_dir=vendor_dir),
    )
    return create_app(settings)


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, VendorAssets]]:
    """A client of an app over the checkout's node_modules, and the app's assets (one app
    for the module: its requests change nothing)."""
    assert (NODE_MODULES / ".package-lock.json").exists(), (
        f"{NODE_MODULES} is missing: run ./dev setup (or npm ci --prefix frontend)"
    )
    app = _app(tmp_path_factory.mktemp("vendor"), NODE_MODULES)
    try:
        # Not entered as a context manager: no lifespan, so no background work on the
        # (unmigrated) database.
        yield TestClient(app), app.state.web.vendor
    finally:
        app.state.services.engine.dispose()


def test_the_default_vendor_dir_is_the_checkouts_node_modules() -> None:
    assert source_checkout_node_modules() == NODE_MODULES
    assert Settings(_env_file=None).server.vendor_dir == NODE_MODULES


@pytest.mark.parametrize("name", MANIFEST)
def test_each_manifest_file_is_served_with_its_type_and_a_years_cache(
    installed: tuple[TestClient, VendorAssets], name: str
) -> None:
    client, vendor = installed
    url = vendor.url(name)
    package = MANIFEST[name].split("/")[0]
    version = json.loads((NODE_MODULES / package / "package.json").read_text())["version"]
    assert url == f"/static/vendor/{name}?v={version}"

    response = client.get(url)
    assert response.status_code == 200
    assert response.content == (NODE_MODULES / MANIFEST[name]).read_bytes()
    assert response.headers["content-type"] == EXPECTED_TYPES[Path(name).suffix]
    assert response.headers["cache-control"] == CACHE_IMMUTABLE
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_url_without_the_current_version_is_revalidated(
    installed: tuple[TestClient, VendorAssets],
) -> None:
    client, _ = installed
    # leaflet.css asks for its images by a relative URL, without ?v=; an old page asks
    # with an old version. Neither may be cached as if it could never change.
    for url in (
        "/static/vendor/leaflet/images/layers.png",
        "/static/vendor/leaflet/leaflet.js?v=0.1",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == CACHE_REVALIDATE


@pytest.mark.parametrize(
    "path",
    [
        "/static/vendor/leaflet/nothing.js",
        "/static/vendor/leaflet/dist/leaflet.js",  # the inner path is not a public name
        "/static/vendor/axe-core/axe.min.js",  # a test tool, not served
        "/static/vendor/leaflet/package.json",
        "/static/vendor/../../pyproject.toml",
        "/static/vendor/%2e%2e/%2e%2e/pyproject.toml",
        "/static/vendor/leaflet/..%2f..%2f..%2fpyproject.toml",
        "/static/vendor/",
    ],
)
def test_unknown_names_and_traversal_get_404(
    installed: tuple[TestClient, VendorAssets], path: str
) -> None:
    client, _ = installed
    response = client.get(path)
    assert response.status_code == 404
    assert "cache-control" not in response.headers


def test_only_get_and_head(installed: tuple[TestClient, VendorAssets]) -> None:
    client, vendor = installed
    assert client.head(vendor.url("leaflet/leaflet.css")).status_code == 200
    response = client.post(vendor.url("leaflet/leaflet.css"))
    assert response.status_code == 405


def test_templates_write_vendor_urls_and_refuse_unknown_names(
    installed: tuple[TestClient, VendorAssets],
) -> None:
    client, vendor = installed
    env = client.app.state.web.templates.env  # type: ignore[attr-defined]
    html = env.from_string("<script src=\"{{ vendor_url('chart.js/chart.umd.js') }}\"></script>")
    assert html.render() == f'<script src="{vendor.url("chart.js/chart.umd.js")}"></script>'
    with pytest.raises(UnknownVendorAsset, match="chart.js/chart.js"):
        env.from_string("{{ vendor_url('chart.js/chart.js') }}").render()


def test_a_missing_vendor_dir_gives_404_and_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    absent = tmp_path / "node_modules"
    with caplog.at_level(logging.WARNING, logger="stadsvakt.web.vendor"):
        app = _app(tmp_path, absent)
    try:
        warnings = [r for r in caplog.records if r.name == "stadsvakt.web.vendor"]
        assert len(warnings) == 1
        message = warnings[0].getMessage()
        assert "server.vendor_dir" in message
        assert str(absent) in message
        assert "./dev setup" in message
        assert "npm ci --prefix frontend" in message
        client = TestClient(app)
        assert client.get("/login").status_code == 200
        for name in MANIFEST:
            assert client.get(f"/static/vendor/{name}").status_code == 404
    finally:
        app.state.services.engine.dispose()


def test_a_missing_file_is_named_in_the_warning_and_gets_404(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    partial = tmp_path / "node_modules"
    (partial / "leaflet" / "dist").mkdir(parents=True)
    (partial / "leaflet" / "package.json").write_text('{"version": "1.2.3"}')
    (partial / "leaflet" / "dist" / "leaflet.js").write_text("window.L = {};")
    with caplog.at_level(logging.WARNING, logger="stadsvakt.web.vendor"):
        vendor = VendorAssets(partial)
        vendor.warn_if_missing("server.vendor_dir")
    [warning] = caplog.records
    assert "leaflet/leaflet.css" in warning.getMessage()
    assert "leaflet/leaflet.js," not in warning.getMessage()
    assert vendor.url("leaflet/leaflet.js") == "/static/vendor/leaflet/leaflet.js?v=1.2.3"
    # No package.json to read a version from: the URL has none (and is served uncached).
    assert vendor.url("chart.js/chart.umd.js") == "/static/vendor/chart.js/chart.umd.js"


def test_the_lockfile_pins_every_dependency_with_an_integrity_hash() -> None:
    manifest = json.loads((FRONTEND / "package.json").read_text())
    lock = json.loads((FRONTEND / "package-lock.json").read_text())
    assert manifest["private"] is True
    assert lock["lockfileVersion"] >= 2
    declared = {**manifest["dependencies"], **manifest["devDependencies"]}
    assert {"leaflet", "chart.js", "tom-select", "axe-core"} <= declared.keys()
    root = lock["packages"][""]
    assert {**root["dependencies"], **root["devDependencies"]} == declared, (
        "package-lock.json is out of date: run npm install in frontend/"
    )
    packages = {k: v for k, v in lock["packages"].items() if k}
    for name in declared:
        assert f"node_modules/{name}" in packages, f"{name} is not in the lockfile"
    for key, entry in packages.items():
        assert entry.get("version"), f"{key} has no pinned version"
        assert entry.get("integrity", "").startswith("sha512-"), f"{key} has no integrity hash"


def test_the_policy_still_allows_only_scripts_from_stadsvakt(
    installed: tuple[TestClient, VendorAssets],
) -> None:
    client, vendor = installed
    for policy in (
        CONTENT_SECURITY_POLICY,
        client.get("/login").headers["content-security-policy"],
        client.get(vendor.url("chart.js/chart.umd.js")).headers["content-security-policy"],
    ):
        directives = {part.split()[0]: part.split()[1:] for part in policy.split(";")}
        assert directives["script-src"] == ["'self'"]
        assert "'unsafe-inline'" not in policy
        assert "'unsafe-eval'" not in policy
