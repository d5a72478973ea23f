"""Dependencies of the web UI: who is signed in, the page's language, forms and CSRF.

Web pages answer with HTML, never problem+json: :class:`HtmlRoute` turns a
missing login into a redirect to ``/login`` and any :class:`DomainError` into
an error page in the visitor's language.
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from babel.support import Translations
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.templating import Jinja2Templates

from stadsvakt.api.deps import SAFE_METHODS, SESSION_COOKIE, SessionDep, check_csrf
from stadsvakt.auth.login import load_session
from stadsvakt.auth.models import User, WebSession
from stadsvakt.auth.service import actor_for_user
from stadsvakt.context import Actor, set_actor
from stadsvakt.errors import DomainError, Forbidden
from stadsvakt.org.service import get_municipality
from stadsvakt.web.errors import specific
from stadsvakt.web.forms import field_of, parameter_errors
from stadsvakt.web.i18n import LANG_COOKIE, LANGUAGES, Catalogues, choose_language
from stadsvakt.web.templating import TRANSLATIONS_KEY
from stadsvakt.web.vendor import VendorAssets

#: Cookie holding the random value a login form must echo (double-submit CSRF).
LOGIN_CSRF_COOKIE = "stadsvakt_login_csrf"
FORM_LIMIT_FIELDS = 60


@dataclass(frozen=True, slots=True)
class WebState:
    """What the web UI builds once per app: templates, compiled catalogues and the
    front-end packages' files."""

    templates: Jinja2Templates
    catalogues: Catalogues
    vendor: VendorAssets


class LoginRequired(Exception):
    """The page needs a complete login; the visitor is sent to ``/login?next=…``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def safe_next(value: str | None, default: str = "/") -> str:
    """A redirect target limited to a path on this site (no scheme, host or ``//``)."""
    if not value or len(value) > 500:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(c) < 32 for c in value):
        return default
    return value


def login_url(next_path: str) -> str:
    """The login page, returning to ``next_path`` afterwards."""
    target = safe_next(next_path)
    return "/login" if target == "/" else f"/login?next={quote(target, safe='/')}"


def see_other(url: str) -> RedirectResponse:
    """A 303 redirect (after a form post, or to the login page)."""
    return RedirectResponse(url, status_code=303)


def get_web(request: Request) -> WebState:
    """The app's web state."""
    state: WebState = request.app.state.web
    return state


WebDep = Annotated[WebState, Depends(get_web)]


@dataclass(slots=True)
class Page:
    """Everything a view needs to answer one request: language, the signed-in user, CSRF.

    Only plain values are kept, so an error page can still be drawn after the
    unit of work was rolled back.
    """

    request: Request
    web: WebState
    lang: str
    translations: Translations
    user_name: str | None = None
    actor: Actor | None = None
    csrf_token: str | None = None
    municipality: str | None = None

    def _(self, message: str) -> str:
        """Translate a message into the page's language."""
        return str(self.translations.gettext(message))

    def can(self, permission: str) -> bool:
        """Whether the signed-in user holds a permission."""
        return self.actor is not None and self.actor.can(permission)

    def render(
        self, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200
    ) -> HTMLResponse:
        """Render a template with the page's language and user."""
        values: dict[str, Any] = {
            "page": self,
            "lang": self.lang,
            "languages": LANGUAGES,
            TRANSLATIONS_KEY: self.translations,
            "current_path": self.request.url.path,
            **(context or {}),
        }
        response = self.web.templates.TemplateResponse(
            self.request, template, values, status_code=status
        )
        response.headers["Cache-Control"] = "no-store"
        return response


def _language(request: Request, web: WebState, user: User | None) -> str:
    return choose_language(
        cookie=request.cookies.get(LANG_COOKIE),
        user_setting=user.language if user else None,
        accept_language=request.headers.get("accept-language"),
        default=web.catalogues.default,
    )


def make_page(request: Request, web: WebState, user: User | None = None) -> Page:
    """A page in the language chosen for this visitor."""
    lang = _language(request, web, user)
    page = Page(request=request, web=web, lang=lang, translations=web.catalogues.get(lang))
    request.state.page = page
    return page


async def form_data(request: Request) -> dict[str, str]:
    """The fields of a posted form (text only; files are refused by the limits)."""
    if request.method in SAFE_METHODS:
        return {}
    form = await request.form(max_files=0, max_fields=FORM_LIMIT_FIELDS, max_part_size=64_000)
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormDep = Annotated[dict[str, str], Depends(form_data)]


def current_login(request: Request, session: SessionDep) -> tuple[WebSession, User] | None:
    """The web session of the session cookie, complete or waiting for its second factor."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or len(cookie) > 200:
        return None
    return load_session(session, cookie)


LoginDep = Annotated[tuple[WebSession, User] | None, Depends(current_login)]


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A complete web login and the actor it acts as."""

    row: WebSession
    user: User
    actor: Actor


def _signed_in(request: Request, login: LoginDep, form: FormDep) -> SignedIn:
    if login is None or not login[0].complete:
        if request.method in SAFE_METHODS:
            query = f"?{request.url.query}" if request.url.query else ""
            raise LoginRequired(request.url.path + query)
        raise LoginRequired("/")
    row, user = login
    check_csrf(request, row, form.get("csrf_token"))
    return SignedIn(row=row, user=user, actor=actor_for_user(user))


