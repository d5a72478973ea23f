"""The audit trail as CSV: every row the URL's filter matches, streamed, for Excel.

UTF-8 with a byte order mark (so Excel reads å, ä, ö), ``;`` between fields (Swedish
Excel's list separator), times in Swedish time with their offset. The export is audited
itself (``audit.export``, with the filter) before the first row is sent. Paging does not
narrow it: the file holds all matching rows, read from the database in batches.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.api.deps import ServicesDep, SessionDep, writes_on_read
from stadsvakt.audit.browse import TrailFilter, stream_rows
from stadsvakt.audit.models import AuditEntry
from stadsvakt.audit.service import record
from stadsvakt.context import Actor
from stadsvakt.db import read_only_session, utcnow
from stadsvakt.web.deps import HtmlRoute, PageDep
from stadsvakt.web.forms import N_
from stadsvakt.web.listing import ListParameterError, ListState
from stadsvakt.web.localtime import to_local
from stadsvakt.web.views.audit import texts
from stadsvakt.web.views.audit.filters import read_trail, trail_filter
from stadsvakt.web.views.audit.trail import reader, trail

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
Translate = Callable[[str], str]

EXPORT_ACTION = "audit.export"
#: Rows written to the response at a time.
_CHUNK_ROWS = 500
HEADERS = (
    N_("No."),
    N_("Time"),
    N_("Actor"),
    N_("Actor kind"),
    N_("Action"),
    N_("Action code"),
    N_("Object type"),
    N_("Object id"),
    N_("Object"),
    N_("Request id"),
    N_("Before"),
    N_("After"),
)
#: A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str:
    """A text cell, with a leading apostrophe where a spreadsheet would run a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def local_stamp(moment: datetime) -> str:
    """``2026-12-05 23:05:00+01:00``: Swedish time with its offset."""
    return to_local(moment).isoformat(sep=" ", timespec="seconds")


def _cells(row: AuditEntry, _: Translate) -> list[str]:
    return [
        str(row.seq),
        local_stamp(row.at),
        _text(row.actor_name),
        row.actor_kind,
        _text(texts.verb(row.action, _)),
        row.action,
        _text(texts.word(texts.OBJECT_TYPES, row.object_type, _)),
        _text(row.object_id),
        _text(row.object_text),
        row.request_id or "",
        _text(row.before),
        _text(row.after),
    ]


def csv_chunks(
    factory: sessionmaker[Session], actor: Actor, flt: TrailFilter, _: Translate
) -> Iterator[bytes]:
    """The file: a byte order mark, the header row, then the rows in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_(h) for h in HEADERS])
    yield ("\ufeff" + buffer.getvalue()).encode()
    buffer.seek(0)
    buffer.truncate()
    with read_only_session(factory) as session:
        for n, row in enumerate(stream_rows(session, actor, flt), start=1):
            writer.writerow(_cells(row, _))
            if n % _CHUNK_ROWS == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()


def _audited(session: Session, actor: Actor, state: ListState) -> None:
    kept = {k: v for k, v in state.params(page=1).items() if k not in {"p", "size"}}
    record(
        session,
        action=EXPORT_ACTION,
        object_type="audit_trail",
        object_id=None,
        object_text="CSV",
        tenant_id=actor.tenant_id,
        after={"format": "csv", "filter": kept},
    )


@router.get("/audit.csv")
@writes_on_read
def export(page: PageDep, session: SessionDep, services: ServicesDep) -> Response:
    """The rows the filter matches as a CSV file (a bad filter shows the trail's message)."""
    actor = reader(page)
    try:
        state = read_trail(page.request.query_params)
        flt = trail_filter(session, actor, state)
    except ListParameterError:
        return trail(page, session)
    _audited(session, actor, state)
    name = f"audit-{to_local(utcnow()):%Y%m%d-%H%M}.csv"
    return StreamingResponse(
        csv_chunks(services.session_factory, actor, flt, page._),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
