"""The scim2-server storage over stadsvakt's database, for one request.

scim2-server does the protocol (validation, PATCH and PUT application,
preconditions, attribute selection, paging arithmetic, errors); this storage
reads and writes people and groups through the directory service with the
request's session and actor, and filters, counts and pages in SQL. It never
commits: the request does, or rolls back on an error.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scim2_models import (
    InvalidFilterException,
    NotFoundException,
    NotImplementedException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
)
from scim2_server.storage import ScimStorage, SearchPage
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.auth.scope import restrict
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.directory import service as directory
from stadsvakt.directory.models import Group as GroupRow
from stadsvakt.directory.models import Person
from stadsvakt.errors import DomainError
from stadsvakt.scim import groups, users
from stadsvakt.scim.errors import scim_error
from stadsvakt.scim.filters import group_clause, user_clause
from stadsvakt.scim.models import Group, User


def _uuid(resource_type: ResourceType, resource_id: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(str(resource_id))
    except ValueError:
        raise NotFoundException(detail=f"{resource_type.name} {resource_id!r} not found") from None


def _check_version(current: str, expected: str | None) -> None:
    if expected is not None and expected != current:
        raise PreconditionFailedException(detail="the resource has changed since it was read")


class DatabaseStorage(ScimStorage):
    """People and groups of the actor's municipality, read and written in one session."""

    def __init__(self, session: Session, actor: Actor) -> None:
        if actor.tenant_id is None:
            raise ValueError("SCIM provisioning acts within one municipality")
        self.session = session
        self.actor = actor
        self.tenant_id: uuid.UUID = actor.tenant_id

    @contextmanager
    def operation(self) -> Iterator[None]:
        """Turn the services' domain errors into SCIM errors."""
        try:
            yield
        except DomainError as exc:
            raise scim_error(exc) from exc

    # -- reads -----------------------------------------------------------

    def _person(self, resource_type: ResourceType, resource_id: str | None) -> Person:
        person_id = _uuid(resource_type, resource_id)
        stmt = restrict(
            select(Person).where(Person.id == person_id), Person, self.actor, "person.read"
        )
        person = self.session.execute(stmt).scalar_one_or_none()
        if person is None:
            raise NotFoundException(detail=f"User {resource_id!r} not found")
        return person

    def _group(self, resource_type: ResourceType, resource_id: str | None) -> GroupRow:
        group_id = _uuid(resource_type, resource_id)
        stmt = restrict(
            select(GroupRow).where(GroupRow.id == group_id), GroupRow, self.actor, "person.read"
        )
        group = self.session.execute(stmt).scalar_one_or_none()
        if group is None:
            raise NotFoundException(detail=f"Group {resource_id!r} not found")
        return group

    def _users(self, people: list[Person]) -> list[Resource[Any]]:
        codes = users.unit_codes(self.session, people)
        today = directory.local_today(utcnow())
        return [users.to_resource(p, codes, today) for p in people]

    def _groups(self, rows: list[GroupRow]) -> list[Resource[Any]]:
        members = groups.members_of(self.session, [g.id for g in rows])
        return [groups.to_resource(g, members[g.id]) for g in rows]

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        """One user or group of the municipality."""
        if resource_type.name == "User":
            return self._users([self._person(resource_type, resource_id)])[0]
        return self._groups([self._group(resource_type, resource_id)])[0]

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        """One page of the users or groups matching the filter, oldest first."""
        if len(resource_types) != 1:
            raise NotImplementedException(detail="search one resource type at a time")
        node = search_request.filter.ast if search_request.filter is not None else None
        start = search_request.start_index_0 or 0
        count = search_request.count
        if resource_types[0].name == "User":
            clause = user_clause(node) if node is not None else None
            people, total = self._page(Person, clause, start, count)
            return SearchPage(total, self._users(people))
        clause = group_clause(node) if node is not None else None
        rows, total = self._page(GroupRow, clause, start, count)
        return SearchPage(total, self._groups(rows))

    def _page(
        self,
        model: type[Person] | type[GroupRow],
        clause: ColumnElement[bool] | None,
        start: int,
        count: int | None,
    ) -> tuple[list[Any], int]:
        stmt: Select[Any] = restrict(select(model), model, self.actor, "person.read")
        if clause is not None:
            stmt = stmt.where(clause)
        stmt = stmt.order_by(model.created_at, model.id)
        try:
            total = self.session.scalar(
                select(func.count()).select_from(stmt.order_by(None).subquery())
            )
        except (TypeError, ValueError) as exc:
            raise InvalidFilterException(detail=str(exc)) from exc
        total = total or 0
        # Past the last row there is nothing to read, and an offset beyond a 64-bit
        # integer (startIndex is unbounded in RFC 7644) would fail in the database.
        if count == 0 or start >= total:
            return [], total
        rows = self.session.scalars(stmt.offset(start).limit(count)).all()
        return list(rows), total

    # -- writes ----------------------------------------------------------

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        """A new person or group."""
        if isinstance(resource, User):
            person = users.create_user(self.session, self.actor, self.tenant_id, resource)
            self.session.flush()
            self.session.refresh(person)
            return self._users([person])[0]
        assert isinstance(resource, Group)
        row = groups.create_group(self.session, self.actor, resource)
        self.session.flush()
        self.session.refresh(row)
        return self._groups([row])[0]

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        """Make a person or group match the new state a PUT or PATCH produced."""
        if isinstance(resource, User):
            person = self._person(resource_type, resource.id)
            _check_version(users.etag(person.version), expected_version)
            users.update_user(self.session, self.actor, person, resource)
            self.session.flush()
            self.session.refresh(person)
            return self._users([person])[0]
        assert isinstance(resource, Group)
        row = self._group(resource_type, resource.id)
        _check_version(users.etag(row.version), expected_version)
        groups.update_group(self.session, self.actor, row, resource)
        self.session.flush()
        self.session.refresh(row)
        return self._groups([row])[0]

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        """Remove a person (every right revoked first) or a group."""
        if resource_type.name == "User":
            person = self._person(resource_type, resource_id)
            _check_version(users.etag(person.version), expected_version)
            directory.delete_person(self.session, self.actor, person.id, reason="SCIM: deleted")
            return
        row = self._group(resource_type, resource_id)
        _check_version(users.etag(row.version), expected_version)
        directory.delete_group(self.session, self.actor, row.id)
