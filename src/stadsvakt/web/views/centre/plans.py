"""The safety centre's pages for action plans, site contacts and the demo SMS log.

* ``/centre/plans``: every plan (the centre's defaults, then per site); a new one.
* ``/centre/plans/{id}``: a plan's steps and version history; for ``centre.admin`` the
  editor: add, change, move and remove steps, each change saved as a new version.
* ``/centre/plans/{id}/versions/{n}``: an earlier version, and restoring it.
* ``/centre/sites/{site_id}/contacts``, ``/centre/contacts/{id}``: a site's contacts and
  keyholders in call order, with the hours they may be called.
* ``/centre/activations/{id}/plan``: an activation's plan alone; its forms (step done,
  send) are also on the activation page, through the panel registered here.
* ``/centre/sms``: the messages the demo SMS notifier kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.api.deps import ServicesDep, SessionDep, writes_on_read
from stadsvakt.auth.scope import subtree_ids
from stadsvakt.centre import contacts as contact_service
from stadsvakt.centre.models import Activation, ActivationState
from stadsvakt.centre.notify import NO_RECIPIENTS, NOT_CONFIGURED, SEND_FAILED, notifier_for
from stadsvakt.centre.plans import service
from stadsvakt.centre.plans.models import ActionPlan, SentSms, SiteContact
from stadsvakt.centre.plans.schemas import ContactIn, ContactUpdate, PlanIn, StepIn
from stadsvakt.centre.plans.steps import (
    CHOSEN_OUTCOMES,
    Channel,
    ContactRole,
    PoliceNumber,
    Step,
    StepKind,
    UnitType,
)
from stadsvakt.centre.tenancy import restrict, visible_activation, visible_tenants
from stadsvakt.db import utcnow
from stadsvakt.errors import DomainError
from stadsvakt.org.models import Site
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, safe_next, see_other
from stadsvakt.web.forms import N_, FormErrors, from_validation
from stadsvakt.web.views.alarms import CATEGORIES
from stadsvakt.web.views.centre import panels

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)

KINDS: dict[str, str] = {
    StepKind.CALL: N_("Call contacts"),
    StepKind.DISPATCH: N_("Dispatch a unit"),
    StepKind.NOTIFY: N_("Send a notice"),
    StepKind.POLICE: N_("Call the police"),
    StepKind.HOME_CARE: N_("Alert the home-care team"),
    StepKind.NOTIFY_MANAGER_PARALLEL: N_("Notify the manager at once (in parallel)"),
}
ROLES: dict[str, str] = {
    ContactRole.OWNER: N_("Owner"),
    ContactRole.KEYHOLDER: N_("Keyholder"),
    ContactRole.CARETAKER: N_("Caretaker"),
    ContactRole.MANAGER: N_("Manager"),
    ContactRole.STAFF: N_("Staff"),
    ContactRole.OTHER: N_("Other"),
}
UNIT_TYPES: dict[str, str] = {
    UnitType.GUARD: N_("Guard (väktare)"),
    UnitType.SECURITY_OFFICER: N_("Security officer (ordningsvakt)"),
    UnitType.SAFETY_HOST: N_("Safety host (trygghetsvärd)"),
    UnitType.HOME_CARE: N_("Home-care responder"),
}
CHANNELS: dict[str, str] = {Channel.EMAIL: N_("E-mail"), Channel.SMS: N_("SMS")}
NUMBERS: dict[str, str] = {
    PoliceNumber.EMERGENCY: N_("112 (emergency)"),
    PoliceNumber.NON_EMERGENCY: N_("114 14 (non-emergency)"),
}
OUTCOMES: dict[str, str] = {
    "reached": N_("Reached"),
    "not_reached": N_("Not reached"),
    "sent": N_("Sent"),
    "done": N_("Done"),
}
FAILURES: dict[str, str] = {
    NOT_CONFIGURED: N_("Sending is not configured."),
    NO_RECIPIENTS: N_("No recipient: the step names none, and no contact has an address."),
    SEND_FAILED: N_("The message could not be sent."),
}
DAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
STEP_FIELDS = (
    "kind",
    "instruction",
    "mandatory",
    "unit_type",
    "company",
    "channel",
    "recipients",
    "message",
    "number",
    "script",
    "team",
)
CONTACT_FIELDS = ("name", "role", "phone", "email", "windows", "notes")
#: What a version changed (stored as ``verb:argument`` by the editor), as people read it.
CHANGES: dict[str, str] = {
    "add": N_("Added a step"),
    "save": N_("Changed step %(number)s"),
    "up": N_("Moved step %(number)s up"),
    "down": N_("Moved step %(number)s down"),
    "remove": N_("Removed step %(number)s"),
    "restore": N_("Restored version %(number)s"),
}
DONE_MESSAGES: dict[str, str] = {
    "created": N_("The plan has been created. Add its steps."),
    "saved": N_("Saved as a new version."),
    "contact": N_("The contact has been saved."),
    "removed": N_("The contact has been removed."),
}


def _labels(page: Page, table: Mapping[str, str]) -> dict[str, str]:
    return {key: page._(text) for key, text in table.items()}


def _change_text(page: Page, note: str) -> str:
    """A version's note: the editor's change in the page's language, else as written."""
    verb, _, number = note.partition(":")
    if verb in CHANGES and (number.isdigit() or (verb == "add" and not number)):
        return page._(CHANGES[verb]) % {"number": number}
    return note


