"""The parts of an activation's page that other features add (plan, cameras, dispatch).

Each feature registers a :data:`Panel`: given the request's session, the actor and the
activation, it returns the template to include and its context, or ``None`` when it
has nothing to show. The activation page renders them in registration order, so a
feature adds its part without editing the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from stadsvakt.centre.models import Activation
from stadsvakt.web.deps import Page


@dataclass(frozen=True, slots=True)
class Part:
    """One rendered part: its template and the context it needs (``order`` sorts parts)."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50


Panel = Callable[[Session, Page, Activation], Part | None]
_panels: list[Panel] = []


def register(panel: Panel) -> None:
    """Show ``panel``'s part on every activation page (once per function)."""
    if panel not in _panels:
        _panels.append(panel)


def parts(session: Session, page: Page, activation: Activation) -> list[Part]:
    """The parts every registered panel gives for ``activation``, in their order."""
    found = [part for panel in _panels if (part := panel(session, page, activation)) is not None]
    return sorted(found, key=lambda part: part.order)
