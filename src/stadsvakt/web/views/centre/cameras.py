"""The safety centre's pages: cameras and the snapshots kept with an activation.

* ``/centre/cameras`` – the cameras (everyone with ``centre.read``), registering and
  removing one (``centre.admin``);
* the activation page's camera panel (registered with :mod:`.panels`): the latest
  snapshot of each camera of the site and the nearest others, or why there is none.
  The page never waits for a camera: the panel asks for snapshots with a form (a small
  script posts it by itself when the activation has none yet) and each picture is
  its own request;
* ``POST /centre/activations/{id}/snapshots/fetch`` – fetch every camera at once, each within
  ``centre.camera_timeout_s``;
* ``/centre/activations/{id}/snapshots/{snapshot}`` – one picture; every view is logged;
* ``/centre/activations/{id}/evidence`` – every snapshot kept, with who viewed it when.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.api.deps import ServicesDep, SessionDep, writes_on_read
from stadsvakt.centre.api.cameras import image_response, snapshot_source
from stadsvakt.centre.cameras import service
from stadsvakt.centre.cameras.models import Snapshot
from stadsvakt.centre.cameras.schemas import CameraCreate
from stadsvakt.centre.models import Activation
from stadsvakt.centre.tenancy import visible_activation
from stadsvakt.errors import DomainError
from stadsvakt.org.service import list_sites
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.settings import CentreSettings
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, safe_next, see_other
from stadsvakt.web.forms import N_, FormErrors, clean, from_domain, from_validation, is_form_error
from stadsvakt.web.views.centre import panels

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FIELDS = (
    "name",
    "site_id",
    "latitude",
    "longitude",
    "snapshot_url",
    "auth",
    "username",
    "password",
)
OPTIONAL = ("site_id", "username", "password")
#: Why a camera gave no picture, as the operator reads it.
REASONS: dict[str, str] = {
    "timeout": N_("The camera did not answer in time"),
    "refused": N_("The camera could not be reached"),
    "http_status": N_("The camera answered with an error"),
    "not_image": N_("The camera's answer was not a picture"),
    "too_large": N_("The picture was too large"),
    "unauthorised": N_("The camera refused the login"),
    "bad_url": N_("The camera's address is not valid"),
    "error": N_("The camera could not be read"),
}
#: The header the camera script sends, to get the panel back instead of a redirect.
FRAGMENT_HEADER = "x-stadsvakt-fragment"


def _centre(page: Page) -> CentreSettings:
    settings: CentreSettings = page.request.app.state.services.settings.centre
    return settings


# --- the camera register ------------------------------------------------------------------


def _sites(page: Page, session: Session) -> dict[uuid.UUID, str]:
    assert page.actor is not None
    if not page.can("site.read"):
        return {}
    sites, _ = list_sites(session, page.actor, limit=500, offset=0)
    return {site.id: site.name for site in sites}


@router.get("/centre/cameras")
def list_cameras(page: PageDep, session: SessionDep, saved: str = "") -> Response:
    """The cameras of the municipalities the user sees."""
    assert page.actor is not None
    rows, total = service.list_cameras(session, page.actor, limit=500, offset=0)
    context = {
        "nav": "centre",
        "centre_nav": "cameras",
        "cameras": rows,
        "total": total,
        "sites": _sites(page, session),
        "saved": saved == "1",
    }
    return page.render("centre/cameras.html", context)


def _form(
    page: Page,
    session: Session,
    *,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    sites = _sites(page, session)
    context = {
        "nav": "centre",
        "centre_nav": "cameras",
        "values": values,
        "errors": errors or FormErrors(),
        "site_choices": [("", page._("No site (a street camera)"))]
        + [(str(k), v) for k, v in sites.items()],
        "auth_choices": [
            ("none", page._("No login")),
            ("basic", page._("Basic")),
            ("digest", page._("Digest (most ONVIF cameras)")),
        ],
    }
    return page.render("centre/cameras_form.html", context, status=status)


@router.get("/centre/cameras/new")
def new_camera_page(page: PageDep, session: SessionDep) -> Response:
    """The form for registering a camera."""
    return _form(page, session, values={"auth": "none"})


@router.post("/centre/cameras/new", dependencies=[needs("centre.admin")])
def create_camera(
    page: PageDep, session: SessionDep, services: ServicesDep, form: FormDep
) -> Response:
    """Register a camera; errors are shown next to their fields with the values kept."""
    assert page.actor is not None
    try:
        values = clean(form, FIELDS, optional=OPTIONAL, decimal=("latitude", "longitude"))
        data = CameraCreate.model_validate(values, context=FORM_TEXT)
        service.create_camera(session, page.actor, services.box, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = (
            from_validation(exc, FIELDS, page._)
            if isinstance(exc, ValidationError)
            else from_domain(exc, FIELDS, page._)
        )
        kept = {k: v for k, v in form.items() if k != "password"}  # never echo a password
        return _form(page, session, values=kept, errors=errors, status=422)
    return see_other("/centre/cameras?saved=1")


@router.post("/centre/cameras/{camera_id}/delete", dependencies=[needs("centre.admin")])
def delete_camera(camera_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Remove a camera; its snapshots stay with their activations."""
    assert page.actor is not None
    service.delete_camera(session, page.actor, camera_id)
    return see_other("/centre/cameras?saved=1")


