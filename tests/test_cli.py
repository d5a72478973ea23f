"""The ``stadsvakt`` command line, run against a SQLite file named in the environment."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from stadsvakt.app import create_app
from stadsvakt.cli import app as cli_app
from stadsvakt.settings import Settings
from tests.factories import PASSWORD

Run = Callable[..., Result]


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    """Where the CLI's database lives."""
    return tmp_path / "var" / "cli.db"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_file: Path) -> Run:
    """Invoke the CLI with the test database in the environment, as a user would."""
    monkeypatch.chdir(tmp_path)
    env = {
        "STADSVAKT_DATABASE_URL": f"sqlite:///{db_file}",
        "STADSVAKT_SECURITY__ARGON2_TIME_COST": "1",
        "STADSVAKT_SECURITY__ARGON2_MEMORY_KIB": "1024",
        "COLUMNS": "200",
    }
    runner = CliRunner(env=env)

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli_app, list(args), input=input)

    return invoke


@pytest.fixture
def ready(run: Run) -> Run:
    """A migrated database with a municipality and an admin."""
    assert run("db", "upgrade").exit_code == 0
    made = run("municipality", "create", "--name", "Sundby kommun", "--code", "1299")
    assert made.exit_code == 0, made.output
    user = run(
        "user", "create", "--username", "admin", "--name", "Admin", "--password-stdin",
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert user.exit_code == 0, user.output
    return run


def _rows(db_file: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(db_file) as conn:
        return list(conn.execute("SELECT seq, action FROM audit_log ORDER BY seq"))


def _tamper(db_file: Path, *statements: str) -> None:
    """Change the file by hand, as an intruder with file access would: triggers first."""
    conn = sqlite3.connect(db_file)
    try:
        triggers = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        ).fetchall()
        assert triggers, "the append-only triggers are missing"
        for (name,) in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def test_setup_and_verify(ready: Run, db_file: Path) -> None:
    assert [action for _, action in _rows(db_file)] == ["municipality.create", "user.create"]
    result = ready("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "intact" in result.stdout
    assert "2 rows" in result.stdout


def test_cli_changes_are_audited_with_the_operator(ready: Run, db_file: Path) -> None:
    with sqlite3.connect(db_file) as conn:
        names = {name for (name,) in conn.execute("SELECT actor_name FROM audit_log")}
        kinds = {kind for (kind,) in conn.execute("SELECT actor_kind FROM audit_log")}
    assert kinds == {"system"}
    assert all(name.startswith("cli") for name in names)


def test_password_never_comes_from_argv(run: Run) -> None:
    help_text = run("user", "create", "--help")
    assert help_text.exit_code == 0
    assert "--password-stdin" in help_text.stdout
    assert "--password " not in help_text.stdout.replace("--password-stdin", "")
    refused = run(
        "user", "create", "--username", "x", "--name", "X", "--password", PASSWORD
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "No such option" in refused.output


def test_user_create_prompts_for_the_password(ready: Run) -> None:
    result = ready(
        "user", "create", "--username", "anna", "--name", "Anna", "--role", "operator",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output


def test_weak_password_is_refused_with_a_message(ready: Run) -> None:
    result = ready(
        "user", "create", "--username", "bo", "--name", "Bo", "--password-stdin", input="kort\n"
    )  # fmt: skip
    assert result.exit_code == 1
    assert "password" in result.stderr


def test_token_create_prints_a_working_token(ready: Run, db_file: Path) -> None:
    result = ready("token", "create", "--name", "larmcentral", "--scope", "site.read",
                   "--scope", "org.read", "--expires", "30")  # fmt: skip
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("svt_")
    assert "shown once" in result.stderr
    settings = Settings(database_url=f"sqlite:///{db_file}", _env_file=None)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        auth = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/v1/sites", headers=auth).status_code == 200
        assert client.get("/api/v1/users", headers=auth).status_code == 403


def test_token_with_unknown_scope_is_refused(ready: Run) -> None:
    result = ready("token", "create", "--name", "x", "--scope", "doors.open")
    assert result.exit_code == 1
    assert "doors.open" in result.stderr


def test_verify_names_a_row_changed_by_hand(ready: Run, db_file: Path) -> None:
    ready("token", "create", "--name", "a", "--scope", "site.read")
    assert len(_rows(db_file)) == 3
    _tamper(db_file, "UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 2")
    result = ready("audit", "verify")
    assert result.exit_code == 1
    assert "row 2" in result.stderr
    assert "altered" in result.stderr


def test_verify_names_a_changed_after_value(ready: Run, db_file: Path) -> None:
    _tamper(db_file, 'UPDATE audit_log SET after = \'{"name":"x"}\' WHERE seq = 1')
    result = ready("audit", "verify")
    assert result.exit_code == 1
    assert "row 1" in result.stderr


def test_verify_names_a_deleted_row(ready: Run, db_file: Path) -> None:
    ready("token", "create", "--name", "a", "--scope", "site.read")
    _tamper(db_file, "DELETE FROM audit_log WHERE seq = 2")
    result = ready("audit", "verify")
    assert result.exit_code == 1
    assert "row 2" in result.stderr
    assert "deleted" in result.stderr


def test_verify_names_an_inserted_row(ready: Run, db_file: Path) -> None:
    _tamper(
        db_file,
        "INSERT INTO audit_log (seq, at, actor_kind, actor_name, action, object_type,"
        " object_text, prev_hash, hash) SELECT 3, at, 'user', 'mallory', 'site.delete', 'site',"
        " 'Rådhuset', hash, hash FROM audit_log WHERE seq = 2",
    )
    result = ready("audit", "verify")
    assert result.exit_code == 1
    assert "row 3" in result.stderr
    assert "inserted" in result.stderr


def test_serve_refuses_an_unmigrated_database(run: Run) -> None:
    result = run("serve", "--port", "8999")
    assert result.exit_code == 1
    assert "stadsvakt db upgrade" in result.stderr


def test_configuration_errors_are_reported_clearly(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STADSVAKT_MODE", "production")
    result = run("audit", "verify")
    assert result.exit_code == 2
    assert "STADSVAKT_SECURITY__SECRET_KEY" in result.stderr


def test_reindex_search_rebuilds_the_search_indexes(ready: Run) -> None:
    result = ready("db", "reindex-search")
    assert result.exit_code == 0, result.output
    assert "Search indexes rebuilt: 2" in result.output
