"""The SCIM endpoints are documented in ``/openapi.json`` (tag "SCIM 2.0", summaries,
SCIM media type, the bearer token) while still answering as SCIM (issue 11, point 11)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from stadsvakt.scim.openapi import MEDIA_TYPE, OPERATIONS, TAG
from tests.factories_scim import SCIM_JSON, user_body
from tests.scim.conftest import ScimWorld


def _scim_operations(client: TestClient) -> dict[tuple[str, str], dict[str, Any]]:
    paths = client.get("/openapi.json").json()["paths"]
    return {
        (method, path): operation
        for path, item in paths.items()
        if path.startswith("/scim/v2/")
        for method, operation in item.items()
    }


def test_every_scim_operation_is_documented_with_the_scim_media_type(
    client: TestClient,
) -> None:
    operations = _scim_operations(client)
    users, one = "/scim/v2/Users", "/scim/v2/Users/{resource_id}"
    expected = {("get", users), ("post", users), ("post", f"{users}/.search")}
    expected |= {(method, one) for method in ("get", "put", "patch", "delete")}
    expected |= {(m, p.replace("Users", "Groups")) for m, p in expected}
    expected |= {("get", "/scim/v2/Schemas"), ("get", "/scim/v2/ServiceProviderConfig")}
    assert expected <= set(operations)
    assert len(expected) == 16
    assert len(operations) == len(OPERATIONS)
    for key, operation in operations.items():
        assert operation["tags"] == [TAG], key
        assert operation["summary"], key
        for status, answer in operation["responses"].items():
            assert answer["description"], (key, status)
            assert set(answer.get("content", {})) <= {MEDIA_TYPE}, (key, status)
        if key[0] in ("post", "put", "patch"):
            assert set(operation["requestBody"]["content"]) == {MEDIA_TYPE}, key
    create = operations[("post", "/scim/v2/Users")]
    assert {"201", "400", "401", "403", "409"} <= set(create["responses"])
    example = create["requestBody"]["content"][MEDIA_TYPE]["example"]
    assert example["userName"]
    patch = operations[("patch", "/scim/v2/Users/{resource_id}")]
    assert [p["name"] for p in patch["parameters"] if p["in"] == "path"] == ["resource_id"]


def test_the_documented_example_is_what_the_server_takes(scim: ScimWorld) -> None:
    operations = _scim_operations(scim.client)
    example = operations[("post", "/scim/v2/Users")]["requestBody"]["content"][MEDIA_TYPE][
        "example"
    ]
    enterprise = next(k for k in example if k.startswith("urn:"))
    body = {**example, enterprise: {**example[enterprise], "department": scim.school.code}}
    created = scim.client.post("/scim/v2/Users", headers=scim.headers, json=body)
    assert created.status_code == 201, created.text
    assert "201" in operations[("post", "/scim/v2/Users")]["responses"]


def test_documented_routes_still_answer_as_scim(scim: ScimWorld) -> None:
    created = scim.client.post(
        "/scim/v2/Users",
        headers=scim.headers,
        json=user_body("doc@example.se", department=scim.school.code),
    )
    assert created.status_code == 201
    assert created.headers["content-type"] == SCIM_JSON
    user_id = created.json()["id"]
    read = scim.client.get(f"/scim/v2/Users/{user_id}", headers=scim.headers)
    assert read.status_code == 200 and read.headers["content-type"] == SCIM_JSON
    # A body FastAPI would have refused as JSON reaches SCIM's own check.
    broken = scim.client.post("/scim/v2/Users", headers=scim.headers, content=b"{nope")
    assert broken.status_code == 400
    assert broken.headers["content-type"] == SCIM_JSON
    assert broken.json()["scimType"] == "invalidSyntax"
    # Undocumented paths are still SCIM's to answer.
    bulk = scim.client.post("/scim/v2/Bulk", headers=scim.headers, json={})
    assert bulk.headers["content-type"] == SCIM_JSON
    assert scim.client.delete(f"/scim/v2/Users/{user_id}", headers=scim.headers).status_code == 204
