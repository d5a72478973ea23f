"""The keyed audit chain in the database: the attacks of issue 9 against a real trail, key
rotation, and a trail written before keyed hashing existed.

The attacker here can write the database (the append-only triggers dropped first, as
anyone with the database owner's password can) and has stadsvakt's source, so knows
``row_hash``; only some of them also hold the HMAC key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from stadsvakt.audit.chain import (
    ROTATE_ACTION,
    Anchor,
    ChainBreak,
    ChainRow,
    head_mac,
    keyed_row_hash,
    row_hash,
)
from stadsvakt.audit.checkpoints import (
    CheckpointRefused,
    load_anchors,
    signing_key,
    take_checkpoint,
    trusted_keys,
)
from stadsvakt.audit.jobs import seal_chain
from stadsvakt.audit.keys import keyring_of
from stadsvakt.audit.models import AuditEntry, AuditHead
from stadsvakt.audit.service import HEAD_ID, chain_row, verify
from stadsvakt.db import UTCDateTime, create_db_engine, create_session_factory, unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import AuditSettings, Settings
from tests.audit.tampering import rewrite, truncate, unguard, write
from tests.conftest import fast_security

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
AUDIT = AuditSettings()
KEY_ONE = "first audit key of the test, 32+ chars"
KEY_TWO = "second audit key of the test, 32+ chars"


def checkpoint_of(session: Session) -> dict[int, Anchor]:
    """The anchors of one checkpoint of the chain as it stands, read back from its line."""
    checkpoint = take_checkpoint(session, private=signing_key(AUDIT), now=NOW)
    anchors, problem = load_anchors([checkpoint.line()], trusted_keys(AUDIT))
    assert problem is None
    return anchors


def test_rows_name_their_key_and_the_head_carries_a_mac(session: Session) -> None:
    seqs = write(session, 3)
    keyring = keyring_of(session)
    entry = session.get(AuditEntry, seqs[-1])
    head = session.get(AuditHead, HEAD_ID)
    assert entry is not None and head is not None
    assert entry.key_id == keyring.current_id == "dev"
    assert entry.hash == keyed_row_hash(chain_row(entry), keyring.current)
    assert entry.hash != row_hash(chain_row(entry))  # not the old, keyless hash
    assert head.mac == head_mac(keyring.current, head.seq, head.hash, head.key_id)
    assert verify(session)[1] is None


# -- the attacks of issue 9, by someone without the key -----------------------------------


def test_deleting_the_last_rows_and_moving_the_head_is_found_without_the_key(
    session: Session,
) -> None:
    seqs = write(session, 5)
    truncate(session, seqs[2])
    count, found = verify(session)
    assert found is not None
    assert (found.seq, found.kind) == (seqs[2], "head")
    assert f"rows after {seqs[2]} may have been deleted" in found.message


def test_rewriting_a_row_and_every_later_hash_with_row_hash_is_found(session: Session) -> None:
    seqs = write(session, 5)
    rewrite(session, seqs[1], row_hash)
    count, found = verify(session)
    assert found is not None
    assert (found.seq, found.kind) == (seqs[1], "altered")


def test_a_head_moved_by_hand_gets_no_checkpoint(session: Session) -> None:
    seqs = write(session, 4)
    truncate(session, seqs[1])
    with pytest.raises(CheckpointRefused, match="set outside stadsvakt"):
        take_checkpoint(session, private=signing_key(AUDIT), now=NOW)


# -- the same attacks by someone holding the key: the checkpoint names them ---------------


def test_a_rewrite_with_the_key_is_found_by_a_checkpoint(session: Session) -> None:
    seqs = write(session, 5)
    anchors = checkpoint_of(session)
    key = keyring_of(session).current
    rewrite(session, seqs[1], lambda row: keyed_row_hash(row, key))
    head = session.get(AuditHead, HEAD_ID)
    assert head is not None
    head.mac = head_mac(key, head.seq, head.hash, head.key_id)
    session.flush()
    assert verify(session)[1] is None  # the key hides it from the chain alone
    found = verify(session, anchors=anchors)[1]
    assert found is not None
    assert (found.seq, found.kind) == (seqs[-1], "rewritten")
    assert f"row {seqs[-1]}'s hash differs from the checkpoint" in found.message


def test_truncation_with_the_key_is_found_by_a_checkpoint(session: Session) -> None:
    seqs = write(session, 5)
    anchors = checkpoint_of(session)
    head = truncate(session, seqs[2])
    key = keyring_of(session).current
    head.mac = head_mac(key, head.seq, head.hash, head.key_id)
    session.flush()
    assert verify(session)[1] is None
    found = verify(session, anchors=anchors)[1]
    assert found is not None
    assert found.kind == "truncated"
    assert f"checkpoint seq {seqs[-1]} " in found.message
    assert "no longer exists" in found.message


# -- rotation and trails from before keyed hashing -----------------------------------------


def _settings(url: str, current: tuple[str, str], **retired: str) -> Settings:
    audit = AuditSettings(
        hmac_key_id=current[0],
        hmac_key=SecretStr(current[1]),
        retired_hmac_keys={k: SecretStr(v) for k, v in retired.items()},
    )
    return Settings(database_url=url, security=fast_security(), audit=audit, _env_file=None)


@pytest.fixture
def engines() -> Iterator[Callable[[Settings], Engine]]:
    """Engines for settings of the test's choosing, disposed afterwards."""
    made: list[Engine] = []

    def make(settings: Settings) -> Engine:
        made.append(create_db_engine(settings))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


