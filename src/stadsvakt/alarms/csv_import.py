"""Importing transmitters from CSV: every row checked first, then all applied or none.

Columns (header row required, order free, extra columns refused so a typo is
not silently ignored): ``account, receiver, line, protocol, site, interval_s,
key, key_format, encrypted_only`` and optionally ``name`` and ``bearer``.
``site`` is the site's code; ``key_format`` is ``hex`` or ``ascii``; an empty
key means unencrypted; ``encrypted_only`` is ``true``/``false`` (also ``1``/``0``,
``yes``/``no``, ``ja``/``nej``). A row whose account, receiver and line are
already registered updates that transmitter.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Transmitter
from stadsvakt.alarms.schemas import TransmitterCreate, TransmitterUpdate
from stadsvakt.alarms.service import (
    create_transmitter,
    normalise_hex,
    parse_key,
    update_transmitter,
)
from stadsvakt.auth.scope import require, restrict
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.context import Actor
from stadsvakt.errors import DomainError, InvalidInput
from stadsvakt.org.models import Site
from stadsvakt.schemas import FORM_TEXT

REQUIRED = (
    "account",
    "receiver",
    "line",
    "protocol",
    "site",
    "interval_s",
    "key",
    "key_format",
    "encrypted_only",
)
OPTIONAL = ("name", "bearer")
_TRUE = {"true", "1", "yes", "ja", "y", "j"}
_FALSE = {"false", "0", "no", "nej", "n", ""}
MAX_ERRORS = 100


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: the file's line number (header is line 1), the column and what is wrong."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class ImportRejected(InvalidInput):
    """The file had errors; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(
            f"{len(errors)} error(s); nothing was imported", field="file", rule="csv_rows"
        )
        self.row_errors = errors
        self.extra["errors"] = [
            {"field": f"line {e.line}: {e.column}", "rule": "csv", "message": e.message}
            for e in errors
        ]


@dataclass(slots=True)
class ImportSummary:
    """What an import did."""

    created: int = 0
    updated: int = 0
    rows: int = 0


def _flag(value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("write true or false")


def _column_of(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        loc = err.get("loc", ())
        name = str(loc[0]) if loc else "row"
        out.append(("site" if name == "site_id" else name, str(err.get("msg", "invalid"))))
    return out


def _check_row(
    number: int, row: dict[str, str], sites: dict[str, Any], errors: list[RowError]
) -> TransmitterCreate | None:
    before = len(errors)
    site_code = (row.get("site") or "").strip()
    site_id = sites.get(site_code)
    if site_id is None:
        errors.append(RowError(number, "site", f"no site with code {site_code!r} in your scope"))
    try:
        encrypted_only = _flag(row.get("encrypted_only") or "")
    except ValueError as exc:
        errors.append(RowError(number, "encrypted_only", str(exc)))
        encrypted_only = False
    values: dict[str, Any] = {
        "site_id": site_id or "00000000-0000-0000-0000-000000000000",
        "account": row.get("account", ""),
        "receiver": row.get("receiver") or "0",
        "line": row.get("line") or "0",
        "protocol": (row.get("protocol") or "").strip().lower(),
        "interval_s": (row.get("interval_s") or "").strip() or None,
        "key": (row.get("key") or "").strip() or None,
        "key_format": (row.get("key_format") or "hex").strip().lower(),
        "encrypted_only": encrypted_only,
        "name": (row.get("name") or "").strip() or None,
        "bearer": (row.get("bearer") or "").strip().upper() or None,
    }
    try:
        data = TransmitterCreate.model_validate(values, context=FORM_TEXT)
    except ValidationError as exc:
        errors.extend(RowError(number, column, message) for column, message in _column_of(exc))
        return None
    try:
        key = parse_key(data.key, data.key_format)
    except InvalidInput as exc:
        errors.append(RowError(number, "key", exc.detail.removeprefix("key: ")))
        return None
    if data.encrypted_only and key is None:
        errors.append(RowError(number, "encrypted_only", "needs a key"))
    return data if len(errors) == before else None


def import_transmitters(
    session: Session,
    actor: Actor,
    box: SecretBox,
    lines: Iterable[str],
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Check every row, then create or update; raises :class:`ImportRejected` on any error.

    The caller's transaction makes it all-or-nothing: on an error nothing has been
    written yet; a failure while applying rolls the whole transaction back.
    """
    require(actor, "transmitter.write")
    reader = csv.DictReader(lines)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    if missing or unknown:
        problems = [RowError(1, name, "required column is missing") for name in missing]
        problems += [RowError(1, name, "unknown column") for name in unknown]
        raise ImportRejected(problems)
    reader.fieldnames = header
    stmt = restrict(select(Site.code, Site.id), Site, actor, "transmitter.write")
    sites = {code: site_id for code, site_id in session.execute(stmt)}
    checked: list[tuple[int, TransmitterCreate]] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row in reader:
        number = reader.line_num
        if None in row:
            errors.append(RowError(number, "row", "more fields than columns"))
            continue
        data = _check_row(number, row, sites, errors)
        if data is None:
            continue
        address = (data.account.upper(), normalise_hex(data.receiver), normalise_hex(data.line))
        if address in seen:
            errors.append(RowError(number, "account", f"same transmitter as line {seen[address]}"))
            continue
        seen[address] = number
        checked.append((number, data))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise ImportRejected(errors)
    return _apply(session, actor, box, checked, progress)


def _apply(
    session: Session,
    actor: Actor,
    box: SecretBox,
    checked: list[tuple[int, TransmitterCreate]],
    progress: Callable[[int], None] | None,
) -> ImportSummary:
    summary = ImportSummary(rows=len(checked))
    for number, data in checked:
        existing = session.execute(
            select(Transmitter.id).where(
                Transmitter.account == data.account.upper(),
                Transmitter.receiver == normalise_hex(data.receiver),
                Transmitter.line == normalise_hex(data.line),
            )
        ).scalar_one_or_none()
        try:
            if existing is None:
                create_transmitter(session, actor, box, data)
                summary.created += 1
            else:
                update = TransmitterUpdate.model_validate(data.model_dump())
                update_transmitter(session, actor, box, existing, update)
                summary.updated += 1
        except DomainError as exc:
            raise ImportRejected([RowError(number, "row", exc.detail)]) from exc
        if progress is not None:
            progress(1)
    return summary
