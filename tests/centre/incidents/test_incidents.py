"""Incidents logged by hand from phone calls: they open activations in the same queue."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.audit.models import AuditEntry
from stadsvakt.centre import feed
from stadsvakt.centre.incidents import IncidentIn, log_incident
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationKind
from stadsvakt.db import utcnow
from stadsvakt.errors import InvalidInput, NotFound
from tests import factories as f
from tests.centre.incidents.conftest import Centre, actor

V1 = "/api/v1/centre"


def _incident(tenant: uuid.UUID, **extra: object) -> IncidentIn:
    return IncidentIn.model_validate(
        {
            "tenant_id": str(tenant),
            "type": "staff_threatened",
            "address": "Storgatan 1",
            "caller_name": "Kim",
            "caller_phone": "+46 70 123 45 67",
            "description": "Personal hotad i receptionen\nVill ha väktare",
            **extra,
        }
    )


def test_an_incident_opens_an_activation_with_its_call_on_the_timeline(
    session: Session, centre: Centre
) -> None:
    before = feed.head(session)
    now = utcnow()
    activation = log_incident(session, centre.operator, _incident(centre.home.id), now=now)
    assert activation.kind is ActivationKind.INCIDENT
    assert activation.group_key == f"incident|{activation.id}"
    # Staff threatened is a hold-up/threat category: the settings rank it 2.
    assert (activation.category, activation.priority) == ("hold_up", 2)
    assert activation.title == "Storgatan 1: Personal hotad i receptionen"
    [entry] = session.scalars(
        select(ActivationEntry).where(ActivationEntry.activation_id == activation.id)
    )
    assert entry.kind == "incident_logged" and entry.actor_name == "Olle Operatör"
    assert entry.data["caller_phone"] == "+46 70 123 45 67"
    [change] = feed.changes_since(session, before)
    assert (change.kind, change.activation_id) == ("new", str(activation.id))
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.object_id == str(activation.id))
    ).one()
    assert audit.action == "centre.incident.log"


def test_priority_and_category_from_the_form_win(session: Session, centre: Centre) -> None:
    data = _incident(centre.served.id, category="technical", priority=1, type="tenant")
    activation = log_incident(session, centre.operator, data, now=utcnow())
    assert (activation.category, activation.priority, activation.code) == (
        "technical",
        1,
        "tenant",
    )
    assert activation.tenant_id == centre.served.id


def test_a_site_of_the_municipality_or_an_address_is_needed(
    session: Session, centre: Centre
) -> None:
    with pytest.raises(InvalidInput) as refused:
        log_incident(session, centre.operator, _incident(centre.home.id, address=""), now=utcnow())
    assert refused.value.extra["errors"][0]["rule"] == "site_or_address"
    # A site of another municipality is not found, as if it did not exist.
    wrong_site = _incident(centre.home.id, site_id=str(centre.served_site.id))
    with pytest.raises(NotFound):
        log_incident(session, centre.operator, wrong_site, now=utcnow())
    at_site = _incident(centre.served.id, site_id=str(centre.served_site.id), address="")
    activation = log_incident(session, centre.operator, at_site, now=utcnow())
    assert activation.site_id == centre.served_site.id


def test_only_served_municipalities_and_only_operators(session: Session, centre: Centre) -> None:
    with pytest.raises(NotFound):
        log_incident(session, centre.operator, _incident(centre.other.id), now=utcnow())
    reader = actor(centre.home, "centre.read")
    with pytest.raises(Exception, match="centre.operate"):
        log_incident(session, reader, _incident(centre.home.id), now=utcnow())


def test_api_logs_an_incident(client: TestClient, session: Session, centre: Centre) -> None:
    headers = f.owner_bearer(session, centre.home)
    body = {
        "tenant_id": str(centre.served.id),
        "type": "disturbance",
        "address": "Torget",
        "description": "Bråk utanför fritidsgården",
    }
    response = client.post(f"{V1}/incidents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["kind"], created["category"], created["state"]) == ("incident", "other", "open")
    assert session.get(Activation, uuid.UUID(created["id"])) is not None

    refused = client.post(f"{V1}/incidents", json={**body, "address": ""}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == {
        "field": "address",
        "rule": "site_or_address",
        "message": "address: give a site or an address",
    }
    elsewhere = client.post(
        f"{V1}/incidents", json={**body, "tenant_id": str(centre.other.id)}, headers=headers
    )
    assert elsewhere.status_code == 404
