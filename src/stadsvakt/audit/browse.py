"""Reading the audit trail for people: filtered, paged with a capped count, one entry,
the actors to filter by, and rows streamed for an export.

Every query starts from :func:`stadsvakt.audit.service.entries_query`, so the
``audit.read`` permission and the municipality's own rows (``tenant_id``) are applied
in one place. Sorting is by ``seq``: rows are numbered in the order they were written
(under the chain head's lock), so ``seq`` order is time order and uses the primary key
and ``ix_audit_log_tenant_seq``; within a time range by ``at`` (then ``seq``), so an index
on ``(tenant_id, at)`` finds the range's page without walking back from the newest row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from stadsvakt.audit.models import AuditEntry
from stadsvakt.audit.service import entries_query
from stadsvakt.auth.models import ApiToken, User
from stadsvakt.context import Actor
from stadsvakt.errors import NotFound
from stadsvakt.paging import contains

#: Rows counted past a page's first row before the count says "more than": counting
#: every match of a trail of millions on each page view would take seconds.
COUNT_CAP = 10_000


@dataclass(frozen=True, slots=True)
class TrailFilter:
    """What a reader narrows the trail to; ``None`` or empty means no limit."""

    actor_id: uuid.UUID | None = None
    object_type: str = ""
    #: An object's id (exactly) or words of its display text.
    object: str = ""
    action: str = ""
    #: From this moment (inclusive) to ``until`` (exclusive).
    since: datetime | None = None
    until: datetime | None = None
    oldest_first: bool = False


def trail_query(actor: Actor, flt: TrailFilter) -> Select[AuditEntry]:
    """The rows ``actor`` may read that match ``flt``, newest (or oldest) first."""
    e = AuditEntry
    stmt = entries_query(
        actor, object_type=flt.object_type or None, action=flt.action or None
    ).order_by(None)
    if flt.actor_id is not None:
        stmt = stmt.where(e.actor_id == flt.actor_id)
    if flt.object:
        stmt = stmt.where(
            or_(e.object_id == flt.object[:64], e.object_text.ilike(contains(flt.object), "\\"))
        )
    if flt.since is not None:
        stmt = stmt.where(e.at >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(e.at < flt.until)
    # Within a time range, ordering by time lets an index on (tenant_id, at) find the
    # range's page at once; seq orders the same way, and breaks ties.
    keys = (e.at, e.seq) if flt.since or flt.until else (e.seq,)
    return stmt.order_by(*(k.asc() if flt.oldest_first else k.desc() for k in keys))


@dataclass(frozen=True, slots=True)
class TrailPage:
    """One page of the trail and how many rows match: exactly, or at least ``total``."""

    rows: list[AuditEntry]
    total: int
    exact: bool


def trail_page(
    session: Session, actor: Actor, flt: TrailFilter, *, limit: int, offset: int
) -> TrailPage:
    """A page of matching rows and a count capped at ``offset + COUNT_CAP``.

    The count reads at most that many index entries: the first pages of a trail of
    millions answer at once, and "more than N" says the rest exist.
    """
    stmt = trail_query(actor, flt)
    rows = list(session.scalars(stmt.limit(limit).offset(offset)))
    cap = offset + COUNT_CAP
    window = stmt.order_by(None).with_only_columns(AuditEntry.seq).limit(cap + 1).subquery()
    counted = session.scalar(select(func.count()).select_from(window)) or 0
    return TrailPage(rows, min(counted, cap), exact=counted <= cap)


def get_entry(session: Session, actor: Actor, seq: int) -> AuditEntry:
    """One row the actor may read; another municipality's row is as missing as none."""
    entry = session.scalar(entries_query(actor).where(AuditEntry.seq == seq))
    if entry is None:
        raise NotFound(f"audit entry {seq} not found")
    return entry


def used_in_trail(
    session: Session, actor: Actor, *, action: str = "", object_type: str = ""
) -> bool:
    """Whether any row the actor may read has this action (or object type)."""
    stmt = entries_query(actor, action=action or None, object_type=object_type or None)
    return bool(session.scalar(select(exists(stmt.order_by(None).with_only_columns(literal(1))))))


def stream_rows(
    session: Session, actor: Actor, flt: TrailFilter, *, batch: int = 2000
) -> Iterator[AuditEntry]:
    """Every matching row, fetched ``batch`` at a time (a server-side cursor on PostgreSQL)."""
    stmt = trail_query(actor, flt).execution_options(yield_per=batch)
    with session.execute(stmt) as result:
        yield from result.scalars()


@dataclass(frozen=True, slots=True)
class ActorChoice:
    """Someone who may appear as an actor: a user or an API token of the municipality."""

    id: uuid.UUID
    name: str
    kind: str
    #: The user name, or the token's prefix.
    detail: str


def find_actors(
    session: Session,
    actor: Actor,
    *,
    q: str = "",
    only: frozenset[uuid.UUID] | None = None,
    limit: int = 20,
) -> list[ActorChoice]:
    """Users and API tokens of the reader's municipality by name, user name or prefix
    (or the ones in ``only``): what the actor filter chooses from."""
    entries_query(actor)  # the same permission as the trail itself
    users = select(User.id, User.display_name, literal("user"), User.username).where(
        User.tenant_id == actor.tenant_id
    )
    tokens = select(ApiToken.id, ApiToken.name, literal("token"), ApiToken.prefix).where(
        ApiToken.tenant_id == actor.tenant_id
    )
    if only is not None:
        users, tokens = users.where(User.id.in_(only)), tokens.where(ApiToken.id.in_(only))
    elif q:
        pattern = contains(q)
        users = users.where(
            or_(User.display_name.ilike(pattern, "\\"), User.username.ilike(pattern, "\\"))
        )
        tokens = tokens.where(
            or_(ApiToken.name.ilike(pattern, "\\"), ApiToken.prefix.ilike(pattern, "\\"))
        )
    both = union_all(users, tokens).subquery()
    rows = session.execute(select(both).order_by(both.c[1], both.c[0]).limit(limit))
    return [ActorChoice(uuid.UUID(str(i)), str(n), str(k), str(d)) for i, n, k, d in rows]
