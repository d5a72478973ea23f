"""Translations: complete catalogues that cover every UI string, and how the language is chosen."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.auth.models import User
from stadsvakt.web.i18n import LANGUAGES, choose_language, from_accept_language, read_catalogues
from tests import factories as f
from tests.web.conftest import csrf_of

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(str(files("stadsvakt")))


def _catalogue(lang: str) -> dict[object, object]:
    catalogue = read_catalogues(lang)
    return {m.id if isinstance(m.id, str) else tuple(m.id): m.string for m in catalogue if m.id}


def _extracted() -> set[object]:
    """Every message the code and templates ask for, extracted with babel.cfg as pybabel does."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found: set[object] = set()
    # C_(group, text): a label with its group as context (stadsvakt.web.labels).
    keywords = {**DEFAULT_KEYWORDS, "C_": ((1, "c"), 2)}
    for _file, _line, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map, options_map, keywords=keywords
    ):
        found.add(message)
    return found


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_message_is_translated(lang: str) -> None:
    catalogue = _catalogue(lang)
    assert catalogue
    untranslated = [
        msgid
        for msgid, text in catalogue.items()
        if not text or (isinstance(text, tuple) and not all(text))
    ]
    assert untranslated == []


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_catalogue_covers_every_string_in_code_and_templates(lang: str) -> None:
    extracted = _extracted()
    assert len(extracted) > 50
    assert sorted(map(str, extracted - set(_catalogue(lang)))) == []


def test_language_order() -> None:
    choose = choose_language
    assert choose(cookie="en", user_setting="sv", accept_language="sv", default="sv") == "en"
    assert choose(cookie=None, user_setting="en", accept_language="sv", default="sv") == "en"
    assert choose(cookie="xx", user_setting=None, accept_language="en-GB", default="sv") == "en"
    assert choose(cookie=None, user_setting=None, accept_language=None, default="en") == "en"
    assert choose(cookie=None, user_setting=None, accept_language="de, fr", default="sv") == "sv"


def test_accept_language_honours_quality() -> None:
    assert from_accept_language("de-DE, en;q=0.5, sv;q=0.8") == "sv"
    assert from_accept_language("sv;q=0, en;q=0.1") == "en"
    assert from_accept_language("garbage;q=abc") is None


def test_browser_language_then_user_setting_then_explicit_choice(
    browser: TestClient, session: Session, owner: f.TestUser
) -> None:
    browser.headers["Accept-Language"] = "en-GB,en;q=0.9"
    assert '<html lang="en">' in browser.get("/sites").text
    user = session.get(User, owner.id)
    assert user is not None
    user.language = "sv"
    session.flush()
    page = browser.get("/sites")
    assert '<html lang="sv">' in page.text and "Fastigheter" in page.text

    token = csrf_of(page.text.split('action="/language"', 1)[1])
    switched = browser.post(
        "/language",
        data={"lang": "en", "next": "/sites?owner=city", "csrf_token": token},
        follow_redirects=False,
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/sites?owner=city"
    english = browser.get("/sites")
    assert '<html lang="en">' in english.text and ">Sites</h1>" in english.text
    session.expire_all()
    assert session.get(User, owner.id).language == "en"  # type: ignore[union-attr]


def test_language_switch_before_login(client: TestClient) -> None:
    client.headers["Accept-Language"] = "sv"
    login = client.get("/login")
    assert "Logga in" in login.text
    token = csrf_of(login.text)
    client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": token})
    assert "Log in to stadsvakt" in client.get("/login").text


def test_language_switch_needs_csrf(browser: TestClient) -> None:
    response = browser.post("/language", data={"lang": "en", "next": "/"})
    assert response.status_code == 403
