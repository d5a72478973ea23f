"""Words for the audit trail's stored codes, links to the objects rows are about, and
values of a before/after as a reader reads them.

An action is ``<object>.<verb>`` (``person.update``, ``centre.task_schedule.create``):
the list shows the verb's word and the object's; a code without a word is shown as it
is stored (never an error on a page). ``KNOWN_ACTIONS`` are the actions offered in the
action filter; an action missing from it is still accepted when the trail holds it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from stadsvakt.audit.diff import MISSING
from stadsvakt.web.forms import N_
from stadsvakt.web.localtime import local_time

Translate = Callable[[str], str]

#: Object types as the trail stores them → their word.
OBJECT_TYPES: Mapping[str, str] = {
    "access_event": N_("Access events"),
    "access_profile": N_("Access profile"),
    "action_plan": N_("Action plan"),
    "activation": N_("Activation"),
    "api_token": N_("API token"),
    "assignment": N_("Assignment"),
    "audit_key": N_("Audit key"),
    "audit_trail": N_("Audit trail"),
    "audit_verification": N_("Audit trail check"),
    "camera": N_("Camera"),
    "camera_snapshot": N_("Camera picture"),
    "centre_receiver": N_("Alarm reception"),
    "credential": N_("Credential"),
    "dispatch": N_("Dispatch"),
    "edge_device": N_("Edge device"),
    "enrolment_code": N_("Enrolment code"),
    "door": N_("Door"),
    "field_unit": N_("Field unit"),
    "grant": N_("Direct grant"),
    "group": N_("Group"),
    "holiday_calendar": N_("Holiday calendar"),
    "municipality": N_("Municipality"),
    "org_unit": N_("Organisation unit"),
    "person": N_("Person"),
    "position_profile": N_("Position profile"),
    "role": N_("Role"),
    "schedule": N_("Schedule"),
    "served_municipality": N_("Served municipality"),
    "service_level": N_("Service level"),
    "site": N_("Site"),
    "site_contact": N_("Site contact"),
    "site_note": N_("Site note"),
    "site_service": N_("Site service"),
    "task_schedule": N_("Scheduled task"),
    "test_window": N_("Test period"),
    "training": N_("Training"),
    "transmitter": N_("Transmitter"),
    "user": N_("User account"),
    "zone": N_("Zone"),
}

#: Who acted, when not a signed-in user.
ACTOR_KINDS: Mapping[str, str] = {
    "anonymous": N_("Not signed in"),
    "system": N_("System"),
    "token": N_("API token"),
    "user": N_("User account"),
}

#: The last part of an action → its word.
VERBS: Mapping[str, str] = {
    "accept": N_("Accepted"),
    "acknowledge": N_("Acknowledged"),
    "add": N_("Added"),
    "arrive": N_("Arrived"),
    "cancel": N_("Cancelled"),
    "clear": N_("Cleared"),
    "create": N_("Created"),
    "deactivate": N_("Deactivated"),
    "delete": N_("Deleted"),
    "enrol": N_("Enrolled"),
    "end": N_("Ended"),
    "escalate": N_("Escalated"),
    "evidence_purged": N_("Evidence purged"),
    "export": N_("Exported"),
    "import": N_("Imported"),
    "inform": N_("Informed"),
    "language": N_("Language changed"),
    "log": N_("Logged"),
    "login": N_("Logged in"),
    "lost": N_("Reported lost"),
    "members": N_("Members changed"),
    "offer": N_("Offered"),
    "password": N_("Password changed"),
    "purge": N_("Purged"),
    "reactivate": N_("Reactivated"),
    "refuse": N_("Refused"),
    "remove": N_("Removed"),
    "revoke": N_("Revoked"),
    "rotate": N_("Key changed"),
    "set": N_("Set"),
    "snapshot_view": N_("Picture viewed"),
    "snapshots": N_("Pictures taken"),
    "start": N_("Started"),
    "suspend": N_("Suspended"),
    "totp_enable": N_("Two-factor login turned on"),
    "undo": N_("Undone"),
    "update": N_("Changed"),
    "verify": N_("Checked"),
}

_CRUD = ("create", "update", "delete")
#: The actions the filter offers, by the object word they are grouped under.
KNOWN_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "person": tuple(f"person.{v}" for v in ("create", "update", "deactivate", "delete")),
    "assignment": tuple(f"assignment.{v}" for v in ("create", "update", "end", "delete")),
    "training": ("training.create", "training.update"),
    "group": tuple(f"group.{v}" for v in ("create", "update", "members", "delete")),
    "position_profile": tuple(f"position_profile.{v}" for v in _CRUD),
    "org_unit": tuple(f"org_unit.{v}" for v in _CRUD),
    "site": (*(f"site.{v}" for v in _CRUD), "site_note.create", "site_service.set"),
    "service_level": tuple(f"service_level.{v}" for v in _CRUD),
    "zone": tuple(f"zone.{v}" for v in _CRUD),
    "door": tuple(f"door.{v}" for v in _CRUD),
    "schedule": tuple(f"schedule.{v}" for v in _CRUD),
    "holiday_calendar": tuple(f"holiday_calendar.{v}" for v in _CRUD),
    "access_profile": tuple(f"access_profile.{v}" for v in _CRUD),
    "grant": tuple(f"grant.{v}" for v in ("create", "update", "end", "delete")),
    "credential": tuple(f"credential.{v}" for v in ("create", "update", "lost", "revoke")),
    "access_event": ("access_event.purge",),
    "user": (
        "session.login",
        *(f"user.{v}" for v in ("create", "update", "password", "language", "totp_enable")),
    ),
    "api_token": ("token.create", "token.revoke"),
    "role": ("role.update",),
    "transmitter": tuple(f"transmitter.{v}" for v in _CRUD),
    "camera": tuple(f"camera.{v}" for v in (*_CRUD, "snapshots", "snapshot_view")),
    "site_contact": tuple(f"site_contact.{v}" for v in _CRUD),
    "audit_trail": ("audit.export", "audit.verify"),
    "edge_device": ("edge_device.enrol", "edge_device.revoke"),
    "enrolment_code": ("enrolment_code.create", "enrolment_code.refuse"),
}
ACTIONS = frozenset(a for group in KNOWN_ACTIONS.values() for a in group)
#: What an action or object type must look like to be looked up at all.
CODE = re.compile(r"^[a-z][a-z_]{0,40}(\.[a-z][a-z_]{0,40}){0,3}$")

#: Fields of a before/after → their word (others are shown by their stored name).
FIELDS: Mapping[str, str] = {
    "active": N_("Active"),
    "code": N_("Code"),
    "email": N_("E-mail"),
    "employee_number": N_("Employee number"),
    "family_name": N_("Family name"),
    "given_name": N_("Given name"),
    "kind": N_("Kind"),
    "name": N_("Name"),
    "number": N_("Number"),
    "org_unit_id": N_("Unit"),
    "person_id": N_("Person"),
    "profile_id": N_("Access profile"),
    "reason": N_("Reason"),
    "site_id": N_("Site"),
    "state": N_("State"),
    "valid_from": N_("Valid from"),
    "valid_to": N_("Valid to"),
    "zone_id": N_("Zone"),
}

#: Object types with a page of their own: its path and the permission it needs.
OBJECT_PAGES: Mapping[str, tuple[str, str]] = {
    "person": ("/people/{id}", "person.read"),
    "site": ("/sites/{id}", "site.read"),
    "org_unit": ("/org-units/{id}", "org.read"),
    "schedule": ("/access/schedules/{id}", "access.read"),
    "holiday_calendar": ("/access/holiday-calendars/{id}", "access.read"),
    "door": ("/access/doors/{id}", "access.write"),
    "transmitter": ("/transmitters/{id}", "transmitter.read"),
    "activation": ("/centre/activations/{id}", "centre.read"),
    "action_plan": ("/centre/plans/{id}", "centre.read"),
    "site_contact": ("/centre/contacts/{id}", "centre.read"),
    "task_schedule": ("/centre/tasks/{id}", "centre.read"),
    "edge_device": ("/edge/devices/{id}", "device.read"),
}


def word(table: Mapping[str, str], code: str | None, _: Translate) -> str:
    """The word for a code in the page's language, or the code itself."""
    if not code:
        return ""
    text = table.get(code)
    return _(text) if text else code


