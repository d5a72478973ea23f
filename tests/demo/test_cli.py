"""``stadsvakt demo --no-serve``: a fresh demo database and its logins, printed once."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stadsvakt.cli import app
from stadsvakt.demo.seed_centre import load_centre_data

#: The sites of the municipality the demo's safety centre serves (Grannby kommun).
SERVED_SITES = len(load_centre_data()["served"]["sites"])


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner in an empty directory (no .env) with cheap password hashing."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STADSVAKT_SECURITY__ARGON2_TIME_COST", "1")
    monkeypatch.setenv("STADSVAKT_SECURITY__ARGON2_MEMORY_KIB", "1024")
    return CliRunner()


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as connection:
        row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    connection.close()
    return int(row[0])


def _admin_password(output: str) -> str:
    found = re.search(r"log in as admin with password (\S+)", output)
    assert found, output
    return found.group(1)


def test_demo_creates_a_seeded_database_and_prints_the_admin_password(
    runner: CliRunner, tmp_path: Path
) -> None:
    database = tmp_path / "demo.db"
    result = runner.invoke(
        app, ["demo", "--no-serve", "--people", "30", "--database", str(database)]
    )
    assert result.exit_code == 0, result.output
    assert len(_admin_password(result.output)) >= 12
    assert "http://127.0.0.1:8000" in result.output
    assert "Grundskoleförvaltningen" in result.output
    assert database.is_file()
    assert _count(database, "sites") == 40 + SERVED_SITES


def test_a_second_run_replaces_the_demo_with_new_passwords(
    runner: CliRunner, tmp_path: Path
) -> None:
    database = tmp_path / "demo.db"
    first = runner.invoke(
        app, ["demo", "--no-serve", "--people", "30", "--database", str(database)]
    )
    second = runner.invoke(
        app, ["demo", "--no-serve", "--scale", "2", "--people", "30", "--database", str(database)]
    )
    assert second.exit_code == 0, second.output
    assert _admin_password(first.output) != _admin_password(second.output)
    assert _count(database, "sites") == 80 + SERVED_SITES
    assert _count(database, "municipalities") == 2  # Sundby and the one its centre serves


def test_the_default_database_is_under_var(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--people", "30"])
    assert result.exit_code == 0, result.output
    assert _count(tmp_path / "var" / "demo.db", "sites") == 40 + SERVED_SITES


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.txt", b"my notes", "must end in .db"),
        ("other.db", b"not a database at all", "is not a SQLite database"),
    ],
)
def test_demo_refuses_to_delete_what_is_not_a_demo_database(
    runner: CliRunner, tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    target = tmp_path / name
    target.write_bytes(content)
    result = runner.invoke(app, ["demo", "--no-serve", "--database", str(target)])
    assert result.exit_code == 1
    assert reason in " ".join(result.output.split())
    assert target.read_bytes() == content


def test_scale_must_be_at_least_one(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--no-serve", "--scale", "0", "--database", str(tmp_path / "d.db")]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "d.db").exists()


def test_demo_prints_the_city_a_device_token_and_a_decision_to_try(
    runner: CliRunner, tmp_path: Path
) -> None:
    database = tmp_path / "demo.db"
    result = runner.invoke(
        app, ["demo", "--no-serve", "--people", "200", "--database", str(database)]
    )
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert re.search(r"employees 200\b", output), output
    assert re.search(r"doors 200\b", output), output
    token = re.search(r"scope access\.decide, shown once\): (svt_\S+)", output)
    assert token, output
    assert f"Authorization: Bearer {token.group(1)}" in output
    assert "POST http://127.0.0.1:8000/api/v1/access/decisions" in output
    assert _count(database, "people") > 200
    assert _count(database, "doors") == 200


def test_people_must_be_positive(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--no-serve", "--people", "0", "--database", str(tmp_path / "d.db")]
    )
    assert result.exit_code == 2
