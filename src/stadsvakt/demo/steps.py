"""Progress for the demo's seeding steps: one Rich task per step, advanced per item, so
every row of ``stadsvakt demo``'s progress display ends at its total, finished.

A task made already complete (``add_task(..., completed=total)``) is never marked
finished by Rich: its spinner and elapsed time would keep running to the end of the
seed. Every task is therefore advanced to its total after its work is done.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from rich.progress import Progress

T = TypeVar("T")


def steps(progress: Progress | None, description: str, items: Sequence[T]) -> Iterator[T]:
    """Yield the items, advancing one progress task per item when a progress display is given."""
    if progress is None:
        yield from items
        return
    task = progress.add_task(description, total=len(items))
    for item in items:
        yield item
        progress.advance(task)


@contextmanager
def step(progress: Progress | None, description: str) -> Iterator[None]:
    """One task for a single piece of work: shown while the block runs, finished when it
    ends (left unfinished if it fails)."""
    if progress is None:
        yield
        return
    task = progress.add_task(description, total=1)
    yield
    progress.advance(task)
