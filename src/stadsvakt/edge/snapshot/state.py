"""The edge's decision state: a snapshot's entries, read by ``decide()``, kept current by deltas.

Pure and DB-free: :class:`SnapshotState` implements
:class:`~stadsvakt.access.decide.DecisionState` over the entries of a snapshot body
(:mod:`.codec`). :meth:`SnapshotState.apply_delta` returns a new state and leaves the old
one as it was, so an edge swaps states in one assignment and a decision never reads a
half-applied delta.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from stadsvakt.access import identifiers
from stadsvakt.access.decide import (
    CredentialEntry,
    DoorEntry,
    PersonEntry,
    ProfileEntry,
    ScheduleEntry,
)
from stadsvakt.edge.snapshot.codec import (
    credential_entry,
    door_entry,
    person_entry,
    profile_entry,
    schedule_entry,
)

UUID = uuid.UUID


class SnapshotState:
    """The rights of one edge's doors at one version of the centre's change feed."""

    def __init__(self, tenant_id: UUID, version: int, holidays_until: date) -> None:
        self.tenant_id = tenant_id
        self.version = version
        #: Holidays are known up to (not including) this date: the edge needs a newer
        #: snapshot or delta before then.
        self.holidays_until = holidays_until
        self.doors: dict[UUID, DoorEntry] = {}
        self.profiles: dict[UUID, ProfileEntry] = {}
        self.schedules: dict[UUID, ScheduleEntry] = {}
        self.people: dict[UUID, PersonEntry] = {}
        self.credentials_by_id: dict[UUID, CredentialEntry] = {}
        #: (kind, identifier in normal form) → the card or mobile key.
        self.credentials: dict[tuple[str, str], CredentialEntry] = {}

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> SnapshotState:
        """The state a snapshot body describes (``KeyError``/``ValueError``/``TypeError``
        if it is not one)."""
        tenant_id = uuid.UUID(str(body["tenant"]))
        state = cls(tenant_id, int(body["version"]), date.fromisoformat(body["holidays_until"]))
        state._replace(body)
        return state

    def _replace(self, sets: Mapping[str, Any]) -> None:
        """Replace every kind present in ``sets`` by the entries listed."""
        if "doors" in sets:
            self.doors = {}
            for raw in sets["doors"]:
                self._upsert("doors", raw)
        if "schedules" in sets:
            self.schedules = {}
            for raw in sets["schedules"]:
                self._upsert("schedules", raw)
        if "profiles" in sets:
            self.profiles = {}
            for raw in sets["profiles"]:
                self._upsert("profiles", raw)
        if "people" in sets:
            self.people = {}
            for raw in sets["people"]:
                self._upsert("people", raw)
        if "credentials" in sets:
            self.credentials, self.credentials_by_id = {}, {}
            for raw in sets["credentials"]:
                self._upsert("credentials", raw)

    def _upsert(self, kind: str, raw: Mapping[str, Any]) -> None:
        if kind == "doors":
            door = door_entry(raw, self.tenant_id)
            self.doors[door.id] = door
        elif kind == "schedules":
            schedule = schedule_entry(raw)
            self.schedules[schedule.id] = schedule
        elif kind == "profiles":
            profile = profile_entry(raw)
            self.profiles[profile.id] = profile
        elif kind == "people":
            person = person_entry(raw)
            self.people[person.id] = person
        elif kind == "credentials":
            credential = credential_entry(raw, self.tenant_id)
            self._remove("credentials", credential.id)
            self.credentials_by_id[credential.id] = credential
            self.credentials[(credential.kind, credential.identifier)] = credential
        else:
            raise ValueError(f"unknown entry kind {kind!r}")

    def _remove(self, kind: str, entry_id: UUID) -> None:
        if kind == "credentials":
            old = self.credentials_by_id.pop(entry_id, None)
            # Only its own key: another credential may hold the key by now (re-issued).
            if old is not None and self.credentials.get((old.kind, old.identifier)) is old:
                del self.credentials[(old.kind, old.identifier)]
            return
        if kind == "doors":
            self.doors.pop(entry_id, None)
        elif kind == "schedules":
            self.schedules.pop(entry_id, None)
        elif kind == "profiles":
            self.profiles.pop(entry_id, None)
        elif kind == "people":
            self.people.pop(entry_id, None)
        else:
            raise ValueError(f"unknown entry kind {kind!r}")

    def _copy(self) -> SnapshotState:
        new = SnapshotState(self.tenant_id, self.version, self.holidays_until)
        new.doors = dict(self.doors)
        new.profiles = dict(self.profiles)
        new.schedules = dict(self.schedules)
        new.people = dict(self.people)
        new.credentials_by_id = dict(self.credentials_by_id)
        new.credentials = dict(self.credentials)
        return new

    def apply_delta(self, delta: Mapping[str, Any]) -> SnapshotState:
        """A new state: this one with a delta body applied (its ``changes`` in order,
        revocations first, then the kinds it replaces whole). The caller checks the
        versions first (:func:`stadsvakt.edge.snapshot.verify.accept_delta`)."""
        if str(delta["tenant"]) != str(self.tenant_id):
            raise ValueError("the delta is for another municipality")
        new = self._copy()
        for change in delta["changes"]:
            kind = str(change["kind"])
            if change["op"] == "remove":
                new._remove(kind, uuid.UUID(str(change["id"])))
            elif change["op"] == "upsert":
                new._upsert(kind, change["entry"])
            else:
                raise ValueError(f"unknown op {change['op']!r}")
        replace = delta.get("replace") or {}
        new._replace(replace)
        if "holidays_until" in delta:
            new.holidays_until = date.fromisoformat(str(delta["holidays_until"]))
        new.version = int(delta["to_version"])
        return new

    def without(self, credentials: Iterable[UUID], people: Iterable[UUID]) -> SnapshotState:
        """A new state at the same version with these credentials and people taken out (the
        centre's fast revocation, ahead of the delta that will carry it)."""
        new = self._copy()
        for credential_id in credentials:
            new._remove("credentials", credential_id)
        for person_id in people:
            new._remove("people", person_id)
        return new

    # -- DecisionState ---------------------------------------------------------------

    def door(self, door_id: UUID) -> DoorEntry | None:
        """The door, or None (not one of this edge's)."""
        return self.doors.get(door_id)

    def credential(self, tenant_id: UUID, kind: str, presented: str) -> CredentialEntry | None:
        """The credential of ``kind`` whose identifier is ``presented`` in normal form, or None."""
        if tenant_id != self.tenant_id:
            return None
        entry = self.credentials.get((kind, presented))
        if entry is None:
            normal = identifiers.presented(kind, presented)
            if normal is not None and normal != presented:
                entry = self.credentials.get((kind, normal))
        return entry

    def person(self, person_id: UUID) -> PersonEntry | None:
        """The person's rights to this edge's doors, or None."""
        return self.people.get(person_id)

    def profile(self, profile_id: UUID) -> ProfileEntry | None:
        """The profile, or None."""
        return self.profiles.get(profile_id)

    def schedule(self, schedule_id: UUID) -> ScheduleEntry | None:
        """The schedule, or None."""
        return self.schedules.get(schedule_id)
