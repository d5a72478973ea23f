"""A role without a permission that posts to a page's address anyway (a bookmark, an old
tab, a forged form) gets the UI's own 403 page, in HTML and in its language, saying what
was refused and which permission it needs; never problem+json, never an English text on a
Swedish page.

:data:`POSTS` is the specification: every posting route of the web UI and the permission
it needs. The routes come from the app itself, so a new posting page without a row here
fails :func:`test_every_posting_route_is_specified`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from stadsvakt.auth.permissions import BUILTIN_ROLES, PERMISSIONS
from stadsvakt.web.deps import Needs
from tests.web.conftest import csrf_of, log_in
from tests.web.roles.crawl import web_routes
from tests.web.roles.outcomes import Knock, knock
from tests.web.roles.world import RoleWorld

#: Posting routes every visitor or every signed-in user has.
OPEN_POSTS = frozenset({"/login", "/login/totp", "/logout", "/language"})

#: Each posting route of the web UI and the permission it needs.
POSTS: dict[str, str] = {
    "/org-units": "org.write",
    "/org-units/{unit_id}": "org.write",
    "/org-units/{unit_id}/delete": "org.write",
    "/sites/new": "site.write",
    "/sites/{site_id}": "site.write",
    "/sites/{site_id}/emergency": "centre.operate",
    "/sites/{site_id}/door-calendar": "access.write",
    "/access/places/{site_id}/zones": "access.write",
    "/access/places/{site_id}/doors": "access.write",
    "/access/schedules": "access.write",
    "/access/schedules/{schedule_id}": "access.write",
    "/access/doors/{door_id}": "access.write",
    "/access/holiday-calendars/{calendar_id}/recurring": "access.write",
    "/access/holiday-calendars/{calendar_id}/recurring/{key}/remove": "access.write",
    "/access/profiles": "access.write",
    "/access/profiles/{profile_id}": "access.write",
    "/access/grants/new/{slug}": "grant.write",
    "/access/grants/{grant_id}": "grant.write",
    "/access/grants/{grant_id}/end": "grant.write",
    "/access/grants/{grant_id}/undo-end": "grant.write",
    "/access/grants/{grant_id}/delete": "grant.write",
    "/people/{person_id}/credentials/new": "credential.write",
    "/access/credentials/{credential_id}/edit": "credential.write",
    "/access/credentials/{credential_id}/{action}": "credential.write",
    "/transmitters/new": "transmitter.write",
    "/people/new": "person.write",
    "/people/{person_id}": "person.write",
    "/people/{person_id}/deactivate": "person.write",
    "/people/{person_id}/reactivate": "person.write",
    "/audit/verify": "audit.read",
    "/centre/receiving": "centre.operate",
    "/centre/activations/{activation_id}/{action}": "centre.operate",
    "/centre/plans": "centre.admin",
    "/centre/plans/{plan_id}": "centre.admin",
    "/centre/sites/{site_id}/contacts": "centre.admin",
    "/centre/contacts/{contact_id}": "centre.admin",
    "/centre/activations/{activation_id}/plan/steps/{number}": "centre.operate",
    "/centre/activations/{activation_id}/plan/steps/{number}/send": "centre.operate",
    "/centre/units/new": "centre.admin",
    "/centre/units/{unit_id}/edit": "centre.admin",
    "/centre/units/{unit_id}/delete": "centre.admin",
    "/centre/units/{unit_id}/status": "centre.operate",
    "/centre/dispatches": "centre.operate",
    "/centre/dispatches/{dispatch_id}/cancel": "centre.operate",
    "/centre/unit/{step}": "unit.report",
    "/centre/cameras/new": "centre.admin",
    "/centre/cameras/{camera_id}/delete": "centre.admin",
    "/centre/activations/{activation_id}/snapshots/fetch": "centre.operate",
    "/centre/incidents/new": "centre.operate",
    "/centre/officer-notices": "centre.operate",
    "/centre/officer-notices/{notice_id}/acknowledge": "centre.operate",
    "/centre/tests": "centre.operate",
    "/centre/tests/{window_id}/end": "centre.operate",
    "/centre/served": "centre.admin",
    "/centre/served/{served_id}/remove": "centre.admin",
    "/centre/tasks/new": "centre.admin",
    "/centre/tasks/{schedule_id}": "centre.admin",
    "/centre/tasks/{schedule_id}/delete": "centre.admin",
    "/edge/devices/{device_id}/revoke": "device.write",
    "/edge/enrolment-codes": "device.write",
}
PERMISSIONS_OF = {spec.name: frozenset(spec.permissions) for spec in BUILTIN_ROLES}
#: The forbidden page's heading, by language.
HEADING = {"sv": "Det här får du inte göra", "en": "You cannot do this"}

#: Known failures, for the lead: routes that do not answer a role without the permission
#: with the UI's 403 page, and why. Remove a line when its owner has fixed the route.
KNOWN: dict[str, str] = {}


@dataclass(frozen=True)
class _Cached:
    knocks: dict[str, dict[str, Knock]]


_CACHE: dict[str, _Cached] = {}


def _lacking(route: str) -> list[str]:
    return sorted(role for role, held in PERMISSIONS_OF.items() if POSTS[route] not in held)


@pytest.fixture
def knocks(
    backend: str, request: pytest.FixtureRequest, app: FastAPI
) -> dict[str, dict[str, Knock]]:
    """Every role's posts to every route it lacks the permission for, by role and route;
    made once per backend (each role's posts in one test transaction) and shared."""
    if backend not in _CACHE:
        world: RoleWorld = request.getfixturevalue("world")
        found: dict[str, dict[str, Knock]] = {}
        for role in PERMISSIONS_OF:
            routes = {r: p for r, p in POSTS.items() if p not in PERMISSIONS_OF[role]}
            with TestClient(
                app, base_url="https://testserver", raise_server_exceptions=False
            ) as client:
                found[role] = knock(client, world, role, routes)
        _CACHE[backend] = _Cached(found)
    return _CACHE[backend].knocks


def test_every_posting_route_is_specified(app: FastAPI) -> None:
    routes = {route.path for route in web_routes(app, "POST")} - OPEN_POSTS
    assert sorted(routes - set(POSTS)) == [], "posting routes without a row in POSTS"
    assert sorted(set(POSTS) - routes) == [], "rows in POSTS for routes that are gone"


def _cases() -> list[object]:
    cases: list[object] = []
    for route in sorted(POSTS):
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN[route])] if route in KNOWN else []
        cases.append(pytest.param(route, marks=marks, id=route))
    return cases


