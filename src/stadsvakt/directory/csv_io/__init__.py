"""CSV import and export of the directory (people with assignments, training records).

Every import is planned first (the diff a ``--dry-run`` shows) and then applied
through the services in the caller's one transaction, so a file with any bad row
changes nothing.
"""

from stadsvakt.directory.csv_io._table import CsvInvalid, RowError
from stadsvakt.directory.csv_io.export import export_people
from stadsvakt.directory.csv_io.people import (
    FieldChange,
    ImportPlan,
    PersonChange,
    apply_import,
    plan_import,
    report,
)
from stadsvakt.directory.csv_io.training import (
    TrainingChange,
    TrainingPlan,
    apply_training_import,
    plan_training_import,
)

__all__ = [
    "CsvInvalid",
    "FieldChange",
    "ImportPlan",
    "PersonChange",
    "RowError",
    "TrainingChange",
    "TrainingPlan",
    "apply_import",
    "apply_training_import",
    "export_people",
    "plan_import",
    "plan_training_import",
    "report",
]
