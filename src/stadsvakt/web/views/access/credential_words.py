"""What the credential pages say: service refusals as messages in the page's language, and
the words for each action (the services' texts are English; a form shows these instead).

Kortnummer (card UID), tagg (tag), PIN-kod, mobilnyckel (mobile key); spärra (suspend),
anmäla förlorat (report lost), återkalla (revoke), återaktivera (reactivate).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from stadsvakt.access.models import CredentialKind, CredentialState
from stadsvakt.errors import DomainError
from stadsvakt.web.forms import N_, FormErrors, Translate

#: The message shown when a form was opened before someone else changed the row.
STALE = N_(
    "The details have been changed by someone else since you opened the page. Reload and try again."
)

#: The message shown when the lifecycle does not allow a change (a lost card reactivated).
NOT_ALLOWED = N_("The credential's state does not allow this.")

#: Notices after issuing a credential and after saving its details.
ISSUED = N_("%(what)s has been issued to %(name)s.")
SAVED = N_("%(what)s: the changes are saved.")

#: Messages by (field, rule) of a service's refusal.
_RULES: Mapping[tuple[str, str], str] = {
    ("identifier", "card_uid"): N_(
        "Enter the card number (UID) as 8 to 20 hexadecimal characters, for example 04A1B2C3."
    ),
    ("identifier", "mobile_key_id"): N_(
        "Enter the mobile key id: 4 to 64 letters, digits or . _ : -"
    ),
    ("identifier", "pin_identifier"): N_("Use letters, digits, dot, dash or underscore."),
    ("identifier", "required"): N_("Enter the card number."),
    ("pin", "pin_digits"): N_("A PIN is 4 to 8 digits."),
    ("pin", "required_for_pin"): N_("Enter the PIN."),
    ("pin_again", "pin_mismatch"): N_("The two PINs are not the same."),
    ("valid_to", "after_valid_from"): N_("Valid to must come after valid from."),
    ("valid_from", "datetime"): N_("Give a date and time as YYYY-MM-DD HH:MM (Swedish time)."),
    ("valid_to", "datetime"): N_("Give a date and time as YYYY-MM-DD HH:MM (Swedish time)."),
    ("valid_from", "date_range"): N_("Give a date between 1900 and 2100."),
    ("valid_to", "date_range"): N_("Give a date between 1900 and 2100."),
    ("state", "state_transition"): NOT_ALLOWED,
}

#: A taken identifier, by kind.
_TAKEN: Mapping[CredentialKind, str] = {
    CredentialKind.CARD: N_("The card number is already in use."),
    CredentialKind.MOBILE: N_("The mobile key id is already in use."),
    CredentialKind.PIN: N_("The PIN id is already in use."),
}


def field_and_rule(exc: DomainError) -> tuple[str, str]:
    """The field and rule a service's refusal names (rule = the error's code otherwise)."""
    for item in exc.extra.get("errors", []):
        return str(item.get("field", "")), str(item.get("rule", ""))
    return str(exc.extra.get("field", "")), str(exc.extra.get("rule", exc.code))


def refusal(
    exc: DomainError, kind: CredentialKind, known: Collection[str], _: Translate
) -> FormErrors:
    """A service's refusal as a message on its field, in the page's language."""
    errors = FormErrors()
    name, rule = field_and_rule(exc)
    if rule == "stale":
        errors.general.append(_(STALE))
    elif exc.code == "conflict" and name == "identifier":
        errors.add("identifier", _(_TAKEN[kind]), known)
    elif (name, rule) in _RULES:
        errors.add(name, _(_RULES[(name, rule)]), known)
    else:
        errors.general.append(_(N_("The credential could not be saved.")))
    return errors


@dataclass(frozen=True, slots=True)
class Action:
    """A change of state offered on a person's page: its name in URLs, the state it
    moves to, whether it asks first, and its button."""

    name: str
    target: CredentialState
    confirm: bool
    button: str
    #: What happens, with %(what)s (the credential) and %(name)s (the holder).
    effect: str
    #: Whether and how it can be undone, shown on the confirmation page.
    afterwards: str
    #: The notice after it is done.
    done: str
    #: The action that undoes it, if the lifecycle allows one.
    undo: str | None


ACTIONS: Mapping[str, Action] = {
    "suspend": Action(
        "suspend",
        CredentialState.SUSPENDED,
        True,
        N_("Suspend"),
        N_("%(what)s belonging to %(name)s is suspended at once and opens no doors."),
        N_("This can be undone with Reactivate."),
        N_("%(what)s belonging to %(name)s is suspended and opens no doors."),
        "reactivate",
    ),
    "lost": Action(
        "lost",
        CredentialState.LOST,
        True,
        N_("Report lost"),
        N_("%(what)s belonging to %(name)s is blocked as lost at once and opens no doors."),
        N_(
            "This cannot be undone: a lost card may have been copied. "
            "Issue a replacement card afterwards."
        ),
        N_("%(what)s belonging to %(name)s is blocked as lost."),
        None,
    ),
    "revoke": Action(
        "revoke",
        CredentialState.REVOKED,
        True,
        N_("Revoke"),
        N_("%(what)s belonging to %(name)s is revoked at once and opens no doors."),
        N_("This cannot be undone: a revoked credential can never be used again."),
        N_("%(what)s belonging to %(name)s is revoked."),
        None,
    ),
    "reactivate": Action(
        "reactivate",
        CredentialState.ACTIVE,
        False,
        N_("Reactivate"),
        N_("%(what)s belonging to %(name)s opens doors again, as its rights allow."),
        N_("This can be undone with Suspend."),
        N_("%(what)s belonging to %(name)s is active again."),
        "suspend",
    ),
}

#: "The card 04A1B2C3", by kind, with %(id)s.
_WHAT: Mapping[CredentialKind, str] = {
    CredentialKind.CARD: N_("The card %(id)s"),
    CredentialKind.PIN: N_("The PIN %(id)s"),
    CredentialKind.MOBILE: N_("The mobile key %(id)s"),
}


def what(kind: CredentialKind, identifier: str, _: Translate) -> str:
    """The credential named in a sentence: "Kortet 04A1B2C3"."""
    return _(_WHAT[kind]) % {"id": identifier}
