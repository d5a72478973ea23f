"""The favicon: linked from every page as SVG, and an ICO at /favicon.ico (never a 404)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_favicon_ico_is_an_icon(client: TestClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/vnd.microsoft.icon"
    # ICONDIR: reserved 0, type 1 (icon), one image; the image is a PNG.
    assert response.content[:6] == b"\x00\x00\x01\x00\x01\x00"
    assert response.content[22:30] == b"\x89PNG\r\n\x1a\n"
    assert "max-age" in response.headers["cache-control"]


def test_every_page_links_the_svg_icon(client: TestClient) -> None:
    page = client.get("/login")
    found = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page.text)
    assert found is not None
    icon = client.get(found.group(1))
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.lstrip().startswith("<svg")
