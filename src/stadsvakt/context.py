"""Who is acting and in which request: context variables set by the API, CLI, receivers and jobs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Actor:
    """The person, token or process on whose behalf work is done.

    ``grants`` maps each permission to its scope: ``None`` is the whole
    municipality, a frozenset holds the organisation units (with their subtrees)
    the permission is limited to.
    """

    kind: str  # "user", "token" or "system"
    id: uuid.UUID | None
    name: str
    tenant_id: uuid.UUID | None
    grants: dict[str, frozenset[uuid.UUID] | None] = field(default_factory=dict)
    language: str | None = None

    def can(self, permission: str) -> bool:
        """Whether the actor holds the permission anywhere."""
        return self.kind == "system" or permission in self.grants

    def scope(self, permission: str) -> frozenset[uuid.UUID] | None:
        """The units the permission is limited to, or None for the whole municipality."""
        if self.kind == "system":
            return None
        return self.grants.get(permission, frozenset())


def system_actor(name: str, tenant_id: uuid.UUID | None = None) -> Actor:
    """An actor for the CLI or a background job: every permission, no unit limit."""
    return Actor(kind="system", id=None, name=name, tenant_id=tenant_id)


_actor: ContextVar[Actor | None] = ContextVar("stadsvakt_actor", default=None)
_request_id: ContextVar[str | None] = ContextVar("stadsvakt_request_id", default=None)


def current_actor() -> Actor | None:
    """The actor of the current request, command or job."""
    return _actor.get()


def current_request_id() -> str | None:
    """The id of the current request, command or job."""
    return _request_id.get()


def new_request_id() -> str:
    """A fresh, unguessable request id."""
    return uuid.uuid4().hex


@contextmanager
def acting_as(actor: Actor | None, request_id: str | None = None) -> Iterator[None]:
    """Set the actor and request id for the duration of a block."""
    actor_token = _actor.set(actor)
    request_token = _request_id.set(request_id or new_request_id())
    try:
        yield
    finally:
        _actor.reset(actor_token)
        _request_id.reset(request_token)


def set_actor(actor: Actor | None) -> None:
    """Set the actor for the rest of the current context (used once authentication is known)."""
    _actor.set(actor)
