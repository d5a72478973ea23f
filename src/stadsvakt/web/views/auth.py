"""Login (password, then the TOTP step or its enrolment), logout and the language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response

from stadsvakt.api.deps import SESSION_COOKIE, ServicesDep, SessionDep, check_csrf
from stadsvakt.auth import login
from stadsvakt.auth.api import client_of, password_login, set_session_cookie, throttle_of
from stadsvakt.auth.passwords import HashingBusy
from stadsvakt.auth.secrets import totp_uri
from stadsvakt.auth.service import set_own_language
from stadsvakt.errors import Forbidden, InvalidInput, TooManyAttempts, Unauthenticated
from stadsvakt.web.deps import (
    FormDep,
    HtmlRoute,
    LoginDep,
    Page,
    PublicPageDep,
    check_login_csrf,
    login_csrf_value,
    safe_next,
    see_other,
    set_login_csrf_cookie,
)
from stadsvakt.web.i18n import LANG_COOKIE, supported

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
NextQuery = Annotated[str, Query(max_length=500)]
MAX_USERNAME, MAX_PASSWORD = 80, 256


def _step_url(path: str, next_path: str) -> str:
    return path if next_path == "/" else f"{path}?next={quote(next_path, safe='/')}"


def _wait_message(page: Page, exc: TooManyAttempts) -> str:
    """How long to wait before the next attempt, in seconds or (from two minutes) minutes."""
    seconds = exc.retry_after
    if seconds < 120:
        text = page.translations.ngettext(
            "Too many failed attempts. Wait %(num)d second and try again.",
            "Too many failed attempts. Wait %(num)d seconds and try again.",
            seconds,
        )
        return str(text) % {"num": seconds}
    minutes = -(-seconds // 60)
    text = page.translations.ngettext(
        "Too many failed attempts. Wait %(num)d minute and try again.",
        "Too many failed attempts. Wait %(num)d minutes and try again.",
        minutes,
    )
    return str(text) % {"num": minutes}


def _login_form(
    page: Page,
    next_path: str,
    secure: bool,
    *,
    username: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    token = login_csrf_value(page.request)
    page.csrf_token = token
    response = page.render(
        "login.html",
        {"next": next_path, "username": username, "error": error},
        status=status,
    )
    set_login_csrf_cookie(response, token, secure)
    return response


@router.get("/login")
def login_page(
    page: PublicPageDep, login_row: LoginDep, services: ServicesDep, next: NextQuery = "/"
) -> Response:
    """The username and password form (or straight on, when already signed in)."""
    target = safe_next(next)
    if login_row is not None and login_row[0].complete:
        return see_other(target)
    return _login_form(page, target, services.settings.security.cookie_secure)


@router.post("/login")
def login_submit(
    page: PublicPageDep, form: FormDep, session: SessionDep, services: ServicesDep
) -> Response:
    """Check the password; open a session and go on to the second factor if one is due."""
    _ = page._
    target = safe_next(form.get("next"))
    secure = services.settings.security.cookie_secure
    username = form.get("username", "").strip()
    password = form.get("password", "")
    try:
        check_login_csrf(page.request, form)
    except Forbidden:
        message = _("The form had expired. Please try again.")
        return _login_form(page, target, secure, username=username, error=message, status=403)
    if not username or not password:
        message = _("Enter your username and password.")
        return _login_form(page, target, secure, username=username, error=message, status=422)
    try:
        if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
            raise Unauthenticated("wrong username or password")
        user = password_login(session, services, username, password, page.request)
    except Unauthenticated:
        # The failed attempt is already stored (password_login commits it before hashing).
        message = _("Wrong username or password.")
        return _login_form(page, target, secure, username=username, error=message, status=401)
    except TooManyAttempts as exc:
        response = _login_form(
            page, target, secure, username=username, error=_wait_message(page, exc), status=429
        )
        response.headers.update(exc.headers())
        return response
    except HashingBusy as exc:
        message = _("Many people are logging in right now. Try again in a moment.")
        response = _login_form(page, target, secure, username=username, error=message, status=503)
        response.headers.update(exc.headers())
        return response
    started = login.start_session(session, user, services.settings.security)
    if started.next_step == "totp_enrollment_required":
        login.begin_enrollment(session, started.row, user, services.box)
        url = _step_url("/login/enrol", target)
    elif started.next_step == "totp_required":
        url = _step_url("/login/totp", target)
    else:
        url = target
    response = see_other(url)
    set_session_cookie(response, started.cookie, services.settings)
    return response


@router.get("/login/totp")
def totp_page(page: PublicPageDep, login_row: LoginDep, next: NextQuery = "/") -> Response:
    """The second-factor step: a six-digit code from the authenticator app."""
    if login_row is None:
        return see_other("/login")
    row, user = login_row
    if row.complete:
        return see_other(safe_next(next))
    page.csrf_token = row.csrf_token
    return page.render("totp.html", {"next": safe_next(next), "error": None})


@router.get("/login/enrol")
def enrol_page(
    page: PublicPageDep, login_row: LoginDep, services: ServicesDep, next: NextQuery = "/"
) -> Response:
    """Setting up a second factor: the secret and its otpauth URI, then a code to confirm."""
    if login_row is None:
        return see_other("/login")
    row, user = login_row
    pending = row.data.get("pending_totp")
    if row.complete or user.totp_enabled or not pending:
        return see_other(_step_url("/login/totp", safe_next(next)) if not row.complete else "/")
    secret = services.box.open(str(pending))
    page.csrf_token = row.csrf_token
    context = {
        "next": safe_next(next),
        "secret": secret,
        "uri": totp_uri(secret, user.username),
        "error": None,
    }
    return page.render("enrol.html", context)


@router.post("/login/totp")
def totp_submit(
    page: PublicPageDep,
    form: FormDep,
    login_row: LoginDep,
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    """Check the code; a right one completes the login (and confirms a new second factor)."""
    _ = page._
    if login_row is None:
        return see_other("/login")
    row, user = login_row
    check_csrf(page.request, row, form.get("csrf_token"))
    target = safe_next(form.get("next"))
    page.csrf_token = row.csrf_token
    enrolling = not user.totp_enabled
    try:
        login.verify_totp_step(
            session,
            row,
            user,
            form.get("code", "").strip()[:12],
            services.box,
            throttle_of(services),
            client_of(page.request),
        )
    except (InvalidInput, TooManyAttempts) as exc:
        # The failed code stays recorded (the unit of work commits) so throttling counts it.
        if isinstance(exc, TooManyAttempts):
            message, status = _wait_message(page, exc), 429
        else:
            message = _("The code is wrong or too old. Enter the code the app shows now.")
            status = 422
        context: dict[str, object] = {"next": target, "error": message}
        template = "totp.html"
        if enrolling and row.data.get("pending_totp"):
            secret = services.box.open(str(row.data["pending_totp"]))
            context |= {"secret": secret, "uri": totp_uri(secret, user.username)}
            template = "enrol.html"
        response = page.render(template, context, status=status)
        response.headers.update(exc.headers())
        return response
    return see_other(target)


@router.post("/logout")
def logout(request: Request, form: FormDep, login_row: LoginDep, session: SessionDep) -> Response:
    """End the web session and go back to the login page."""
    if login_row is not None:
        check_csrf(request, login_row[0], form.get("csrf_token"))
        login.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
def switch_language(
    request: Request,
    form: FormDep,
    login_row: LoginDep,
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    """Remember an explicit language choice in a cookie, and on the account when signed in."""
    if login_row is not None and login_row[0].complete:
        row, user = login_row
        check_csrf(request, row, form.get("csrf_token"))
    else:
        check_login_csrf(request, form)
        user = None
    lang = supported(form.get("lang"))
    response = see_other(safe_next(form.get("next")))
    if lang is None:
        return response
    if user is not None:
        set_own_language(session, user, lang)
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        httponly=True,
        secure=services.settings.security.cookie_secure,
        samesite="lax",
        path="/",
    )
    return response
