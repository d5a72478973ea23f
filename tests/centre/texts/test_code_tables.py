"""Operator language: every code of every protocol table has a Swedish text, and Swedish
texts are Swedish (not the English copied over)."""

from __future__ import annotations

import pytest

from stadsvakt.access.decide import Reason
from stadsvakt.alarms.inputs.codes import CODES as JSON_CODES
from stadsvakt.alarms.protocols import scaip_codes
from stadsvakt.alarms.protocols.contact_id_table import CONTACT_ID_CODES
from stadsvakt.alarms.protocols.events import Category, Qualifier
from stadsvakt.alarms.protocols.sia_code_table import SIA_CODES
from stadsvakt.centre import texts
from stadsvakt.centre.models import ActivationKind, ActivationState, Cause

#: Words that are the same in both languages (names, abbreviations, loan words).
SAME_IN_BOTH = frozenset({"Router", "Information", "Sprinkler", "garage", "gym"})


def _translated(sv: str, en: str) -> bool:
    return bool(sv.strip()) and (sv != en or sv in SAME_IN_BOTH)


def test_every_sia_code_has_swedish_and_english_text() -> None:
    rows = texts.table("sia")["codes"]
    assert sorted(rows) == sorted(SIA_CODES)
    untranslated = [code for code, row in rows.items() if not _translated(row["sv"], row["en"])]
    assert untranslated == []
    assert all(rows[code]["en"] == info.description for code, info in SIA_CODES.items())


def test_every_contact_id_code_has_swedish_and_english_text() -> None:
    rows = texts.table("contact_id")["codes"]
    assert sorted(rows) == sorted(CONTACT_ID_CODES)
    untranslated = [code for code, row in rows.items() if not _translated(row["sv"], row["en"])]
    assert untranslated == []


@pytest.mark.parametrize(
    ("group", "codes"),
    [
        ("devices", scaip_codes.DEVICE_TYPES),
        ("statuses", scaip_codes.STATUS_CODES),
        ("locations", scaip_codes.LOCATIONS),
    ],
)
def test_every_scaip_code_has_swedish_text(group: str, codes: dict[int, object]) -> None:
    rows = texts.table("scaip")[group]
    assert sorted(map(int, rows)) == sorted(codes)
    untranslated = [code for code, row in rows.items() if not _translated(row["sv"], row["en"])]
    assert untranslated == []


@pytest.mark.parametrize(
    ("group", "keys"),
    [
        # Alarm categories, and the planned visits' own (a task is no alarm).
        ("categories", [*(c.value for c in Category), "task"]),
        ("qualifiers", [q.value for q in Qualifier]),
        ("causes", [c.value for c in Cause]),
        ("states", [s.value for s in ActivationState]),
        ("kinds", [k.value for k in ActivationKind]),
        ("reasons", [r.value for r in Reason]),
    ],
)
def test_every_label_has_swedish_text(group: str, keys: list[str]) -> None:
    rows = texts.table("labels")[group]
    assert sorted(rows) == sorted(keys)
    assert [k for k, row in rows.items() if not _translated(row["sv"], row["en"])] == []


def test_timeline_entry_kinds_written_by_the_intake_have_labels() -> None:
    for kind in ("event", "restore", "confirmed", "claimed", "held", "step_done", "closed"):
        assert texts.entry_label(kind, "sv") != kind
    assert texts.entry_label("claimed", "sv") == "Taget"
    assert texts.entry_label("snapshot_viewed", "en") == "Camera snapshot viewed"
    assert texts.entry_label("something_new", "sv") == "something new"


def test_json_codes_keep_both_languages() -> None:
    assert all(_translated(code.sv, code.en) for code in JSON_CODES.values())


@pytest.mark.parametrize(
    ("protocol", "code", "qualifier", "sv", "en"),
    [
        ("dc09-sia", "BA", "new", "Inbrottslarm", "Burglary alarm"),
        ("dc09-sia", "FA", "new", "Brandlarm", "Fire alarm"),
        ("dc09-sia", "HA", "new", "Överfallslarm", "Hold-up alarm"),
        ("dc09-sia", "TA", "new", "Sabotagelarm", "Tamper alarm"),
        ("dc09-sia", "AT", "new", "Strömavbrott (nätfel)", "AC trouble"),
        ("dc09-sia", "YT", "new", "Batterifel (systembatteri)", "System battery trouble"),
        ("dc09-sia", "CL", "new", "Tillkopplat", "Closing report"),
        ("dc09-sia", "OP", "new", "Frånkopplat", "Opening report"),
        ("dc09-sia", "RX", "new", "Manuellt provlarm", "Manual test"),
        ("dc09-cid", "130", "new", "Inbrottslarm", "Burglary"),
        ("dc09-cid", "301", "new", "Strömavbrott (nätfel)", "AC loss"),
        ("dc09-cid", "401", "new", "Från-/tillkoppling av användare (frånkoppling)",
         "Open/close by user (opening)"),
        ("dc09-cid", "401", "restore", "Från-/tillkoppling av användare (tillkoppling)",
         "Open/close by user (closing)"),
        ("scaip", "0003/", "new", "Larmknapp (personlig): larm", "Personal trigger: alarm"),
        ("scaip", "0005/0016", "new", "Fallarm: lågt batteri", "Fall detector: battery low"),
        ("json", "water_leak", "restore", "Vattenläckage – återställt", "Water leak - restored"),
        ("supervision", "PATH_FAIL", "new", "Överföringsfel (sändaren hörs inte)",
         "Path failure (transmitter silent)"),
    ],
)  # fmt: skip
def test_event_text(protocol: str, code: str, qualifier: str, sv: str, en: str) -> None:
    assert texts.event_text(protocol, code, "stored", "sv", qualifier=qualifier) == sv
    assert texts.event_text(protocol, code, "stored", "en", qualifier=qualifier) == en


def test_unknown_codes_fall_back_never_blank() -> None:
    stored = "Unknown SIA code QQ"
    assert texts.event_text("dc09-sia", "QQ", stored, "sv") == "Okänd kod QQ"
    assert texts.event_text("dc09-sia", "QQ", stored, "en") == stored
    assert texts.event_text("scaip", "0003/9999", "x", "sv") == "Okänd kod 0003/9999"
    assert texts.event_text("no-such-protocol", "", "", "en") == "Unknown event"
    assert texts.event_text("dc09-sia", "BA", "", "de") == "Burglary alarm"


def test_labels() -> None:
    assert texts.category_label("fire", "sv") == "Brandlarm"
    assert texts.category_label(Category.FAULT, "sv") == "Fel"
    assert texts.qualifier_label("restore", "sv") == "Återställd"
    assert texts.cause_label(Cause.CANCELLED, "sv") == "Återkallat av kunden"
    assert texts.state_label("on_hold", "en") == "On hold"
    assert texts.reason_label("no_right", "sv") == "Behörighet saknas"
    assert texts.cause_label(None, "sv") == ""
    assert list(texts.labels("causes", "sv")) == [c.value for c in Cause]
