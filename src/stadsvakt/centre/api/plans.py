"""The safety centre's API: action plans, their versions, site contacts, steps done and the
demo SMS log. Another municipality's plan, contact, site or activation is 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from sqlalchemy import func, select

from stadsvakt.api.deps import ActorDep, PagingDep, ServicesDep, SessionDep, writes_on_read
from stadsvakt.centre import contacts
from stadsvakt.centre.notify import notifier_for
from stadsvakt.centre.plans import service
from stadsvakt.centre.plans.models import ActionPlan, PlanVersion, SentSms
from stadsvakt.centre.plans.schemas import (
    ActivationPlanOut,
    ContactIn,
    ContactOut,
    ContactUpdate,
    PlanIn,
    PlanOut,
    SmsOut,
    StepDoneIn,
    StepOut,
    StepStatusOut,
    VersionIn,
    VersionOut,
)
from stadsvakt.centre.plans.steps import ContactRole, Step
from stadsvakt.centre.tenancy import restrict, visible_activation
from stadsvakt.org.schemas import Page

router = APIRouter(tags=["centre"])
StepNumber = Annotated[int, Path(ge=1, le=50, description="The step, 1 first")]


def _step(step: Step) -> StepOut:
    return StepOut.model_validate(step.to_json())


def _version(version: PlanVersion) -> VersionOut:
    return VersionOut(
        id=version.id,
        plan_id=version.plan_id,
        number=version.number,
        steps=[_step(step) for step in service.steps_of(version)],
        note=version.note,
        created_at=version.created_at,
        created_by_name=version.created_by_name,
    )


def _plan(session: SessionDep, plan: ActionPlan) -> PlanOut:
    current = service.current_version(session, plan)
    return PlanOut(
        id=plan.id,
        site_id=plan.site_id,
        category=plan.category,
        current_version=_version(current) if current else None,
    )


@router.get("/plans", response_model=list[PlanOut])
def list_plans(session: SessionDep, actor: ActorDep) -> list[PlanOut]:
    """Action plans: the centre's defaults and every site's, with their current steps."""
    return [_plan(session, plan) for plan in service.list_plans(session, actor)]


@router.post("/plans", response_model=PlanOut, status_code=status.HTTP_201_CREATED)
def create_plan(data: PlanIn, session: SessionDep, actor: ActorDep) -> PlanOut:
    """A new plan and its first version (409 when the site and category have one)."""
    return _plan(session, service.create_plan(session, actor, data))


@router.get("/plans/{plan_id}", response_model=PlanOut)
def get_plan(plan_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> PlanOut:
    """One plan with its current version."""
    return _plan(session, service.get_plan(session, actor, plan_id))


@router.get("/plans/{plan_id}/versions", response_model=list[VersionOut])
def list_versions(plan_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> list[VersionOut]:
    """A plan's versions, newest first (a version never changes)."""
    plan = service.get_plan(session, actor, plan_id)
    return [_version(version) for version in service.versions(session, plan)]


@router.post(
    "/plans/{plan_id}/versions",
    response_model=VersionOut,
    status_code=status.HTTP_201_CREATED,
)
def add_version(
    plan_id: uuid.UUID, data: VersionIn, session: SessionDep, actor: ActorDep
) -> VersionOut:
    """Edit a plan: its steps become the next version; activations keep theirs."""
    return _version(service.new_version(session, actor, plan_id, data))


@router.get("/sites/{site_id}/contacts", response_model=list[ContactOut])
def list_contacts(
    site_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    callable_at: Annotated[
        datetime | None,
        Query(description="Only those who may be called at this time (ISO 8601 with zone)"),
    ] = None,
    role: Annotated[list[ContactRole] | None, Query(max_length=6)] = None,
) -> list[ContactOut]:
    """A site's contacts and keyholders in call order; with ``callable_at``, only those
    whose time windows (Swedish local time) include it."""
    rows = contacts.list_contacts(session, actor, site_id)
    if role:
        rows = [row for row in rows if row.role in {r.value for r in role}]
    if callable_at is not None:
        moment = (
            callable_at if callable_at.tzinfo else callable_at.replace(tzinfo=contacts.STOCKHOLM)
        )
        rows = contacts.callable_at(rows, moment)
    return [ContactOut.model_validate(row) for row in rows]


