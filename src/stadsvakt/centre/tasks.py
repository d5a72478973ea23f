"""Planned camera supervision visits (nattillsyn): schedules, and the visits they make due.

A care recipient who chose camera supervision at night has a :class:`TaskSchedule`: a
reference code (no name: the care record holds who it is), a site or an address, the
camera(s) to look at, times of night in Swedish local time, weekdays and the dates it
is valid. :func:`due_tasks` turns each visit that is due into a TASK activation in the
queue, handled like any alarm. Each visit is made exactly once, however many processes
call it at once: a :class:`TaskVisit` row with a unique (schedule, local time) pair is
inserted first, and only the process whose insert succeeded opens the activation.

Times are wall-clock times in Europe/Stockholm. On the spring-forward night a visit in
the hour that does not exist (02:30) is made one hour later by the clock (03:30 CEST),
the same moment as 02:30 CET would have been; on the fall-back night a visit in the
hour that happens twice (02:30) is made once, at its first occurrence (CEST).
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field, StringConstraints, field_validator
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Engine,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.scope import require, subtree_ids
from stadsvakt.bounds import BoundedDate
from stadsvakt.centre import feed
from stadsvakt.centre.intake import rules_for
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationKind, ActivationState
from stadsvakt.centre.tenancy import visible_tenants
from stadsvakt.context import Actor, acting_as, system_actor
from stadsvakt.db import Base, IdMixin, TimestampMixin, read_only_session, unit_of_work, utcnow
from stadsvakt.errors import Forbidden, InvalidInput, NotFound
from stadsvakt.org.models import Site
from stadsvakt.schemas import StrictInput
from stadsvakt.settings import CentreSettings

log = logging.getLogger(__name__)
STOCKHOLM = ZoneInfo("Europe/Stockholm")

#: The category of a planned visit's activation (ranked by ``centre.priority``, 5 if absent).
TASK_CATEGORY = "task"
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class TaskSchedule(IdMixin, TimestampMixin, Base):
    """When one care recipient's camera supervision visits are due."""

    __tablename__ = "task_schedules"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    #: A reference code, not a name: personal data stays in the care record.
    reference: Mapped[str] = mapped_column(String(40))
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), default=None
    )
    address: Mapped[str] = mapped_column(String(200), default="")
    #: Which camera(s) to look at, as the camera register names them.
    cameras: Mapped[str] = mapped_column(String(500), default="")
    #: Local times of day, ``"23:00"``.
    times: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: ISO weekdays (1 Monday ... 7 Sunday).
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)
    note: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """A schedule is in the scope of its site's unit."""
        return select(Site.org_unit_id).where(Site.id == cls.site_id).scalar_subquery()


class TaskVisit(IdMixin, Base):
    """One visit made due: its (schedule, local time) pair is unique, so it is made once."""

    __tablename__ = "task_visits"
    __table_args__ = (
        UniqueConstraint("schedule_id", "local_time", name="uq_task_visits_once"),
        Index("ix_task_visits_due", "due_at"),
    )

    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("task_schedules.id", ondelete="CASCADE")
    )
    #: The scheduled wall-clock time, ``2026-12-05T23:00`` (Europe/Stockholm).
    local_time: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    activation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("activations.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Reference = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"),
    Field(description="The recipient's reference code (no name): letters, digits, . _ -"),
]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Clock = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
]


class ScheduleIn(StrictInput):
    """A schedule as given: at least one time and one weekday; ``valid_to`` may be open."""

    reference: Reference
    site_id: uuid.UUID | None = None
    address: Text200 = ""
    cameras: Text500 = ""
    times: list[Clock] = Field(min_length=1, max_length=12)
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(min_length=1, max_length=7)
    valid_from: BoundedDate
    valid_to: BoundedDate | None = None
    note: Text500 = ""
    active: bool = True

    @field_validator("times")
    @classmethod
    def _sorted_times(cls, value: list[str]) -> list[str]:
        return sorted(set(value))

    @field_validator("weekdays")
    @classmethod
    def _sorted_days(cls, value: list[int]) -> list[int]:
        return sorted(set(value))


