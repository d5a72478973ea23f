"""Each role sees what it may do: every write control the UI shows a role works for it.

For each built-in role, a user of that role (the department administrator within one
department) walks the UI over data of every kind: every page in the menu and the
sub-navigation, and each list's first detail page. Every write control found (a posting
form other than log-out and language; a link to ``/new``, ``/edit``, ``/delete``,
``/deactivate``, ``/lost``...) is used: links are opened, forms submitted as a browser
would. A control shown to a role that then refuses it (403) is a defect: the page should
not have offered it. The walk is made once per backend and role
(:mod:`tests.web.roles.outcomes`) and judged here area by area, so each failure points at
the pages that draw the control.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.roles.outcomes import AREA_NAMES, Walk, walk
from tests.web.roles.world import ROLES, RoleWorld

#: Known failures, for the lead: (role, area) whose pages show a control the role cannot
#: use, in templates other engineers own while they hide their write controls. Remove a
#: line when its owner has fixed it (the test is strict: it fails once the control works).
KNOWN: dict[tuple[str, str], str] = {}

_CACHE: dict[tuple[str, str], Walk] = {}


@pytest.fixture
def walked(backend: str, role: str, request: pytest.FixtureRequest, app: FastAPI) -> Walk:
    """The role's walk on this backend, made on first use."""
    key = (backend, role)
    if key not in _CACHE:
        world: RoleWorld = request.getfixturevalue("world")
        with TestClient(
            app, base_url="https://testserver", raise_server_exceptions=False
        ) as client:
            client.headers["Accept-Language"] = "sv"
            _CACHE[key] = walk(client, app, world, role)
    return _CACHE[key]


def _cases() -> list[object]:
    cases: list[object] = []
    for role in ROLES:
        for area in AREA_NAMES:
            reason = KNOWN.get((role, area))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(role, area, marks=marks, id=f"{role}-{area}"))
    return cases


@pytest.mark.parametrize(("role", "area"), _cases())
def test_a_control_shown_is_a_control_the_role_may_use(role: str, area: str, walked: Walk) -> None:
    assert walked.failures.get(area, []) == []


@pytest.mark.parametrize("role", ROLES)
def test_the_walk_reaches_the_roles_pages(role: str, walked: Walk) -> None:
    """The walk itself works: it signs in, finds the menu and opens pages beyond the
    overview for every role with something to read."""
    assert "/" in walked.pages
    if role != "field_unit":
        assert len(walked.pages) > 3, walked.pages
    if role in {"system_owner", "department_admin"}:
        assert any(c.method == "POST" for c in walked.controls), "no form found to check"
