"""The service catalogue: levels seeded per municipality, a site's service, the shortfall report."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.access.town import V1, Town, admin_fixture, town_fixture  # noqa: F401


def _levels(client: TestClient, town: Town) -> dict[str, dict[str, object]]:
    items = client.get(V1 + "/service-levels", headers=town.owner).json()["items"]
    return {level["code"]: level for level in items}


def test_a_new_municipality_has_the_three_levels(client: TestClient, town: Town) -> None:
    levels = _levels(client, town)
    assert list(levels) == ["grundlaggande", "utokad", "avancerad"]
    assert levels["grundlaggande"]["name"] == "Grundläggande"
    assert levels["utokad"]["requirements"] == [
        "perimeter_readers",
        "inner_zones",
        "intrusion_alarm",
    ]
    assert "visitor_management" in levels["avancerad"]["requirements"]  # type: ignore[operator]


def test_shortfall_lists_sites_missing_components(client: TestClient, town: Town) -> None:
    levels = _levels(client, town)
    put = client.put(
        f"{V1}/sites/{town.school_site.id}/service",
        headers=town.owner,
        json={"level_id": levels["utokad"]["id"], "components": ["perimeter_readers", "camera"]},
    )
    assert put.status_code == 200, put.text
    assert put.json()["missing"] == ["inner_zones", "intrusion_alarm"]
    full = client.put(
        f"{V1}/sites/{town.care_site.id}/service",
        headers=town.owner,
        json={"level_id": levels["grundlaggande"]["id"], "components": ["perimeter_readers"]},
    )
    assert full.json()["missing"] == []
    report = client.get(V1 + "/reports/service-shortfall", headers=town.owner).json()
    assert report["total"] == 1
    (row,) = report["items"]
    assert row["site_id"] == str(town.school_site.id)
    assert row["level_code"] == "utokad"
    assert row["missing"] == ["inner_zones", "intrusion_alarm"]

    raised = client.patch(
        f"{V1}/service-levels/{levels['grundlaggande']['id']}",
        headers=town.owner,
        json={"requirements": ["perimeter_readers", "camera"]},
    )
    assert raised.status_code == 200
    again = client.get(V1 + "/reports/service-shortfall", headers=town.owner).json()
    assert again["total"] == 2
    in_use = client.delete(f"{V1}/service-levels/{levels['utokad']['id']}", headers=town.owner)
    assert in_use.status_code == 409


def test_catalogue_rules(client: TestClient, town: Town) -> None:
    levels = _levels(client, town)
    twice = client.put(
        f"{V1}/sites/{town.school_site.id}/service",
        headers=town.owner,
        json={"level_id": levels["utokad"]["id"], "components": ["camera", "camera"]},
    )
    assert twice.json()["errors"][0]["field"] == "components"
    assert twice.json()["errors"][0]["rule"] == "distinct"
    unknown = client.put(
        f"{V1}/sites/{town.school_site.id}/service",
        headers=town.owner,
        json={"level_id": str(town.school.id), "components": []},
    )
    assert unknown.status_code == 404 and unknown.json()["field"] == "level_id"
    dup = client.post(
        V1 + "/service-levels", headers=town.owner, json={"code": "utokad", "name": "Igen"}
    )
    assert dup.status_code == 409
    assert (
        client.get(f"{V1}/sites/{town.care_site.id}/service", headers=town.owner).status_code == 404
    )


def test_department_admin_reads_own_sites_and_cannot_change_the_catalogue(
    client: TestClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    levels = _levels(client, town)
    for site in (town.school_site, town.care_site):
        client.put(
            f"{V1}/sites/{site.id}/service",
            headers=town.owner,
            json={"level_id": levels["avancerad"]["id"], "components": []},
        )
    # Without a bearer header the client acts as the logged-in department administrator.
    report = client.get(V1 + "/reports/service-shortfall").json()
    assert [row["site_id"] for row in report["items"]] == [str(town.school_site.id)]
    assert client.get(f"{V1}/sites/{town.care_site.id}/service").status_code == 404
    refused = client.put(
        f"{V1}/sites/{town.school_site.id}/service",
        headers=admin,
        json={"level_id": levels["grundlaggande"]["id"], "components": []},
    )
    assert refused.status_code == 403
    level = client.patch(
        f"{V1}/service-levels/{levels['grundlaggande']['id']}", headers=admin, json={"rank": 9}
    )
    assert level.status_code == 403
