"""The safety centre's API beyond device alarms: incidents logged from calls, planned
visits' schedules, the situation picture and the officer on duty, sites in test and the
municipalities a centre serves."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from stadsvakt.api.deps import ActorDep, ServicesDep, SessionDep
from stadsvakt.centre import incidents, served, situation, tasks, testmode
from stadsvakt.centre.api.incidents.schemas import (
    ActivationRef,
    AreaOut,
    NoticeOut,
    RegionOut,
    ScheduleOut,
    ServedOut,
    SituationOut,
    TestWindowOut,
)
from stadsvakt.centre.models import TestWindow

router = APIRouter(tags=["centre"])


@router.post("/incidents", response_model=ActivationRef, status_code=status.HTTP_201_CREATED)
def log_incident(
    data: incidents.IncidentIn, session: SessionDep, actor: ActorDep, services: ServicesDep
) -> ActivationRef:
    """Log an incident reported by phone: it opens an activation in the queue."""
    activation = incidents.log_incident(session, actor, data, now=services.clock())
    return ActivationRef.model_validate(activation)


@router.get("/situation", response_model=SituationOut)
def get_situation(session: SessionDep, actor: ActorDep, services: ServicesDep) -> SituationOut:
    """Ongoing activations per municipality and area, the most serious first, and the
    officer on duty's notices of the last 24 hours."""
    picture = situation.situation(session, actor)
    regions = [
        RegionOut(
            tenant_id=region.tenant_id,
            name=region.name,
            total=region.total,
            worst_priority=region.worst,
            by_category=dict(region.by_category),
            areas=[
                AreaOut(
                    unit_id=area.unit_id,
                    name=area.name,
                    worst_priority=area.worst,
                    by_category=dict(area.by_category),
                    activations=[ActivationRef.model_validate(a) for a in area.activations],
                )
                for area in region.areas
            ],
        )
        for region in picture.regions
    ]
    notices = situation.recent_notices(session, actor, now=services.clock())
    return SituationOut(
        total=picture.total,
        by_category=dict(picture.by_category),
        regions=regions,
        notices=[NoticeOut.model_validate(notice) for notice, _ in notices],
    )


@router.get("/activations/{activation_id}/officer-notices", response_model=list[NoticeOut])
def list_notices(activation_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> list[NoticeOut]:
    """What the officer on duty was told about an activation, oldest first."""
    rows = situation.notices_of(session, actor, activation_id)
    return [NoticeOut.model_validate(row) for row in rows]


@router.post(
    "/activations/{activation_id}/officer-notices",
    response_model=NoticeOut,
    status_code=status.HTTP_201_CREATED,
)
def inform_officer(
    activation_id: uuid.UUID,
    data: situation.OfficerNoticeIn,
    session: SessionDep,
    actor: ActorDep,
    services: ServicesDep,
) -> NoticeOut:
    """Log that the officer on duty (TiB) was told about an activation, and what."""
    notice = situation.inform_officer(session, actor, activation_id, data, now=services.clock())
    return NoticeOut.model_validate(notice)


@router.post("/officer-notices/{notice_id}/acknowledge", response_model=NoticeOut)
def acknowledge_notice(
    notice_id: uuid.UUID, session: SessionDep, actor: ActorDep, services: ServicesDep
) -> NoticeOut:
    """Note that the officer on duty confirmed a notice (409 if already confirmed)."""
    notice = situation.acknowledge(session, actor, notice_id, now=services.clock())
    return NoticeOut.model_validate(notice)


def _window_out(window: TestWindow, state: str) -> TestWindowOut:
    return TestWindowOut(
        id=window.id,
        tenant_id=window.tenant_id,
        site_id=window.site_id,
        transmitter_id=window.transmitter_id,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        reason=window.reason,
        set_by_name=window.set_by_name,
        created_at=window.created_at,
        state=state,
    )


@router.get("/tests", response_model=list[TestWindowOut])
def list_tests(session: SessionDep, actor: ActorDep, services: ServicesDep) -> list[TestWindowOut]:
    """Sites and transmitters in test now or later, then those ended in the last 7 days."""
    listed = testmode.list_tests(session, actor, now=services.clock())
    return [_window_out(item.window, item.state.value) for item in listed]


@router.post("/tests", response_model=TestWindowOut, status_code=status.HTTP_201_CREATED)
def start_test(
    data: testmode.TestWindowIn, session: SessionDep, actor: ActorDep, services: ServicesDep
) -> TestWindowOut:
    """Put a site (or one transmitter of it) in test: its events are logged, not queued."""
    now = services.clock()
    window = testmode.start_test(
        session, actor, data, now=now, max_hours=services.settings.centre.test_window_max_hours
    )
    return _window_out(window, testmode.state_of(window, now).value)


@router.post("/tests/{window_id}/end", response_model=TestWindowOut)
def end_test(
    window_id: uuid.UUID, session: SessionDep, actor: ActorDep, services: ServicesDep
) -> TestWindowOut:
    """End a test now (409 if it has already ended)."""
    now = services.clock()
    window = testmode.end_test(session, actor, window_id, now=now)
    return _window_out(window, testmode.state_of(window, now).value)


@router.get("/served", response_model=list[ServedOut])
def list_served(session: SessionDep, actor: ActorDep) -> list[ServedOut]:
    """The municipalities the caller's centre serves."""
    return [
        ServedOut(id=row.id, tenant_id=m.id, code=m.code, name=m.name)
        for row, m in served.list_served(session, actor)
    ]


@router.post("/served", response_model=ServedOut, status_code=status.HTTP_201_CREATED)
def add_served(data: served.ServedIn, session: SessionDep, actor: ActorDep) -> ServedOut:
    """Serve another municipality (by its code) from the caller's centre (system owner)."""
    row = served.add_served(session, actor, data)
    listed = {item.id: m for item, m in served.list_served(session, actor)}
    municipality = listed[row.id]
    return ServedOut(
        id=row.id, tenant_id=municipality.id, code=municipality.code, name=municipality.name
    )


@router.delete("/served/{served_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_served(served_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Stop serving a municipality (system owner)."""
    served.remove_served(session, actor, served_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/task-schedules", response_model=list[ScheduleOut])
def list_schedules(session: SessionDep, actor: ActorDep) -> list[ScheduleOut]:
    """Schedules of planned camera supervision visits (nattillsyn)."""
    return [ScheduleOut.model_validate(row) for row in tasks.list_schedules(session, actor)]


@router.post("/task-schedules", response_model=ScheduleOut, status_code=status.HTTP_201_CREATED)
def create_schedule(data: tasks.ScheduleIn, session: SessionDep, actor: ActorDep) -> ScheduleOut:
    """A new schedule in the caller's municipality (centre.admin)."""
    return ScheduleOut.model_validate(tasks.create_schedule(session, actor, data))


@router.get("/task-schedules/{schedule_id}", response_model=ScheduleOut)
def get_schedule(schedule_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ScheduleOut:
    """One schedule."""
    return ScheduleOut.model_validate(tasks.get_schedule(session, actor, schedule_id))


@router.put("/task-schedules/{schedule_id}", response_model=ScheduleOut)
def update_schedule(
    schedule_id: uuid.UUID, data: tasks.ScheduleIn, session: SessionDep, actor: ActorDep
) -> ScheduleOut:
    """Replace a schedule (visits already made are kept)."""
    return ScheduleOut.model_validate(tasks.update_schedule(session, actor, schedule_id, data))


@router.delete("/task-schedules/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_schedule(schedule_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a schedule (its visits' activations stay)."""
    tasks.delete_schedule(session, actor, schedule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
