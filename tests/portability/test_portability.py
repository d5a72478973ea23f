"""Export and import of a municipality's access configuration: the published schema,
byte-identical round trips on both backends, and refusals that name their path."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from stadsvakt.access.models import AccessChange, HolidayMode, ServiceLevel, SiteService
from stadsvakt.audit.models import AuditEntry
from stadsvakt.cli import app as cli_app
from stadsvakt.context import Actor, system_actor
from stadsvakt.db import create_db_engine
from stadsvakt.errors import Forbidden
from stadsvakt.migrate import upgrade
from stadsvakt.org.models import Municipality
from stadsvakt.portability.checks import ImportRefused, check_document, parse
from stadsvakt.portability.export import build_document, dumps
from stadsvakt.portability.format import json_schema
from stadsvakt.portability.importer import import_document
from stadsvakt.settings import Settings
from tests import factories as f
from tests import factories_access as fa
from tests import factories_decisions as fd

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _city(session: Session) -> Municipality:
    """A municipality with one of everything the export holds."""
    tenant = f.municipality(session, "Portby kommun")
    schools = f.unit(session, tenant, name="Skolförvaltningen")
    school = f.unit(session, tenant, parent=schools, name="Portskolan")
    site = f.site(session, tenant, unit=school)
    calendar = fd.calendar(session, tenant, local_days=["2026-06-05"])
    weekdays = [{"day": d, "start": "07:00", "end": "18:00"} for d in range(5)]
    schedule = fd.schedule(
        session, tenant, weekdays, holiday_mode=HolidayMode.CLOSED, holiday_calendar=calendar
    )
    zone = fd.zone(session, site)
    fd.door(session, zone, unlock_schedule=schedule)
    profile = fd.profile(session, tenant, [zone, fd.zone(session, site)], schedule, course="Brand")
    fd.position_profile(session, school, "lärare", profile, subunits=True)
    teacher = fd.person(session, tenant, unit=school)
    fd.assignment(session, teacher, school, "lärare", end=date(2027, 6, 30))
    fd.training(session, teacher, "Brand", expires=date(2028, 1, 1))
    guest = fd.person(session, tenant, unit=school)
    fd.grant(
        session, profile, person_row=guest, valid_from=START, valid_to=START + timedelta(hours=2)
    )
    fd.grant(session, profile, group=fd.group(session, tenant, [teacher, guest]), valid_from=START)
    fd.credential(session, teacher, valid_to=START + timedelta(days=365))
    fa.pin(session, guest)
    level = session.scalars(
        select(ServiceLevel).where(ServiceLevel.tenant_id == tenant.id).order_by(ServiceLevel.rank)
    ).first()
    assert level is not None
    session.add(
        SiteService(
            site_id=site.id, tenant_id=tenant.id, level_id=level.id, components=["intrusion_alarm"]
        )
    )
    session.flush()
    return tenant


def _export(session: Session, tenant: Municipality) -> str:
    return dumps(build_document(session, system_actor("test", tenant.id), tenant))


@pytest.fixture
def cli(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """The command line against a brand-new, migrated database."""
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=fresh_database_url, _env_file=None)
    engine = create_db_engine(settings)
    try:
        upgrade(settings, engine)
    finally:
        engine.dispose()
    return CliRunner(env={"STADSVAKT_DATABASE_URL": fresh_database_url, "COLUMNS": "200"})


def test_export_validates_against_the_published_schema(session: Session) -> None:
    text = _export(session, _city(session))
    shipped = json.loads(
        files("stadsvakt.portability").joinpath("export-schema.json").read_text(encoding="utf-8")
    )
    assert shipped == json_schema(), "regenerate export-schema.json (see docs/portability.md)"
    docs = Path(__file__).resolve().parents[2] / "docs" / "export-schema.json"
    assert json.loads(docs.read_text(encoding="utf-8")) == shipped, "copy it to docs/ too"
    jsonschema.Draft202012Validator.check_schema(shipped)
    document = json.loads(text)
    jsonschema.Draft202012Validator(shipped).validate(document)
    assert text == json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert "pin_hash" not in text
    sizes = {k: len(v) for k, v in document.items() if isinstance(v, list)}
    assert sizes["credentials"] == 2 and sizes["units"] == 2 and sizes["service_levels"] == 3
    assert sizes["groups"] == 1 and len(document["groups"][0]["member_ids"]) == 2
    assert [c["kind"] for c in document["credentials"]].count("pin") == 1


def test_export_import_export_is_byte_identical(
    session: Session, cli: CliRunner, fresh_database_url: str, tmp_path: Path
) -> None:
    first = _export(session, _city(session))
    source = tmp_path / "export.json"
    source.write_text(first, encoding="utf-8")
    imported = cli.invoke(cli_app, ["import", str(source)])
    assert imported.exit_code == 0, imported.output
    assert "Imported Portby kommun" in imported.output and "issue new PINs" in imported.output
    again = cli.invoke(cli_app, ["export", str(tmp_path / "again.json")])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again.json").read_bytes() == first.encode("utf-8")

    engine = create_db_engine(Settings(database_url=fresh_database_url, _env_file=None))
    try:
        with Session(engine) as check:
            actions = check.scalars(select(AuditEntry.action)).all()
            changes = check.scalar(select(func.count()).select_from(AccessChange))
    finally:
        engine.dispose()
    assert actions.count("portability.import") == 16 and "municipality.import" in actions
    assert changes is not None and changes > 10

    twice = cli.invoke(cli_app, ["import", str(source)])
    assert twice.exit_code == 1
    assert "is already here" in twice.output and "nothing was imported" in twice.output


def test_import_refuses_a_schema_break_naming_the_path(session: Session) -> None:
    document = json.loads(_export(session, _city(session)))
    document["people"][1]["given_name"] = 42
    del document["doors"][0]["mode"]
    with pytest.raises(ImportRefused) as refused:
        parse(json.dumps(document))
    problems = " | ".join(refused.value.problems)
    assert "people[1].given_name" in problems and "doors[0].mode" in problems
    with pytest.raises(ImportRefused, match="not JSON"):
        parse(b"{not json")


def test_import_refuses_unknown_references_and_bad_schedules(session: Session) -> None:
    document = json.loads(_export(session, _city(session)))
    ghost = str(uuid.uuid4())
    document["doors"][0]["zone_id"] = ghost
    document["groups"][0]["member_ids"].append(ghost)
    document["schedules"][0]["intervals"].append({"day": 0, "start": "08:00", "end": "09:00"})
    with pytest.raises(ImportRefused) as refused:
        check_document(parse(json.dumps(document)))
    problems = refused.value.problems
    assert f"doors[0].zone_id: unknown zones id {ghost}" in problems
    assert f"groups[0].member_ids: unknown people id {ghost}" in problems
    assert any(p.startswith("schedules[0].intervals[5]: ") for p in problems)


def test_import_into_an_existing_municipality_is_refused(session: Session) -> None:
    tenant = _city(session)
    document = parse(_export(session, tenant))
    with pytest.raises(ImportRefused, match="already here"):
        import_document(session, system_actor("test"), document)
    user = Actor(kind="user", id=uuid.uuid4(), name="admin", tenant_id=tenant.id)
    with pytest.raises(Forbidden, match="operator"):
        import_document(session, user, document)
