"""Action plans: which plan an activation follows, its versions, steps done, the close guard.

Resolution, most specific first (:func:`resolve`): the site's plan for the category,
the site's plan for every category, the municipality's default for the category, the
serving centre's default for it, the municipality's default for everything, the
centre's. Editing a plan writes a new :class:`PlanVersion`; an activation is pinned to
the version current when it was first shown or claimed (:func:`plan_for`) and keeps it.

A step done is an ``ActivationEntry`` of kind ``step_done`` (data: ``step`` index,
``key``, ``outcome``, ``note``); a notice stadsvakt could not send is one of kind
``step_failed`` (data: ``code``, ``detail``) and does not count as done. Each bumps the
activation's version and is published on the queue feed as ``updated``. Services take
``session`` and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadsvakt.audit.service import record
from stadsvakt.centre import feed, guards
from stadsvakt.centre.contacts import site_contacts, visible_site
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationState, ServedMunicipality
from stadsvakt.centre.notify import NO_RECIPIENTS, About, Notifier, NotifyError
from stadsvakt.centre.plans.models import ActionPlan, PlanVersion
from stadsvakt.centre.plans.schemas import PlanIn, StepIn, VersionIn
from stadsvakt.centre.plans.steps import Channel, Outcome, Step, StepKind, keyed
from stadsvakt.centre.queue import activation_title
from stadsvakt.centre.tenancy import restrict, visible_activation
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.errors import Conflict, InvalidInput, NotFound
from stadsvakt.org.models import Site

READ = "centre.read"
ADMIN = "centre.admin"
OPERATE = "centre.operate"
STEP_DONE = "step_done"
STEP_FAILED = "step_failed"
#: Who the automatic manager notice is logged as.
AUTOMATIC = "stadsvakt"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is used."""
    return message


#: The close guard's objection, formatted by the caller with the step's instruction.
MANDATORY_NOT_DONE = N_("Mandatory step not done: %(step)s")
_SUBJECT = N_("Alarm: %(title)s")
_BODY = N_("Alarm: %(title)s at %(site)s, %(address)s (%(time)s).")


def _same(message: str) -> str:
    return message


def scope_key(site_id: uuid.UUID | None, category: str | None) -> str:
    """What makes a plan unique in its municipality: its site and category (or none)."""
    return f"{site_id or '-'}|{category or '*'}"


# --- plans and versions ----------------------------------------------------------------------


def list_plans(session: Session, actor: Actor) -> list[ActionPlan]:
    """The plans the actor sees: centre defaults first, then per site."""
    stmt = restrict(select(ActionPlan), session, actor, READ, model=ActionPlan)
    rows = session.execute(stmt).scalars()
    return sorted(rows, key=lambda p: (p.site_id is not None, str(p.site_id), p.category or ""))


def get_plan(
    session: Session, actor: Actor, plan_id: uuid.UUID, permission: str = READ
) -> ActionPlan:
    """One plan the actor sees with ``permission``, else :class:`NotFound` (even one of
    another municipality)."""
    stmt = restrict(
        select(ActionPlan).where(ActionPlan.id == plan_id),
        session,
        actor,
        permission,
        model=ActionPlan,
    )
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound("plan not found")
    return found


def versions(session: Session, plan: ActionPlan) -> list[PlanVersion]:
    """A plan's versions, newest first."""
    return list(
        session.execute(
            select(PlanVersion)
            .where(PlanVersion.plan_id == plan.id)
            .order_by(PlanVersion.number.desc())
        ).scalars()
    )


def current_version(session: Session, plan: ActionPlan) -> PlanVersion | None:
    """The version new activations follow."""
    if plan.current_version_id is None:
        return None
    return session.get(PlanVersion, plan.current_version_id)


def get_version(session: Session, plan: ActionPlan, number: int) -> PlanVersion:
    """One version of a plan by its number."""
    found = session.execute(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.number == number)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("version not found")
    return found


def steps_of(version: PlanVersion | None) -> list[Step]:
    """A version's steps, typed."""
    return [] if version is None else [Step.from_json(data) for data in version.steps]


def step_from_input(data: StepIn) -> Step:
    """A step from its API or form input."""
    return Step.from_json(data.model_dump(mode="json"))


def _audit(session: Session, action: str, plan: ActionPlan, after: dict[str, Any]) -> None:
    record(
        session,
        action=f"action_plan.{action}",
        object_type="action_plan",
        object_id=plan.id,
        object_text=scope_key(plan.site_id, plan.category),
        tenant_id=plan.tenant_id,
        after=after,
    )


