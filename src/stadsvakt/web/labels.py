"""Words for stored codes, in the page's language: the ``label`` template filter.

A template never shows a stored code (``outside_schedule``, ``lost``, ``fire``); it
shows the code's label::

    {{ credential.state|label("credential_state") }}     → Förlorat / Lost
    {{ event.reason|label("decision_reason") }}          → Utanför tidsschema
    {{ event.granted|label("decision") }}                → Beviljad / Nekad
    {% for value, text in label_choices("door_mode") %}  (a select list, in enum order)

Views use :func:`label` and :func:`choices` with the page's language and gettext
(``label("grant_kind", grant.kind, page.lang, page._)``...). A value may be the enum
member or its string; ``None`` gives an empty string; an unknown value is shown as
it is (never an error on a page).

Groups (``GROUPS``; the values are the listed enum's):

* ``credential_state`` (:class:`~stadsvakt.access.models.CredentialState`),
  ``credential_kind``, ``grant_kind``, ``door_mode``, ``holiday_mode``;
* ``person_kind`` (:class:`~stadsvakt.directory.models.PersonKind`);
* ``unit_kind``, ``owner_kind`` (:mod:`stadsvakt.org.models`);
* ``decision`` (``granted``/``denied``, or a decision's ``granted`` bool);
* ``orphan_reason`` (the orphan-credentials report);
* ``transmitter_protocol`` (:class:`~stadsvakt.alarms.models.TransmitterProtocol`);
* ``decision_reason`` (:class:`~stadsvakt.access.decide.Reason`), ``alarm_category``
  and ``alarm_qualifier``: these come from the safety centre's code tables
  (:mod:`stadsvakt.centre.texts`, ``labels.json``), so an operator and an
  administrator read the same word.

The gettext texts carry the group as their context (``msgctxt``), so "Active" can
be *aktivt* for a card and *aktiv* for a person. Mark new ones with :func:`C_`;
extraction: ``pybabel extract -F babel.cfg -k C_:1c,2``. A test fails when an enum
value has no label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any

from babel.support import Translations
from jinja2 import pass_context
from jinja2.runtime import Context

from stadsvakt.access.decide import Reason
from stadsvakt.access.models import (
    CredentialKind,
    CredentialState,
    DoorMode,
    GrantKind,
    HolidayMode,
)
from stadsvakt.access.reports.orphans import NO_CURRENT_ASSIGNMENT, PERSON_INACTIVE
from stadsvakt.alarms.models import TransmitterProtocol
from stadsvakt.alarms.protocols.events import Category, Qualifier
from stadsvakt.centre import texts
from stadsvakt.centre.models import ActivationState
from stadsvakt.directory.models import PersonKind
from stadsvakt.org.models import OwnerKind, UnitKind

Translate = Callable[[str], str]


def C_(context: str, message: str) -> str:
    """Mark a message with its context (a label group) for extraction; translated where shown."""
    del context
    return message


#: Labels kept in the gettext catalogues: group → code → English text (msgid).
_GETTEXT: Mapping[str, Mapping[str, str]] = {
    "credential_state": {
        CredentialState.ACTIVE: C_("credential_state", "Active"),
        CredentialState.SUSPENDED: C_("credential_state", "Suspended"),
        CredentialState.LOST: C_("credential_state", "Lost"),
        CredentialState.REVOKED: C_("credential_state", "Revoked"),
    },
    "credential_kind": {
        CredentialKind.CARD: C_("credential_kind", "Card or tag"),
        CredentialKind.PIN: C_("credential_kind", "PIN"),
        CredentialKind.MOBILE: C_("credential_kind", "Mobile key"),
    },
    "grant_kind": {
        GrantKind.GUEST: C_("grant_kind", "Guest"),
        GrantKind.CONTRACTOR: C_("grant_kind", "Contractor"),
        GrantKind.BOOKING: C_("grant_kind", "Booking"),
        GrantKind.EXTRA: C_("grant_kind", "Extra right for an employee"),
        GrantKind.URGENT: C_("grant_kind", "Urgent change"),
        GrantKind.OTHER: C_("grant_kind", "Other"),
    },
    "door_mode": {
        DoorMode.SECURE: C_("door_mode", "Locked"),
        DoorMode.SCHEDULED_UNLOCK: C_("door_mode", "Unlocked by schedule"),
        DoorMode.LOCKDOWN: C_("door_mode", "Lockdown"),
    },
    "holiday_mode": {
        HolidayMode.CLOSED: C_("holiday_mode", "Closed on holidays"),
        HolidayMode.NORMAL: C_("holiday_mode", "Holidays as ordinary days"),
        HolidayMode.HOLIDAY_INTERVALS: C_("holiday_mode", "Own hours on holidays"),
    },
    "person_kind": {
        PersonKind.EMPLOYEE: C_("person_kind", "Employee"),
        PersonKind.CONTRACTOR: C_("person_kind", "Contractor"),
        PersonKind.GUEST: C_("person_kind", "Guest"),
    },
    "unit_kind": {
        UnitKind.DEPARTMENT: C_("unit_kind", "Department"),
        UnitKind.UNIT: C_("unit_kind", "Unit"),
    },
    "owner_kind": {
        OwnerKind.CITY: C_("owner_kind", "The city"),
        OwnerKind.EXTERNAL: C_("owner_kind", "External property owner"),
    },
    "decision": {
        "granted": C_("decision", "Granted"),
        "denied": C_("decision", "Denied"),
    },
    "orphan_reason": {
        PERSON_INACTIVE: C_("orphan_reason", "Person inactive"),
        NO_CURRENT_ASSIGNMENT: C_("orphan_reason", "No current assignment"),
    },
    "transmitter_protocol": {
        TransmitterProtocol.DC09_SIA: C_("transmitter_protocol", "SIA DC-09 with SIA events"),
        TransmitterProtocol.DC09_CID: C_("transmitter_protocol", "SIA DC-09 with Contact ID"),
        TransmitterProtocol.SCAIP: C_("transmitter_protocol", "SCAIP social alarm"),
        TransmitterProtocol.JSON: C_("transmitter_protocol", "JSON over HTTP or MQTT"),
    },
}

#: Labels read from the safety centre's code tables: group → (table group, codes).
_CENTRE: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "decision_reason": ("reasons", tuple(Reason)),
    "alarm_category": ("categories", tuple(Category)),
    "alarm_qualifier": ("qualifiers", tuple(Qualifier)),
    "activation_state": ("states", tuple(ActivationState)),
}

#: Every group's codes in display order (the enum's order).
GROUPS: Mapping[str, tuple[str, ...]] = {
    **{group: tuple(str(code) for code in table) for group, table in _GETTEXT.items()},
    **{group: tuple(str(code) for code in codes) for group, (_, codes) in _CENTRE.items()},
}

#: The enums whose every value must have a label (checked by the tests).
ENUMS: Mapping[str, type[Enum]] = {
    "credential_state": CredentialState,
    "credential_kind": CredentialKind,
    "grant_kind": GrantKind,
    "door_mode": DoorMode,
    "holiday_mode": HolidayMode,
    "person_kind": PersonKind,
    "unit_kind": UnitKind,
    "owner_kind": OwnerKind,
    "transmitter_protocol": TransmitterProtocol,
    "decision_reason": Reason,
    "alarm_category": Category,
    "alarm_qualifier": Qualifier,
    "activation_state": ActivationState,
}


def _code(value: object) -> str:
    if isinstance(value, bool):
        return "granted" if value else "denied"
    return str(value.value if isinstance(value, Enum) else value)


def msgid(group: str, value: object) -> str | None:
    """The English text (gettext msgid) of a code of a gettext group, or None."""
    return _GETTEXT.get(group, {}).get(_code(value))


def label(group: str, value: object, lang: str, translations: Translations) -> str:
    """A stored code as words in ``lang``: ``label("credential_state", "lost", "sv", t)``."""
    if value is None or value == "":
        return ""
    code = _code(value)
    if group in _CENTRE:
        return texts.label(_CENTRE[group][0], code, lang)
    if group not in _GETTEXT:
        raise KeyError(f"no label group {group!r}")
    english = _GETTEXT[group].get(code)
    if english is None:
        return code
    return str(translations.pgettext(group, english))


def choices(group: str, lang: str, translations: Translations) -> list[tuple[str, str]]:
    """Every code of a group with its words, in the enum's order (for a select list)."""
    return [(code, label(group, code, lang, translations)) for code in GROUPS[group]]


def _page_values(context: Context) -> tuple[str, Translations]:
    return str(context.get("lang", "sv")), context["translations"]


@pass_context
def label_filter(context: Context, value: Any, group: str) -> str:
    """``{{ value|label("group") }}`` in the page's language."""
    lang, translations = _page_values(context)
    return label(group, value, lang, translations)


@pass_context
def label_choices(
    context: Context, group: str, only: Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """``label_choices("group")``: ``(code, words)`` pairs in the page's language."""
    lang, translations = _page_values(context)
    pairs = choices(group, lang, translations)
    if only is None:
        return pairs
    wanted = {_code(code) for code in only}
    return [pair for pair in pairs if pair[0] in wanted]
