"""The activation page (larmärende): everything an operator needs to handle one activation.

``GET /centre/activations/{id}`` shows the header (category, event text, priority,
state, who holds it, municipality, site), the timeline in Swedish time, the site
panel, every part other features register (:mod:`stadsvakt.web.views.centre.panels`:
action plan, cameras, dispatch) and the actions as plain forms. Each action posts to
``/centre/activations/{id}/<action>`` with the version the page showed; a refusal
(someone else holds it, the page is stale, mandatory steps are left) draws the page
again with the current state and the reason in the operator's language.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Alarm
from stadsvakt.api.deps import SessionDep, writes_on_read
from stadsvakt.centre import handling
from stadsvakt.centre.handling import HeldByOther, NotClosable, StaleVersion, WrongState
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationState, Cause
from stadsvakt.centre.site_info import add_site_note, site_info
from stadsvakt.centre.texts import alarm_text, cause_label, entry_label, labels
from stadsvakt.db import utcnow
from stadsvakt.errors import DomainError, InvalidInput
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import N_, FormErrors
from stadsvakt.web.localtime import STOCKHOLM, local_time, to_local
from stadsvakt.web.views.centre import panels

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
URL = "/centre/activations/{id}"
#: The form fields of every action (an error names one of them, or the whole page).
FIELDS = ("reason", "until", "to", "handover_note", "escalate_note", "text", "cause", "note")
#: What the page says after each action succeeded.
DONE: dict[str, str] = {
    "claim": N_("You have claimed the activation."),
    "release": N_("The activation is back in the queue."),
    "hold": N_("The activation is on hold."),
    "handover": N_("The activation has been handed over."),
    "escalate": N_("The activation has been escalated to the shift leader."),
    "note": N_("The note has been added."),
    "close": N_("The activation is closed."),
    "site_note": N_("The site note has been saved."),
}
#: Timeline entries the code tables do not name.
ENTRY_LABELS: dict[str, str] = {
    "returned": N_("Back in the queue after its hold"),
    "offer_withdrawn": N_("Offer withdrawn"),
}
#: A service's refusal (by its rule) as the operator reads it, with the field it concerns.
RULES: dict[tuple[str, str], str] = {
    ("reason", "required"): N_("Write why the activation is put on hold."),
    ("reason", "max_length"): N_("The reason is too long (at most 500 characters)."),
    ("until", "future"): N_("Choose a time in the future."),
    ("until", "max_hold"): N_("An activation can be on hold for at most 7 days."),
    ("until", "timezone"): N_("Write the time as YYYY-MM-DD HH:MM (Swedish time)."),
    ("until", "format"): N_("Write the time as YYYY-MM-DD HH:MM (Swedish time)."),
    ("to", "centre_staff"): N_("Choose an operator of this centre."),
    ("to", "other_operator"): N_("The activation is already with that operator."),
    ("escalate_note", "required"): N_("Write why you escalate the activation."),
    ("text", "required"): N_("Write the note."),
    ("note", "required"): N_("A false alarm or a cancellation needs a note saying why."),
    ("cause", "required"): N_("Choose a cause."),
}
STATE_RULES: dict[str, str] = {
    "closed": N_("The activation is already closed."),
    "not_claimed": N_("Claim the activation first."),
}
HOLD_CHOICES = (15, 30, 60)


def _action_url(activation: Activation, action: str) -> str:
    return URL.format(id=activation.id) + "/" + action


def _alarms(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, Alarm]:
    if not ids:
        return {}
    rows = session.execute(select(Alarm).where(Alarm.id.in_(sorted(ids)))).scalars()
    return {row.id: row for row in rows}


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One timeline line as the page shows it."""

    at: datetime
    kind: str
    label: str
    actor: str
    detail: str


def _detail(page: Page, entry: ActivationEntry, alarm: Alarm | None) -> str:
    """What a timeline line says beyond its kind, in the page's language."""
    data = entry.data or {}
    parts: list[str] = []
    if alarm is not None:
        parts.append(alarm_text(alarm, page.lang))
        if data.get("zone") is not None:
            parts.append(f"{page._('zone')} {data['zone']}")
        return " – ".join(parts)
    if entry.kind == "closed" and data.get("cause"):
        parts.append(cause_label(str(data["cause"]), page.lang))
    if entry.kind == "held" and data.get("until"):
        until = datetime.fromisoformat(str(data["until"]))
        parts.append(f"{page._('until')} {local_time(until)}")
    if entry.kind in ("handed_over", "offered") and data.get("to"):
        parts.append(f"{page._('to')} {data['to']}")
    if entry.kind == "released" and data.get("holder"):
        parts.append(str(data["holder"]))
    if entry.text:
        parts.append(entry.text)
    return " – ".join(parts)


