"""What a page offers a user: its navigation links, the links in its content, and its write
controls (posting forms, and links to pages that change something), read from the HTML with
the standard library's parser; and a crawler that walks the UI as one user would.

A *write control* is anything that asks the server to change something or opens the page
that does: a ``<form method="post">`` (each submit button with its own name, value or
``formaction`` is a control of its own), or a link whose last path segment is a write verb
(``/new``, ``/edit``, ``/delete``, ``/deactivate``, ``/lost``...). The header's log-out and
language forms are every user's and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from stadsvakt.web.deps import HtmlRoute

#: Last path segments of links that open a page which changes something.
WRITE_VERBS = frozenset(
    {
        "new",
        "edit",
        "delete",
        "remove",
        "deactivate",
        "lost",
        "revoke",
        "suspend",
        "reactivate",
        "end",
        "undo",
        "cancel",
        "issue",
    }
)
#: Forms every signed-in user has.
EVERYONE_POSTS = frozenset({"/logout", "/language"})
_VOID = frozenset({"input", "br", "img", "meta", "link", "hr", "source", "wbr"})


@dataclass
class Form:
    """A posting form: where it goes and the values a browser would send."""

    action: str
    fields: dict[str, str]
    #: (formaction or None, name, value) of each submit button.
    buttons: list[tuple[str | None, str | None, str]] = field(default_factory=list)
    label: str = ""


@dataclass(frozen=True)
class Control:
    """One write control on one page: a post (with its values) or a link to open."""

    page: str
    method: str
    url: str
    data: tuple[tuple[str, str], ...] = ()
    label: str = ""

    def describe(self) -> str:
        """A line naming the control for a failure message."""
        return f"{self.method} {self.url} ({self.label.strip()[:60]!r}) on {self.page}"


@dataclass
class PageView:
    """What one page offers."""

    path: str
    nav_links: list[str] = field(default_factory=list)
    content_links: list[str] = field(default_factory=list)
    write_links: list[tuple[str, str]] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)


class _Reader(HTMLParser):
    """Collects links and posting forms, noting which links sit in navigation."""

    def __init__(self, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.view = PageView(path)
        self._stack: list[tuple[str, dict[str, str]]] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._link: str | None = None
        self._text: list[str] = []

    def _inside(self, tag: str, cls: str | None = None) -> bool:
        for name, attrs in self._stack:
            if name == tag and (cls is None or cls in attrs.get("class", "").split()):
                return True
        return False

    def _in_navigation(self) -> bool:
        return any(
            name == "nav"
            and re.search(r"(^|\s)(main-nav|subnav|sub-nav)(\s|$)", a.get("class", ""))
            for name, a in self._stack
        )

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag not in _VOID:
            self._stack.append((tag, attrs))
        if tag == "a" and attrs.get("href"):
            self._link, self._text = attrs["href"], []
        elif tag == "form" and attrs.get("method", "get").lower() == "post":
            self._form = Form(urljoin(self.view.path, attrs.get("action") or self.view.path), {})
        elif self._form is not None:
            self._field(tag, attrs)

    def _field(self, tag: str, attrs: dict[str, str]) -> None:
        form = self._form
        assert form is not None
        name, kind = attrs.get("name", ""), attrs.get("type", "text").lower()
        if tag == "button" or (tag == "input" and kind == "submit"):
            if kind in {"submit", ""} or tag == "input":
                action = attrs.get("formaction")
                form.buttons.append((action or None, name or None, attrs.get("value", "")))
                form.label = form.label or attrs.get("aria-label", "") or attrs.get("value", "")
        elif tag == "input" and name:
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    form.fields[name] = attrs.get("value", "on")
            elif kind not in {"file", "image", "reset", "button"}:
                form.fields[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attrs and not self._select_chosen:
                form.fields[self._select], self._select_chosen = value, True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._link is not None or self._textarea is not None:
            self._text.append(data)
        elif self._form is not None and self._stack and self._stack[-1][0] == "button":
            self._form.label = self._form.label or data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            self._add_link(self._link, "".join(self._text))
            self._link = None
        elif tag == "select" and self._select is not None and self._form is not None:
            if not self._select_chosen:
                self._form.fields[self._select] = self._select_first or ""
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields[self._textarea] = "".join(self._text)
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.view.forms.append(self._form)
            self._form = None
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                break

    def _add_link(self, href: str, text: str) -> None:
        parts = urlsplit(urljoin(self.view.path, href))
        if parts.scheme not in {"", "http", "https"} or parts.netloc not in {"", "testserver"}:
            return
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.path.rstrip("/").rsplit("/", 1)[-1] in WRITE_VERBS:
            self.view.write_links.append((target, text))
        elif self._in_navigation():
            self.view.nav_links.append(target)
        elif self._inside("main"):
            self.view.content_links.append(target)


def read_page(path: str, html: str) -> PageView:
    """The links and posting forms of a page."""
    reader = _Reader(path)
    reader.feed(html)
    reader.close()
    return reader.view


def controls_of(view: PageView) -> list[Control]:
    """The page's write controls (see the module docstring)."""
    found = [Control(view.path, "GET", url, label=text) for url, text in view.write_links]
    for form in view.forms:
        if urlsplit(form.action).path in EVERYONE_POSTS:
            continue
        buttons = form.buttons or [(None, None, "")]
        for action, name, value in buttons:
            data = dict(form.fields)
            if name:
                data[name] = value
            target = urljoin(view.path, action) if action else form.action
            found.append(Control(view.path, "POST", target, tuple(data.items()), form.label))
    return found


def _routes(routes: Iterable[BaseRoute]) -> Iterable[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        original = getattr(route, "original_router", None)
        if original is not None:
            yield from _routes(original.routes)


def web_routes(app: FastAPI, method: str) -> list[APIRoute]:
    """The web UI's routes answering ``method`` (the pages: every :class:`HtmlRoute`)."""
    return [
        r for r in _routes(app.routes) if isinstance(r, HtmlRoute) and method in (r.methods or ())
    ]


def detail_route(app: FastAPI, path: str) -> str | None:
    """The template of the GET route with path parameters that ``path`` opens, or None."""
    for route in web_routes(app, "GET"):
        if "{" in route.path and route.path_regex.match(urlsplit(path).path):
            return route.path
    return None