@dataclass(frozen=True, slots=True)
class Visit:
    """One visit of a schedule: its wall-clock time and the moment it is due (UTC)."""

    local: datetime  # naive, Europe/Stockholm wall clock
    due_at: datetime

    @property
    def key(self) -> str:
        """The visit's unique key within its schedule, ``2026-12-05T23:00``."""
        return self.local.strftime("%Y-%m-%dT%H:%M")


def due_moment(local: datetime) -> datetime:
    """The UTC moment of a Swedish wall-clock time (see the module docstring for DST)."""
    # fold=0: a time in the spring gap is read with the offset before it (02:30 CET ->
    # 03:30 CEST), a time of the autumn's repeated hour as its first occurrence (CEST).
    return local.replace(tzinfo=STOCKHOLM, fold=0).astimezone(UTC)


def visits_between(
    times: Sequence[str],
    weekdays: Iterable[int],
    valid_from: date,
    valid_to: date | None,
    since: datetime,
    until: datetime,
) -> list[Visit]:
    """The visits due in ``(since, until]``, in order (a pure function of the schedule)."""
    days = set(weekdays)
    clocks = [time.fromisoformat(value) for value in times if _CLOCK.match(value)]
    first = since.astimezone(STOCKHOLM).date() - timedelta(days=1)
    last = until.astimezone(STOCKHOLM).date() + timedelta(days=1)
    found: list[Visit] = []
    day = max(first, valid_from)
    while day <= last and (valid_to is None or day <= valid_to):
        if day.isoweekday() in days:
            for clock in clocks:
                local = datetime.combine(day, clock)
                due = due_moment(local)
                if since < due <= until:
                    found.append(Visit(local, due))
        day += timedelta(days=1)
    return sorted(found, key=lambda visit: visit.due_at)


def _claim(session: Session, schedule: TaskSchedule, visit: Visit) -> uuid.UUID | None:
    """Insert the visit's row unless some process already did; its id if this one did."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(TaskVisit)
        .values(
            id=uuid.uuid4(),
            schedule_id=schedule.id,
            local_time=visit.key,
            due_at=visit.due_at,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["schedule_id", "local_time"])
        .returning(TaskVisit.id)
    )
    claimed: uuid.UUID | None = session.execute(stmt).scalar_one_or_none()
    return claimed


def _due_visits(
    session: Session, now: datetime, catch_up: timedelta
) -> list[tuple[TaskSchedule, Visit]]:
    """Every active schedule's visits due in ``(now - catch_up, now]``, made or not."""
    today = now.astimezone(STOCKHOLM).date()
    schedules = session.execute(
        select(TaskSchedule)
        .where(TaskSchedule.active.is_(True))
        .where(TaskSchedule.valid_from <= today + timedelta(days=1))
        .where(
            or_(
                TaskSchedule.valid_to.is_(None),
                TaskSchedule.valid_to >= today - timedelta(days=1),
            )
        )
        .order_by(TaskSchedule.id)
    ).scalars()
    return [
        (schedule, visit)
        for schedule in list(schedules)
        for visit in visits_between(
            schedule.times,
            schedule.weekdays,
            schedule.valid_from,
            schedule.valid_to,
            now - catch_up,
            now,
        )
    ]


def _made(
    session: Session, visits: Sequence[tuple[TaskSchedule, Visit]]
) -> set[tuple[uuid.UUID, str]]:
    ids = sorted({schedule.id for schedule, _ in visits})
    rows = session.execute(
        select(TaskVisit.schedule_id, TaskVisit.local_time).where(TaskVisit.schedule_id.in_(ids))
    ).all()
    return {(schedule_id, local) for schedule_id, local in rows}


def pending(session: Session, now: datetime, *, catch_up: timedelta = timedelta(hours=1)) -> int:
    """How many visits are due and not yet made (a read: the loop writes only when some are)."""
    visits = _due_visits(session, now, catch_up)
    made = _made(session, visits) if visits else set()
    return sum(1 for schedule, visit in visits if (schedule.id, visit.key) not in made)