def create_plan(
    session: Session, actor: Actor, data: PlanIn, *, with_version: bool = True
) -> ActionPlan:
    """A new plan (for a site the actor administers, or the centre's default) and its
    first version (``with_version=False``: none yet, the editor adds the steps)."""
    if data.site_id is not None:
        tenant = visible_site(session, actor, data.site_id, ADMIN).tenant_id
    else:
        restrict(select(ActionPlan), session, actor, ADMIN, model=ActionPlan)  # permission
        if actor.tenant_id is None:
            raise InvalidInput("act within a municipality", field="tenant", rule="required")
        tenant = actor.tenant_id
    key = scope_key(data.site_id, data.category)
    taken = session.execute(
        select(ActionPlan.id).where(ActionPlan.tenant_id == tenant, ActionPlan.scope_key == key)
    ).scalar_one_or_none()
    if taken is not None:
        raise Conflict(
            "category: this site and category already have a plan; add a version to it",
            field="category",
            plan_id=str(taken),
        )
    plan = ActionPlan(
        id=uuid.uuid4(),
        tenant_id=tenant,
        site_id=data.site_id,
        category=data.category,
        scope_key=key,
    )
    session.add(plan)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("category: this site and category already have a plan") from exc
    _audit(session, "create", plan, {"site_id": str(data.site_id), "category": data.category})
    if with_version:
        _add_version(session, actor, plan, [step_from_input(s) for s in data.steps], data.note)
    return plan


def new_version(session: Session, actor: Actor, plan_id: uuid.UUID, data: VersionIn) -> PlanVersion:
    """Save a plan's steps as its next version (earlier versions stay as they were)."""
    plan = get_plan(session, actor, plan_id, ADMIN)
    return _add_version(session, actor, plan, [step_from_input(s) for s in data.steps], data.note)


def save_steps(
    session: Session, actor: Actor, plan_id: uuid.UUID, steps: Sequence[Step], note: str = ""
) -> PlanVersion:
    """Save typed steps (from the editor) as the plan's next version."""
    plan = get_plan(session, actor, plan_id, ADMIN)
    return _add_version(session, actor, plan, list(steps), note)


def _add_version(
    session: Session, actor: Actor, plan: ActionPlan, steps: list[Step], note: str
) -> PlanVersion:
    last = session.execute(
        select(func.max(PlanVersion.number)).where(PlanVersion.plan_id == plan.id)
    ).scalar_one()
    version = PlanVersion(
        id=uuid.uuid4(),
        plan_id=plan.id,
        number=(last or 0) + 1,
        steps=[step.to_json() for step in keyed(steps)],
        note=note,
        created_at=utcnow(),
        created_by_name=actor.name[:200],
    )
    session.add(version)
    plan.current_version_id = version.id
    plan.updated_at = utcnow()
    try:
        session.flush()
    except IntegrityError as exc:  # two editors saved at once
        raise Conflict("the plan was saved by someone else meanwhile; reload it") from exc
    _audit(
        session, "version", plan, {"number": version.number, "steps": version.steps, "note": note}
    )
    return version


# --- resolution ------------------------------------------------------------------------------


