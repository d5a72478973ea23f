"""Translations for the web UI: gettext catalogues read from ``.po`` files, and language choice.

The ``.po`` catalogues under ``stadsvakt/locale`` (``messages.po`` and one file per
feature, merged) are the only form kept in the repository; they are compiled in
memory when the app starts, so no ``.mo`` file is ever built or committed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from io import BytesIO

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

#: The languages the UI is translated into, with their own names (for the switcher).
LANGUAGES: Mapping[str, str] = {"sv": "Svenska", "en": "English"}
#: Cookie holding a language the visitor picked explicitly.
LANG_COOKIE = "lang"
DOMAIN = "messages"

_ACCEPT_ITEM = re.compile(
    r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?"
)


def read_catalogues(lang: str) -> Catalog:
    """Every packaged ``.po`` file of a language, merged: ``messages.po`` plus one per feature."""
    folder = files("stadsvakt") / "locale" / lang / "LC_MESSAGES"
    merged = Catalog(locale=lang, domain=DOMAIN)
    for po in sorted((p for p in folder.iterdir() if p.name.endswith(".po")), key=lambda p: p.name):
        with po.open("rb") as fp:
            for message in read_po(fp, locale=lang, domain=DOMAIN):
                if message.id:
                    merged[message.id] = message
    return merged


def load_catalogue(lang: str) -> Translations:
    """Compile the packaged ``.po`` catalogues of a language into an in-memory Translations."""
    catalogue = read_catalogues(lang)
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@dataclass(frozen=True, slots=True)
class Catalogues:
    """Every language's translations, loaded once when the app is built."""

    by_language: Mapping[str, Translations]
    default: str

    @classmethod
    def load(cls, default: str) -> Catalogues:
        """Read and compile all packaged catalogues."""
        return cls({lang: load_catalogue(lang) for lang in LANGUAGES}, default)

    def get(self, lang: str) -> Translations:
        """The translations of a supported language."""
        return self.by_language[lang]


def supported(lang: str | None) -> str | None:
    """The language if the UI speaks it, else None."""
    return lang if lang in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The best supported language in an ``Accept-Language`` header, or None."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header[:500].split(",")[:20]):
        match = _ACCEPT_ITEM.match(item)
        if not match:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        lang = supported(match.group(1).lower())
        if lang and quality > 0:
            ranked.append((-quality, position, lang))
    return min(ranked)[2] if ranked else None


def choose_language(
    *, cookie: str | None, user_setting: str | None, accept_language: str | None, default: str
) -> str:
    """Explicit choice (cookie) > the user's setting > the browser's wish > the installation's."""
    return (
        supported(cookie)
        or supported(user_setting)
        or from_accept_language(accept_language)
        or supported(default)
        or "sv"
    )
