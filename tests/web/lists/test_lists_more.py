"""Every list of sites, units, doors, profiles, schedules, alarms, transmitters and orphan
credentials over HTTP: paging past the first page, each sort key both ways, search, each
filter, and bad parameters refused with a page naming the field."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import ProfileZone
from stadsvakt.alarms.models import Transmitter
from tests.web.lists.conftest import Many, N

Order = Callable[[list[str]], list[str]]


def same(names: list[str]) -> list[str]:
    return list(names)


def backwards(names: list[str]) -> list[str]:
    return list(reversed(names))


@dataclass(frozen=True)
class ListCase:
    """One list: where it is, how to find our rows in it, and what its sorts give."""

    fixture: str
    path: str
    query: dict[str, str]
    row: re.Pattern[str]
    #: Sort keys whose order is known (ascending, from the fixture's names).
    ordered: dict[str, Order]
    #: Sort keys with ties: only checked to be accepted and to keep the same rows.
    others: tuple[str, ...] = ()
    default: Order | None = None
    bad: tuple[tuple[str, str], ...] = field(default_factory=tuple)


NAME_ROW = r'<th scope="row"><a href="{}/[^"]+">(Lista \d\d)</a></th>'
CASES = {
    "sites": ListCase(
        "many_sites",
        "/sites",
        {"q": "Lista"},
        re.compile(NAME_ROW.format("/sites")),
        {"name": same, "code": backwards},
        ("address", "owner"),
        same,
        (("owner", "nobody"), ("unit", "not-a-unit")),
    ),
    "units": ListCase(
        "many_units",
        "/org-units",
        {"q": "Lista"},
        re.compile(NAME_ROW.format("/org-units")),
        {"name": same, "code": backwards},
        ("kind",),
        same,
        (("kind", "team"),),
    ),
    "doors": ListCase(
        "many_doors",
        "/access/places",
        {"q": "Lista"},
        # The name links to the door's edit page for those who may edit doors.
        re.compile(
            r'<th scope="row">(?:<a href="/access/doors/[^"]+">)?(Lista \d\d)(?:</a>)?</th>'
        ),
        {"name": same, "code": backwards},
        ("site", "zone", "mode"),
        None,
        (("mode", "open"), ("site", "xyz"), ("zone", "1")),
    ),
    "profiles": ListCase(
        "many_profiles",
        "/access/profiles",
        {"q": "Lista"},
        re.compile(NAME_ROW.format("/access/profiles")),
        {"name": same, "code": backwards, "course": same},
        (),
        backwards,
        (("zone", "abc"),),
    ),
    "schedules": ListCase(
        "many_schedules",
        "/access/schedules",
        {"q": "Lista"},
        re.compile(NAME_ROW.format("/access/schedules")),
        {"name": same, "code": backwards},
        ("holidays",),
        backwards,
        (("holidays", "sometimes"),),
    ),
    "transmitters": ListCase(
        "many_transmitters",
        "/transmitters",
        {},
        re.compile(r'<a href="/transmitters/[^"]+"><code>([^<]+)</code></a>'),
        {"account": same, "name": backwards},
        ("protocol", "bearer", "last_seen"),
        same,
        (("bearer", "6G"), ("protocol", "morse"), ("site", "x")),
    ),
    "alarms": ListCase(
        "many_alarms",
        "/alarms",
        {},
        re.compile(r"<td><code>(A\d{3})</code></td>"),
        {"received": backwards},
        ("priority",),
        same,
        (
            ("category", "flood"),
            ("from", "2026-13-01"),
            ("to", "igår"),
            ("site", "x"),
            ("transmitter", "x"),
        ),
    ),
    "orphans": ListCase(
        "many_orphans",
        "/reports",
        {"q": "Lista"},
        re.compile(r"<td><code>(04B[0-9A-F]+)</code></td>"),
        {"person": same},
        ("reason", "kind", "ended"),
        same,
        (("reason", "bored"), ("kind", "key")),
    ),
}


def _rows(browser: TestClient, case: ListCase, **params: str) -> list[str]:
    response = browser.get(case.path, params={**case.query, **params})
    assert response.status_code == 200, response.text[:2000]
    return case.row.findall(response.text)


@pytest.fixture(params=sorted(CASES))
def listed(request: pytest.FixtureRequest) -> tuple[ListCase, Many]:
    case = CASES[request.param]
    return case, request.getfixturevalue(case.fixture)


def test_pages_of_25_and_the_rest(browser: TestClient, listed: tuple[ListCase, Many]) -> None:
    case, many = listed
    first = _rows(browser, case)
    second = _rows(browser, case, p="2")
    assert len(first) == 25 and len(second) == N - 25
    assert sorted(first + second) == sorted(many.names)
    if case.default is not None:
        assert first + second == case.default(many.names)
    assert sorted(_rows(browser, case, size="50")) == sorted(many.names)


def test_each_sort_key_both_ways(browser: TestClient, listed: tuple[ListCase, Many]) -> None:
    case, many = listed
    for key, order in case.ordered.items():
        up = _rows(browser, case, sort=key, size="50")
        down = _rows(browser, case, sort=f"-{key}", size="50")
        assert up == order(many.names), key
        assert down == list(reversed(order(many.names))), key
    for key in case.others:
        response = browser.get(case.path, params={**case.query, "sort": key, "size": "50"})
        assert 'aria-sort="ascending"' in response.text, key
        assert sorted(case.row.findall(response.text)) == sorted(many.names), key
        back = browser.get(case.path, params={**case.query, "sort": f"-{key}", "size": "50"})
        assert 'aria-sort="descending"' in back.text, key


def test_sort_links_keep_the_search(browser: TestClient, listed: tuple[ListCase, Many]) -> None:
    case, _ = listed
    if not case.query:
        pytest.skip("this list is not searched in the test")
    key = next(iter(case.ordered))
    page = browser.get(case.path, params={**case.query, "p": "2"}).text
    assert re.search(rf'href="{re.escape(case.path)}\?q=Lista&amp;sort=-?{key}"', page)


BAD_COMMON = (("sort", "salary"), ("p", "0"), ("p", "99"), ("size", "7"), ("colour", "red"))


def test_bad_parameters_name_the_field(browser: TestClient, listed: tuple[ListCase, Many]) -> None:
    case, _ = listed
    for name, value in (*BAD_COMMON, *case.bad):
        response = browser.get(case.path, params={**case.query, name: value})
        assert response.status_code == 422, (name, value)
        assert response.headers["content-type"].startswith("text/html")
        assert name in response.text, (name, value)


def _count(browser: TestClient, case: ListCase, **params: str) -> int:
    return len(_rows(browser, case, size="100", **params))


def test_site_filters(browser: TestClient, many_sites: Many, session: Session) -> None:
    case, city = CASES["sites"], many_sites.city
    assert _count(browser, case, owner="external") == N // 2
    assert _count(browser, case, unit=str(city.unit.id)) == N
    assert _count(browser, case, unit=str(city.department.id)) == N  # the units below count
    assert _count(browser, case, unit=str(city.tenant.id)) == 0  # no such unit: nothing
    assert _count(browser, case, q="Lista 1") == 10


def test_unit_search_gives_paths_and_the_level_filter(
    browser: TestClient, many_units: Many
) -> None:
    case = CASES["units"]
    assert _count(browser, case, kind="department") == N // 3
    page = browser.get("/org-units", params={"q": "Lista 07"}).text
    # The flat list says where each unit sits.
    assert "Stadsfastighetsförvaltningen › Förvaltning Öst" in page
    tree = browser.get("/org-units").text
    assert 'class="tree"' in tree and "tree-depth-2" in tree


def test_door_filters(browser: TestClient, many_doors: Many) -> None:
    case, city = CASES["doors"], many_doors.city
    assert _count(browser, case, mode="lockdown") == N // 5
    assert _count(browser, case, site=str(city.city_site.id)) == N // 2
    page = browser.get(case.path, params={"site": str(city.city_site.id)}).text
    assert city.city_site.name in page and "Ny zon" in page
    by_site = browser.get(case.path, params={"q": city.external_site.name, "size": "100"}).text
    assert len(case.row.findall(by_site)) == N // 2


def test_profile_filter_by_zone(browser: TestClient, many_profiles: Many, session: Session) -> None:
    zone_id = session.execute(select(ProfileZone.zone_id)).scalars().first()
    assert _count(browser, CASES["profiles"], zone=str(zone_id)) == N // 2


def test_schedule_filter(browser: TestClient, many_schedules: Many) -> None:
    assert _count(browser, CASES["schedules"], holidays="closed") == N // 2


def test_transmitter_filters(browser: TestClient, many_transmitters: Many) -> None:
    case, city = CASES["transmitters"], many_transmitters.city
    assert _count(browser, case, site=str(city.external_site.id)) == N // 2
    assert _count(browser, case, bearer="2G") == 0
    assert _count(browser, case, protocol="dc09-sia") == N
    assert _count(browser, case, q="7001") == 1


def test_alarm_filters(browser: TestClient, many_alarms: Many, session: Session) -> None:
    case, city = CASES["alarms"], many_alarms.city
    assert _count(browser, case, category="fire") == N // 3
    assert _count(browser, case, site=str(city.external_site.id)) == N // 2
    transmitter = session.execute(
        select(Transmitter.id).where(Transmitter.site_id == city.city_site.id)
    ).scalar_one()
    assert _count(browser, case, transmitter=str(transmitter)) == N // 2
    assert _count(browser, case, q="A01") == 10
    page = browser.get(case.path).text
    # The oldest alarm's time in Swedish time gives a window from it, minute by minute.
    oldest = re.findall(r'<a href="/alarms/[^"]+">(\d{4}-\d\d-\d\d \d\d:\d\d):\d\d C', page)
    assert oldest
    first_minute = sorted(oldest)[0]
    assert _count(browser, case, to=first_minute) >= 1
    day = first_minute[:10]
    assert _count(browser, case, **{"from": day}) + _count(browser, case, to=day) >= N
    assert _count(browser, case, **{"from": "2100-01-01"}) == 0


def test_orphan_filters(browser: TestClient, many_orphans: Many) -> None:
    case = CASES["orphans"]
    assert _count(browser, case, kind="card") == N
    assert _count(browser, case, kind="pin") == 0
    assert _count(browser, case, reason="person_inactive") == N
    assert _count(browser, case, reason="no_current_assignment") == 0
    assert _count(browser, case, q=many_orphans.names[3]) == 1
