"""Search text in list queries: a typed ``%`` or ``_`` matches itself, not any text; a
:class:`TextIndex` finds a fragment in a large table by its trigram index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, literal_column, or_, select, table
from sqlalchemy import column as sa_column
from sqlalchemy.orm import Session


def like_pattern(q: str) -> str:
    """``%q%`` with LIKE's wildcards and the escape character escaped (escape is ``\\``)."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def like_prefix(q: str) -> str:
    """``q%``: what starts with ``q`` (escaped as :func:`like_pattern`)."""
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def contains(q: str, *columns: Any) -> ColumnElement[bool]:
    """Whether any of ``columns`` contains ``q``, ignoring case."""
    pattern = like_pattern(q.strip())
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


@dataclass(frozen=True, slots=True)
class TextIndex:
    """A column searched for any fragment over many rows, and the index that finds one.

    ``LIKE '%fragment%'`` cannot use an ordinary index, so every search read the whole
    table (100,000 credentials, 60,000 people). Migration 0020 gives each such column a
    trigram index: on PostgreSQL a GIN index with ``pg_trgm`` that ``LIKE`` uses as it
    is; on SQLite an FTS5 table with the trigram tokenizer (named :attr:`fts`), its
    rows keyed by the table's rowid and kept by triggers, that a query must name.

    A later migration that rebuilds ``table`` in SQLite's batch mode (copying it to a new
    table) loses the triggers and the rowids: it must make the FTS5 table again, as 0020
    does.
    """

    table: str
    column: str
    fts: str

    def contains(self, session: Session, fragment: str) -> ColumnElement[bool]:
        """Whether the row of :attr:`table` (not aliased) contains ``fragment`` as it is
        (callers fold case as the column is stored)."""
        if not _uses_fts(session, fragment):
            return self._column().like(like_pattern(fragment), escape="\\")
        return self.key(session).in_(self.keys_containing(session, fragment))

    def keys_containing(self, session: Session, fragment: str) -> Select[Any]:
        """The :meth:`key` of every row containing ``fragment``."""
        if _uses_fts(session, fragment):
            fts = table(self.fts, sa_column("rowid"), sa_column(self.column))
            # No ESCAPE clause: FTS5 answers LIKE from its index only without one, and
            # _uses_fts made sure the fragment has no wildcard to escape.
            return select(fts.c.rowid).where(fts.c[self.column].like(f"%{fragment}%"))
        return (
            select(self.key(session))
            .select_from(table(self.table))
            .where(self._column().like(like_pattern(fragment), escape="\\"))
        )

    def key(self, session: Session, name: str | None = None) -> ColumnElement[Any]:
        """What :meth:`keys_containing` gives of a row of :attr:`table` (or of its alias
        called ``name``): its rowid on SQLite, else its id."""
        key = "rowid" if session.get_bind().dialect.name == "sqlite" else "id"
        return literal_column(f"{name or self.table}.{key}")

    def _column(self) -> ColumnElement[str]:
        # A literal column brings no FROM of its own: it names the table of the query
        # it is put in (an ORM entity's table), not a second copy of it.
        return literal_column(f"{self.table}.{self.column}")


def _uses_fts(session: Session, fragment: str) -> bool:
    """Whether SQLite's FTS5 table answers: it needs three characters (a trigram) and
    takes no ESCAPE clause, so a fragment with ``%`` or ``_`` is scanned for instead."""
    return (
        session.get_bind().dialect.name == "sqlite"
        and len(fragment) >= 3
        and not any(c in fragment for c in "%_")
    )


#: People's case-folded names, numbers, e-mail and user name (``Person.search_text``).
PEOPLE_TEXT = TextIndex("people", "search_text", "people_text")
#: Credentials' identifiers (upper-case, as ``identifiers.normalise`` stores them).
CREDENTIALS_TEXT = TextIndex("credentials", "identifier", "credentials_text")
TEXT_INDEXES = (PEOPLE_TEXT, CREDENTIALS_TEXT)


def trigram_index_name(index: TextIndex) -> str:
    """The name of ``index``'s GIN index on PostgreSQL."""
    return f"ix_{index.fts}_trgm"


def modelled(name: str | None, type_: str, _parents: Any) -> bool:
    """Alembic's ``include_name``: false for the trigram indexes and FTS5 tables, which
    migration 0020 makes outside the models (SQLAlchemy has no words for them)."""
    if name is None:
        return True
    if type_ == "table":
        return not any(name == i.fts or name.startswith(f"{i.fts}_") for i in TEXT_INDEXES)
    if type_ == "index":
        return name not in {trigram_index_name(i) for i in TEXT_INDEXES}
    return True


def rebuild_on(connection: Connection) -> int:
    """Rebuild SQLite's FTS5 tables from their tables (after a ``VACUUM`` renumbered
    rowids); how many were rebuilt (none on PostgreSQL, whose indexes need no care)."""
    if connection.dialect.name != "sqlite":
        return 0
    for index in TEXT_INDEXES:
        connection.exec_driver_sql(f"INSERT INTO {index.fts}({index.fts}) VALUES ('rebuild')")
    return len(TEXT_INDEXES)
