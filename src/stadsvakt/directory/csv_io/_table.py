"""Reading a CSV file into rows that remember their line, with errors naming line and column.

Files are UTF-8, with or without a byte-order mark; the delimiter (``;`` as Excel
writes it in Sweden, or ``,``) is taken from the header line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from stadsvakt.bounds import EARLIEST, LATEST, RULE, in_range
from stadsvakt.errors import DomainError

#: Largest file accepted (the API refuses bigger bodies before reading them).
MAX_BYTES = 20 * 1024 * 1024
#: Errors listed before the rest are only counted.
MAX_ERRORS = 200
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TRUE = frozenset({"true", "1", "yes", "ja"})
_FALSE = frozenset({"false", "0", "no", "nej"})


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in the file: where it is and what is wrong."""

    line: int
    column: str
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class CsvInvalid(DomainError):
    """The file has errors; nothing was imported. ``errors`` lists each with line and column."""

    code = "invalid_csv"
    title = "Invalid CSV file"
    status = 422

    def __init__(self, errors: Sequence[RowError]) -> None:
        shown = list(errors)[:MAX_ERRORS]
        more = len(errors) - len(shown)
        detail = "; ".join(str(e) for e in shown[:5])
        if len(errors) > 5:
            detail += f" (and {len(errors) - 5} more)"
        super().__init__(
            f"nothing was imported: {detail}",
            errors=[
                {"field": e.column or "file", "rule": e.rule, "message": str(e), "line": e.line}
                for e in shown
            ],
            more_errors=more,
        )
        self.row_errors = list(errors)


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: the line it starts on and its cells by (lower-case) column name."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        """The cell's text, stripped ('' when the column is absent)."""
        return self.cells.get(column, "").strip()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CsvInvalid(
            [RowError(line, "", "encoding", "the file is not UTF-8 text (save it as CSV UTF-8)")]
        ) from exc


def _delimiter(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


def read_table(data: bytes, columns: Sequence[str], required: Sequence[str]) -> list[Row]:
    """The data rows of a CSV file whose header names some of ``columns``.

    Raises :class:`CsvInvalid` for a file that is not UTF-8, is empty, names an
    unknown or duplicate column, lacks a required one, or has a row whose number
    of fields differs from the header's.
    """
    if len(data) > MAX_BYTES:
        raise CsvInvalid([RowError(1, "", "too_large", f"the file is over {MAX_BYTES} bytes")])
    text = _decode(data)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise CsvInvalid([RowError(line, "", "no_nul", "the file contains a NUL character")])
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise CsvInvalid([RowError(1, "", "header", "the first line must name the columns")])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first), strict=True)
    errors: list[RowError] = []
    rows: list[Row] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
        for name in header:
            if name not in columns:
                errors.append(
                    RowError(
                        1, name, "unknown_column", f"unknown column (known: {', '.join(columns)})"
                    )
                )
        for name in {h for h in header if header.count(h) > 1}:
            errors.append(RowError(1, name, "duplicate_column", "the column is named twice"))
        for name in required:
            if name not in header:
                errors.append(RowError(1, name, "missing_column", "required column is missing"))
        if errors:
            raise CsvInvalid(errors)
        last = reader.line_num
        for fields in reader:
            line, last = last + 1, reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                errors.append(
                    RowError(
                        line,
                        "",
                        "field_count",
                        f"{len(fields)} fields where the header has {len(header)}",
                    )
                )
                continue
            rows.append(Row(line, dict(zip(header, fields, strict=True))))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, "", "csv_syntax", f"not valid CSV: {exc}"))
    if errors:
        raise CsvInvalid(errors)
    return rows


def parse_date(row: Row, column: str, errors: list[RowError], *, required: bool) -> date | None:
    """The cell as a YYYY-MM-DD date, or None (an error is noted when it is bad or missing)."""
    text = row.get(column)
    if not text:
        if required:
            errors.append(RowError(row.line, column, "required", "a date (YYYY-MM-DD) is required"))
        return None
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        errors.append(RowError(row.line, column, "date", f"'{text}' is not a date (YYYY-MM-DD)"))
        return None
    if not in_range(day):
        # The API's rule for every date (stadsvakt.bounds): 2999 is a typo, not a plan.
        errors.append(
            RowError(row.line, column, RULE, f"'{text}' must be between {EARLIEST} and {LATEST}")
        )
        return None
    return day


def parse_bool(row: Row, column: str, errors: list[RowError], *, default: bool) -> bool:
    """The cell as true/false (also 1/0, yes/no, ja/nej); empty gives ``default``."""
    text = row.get(column).lower()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    errors.append(
        RowError(row.line, column, "boolean", f"'{row.get(column)}' is not true or false")
    )
    return default


def parse_text(
    row: Row, column: str, errors: list[RowError], *, max_length: int, required: bool
) -> str | None:
    """The cell's text within a length limit, or None when empty."""
    text = row.get(column)
    if not text:
        if required:
            errors.append(RowError(row.line, column, "required", "a value is required"))
        return None
    if len(text) > max_length:
        errors.append(
            RowError(row.line, column, "max_length", f"longer than {max_length} characters")
        )
        return None
    return text
