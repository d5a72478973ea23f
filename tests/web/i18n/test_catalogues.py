"""Every Swedish (and English) catalogue entry is translated, not fuzzy, and keeps the
msgid's placeholders, file by file (a merged catalogue would hide a fuzzy duplicate)."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from stadsvakt.web.i18n import LANGUAGES

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _po_files(lang: str) -> list[Path]:
    folder = Path(str(files("stadsvakt"))) / "locale" / lang / "LC_MESSAGES"
    return sorted(folder.glob("*.po"))


def _entries(lang: str) -> list[tuple[str, object, object, bool]]:
    out: list[tuple[str, object, object, bool]] = []
    for po in _po_files(lang):
        with po.open("rb") as fp:
            for message in read_po(fp, locale=lang):
                if message.id:
                    out.append((po.name, message.id, message.string, message.fuzzy))
    return out


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_no_entry_is_untranslated_or_fuzzy(lang: str) -> None:
    entries = _entries(lang)
    assert len(entries) > 100
    bad = [
        (name, msgid)
        for name, msgid, text, fuzzy in entries
        if fuzzy or not text or (isinstance(text, tuple) and not all(text))
    ]
    assert bad == []


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_translations_keep_the_placeholders(lang: str) -> None:
    wrong = []
    for name, msgid, text, _fuzzy in _entries(lang):
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        texts = text if isinstance(text, tuple) else (text,)
        wanted = set(_PLACEHOLDER.findall(ids[-1]))
        for one in texts:
            if set(_PLACEHOLDER.findall(str(one))) != wanted:
                wrong.append((name, ids[0]))
    assert wrong == []


def test_a_fuzzy_entry_is_caught(tmp_path: Path) -> None:
    po = tmp_path / "x.po"
    po.write_text('#, fuzzy\nmsgid "Door"\nmsgstr "Dörr"\n', encoding="utf-8")
    with po.open("rb") as fp:
        assert [m.fuzzy for m in read_po(fp) if m.id] == [True]
