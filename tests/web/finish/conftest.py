"""A small demo city, seeded once per test session through ``build_demo`` as ``stadsvakt
demo`` does (SQLite, the demo's only database), with its progress rows kept."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress, Task

from stadsvakt.api.deps import Services
from stadsvakt.demo.run import build_demo, demo_settings
from stadsvakt.demo.seed import SeedResult
from stadsvakt.settings import Settings
from tests.conftest import fast_security

#: Employees of the test city: enough for every kind of row, few enough to seed fast.
PEOPLE = 60


@dataclass(frozen=True)
class Demo:
    """The seeded demo: its settings and services, what the seed returned, and the rows of
    its progress display as they were left."""

    settings: Settings
    services: Services
    result: SeedResult
    tasks: list[Task]
    output: str


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo city at scale 1 with :data:`PEOPLE` employees (cheap password hashing)."""
    path: Path = tmp_path_factory.mktemp("demo") / "demo.db"
    base = Settings(security=fast_security(), _env_file=None)
    settings = demo_settings(base, database=path, host="127.0.0.1", port=8000)
    output = io.StringIO()
    console = Console(file=output, width=120, force_terminal=True)
    progress = Progress(console=console)
    services, result = build_demo(
        settings, scale=1, console=console, people=PEOPLE, progress=progress
    )
    try:
        yield Demo(settings, services, result, list(progress.tasks), output.getvalue())
    finally:
        services.engine.dispose()
