"""Export of people and their current assignments in the import's CSV format.

Importing an export changes nothing. People without an employee number (some
guests) cannot be matched on import and are left out.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.auth.scope import restrict
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.directory import service
from stadsvakt.directory.csv_io.parse import COLUMNS
from stadsvakt.directory.models import Person
from stadsvakt.directory.service._common import local_today
from stadsvakt.org.models import OrgUnit


def export_people(session: Session, actor: Actor) -> str:
    """Every person the actor may read (``person.read``), as CSV text."""
    today = local_today(utcnow())
    stmt = restrict(
        select(Person).where(Person.employee_number.is_not(None)), Person, actor, "person.read"
    ).order_by(Person.employee_number)
    codes: dict[object, str] = {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for person in session.scalars(stmt):
        base = [
            person.employee_number,
            person.given_name,
            person.family_name,
            person.email or "",
            person.kind.value,
            "true" if person.active else "false",
        ]
        rows = service.current_assignments(session, person, today)
        if not rows:
            writer.writerow([*base, "", "", "", ""])
            continue
        for row in rows:
            if row.org_unit_id not in codes:
                codes[row.org_unit_id] = (
                    session.scalar(select(OrgUnit.code).where(OrgUnit.id == row.org_unit_id)) or ""
                )
            writer.writerow(
                [
                    *base,
                    codes[row.org_unit_id],
                    row.position,
                    row.start.isoformat(),
                    row.end.isoformat() if row.end else "",
                ]
            )
    return out.getvalue()
