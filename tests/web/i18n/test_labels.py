"""Stored codes shown as words: every enum value has a label in each language."""

from __future__ import annotations

import pytest
from jinja2 import Environment

from stadsvakt.web import labels
from stadsvakt.web.i18n import LANGUAGES, load_catalogue, read_catalogues


@pytest.mark.parametrize("group", sorted(labels.ENUMS))
def test_every_enum_value_has_a_label(group: str) -> None:
    codes = {str(member.value) for member in labels.ENUMS[group]}
    assert codes - set(labels.GROUPS[group]) == set(), f"{group}: values without a label"


@pytest.mark.parametrize("group", sorted(labels.GROUPS))
def test_swedish_label_is_words_not_the_code(group: str) -> None:
    swedish, english = load_catalogue("sv"), load_catalogue("en")
    for code in labels.GROUPS[group]:
        sv = labels.label(group, code, "sv", swedish)
        en = labels.label(group, code, "en", english)
        assert sv and en and sv != code, (group, code, sv)
        english_text = labels.msgid(group, code)
        if english_text is not None:
            # A gettext label must have its own Swedish text (msgctxt = the group).
            assert sv != english_text or english_text.isupper(), (group, code)


def test_gettext_labels_are_in_every_catalogue_with_their_group() -> None:
    for lang in LANGUAGES:
        catalogue = read_catalogues(lang)
        for group in labels.GROUPS:
            for code in labels.GROUPS[group]:
                english = labels.msgid(group, code)
                if english is not None:
                    message = catalogue.get(english, context=group)
                    assert message is not None and message.string, (lang, group, code)


def test_label_filter_in_the_page_language() -> None:
    env = Environment(autoescape=True)
    env.filters["label"] = labels.label_filter
    env.globals["label_choices"] = labels.label_choices
    template = env.from_string(
        '{{ state|label("credential_state") }}|{{ reason|label("decision_reason") }}'
        '|{{ ok|label("decision") }}|{{ none|label("grant_kind") }}'
        '|{% for v, t in label_choices("door_mode") %}{{ v }}={{ t }};{% endfor %}'
    )
    values = {"state": "lost", "reason": "outside_schedule", "ok": False, "none": None}
    sv = template.render(lang="sv", translations=load_catalogue("sv"), **values)
    assert sv == (
        "Förlorad|Utanför tidsschema|Nekad|"
        "|secure=Låst;scheduled_unlock=Upplåst enligt schema;lockdown=Nedstängd;"
    )
    en = template.render(lang="en", translations=load_catalogue("en"), **values)
    assert en.startswith("Lost|Outside the schedule|Denied|")


def test_unknown_code_is_shown_as_it_is_and_unknown_group_is_an_error() -> None:
    swedish = load_catalogue("sv")
    assert labels.label("credential_state", "melted", "sv", swedish) == "melted"
    with pytest.raises(KeyError):
        labels.label("no_such_group", "x", "sv", swedish)
