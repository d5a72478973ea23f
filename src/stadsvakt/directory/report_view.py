"""Rich renderings of import plans for the command line (the diff of a ``--dry-run``)."""

from __future__ import annotations

from rich.table import Table

from stadsvakt.directory.csv_io import CsvInvalid, ImportPlan, TrainingPlan

#: Rows of a change table shown before the rest are only counted.
MAX_SHOWN = 500


def plan_summary(plan: ImportPlan) -> str:
    """One line: how many people are created, changed, deactivated, unchanged."""
    return (
        f"created {plan.count('create')}, changed {plan.count('update')}, "
        f"deactivated {plan.count('deactivate')}, unchanged {plan.unchanged} "
        f"({plan.rows} rows)"
    )


def plan_table(plan: ImportPlan) -> Table:
    """The people an import changes, one row each with the changed fields."""
    table = Table(title="Changes", show_lines=False)
    for column in ("line", "employee number", "name", "action", "changes"):
        table.add_column(column, overflow="fold")
    for change in plan.changes[:MAX_SHOWN]:
        fields = "; ".join(
            f"{c.field}: {c.before if c.before is not None else '–'} → "
            f"{c.after if c.after is not None else '–'}"
            for c in change.changes
        )
        table.add_row(
            str(change.line or ""), change.employee_number, change.name, change.action, fields
        )
    if len(plan.changes) > MAX_SHOWN:
        table.caption = f"and {len(plan.changes) - MAX_SHOWN} more"
    return table


def training_summary(plan: TrainingPlan) -> str:
    """One line: how many training records are created, changed, unchanged."""
    created = sum(1 for c in plan.changes if c.action == "create")
    return (
        f"created {created}, changed {len(plan.changes) - created}, "
        f"unchanged {plan.unchanged} ({plan.rows} rows)"
    )


def training_table(plan: TrainingPlan) -> Table:
    """The training records an import creates or changes."""
    table = Table(title="Changes")
    for column in ("line", "employee number", "course", "completed", "expires", "action"):
        table.add_column(column, overflow="fold")
    for change in plan.changes[:MAX_SHOWN]:
        expires = str(change.expires or "–")
        if change.record is not None:
            expires = f"{change.expires_before or '–'} → {expires}"
        table.add_row(
            str(change.line),
            change.employee_number,
            change.course,
            str(change.completed),
            expires,
            change.action,
        )
    if len(plan.changes) > MAX_SHOWN:
        table.caption = f"and {len(plan.changes) - MAX_SHOWN} more"
    return table


def error_lines(exc: CsvInvalid) -> list[str]:
    """Each error of a refused file, as 'line N, column C: message'."""
    return [str(e) for e in exc.row_errors]
