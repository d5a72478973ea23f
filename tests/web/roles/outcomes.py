"""What each role meets in the web UI, worked out once per backend and role and read by
the tests area by area.

:func:`walk` logs in as the role, opens every page reachable from the menu and the
sub-navigation (and each list's first detail page), then uses every write control it
found: opens each write link (and the page's own forms), submits each posting form with
the values a browser would send, destructive ones last. A control that answers 403 (or
5xx) is a failure of the area whose page showed it.

:func:`knock` posts, as the role, to every web route the role has no permission for, and
records what came back, for the forbidden-page tests.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of, log_in
from tests.web.roles.crawl import Control, PageView, controls_of, detail_route, read_page
from tests.web.roles.world import RoleWorld

#: Areas of the UI by the path of the page a control sits on, first match wins; each
#: area's test fails alone, so a failure points at the templates that draw the page.
AREAS: tuple[tuple[str, str], ...] = (
    ("overview", r"^/$"),
    ("org_units_list", r"^/org-units$"),
    ("org_unit_pages", r"^/org-units/"),
    ("sites_list", r"^/sites$"),
    ("site_new", r"^/sites/new$"),
    ("site_detail", r"^/sites/"),
    ("places", r"^/access/places"),
    ("profiles", r"^/access/profiles"),
    ("schedules_list", r"^/access/schedules$"),
    ("schedule_detail", r"^/access/schedules/"),
    ("grants", r"^/access/grants"),
    ("credentials", r"^/access/credentials"),
    ("shortfall", r"^/access/shortfall"),
    ("people", r"^/people"),
    ("alarms", r"^/(alarms|transmitters)"),
    ("reports", r"^/reports"),
    ("audit", r"^/audit"),
    ("centre", r"^/centre"),
    ("edge", r"^/edge"),
    ("other", r""),
)
AREA_NAMES = tuple(name for name, _ in AREAS)
#: Controls submitted last: they may remove what other controls act on.
_DESTRUCTIVE = re.compile(r"/(delete|remove|deactivate|lost|revoke|end|cancel)$")


def area_of(path: str) -> str:
    """The area a page belongs to."""
    bare = urlsplit(path).path
    return next(name for name, pattern in AREAS if re.search(pattern, bare))


@dataclass
class Walk:
    """One role's walk: pages seen and each area's failures."""

    pages: list[str] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _open(client: TestClient, path: str) -> tuple[int, str, str]:
    """GET a page, following redirects within the site; (status, final path, body)."""
    response = client.get(path, follow_redirects=True)
    return response.status_code, response.url.path, response.text


def _pages(client: TestClient, app: FastAPI, walk: Walk) -> list[PageView]:
    """Every page reachable from the menu and sub-navigation, plus each list's first
    detail page per kind of detail."""
    queue: list[tuple[str, bool]] = [("/", True)]
    seen: set[str] = set()
    views: list[PageView] = []
    while queue:
        path, expand = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        status, final, body = _open(client, path)
        if status != 200:
            walk.failures[area_of(path)].append(f"GET {path} (linked from a menu) gave {status}")
            continue
        if final == "/login":
            raise AssertionError(f"{path} sent the signed-in user to the login page")
        walk.pages.append(path)
        view = read_page(path, body)
        views.append(view)
        queue.extend((link, True) for link in view.nav_links if link not in seen)
        if not expand:
            continue
        taken: set[str] = set()
        for link in view.content_links:
            template = detail_route(app, link)
            if template is not None and template not in taken and link not in seen:
                taken.add(template)
                queue.append((link, False))
    return views


def _refused(status: int) -> bool:
    return status == 403 or status >= 500


def walk(client: TestClient, app: FastAPI, world: RoleWorld, role: str) -> Walk:
    """Log in as ``role`` and use every write control it is shown (see the module)."""
    user = world.users[role]
    assert log_in(client, user.username, user.password).status_code == 303
    result = Walk()
    views = _pages(client, app, result)
    controls = list(dict.fromkeys(c for view in views for c in controls_of(view)))
    posts = [c for c in controls if c.method == "POST"]
    for control in (c for c in controls if c.method == "GET"):
        response = client.get(control.url, follow_redirects=False)
        if _refused(response.status_code):
            failure = f"{control.describe()} gave {response.status_code}"
            result.failures[area_of(control.page)].append(failure)
        elif response.status_code == 200:
            opened = read_page(urlsplit(control.url).path, response.text)
            posts.extend(c for c in controls_of(opened) if c.method == "POST")
    posts = list(dict.fromkeys(posts))
    posts.sort(key=lambda c: bool(_DESTRUCTIVE.search(urlsplit(c.url).path)))
    for control in posts:
        response = client.post(control.url, data=dict(control.data), follow_redirects=False)
        if _refused(response.status_code):
            failure = f"{control.describe()} gave {response.status_code}"
            result.failures[area_of(control.page)].append(failure)
    result.controls = controls + posts
    return result


@dataclass(frozen=True)
class Knock:
    """What one forbidden post answered."""

    route: str
    url: str
    language: str
    status: int
    content_type: str
    body: str


def concrete(route: str, world: RoleWorld) -> str:
    """A route template with its parameters filled from the world (a fresh id where the
    world has no such object)."""
    values: dict[str, Callable[[], str]] = {
        "site_id": lambda: str(world.site.id),
        "person_id": lambda: str(world.ids["person"]),
        "credential_id": lambda: str(world.ids["credential"]),
        "schedule_id": lambda: str(world.ids["schedule"]),
        "profile_id": lambda: str(world.ids["profile"]),
        "grant_id": lambda: str(world.ids["grant"]),
        "transmitter_id": lambda: str(world.ids["transmitter"]),
        "activation_id": lambda: str(world.activation.id),
        "action": lambda: "claim",
        "step": lambda: "status",
        "number": lambda: "1",
    }
    if not route.startswith("/centre"):
        values["unit_id"] = lambda: str(world.unit.id)
    if route.startswith("/access/credentials"):
        values["action"] = lambda: "lost"
    values["slug"] = lambda: "guest"

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return values[name]() if name in values else str(uuid.uuid4())

    return re.sub(r"\{([^}]+)\}", fill, route)


def knock(
    client: TestClient, world: RoleWorld, role: str, routes: dict[str, str]
) -> dict[str, Knock]:
    """Post to each route (template → permission) as ``role``, Swedish and English in
    turn; what came back, by route."""
    user = world.users[role]
    assert log_in(client, user.username, user.password).status_code == 303
    token = csrf_of(client.get("/").text)
    found: dict[str, Knock] = {}
    for index, route in enumerate(sorted(routes)):
        language = ("sv", "en")[index % 2]
        url = concrete(route, world)
        response = client.post(
            url,
            data={"csrf_token": token},
            headers={"Accept-Language": language, "Accept": "text/html"},
            follow_redirects=False,
        )
        kind = response.headers.get("content-type", "")
        found[route] = Knock(route, url, language, response.status_code, kind, response.text)
    return found
