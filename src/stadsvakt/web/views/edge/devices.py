"""Edge devices in the browser: the device list with each one's status, a device's page
(doors served, revoke through a confirmation page) and enrolment codes (make one, shown
once; the unused ones with their expiry)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.api.deps import ServicesDep, SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.db import utcnow
from stadsvakt.edge.devices import service
from stadsvakt.edge.devices.models import DeviceKind, DeviceState, EdgeDevice
from stadsvakt.edge.devices.schemas import EnrolmentCodeCreate
from stadsvakt.errors import N_, DomainError, InvalidInput
from stadsvakt.org.service import site_names
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import FormErrors, from_domain, from_validation, is_form_error
from stadsvakt.web.listing import ListSpec, read_list
from stadsvakt.web.multiform import FormListsDep
from stadsvakt.web.views import pick

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
CODE_FIELDS = ("name", "kind", "site_id", "door_ids")
LIST = ListSpec(
    path="/edge/devices",
    sorts=tuple(service.DEVICE_SORTS),
    default_sort="name",
    filters={"state": tuple(s.value for s in DeviceState)},
)
#: A device's kind in words.
KIND_WORDS = {DeviceKind.EDGE_AGENT: N_("Site agent"), DeviceKind.LOCK_HUB: N_("Lock hub")}


@router.get("/edge/devices")
def list_page(page: PageDep, session: SessionDep, services: ServicesDep) -> Response:
    """Devices in the user's scope with their status: search, filter by state, sort, page."""
    assert page.actor is not None
    state = read_list(page.request.query_params, LIST)
    wanted = state.filters["state"]
    devices, total = service.list_devices(
        session,
        page.actor,
        limit=state.size,
        offset=state.offset,
        q=state.q or None,
        state=DeviceState(wanted) if wanted else None,
        order=state.order,
    )
    context = {
        "nav": "edge",
        "listing": state.result(devices, total),
        "sites": site_names(session, page.actor, (d.site_id for d in devices)),
        **_words(services),
    }
    return page.render("edge/devices.html", context)


def _words(services: ServicesDep) -> dict[str, object]:
    online = services.settings.edge.devices.online_seconds
    now = utcnow()
    return {
        "kinds": KIND_WORDS,
        "connection": lambda device: service.connection(device.last_seen_at, now, online),
    }


def _device_context(
    page: Page, session: Session, services: ServicesDep, device: EdgeDevice
) -> dict[str, object]:
    assert page.actor is not None
    return {
        "nav": "edge",
        "device": device,
        "doors": service.door_names(session, service.doors_of(session, device.id)),
        "site_name": site_names(session, page.actor, [device.site_id]).get(device.site_id, ""),
        **_words(services),
    }


@router.get("/edge/devices/{device_id}")
def device_page(
    device_id: uuid.UUID, page: PageDep, session: SessionDep, services: ServicesDep
) -> Response:
    """One device: its status, the doors it serves, and (with the right) revocation."""
    assert page.actor is not None
    device = service.get_device(session, page.actor, device_id)
    return page.render("edge/device.html", _device_context(page, session, services, device))


@router.get("/edge/devices/{device_id}/revoke")
def revoke_confirm_page(
    device_id: uuid.UUID, page: PageDep, session: SessionDep, services: ServicesDep
) -> Response:
    """Asks before a device is revoked (revocation cannot be undone)."""
    assert page.actor is not None
    require(page.actor, service.WRITE)
    device = service.get_device(session, page.actor, device_id, service.WRITE)
    context = _device_context(page, session, services, device)
    allowed = device.state is DeviceState.ACTIVE
    return page.render(
        "edge/device_revoke.html", {**context, "allowed": allowed}, status=200 if allowed else 409
    )


@router.post("/edge/devices/{device_id}/revoke", dependencies=[needs("device.write")])
def revoke(device_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Revoke the device (the version the confirmation showed guards against a stale page)."""
    assert page.actor is not None
    require(page.actor, service.WRITE)
    text = form.get("version", "").strip()
    if not text.isdigit() or len(text) > 9:
        raise InvalidInput("version: a whole number", field="version", rule="integer").said(
            N_("The page was out of date. Look at the device again.")
        )
    service.revoke(session, page.actor, device_id, expected_version=int(text))
    return see_other(f"/edge/devices/{device_id}?revoked=1")


def _codes_page(
    page: Page,
    session: Session,
    *,
    values: Mapping[str, str],
    door_ids: Sequence[str] = (),
    errors: FormErrors | None = None,
    created: tuple[object, str] | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    codes = service.list_codes(session, page.actor)
    context = {
        "nav": "edge",
        "codes": codes,
        "sites": site_names(session, page.actor, (c.site_id for c in codes)),
        "kinds": KIND_WORDS,
        "values": values,
        "errors": errors or FormErrors(),
        "chosen_site": pick.chosen(page, session, "sites", values.get("site_id", "")),
        "chosen_doors": pick.chosen_many(page, session, "doors", door_ids),
        "created": created,
    }
    return page.render("edge/enrolment_codes.html", context, status=status)


@router.get("/edge/enrolment-codes")
def codes_page(page: PageDep, session: SessionDep) -> Response:
    """Unused enrolment codes with their expiry, and (with the right) the form for a new one."""
    assert page.actor is not None
    require(page.actor, service.READ)
    return _codes_page(page, session, values={"kind": DeviceKind.EDGE_AGENT.value})


@router.post("/edge/enrolment-codes", dependencies=[needs("device.write")])
def create_code(
    page: PageDep, session: SessionDep, services: ServicesDep, form: FormDep, lists: FormListsDep
) -> Response:
    """Make a code; the page that answers shows it once (it is never kept in plain text)."""
    assert page.actor is not None
    require(page.actor, service.WRITE)
    door_ids = [v.strip() for v in lists.get("door_ids", []) if v.strip()]
    values = {name: form.get(name, "").strip() for name in ("name", "kind", "site_id")}
    try:
        data = EnrolmentCodeCreate.model_validate(
            {**{k: v for k, v in values.items() if v}, "door_ids": door_ids}, context=FORM_TEXT
        )
        row, plain = service.create_enrolment_code(
            session, page.actor, data, settings=services.settings.edge.devices
        )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = (
            from_validation(exc, CODE_FIELDS, page._)
            if isinstance(exc, ValidationError)
            else from_domain(exc, CODE_FIELDS, page._)
        )
        return _codes_page(
            page, session, values=values, door_ids=door_ids, errors=errors, status=422
        )
    return _codes_page(
        page, session, values={"kind": DeviceKind.EDGE_AGENT.value}, created=(row, plain)
    )
