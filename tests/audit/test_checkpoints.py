"""Signed checkpoints: the line format, forged and tampered lines, the append-only file and
syslog sinks, and the timer ``stadsvakt serve`` runs."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from stadsvakt.audit.checkpoints import (
    BadPublicKey,
    Checkpoint,
    CheckpointNotWritten,
    FileSink,
    SyslogSink,
    load_anchors,
    public_key_id,
    public_key_text,
    publish,
    signing_key,
    trusted_keys,
)
from stadsvakt.audit.jobs import CheckpointTimer, checkpoint_timers, write_checkpoint
from stadsvakt.audit.service import record, verify
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import create_db_engine, create_session_factory, unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import AuditSettings, Mode, Settings
from tests.conftest import fast_security
from tests.waiting import wait_until_async

AUDIT = AuditSettings()
PRIVATE = signing_key(AUDIT)
TRUSTED = trusted_keys(AUDIT)
AT = datetime(2026, 12, 3, 10, 15, tzinfo=UTC)
HASH = "9c" * 32


def line(seq: int, hash_: str = HASH, private: Ed25519PrivateKey = PRIVATE) -> str:
    """A checkpoint line as the installation writes it."""
    return Checkpoint.sign(seq, hash_, AT, private).line()


def test_a_signed_line_reads_back_as_an_anchor() -> None:
    text = line(42)
    assert json.loads(text) == {
        "v": 1,
        "seq": 42,
        "hash": HASH,
        "at": "2026-12-03T10:15:00Z",
        "key": public_key_id(PRIVATE.public_key()),
        "sig": json.loads(text)["sig"],
    }
    anchors, problem = load_anchors([text], TRUSTED)
    assert problem is None
    assert (anchors[42].hash, anchors[42].line, anchors[42].at) == (HASH, 1, "2026-12-03T10:15:00Z")


def test_a_syslog_line_holding_a_checkpoint_reads_back() -> None:
    prefix = "Dec  3 10:15:00 host stadsvakt-audit[812]: "
    anchors, problem = load_anchors(["", prefix + line(7), "  "], TRUSTED)
    assert problem is None
    assert list(anchors) == [7]


@pytest.mark.parametrize(
    ("field", "value"),
    [("seq", 41), ("seq", 43), ("hash", "00" * 32), ("at", "2027-01-01T00:00:00Z")],
)
def test_a_changed_line_fails_its_signature(field: str, value: object) -> None:
    data = json.loads(line(42))
    data[field] = value
    anchors, problem = load_anchors(["", json.dumps(data)], TRUSTED)
    assert problem is not None
    assert problem.kind == "forged"
    assert "checkpoint line 2 has a bad signature" in problem.message


def test_a_line_signed_by_another_key_is_not_trusted() -> None:
    mallory = Ed25519PrivateKey.generate()
    anchors, problem = load_anchors([line(1), line(2, private=mallory)], TRUSTED)
    assert problem is not None
    assert problem.kind == "forged"
    assert "line 2 is signed by key" in problem.message and "not trusted" in problem.message


def test_a_forged_key_id_is_no_way_around_the_signature() -> None:
    """A line signed by another key but naming the trusted key's id fails its signature."""
    mallory = Ed25519PrivateKey.generate()
    data = json.loads(line(5, private=mallory))
    data["key"] = public_key_id(PRIVATE.public_key())
    anchors, problem = load_anchors([json.dumps(data)], TRUSTED)
    assert problem is not None
    assert "bad signature" in problem.message


def test_an_auditor_with_only_the_public_key_checks_lines() -> None:
    public = public_key_text(PRIVATE.public_key())
    only = trusted_keys(AuditSettings(), [public], only_extra=True)
    assert load_anchors([line(3)], only)[1] is None
    other = public_key_text(Ed25519PrivateKey.generate().public_key())
    problem = load_anchors([line(3)], trusted_keys(AUDIT, [other], only_extra=True))[1]
    assert problem is not None and "not trusted" in problem.message


def test_a_bad_public_key_is_named() -> None:
    with pytest.raises(BadPublicKey, match="32-byte Ed25519 public key"):
        trusted_keys(AUDIT, ["not-base64!"], only_extra=True)


@pytest.mark.parametrize(
    "text",
    [
        "garbage",
        "{not json",
        "[1, 2]",
        '{"v": 2}',
        '{"v": 1, "seq": "7", "hash": "a", "at": "b", "key": "c", "sig": "d"}',
        '{"v": 1, "seq": true, "hash": "a", "at": "b", "key": "c", "sig": "d"}',
        '{"v": 1, "seq": -1, "hash": "a", "at": "b", "key": "c", "sig": "d"}',
        '{"v": 1, "seq": 1, "hash": "å", "at": "b", "key": "c", "sig": "d"}',
        '{"v": 1, "seq": 1, "hash": "a", "at": "b", "key": "c"}',
        '{"v": 1, "seq": 1, "hash": "a", "at": "b", "key": "c", "sig": "!!", "x": 1}',
        '{"v": 1, "seq": 1, "hash": "a", "at": "b", "key": "c", "sig": "' + "A" * 2000 + '"}',
        "\ufffd\ufffd{\ufffd",
    ],
)
def test_an_unreadable_line_is_named_never_a_crash(text: str) -> None:
    anchors, problem = load_anchors([line(1), text], TRUSTED)
    assert problem is not None
    assert problem.kind == "forged"
    assert problem.message.startswith("checkpoint line 2 ")