def _day_names(page: Page) -> list[str]:
    return [page._(day) for day in DAYS]


def _site_names(session: Session, page: Page, permission: str = "centre.read") -> dict[str, str]:
    """The sites the actor sees as centre staff, by id (for choices and plan names)."""
    assert page.actor is not None
    stmt = select(Site.id, Site.name).order_by(Site.name).limit(2000)
    tenants = visible_tenants(session, page.actor)
    if tenants is not None:
        stmt = stmt.where(Site.tenant_id.in_(sorted(tenants)))
    units = page.actor.scope(permission)
    if units is not None:
        stmt = stmt.where(Site.org_unit_id.in_(subtree_ids(units)))
    return {str(site_id): name for site_id, name in session.execute(stmt)}


def _common(page: Page) -> dict[str, Any]:
    return {
        "nav": "centre",
        "centre_nav": "plans",
        "kinds": _labels(page, KINDS),
        "roles": _labels(page, ROLES),
        "unit_types": _labels(page, UNIT_TYPES),
        "channels": _labels(page, CHANNELS),
        "numbers": _labels(page, NUMBERS),
        "categories": _labels(page, CATEGORIES),
        "day_names": _day_names(page),
        "format_windows": contact_service.format_windows,
    }


# --- the list of plans -----------------------------------------------------------------------


@router.get("/centre/plans")
def plans_page(page: PageDep, session: SessionDep, done: str = "") -> Response:
    """Every plan the actor sees: the centre's defaults, then per site."""
    assert page.actor is not None
    plans = service.list_plans(session, page.actor)
    current = {
        plan.id: service.current_version(session, plan) for plan in plans
    }  # a handful per site
    context = {
        **_common(page),
        "plans": plans,
        "current": current,
        "sites": _site_names(session, page),
        "may_edit": page.can("centre.admin"),
        "errors": FormErrors(),
        "values": {},
        "done": page._(DONE_MESSAGES[done]) if done in DONE_MESSAGES else "",
    }
    return page.render("centre/plans.html", context)


