"""A grant's page and its safe actions: end now (confirmation, then undo), withdraw
(confirmation saying it cannot be undone), edit with a stale-form check; each audited;
no write controls for a read-only role."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import Grant
from stadsvakt.audit.models import AuditEntry
from tests import factories_access as fa
from tests.access.town import Town
from tests.web.conftest import csrf_of
from tests.web.grants.conftest import Cast, Login

_UPDATED = re.compile(r'name="updated_at" value="([^"]+)"')


def _actions(session: Session, grant: Grant) -> list[str]:
    rows = select(AuditEntry.action).where(AuditEntry.object_id == str(grant.id))
    return list(session.scalars(rows.order_by(AuditEntry.seq)))


def test_end_now_asks_first_and_can_be_undone(login: Login, cast: Cast, session: Session) -> None:
    grant = fa.grant(session, cast.guest, cast.profile, hours=5, host=cast.host)
    planned = grant.valid_to
    browser = login()
    page = browser.get(f"/access/grants/{grant.id}")
    assert "Värdsson" in page.text and "Gästsson" in page.text
    assert "Beviljad av" in page.text and f'href="/access/grants/{grant.id}/end"' in page.text
    confirm = browser.get(f"/access/grants/{grant.id}/end")
    assert "Anna Gästsson förlorar genast behörigheten" in confirm.text
    assert "Du kan ångra detta" in confirm.text
    form = {"csrf_token": csrf_of(confirm.text), "updated_at": _UPDATED.findall(confirm.text)[0]}
    ended = browser.post(f"/access/grants/{grant.id}/end", data=form, follow_redirects=False)
    assert ended.status_code == 303
    session.refresh(grant)
    assert grant.valid_to is not None and grant.valid_to < planned  # type: ignore[operator]
    shown = browser.get(ended.headers["location"])
    assert "avslutades i förtid" in shown.text and "Ångra det tidiga avslutet" in shown.text
    undo = shown.text.split(f'action="/access/grants/{grant.id}/undo-end"', 1)[1]
    form = {"csrf_token": csrf_of(undo), "updated_at": _UPDATED.findall(undo)[0]}
    undone = browser.post(f"/access/grants/{grant.id}/undo-end", data=form, follow_redirects=False)
    assert undone.status_code == 303
    session.refresh(grant)
    assert grant.valid_to == planned and grant.ended_early_at is None
    assert _actions(session, grant) == ["grant.create", "grant.end", "grant.undo"]


def test_withdraw_says_it_cannot_be_undone(login: Login, cast: Cast, session: Session) -> None:
    grant = fa.grant(session, cast.guest, cast.profile, host=cast.host)
    grant_id = grant.id
    browser = login()
    confirm = browser.get(f"/access/grants/{grant_id}/delete")
    assert "Det går inte att ångra." in confirm.text
    form = {"csrf_token": csrf_of(confirm.text), "updated_at": _UPDATED.findall(confirm.text)[0]}
    done = browser.post(f"/access/grants/{grant_id}/delete", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/access/grants?deleted=1"
    assert "Behörigheten är återkallad." in browser.get(done.headers["location"]).text
    session.expire_all()
    assert session.get(Grant, grant_id) is None
    deleted = session.scalars(select(AuditEntry).where(AuditEntry.action == "grant.delete")).one()
    assert deleted.object_id == str(grant_id) and deleted.before is not None


def test_a_stale_edit_is_refused_and_the_page_shows_the_change(
    login: Login, cast: Cast, session: Session
) -> None:
    grant = fa.grant(session, cast.guest, cast.profile, hours=5, host=cast.host)
    browser = login()
    page = browser.get(f"/access/grants/{grant.id}")
    edit = page.text.split(f'action="/access/grants/{grant.id}"', 1)[1]
    form = {
        "csrf_token": csrf_of(edit),
        "updated_at": _UPDATED.findall(edit)[0],
        "valid_from": "2026-12-07 18:00",
        "valid_to": "2026-12-07 22:00",
        "reason": "Kvällskurs",
    }
    # Someone else changes the grant meanwhile.
    grant.reason = "Ändrad av någon annan"
    grant.updated_at = datetime.now(UTC) + timedelta(seconds=1)
    session.flush()
    stale = browser.post(f"/access/grants/{grant.id}", data=form)
    assert stale.status_code == 409
    assert "Någon annan ändrade behörigheten" in stale.text
    assert "Ändrad av någon annan" in stale.text  # the form shows the grant as it is now
    session.refresh(grant)
    assert grant.reason == "Ändrad av någon annan"
    fresh = browser.get(f"/access/grants/{grant.id}").text.split(
        f'action="/access/grants/{grant.id}"', 1
    )[1]
    saved = browser.post(
        f"/access/grants/{grant.id}",
        data={**form, "updated_at": _UPDATED.findall(fresh)[0]},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    session.refresh(grant)
    assert grant.reason == "Kvällskurs" and grant.valid_from.hour == 17  # 18:00 CET
    assert "grant.update" in _actions(session, grant)
    emptied = browser.post(
        f"/access/grants/{grant.id}",
        data={**form, "reason": "", "updated_at": grant.updated_at.isoformat()},
    )
    assert emptied.status_code == 422  # a reason cannot be emptied


def test_a_read_only_role_sees_no_write_controls(
    login: Login, cast: Cast, session: Session, town: Town
) -> None:
    grant = fa.grant(session, cast.guest, cast.profile, host=cast.host)
    browser = login("auditor")
    page = browser.get(f"/access/grants/{grant.id}")
    assert page.status_code == 200 and "Gästsson" in page.text
    for control in ("/end", "/delete", 'name="updated_at"', 'method="post" action="/access'):
        assert control not in page.text, control
    assert browser.get(f"/access/grants/{grant.id}/end").status_code == 403
    forged = browser.post(
        f"/access/grants/{grant.id}/delete",
        data={"csrf_token": csrf_of(page.text), "updated_at": grant.updated_at.isoformat()},
    )
    assert forged.status_code == 403
    assert session.get(Grant, grant.id) is not None
    # Another department's admin does not see the grant at all.
    other = login("department_admin", town.care)
    assert other.get(f"/access/grants/{grant.id}").status_code == 404
