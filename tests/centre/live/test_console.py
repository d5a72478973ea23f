"""The console's queue page (``/centre``) rendered on the server: the open activations in
order, in Swedish time, with the shortcuts listed, and nothing of another municipality."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.centre import feed
from stadsvakt.centre.models import ActivationState
from stadsvakt.web.localtime import local_time
from tests import factories as f
from tests.centre.live.conftest import Centre
from tests.centre.live.helpers import change, open_activation
from tests.web.conftest import log_in


def _operator(client: TestClient, session: Session, services: Services, centre: Centre) -> None:
    who = f.user(session, centre.home, services.passwords, role="operator")
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, who.username, who.password).status_code == 303


def test_the_console_lists_the_queue_in_order(
    client: TestClient, session: Session, services: Services, centre: Centre
) -> None:
    _operator(client, session, services, centre)
    intrusion = open_activation(
        session, centre.home, centre.site, priority=4, title="Inbrott zon 3", minutes_ago=20
    )
    fire = open_activation(
        session, centre.served, centre.served_site, priority=1, category="fire", title="Brand"
    )
    change(session, intrusion, feed.CLAIMED, state=ActivationState.CLAIMED, claimed_by="Ada L")
    stranger = open_activation(session, centre.stranger, centre.stranger_site, title="Hemligt")
    session.flush()

    page = client.get("/centre")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'aria-current="page">Kö<' in html
    rows = re.findall(r'<tr class="queue-row[^"]*" data-id="([^"]+)"', html)
    assert rows == [str(fire.id), str(intrusion.id)]
    assert str(stranger.id) not in html and "Hemligt" not in html
    assert f'data-seq="{feed.head(session)}"' in html
    assert local_time(fire.opened_at) in html
    assert "Hanteras av Ada L" in html
    assert "Grannby kommun" in html
    assert f'href="/centre/activations/{fire.id}"' in html
    # The shortcuts are on the page, and the script that uses them is a file.
    assert "Kortkommandon" in html and "<kbd>j</kbd>" in html
    assert "/static/console.js" in html and "/static/console.css" in html
    assert 'aria-live="polite"' in html


def test_an_empty_queue_says_so(
    client: TestClient, session: Session, services: Services, centre: Centre
) -> None:
    _operator(client, session, services, centre)
    html = client.get("/centre").text
    assert "Inga öppna aktiveringar." in html
    assert 'id="queue-empty" class="empty" hidden' not in html


def test_the_console_needs_centre_read(
    client: TestClient, session: Session, services: Services, centre: Centre
) -> None:
    who = f.user(session, centre.home, services.passwords, role="read_only")
    assert log_in(client, who.username, who.password).status_code == 303
    assert client.get("/centre").status_code == 403
    client.cookies.clear()
    response = client.get("/centre", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_an_operator_starts_receiving_and_is_offered_what_waits(
    client: TestClient, session: Session, services: Services, centre: Centre
) -> None:
    _operator(client, session, services, centre)
    waiting = open_activation(session, centre.home, centre.site, priority=2, title="Överfall")
    session.flush()
    html = client.get("/centre").text
    assert "Börja ta emot larm" in html and "Du tar inte emot nya larm" in html
    assert not re.search(r'class="tag tag-offered" data-field="offered">', html)

    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    started = client.post(
        "/centre/receiving",
        data={"csrf_token": token.group(1), "receiving": "on"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    session.refresh(waiting)
    assert waiting.offered_to is not None
    html = client.get("/centre").text
    assert "Sluta ta emot larm" in html and "Du tar emot nya larm sedan" in html
    assert 'class="tag tag-offered" data-field="offered">Erbjudet dig<' in html
    assert 'data-heartbeat="/api/v1/centre/heartbeat"' in html

    stopped = client.post(
        "/centre/receiving",
        data={"csrf_token": token.group(1), "receiving": "off"},
        follow_redirects=False,
    )
    assert stopped.status_code == 303
    session.refresh(waiting)
    assert waiting.offered_to is None


def test_receiving_cannot_be_switched_without_the_form_token(
    client: TestClient, session: Session, services: Services, centre: Centre
) -> None:
    _operator(client, session, services, centre)
    refused = client.post("/centre/receiving", data={"receiving": "on"})
    assert refused.status_code == 403
