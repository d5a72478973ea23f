"""Credential identifiers: one normal form per kind, written and looked up the same way,
and migration 0007 bringing stored rows to it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from stadsvakt.access import identifiers
from stadsvakt.access.index.follower import AccessIndex
from stadsvakt.db import create_db_engine
from stadsvakt.errors import InvalidInput
from stadsvakt.migrate import upgrade
from stadsvakt.portability.format import CredentialItem
from stadsvakt.settings import Settings
from tests import factories as f
from tests import factories_decisions as fd
from tests.conftest import fast_security

uids = st.binary(min_size=4, max_size=10).map(lambda b: b.hex())
separators = st.sampled_from(["", ":", "-", " ", "."])
mobile_ids = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-",
    min_size=4,
    max_size=64,
)


def _spelt(uid: str, separator: str, upper: bool) -> str:
    text = separator.join(uid[i : i + 2] for i in range(0, len(uid), 2))
    return text.upper() if upper else text.lower()


@settings(max_examples=300)
@given(uids, separators, st.booleans(), separators, st.booleans())
def test_a_card_uid_written_any_way_is_one_card(
    uid: str, sep_a: str, upper_a: bool, sep_b: str, upper_b: bool
) -> None:
    stored = identifiers.normalise("card", _spelt(uid, sep_a, upper_a))
    assert stored == uid.upper()
    assert identifiers.normalise("card", stored) == stored  # idempotent
    # What a reader presents is found by the same rule, whatever its spelling.
    assert identifiers.presented("card", f" {_spelt(uid, sep_b, upper_b)} ") == stored


@settings(max_examples=300)
@given(mobile_ids)
def test_a_mobile_key_id_keeps_its_case(key: str) -> None:
    stored = identifiers.normalise("mobile", f"  {key} ")
    assert stored == key
    assert identifiers.presented("mobile", key) == key
    swapped = key.swapcase()
    if swapped != key:
        assert identifiers.presented("mobile", swapped) != stored


@pytest.mark.parametrize(
    ("kind", "text", "rule"),
    [
        ("card", "04A2B", "card_uid"),  # an odd number of digits
        ("card", "04A2", "card_uid"),  # too short
        ("card", "04A2XX1C", "card_uid"),  # not hex
        ("card", "04" * 11, "card_uid"),  # too long
        ("mobile", "abc", "mobile_key_id"),
        ("mobile", "nyckel med mellanslag", "mobile_key_id"),
        ("pin", "PIN 1", "pin_identifier"),
    ],
)
def test_an_identifier_that_breaks_its_kinds_rule_is_refused(
    kind: str, text: str, rule: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        identifiers.normalise(kind, text)
    assert refused.value.extra["errors"][0]["field"] == "identifier"
    assert refused.value.extra["errors"][0]["rule"] == rule
    assert identifiers.presented(kind, text) is None


_municipalities = sa.table(
    "municipalities",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("code", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
_people = sa.table(
    "people",
    sa.column("id", sa.Uuid()),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("given_name", sa.String()),
    sa.column("family_name", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("active", sa.Boolean()),
    sa.column("extended_unlock", sa.Boolean()),
    sa.column("version", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
_credentials = sa.table(
    "credentials",
    sa.column("id", sa.Uuid()),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("person_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("identifier", sa.String()),
    sa.column("state", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def test_migration_0007_brings_stored_identifiers_to_their_normal_form(
    fresh_database_url: str,
) -> None:
    settings = Settings(database_url=fresh_database_url, security=fast_security(), _env_file=None)
    engine = create_db_engine(settings)
    try:
        upgrade(settings, engine, "0006")
        tenant, person = uuid.uuid4(), uuid.uuid4()
        rows = {
            "separated": ("card", "04:a2:2b:1c"),
            "normal": ("card", "0A0B0C0D"),
            "clash": ("card", "0a-0b-0c-0d"),  # the same card as "normal", made later
            "mobile": ("mobile", " Key-Ab "),
            "mobile_upper": ("mobile", "KEY-AB"),
            "not_hex": ("card", "KORT-1"),
            "pin": ("pin", "PIN-Lookup"),
        }
        ids = {name: uuid.uuid4() for name in rows}
        with engine.begin() as conn:
            now = datetime.now(UTC)
            conn.execute(
                sa.insert(_municipalities).values(
                    id=tenant, name="Testby", code="TEST", created_at=now, updated_at=now
                )
            )
            conn.execute(
                sa.insert(_people).values(
                    id=person,
                    tenant_id=tenant,
                    given_name="Test",
                    family_name="Person",
                    kind="employee",
                    active=True,
                    extended_unlock=False,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            for order, (name, (kind, text)) in enumerate(rows.items()):
                stamp = datetime(2026, 1, 1, 0, order, tzinfo=UTC)
                conn.execute(
                    sa.insert(_credentials).values(
                        id=ids[name],
                        tenant_id=tenant,
                        person_id=person,
                        kind=kind,
                        identifier=text,
                        state="active",
                        created_at=stamp,
                        updated_at=stamp,
                    )
                )
        upgrade(settings, engine)
        with engine.connect() as conn:
            stored = {
                row.id: (row.identifier, row.state)
                for row in conn.execute(
                    sa.select(_credentials.c.id, _credentials.c.identifier, _credentials.c.state)
                )
            }
            fed: set[str] = set(
                conn.execute(
                    sa.text("SELECT entity_id FROM access_changes WHERE entity = 'credential'")
                ).scalars()
            )
        assert stored[ids["separated"]] == ("04A22B1C", "active")
        assert stored[ids["normal"]] == ("0A0B0C0D", "active")
        # Two rows of one card cannot both stay: the later one is revoked, its text kept.
        assert stored[ids["clash"]] == ("0a-0b-0c-0d", "revoked")
        assert stored[ids["mobile"]] == ("Key-Ab", "active")
        assert stored[ids["mobile_upper"]] == ("KEY-AB", "active")
        assert stored[ids["not_hex"]] == ("KORT-1", "active")
        assert stored[ids["pin"]] == ("PIN-Lookup", "active")
        # Running processes reload what changed.
        assert fed == {str(ids[name]) for name in ("separated", "clash", "mobile")}
    finally:
        engine.dispose()


def test_an_imported_credential_is_stored_in_normal_form() -> None:
    base = {
        "id": str(uuid.uuid4()),
        "person_id": str(uuid.uuid4()),
        "technology": None,
        "state": "active",
        "valid_from": None,
        "valid_to": None,
    }
    card = CredentialItem.model_validate({**base, "kind": "card", "identifier": "04:a2:2b:1c"})
    assert card.identifier == "04A22B1C"
    key = CredentialItem.model_validate({**base, "kind": "mobile", "identifier": " Key-Ab "})
    assert key.identifier == "Key-Ab"


def test_a_row_not_in_normal_form_opens_nothing(session: Session) -> None:
    # Written around the API (by hand, or an import of text that is no UID): the index
    # takes identifiers as stored, so a row that is not in normal form is never found.
    tenant = f.municipality(session)
    person = fd.person(session, tenant)
    fd.credential(session, person, identifier="04:a2:2b:1c")
    fd.credential(session, person, identifier="KORT-1")
    state = AccessIndex().ensure(session)
    for presented in ("04:a2:2b:1c", "04A22B1C", "KORT-1"):
        assert state.credential(tenant.id, "card", presented) is None