@given(st.data())
@settings(max_examples=200)
def test_any_changed_character_is_caught(data: st.DataObject) -> None:
    text = line(1234)
    index = data.draw(st.integers(0, len(text) - 1))
    char = data.draw(st.characters().filter(lambda c: c != text[index]))
    changed = text[:index] + char + text[index + 1 :]
    anchors, problem = load_anchors([changed], TRUSTED)
    # The JSON may still mean the same (a space added between fields); else it is caught.
    assert problem is not None or anchors == load_anchors([text], TRUSTED)[0]


def test_two_hashes_for_one_row_are_a_rewrite() -> None:
    anchors, problem = load_anchors([line(5), line(6), line(5, "ab" * 32)], TRUSTED)
    assert problem is not None
    assert (problem.seq, problem.kind) == (5, "rewritten")
    assert "lines 1 and 3" in problem.message


def test_a_head_that_went_back_between_checkpoints_is_truncation() -> None:
    anchors, problem = load_anchors([line(5), line(9), line(7)], TRUSTED)
    assert problem is not None
    assert problem.kind == "truncated"
    assert "line 3" in problem.message and "below row 9 of line 2" in problem.message


# -- where lines go ------------------------------------------------------------------------


def test_the_file_sink_appends_and_never_rewrites(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "checkpoints.jsonl"
    path.parent.mkdir()
    path.write_text("an earlier line\n")
    sink = FileSink(path)
    sink.write(line(1))
    sink.write(line(2))
    assert path.read_text().splitlines() == ["an earlier line", line(1), line(2)]
    fresh = FileSink(tmp_path / "new.jsonl")
    fresh.write(line(1))
    assert stat.S_IMODE(os.stat(fresh.path).st_mode) & 0o007 == 0  # others may not read it


def test_a_file_sink_that_cannot_write_is_reported_and_the_others_still_get_it(
    tmp_path: Path,
) -> None:
    sent: list[str] = []
    broken = FileSink(tmp_path / "missing-folder" / "checkpoints.jsonl")
    checkpoint = Checkpoint.sign(3, HASH, AT, PRIVATE)
    with pytest.raises(CheckpointNotWritten, match="missing-folder"):
        publish(checkpoint, [broken, SyslogSink(send=sent.append)])
    assert sent == [checkpoint.line()]


def test_syslog_gets_the_line_under_its_ident() -> None:
    sent: list[str] = []
    sink = SyslogSink(send=sent.append)
    sink.write(line(1))
    assert sent == [line(1)]
    assert "stadsvakt-audit" in sink.describe()


def test_no_destination_is_a_clear_refusal(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", _env_file=None)
    engine = create_db_engine(settings)
    try:
        with pytest.raises(CheckpointNotWritten, match="STADSVAKT_AUDIT__CHECKPOINT_FILE"):
            write_checkpoint(create_session_factory(engine), settings.audit, [])
    finally:
        engine.dispose()


def test_serve_runs_a_timer_only_when_a_destination_is_set(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    off = Settings(database_url=url, _env_file=None)
    engine = create_db_engine(off)
    factory = create_session_factory(engine)
    try:
        assert checkpoint_timers(off, factory) == []
        assert "checkpoints are off" not in caplog.text  # development: no noise
        audit = AuditSettings(checkpoint_file=tmp_path / "cp.jsonl", checkpoint_interval_minutes=5)
        on = Settings(database_url=url, audit=audit, _env_file=None)
        (timer,) = checkpoint_timers(on, factory)
        assert timer.interval_s == 300
        assert str(tmp_path / "cp.jsonl") in timer.describe()
        production = off.model_copy(update={"mode": Mode.PRODUCTION})
        assert checkpoint_timers(production, factory) == []
        assert "audit checkpoints are off" in caplog.text
    finally:
        engine.dispose()


# -- the timer, against a database it commits to -------------------------------------------


def test_the_serve_timer_writes_checkpoints_the_chain_extends(
    fresh_database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "checkpoints.jsonl"
    audit = AuditSettings(checkpoint_file=path)
    settings = Settings(
        database_url=fresh_database_url, security=fast_security(), audit=audit, _env_file=None
    )
    engine = create_db_engine(settings)
    upgrade(settings, engine)
    factory = create_session_factory(engine)

    def change(n: int) -> None:
        with acting_as(system_actor("test")), unit_of_work(factory) as session:
            for i in range(n):
                record(
                    session,
                    action="test.write",
                    object_type="test",
                    object_id=i,
                    object_text=str(i),
                    tenant_id=None,
                )

    def lines() -> list[str]:
        return path.read_text().splitlines() if path.exists() else []

    async def run() -> None:
        timer = CheckpointTimer(audit, factory, [FileSink(path)], interval_s=0.01)
        task = asyncio.create_task(timer.serve())
        try:
            await wait_until_async(lambda: len(lines()) >= 1, "the first checkpoint")
            await asyncio.to_thread(change, 3)
            await wait_until_async(
                lambda: any(json.loads(t)["seq"] == 5 for t in lines()), "a checkpoint of row 5"
            )
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    try:
        change(2)
        asyncio.run(run())
        anchors, problem = load_anchors(lines(), trusted_keys(audit))
        assert problem is None
        assert {2, 5} <= set(anchors)
        with factory() as session:
            assert verify(session, anchors=anchors) == (5, None)
    finally:
        engine.dispose()


def test_a_failing_tick_is_logged_and_the_timer_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'unmigrated.db'}", _env_file=None)
    engine = create_db_engine(settings)
    timer = CheckpointTimer(
        settings.audit, create_session_factory(engine), [FileSink(tmp_path / "cp")]
    )
    try:
        assert asyncio.run(timer.tick()) is None
    finally:
        engine.dispose()
    assert "audit checkpoint not written" in caplog.text
    assert not (tmp_path / "cp").exists()
