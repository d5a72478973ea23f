"""``stadsvakt audit verify / checkpoint / keygen / public-key`` against a SQLite file, as an
operator (and an auditor holding only the public key) runs them."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from stadsvakt.audit.chain import ChainRow, row_hash
from stadsvakt.audit.checkpoints import public_key_text
from stadsvakt.cli import app as cli_app
from stadsvakt.db import UTCDateTime, create_db_engine, unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import Mode, Settings
from tests.audit.tampering import rewrite, truncate, write

Run = Callable[..., Result]


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    """Where the CLI's database lives."""
    return tmp_path / "var" / "audit.db"


@pytest.fixture
def checkpoints(tmp_path: Path) -> Path:
    """The checkpoint file the settings name."""
    return tmp_path / "log" / "checkpoints.jsonl"


@pytest.fixture
def env(db_file: Path, checkpoints: Path) -> dict[str, str]:
    """The operator's environment; tests add to it (a new key, say)."""
    checkpoints.parent.mkdir(parents=True, exist_ok=True)
    return {
        "STADSVAKT_DATABASE_URL": f"sqlite:///{db_file}",
        "STADSVAKT_AUDIT__CHECKPOINT_FILE": str(checkpoints),
        "COLUMNS": "200",
    }


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str]) -> Run:
    """Invoke the CLI with ``env``, as a user would."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> Result:
        return CliRunner(env=env).invoke(cli_app, list(args))

    return invoke


@pytest.fixture
def engine(db_file: Path, run: Run) -> Iterator[Engine]:
    """A migrated database (through the CLI) and an engine on it, for writing and tampering."""
    assert run("db", "upgrade").exit_code == 0
    engine = create_db_engine(Settings(database_url=f"sqlite:///{db_file}", _env_file=None))
    yield engine
    engine.dispose()


def committed(engine: Engine, change: Callable[..., object], *args: object) -> None:
    """Run ``change(session, *args)`` and commit."""
    with unit_of_work(sa.orm.sessionmaker(bind=engine, expire_on_commit=False)) as session:
        change(session, *args)


def test_checkpoint_then_verify_against_it(run: Run, engine: Engine, checkpoints: Path) -> None:
    committed(engine, write, 3)
    made = run("audit", "checkpoint")
    assert made.exit_code == 0, made.output
    assert "Checkpoint of row 3" in made.stdout
    (line,) = checkpoints.read_text().splitlines()
    assert json.loads(line)["seq"] == 3
    result = run("audit", "verify", "--checkpoints", str(checkpoints))
    assert result.exit_code == 0, result.output
    assert "3 rows verified" in result.stdout
    assert "extends all 1 checkpoints" in result.stdout


def test_deleting_the_last_rows_and_moving_the_head_is_named(
    run: Run, engine: Engine, checkpoints: Path
) -> None:
    committed(engine, write, 5)
    assert run("audit", "checkpoint").exit_code == 0
    committed(engine, truncate, 3)
    alone = run("audit", "verify")
    assert alone.exit_code == 1
    assert "broken at row 3" in alone.stderr and "(head)" in alone.stderr
    anchored = run("audit", "verify", "--checkpoints", str(checkpoints))
    assert anchored.exit_code == 1
    assert "(truncated)" in anchored.stderr
    assert "checkpoint seq 5 " in anchored.stderr and "no longer exists" in anchored.stderr
    # And the timer's next checkpoint does not vouch for the cut-back chain.
    refused = run("audit", "checkpoint")
    assert refused.exit_code == 1
    assert "set outside stadsvakt" in refused.stderr
    assert len(checkpoints.read_text().splitlines()) == 1


def test_rewriting_a_row_and_every_later_hash_with_row_hash_is_named(
    run: Run, engine: Engine
) -> None:
    committed(engine, write, 4)
    committed(engine, rewrite, 2, row_hash)
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert "broken at row 2" in result.stderr and "(altered)" in result.stderr


def test_a_forged_checkpoint_line_fails_verify(run: Run, engine: Engine, checkpoints: Path) -> None:
    committed(engine, write, 2)
    assert run("audit", "checkpoint").exit_code == 0
    data = json.loads(checkpoints.read_text())
    data["seq"] = 1
    with checkpoints.open("a") as out:
        out.write(json.dumps(data) + "\n")
    result = run("audit", "verify", "--checkpoints", str(checkpoints))
    assert result.exit_code == 1
    assert "(forged)" in result.stderr and "bad signature" in result.stderr
    assert "Traceback" not in result.output


def test_an_auditor_verifies_with_only_the_public_key(
    run: Run, engine: Engine, checkpoints: Path, env: dict[str, str]
) -> None:
    committed(engine, write, 2)
    assert run("audit", "checkpoint").exit_code == 0
    public = run("audit", "public-key").stdout.strip()
    # The auditor's machine has no signing key of its own: only the public key given.
    env["STADSVAKT_AUDIT__SIGNING_KEY"] = "A" * 43 + "="
    ok = run("audit", "verify", "--checkpoints", str(checkpoints), "--public-key", public)
    assert ok.exit_code == 0, ok.output
    other = public_key_text(Ed25519PrivateKey.generate().public_key())
    wrong = run("audit", "verify", "--checkpoints", str(checkpoints), "--public-key", other)
    assert wrong.exit_code == 1
    assert "not trusted" in wrong.stderr
    bad = run("audit", "verify", "--checkpoints", str(checkpoints), "--public-key", "x[red]")
    assert bad.exit_code == 2
    assert "x[red]" in bad.stderr and "32-byte Ed25519 public key" in bad.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read"), ("", "holds no checkpoint"), ("\n\n", "holds no checkpoint")],
)
def test_a_missing_or_empty_checkpoint_file_is_refused(
    run: Run, engine: Engine, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "given.jsonl"
    if content is not None:
        path.write_text(content)
    result = run("audit", "verify", "--checkpoints", str(path))
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_checkpoint_without_a_destination_says_what_to_set(
    run: Run, engine: Engine, env: dict[str, str]
) -> None:
    del env["STADSVAKT_AUDIT__CHECKPOINT_FILE"]
    result = run("audit", "checkpoint")
    assert result.exit_code == 1
    assert "STADSVAKT_AUDIT__CHECKPOINT_FILE" in result.stderr


def test_a_checkpoint_file_that_cannot_be_written_is_reported(
    run: Run, engine: Engine, env: dict[str, str], tmp_path: Path
) -> None:
    env["STADSVAKT_AUDIT__CHECKPOINT_FILE"] = str(tmp_path / "no-such-folder" / "cp.jsonl")
    result = run("audit", "checkpoint")
    assert result.exit_code == 1
    assert "no-such-folder" in result.stderr
    assert "Traceback" not in result.output


def _second_signing_key(run: Run) -> str:
    lines = run("audit", "keygen", "--key-id", "edge").stdout.splitlines()
    env = dict(line.split("=", 1) for line in lines if not line.startswith("#"))
    return env["STADSVAKT_AUDIT__SIGNING_KEY"]


def test_keygen_prints_keys_production_accepts(run: Run) -> None:
    result = run("audit", "keygen", "--key-id", "sundby-2027")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    env = dict(line.split("=", 1) for line in lines if not line.startswith("#"))
    assert env["STADSVAKT_AUDIT__HMAC_KEY_ID"] == "sundby-2027"
    settings = Settings(
        mode=Mode.PRODUCTION,
        security={"secret_key": "s" * 40},
        audit={
            "hmac_key_id": env["STADSVAKT_AUDIT__HMAC_KEY_ID"],
            "hmac_key": env["STADSVAKT_AUDIT__HMAC_KEY"],
            "signing_key": env["STADSVAKT_AUDIT__SIGNING_KEY"],
        },
        # The edge's snapshot key is another key of the same kind (a second keygen).
        edge={"snapshot": {"signing_key": _second_signing_key(run)}},
        _env_file=None,
    )
    assert settings.audit.hmac_key_id == "sundby-2027"
    assert "public key" in lines[-1]
    assert run("audit", "keygen", "--key-id", "no spaces").exit_code == 2


def test_a_new_key_is_rotated_in_and_the_old_one_verifies_its_rows(
    run: Run, engine: Engine, env: dict[str, str], checkpoints: Path
) -> None:
    committed(engine, write, 2)
    env["STADSVAKT_AUDIT__HMAC_KEY_ID"] = "k2027"
    env["STADSVAKT_AUDIT__HMAC_KEY"] = "a new key for 2027, random enough for a test"
    env["STADSVAKT_AUDIT__RETIRED_HMAC_KEYS"] = '{"dev": "dev-insecure-audit-hmac-key-change-me"}'
    pending = run("audit", "verify")
    assert pending.exit_code == 0, pending.output
    assert "'k2027' has not written yet" in pending.stdout
    assert run("audit", "checkpoint").exit_code == 0  # writes the rotation row first
    result = run("audit", "verify", "--checkpoints", str(checkpoints))
    assert result.exit_code == 0, result.output
    assert "3 rows verified" in result.stdout
    del env["STADSVAKT_AUDIT__RETIRED_HMAC_KEYS"]
    forgot = run("audit", "verify")
    assert forgot.exit_code == 1
    assert "'dev'" in forgot.stderr and "retired_hmac_keys" in forgot.stderr


_legacy = sa.table(
    "audit_log",
    *(sa.column(n) for n in ("seq", "actor_kind", "actor_name", "action", "object_type")),
    *(sa.column(n) for n in ("object_text", "prev_hash", "hash")),
    sa.column("at", UTCDateTime()),
)


def test_db_upgrade_seals_a_trail_from_before_keyed_hashing(db_file: Path, run: Run) -> None:
    settings = Settings(database_url=f"sqlite:///{db_file}", _env_file=None)
    engine = create_db_engine(settings)
    try:
        upgrade(settings, engine, "0007")
        prev = "0" * 64
        with engine.begin() as conn:
            for seq in (1, 2):
                row = ChainRow(
                    seq, datetime(2026, 1, seq, tzinfo=UTC), None, "system", None, "cli:root",
                    None, "site.create", "site", None, f"Skola {seq}", None, None, prev,
                )  # fmt: skip
                prev = row_hash(row)
                values = dataclasses.asdict(row)
                keep = {c.name for c in _legacy.columns}
                conn.execute(
                    sa.insert(_legacy).values(
                        **{k: v for k, v in values.items() if k in keep}, hash=prev
                    )
                )
            conn.execute(text("UPDATE audit_head SET seq = 2, hash = :h"), {"h": prev})
    finally:
        engine.dispose()
    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "Audit trail sealed with HMAC key dev (row 3)" in upgraded.stdout
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "3 rows verified" in result.stdout
    assert "Rows 1..2 predate keyed hashing" in result.stdout


def _by_hand(db_file: Path, statement: str) -> None:
    """Edit the SQLite file as an intruder would, with the triggers dropped first."""
    conn = sqlite3.connect(db_file)
    try:
        triggers = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        for (name,) in triggers.fetchall():
            if name.startswith("audit_log"):
                conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("UPDATE audit_log SET at = 'garbage' WHERE seq = 2", "row 2 cannot be read"),
        ("UPDATE audit_log SET tenant_id = 'zz' WHERE seq = 2", "row 2 cannot be read"),
        ("UPDATE audit_log SET at = 17 WHERE seq = 2", "row 2 cannot be read"),
        ("UPDATE audit_log SET hash = 42 WHERE seq = 2", "row 2 was altered"),
        ("UPDATE audit_log SET key_id = 'x[/red]' WHERE seq = 2", "'x[/red]'"),
        (
            "UPDATE audit_log SET before = 7, action = 'audit.key.rotate', key_id = 'dev'"
            " WHERE seq = 2",
            "row 2 was altered",
        ),
        ("UPDATE audit_head SET seq = 'abc'", "chain head cannot be read"),
        ("UPDATE audit_head SET mac = NULL", "rows after 3 may have been deleted"),
    ],
)
def test_values_a_column_cannot_hold_are_named_never_a_traceback(
    run: Run, engine: Engine, db_file: Path, statement: str, named: str
) -> None:
    committed(engine, write, 3)
    _by_hand(db_file, statement)
    result = run("audit", "verify")
    assert result.exit_code == 1, result.output
    assert named in result.stderr
    assert "Traceback" not in result.output
    refused = run("audit", "checkpoint")
    assert "Traceback" not in refused.output
