"""Trigram indexes for the searches that look for a fragment anywhere in a column:
people's search text and credentials' identifiers; and indexes that answer a
department's scope alone.

A department administrator's credentials list counts the credentials of the people in
the department's units (9,820 of 5,879 people in the benchmark's largest): with
``tenant_id`` beside ``person_id`` and ``org_unit_id`` the count reads two indexes and
no row (7 ms on SQLite, from 37). They replace the one-column indexes they begin with.

``LIKE '%fragment%'`` reads every row without one: the credentials list searched over
100,000 identifiers and 60,000 people took about 100 ms of database time per page on
both backends (the issue's target for the whole page is 100 ms at p99). With them
it takes one or two milliseconds (see ``stadsvakt.textsearch.TextIndex``).

PostgreSQL: ``pg_trgm`` (a trusted extension since PostgreSQL 13, so the database's
owner may create it) and a GIN index per column, which ``LIKE`` uses as written.

SQLite: an FTS5 table per column with the trigram tokenizer, its rows keyed by the
table's rowid (external content, so the text is not stored twice), kept by triggers on
insert, update and delete, and filled here. SQLite's ``VACUUM`` may renumber the rowids
of a table without an integer primary key: after one, ``stadsvakt db reindex-search``
rebuilds them (the README says so under Configuration).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 04:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column, FTS5 table) as stadsvakt.textsearch.TEXT_INDEXES was for this revision.
_INDEXES = (
    ("people", "search_text", "people_text"),
    ("credentials", "identifier", "credentials_text"),
)


def _sqlite_up(table: str, column: str, fts: str) -> None:
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', "
        "content_rowid='rowid', tokenize='trigram')"
    )
    added = f"INSERT INTO {fts}(rowid, {column}) VALUES (new.rowid, new.{column});"
    removed = (
        f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.rowid, old.{column});"
    )
    op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {added} END")
    op.execute(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {removed} END")
    op.execute(
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {column} ON {table} BEGIN {removed} {added} END"
    )
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def _scope_indexes_up() -> None:
    op.create_index("ix_credentials_person_tenant", "credentials", ["person_id", "tenant_id"])
    op.drop_index("ix_credentials_person_id", table_name="credentials")
    op.create_index("ix_people_unit_tenant", "people", ["org_unit_id", "tenant_id", "id"])
    op.drop_index("ix_people_org_unit_id", table_name="people")


def upgrade() -> None:
    """The extension and indexes on PostgreSQL, the FTS5 tables and triggers on SQLite;
    the department-scope indexes on both."""
    _scope_indexes_up()
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column, fts in _INDEXES:
        if dialect == "postgresql":
            op.execute(f"CREATE INDEX ix_{fts}_trgm ON {table} USING gin ({column} gin_trgm_ops)")
        elif dialect == "sqlite":
            _sqlite_up(table, column, fts)


def downgrade() -> None:
    """Drop them (the extension stays: something else may use it)."""
    op.create_index("ix_people_org_unit_id", "people", ["org_unit_id"])
    op.drop_index("ix_people_unit_tenant", table_name="people")
    op.create_index("ix_credentials_person_id", "credentials", ["person_id"])
    op.drop_index("ix_credentials_person_tenant", table_name="credentials")
    dialect = op.get_bind().dialect.name
    for _table, _column, fts in _INDEXES:
        if dialect == "postgresql":
            op.execute(f"DROP INDEX IF EXISTS ix_{fts}_trgm")
        elif dialect == "sqlite":
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