# --- the activation page's panel --------------------------------------------------------------


def panel_context(session: Session, page: Page, activation: Activation) -> dict[str, Any]:
    """What ``centre/_cameras.html`` shows for an activation."""
    assert page.actor is not None
    placed = service.cameras_for(session, page.actor, activation, _centre(page))
    kept = service.list_snapshots(session, page.actor, activation.id)
    latest = service.latest_snapshots(kept)
    return {
        "camera_activation": activation,
        "camera_items": [(item, latest.get(item.camera.id)) for item in placed],
        "camera_reasons": REASONS,
        "camera_kept": len(kept),
        "camera_can_fetch": page.can("centre.operate"),
        "camera_autofetch": page.can("centre.operate") and bool(placed) and not kept,
        "camera_next": page.request.url.path,
    }


def camera_panel(session: Session, page: Page, activation: Activation) -> panels.Part | None:
    """The cameras on the activation page (none for an activation without a site)."""
    if not page.can("centre.read") or activation.site_id is None:
        return None
    return panels.Part("centre/_cameras.html", panel_context(session, page, activation), order=30)


panels.register(camera_panel)


@router.post(
    "/centre/activations/{activation_id}/snapshots/fetch", dependencies=[needs("centre.operate")]
)
def take_snapshots(
    activation_id: uuid.UUID,
    page: PageDep,
    session: SessionDep,
    services: ServicesDep,
    form: FormDep,
) -> Response:
    """Fetch every camera of the activation at once; back to the page (or the panel alone
    for the script)."""
    assert page.actor is not None
    settings = services.settings.centre
    service.take_snapshots(
        session,
        page.actor,
        services.box,
        activation_id,
        settings,
        snapshot_source(settings),
        release=session.commit,
    )
    if page.request.headers.get(FRAGMENT_HEADER) == "panel":
        activation = visible_activation(session, page.actor, activation_id)
        context = panel_context(session, page, activation)
        return page.render("centre/_cameras.html", {**context, "camera_fragment": True})
    return see_other(safe_next(form.get("next"), f"/centre/activations/{activation_id}/evidence"))


@router.get("/centre/activations/{activation_id}/snapshots/{snapshot_id}")
@writes_on_read
def snapshot_image(
    activation_id: uuid.UUID, snapshot_id: uuid.UUID, page: PageDep, session: SessionDep
) -> Response:
    """One kept picture; who looked and when is written down."""
    assert page.actor is not None
    row: Snapshot = service.view_snapshot(session, page.actor, activation_id, snapshot_id)
    return image_response(row)


@router.get("/centre/activations/{activation_id}/evidence")
def evidence_page(activation_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Every snapshot kept with the activation, with who viewed each and when."""
    assert page.actor is not None
    activation = visible_activation(session, page.actor, activation_id)
    rows = service.list_snapshots(session, page.actor, activation_id)
    context = {
        "nav": "centre",
        "centre_nav": "queue",
        "activation": activation,
        "snapshots": rows,
        "views": service.views_of(session, [r.id for r in rows]),
        "camera_reasons": REASONS,
        "retention_days": _centre(page).evidence_retention_days,
    }
    return page.render("centre/cameras_evidence.html", context)