@router.post("/centre/plans", dependencies=[needs("centre.admin")])
def create_plan(page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Start a plan for a site (or the centre) and category (or all); then add steps."""
    assert page.actor is not None
    values = {"site_id": form.get("site_id", ""), "category": form.get("category", "")}
    try:
        data = PlanIn.model_validate(
            {
                "site_id": values["site_id"] or None,
                "category": values["category"] or None,
                "steps": [],
            },
            context=FORM_TEXT,
        )
        plan = service.create_plan(session, page.actor, data, with_version=False)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status not in (404, 409, 422):
            raise
        session.rollback()
        errors = FormErrors()
        if isinstance(exc, ValidationError):
            errors = from_validation(exc, ("site_id", "category"), page._)
        elif exc.status == 409:
            errors.add("category", page._("This site and category already have a plan."), ())
        else:
            errors.add("site_id", page._("Choose a site you administer."), ("site_id",))
        plans = service.list_plans(session, page.actor)
        context = {
            **_common(page),
            "plans": plans,
            "current": {plan.id: service.current_version(session, plan) for plan in plans},
            "sites": _site_names(session, page),
            "may_edit": True,
            "errors": errors,
            "values": values,
            "done": "",
        }
        return page.render("centre/plans.html", context, status=exc_status(exc))
    return see_other(f"/centre/plans/{plan.id}?done=created")


def exc_status(exc: Exception) -> int:
    """The status a refused form answers with."""
    return exc.status if isinstance(exc, DomainError) else 422


# --- one plan: its steps, editor and versions ------------------------------------------------


def _plan_title(page: Page, plan: ActionPlan, sites: Mapping[str, str]) -> str:
    where = (
        sites.get(str(plan.site_id), page._("A site")) if plan.site_id else page._("Centre default")
    )
    what = (
        page._(CATEGORIES[plan.category])
        if plan.category in CATEGORIES
        else (plan.category or page._("All categories"))
    )
    return f"{where} – {what}"


def _step_values(step: Step | None) -> dict[str, str]:
    if step is None:
        return {"kind": "call", "channel": "email", "number": "112"}
    data = step.to_json()
    values = {name: "" if data.get(name) is None else str(data[name]) for name in STEP_FIELDS}
    values["mandatory"] = "on" if step.mandatory else ""
    for role in step.roles:
        values[f"role_{role.value}"] = "on"
    return values


def _render_plan(
    page: Page,
    session: Session,
    plan: ActionPlan,
    *,
    editing: int | None = None,
    values: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    done: str = "",
    status: int = 200,
) -> Response:
    current = service.current_version(session, plan)
    steps = service.steps_of(current)
    sites = _site_names(session, page)
    edited = steps[editing] if editing is not None and 0 <= editing < len(steps) else None
    context = {
        **_common(page),
        "plan": plan,
        "title": _plan_title(page, plan, sites),
        "current": current,
        "steps": steps,
        "versions": service.versions(session, plan),
        "change_text": lambda note: _change_text(page, note),
        "may_edit": page.can("centre.admin"),
        "editing": editing if edited is not None else None,
        "values": values if values is not None else _step_values(edited),
        "errors": errors or FormErrors(),
        "done": page._(DONE_MESSAGES[done]) if done in DONE_MESSAGES else "",
    }
    return page.render("centre/plans_plan.html", context, status=status)


@router.get("/centre/plans/{plan_id}")
def plan_page(
    plan_id: uuid.UUID, page: PageDep, session: SessionDep, edit: int = 0, done: str = ""
) -> Response:
    """A plan's current steps and version history; the editor for centre admins
    (``?edit=n`` opens step n's form)."""
    assert page.actor is not None
    plan = service.get_plan(session, page.actor, plan_id)
    return _render_plan(page, session, plan, editing=edit - 1 if edit else None, done=done)


def _step_from_form(form: Mapping[str, str], key: str) -> Step:
    data: dict[str, Any] = {name: form.get(name, "").strip() for name in STEP_FIELDS}
    data["mandatory"] = form.get("mandatory") == "on"
    data["roles"] = [role.value for role in ContactRole if form.get(f"role_{role.value}") == "on"]
    data["key"] = key
    if not data["unit_type"]:
        data["unit_type"] = None
    for name in ("channel", "number"):
        if not data[name]:
            data.pop(name)
    return service.step_from_input(StepIn.model_validate(data, context=FORM_TEXT))


@router.post("/centre/plans/{plan_id}", dependencies=[needs("centre.admin")])
def edit_plan(plan_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """One change to the plan, saved as its next version: ``action`` is ``add``,
    ``save:n`` (step n changed), ``up:n``, ``down:n``, ``remove:n`` or ``restore:v``."""
    assert page.actor is not None
    plan = service.get_plan(session, page.actor, plan_id, service.ADMIN)
    steps = service.steps_of(service.current_version(session, plan))
    verb, _, argument = form.get("action", "").partition(":")
    index = int(argument) - 1 if argument.isdigit() else -1
    editing = index if verb == "save" else None
    try:
        if verb == "add":
            steps.append(_step_from_form(form, ""))
        elif verb == "save" and 0 <= index < len(steps):
            steps[index] = _step_from_form(form, steps[index].key)
        elif verb in ("up", "down") and 0 <= index < len(steps):
            other = index - 1 if verb == "up" else index + 1
            if 0 <= other < len(steps):
                steps[index], steps[other] = steps[other], steps[index]
        elif verb == "remove" and 0 <= index < len(steps):
            del steps[index]
        elif verb == "restore" and argument.isdigit():
            steps = service.steps_of(service.get_version(session, plan, int(argument)))
        else:
            return _render_plan(page, session, plan, status=400)
    except ValidationError as exc:
        errors = from_validation(exc, STEP_FIELDS, page._)
        return _render_plan(
            page, session, plan, editing=editing, values=form, errors=errors, status=422
        )
    note = f"{verb}:{argument}" if verb != "add" else "add"
    service.save_steps(session, page.actor, plan.id, [replace(s) for s in steps], note)
    anchor = f"#step-{index + 1}" if verb in ("up", "down", "save") else ""
    return see_other(f"/centre/plans/{plan.id}?done=saved{anchor}")


@router.get("/centre/plans/{plan_id}/versions/{number}")
def version_page(plan_id: uuid.UUID, number: int, page: PageDep, session: SessionDep) -> Response:
    """An earlier (or the current) version of a plan, as it was."""
    assert page.actor is not None
    plan = service.get_plan(session, page.actor, plan_id)
    version = service.get_version(session, plan, number)
    context = {
        **_common(page),
        "plan": plan,
        "title": _plan_title(page, plan, _site_names(session, page)),
        "version": version,
        "steps": service.steps_of(version),
        "is_current": version.id == plan.current_version_id,
        "may_edit": page.can("centre.admin"),
    }
    return page.render("centre/plans_version.html", context)


# --- site contacts ---------------------------------------------------------------------------


def _contact_values(contact: SiteContact | None, page: Page) -> dict[str, str]:
    if contact is None:
        return {"role": "keyholder"}
    return {
        "name": contact.name,
        "role": contact.role,
        "phone": contact.phone,
        "email": contact.email,
        "windows": contact_service.format_windows(contact.windows or [], _day_names(page)),
        "notes": contact.notes,
    }


def _render_contacts(
    page: Page,
    session: Session,
    site: Site,
    *,
    values: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    done: str = "",
    status: int = 200,
) -> Response:
    assert page.actor is not None
    rows = contact_service.site_contacts(session, site.id)
    now = utcnow()
    context = {
        **_common(page),
        "site": site,
        "contacts": rows,
        "callable_ids": {c.id for c in contact_service.callable_at(rows, now)},
        "may_edit": page.can("centre.admin"),
        "values": values if values is not None else _contact_values(None, page),
        "errors": errors or FormErrors(),
        "done": page._(DONE_MESSAGES[done]) if done in DONE_MESSAGES else "",
    }
    return page.render("centre/plans_contacts.html", context, status=status)


@router.get("/centre/sites/{site_id}/contacts")
def contacts_page(
    site_id: uuid.UUID, page: PageDep, session: SessionDep, done: str = ""
) -> Response:
    """A site's contacts and keyholders in call order, who may be called now, and (for
    centre admins) a form to add one."""
    assert page.actor is not None
    site = contact_service.visible_site(session, page.actor, site_id, "centre.read")
    return _render_contacts(page, session, site, done=done)


def _contact_input(form: Mapping[str, str]) -> dict[str, Any]:
    """Contact input from the form; the windows text is parsed (ValueError if unreadable)."""
    data: dict[str, Any] = {name: form.get(name, "").strip() for name in CONTACT_FIELDS}
    data["windows"] = contact_service.parse_windows(data["windows"])
    return data


def _windows_error(page: Page) -> FormErrors:
    errors = FormErrors()
    errors.add(
        "windows",
        page._("Write the hours as for example: mon-fri 07:00-17:00; sat 10-14"),
        CONTACT_FIELDS,
    )
    return errors


@router.post("/centre/sites/{site_id}/contacts", dependencies=[needs("centre.admin")])
def add_contact(site_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Add a contact last in the site's call order."""
    assert page.actor is not None
    site = contact_service.visible_site(session, page.actor, site_id, "centre.admin")
    try:
        data = ContactIn.model_validate(_contact_input(form), context=FORM_TEXT)
    except ValidationError as exc:
        errors = from_validation(exc, CONTACT_FIELDS, page._)
        return _render_contacts(page, session, site, values=form, errors=errors, status=422)
    except ValueError:
        return _render_contacts(
            page, session, site, values=form, errors=_windows_error(page), status=422
        )
    contact_service.create_contact(session, page.actor, site.id, data)
    return see_other(f"/centre/sites/{site.id}/contacts?done=contact")


def _render_contact(
    page: Page,
    session: Session,
    contact: SiteContact,
    *,
    values: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    site = session.get(Site, contact.site_id)
    context = {
        **_common(page),
        "site": site,
        "contact": contact,
        "values": values if values is not None else _contact_values(contact, page),
        "errors": errors or FormErrors(),
    }
    return page.render("centre/plans_contact.html", context, status=status)


@router.get("/centre/contacts/{contact_id}")
def contact_page(contact_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """The form to change one contact."""
    assert page.actor is not None
    contact = contact_service.get_contact(session, page.actor, contact_id, "centre.admin")
    return _render_contact(page, session, contact)


@router.post("/centre/contacts/{contact_id}", dependencies=[needs("centre.admin")])
def change_contact(
    contact_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep
) -> Response:
    """Change a contact (``action=save``), move it (``up``, ``down``) or remove it."""
    assert page.actor is not None
    contact = contact_service.get_contact(session, page.actor, contact_id, "centre.admin")
    site_id, action = contact.site_id, form.get("action", "save")
    back = f"/centre/sites/{site_id}/contacts"
    if action == "remove":
        contact_service.delete_contact(session, page.actor, contact.id)
        return see_other(f"{back}?done=removed")
    if action in ("up", "down"):
        position = max(1, contact.position + (-1 if action == "up" else 1))
        update = ContactUpdate(position=position)
        contact_service.update_contact(session, page.actor, contact.id, update)
        return see_other(f"{back}#contact-{contact.id}")
    try:
        data = ContactUpdate.model_validate(_contact_input(form), context=FORM_TEXT)
    except ValidationError as exc:
        errors = from_validation(exc, CONTACT_FIELDS, page._)
        return _render_contact(page, session, contact, values=form, errors=errors, status=422)
    except ValueError:
        return _render_contact(
            page, session, contact, values=form, errors=_windows_error(page), status=422
        )
    contact_service.update_contact(session, page.actor, contact.id, data)
    return see_other(f"{back}?done=contact")


# --- an activation's plan --------------------------------------------------------------------


def plan_context(
    session: Session, page: Page, activation: Activation, *, send_notices: bool = True
) -> dict[str, Any]:
    """What ``centre/_plan.html`` shows for an activation: pins the plan (and sends its
    manager notices the first time an operator opens it)."""
    notifier = None
    if (
        send_notices
        and page.can("centre.operate")
        and activation.state is not ActivationState.CLOSED
    ):
        services = page.request.app.state.services
        notifier = notifier_for(services.settings.centre, session)
    version = service.plan_for(session, activation, notifier=notifier, translate=page._)
    states = service.step_states(session, activation, version)
    contacts = (
        contact_service.site_contacts(session, activation.site_id) if activation.site_id else []
    )
    now = utcnow()
    callable_ids = {contact.id for contact in contact_service.callable_at(contacts, now)}
    by_step = {
        state.index: [
            c
            for c in contacts
            if c.id in callable_ids
            and (
                not state.step.contact_roles()
                or c.role in {r.value for r in state.step.contact_roles()}
            )
        ]
        for state in states
    }
    return {
        **_common(page),
        "plan_version": version,
        "plan_states": states,
        "plan_callable": by_step,
        "plan_outcomes": [(o.value, page._(OUTCOMES[o.value])) for o in CHOSEN_OUTCOMES],
        "plan_outcome_labels": _labels(page, OUTCOMES),
        "plan_failures": _labels(page, FAILURES),
        "plan_may_act": page.can("centre.operate")
        and activation.state is not ActivationState.CLOSED,
        "plan_next": page.request.url.path,
        "contacts": contacts,
        "callable_ids": callable_ids,
        "site_id": activation.site_id,
    }


def plan_panel(session: Session, page: Page, activation: Activation) -> panels.Part:
    """The action plan on the activation page."""
    return panels.Part("centre/_plan.html", plan_context(session, page, activation), order=20)


panels.register(plan_panel)


@router.get("/centre/activations/{activation_id}/plan")
@writes_on_read
def activation_plan_page(activation_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """An activation's action plan on its own page (the same part as on the activation's)."""
    assert page.actor is not None
    activation = visible_activation(session, page.actor, activation_id)
    context = {**plan_context(session, page, activation), "activation": activation}
    return page.render("centre/plans_activation.html", context)


def _back(form: Mapping[str, str], activation_id: uuid.UUID, number: int) -> str:
    target = safe_next(form.get("next"), f"/centre/activations/{activation_id}")
    return f"{target}#plan-step-{number}"


@router.post(
    "/centre/activations/{activation_id}/plan/steps/{number}",
    dependencies=[needs("centre.operate")],
)
def step_done(
    activation_id: uuid.UUID, number: int, page: PageDep, session: SessionDep, form: FormDep
) -> Response:
    """Record a step as done with its outcome and note; back to the page it came from."""
    assert page.actor is not None
    outcome = form.get("outcome", "")
    if outcome not in OUTCOMES:
        outcome = "done"
    note = form.get("note", "").strip()[:1000]
    service.complete_step(session, page.actor, activation_id, number - 1, outcome, note)
    return see_other(_back(form, activation_id, number))


@router.post(
    "/centre/activations/{activation_id}/plan/steps/{number}/send",
    dependencies=[needs("centre.operate")],
)
def step_send(
    activation_id: uuid.UUID,
    number: int,
    page: PageDep,
    session: SessionDep,
    services: ServicesDep,
    form: FormDep,
) -> Response:
    """Send a notify step's e-mail or SMS; its outcome (or failure) shows on the page."""
    assert page.actor is not None
    notifier = notifier_for(services.settings.centre, session)
    service.send_step(session, page.actor, activation_id, number - 1, notifier, translate=page._)
    return see_other(_back(form, activation_id, number))


# --- the demo SMS log ------------------------------------------------------------------------


@router.get("/centre/sms")
def sms_page(page: PageDep, session: SessionDep) -> Response:
    """The messages the demo SMS notifier kept instead of sending, newest first."""
    assert page.actor is not None
    stmt = restrict(select(SentSms), session, page.actor, "centre.read", model=SentSms)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.execute(stmt.order_by(SentSms.sent_at.desc()).limit(200)).scalars())
    context = {"nav": "centre", "centre_nav": "", "messages": rows, "total": total}
    return page.render("centre/sms.html", context)
