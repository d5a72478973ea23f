"""``stadsvakt directory`` and ``stadsvakt training`` commands, run as a user would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from stadsvakt.app import build_services
from stadsvakt.cli import app as cli_app
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import unit_of_work
from stadsvakt.directory.models import Person
from stadsvakt.org.models import Municipality
from stadsvakt.org.schemas import OrgUnitCreate
from stadsvakt.org.service import create_unit
from stadsvakt.settings import Settings

Run = Callable[..., Result]
HEADER = "employee_number;given_name;family_name;email;kind;active;unit_code;position;start;end\n"
GOOD = HEADER + (
    "E1;Anna;Berg;anna@example.se;employee;true;SKOLA;lärare;2020-08-01;\n"
    "E2;Björn;Dahl;;contractor;true;VARD;elektriker;2024-03-01;2030-01-01\n"
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings of the CLI's own SQLite file."""
    return Settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}", _env_file=None)


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Settings) -> Run:
    """The CLI against a fresh database with a municipality and the units SKOLA and VARD."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner(env={"STADSVAKT_DATABASE_URL": settings.database.url, "COLUMNS": "200"})

    def invoke(*args: str) -> Result:
        return runner.invoke(cli_app, list(args))

    assert invoke("db", "upgrade").exit_code == 0
    made = invoke("municipality", "create", "--name", "Sundby kommun", "--code", "1299")
    assert made.exit_code == 0, made.output
    services = build_services(settings)
    with unit_of_work(services.session_factory) as session:
        tenant = session.scalars(select(Municipality)).one()
        actor = system_actor("test", tenant.id)
        with acting_as(actor):
            for code in ("SKOLA", "VARD"):
                create_unit(session, actor, OrgUnitCreate(code=code, name=code.title()))
    services.engine.dispose()
    return invoke


def _people(settings: Settings) -> dict[str, tuple[str, bool]]:
    services = build_services(settings)
    with services.session_factory() as session:
        rows = session.scalars(select(Person)).all()
        found = {p.employee_number or "": (p.family_name, p.active) for p in rows}
    services.engine.dispose()
    return found


def test_dry_run_shows_the_diff_and_imports_nothing(
    run: Run, tmp_path: Path, settings: Settings
) -> None:
    (tmp_path / "people.csv").write_text(GOOD, encoding="utf-8")
    result = run("directory", "import", "people.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        "Dry run, nothing changed: created 2, changed 0, deactivated 0, unchanged 0 (2 rows)"
        in result.output
    )
    assert "Berg" in result.output and "create" in result.output
    assert _people(settings) == {}


def test_import_with_progress_then_again_is_unchanged(
    run: Run, tmp_path: Path, settings: Settings
) -> None:
    (tmp_path / "people.csv").write_text(GOOD, encoding="utf-8")
    result = run("directory", "import", "people.csv")
    assert result.exit_code == 0, result.output
    assert "Importing" in result.output
    assert result.output.rstrip().endswith(
        "Imported: created 2, changed 0, deactivated 0, unchanged 0 (2 rows)"
    )
    assert _people(settings) == {"E1": ("Berg", True), "E2": ("Dahl", True)}
    again = run("directory", "import", "people.csv")
    assert "created 0, changed 0, deactivated 0, unchanged 2" in again.output


def test_bad_row_names_line_and_column_and_imports_nothing(
    run: Run, tmp_path: Path, settings: Settings
) -> None:
    bad = GOOD + "E3;Cecilia;Ek;;employee;true;SKOLA;rektor;2025-13-01;\n"
    (tmp_path / "people.csv").write_text(bad, encoding="utf-8")
    result = run("directory", "import", "people.csv")
    assert result.exit_code == 1
    assert (
        "people.csv: line 4, column start: '2025-13-01' is not a date (YYYY-MM-DD)" in result.output
    )
    assert "1 error(s); nothing was imported" in result.output
    assert _people(settings) == {}


def test_export_writes_what_import_reads(run: Run, tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(GOOD, encoding="utf-8")
    assert run("directory", "import", "people.csv").exit_code == 0
    result = run("directory", "export", "out.csv")
    assert result.exit_code == 0, result.output
    assert "Wrote 2 rows to out.csv" in result.output
    exported = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert (
        exported.splitlines()[1]
        == "E1,Anna,Berg,anna@example.se,employee,true,SKOLA,lärare,2020-08-01,"
    )
    again = run("directory", "import", "out.csv", "--deactivate-missing")
    assert "created 0, changed 0, deactivated 0, unchanged 2" in again.output


def test_training_import(run: Run, tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(GOOD, encoding="utf-8")
    assert run("directory", "import", "people.csv").exit_code == 0
    (tmp_path / "lms.csv").write_text(
        "employee_number,course,completed,expires\nE1,Brandskydd,2024-05-01,2027-05-01\n",
        encoding="utf-8",
    )
    dry = run("training", "import", "lms.csv", "--dry-run")
    assert "Dry run, nothing changed: created 1, changed 0, unchanged 0 (1 rows)" in dry.output
    done = run("training", "import", "lms.csv")
    assert "Imported: created 1, changed 0, unchanged 0 (1 rows)" in done.output
    (tmp_path / "bad.csv").write_text(
        "employee_number,course,completed\nE9,Brandskydd,2024-05-01\n", encoding="utf-8"
    )
    bad = run("training", "import", "bad.csv")
    assert bad.exit_code == 1
    assert "line 2, column employee_number: no person with employee number 'E9'" in bad.output
