"""Action plans: the most specific plan wins, versions are immutable and the activation
keeps its own, steps done go on the timeline and feed, the close guard holds back a
close while a mandatory step is left, and another municipality's plan is 404."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.centre import feed, guards
from stadsvakt.centre.models import ActivationEntry, QueueChange, ServedMunicipality
from stadsvakt.centre.plans import service
from stadsvakt.centre.plans.models import ActionPlan
from stadsvakt.centre.plans.schemas import StepIn, VersionIn
from stadsvakt.context import acting_as
from tests import factories as f
from tests.centre.plans.conftest import Centre, activation, logged_in, plan
from tests.web.conftest import csrf_of


def _step(instruction: str, kind: str = "call", mandatory: bool = False) -> dict[str, object]:
    return {"kind": kind, "instruction": instruction, "mandatory": mandatory}


def _resolved(session: Session, centre: Centre, site_id: uuid.UUID | None, category: str) -> str:
    found = service.resolve(session, centre.tenant.id, site_id, category)
    assert found is not None
    return service.steps_of(service.current_version(session, found))[0].instruction


def test_the_most_specific_plan_wins(session: Session, centre: Centre) -> None:
    admin = centre.admin.actor
    ids = {
        "centre": plan(session, admin, _step("centre default")),
        "centre fire": plan(session, admin, _step("centre fire"), category="fire"),
        "site": plan(session, admin, _step("site default"), site=centre.site),
        "site fire": plan(session, admin, _step("site fire"), site=centre.site, category="fire"),
    }
    site = centre.site.id
    assert _resolved(session, centre, site, "fire") == "site fire"
    assert _resolved(session, centre, site, "intrusion") == "site default"
    assert _resolved(session, centre, None, "fire") == "centre fire"
    assert _resolved(session, centre, None, "intrusion") == "centre default"
    for removed, then in (
        ("site fire", "site default"),
        ("site", "centre fire"),
        ("centre fire", "centre default"),
    ):
        session.delete(session.get(ActionPlan, ids[removed]))
        session.flush()
        assert _resolved(session, centre, site, "fire") == then
    session.delete(session.get(ActionPlan, ids["centre"]))
    session.flush()
    assert service.resolve(session, centre.tenant.id, site, "fire") is None


def test_a_served_municipality_falls_back_to_the_centres_defaults(
    session: Session, centre: Centre
) -> None:
    plan(session, centre.admin.actor, _step("centre fire"), category="fire")
    session.add(
        ServedMunicipality(centre_tenant_id=centre.tenant.id, served_tenant_id=centre.other.id)
    )
    session.flush()
    found = service.resolve(session, centre.other.id, centre.other_site.id, "fire")
    assert found is not None and found.tenant_id == centre.tenant.id
    # A category's default beats a default for every category, the centre's or its own.
    plan(session, centre.other_admin.actor, _step("own default"))
    still = service.resolve(session, centre.other.id, centre.other_site.id, "fire")
    assert still is not None and still.tenant_id == centre.tenant.id
    other = service.resolve(session, centre.other.id, centre.other_site.id, "intrusion")
    assert other is not None and other.tenant_id == centre.other.id
    plan(session, centre.other_admin.actor, _step("own fire"), category="fire")
    own = service.resolve(session, centre.other.id, centre.other_site.id, "fire")
    assert own is not None and own.tenant_id == centre.other.id  # its own before the centre's


def test_editing_makes_a_new_version_and_the_activation_keeps_its_own(
    session: Session, centre: Centre
) -> None:
    admin = centre.admin.actor
    plan_id = plan(session, admin, _step("Ring nyckelhållare", mandatory=True), site=centre.site)
    first = activation(session, centre.tenant, centre.site)
    pinned = service.plan_for(session, first)
    assert pinned is not None and pinned.number == 1
    assert first.plan_version_id == pinned.id
    with acting_as(admin):
        second_version = service.new_version(
            session,
            admin,
            plan_id,
            VersionIn(steps=[StepIn(kind="police", instruction="Ring 112")]),
        )
    assert second_version.number == 2
    again = service.plan_for(session, first)
    assert again is not None and again.id == pinned.id  # still version 1
    assert [s.instruction for s in service.steps_of(again)] == ["Ring nyckelhållare"]
    later = activation(session, centre.tenant, centre.site)
    newer = service.plan_for(session, later)
    assert newer is not None and newer.number == 2
    plan_row = session.get(ActionPlan, plan_id)
    assert plan_row is not None
    assert [v.number for v in service.versions(session, plan_row)] == [2, 1]


def test_close_is_refused_until_the_mandatory_steps_are_done(
    session: Session, centre: Centre
) -> None:
    plan(
        session,
        centre.admin.actor,
        _step("Ring nyckelhållare", mandatory=True),
        _step("Skicka väktare", kind="dispatch"),
        _step("Ring polisen", kind="police", mandatory=True),
        category="intrusion",
    )
    row = activation(session, centre.tenant, centre.site)
    assert guards.objections(session, row) == ["Ring nyckelhållare", "Ring polisen"]
    operator = centre.operator.actor
    before = feed.head(session)
    with acting_as(operator):
        entry = service.complete_step(session, operator, row.id, 0, "not_reached", "Inget svar")
    assert entry.kind == "step_done"
    assert entry.data["step"] == 0 and entry.data["outcome"] == "not_reached"
    assert entry.actor_name == operator.name
    assert row.version == 2
    change = session.execute(select(QueueChange).where(QueueChange.seq > before)).scalar_one()
    assert (change.activation_id, change.kind, change.version) == (row.id, "updated", 2)
    assert guards.objections(session, row) == ["Ring polisen"]
    with acting_as(operator):
        service.complete_step(session, operator, row.id, 2, "done")
    assert guards.objections(session, row) == []


def test_an_activation_without_a_plan_has_no_objection(session: Session, centre: Centre) -> None:
    row = activation(session, centre.tenant, centre.site)
    assert guards.objections(session, row) == []
    assert row.plan_version_id is None


def test_plans_api_versions_steps_and_tenancy(
    client: TestClient, session: Session, centre: Centre
) -> None:
    headers = f.owner_bearer(session, centre.tenant)
    made = client.post(
        "/api/v1/centre/plans",
        headers=headers,
        json={
            "site_id": str(centre.site.id),
            "category": "intrusion",
            "steps": [{"kind": "call", "instruction": "Ring nyckelhållare", "mandatory": True}],
        },
    )
    assert made.status_code == 201, made.text
    plan_id = made.json()["id"]
    key = made.json()["current_version"]["steps"][0]["key"]
    again = client.post(
        "/api/v1/centre/plans",
        headers=headers,
        json={"site_id": str(centre.site.id), "category": "intrusion", "steps": []},
    )
    assert again.status_code == 409
    bad = client.post(
        f"/api/v1/centre/plans/{plan_id}/versions",
        headers=headers,
        json={"steps": [{"kind": "teleport", "instruction": "x"}]},
    )
    assert bad.status_code == 422 and "kind" in bad.text
    version = client.post(
        f"/api/v1/centre/plans/{plan_id}/versions",
        headers=headers,
        json={
            "steps": [
                {"kind": "police", "instruction": "Ring 112", "number": "112"},
                {"kind": "call", "instruction": "Ring nyckelhållare", "key": key},
            ],
            "note": "polis först",
        },
    )
    assert version.status_code == 201 and version.json()["number"] == 2
    assert version.json()["steps"][1]["key"] == key  # the step keeps its key
    history = client.get(f"/api/v1/centre/plans/{plan_id}/versions", headers=headers).json()
    assert [v["number"] for v in history] == [2, 1]

    row = activation(session, centre.tenant, centre.site)
    shown = client.get(f"/api/v1/centre/activations/{row.id}/plan", headers=headers)
    assert shown.json()["version"]["number"] == 2
    assert shown.json()["missing_mandatory"] == []
    done = client.post(
        f"/api/v1/centre/activations/{row.id}/plan/steps/1",
        headers=headers,
        json={"outcome": "reached", "note": "Polisen kommer"},
    )
    assert done.status_code == 200 and done.json()["steps"][0]["done"] is True
    missing = client.post(
        f"/api/v1/centre/activations/{row.id}/plan/steps/9",
        headers=headers,
        json={"outcome": "done"},
    )
    assert missing.status_code == 404
    failed = client.post(
        f"/api/v1/centre/activations/{row.id}/plan/steps/1",
        headers=headers,
        json={"outcome": "failed"},
    )
    assert failed.status_code == 422

    other = f.owner_bearer(session, centre.other)
    assert client.get(f"/api/v1/centre/plans/{plan_id}", headers=other).status_code == 404
    assert client.get(f"/api/v1/centre/plans/{plan_id}/versions", headers=other).status_code == 404
    foreign = client.post(
        f"/api/v1/centre/plans/{plan_id}/versions", headers=other, json={"steps": []}
    )
    assert foreign.status_code == 404
    assert plan_id not in {
        p["id"] for p in client.get("/api/v1/centre/plans", headers=other).json()
    }
    on_their_site = client.post(
        "/api/v1/centre/plans",
        headers=other,
        json={"site_id": str(centre.site.id), "steps": []},
    )
    assert on_their_site.status_code == 404
    plan_of = client.get(f"/api/v1/centre/activations/{row.id}/plan", headers=other)
    assert plan_of.status_code == 404
    step_of = client.post(
        f"/api/v1/centre/activations/{row.id}/plan/steps/1", headers=other, json={"outcome": "done"}
    )
    assert step_of.status_code == 404


def test_plan_pages_create_edit_reorder_and_restore(
    client: TestClient, session: Session, centre: Centre
) -> None:
    browser = logged_in(client, centre.admin)
    listing = browser.get("/centre/plans")
    assert listing.status_code == 200 and "Åtgärdsplaner" in listing.text
    token = csrf_of(listing.text)
    created = browser.post(
        "/centre/plans",
        data={"csrf_token": token, "site_id": str(centre.site.id), "category": "fire"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    url = created.headers["location"].split("?")[0]
    for instruction, kind in (("Ring räddningstjänsten", "call"), ("Ring 112", "police")):
        added = browser.post(
            url,
            data={
                "csrf_token": token,
                "action": "add",
                "kind": kind,
                "instruction": instruction,
                "mandatory": "on",
                "role_keyholder": "on",
            },
            follow_redirects=False,
        )
        assert added.status_code == 303, added.text
    empty = browser.post(
        url, data={"csrf_token": token, "action": "add", "kind": "call", "instruction": " "}
    )
    assert empty.status_code == 422
    moved = browser.post(
        url, data={"csrf_token": token, "action": "down:1"}, follow_redirects=False
    )
    assert moved.status_code == 303
    page = browser.get(url).text
    assert page.index("Ring 112") < page.index("Ring räddningstjänsten")
    assert "Flyttade ned steg 1" in page and "Lade till ett steg" in page
    assert "Obligatoriskt" in page and "Nyckelhållare" in page
    restored = browser.post(
        url, data={"csrf_token": token, "action": "restore:2"}, follow_redirects=False
    )
    assert restored.status_code == 303
    page = browser.get(url).text
    assert page.index("Ring räddningstjänsten") < page.index("Ring 112")
    assert "Steg (version 4)" in page
    old = browser.get(f"{url}/versions/1")
    assert old.status_code == 200 and "Ring räddningstjänsten" in old.text

    reader = logged_in(TestClient(client.app, base_url="https://testserver"), centre.operator)
    assert reader.get(url).status_code == 200
    refused = reader.post(url, data={"csrf_token": csrf_of(reader.get("/centre/plans").text)})
    assert refused.status_code in (403, 404)

    outsider = logged_in(TestClient(client.app, base_url="https://testserver"), centre.other_admin)
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"{url}/versions/1").status_code == 404


def test_steps_done_on_the_activations_plan_page(
    client: TestClient, session: Session, centre: Centre
) -> None:
    plan(session, centre.admin.actor, _step("Ring nyckelhållare", mandatory=True))
    row = activation(session, centre.tenant, centre.site)
    browser = logged_in(client, centre.operator)
    url = f"/centre/activations/{row.id}/plan"
    page = browser.get(url)
    assert page.status_code == 200
    assert "Ring nyckelhållare" in page.text and "Inte utfört än" in page.text
    done = browser.post(
        f"{url}/steps/1",
        data={
            "csrf_token": csrf_of(page.text),
            "outcome": "reached",
            "note": "Kommer",
            "next": url,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"{url}#plan-step-1"
    shown = browser.get(url).text
    assert "Nådd" in shown and "Kommer" in shown
    entries = (
        session.execute(
            select(ActivationEntry).where(
                ActivationEntry.activation_id == row.id, ActivationEntry.kind == "step_done"
            )
        )
        .scalars()
        .all()
    )
    assert len(entries) == 1
    outsider = logged_in(TestClient(client.app, base_url="https://testserver"), centre.other_admin)
    assert outsider.get(url).status_code == 404