def due_tasks(
    session: Session, now: datetime, *, catch_up: timedelta = timedelta(hours=1)
) -> list[Activation]:
    """Open a TASK activation for every visit due in ``(now - catch_up, now]`` not yet made.

    Safe to call from several processes at once: each visit is made by exactly one.
    """
    rules = rules_for(session)
    opened: list[Activation] = []
    for schedule, visit in _due_visits(session, now, catch_up):
        visit_id = _claim(session, schedule, visit)
        if visit_id is None:
            continue
        activation = _open_visit(session, schedule, visit, rules.rank(TASK_CATEGORY))
        row = session.get_one(TaskVisit, visit_id)
        row.activation_id = activation.id
        opened.append(activation)
    feed.publish(session, [(activation, feed.NEW) for activation in opened])
    return opened


def _open_visit(session: Session, schedule: TaskSchedule, visit: Visit, rank: int) -> Activation:
    key = f"task|{schedule.id}|{visit.key}"
    activation = Activation(
        id=uuid.uuid4(),
        tenant_id=schedule.tenant_id,
        site_id=schedule.site_id,
        transmitter_id=None,
        kind=ActivationKind.TASK,
        category=TASK_CATEGORY,
        code="",
        priority=rank,
        title=f"{schedule.reference} {visit.local:%H:%M}",
        group_key=key,
        state=ActivationState.OPEN,
        opened_at=visit.due_at,
        last_event_at=visit.due_at,
        event_count=1,
        zones=[],
        confirmed=False,
        restored=False,
        version=1,
    )
    session.add(activation)
    session.add(
        ActivationEntry(
            activation_id=activation.id,
            at=visit.due_at,
            kind="task_due",
            actor_name="",
            text=schedule.note,
            data={
                "schedule_id": str(schedule.id),
                "reference": schedule.reference,
                "local_time": visit.key,
                "cameras": schedule.cameras,
                "address": schedule.address,
            },
        )
    )
    return activation


def run_once(factory: sessionmaker[Session], settings: CentreSettings) -> int:
    """Make the visits due now, in a unit of work of its own; how many were made.

    It reads first and opens a write transaction only when a visit is waiting, so on
    SQLite the loop never waits for (or holds) the write lock for nothing.
    """
    now = utcnow()
    catch_up = timedelta(minutes=settings.task_catch_up_minutes)
    with read_only_session(factory) as reader:
        if not pending(reader, now, catch_up=catch_up):
            return 0
    with acting_as(system_actor("centre planned visits")), unit_of_work(factory) as session:
        return len(due_tasks(session, now, catch_up=catch_up))


async def run_tasks(factory: sessionmaker[Session], settings: CentreSettings) -> None:
    """Make due visits every ``task_poll_s`` seconds until cancelled (the app's lifespan)."""
    while True:
        try:
            await asyncio.to_thread(run_once, factory, settings)
        except Exception:  # a failed round is retried at the next
            log.exception("planned visits could not be made")
        await asyncio.sleep(settings.task_poll_s)


