"""The permission catalogue and the built-in roles, as data.

Roles are stored in the database (seeded from :data:`BUILTIN_ROLES` by the
migrations) so an installation can change what a role may do without code.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Every permission stadsvakt knows, with what it allows.
PERMISSIONS: dict[str, str] = {
    "org.read": "Read organisation units",
    "org.write": "Create, change and remove organisation units",
    "site.read": "Read sites",
    "site.write": "Create, change and remove sites",
    "user.read": "Read stadsvakt user accounts",
    "user.write": "Create and change stadsvakt user accounts and their roles",
    "role.read": "Read roles and their permissions",
    "role.write": "Change roles (permissions, second factor requirement)",
    "token.read": "List API tokens",
    "token.write": "Create and revoke API tokens",
    "audit.read": "Read the audit trail",
    "access.read": "Read zones, doors, schedules, holiday calendars, profiles and the catalogue",
    "access.write": "Change zones, doors, schedules, holiday calendars, profiles and the catalogue",
    "grant.read": "Read direct grants (guests, contractors, bookings)",
    "grant.write": "Give, change and withdraw direct grants",
    "credential.read": "Read credentials (cards, PINs, mobile keys)",
    "credential.write": "Issue credentials and change their state (suspend, lost, revoke)",
    "person.read": "Read people, their assignments and groups",
    "person.write": "Create, change, deactivate and remove people, assignments and groups",
    "training.read": "Read training records",
    "training.write": "Record training (API and CSV from an LMS)",
    "scim.provision": "Provision people and groups over SCIM 2.0 (a token for Entra ID, Okta)",
    "access.decide": "Ask for access decisions (door controllers' device tokens)",
    "alarm.read": "Read received alarms and their raw frames",
    "transmitter.read": "Read the alarm transmitter registry (keys are never shown)",
    "transmitter.write": "Register, change and remove alarm transmitters and their keys",
    "alarm.input": "Send technical and door alarms as JSON over HTTP (building systems' tokens)",
    "centre.read": "Read the safety centre's activations and statistics",
    "centre.operate": "Handle activations: claim, act on the action plan, dispatch, close",
    "centre.lead": "Lead a shift: receive escalations, reassign activations, see every operator",
    "centre.admin": "Set up the centre: action plans, cameras, field units, served municipalities",
    "unit.report": "Report a field unit's status and position (the unit's phone)",
    "device.read": "Read edge devices (site agents, lock hubs), their status and enrolment codes",
    "device.write": "Make enrolment codes for edge devices and revoke devices",
}


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """A built-in role: name, Swedish label, permissions and whether it is unit-scoped."""

    name: str
    label_sv: str
    label_en: str
    permissions: tuple[str, ...]
    unit_scoped: bool = False


_ALL = tuple(PERMISSIONS)
_READ = ("org.read", "site.read")
_ACCESS = ("access.read", "access.write", "grant.read", "grant.write")
_ACCESS_ALL = (*_ACCESS, "credential.read", "credential.write")
_ACCESS_READ = ("access.read", "grant.read", "credential.read")
_ALARM_READ = ("alarm.read", "transmitter.read")
_CENTRE = ("centre.read", "centre.operate")

BUILTIN_ROLES: tuple[RoleSpec, ...] = (
    RoleSpec("system_owner", "Tjänste-/systemägare", "System owner", _ALL),
    RoleSpec(
        "department_admin",
        "Förvaltningsadministratör",
        "Department administrator",
        (
            "org.read",
            "org.write",
            "site.read",
            "site.write",
            *_ACCESS_ALL,
            "person.read",
            "person.write",
            "training.read",
            "centre.read",
            "device.read",
            "device.write",
        ),
        unit_scoped=True,
    ),
    RoleSpec(
        "operator",
        "Larmoperatör",
        "Alarm operator",
        (
            *_READ,
            "access.read",
            "credential.read",
            "person.read",
            *_ALARM_READ,
            *_CENTRE,
            "device.read",
        ),
    ),
    RoleSpec(
        "shift_leader",
        "Jourledare",
        "Shift leader",
        (
            *_READ,
            "user.read",
            "audit.read",
            "access.read",
            "credential.read",
            "person.read",
            *_ALARM_READ,
            *_CENTRE,
            "centre.lead",
            "device.read",
        ),
    ),
    RoleSpec(
        "auditor",
        "Revisor / dataskyddsombud",
        "Auditor / DPO",
        (
            *_READ,
            "audit.read",
            "user.read",
            "role.read",
            "token.read",
            *_ACCESS_READ,
            "person.read",
            "training.read",
            *_ALARM_READ,
            "centre.read",
            "device.read",
        ),
    ),
    RoleSpec("read_only", "Läsbehörighet", "Read only", (*_READ, "access.read", "alarm.read")),
    RoleSpec("field_unit", "Fältenhet (väktare, hemtjänst)", "Field unit", ("unit.report",)),
)
