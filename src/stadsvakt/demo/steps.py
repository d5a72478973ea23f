"""Progress for the demo's seeding steps: one Rich task per step, advanced per item."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