async def signed_in(who: Annotated[SignedIn, Depends(_signed_in)]) -> SignedIn:
    """The signed-in user; set as the audit actor on the event loop so handlers see it."""
    set_actor(who.actor)
    return who


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


def signed_in_page(request: Request, web: WebDep, session: SessionDep, who: SignedInDep) -> Page:
    """A page for a signed-in user, with their municipality's name for the header."""
    page = make_page(request, web, who.user)
    page.user_name, page.actor, page.csrf_token = (
        who.user.display_name,
        who.actor,
        who.row.csrf_token,
    )
    page.municipality = get_municipality(session, who.actor).name
    return page


PageDep = Annotated[Page, Depends(signed_in_page)]


@dataclass(frozen=True, slots=True)
class Needs:
    """The dependency :func:`needs` makes: refuses a page without ``permission``."""

    permission: str

    # On the page (not only the login), so the forbidden page knows who is asking.
    def __call__(self, page: PageDep) -> None:
        if page.actor is None or not page.actor.can(self.permission):
            raise Forbidden(
                f"this needs the {self.permission} permission", permission=self.permission
            )


def needs(permission: str) -> Any:
    """A route dependency refusing a signed-in user without ``permission`` before the view
    runs: a form is not read, validated or looked up first, so a role that may not do
    something is told so (the UI's 403 page), never about its input. Every posting route
    of the web UI declares one (a test checks it).

    ``@router.post("/people/new", dependencies=[needs("person.write")])``
    """
    return Depends(Needs(permission))


def public_page(request: Request, web: WebDep, login: LoginDep) -> Page:
    """A page anyone may see (login steps); a login's language setting still counts."""
    return make_page(request, web, login[1] if login else None)


PublicPageDep = Annotated[Page, Depends(public_page)]


def login_csrf_value(request: Request) -> str:
    """The login form's double-submit value: the visitor's cookie, or a fresh one."""
    current = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return current if 20 <= len(current) <= 100 else secrets.token_urlsafe(24)


def check_login_csrf(request: Request, form: Mapping[str, str]) -> None:
    """Refuse a pre-login form whose hidden value does not match its cookie."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = form.get("csrf_token", "")
    if len(cookie) < 20 or not secrets.compare_digest(cookie.encode(), sent.encode()):
        raise Forbidden("the form has expired; reload the page and try again")


def set_login_csrf_cookie(response: Response, value: str, secure: bool) -> None:
    """Hand the browser the double-submit value (strict, HttpOnly; the form carries a copy)."""
    response.set_cookie(
        LOGIN_CSRF_COOKIE, value, httponly=True, secure=secure, samesite="strict", path="/"
    )


def error_page(
    request: Request,
    exc: DomainError | None,
    status: int,
    *,
    invalid: RequestValidationError | None = None,
) -> HTMLResponse:
    """An error page in the visitor's language: its heading says what kind of refusal it
    is; below it the error's own words (:func:`~stadsvakt.web.errors.specific`) or each
    bad parameter by name and rule."""
    existing = getattr(request.state, "page", None)
    page = existing if isinstance(existing, Page) else make_page(request, get_web(request))
    found = specific(exc, page._) if exc is not None else None
    messages = [found] if found else []
    if exc is not None and found and exc.code == "invalid_input" and field_of(exc):
        # Off a form, a refused field is a parameter of the address: name it.
        messages = [
            page._("The parameter %(name)s: %(message)s")
            % {"name": field_of(exc), "message": found}
        ]
    if invalid is not None:
        messages = parameter_errors(invalid.errors(), page._)
    context = {"status": status, "error": exc, "messages": messages}
    return page.render("error.html", context, status=status)


class HtmlRoute(APIRoute):
    """A route answering in HTML: redirects to login, error pages instead of problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return see_other(login_url(exc.next_path))
            except DomainError as exc:
                return error_page(request, exc, exc.status)
            except RequestValidationError as exc:
                # A malformed id in the path is an address that leads nowhere; a bad
                # query or form parameter is named with the rule it broke.
                if any(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
                    return error_page(request, None, 404)
                return error_page(request, None, 422, invalid=exc)

        return route


#: Paths answered by machines (problem+json stays their error format).
_MACHINE_PATHS = ("/api/", "/scim/", "/static/", "/healthz", "/readyz", "/metrics", "/openapi")


def _wants_page(request: Request) -> bool:
    path = request.url.path
    if path.startswith(_MACHINE_PATHS) or path in {"/docs", "/redoc"}:
        return False
    return "text/html" in request.headers.get("accept", "")


def install_error_pages(app: FastAPI) -> None:
    """A browser asking for an address no page has (404, 405) gets the UI's own error
    page in its language; API clients keep the problem+json the app answered before."""
    fallback = app.exception_handlers[StarletteHTTPException]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code in {404, 405} and _wants_page(request):
            return error_page(request, None, exc.status_code)
        answered = fallback(request, exc)
        return await answered if inspect.isawaitable(answered) else answered

    app.add_exception_handler(StarletteHTTPException, http_error)
