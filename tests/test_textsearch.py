"""Fragment searches through the trigram indexes (FTS5 on SQLite, pg_trgm on PostgreSQL)
find exactly the rows a plain substring test finds, and follow inserts, updates and
deletes."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from stadsvakt.access.models import Credential
from stadsvakt.directory.models import Person
from stadsvakt.textsearch import CREDENTIALS_TEXT, PEOPLE_TEXT, rebuild_on
from tests import factories as f
from tests import factories_access as fa
from tests import factories_directory as fd

NAMES = [
    ("Åsa", "Öberg", "anna_b%x@example.se"),
    ("Anna", "Andersson", "a.andersson@example.se"),
    ("Jan-Erik", "Ek", None),
    ("Märta", "Björk\\lund", "marta@example.se"),
]


def _found(session: Session, fragment: str, tenant: uuid.UUID) -> set[uuid.UUID]:
    stmt = select(Person.id).where(
        Person.tenant_id == tenant, PEOPLE_TEXT.contains(session, fragment)
    )
    return set(session.scalars(stmt))


def _fragments(texts: list[str]) -> set[str]:
    found = {t[i : i + n] for t in texts for n in (1, 2, 3, 5, 8) for i in range(len(t))}
    return found | {"%", "_", "\\", "zzz", "a%x", "b_", "%ann", "ÅSA".casefold()}


def test_people_fragments_match_a_substring_test(session: Session) -> None:
    tenant = f.municipality(session)
    people = [fd.person(session, tenant, given_name=g, family_name=s, email=e) for g, s, e in NAMES]
    session.flush()
    texts = {p.id: p.search_text for p in people}
    for fragment in sorted(_fragments(list(texts.values()))):
        expected = {i for i, text in texts.items() if fragment in text}
        assert _found(session, fragment, tenant.id) == expected, fragment


def test_people_index_follows_updates_and_deletes(session: Session) -> None:
    tenant = f.municipality(session)
    who = fd.person(session, tenant, given_name="Tove", family_name="Lindqvist")
    session.flush()
    assert _found(session, "lindqvist", tenant.id) == {who.id}
    who.family_name = "Strand"
    session.flush()
    assert _found(session, "lindqvist", tenant.id) == set()
    assert _found(session, "strand", tenant.id) == {who.id}
    session.execute(delete(Person).where(Person.id == who.id))
    assert _found(session, "strand", tenant.id) == set()


def test_credential_identifiers_are_found_by_any_fragment(session: Session) -> None:
    tenant = f.municipality(session)
    holder = fd.person(session, tenant)
    cards = [fa.card(session, holder, uid) for uid in ("04A1B2C3D4E5F6", "04A1B2FFFFFF00")]
    session.flush()

    def found(fragment: str) -> set[uuid.UUID]:
        key = CREDENTIALS_TEXT.key(session)
        stmt = select(Credential.id).where(
            Credential.tenant_id == tenant.id,
            key.in_(CREDENTIALS_TEXT.keys_containing(session, fragment)),
        )
        return set(session.scalars(stmt))

    assert found("A1B2") == {c.id for c in cards}
    assert found("C3D4") == {cards[0].id}
    assert found("FF_") == set()
    session.execute(
        update(Credential).where(Credential.id == cards[1].id).values(identifier="04DEADBEEF0000")
    )
    assert found("A1B2") == {cards[0].id}
    assert found("DEADBE") == {cards[1].id}


def test_a_rebuild_restores_a_lost_index(session: Session) -> None:
    tenant = f.municipality(session)
    who = fd.person(session, tenant, given_name="Greta", family_name="Nyström")
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # As a VACUUM that renumbered rowids leaves it: the index no longer matches.
        connection.exec_driver_sql("INSERT INTO people_text(people_text) VALUES ('delete-all')")
        assert _found(session, "nyström", tenant.id) == set()
    assert rebuild_on(connection) == (2 if connection.dialect.name == "sqlite" else 0)
    assert _found(session, "nyström", tenant.id) == {who.id}
