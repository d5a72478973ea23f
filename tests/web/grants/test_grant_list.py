"""The grants list: paging, search, kind, state and ending-soon filters, sorting, counts,
state kept in the URL, and bad parameters refused by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from stadsvakt.access.models import Grant, GrantKind
from stadsvakt.access.services.grant_list import search_grants
from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.context import system_actor
from stadsvakt.directory.models import Person
from tests.access.town import Town
from tests.web.grants.conftest import Cast, Login


def _grant(
    session: Session,
    town: Town,
    cast: Cast,
    holder: Person,
    kind: GrantKind,
    start: datetime,
    end: datetime | None,
    **extra: object,
) -> Grant:
    row = Grant(
        tenant_id=town.tenant.id,
        org_unit_id=holder.org_unit_id,
        profile_id=cast.profile.id,
        person_id=holder.id,
        kind=kind,
        valid_from=start,
        valid_to=end,
        host_person_id=cast.host.id,
        reason="Test",
        **extra,
    )
    session.add(row)
    session.flush()
    return row


def test_filters_search_and_ending_within_seven_days(
    login: Login, cast: Cast, session: Session, town: Town
) -> None:
    now = datetime.now(UTC)
    _grant(
        session,
        town,
        cast,
        cast.guest,
        GrantKind.GUEST,
        now - timedelta(days=1),
        now + timedelta(days=3),
    )
    _grant(
        session,
        town,
        cast,
        cast.contractor,
        GrantKind.CONTRACTOR,
        now - timedelta(days=1),
        now + timedelta(days=20),
        company="Sundby Hiss AB",
    )
    _grant(session, town, cast, cast.host, GrantKind.EXTRA, now + timedelta(days=2), None)
    _grant(
        session,
        town,
        cast,
        cast.care_guest,
        GrantKind.GUEST,
        now - timedelta(days=9),
        now - timedelta(days=2),
    )
    browser = login("department_admin", town.schools)

    every = browser.get("/access/grants")
    assert "3 behörigheter" in every.text  # the care department's grant is not shown
    assert "Omsorgsgäst" not in every.text
    ending = _rows(browser.get("/access/grants", params={"ending": "7d"}).text)
    assert "Gästsson" in ending and "Fixare" not in ending and "Gäst" in ending
    assert "Extra behörighet" not in ending  # the upcoming extra right
    assert "av 1 · 1 behörighet" in browser.get("/access/grants", params={"ending": "7d"}).text
    month = browser.get("/access/grants", params={"ending": "30d"}).text
    assert "Fixare" in _rows(month) and "av 2 · 2 behörigheter" in month
    upcoming = browser.get("/access/grants", params={"state": "upcoming"}).text
    assert "av 1 · 1 behörighet" in upcoming and "Extra behörighet" in _rows(upcoming)
    by_company = _rows(browser.get("/access/grants", params={"q": "hiss"}).text)
    assert "Fixare" in by_company and "Gästsson" not in by_company
    by_host = browser.get("/access/grants", params={"q": "värdsson"}).text
    assert "3 behörigheter" in by_host
    kind = _rows(browser.get("/access/grants", params={"kind": "contractor"}).text)
    assert "Fixare" in kind and "Gästsson" not in kind


def _rows(html: str) -> str:
    """The list's table body."""
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""


def test_sorting_and_paging_keep_their_state(
    login: Login, cast: Cast, session: Session, town: Town
) -> None:
    now = datetime.now(UTC)
    for n in range(27):
        _grant(
            session,
            town,
            cast,
            cast.guest,
            GrantKind.GUEST,
            now + timedelta(hours=n),
            now + timedelta(days=40, hours=n),
        )
    browser = login()
    first = browser.get("/access/grants", params={"kind": "guest"})
    assert "Visar 1–25 av 27" in first.text
    assert 'href="/access/grants?kind=guest&amp;p=2"' in first.text
    second = browser.get("/access/grants", params={"kind": "guest", "p": "2"})
    assert "Visar 26–27 av 27" in second.text
    newest = (now + timedelta(hours=26)).astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    oldest = now.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    assert newest in first.text  # newest first by default
    ascending = browser.get("/access/grants", params={"sort": "from"}).text
    assert oldest in ascending and newest not in ascending
    assert 'aria-sort="ascending"' in ascending
    for key in ("to", "person", "kind", "-to"):
        assert browser.get("/access/grants", params={"sort": key}).status_code == 200


def test_bad_parameters_are_refused_by_name(login: Login) -> None:
    browser = login()
    for params, words in (
        ({"ending": "8d"}, "ending"),
        ({"state": "soon"}, "state"),
        ({"kind": "visitor"}, "kind"),
        ({"sort": "reason"}, "reason"),
        ({"p": "0"}, "p"),
        ({"p": "9"}, "9"),
        ({"size": "1000"}, "size"),
        ({"colour": "red"}, "colour"),
    ):
        page = browser.get("/access/grants", params=params)
        assert page.status_code == 422, params
        assert words in page.text, params


def test_ending_within_a_week_counts_stockholm_days_across_summer_time(
    cast: Cast, session: Session, town: Town
) -> None:
    # Saturday 2026-03-28 12:00 in Stockholm (CET); summer time begins the next night, so a
    # week on Stockholm's clock is 167 hours.
    now = datetime(2026, 3, 28, 12, 0, tzinfo=STOCKHOLM).astimezone(UTC)
    week_later = datetime(2026, 4, 4, 12, 0, tzinfo=STOCKHOLM)
    start = now - timedelta(days=1)
    inside = _grant(session, town, cast, cast.guest, GrantKind.GUEST, start, week_later)
    outside = _grant(
        session, town, cast, cast.guest, GrantKind.GUEST, start, week_later + timedelta(minutes=1)
    )
    ended = _grant(session, town, cast, cast.guest, GrantKind.GUEST, start, now)
    actor = system_actor("test", town.tenant.id)
    rows, total = search_grants(session, actor, now=now, limit=10, offset=0, ending_days=7)
    assert [row.grant.id for row in rows] == [inside.id] and total == 1
    assert week_later - now == timedelta(hours=167)
    assert {outside.id, ended.id}.isdisjoint(row.grant.id for row in rows)