def verb(action: str, _: Translate) -> str:
    """An action's verb as a word (``person.update`` → "Changed")."""
    return word(VERBS, action.rsplit(".", 1)[-1], _)


def action_label(action: str, _: Translate) -> str:
    """An action as its object's word and its verb (``person.update`` → "Person: Changed")."""
    head = action.rsplit(".", 1)[0].rsplit(".", 1)[-1]
    kind = {"session": "user", "token": "api_token", "audit": "audit_trail"}.get(head, head)
    return f"{word(OBJECT_TYPES, kind, _)}: {verb(action, _)}"


def object_link(object_type: str, object_id: str | None, can: Callable[[str], bool]) -> str | None:
    """The page of the object a row is about, when there is one the reader may open."""
    page = OBJECT_PAGES.get(object_type)
    if page is None or not object_id or not can(page[1]):
        return None
    try:
        return page[0].format(id=uuid.UUID(object_id))
    except ValueError:
        return None


_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")


#: Stored codes shown as words (``web.labels`` groups), by object type and field.
CODED_FIELDS: Mapping[tuple[str, str], str] = {
    ("credential", "state"): "credential_state",
    ("credential", "kind"): "credential_kind",
    ("grant", "kind"): "grant_kind",
    ("person", "kind"): "person_kind",
    ("door", "mode"): "door_mode",
    ("schedule", "holiday_mode"): "holiday_mode",
    ("org_unit", "kind"): "unit_kind",
    ("site", "owner_kind"): "owner_kind",
    ("transmitter", "protocol"): "transmitter_protocol",
    ("activation", "state"): "activation_state",
    ("activation", "category"): "alarm_category",
    ("alarm", "category"): "alarm_category",
}


def coded_group(object_type: str | None, field: str, value: Any) -> str | None:
    """The label group a stored value of this field is shown with, if it is a code."""
    group = CODED_FIELDS.get((object_type or "", field))
    return group if group is not None and isinstance(value, str) and value else None


def shown_value(value: Any, _: Translate) -> str:
    """A before/after value as text: times in Swedish time, yes/no, lists joined."""
    if value is MISSING:
        return _("(not present)")
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and _MOMENT.match(value):
        return local_time(datetime.fromisoformat(value.replace("Z", "+00:00")))
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value) or "–"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