@asynccontextmanager
async def background(engine: Engine, settings: CentreSettings) -> AsyncIterator[None]:
    """Run :func:`run_tasks` over sessions of its own while the block runs (every process
    may: each visit is made once)."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    task = asyncio.create_task(run_tasks(factory, settings), name="centre-planned-visits")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


# Managing schedules (centre.admin) ------------------------------------------------------


def _site_for(session: Session, actor: Actor, site_id: uuid.UUID, tenant: uuid.UUID) -> Site:
    site = session.get(Site, site_id)
    units = actor.scope("centre.admin")
    if site is None or site.tenant_id != tenant:
        raise NotFound(f"site_id: no site {site_id} in the municipality", field="site_id")
    if units is not None:
        allowed = set(session.execute(subtree_ids(units)).scalars())
        if site.org_unit_id not in allowed:
            raise NotFound(f"site_id: no site {site_id} in your scope", field="site_id")
    return site


def _check(data: ScheduleIn) -> None:
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise InvalidInput(
            "valid_to: must not be before valid_from", field="valid_to", rule="after_valid_from"
        )
    if data.site_id is None and not data.address:
        raise InvalidInput(
            "address: give a site or an address", field="address", rule="site_or_address"
        )


def list_schedules(session: Session, actor: Actor) -> list[TaskSchedule]:
    """The schedules of the municipalities the actor sees, by reference."""
    require(actor, "centre.read")
    stmt = select(TaskSchedule).order_by(TaskSchedule.reference, TaskSchedule.id)
    tenants = visible_tenants(session, actor)
    if tenants is not None:
        stmt = stmt.where(TaskSchedule.tenant_id.in_(sorted(tenants)))
    units = actor.scope("centre.read")
    if units is not None:
        stmt = stmt.where(TaskSchedule.scope_unit_expr().in_(subtree_ids(units)))
    return list(session.execute(stmt).scalars())


def get_schedule(
    session: Session, actor: Actor, schedule_id: uuid.UUID, permission: str = "centre.read"
) -> TaskSchedule:
    """One schedule the actor sees, else :class:`NotFound`."""
    require(actor, permission)
    row = session.get(TaskSchedule, schedule_id)
    tenants = visible_tenants(session, actor)
    if row is None or (tenants is not None and row.tenant_id not in tenants):
        raise NotFound("schedule not found")
    units = actor.scope(permission)
    if units is not None:
        allowed = set(session.execute(subtree_ids(units)).scalars())
        site = session.get(Site, row.site_id) if row.site_id else None
        if site is None or site.org_unit_id not in allowed:
            raise NotFound("schedule not found")
    return row


def _audit(session: Session, action: str, row: TaskSchedule, before: dict[str, Any] | None) -> None:
    record(
        session,
        action=f"centre.task_schedule.{action}",
        object_type="task_schedule",
        object_id=row.id,
        object_text=row.reference,
        tenant_id=row.tenant_id,
        before=before,
        after=None if action == "delete" else snapshot(row),
    )


def create_schedule(
    session: Session, actor: Actor, data: ScheduleIn, tenant_id: uuid.UUID | None = None
) -> TaskSchedule:
    """A new schedule in the actor's municipality (or one it serves)."""
    require(actor, "centre.admin")
    tenant = tenant_id or actor.tenant_id
    tenants = visible_tenants(session, actor)
    if tenant is None or (tenants is not None and tenant not in tenants):
        raise NotFound("tenant_id: not a municipality you serve", field="tenant_id")
    if data.site_id is not None:
        _site_for(session, actor, data.site_id, tenant)
    _check(data)
    row = TaskSchedule(tenant_id=tenant, **data.model_dump())
    session.add(row)
    session.flush()
    _audit(session, "create", row, None)
    return row


def update_schedule(
    session: Session, actor: Actor, schedule_id: uuid.UUID, data: ScheduleIn
) -> TaskSchedule:
    """Replace a schedule's fields (visits already made stay as they were)."""
    row = get_schedule(session, actor, schedule_id, "centre.admin")
    before = snapshot(row)
    if data.site_id is not None:
        _site_for(session, actor, data.site_id, row.tenant_id)
    _check(data)
    for name, value in data.model_dump().items():
        setattr(row, name, value)
    session.flush()
    _audit(session, "update", row, before)
    return row


def delete_schedule(session: Session, actor: Actor, schedule_id: uuid.UUID) -> None:
    """Remove a schedule (its visits' activations stay in the queue and history)."""
    row = get_schedule(session, actor, schedule_id, "centre.admin")
    if actor.kind != "system" and actor.scope("centre.admin") is not None and row.site_id is None:
        raise Forbidden("a schedule without a site is managed by the whole municipality")
    before = snapshot(row)
    _audit(session, "delete", row, before)
    session.delete(row)
    session.flush()