def _committed(engine: Engine, count: int) -> None:
    with unit_of_work(create_session_factory(engine)) as session:
        write(session, count)


def _verify(engine: Engine) -> tuple[int, ChainBreak | None]:
    with create_session_factory(engine)() as session:
        return verify(session)


def test_a_new_key_takes_over_with_a_rotation_row(
    fresh_database_url: str, engines: Callable[[Settings], Engine]
) -> None:
    first = _settings(fresh_database_url, ("k1", KEY_ONE))
    old = engines(first)
    upgrade(first, old)
    _committed(old, 3)
    new = engines(_settings(fresh_database_url, ("k2", KEY_TWO), k1=KEY_ONE))
    _committed(new, 2)
    with create_session_factory(new)() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [r.key_id for r in rows] == ["k1", "k1", "k1", "k2", "k2", "k2"]
        assert rows[3].action == ROTATE_ACTION
        assert (rows[3].before, rows[3].after) == ('{"key_id":"k1"}', '{"key_id":"k2"}')
    assert _verify(new) == (6, None)
    # Without the retired key the rows it made cannot be checked, and verify says which.
    forgetful = engines(_settings(fresh_database_url, ("k2", KEY_TWO)))
    count, found = _verify(forgetful)
    assert found is not None
    assert "'k1'" in found.message and "retired_hmac_keys" in found.message


def test_a_retired_key_cannot_write_again(
    fresh_database_url: str, engines: Callable[[Settings], Engine]
) -> None:
    first = _settings(fresh_database_url, ("k1", KEY_ONE))
    old = engines(first)
    upgrade(first, old)
    _committed(old, 1)
    _committed(engines(_settings(fresh_database_url, ("k2", KEY_TWO), k1=KEY_ONE)), 1)
    leaked = engines(_settings(fresh_database_url, ("k1", KEY_ONE), k2=KEY_TWO))
    _committed(leaked, 1)
    count, found = _verify(leaked)
    assert found is not None
    assert found.kind == "key"
    assert "brings back HMAC key 'k1'" in found.message


_legacy = sa.table(
    "audit_log",
    *(sa.column(name) for name in ("seq", "actor_kind", "actor_name", "action", "object_type")),
    *(sa.column(name) for name in ("object_text", "prev_hash", "hash", "tenant_id", "actor_id")),
    *(sa.column(name) for name in ("request_id", "object_id", "before", "after")),
    sa.column("at", UTCDateTime()),
)


def _write_as_before_keys(engine: Engine, count: int) -> str:
    """Rows as stadsvakt wrote them before keyed hashing (plain SHA-256, no key id)."""
    prev = "0" * 64
    with engine.begin() as conn:
        for seq in range(1, count + 1):
            row = ChainRow(
                seq=seq,
                at=NOW,
                tenant_id=None,
                actor_kind="system",
                actor_id=None,
                actor_name="cli:root",
                request_id=None,
                action="site.create",
                object_type="site",
                object_id=None,
                object_text=f"Skola {seq}",
                before=None,
                after=None,
                prev_hash=prev,
            )
            prev = row_hash(row)
            values = {k: v for k, v in dataclasses.asdict(row).items() if k != "key_id"}
            conn.execute(sa.insert(_legacy).values(**values, hash=prev))
        conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": count, "h": prev})
    return prev


def test_a_trail_from_before_keyed_hashing_verifies_after_the_upgrade(
    fresh_database_url: str, engines: Callable[[Settings], Engine]
) -> None:
    settings = _settings(fresh_database_url, ("k1", KEY_ONE))
    engine = engines(settings)
    upgrade(settings, engine, "0007")
    _write_as_before_keys(engine, 4)
    upgrade(settings, engine)
    # Not sealed yet: plain SHA-256 alone proves nothing against a writer of the database.
    count, found = _verify(engine)
    assert found is not None and found.kind == "key"
    sealed = seal_chain(create_session_factory(engine))  # what `stadsvakt db upgrade` does
    assert sealed is not None
    assert (sealed.seq, sealed.action, sealed.key_id) == (5, ROTATE_ACTION, "k1")
    assert seal_chain(create_session_factory(engine)) is None  # once
    _committed(engine, 2)
    assert _verify(engine) == (7, None)


def test_a_trail_from_before_keys_is_sealed_as_it_stood(
    fresh_database_url: str, engines: Callable[[Settings], Engine]
) -> None:
    """After the seal, rewriting an old unkeyed row with ``row_hash`` breaks the seal."""
    settings = _settings(fresh_database_url, ("k1", KEY_ONE))
    engine = engines(settings)
    upgrade(settings, engine, "0007")
    _write_as_before_keys(engine, 3)
    upgrade(settings, engine)
    seal_chain(create_session_factory(engine))
    with unit_of_work(create_session_factory(engine)) as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.seq <= 3)).all()
        unguard(session)
        prev = "0" * 64
        for entry in sorted(rows, key=lambda e: e.seq):
            if entry.seq == 2:
                entry.object_text = "Skola 2 (aldrig ändrad)"
            entry.prev_hash = prev
            entry.hash = prev = row_hash(chain_row(entry))
    count, found = _verify(engine)
    assert found is not None
    assert (found.seq, found.kind) == (3, "altered")
