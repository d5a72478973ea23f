"""Importing transmitters from CSV: formats, all-or-nothing, errors by line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from stadsvakt.alarms.csv_import import ImportRejected, ImportSummary, import_transmitters
from stadsvakt.alarms.lookup import TransmitterDirectory
from stadsvakt.alarms.models import Bearer, Transmitter
from stadsvakt.api.deps import Services
from stadsvakt.app import build_services
from stadsvakt.audit.models import AuditEntry
from stadsvakt.cli import app as cli_app
from stadsvakt.context import acting_as
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.org.models import Municipality, Site
from stadsvakt.settings import Settings
from tests import factories as f
from tests.conftest import fast_security

HEADER = "account,receiver,line,protocol,site,interval_s,key,key_format,encrypted_only,bearer"


def _import(session: Session, services: Services, tenant: Municipality, text: str) -> ImportSummary:
    actor = f.system(tenant.id)
    with acting_as(actor):
        return import_transmitters(session, actor, services.box, text.splitlines())


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Transmitter)) or 0


def _world(session: Session) -> tuple[Municipality, Site]:
    tenant = f.municipality(session)
    return tenant, f.site(session, tenant)


def test_rows_with_hex_ascii_and_no_key_are_imported(session: Session, services: Services) -> None:
    tenant, site = _world(session)
    text = "\n".join(
        [
            HEADER,
            f"1234,,,dc09-sia,{site.code},90,000102030405060708090A0B0C0D0E0F,hex,true,4G",
            f"5678,2,0,dc09-cid,{site.code},,0123456789abcdef,ascii,no,2G",
            f"9ABC,,,dc09-sia,{site.code},600,,,false,",
        ]
    )
    before = _count(session)
    summary = _import(session, services, tenant, text)
    assert summary.created == 3 and summary.updated == 0
    assert _count(session) == before + 3
    directory = TransmitterDirectory(services.session_factory, services.box)
    directory.refresh()
    assert directory.key_for("1234", None, "") == bytes(range(16))
    assert directory.key_for("5678", "2", "0") == b"0123456789abcdef"
    known = directory.find("9ABC", None, None)
    assert known is not None and known.key is None
    two_g = session.scalars(select(Transmitter).where(Transmitter.bearer == Bearer.G2)).one()
    assert two_g.account == "5678"
    audited = select(func.count()).where(AuditEntry.action == "transmitter.create")
    assert (session.scalar(audited) or 0) >= 3


def test_reimport_updates_instead_of_duplicating(session: Session, services: Services) -> None:
    tenant, site = _world(session)
    _import(session, services, tenant, f"{HEADER}\nAB12,,,dc09-sia,{site.code},90,,,false,")
    summary = _import(
        session, services, tenant, f"{HEADER}\nab12,0,0,dc09-cid,{site.code},120,,,false,IP"
    )
    assert (summary.created, summary.updated) == (0, 1)
    row = session.scalars(select(Transmitter).where(Transmitter.account == "AB12")).one()
    assert row.protocol.value == "dc09-cid" and row.interval_s == 120


def test_any_bad_row_rejects_the_whole_file_naming_line_and_column(
    session: Session, services: Services
) -> None:
    tenant, site = _world(session)
    text = "\n".join(
        [
            HEADER,
            f"C001,,,dc09-sia,{site.code},90,,,false,",
            "C002,,,dc09-sia,NO-SUCH-SITE,90,,,false,",
            f"C003,,,dc09-sia,{site.code},90,abcd,hex,false,",
            f"XY,,,dc09-sia,{site.code},90,,,maybe,",
            f"C004,,,dc09-sia,{site.code},90,,,true,",
            f"c001,,,dc09-sia,{site.code},90,,,false,",
        ]
    )
    before = _count(session)
    with pytest.raises(ImportRejected) as caught:
        _import(session, services, tenant, text)
    found = {(e.line, e.column) for e in caught.value.row_errors}
    assert found == {
        (3, "site"),
        (4, "key"),
        (5, "encrypted_only"),
        (5, "account"),
        (6, "encrypted_only"),
        (7, "account"),
    }
    assert _count(session) == before


def test_missing_and_unknown_columns_are_named(session: Session, services: Services) -> None:
    tenant, _ = _world(session)
    with pytest.raises(ImportRejected) as caught:
        _import(session, services, tenant, "account,protocol,colour\n1234,dc09-sia,red")
    columns = {e.column for e in caught.value.row_errors}
    assert {"site", "key_format", "colour"} <= columns
    assert all(e.line == 1 for e in caught.value.row_errors)


def test_cli_imports_a_file_and_refuses_a_bad_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    settings = Settings(database_url=url, security=fast_security(), _env_file=None)
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        site = f.site(session, f.municipality(session))
        code = site.code
    good = tmp_path / "good.csv"
    good.write_text(
        f"{HEADER}\n1111,,,dc09-sia,{code},90,,,false,\n2222,,,dc09-cid,{code},,,,no,\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n3333,,,dc09-sia,{code},90,,,false,\n4444,,,smoke,{code},90,,,no,\n")
    runner = CliRunner(env={"STADSVAKT_DATABASE_URL": url, "COLUMNS": "200"})
    result = runner.invoke(cli_app, ["transmitters", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output
    result = runner.invoke(cli_app, ["transmitters", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 3, column protocol" in result.output and "nothing was imported" in result.output
    with services.session_factory() as session:
        accounts = set(session.scalars(select(Transmitter.account)))
    assert accounts == {"1111", "2222"}
    services.engine.dispose()