def _centres_serving(session: Session, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    return sorted(
        session.execute(
            select(ServedMunicipality.centre_tenant_id).where(
                ServedMunicipality.served_tenant_id == tenant_id
            )
        ).scalars()
    )


def resolve(
    session: Session, tenant_id: uuid.UUID, site_id: uuid.UUID | None, category: str
) -> ActionPlan | None:
    """The most specific plan with a version for a site and category (see the module)."""
    centres = [c for c in _centres_serving(session, tenant_id) if c != tenant_id]
    order: list[tuple[uuid.UUID, str]] = []
    if site_id is not None:
        order += [(tenant_id, scope_key(site_id, category)), (tenant_id, scope_key(site_id, None))]
    order += [(tenant_id, scope_key(None, category))]
    order += [(centre, scope_key(None, category)) for centre in centres]
    order += [(tenant_id, scope_key(None, None))]
    order += [(centre, scope_key(None, None)) for centre in centres]
    rows = session.execute(
        select(ActionPlan)
        .where(ActionPlan.tenant_id.in_(sorted({tenant for tenant, _ in order})))
        .where(ActionPlan.scope_key.in_(sorted({key for _, key in order})))
        .where(ActionPlan.current_version_id.is_not(None))
    ).scalars()
    found = {(plan.tenant_id, plan.scope_key): plan for plan in rows}
    return next((found[place] for place in order if place in found), None)


def pinned_version(session: Session, activation: Activation) -> PlanVersion | None:
    """The version an activation is pinned to, if any."""
    if activation.plan_version_id is None:
        return None
    return session.get(PlanVersion, activation.plan_version_id)


def plan_for(
    session: Session,
    activation: Activation,
    *,
    notifier: Notifier | None = None,
    translate: Translate = _same,
) -> PlanVersion | None:
    """The plan version an activation follows, pinning the current one if none is yet.

    With a ``notifier``, the plan's manager notices that were never attempted are sent
    now (the first time an operator opens the activation); see
    :func:`send_parallel_notices`.
    """
    version = pinned_version(session, activation)
    if version is None and activation.plan_version_id is None:
        plan = resolve(session, activation.tenant_id, activation.site_id, activation.category)
        version = current_version(session, plan) if plan is not None else None
        if version is not None:
            activation.plan_version_id = version.id
            session.flush()
    if version is not None and notifier is not None:
        send_parallel_notices(session, activation, notifier, translate=translate)
    return version


# --- steps done ------------------------------------------------------------------------------


@dataclass(slots=True)
class StepState:
    """One step of an activation's plan and what has been done about it."""

    index: int
    step: Step
    done: ActivationEntry | None = None
    failed: ActivationEntry | None = None
    history: list[ActivationEntry] = field(default_factory=list)

    @property
    def is_done(self) -> bool:
        """Whether the step has been done (a failed send does not count)."""
        return self.done is not None


def _entries(session: Session, activation_id: uuid.UUID) -> list[ActivationEntry]:
    return list(
        session.execute(
            select(ActivationEntry)
            .where(ActivationEntry.activation_id == activation_id)
            .where(ActivationEntry.kind.in_((STEP_DONE, STEP_FAILED)))
            .order_by(ActivationEntry.at, ActivationEntry.id)
        ).scalars()
    )


def step_states(
    session: Session, activation: Activation, version: PlanVersion | None
) -> list[StepState]:
    """Every step of the version, in order, with its latest done and failed entries."""
    states = [StepState(index, step) for index, step in enumerate(steps_of(version))]
    by_key = {state.step.key: state for state in states}
    for entry in _entries(session, activation.id):
        state = by_key.get(str(entry.data.get("key", "")))
        if state is None:
            continue
        state.history.append(entry)
        if entry.kind == STEP_DONE:
            state.done = entry
        else:
            state.failed = entry
    return states


def missing_mandatory(session: Session, activation: Activation) -> list[Step]:
    """The mandatory steps of the activation's plan not done yet (pins the plan first)."""
    version = plan_for(session, activation)
    return [
        s.step
        for s in step_states(session, activation, version)
        if s.step.mandatory and not s.is_done
    ]


def close_guard(session: Session, activation: Activation) -> list[str]:
    """The close guard: one objection per mandatory step not done, each the step's
    instruction (the caller shows it as :data:`MANDATORY_NOT_DONE` in the reader's
    language)."""
    return [step.instruction for step in missing_mandatory(session, activation)]


def _open_activation(session: Session, actor: Actor, activation_id: uuid.UUID) -> Activation:
    activation = visible_activation(session, actor, activation_id, OPERATE, for_update=True)
    if activation.state is ActivationState.CLOSED:
        raise Conflict("activation: it is closed", field="activation", rule="closed")
    return activation


def _state(session: Session, activation: Activation, index: int) -> StepState:
    states = step_states(session, activation, plan_for(session, activation))
    if not 0 <= index < len(states):
        raise NotFound(f"step: the plan has no step {index + 1}", field="step")
    return states[index]


def _log(
    session: Session,
    activation: Activation,
    state: StepState,
    kind: str,
    *,
    actor: Actor | None,
    text: str,
    data: dict[str, Any],
) -> ActivationEntry:
    entry = ActivationEntry(
        id=uuid.uuid4(),
        activation_id=activation.id,
        at=utcnow(),
        kind=kind,
        actor_id=actor.id if actor else None,
        actor_name=(actor.name if actor else AUTOMATIC)[:200],
        text=text[:2000],
        data={
            "step": state.index,
            "key": state.step.key,
            "step_kind": state.step.kind.value,
            "plan_version_id": str(activation.plan_version_id),
            **data,
        },
    )
    session.add(entry)
    record(
        session,
        action=f"activation.{kind}",
        object_type="activation",
        object_id=activation.id,
        object_text=activation.title,
        tenant_id=activation.tenant_id,
        after=dict(entry.data),
        actor=actor,
    )
    return entry


def _published(session: Session, activation: Activation) -> None:
    activation.version += 1
    feed.publish(session, [(activation, feed.UPDATED)])


def complete_step(
    session: Session,
    actor: Actor,
    activation_id: uuid.UUID,
    index: int,
    outcome: str,
    note: str = "",
) -> ActivationEntry:
    """Record a step of the activation's plan as done (``index`` from 0)."""
    activation = _open_activation(session, actor, activation_id)
    chosen = Outcome(outcome)
    if chosen is Outcome.FAILED:
        raise InvalidInput("outcome: failed is recorded by stadsvakt", field="outcome", rule="enum")
    state = _state(session, activation, index)
    entry = _log(
        session,
        activation,
        state,
        STEP_DONE,
        actor=actor,
        text=note,
        data={"outcome": chosen.value, "note": note},
    )
    _published(session, activation)
    return entry


@dataclass(frozen=True, slots=True)
class Sent:
    """What sending a step did: the entry logged, and whether it went out."""

    entry: ActivationEntry
    ok: bool


def send_step(
    session: Session,
    actor: Actor,
    activation_id: uuid.UUID,
    index: int,
    notifier: Notifier,
    *,
    translate: Translate = _same,
) -> Sent:
    """Send a notify step's message now; the outcome (sent, or failed with the reason) is
    logged on the timeline. A failure never raises."""
    activation = _open_activation(session, actor, activation_id)
    state = _state(session, activation, index)
    if not state.step.sends:
        raise InvalidInput("step: this step sends nothing", field="step", rule="not_sending")
    sent = _send(session, activation, state, notifier, actor=actor, translate=translate)
    _published(session, activation)
    return sent


def send_parallel_notices(
    session: Session, activation: Activation, notifier: Notifier, *, translate: Translate = _same
) -> list[Sent]:
    """Send every manager notice (notify in parallel) of the activation's plan that was
    never attempted: done automatically the first time an operator opens it. A notice
    that failed stays failed until an operator sends it again."""
    if activation.state is ActivationState.CLOSED:
        return []
    version = pinned_version(session, activation)
    pending = [
        state
        for state in step_states(session, activation, version)
        if state.step.kind is StepKind.NOTIFY_MANAGER_PARALLEL and not state.history
    ]
    if not pending:
        return []
    done = [
        _send(session, activation, state, notifier, actor=None, translate=translate)
        for state in pending
    ]
    _published(session, activation)
    return done


def _recipients(session: Session, activation: Activation, step: Step) -> list[str]:
    explicit = step.recipient_list()
    if explicit:
        return explicit
    if activation.site_id is None:
        return []
    roles = {role.value for role in step.contact_roles()}
    contacts = [
        c for c in site_contacts(session, activation.site_id) if not roles or c.role in roles
    ]
    wanted = [c.email if step.channel is Channel.EMAIL else c.phone for c in contacts]
    return [value for value in wanted if value]


def _message(session: Session, activation: Activation, step: Step, translate: Translate) -> str:
    if step.message:
        return step.message
    site = session.get(Site, activation.site_id) if activation.site_id else None
    when = activation.opened_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M %Z")
    return translate(_BODY) % {
        # The event in Swedish from the code tables: the people notified are in Sweden.
        "title": activation_title(session, activation, "sv"),
        "site": site.name if site else "–",
        "address": f"{site.street}, {site.city}" if site else "–",
        "time": when,
    }


def _send(
    session: Session,
    activation: Activation,
    state: StepState,
    notifier: Notifier,
    *,
    actor: Actor | None,
    translate: Translate,
) -> Sent:
    step = state.step
    to = _recipients(session, activation, step)
    body = _message(session, activation, step, translate)
    try:
        if not to:
            raise NotifyError(NO_RECIPIENTS)
        if step.channel is Channel.EMAIL:
            title = activation_title(session, activation, "sv")
            notifier.send_email(to, translate(_SUBJECT) % {"title": title}, body)
        else:
            about = About(activation.tenant_id, activation.id, actor.name if actor else AUTOMATIC)
            for number in to:
                notifier.send_sms(number, body, about)
    except NotifyError as exc:
        data = {"code": exc.code, "detail": exc.detail, "channel": step.channel.value, "to": to}
        entry = _log(session, activation, state, STEP_FAILED, actor=actor, text=body, data=data)
        return Sent(entry, ok=False)
    data = {"outcome": Outcome.SENT.value, "note": "", "channel": step.channel.value, "to": to}
    entry = _log(session, activation, state, STEP_DONE, actor=actor, text=body, data=data)
    return Sent(entry, ok=True)


guards.register(close_guard)
