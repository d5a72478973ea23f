"""The kinds of steps an action plan has, as data: pure, no database and no I/O.

A step is stored in a :class:`~stadsvakt.centre.plans.models.PlanVersion` as a JSON
object; :class:`Step` is its typed form. Every step has an instruction for the
operator and may be *mandatory* (the activation cannot close until it is done).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any


class StepKind(StrEnum):
    """What a step asks the operator (or stadsvakt) to do."""

    CALL = "call"  # call the site's contacts of some roles, within their hours
    DISPATCH = "dispatch"  # send a field unit of a type, or a named guard company
    NOTIFY = "notify"  # send an e-mail or SMS (stadsvakt sends it)
    POLICE = "police"  # call the police (112, or 114 14) with a script
    HOME_CARE = "home_care"  # alert the home-care team (hemtjänst)
    #: Notify the manager at once, in parallel with the rest (as Göteborg's personal
    #: alarms do): sent by stadsvakt when an operator first opens the activation.
    NOTIFY_MANAGER_PARALLEL = "notify_manager_parallel"


#: Kinds whose step stadsvakt sends itself (the operator presses "Send").
SENDING = frozenset({StepKind.NOTIFY, StepKind.NOTIFY_MANAGER_PARALLEL})


class ContactRole(StrEnum):
    """Who a site contact is (the call list's roles)."""

    OWNER = "owner"  # fastighetsägare
    KEYHOLDER = "keyholder"  # nyckelhållare
    CARETAKER = "caretaker"  # fastighetsskötare
    MANAGER = "manager"  # chef, verksamhetsansvarig
    STAFF = "staff"  # personal
    OTHER = "other"


class UnitType(StrEnum):
    """The field units a dispatch step may ask for."""

    GUARD = "guard"  # väktare
    SECURITY_OFFICER = "security_officer"  # ordningsvakt
    SAFETY_HOST = "safety_host"  # trygghetsvärd
    HOME_CARE = "home_care"  # hemtjänstens larmpatrull


class Channel(StrEnum):
    """How a notify step reaches people."""

    EMAIL = "email"
    SMS = "sms"


class PoliceNumber(StrEnum):
    """Which police number to call."""

    EMERGENCY = "112"
    NON_EMERGENCY = "114 14"


class Outcome(StrEnum):
    """What the operator records for a step done (``failed``: stadsvakt could not send)."""

    REACHED = "reached"
    NOT_REACHED = "not_reached"
    SENT = "sent"
    DONE = "done"
    FAILED = "failed"


#: Outcomes an operator may choose in the "done" form.
CHOSEN_OUTCOMES = (Outcome.REACHED, Outcome.NOT_REACHED, Outcome.SENT, Outcome.DONE)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a plan version (see the module docstring).

    ``roles``: whose contacts a call or notify step uses (empty: every contact; a
    manager notice defaults to managers). ``recipients``: addresses or numbers a
    notify step uses instead of contacts (comma-separated). ``message``: the text a
    notify step sends (empty: stadsvakt writes one from the activation).
    """

    kind: StepKind
    instruction: str
    mandatory: bool = False
    key: str = ""
    roles: tuple[ContactRole, ...] = ()
    unit_type: UnitType | None = None
    company: str = ""
    channel: Channel = Channel.EMAIL
    recipients: str = ""
    message: str = ""
    number: PoliceNumber = PoliceNumber.EMERGENCY
    script: str = ""
    team: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sends(self) -> bool:
        """Whether stadsvakt sends this step itself (e-mail or SMS)."""
        return self.kind in SENDING

    def contact_roles(self) -> tuple[ContactRole, ...]:
        """The roles whose contacts this step uses (a manager notice: managers)."""
        if not self.roles and self.kind is StepKind.NOTIFY_MANAGER_PARALLEL:
            return (ContactRole.MANAGER,)
        return self.roles

    def recipient_list(self) -> list[str]:
        """The explicit recipients, one per item, without blanks."""
        return [
            item.strip() for item in self.recipients.replace(";", ",").split(",") if item.strip()
        ]

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        data = asdict(self)
        data.pop("extra")
        data["kind"] = self.kind.value
        data["roles"] = [role.value for role in self.roles]
        data["unit_type"] = self.unit_type.value if self.unit_type else None
        data["channel"] = self.channel.value
        data["number"] = self.number.value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Step:
        """A stored step (unknown values fall back to defaults, so old versions still read)."""
        unit = data.get("unit_type")
        return cls(
            kind=StepKind(data["kind"]),
            instruction=str(data.get("instruction", "")),
            mandatory=bool(data.get("mandatory", False)),
            key=str(data.get("key", "")),
            roles=tuple(ContactRole(r) for r in data.get("roles", ()) if r in set(ContactRole)),
            unit_type=UnitType(unit) if unit in set(UnitType) else None,
            company=str(data.get("company", "")),
            channel=Channel(data.get("channel", "email"))
            if data.get("channel") in set(Channel)
            else Channel.EMAIL,
            recipients=str(data.get("recipients", "")),
            message=str(data.get("message", "")),
            number=PoliceNumber(data["number"])
            if data.get("number") in set(PoliceNumber)
            else PoliceNumber.EMERGENCY,
            script=str(data.get("script", "")),
            team=str(data.get("team", "")),
        )


def new_key() -> str:
    """A fresh step key (kept when a step moves or the plan gets a new version)."""
    return secrets.token_hex(4)


def keyed(steps: list[Step]) -> list[Step]:
    """The steps, each with a key (a new step gets one; keys stay unique)."""
    seen: set[str] = set()
    out = []
    for step in steps:
        key = step.key
        while not key or key in seen:
            key = new_key()
        seen.add(key)
        out.append(step if key == step.key else replace(step, key=key))
    return out
