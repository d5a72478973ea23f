"""``audit verify`` on a page: start a check with a button, see its outcome and earlier ones.

The walk runs after the POST has answered (a background task, see
:mod:`stadsvakt.audit.verification`), so a trail of millions of rows never holds a
request open; the page of a run still going asks ``/audit/verify/status`` now and then
(``audit_verify.js``) and shows the outcome when its row is written. Without script,
the page's reload link does the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response
from fastapi.responses import JSONResponse

from stadsvakt.api.deps import ServicesDep, SessionDep
from stadsvakt.audit.verification import (
    VerifyReport,
    new_run_id,
    run_verification,
    verification_rows,
)
from stadsvakt.web.deps import HtmlRoute, PageDep, needs, see_other
from stadsvakt.web.forms import N_
from stadsvakt.web.views.audit.trail import reader

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
RunId = Annotated[str, Query(pattern=r"^[0-9a-f]{32}$")]
#: Earlier checks listed under the newest.
HISTORY = 10

#: What each kind of break means, for the reader (docs/security.md has the same table).
KINDS = {
    "altered": N_(
        "A row no longer matches its keyed hash: it was changed after it was written,"
        " or rewritten without the key."
    ),
    "inserted": N_("A row was added outside stadsvakt, or a row number appears twice."),
    "deleted": N_("Rows are missing from the sequence: they were deleted."),
    "head": N_("The chain head was moved by hand: the newest rows may have been deleted."),
    "key": N_(
        "The HMAC key changed without a rotation row, a retired key wrote again, a row was"
        " made with a key that is not configured, or old rows without a key are not sealed."
    ),
    "truncated": N_("The chain ends before a signed checkpoint: rows were deleted."),
    "rewritten": N_("The chain differs from a signed checkpoint: it was rebuilt."),
    "forged": N_(
        "A checkpoint line cannot be read, is signed by a key that is not trusted,"
        " or has a bad signature."
    ),
}


@router.get("/audit/verify")
def verify_page(
    page: PageDep, session: SessionDep, services: ServicesDep, run: RunId = ""
) -> Response:
    """The outcome of a run (or "still running"), and the latest checks."""
    actor = reader(page)
    mine = verification_rows(session, actor, run=run) if run else []
    history = verification_rows(session, actor, limit=HISTORY)
    shown = mine[0] if mine else (None if run else (history[0] if history else None))
    audit = services.settings.audit
    report = VerifyReport.from_entry(shown) if shown is not None else None
    points = report.checkpoints if report is not None else None
    context = {
        "nav": "audit",
        "run": run,
        "running": bool(run) and not mine,
        "entry": shown,
        "report": report,
        "last_checkpoint_at": _moment(points.last_at) if points and points.last_at else None,
        "history": [(row, VerifyReport.from_entry(row)) for row in history],
        "kinds": KINDS,
        "checkpoint_file": audit.checkpoint_file,
        "checkpoint_syslog": audit.checkpoint_syslog,
    }
    return page.render("audit/verify.html", context)


def _moment(text: str) -> datetime | None:
    """A checkpoint's time (``2026-12-03T10:15:00Z``); None when it is no time."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


@router.post("/audit/verify", dependencies=[needs("audit.read")])
def start_verify(page: PageDep, services: ServicesDep, background: BackgroundTasks) -> Response:
    """Start a check after this answer and show its page."""
    actor = reader(page)
    run = new_run_id()
    background.add_task(
        run_verification, services.session_factory, services.settings.audit, actor=actor, run=run
    )
    return see_other(f"/audit/verify?run={run}")


@router.get("/audit/verify/status")
def verify_status(page: PageDep, session: SessionDep, run: RunId) -> JSONResponse:
    """Whether a run's outcome is written: ``{"done": true}``."""
    actor = reader(page)
    done = bool(verification_rows(session, actor, run=run))
    return JSONResponse({"done": done}, headers={"Cache-Control": "no-store"})
