"""Site contacts and keyholders: who may be called now, in Swedish local time (summer
time included), in call order; their pages and API, and another municipality's are 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.centre import contacts
from stadsvakt.centre.plans.schemas import ContactIn
from stadsvakt.centre.plans.steps import ContactRole
from stadsvakt.context import acting_as
from tests import factories as f
from tests.centre.plans.conftest import Centre, logged_in
from tests.web.conftest import csrf_of

WEEKDAYS_7_17 = [{"days": [1, 2, 3, 4, 5], "start": "07:00", "end": "17:00"}]


@pytest.mark.parametrize(
    ("moment", "callable_"),
    [
        # Winter (CET, UTC+1): Monday 2026-01-12.
        (datetime(2026, 1, 12, 5, 59, tzinfo=UTC), False),  # 06:59 CET
        (datetime(2026, 1, 12, 6, 0, tzinfo=UTC), True),  # 07:00 CET
        (datetime(2026, 1, 12, 15, 59, tzinfo=UTC), True),  # 16:59 CET
        (datetime(2026, 1, 12, 16, 0, tzinfo=UTC), False),  # 17:00 CET
        # Summer (CEST, UTC+2): Monday 2026-07-13; the same wall-clock hours.
        (datetime(2026, 7, 13, 4, 59, tzinfo=UTC), False),  # 06:59 CEST
        (datetime(2026, 7, 13, 5, 0, tzinfo=UTC), True),  # 07:00 CEST
        (datetime(2026, 7, 13, 14, 59, tzinfo=UTC), True),  # 16:59 CEST
        (datetime(2026, 7, 13, 15, 0, tzinfo=UTC), False),  # 17:00 CEST
        # Saturday.
        (datetime(2026, 7, 18, 9, 0, tzinfo=UTC), False),
    ],
)
def test_weekday_window_follows_swedish_wall_clock(moment: datetime, callable_: bool) -> None:
    assert contacts.may_call(WEEKDAYS_7_17, moment) is callable_


def test_window_across_the_spring_and_autumn_clock_changes() -> None:
    early = [{"days": [7], "start": "01:00", "end": "04:00"}]
    # 2026-03-29 (Sunday): 02:00 CET becomes 03:00 CEST.
    assert contacts.may_call(early, datetime(2026, 3, 29, 0, 30, tzinfo=UTC))  # 01:30 CET
    assert contacts.may_call(early, datetime(2026, 3, 29, 1, 30, tzinfo=UTC))  # 03:30 CEST
    assert not contacts.may_call(early, datetime(2026, 3, 29, 2, 0, tzinfo=UTC))  # 04:00 CEST
    # 2026-10-25 (Sunday): 03:00 CEST becomes 02:00 CET; 03:30 CET is 02:30 UTC.
    assert contacts.may_call(early, datetime(2026, 10, 25, 2, 30, tzinfo=UTC))
    assert not contacts.may_call(early, datetime(2026, 10, 25, 3, 0, tzinfo=UTC))  # 04:00 CET


def test_overnight_and_whole_day_windows() -> None:
    nights = [{"days": [5], "start": "22:00", "end": "06:00"}]  # Friday night
    assert contacts.may_call(nights, datetime(2026, 1, 16, 21, 30, tzinfo=UTC))  # Fri 22:30
    assert contacts.may_call(nights, datetime(2026, 1, 17, 4, 0, tzinfo=UTC))  # Sat 05:00
    assert not contacts.may_call(nights, datetime(2026, 1, 17, 21, 30, tzinfo=UTC))  # Sat 22:30
    assert not contacts.may_call(nights, datetime(2026, 1, 16, 4, 0, tzinfo=UTC))  # Fri 05:00
    weekend = [{"days": [6, 7], "start": "00:00", "end": "00:00"}]
    assert contacts.may_call(weekend, datetime(2026, 1, 17, 12, 0, tzinfo=UTC))
    assert not contacts.may_call(weekend, datetime(2026, 1, 16, 12, 0, tzinfo=UTC))
    assert contacts.may_call([], datetime(2026, 1, 16, 3, 0, tzinfo=UTC))  # no windows: always


def test_windows_written_in_swedish_or_english() -> None:
    parsed = contacts.parse_windows("mån-fre 07-17; lör 10:00-14:30\nsun 22-6")
    assert parsed == [
        {"days": [1, 2, 3, 4, 5], "start": "07:00", "end": "17:00"},
        {"days": [6], "start": "10:00", "end": "14:30"},
        {"days": [7], "start": "22:00", "end": "06:00"},
    ]
    assert contacts.parse_windows("fri-mon 08-09")[0]["days"] == [1, 5, 6, 7]
    names = ["mån", "tis", "ons", "tor", "fre", "lör", "sön"]
    assert contacts.format_windows(parsed[:2], names) == "mån-fre 07:00-17:00; lör 10:00-14:30"
    for bad in ("weekdays", "mån 25-26", "xyz 07-17", "mån 07"):
        with pytest.raises(ValueError):
            contacts.parse_windows(bad)


def test_callable_now_in_call_order_by_role(session: Session, centre: Centre) -> None:
    actor = centre.admin.actor
    rows = [
        ContactIn(name="Karin Ek", role=ContactRole.KEYHOLDER, phone="070-111 11 11"),
        ContactIn(
            name="Olle Dag",
            role=ContactRole.KEYHOLDER,
            phone="070-222 22 22",
            windows=WEEKDAYS_7_17,
        ),
        ContactIn(name="Maria Chef", role=ContactRole.MANAGER, email="maria@example.se"),
    ]
    with acting_as(actor):
        made = [contacts.create_contact(session, actor, centre.site.id, row) for row in rows]
    assert [c.position for c in made] == [1, 2, 3]
    monday_noon = datetime(2026, 7, 13, 10, 0, tzinfo=UTC)
    sunday_noon = datetime(2026, 7, 12, 10, 0, tzinfo=UTC)
    keyholders = [ContactRole.KEYHOLDER]
    names = [c.name for c in contacts.callable_now(session, centre.site.id, at=monday_noon)]
    assert names == ["Karin Ek", "Olle Dag", "Maria Chef"]
    at_weekend = contacts.callable_now(session, centre.site.id, at=sunday_noon, roles=keyholders)
    assert [c.name for c in at_weekend] == ["Karin Ek"]


def test_contacts_pages_add_change_move_and_remove(
    client: TestClient, session: Session, centre: Centre
) -> None:
    browser = logged_in(client, centre.admin)
    url = f"/centre/sites/{centre.site.id}/contacts"
    page = browser.get(url)
    assert page.status_code == 200
    assert "Kontaktpersoner och nyckelhållare" in page.text
    token = csrf_of(page.text)
    bad = browser.post(
        url, data={"csrf_token": token, "name": "Karin", "role": "keyholder", "windows": "ibland"}
    )
    assert bad.status_code == 422
    assert "mån-fre 07:00-17:00" in bad.text  # the hint shows how to write the hours
    for name, windows in (("Karin Ek", "mån-fre 07-17"), ("Olle Dag", "")):
        done = browser.post(
            url,
            data={
                "csrf_token": token,
                "name": name,
                "role": "keyholder",
                "phone": "070-111 11 11",
                "windows": windows,
            },
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    listed = browser.get(url).text
    assert listed.index("Karin Ek") < listed.index("Olle Dag")
    assert "mån-fre 07:00-17:00" in listed and "När som helst" in listed
    olle = contacts.site_contacts(session, centre.site.id)[1]
    moved = browser.post(
        f"/centre/contacts/{olle.id}",
        data={"csrf_token": token, "action": "up"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    listed = browser.get(url).text
    assert listed.index("Olle Dag") < listed.index("Karin Ek")
    changed = browser.post(
        f"/centre/contacts/{olle.id}",
        data={
            "csrf_token": token,
            "action": "save",
            "name": "Olle Dag",
            "role": "caretaker",
            "windows": "lör-sön 10-14",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert "lör-sön 10:00-14:00" in browser.get(url).text
    removed = browser.post(
        f"/centre/contacts/{olle.id}",
        data={"csrf_token": token, "action": "remove"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert "Olle Dag" not in browser.get(url).text


def test_contacts_api_and_another_municipality_is_404(
    client: TestClient, session: Session, centre: Centre
) -> None:
    headers = f.owner_bearer(session, centre.tenant)
    url = f"/api/v1/centre/sites/{centre.site.id}/contacts"
    made = client.post(
        url,
        headers=headers,
        json={
            "name": "Karin Ek",
            "role": "keyholder",
            "phone": "+46 70 111 11 11",
            "windows": WEEKDAYS_7_17,
        },
    )
    assert made.status_code == 201, made.text
    contact_id = made.json()["id"]
    bad = client.post(url, headers=headers, json={"name": "X", "role": "boss"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    at_night = client.get(url, headers=headers, params={"callable_at": "2026-07-13T23:00:00+02:00"})
    assert at_night.json() == []
    by_day = client.get(url, headers=headers, params={"callable_at": "2026-07-13T08:00:00+02:00"})
    assert [row["name"] for row in by_day.json()] == ["Karin Ek"]
    moved = client.patch(
        f"/api/v1/centre/contacts/{contact_id}", headers=headers, json={"notes": "Kod 1234"}
    )
    assert moved.status_code == 200 and moved.json()["notes"] == "Kod 1234"

    other = f.owner_bearer(session, centre.other)
    assert client.get(url, headers=other).status_code == 404
    assert client.get(f"/api/v1/centre/contacts/{contact_id}", headers=other).status_code == 404
    refused = client.patch(
        f"/api/v1/centre/contacts/{contact_id}", headers=other, json={"notes": "x"}
    )
    assert refused.status_code == 404
    contact_url = f"/api/v1/centre/contacts/{contact_id}"
    assert client.delete(contact_url, headers=other).status_code == 404
    assert client.delete(contact_url, headers=headers).status_code == 204


def test_contacts_page_of_another_municipality_is_404(client: TestClient, centre: Centre) -> None:
    browser = logged_in(client, centre.other_admin)
    assert browser.get(f"/centre/sites/{centre.site.id}/contacts").status_code == 404