@pytest.mark.parametrize("route", _cases())
def test_a_role_without_the_permission_gets_the_forbidden_page(
    route: str, knocks: dict[str, dict[str, Knock]]
) -> None:
    wrong = []
    for role in _lacking(route):
        got = knocks[role][route]
        if got.status != 403 or not got.content_type.startswith("text/html"):
            wrong.append(f"{role}: POST {got.url} gave {got.status} {got.content_type}")
            continue
        if f'<html lang="{got.language}">' not in got.body:
            wrong.append(f"{role}: the 403 page is not in {got.language}")
        if HEADING[got.language] not in got.body:
            wrong.append(f"{role}: the 403 page lacks its heading in {got.language}")
        # The first permission found missing is named: the route's own, or one it reads
        # first (a form's pickers need their lists).
        if not any(p in got.body for p in PERMISSIONS if p not in PERMISSIONS_OF[role]):
            wrong.append(f"{role}: the 403 page names no permission the role lacks")
    assert not wrong, "\n".join(wrong)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    ("language", "mine", "holders"),
    [
        ("sv", "Läsbehörighet", ("Tjänste-/systemägare", "Förvaltningsadministratör")),
        ("en", "Read only", ("System owner", "Department administrator")),
    ],
)
def test_the_forbidden_page_says_what_was_refused_and_who_may(
    client: TestClient, world: RoleWorld, language: str, mine: str, holders: tuple[str, ...]
) -> None:
    user = world.users["read_only"]
    assert log_in(client, user.username, user.password).status_code == 303
    token = csrf_of(client.get("/").text)
    response = client.post(
        "/sites/new",
        data={"csrf_token": token},
        headers={"Accept-Language": language, "Referer": "https://testserver/sites"},
    )
    assert response.status_code == 403
    text = _text(response.text)
    assert HEADING[language] in text
    assert "site.write" in text
    assert mine in text, "the page names the user's own role"
    for role in holders:
        assert role in text, f"the page names {role} as a role that may"
    assert 'href="/sites"' in response.text, "a link back to where the user came from"


#: Posting routes anyone may use: signing in and out, and the language switch.
UNGUARDED = frozenset({"/login", "/login/totp", "/logout", "/language"})


def test_every_posting_route_declares_the_permission_it_needs(app: FastAPI) -> None:
    declared = {}
    for route in web_routes(app, "POST"):
        if route.path in UNGUARDED:
            continue
        checks = [d.dependency for d in route.dependencies if isinstance(d.dependency, Needs)]
        declared[route.path] = checks[0].permission if checks else None
    assert declared == POSTS