def _timeline(
    page: Page, entries: list[ActivationEntry], alarms: Mapping[uuid.UUID, Alarm]
) -> list[TimelineRow]:
    rows = []
    for entry in entries:
        alarm = alarms.get(entry.alarm_id) if entry.alarm_id is not None else None
        own = ENTRY_LABELS.get(entry.kind)
        rows.append(
            TimelineRow(
                at=entry.at,
                kind=entry.kind,
                label=page._(own) if own else entry_label(entry.kind, page.lang),
                actor=entry.actor_name,
                detail=_detail(page, entry, alarm),
            )
        )
    return rows


def _part_html(page: Page, base: Mapping[str, Any], part: panels.Part) -> Markup:
    """One registered part, rendered with the page's context plus its own."""
    template = page.web.templates.env.get_template(part.template)
    return Markup(template.render({**base, **part.context}))  # noqa: S704 (autoescaped)


def _render(
    page: Page,
    session: Session,
    activation_id: uuid.UUID,
    *,
    done: str = "",
    errors: FormErrors | None = None,
    values: Mapping[str, str] | None = None,
    refusal: list[str] | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    actor = page.actor
    activation = handling.detail(session, actor, activation_id)
    entries = handling.timeline(session, activation)
    alarms = _alarms(session, {entry.alarm_id for entry in entries if entry.alarm_id})
    first_alarm = next(
        (alarms[e.alarm_id] for e in entries if e.alarm_id is not None and e.alarm_id in alarms),
        None,
    )
    holder = activation.claimed_by == actor.id and activation.state is ActivationState.CLAIMED
    lead = actor.can("centre.lead")
    operate = actor.can("centre.operate")
    staff = (
        [
            member
            for member in handling.centre_staff(session, actor.tenant_id)
            if member.id != activation.claimed_by
        ]
        if operate and actor.tenant_id is not None
        else []
    )
    now_local = to_local(utcnow()).replace(second=0, microsecond=0)
    form_values = {
        "until": (now_local + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "cause": "",
        **(values or {}),
    }
    base: dict[str, Any] = {
        "page": page,
        "lang": page.lang,
        "request": page.request,
        "translations": page.translations,
        "activation": activation,
        "version": activation.version,
        "current_path": page.request.url.path,
    }
    parts = [_part_html(page, base, part) for part in panels.parts(session, page, activation)]
    context = {
        "nav": "centre",
        "centre_nav": "queue",
        "activation": activation,
        "title_text": _title(activation, first_alarm, page.lang),
        "timeline": _timeline(page, entries, alarms),
        "site": site_info(session, activation),
        "parts": parts,
        "may_operate": operate and activation.state is not ActivationState.CLOSED,
        "is_holder": holder,
        "may_handle": holder or (lead and activation.state is not ActivationState.CLOSED),
        "may_claim": operate
        and activation.state in (ActivationState.OPEN, ActivationState.ON_HOLD),
        "is_lead": lead,
        "offered_to_me": activation.offered_to == actor.id
        and activation.state is ActivationState.OPEN,
        "staff": staff,
        "causes": labels("causes", page.lang),
        "note_required": sorted(cause.value for cause in handling.NOTE_REQUIRED),
        "hold_choices": HOLD_CHOICES,
        "done": page._(DONE[done]) if done in DONE else "",
        "errors": errors or FormErrors(),
        "refusal": refusal or [],
        "values": form_values,
        "min_until": now_local.strftime("%Y-%m-%dT%H:%M"),
    }
    return page.render("centre/activation.html", context, status=status)


def _title(activation: Activation, alarm: Alarm | None, lang: str) -> str:
    if alarm is None:
        return activation.title
    return alarm_text(alarm, lang)


@router.get("/centre/activations/{activation_id}")
@writes_on_read
def activation_page(
    activation_id: uuid.UUID, page: PageDep, session: SessionDep, done: str = ""
) -> Response:
    """The activation with its timeline, site, panels and actions."""
    return _render(page, session, activation_id, done=done[:20])


def _until(value: str) -> datetime:
    """A Swedish wall-clock time from the form (``2026-12-05T23:05`` or with a space)."""
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        raise InvalidInput("until: use YYYY-MM-DD HH:MM", field="until", rule="format") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=STOCKHOLM)
    return moment


def _version(form: Mapping[str, str]) -> int:
    value = form.get("version", "")
    return int(value) if value.isdigit() and len(value) < 10 else 0


def _cause(value: str) -> Cause:
    try:
        return Cause(value)
    except ValueError:
        raise InvalidInput("cause: choose one", field="cause", rule="required") from None


def _staff_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput("to: choose one", field="to", rule="centre_staff") from None


Action = Callable[[Session, Page, uuid.UUID, Mapping[str, str]], object]


def _run_claim(session: Session, page: Page, id_: uuid.UUID, form: Mapping[str, str]) -> object:
    assert page.actor is not None
    return handling.claim(session, page.actor, id_, version=_version(form))


def _run_release(session: Session, page: Page, id_: uuid.UUID, form: Mapping[str, str]) -> object:
    assert page.actor is not None
    return handling.release(session, page.actor, id_, version=_version(form))


def _run_hold(session: Session, page: Page, id_: uuid.UUID, form: Mapping[str, str]) -> object:
    assert page.actor is not None
    minutes = form.get("minutes", "")
    if minutes.isdigit() and int(minutes) in HOLD_CHOICES:
        until = utcnow() + timedelta(minutes=int(minutes))
    else:
        until = _until(form.get("until", ""))
    return handling.hold(
        session,
        page.actor,
        id_,
        version=_version(form),
        reason=form.get("reason", ""),
        until=until,
    )


def _run_handover(session: Session, page: Page, id_: uuid.UUID, form: Mapping[str, str]) -> object:
    assert page.actor is not None
    return handling.hand_over(
        session,
        page.actor,
        id_,
        version=_version(form),
        to=_staff_id(form.get("to", "")),
        note=form.get("handover_note", ""),
    )


def _run_escalate(session: Session, page: Page, id_: uuid.UUID, form: Mapping[str, str]) -> object:
    assert page.actor is not None
    return handling.escalate(
        session, page.actor, id_, version=_version(form), note=form.get("escalate_note", "")
    )


def _run_note(session: Session, page: Page, id_: uuid.UUID, form: Mapping[str, str]) -> object:
    assert page.actor is not None
    return handling.add_note(
        session, page.actor, id_, version=_version(form), text=form.get("text", "")
    )


def _run_close(session: Session, page: Page, id_: uuid.UUID, form: Mapping[str, str]) -> object:
    assert page.actor is not None
    return handling.close(
        session,
        page.actor,
        id_,
        version=_version(form),
        cause=_cause(form.get("cause", "")),
        note=form.get("note", ""),
    )


def _run_site_note(session: Session, page: Page, id_: uuid.UUID, form: Mapping[str, str]) -> object:
    assert page.actor is not None
    return add_site_note(session, page.actor, id_, form.get("site_note", ""))


ACTIONS: dict[str, Action] = {
    "claim": _run_claim,
    "release": _run_release,
    "hold": _run_hold,
    "handover": _run_handover,
    "escalate": _run_escalate,
    "note": _run_note,
    "close": _run_close,
    "site_note": _run_site_note,
}
#: The form field each action's ``note`` or ``text`` comes from (a service names its own).
_FIELD_OF: dict[tuple[str, str], str] = {
    ("handover", "note"): "handover_note",
    ("escalate", "note"): "escalate_note",
    ("site_note", "text"): "site_note",
}


def _refusal(page: Page, exc: DomainError, action: str) -> tuple[FormErrors, list[str]]:
    """A service's refusal as messages: field errors, and lines for the whole page."""
    errors = FormErrors()
    lines: list[str] = []
    if isinstance(exc, HeldByOther):
        name = exc.extra.get("held_by") or page._("another operator")
        lines.append(page._("%(name)s is handling this activation.") % {"name": name})
    elif isinstance(exc, StaleVersion):
        lines.append(
            page._(
                "The activation changed while you were looking at it. The page now shows "
                "its current state: check it and try again."
            )
        )
    elif isinstance(exc, NotClosable):
        lines.append(page._("The activation cannot be closed yet:"))
        lines += [page._(str(reason)) for reason in exc.extra.get("objections", [])]
    elif isinstance(exc, WrongState):
        rule = str(exc.extra.get("rule", ""))
        lines.append(page._(STATE_RULES.get(rule, N_("That is not possible now."))))
    else:
        for item in exc.extra.get("errors", []):
            named = str(item.get("field", ""))
            field = _FIELD_OF.get((action, named), named)
            rule = str(item.get("rule", ""))
            message = RULES.get((field, rule)) or RULES.get((named, rule))
            errors.add(field, page._(message) if message else str(item.get("message")), FIELDS)
        if not errors:
            lines.append(page._("That is not possible now."))
    return errors, lines


@router.post("/centre/activations/{activation_id}/{action}", dependencies=[needs("centre.operate")])
def act(
    activation_id: uuid.UUID,
    action: str,
    page: PageDep,
    session: SessionDep,
    form: FormDep,
) -> Response:
    """Do one action; back to the page with a message, or the page with the refusal."""
    run = ACTIONS.get(action)
    if run is None:
        return page.render("error.html", {"status": 404, "error": None}, status=404)
    try:
        run(session, page, activation_id, form)
    except (HeldByOther, StaleVersion, NotClosable, WrongState, InvalidInput) as exc:
        session.rollback()
        errors, lines = _refusal(page, exc, action)
        kept = {key: value for key, value in form.items() if key in FIELDS or key == "site_note"}
        return _render(
            page,
            session,
            activation_id,
            errors=errors,
            values=kept,
            refusal=lines,
            status=exc.status,
        )
    return see_other(URL.format(id=activation_id) + f"?done={action}")