@router.post(
    "/sites/{site_id}/contacts", response_model=ContactOut, status_code=status.HTTP_201_CREATED
)
def create_contact(
    site_id: uuid.UUID, data: ContactIn, session: SessionDep, actor: ActorDep
) -> ContactOut:
    """Add a contact last in the site's call order."""
    return ContactOut.model_validate(contacts.create_contact(session, actor, site_id, data))


@router.get("/contacts/{contact_id}", response_model=ContactOut)
def get_contact(contact_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ContactOut:
    """One contact."""
    return ContactOut.model_validate(contacts.get_contact(session, actor, contact_id))


@router.patch("/contacts/{contact_id}", response_model=ContactOut)
def update_contact(
    contact_id: uuid.UUID, data: ContactUpdate, session: SessionDep, actor: ActorDep
) -> ContactOut:
    """Change a contact; ``position`` moves it in the call order."""
    return ContactOut.model_validate(contacts.update_contact(session, actor, contact_id, data))


@router.delete("/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_contact(contact_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a contact."""
    contacts.delete_contact(session, actor, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _activation_plan(
    session: SessionDep, actor: ActorDep, activation_id: uuid.UUID
) -> ActivationPlanOut:
    activation = visible_activation(session, actor, activation_id)
    version = service.plan_for(session, activation)
    states = service.step_states(session, activation, version)
    return ActivationPlanOut(
        plan_id=version.plan_id if version else None,
        version=_version(version) if version else None,
        steps=[
            StepStatusOut(
                index=state.index + 1,
                step=_step(state.step),
                done=state.is_done,
                outcome=str(state.done.data.get("outcome")) if state.done else None,
                note=str(state.done.data.get("note", "")) if state.done else "",
                by=state.done.actor_name if state.done else "",
                at=state.done.at if state.done else None,
                failed_reason=str(state.failed.data.get("code")) if state.failed else None,
            )
            for state in states
        ],
        missing_mandatory=[
            state.step.instruction for state in states if state.step.mandatory and not state.is_done
        ],
    )


@router.get("/activations/{activation_id}/plan", response_model=ActivationPlanOut)
@writes_on_read
def activation_plan(
    activation_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> ActivationPlanOut:
    """The plan the activation follows (pinned on first look) and each step's state."""
    return _activation_plan(session, actor, activation_id)


@router.post("/activations/{activation_id}/plan/steps/{number}", response_model=ActivationPlanOut)
def step_done(
    activation_id: uuid.UUID,
    number: StepNumber,
    data: StepDoneIn,
    session: SessionDep,
    actor: ActorDep,
) -> ActivationPlanOut:
    """Record step ``number`` (1 first) as done, with its outcome and a note."""
    service.complete_step(session, actor, activation_id, number - 1, data.outcome, data.note)
    return _activation_plan(session, actor, activation_id)


@router.post(
    "/activations/{activation_id}/plan/steps/{number}/send", response_model=ActivationPlanOut
)
def send_step(
    activation_id: uuid.UUID,
    number: StepNumber,
    session: SessionDep,
    actor: ActorDep,
    services: ServicesDep,
) -> ActivationPlanOut:
    """Send a notify step's e-mail or SMS now; a failure is logged and shown, not raised."""
    notifier = notifier_for(services.settings.centre, session)
    service.send_step(session, actor, activation_id, number - 1, notifier)
    return _activation_plan(session, actor, activation_id)


@router.get("/sms", response_model=Page[SmsOut])
def sent_sms(session: SessionDep, actor: ActorDep, page: PagingDep) -> Page[SmsOut]:
    """The messages the demo SMS notifier kept, newest first."""
    stmt = restrict(select(SentSms), session, actor, "centre.read", model=SentSms)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(SentSms.sent_at.desc()).limit(page.limit).offset(page.offset)
    ).scalars()
    return Page[SmsOut](
        items=[SmsOut.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
