"""What must be true before an activation may be closed, as pluggable checks.

The handling service asks every registered guard before it closes an activation; a
guard answers with the reasons it may not close yet (an empty list: no objection). The
action plans register theirs (mandatory steps not done), so handling need not know
what a plan is.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from stadsvakt.centre.models import Activation

#: A check: the reasons (message ids, translated by the caller) the activation may not close.
Guard = Callable[[Session, Activation], list[str]]
_guards: list[Guard] = []


def register(guard: Guard) -> None:
    """Ask ``guard`` before every close (once, however often its module is imported)."""
    if guard not in _guards:
        _guards.append(guard)


def objections(session: Session, activation: Activation) -> list[str]:
    """Every registered guard's reasons not to close ``activation`` now."""
    return [reason for guard in _guards for reason in guard(session, activation)]
