"""``stadsvakt demo``'s progress rows end at 100 % with their totals, finished (issue 11,
point 12): none stuck mid-way, none left spinning with its clock running."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.progress import Progress

from stadsvakt.demo.steps import step, steps
from tests.web.finish.conftest import Demo


def _progress() -> Progress:
    return Progress(console=Console(file=io.StringIO()))


def test_a_single_step_is_shown_while_it_runs_and_finished_after() -> None:
    progress = _progress()
    with step(progress, "Municipality and roles"):
        (task,) = progress.tasks
        assert (task.completed, task.total, task.finished) == (0, 1, False)
    assert (task.completed, task.total, task.finished) == (1, 1, True)
    assert task.finished_time is not None


def test_a_step_that_fails_is_left_unfinished() -> None:
    progress = _progress()
    with pytest.raises(RuntimeError), step(progress, "Calendars and schedules"):
        raise RuntimeError("no calendar")
    (task,) = progress.tasks
    assert not task.finished


def test_steps_finish_their_row_after_the_last_item() -> None:
    progress = _progress()
    seen = list(steps(progress, "Sites", ["a", "b", "c"]))
    (task,) = progress.tasks
    assert seen == ["a", "b", "c"]
    assert (task.completed, task.total, task.finished) == (3, 3, True)
    assert list(steps(None, "Sites", [1])) == [1]


@pytest.mark.slow
def test_every_row_of_a_demo_seed_ends_complete(demo: Demo) -> None:
    descriptions = [task.description for task in demo.tasks]
    assert descriptions[0] == "Database schema"
    assert {"Municipality and roles", "Calendars and schedules", "People and credentials"} <= set(
        descriptions
    )
    assert len(descriptions) == len(set(descriptions)) >= 10
    unfinished = [
        f"{t.description}: {t.completed}/{t.total}"
        for t in demo.tasks
        if t.total is None or t.completed != t.total or not t.finished
    ]
    assert unfinished == []
    people = next(t for t in demo.tasks if t.description == "People and credentials")
    assert people.total == 60
