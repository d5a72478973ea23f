"""CSV import/export of people and assignments, and of training records."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.access.decide import DecisionRequest, Reason, decide
from stadsvakt.access.index.follower import AccessIndex
from stadsvakt.context import Actor, acting_as
from stadsvakt.db import utcnow
from stadsvakt.directory import csv_io, service
from stadsvakt.directory.models import Assignment, Person, TrainingRecord
from stadsvakt.directory.service import local_today
from stadsvakt.org.models import Municipality, OrgUnit
from tests import factories as f
from tests import factories_decisions as dd
from tests import factories_directory as fd

HEADER = "employee_number,given_name,family_name,email,kind,active,unit_code,position,start,end\n"


def _setup(session: Session) -> tuple[Municipality, OrgUnit, OrgUnit, Actor]:
    tenant = f.municipality(session)
    school = f.unit(session, tenant)
    care = f.unit(session, tenant)
    return tenant, school, care, f.system(tenant.id)


def _file(school: OrgUnit, care: OrgUnit) -> str:
    return HEADER + (
        f"E1,Anna,Berg,anna@example.se,employee,true,{school.code},lärare,2020-08-01,\n"
        f"E1,Anna,Berg,anna@example.se,employee,true,{care.code},samordnare,2023-01-01,\n"
        f"E2,Björn,Dahl,,contractor,true,{care.code},elektriker,2024-03-01,2030-01-01\n"
        "E3,Cecilia,Ek,,employee,false,,,,\n"
    )


def _import(session: Session, actor: Actor, text: str, **kw: bool) -> csv_io.ImportPlan:
    with acting_as(actor):
        plan = csv_io.plan_import(session, actor, text.encode(), **kw)
        csv_io.apply_import(session, actor, plan)
    return plan


def _people(session: Session, tenant: Municipality) -> int:
    return session.scalar(select(func.count()).where(Person.tenant_id == tenant.id)) or 0


def test_first_import_creates_people_and_assignments(session: Session) -> None:
    tenant, school, care, actor = _setup(session)
    plan = _import(session, actor, _file(school, care))
    assert (plan.rows, plan.count("create"), plan.unchanged) == (4, 3, 0)
    anna = service.find_person_by(session, tenant.id, employee_number="E1")
    assert anna is not None and anna.org_unit_id == school.id, "home unit: earliest assignment"
    assert {a.position for a in service.current_assignments(session, anna, date.today())} == {
        "lärare",
        "samordnare",
    }
    cecilia = service.find_person_by(session, tenant.id, employee_number="E3")
    assert cecilia is not None and cecilia.active is False
    sources = set(
        session.scalars(select(Assignment.source).where(Assignment.tenant_id == tenant.id))
    )
    assert sources == {"csv"}


def test_dry_run_reports_the_diff_and_changes_nothing(session: Session) -> None:
    tenant, school, care, actor = _setup(session)
    _import(session, actor, _file(school, care))
    changed = (
        _file(school, care)
        .replace("Björn,Dahl", "Björn,Dahlgren")
        .replace(
            f"E1,Anna,Berg,anna@example.se,employee,true,{care.code},samordnare,2023-01-01,\n", ""
        )
        + f"E4,Dana,Fors,,guest,true,{care.code},gäst,2025-01-01,\n"
    )
    changed = changed.replace("E3,Cecilia,Ek,,employee,false", "E3,Cecilia,Ek,,employee,true")
    with acting_as(actor):
        plan = csv_io.plan_import(session, actor, changed.encode())
    by_number = {c.employee_number: c for c in plan.changes}
    assert by_number["E4"].action == "create"
    assert [(c.field, c.before, c.after) for c in by_number["E2"].changes] == [
        ("family_name", "Dahl", "Dahlgren")
    ]
    assert [c.field for c in by_number["E1"].changes] == ["assignments"]
    assert [(c.field, c.before, c.after) for c in by_number["E3"].changes] == [
        ("active", "false", "true")
    ]
    report = csv_io.report(plan, dry_run=True)
    assert (report.created, report.changed, report.deactivated, report.unchanged) == (1, 3, 0, 0)
    session.expire_all()
    dahl = service.find_person_by(session, tenant.id, employee_number="E2")
    assert dahl is not None and dahl.family_name == "Dahl", "planning changed nothing"
    assert _people(session, tenant) == 3


def test_errors_name_line_and_column_and_nothing_is_imported(session: Session) -> None:
    tenant, school, care, actor = _setup(session)
    text = HEADER + (
        f"E1,Anna,Berg,,employee,true,{school.code},lärare,2020-08-01,\n"
        f"E2,Björn,Dahl,,employee,true,{school.code},lärare,2025-13-01,\n"
        "E3,Cecilia,Ek,not-an-address,chef,kanske,NOPE,rektor,2020-01-01,2019-01-01\n"
        f"E1,Anna,Bergström,,employee,true,{care.code},mentor,2021-01-01,\n"
        ",,Fors,,,,,,,\n"
    )
    with acting_as(actor), pytest.raises(csv_io.CsvInvalid) as caught:
        csv_io.plan_import(session, actor, text.encode())
    messages = [str(e) for e in caught.value.row_errors]
    assert "line 3, column start: '2025-13-01' is not a date (YYYY-MM-DD)" in messages
    assert "line 4, column email: 'not-an-address' is not an e-mail address" in messages
    assert "line 4, column kind: 'chef' is not employee, contractor or guest" in messages
    assert "line 4, column active: 'kanske' is not true or false" in messages
    assert "line 4, column unit_code: 'NOPE' is no organisation unit" in messages
    assert "line 4, column end: must be after start" in messages
    assert "line 5, column family_name: differs from line 2 for employee number E1" in messages
    assert "line 6, column employee_number: a value is required" in messages
    assert "line 6, column given_name: a value is required" in messages
    assert _people(session, tenant) == 0


def test_header_problems_are_reported_on_line_1(session: Session) -> None:
    _, _, _, actor = _setup(session)
    with acting_as(actor), pytest.raises(csv_io.CsvInvalid) as caught:
        csv_io.plan_import(session, actor, b"employee_number,given_name,shoe_size\nE1,A,42\n")
    messages = [str(e) for e in caught.value.row_errors]
    assert any(m.startswith("line 1, column shoe_size: unknown column") for m in messages)
    assert "line 1, column family_name: required column is missing" in messages


def test_bad_rows_stop_the_import_after_good_rows(session: Session) -> None:
    tenant, school, _, actor = _setup(session)
    good = "".join(
        f"E{n},Namn{n},Efternamn,,employee,true,{school.code},lärare,2020-01-01,\n"
        for n in range(1, 30)
    )
    text = HEADER + good + "E99,Sist,Rad,,employee,true,,lärare,2020-01-01,\n"
    with acting_as(actor), pytest.raises(csv_io.CsvInvalid) as caught:
        csv_io.plan_import(session, actor, text.encode())
    assert [str(e) for e in caught.value.row_errors] == [
        "line 31, column unit_code: required when position is given"
    ]
    assert _people(session, tenant) == 0


def test_export_then_import_changes_nothing(session: Session) -> None:
    tenant, school, care, actor = _setup(session)
    _import(session, actor, _file(school, care))
    fd.person(session, tenant, unit=school, employee_number="E9", position="vaktmästare")
    exported = csv_io.export_people(session, actor)
    assert exported.startswith(HEADER)
    with acting_as(actor):
        plan = csv_io.plan_import(session, actor, exported.encode())
    assert plan.changes == [] and plan.unchanged == 4
    _import(session, actor, exported)
    assert csv_io.export_people(session, actor) == exported


def test_bom_and_semicolons_are_understood(session: Session) -> None:
    tenant, school, _, actor = _setup(session)
    text = (
        "employee_number;given_name;family_name;unit_code;position;start\r\n"
        f"E1;Åsa;Öberg;{school.code};kurator;2022-01-10\r\n"
    )
    _import(session, actor, "\ufeff" + text)  # the byte-order mark Excel writes
    asa = service.find_person_by(session, tenant.id, employee_number="E1")
    assert asa is not None and (asa.given_name, asa.family_name) == ("Åsa", "Öberg")


def test_a_file_that_is_not_utf8_is_refused(session: Session) -> None:
    _, _, _, actor = _setup(session)
    data = (HEADER + "E1,Åsa,Öberg,,,,,,,\n").encode("latin-1")
    with acting_as(actor), pytest.raises(csv_io.CsvInvalid, match="line 2: the file is not UTF-8"):
        csv_io.plan_import(session, actor, data)


def test_missing_people_are_deactivated_only_when_asked(session: Session) -> None:
    tenant, school, care, actor = _setup(session)
    _import(session, actor, _file(school, care))
    fd.person(session, tenant, unit=school, employee_number="E7")
    only_anna = HEADER + _file(school, care).splitlines(keepends=True)[1]
    only_anna += _file(school, care).splitlines(keepends=True)[2]
    plan = _import(session, actor, only_anna)
    assert plan.changes == []
    plan = _import(session, actor, only_anna, deactivate_missing=True)
    # Only employees: contractors and guests (E2) are not the personnel system's to remove.
    assert [(c.employee_number, c.action) for c in plan.changes] == [("E7", "deactivate")]
    leaver = service.find_person_by(session, tenant.id, employee_number="E7")
    assert leaver is not None and leaver.active is False


def test_department_admin_cannot_import(session: Session) -> None:
    tenant, school, care, _ = _setup(session)
    da = Actor(
        kind="user",
        id=None,
        name="da",
        tenant_id=tenant.id,
        grants={"person.write": frozenset({school.id}), "person.read": frozenset({school.id})},
    )
    with acting_as(da), pytest.raises(Exception, match="whole municipality"):
        csv_io.plan_import(session, da, _file(school, care).encode())


def test_training_import_creates_updates_and_reports_errors(session: Session) -> None:
    tenant, school, _, actor = _setup(session)
    anna = fd.person(session, tenant, unit=school, employee_number="E1")
    fd.training(session, anna, course="Brandskydd", expires=date(2025, 5, 1))
    text = (
        "employee_number;course;completed;expires\n"
        "E1;Brandskydd;2024-05-01;2027-05-01\n"
        "E1;HLR;2024-06-01;\n"
    )
    with acting_as(actor):
        plan = csv_io.plan_training_import(session, actor, text.encode())
        assert [(c.course, c.action) for c in plan.changes] == [
            ("Brandskydd", "update"),
            ("HLR", "create"),
        ]
        csv_io.apply_training_import(session, actor, plan)
        again = csv_io.plan_training_import(session, actor, text.encode())
    assert again.changes == [] and again.unchanged == 2
    records = session.scalars(
        select(TrainingRecord)
        .where(TrainingRecord.person_id == anna.id)
        .order_by(TrainingRecord.course)
    ).all()
    assert [(r.course, r.expires_on) for r in records] == [
        ("Brandskydd", date(2027, 5, 1)),
        ("HLR", None),
    ]
    bad = "employee_number,course,completed,expires\nE404,HLR,2024-06-01,\nE1,HLR,1.6.2024,\n"
    with acting_as(actor), pytest.raises(csv_io.CsvInvalid) as caught:
        csv_io.plan_training_import(session, actor, bad.encode())
    assert [str(e) for e in caught.value.row_errors] == [
        "line 2, column employee_number: no person with employee number 'E404'",
        "line 3, column completed: '1.6.2024' is not a date (YYYY-MM-DD)",
    ]


def test_an_end_day_in_the_file_is_the_first_day_without_rights(session: Session) -> None:
    """The same meaning of ``end`` in the file, the directory and every decision: a row
    ending today gives no right today; one ending tomorrow still does."""
    tenant, school, care, actor = _setup(session)
    zone = dd.zone(session, f.site(session, tenant, unit=school))
    door = dd.door(session, zone)
    dd.position_profile(
        session, school, "*", dd.profile(session, tenant, [zone], dd.schedule(session, tenant))
    )
    now = utcnow()
    today = local_today(now)
    tomorrow = today + timedelta(days=1)
    _import(
        session,
        actor,
        HEADER
        + f"E1,Anna,Berg,,employee,true,{school.code},lärare,2020-08-01,{today}\n"
        + f"E2,Björn,Dahl,,employee,true,{school.code},lärare,2020-08-01,{tomorrow}\n",
    )
    for number, reason in (("E1", Reason.NO_RIGHT), ("E2", Reason.GRANTED_BY_POSITION)):
        person = service.find_person_by(session, tenant.id, employee_number=number)
        assert person is not None
        card = dd.credential(session, person)
        state = AccessIndex().ensure(session)
        request = DecisionRequest(tenant.id, door.id, card.identifier)
        assert decide(request, state, now).reason is reason, number
