"""Credential identifiers in their one normal form: what is stored and what a reader presents.

Pure code, no I/O. Every writer of a credential (the API, the web UI, the demo seed, a
data import) stores :func:`normalise`'s result, and a decision looks the presented
text up with :func:`presented` — the same rules, so a reader's ``04:a2:2b:1c`` finds
the card stored as ``04A22B1C``. A credential is known by its kind *and* identifier:

========  =====================================================================
kind      normal form
========  =====================================================================
``card``  the UID in hex: separators (``:`` ``-`` ``.`` spaces) dropped, upper
          case, 8–20 digits, an even number (a UID is whole bytes)
``mobile`` the key id as issued, surrounding spaces dropped, **case kept**: ids
          are opaque (often base64url) and ``aB3`` and ``Ab3`` are two keys;
          4–64 of letters, digits and ``. _ : -``
``pin``   a lookup id, 1–64 of letters, digits and ``. _ -`` (never presented
          at a reader: the PIN itself is hashed)
========  =====================================================================
"""

from __future__ import annotations

import re

from stadsvakt.errors import InvalidInput

CARD, MOBILE, PIN = "card", "mobile", "pin"

#: Separators people and reader software put between a UID's bytes; they carry no meaning.
UID_SEPARATORS = re.compile(r"[\s:.\-]")
_UID = re.compile(r"^(?:[0-9A-F]{2}){4,10}$")
_MOBILE = re.compile(r"^[A-Za-z0-9._:-]{4,64}$")
_PIN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def normalise_card(raw: str) -> str | None:
    """A card UID in its normal form, or ``None`` if the text cannot be one."""
    uid = UID_SEPARATORS.sub("", raw).upper()
    return uid if _UID.match(uid) else None


def normalise_mobile(raw: str) -> str | None:
    """A mobile key id in its normal form (case kept), or ``None`` if it cannot be one."""
    key = raw.strip()
    return key if _MOBILE.match(key) else None


def presented(kind: str, raw: str) -> str | None:
    """The normal form of what a reader presented, or ``None`` when no credential of ``kind``
    could have it (a decision then answers ``unknown_credential``, never an error)."""
    if kind == CARD:
        return normalise_card(raw)
    if kind == MOBILE:
        return normalise_mobile(raw)
    return None  # PINs and unknown kinds are never looked up by presented text


def normalise(kind: str, raw: str) -> str:
    """The stored form of a new credential's identifier; refuses one that breaks its kind's
    rule, naming ``identifier`` and the rule (``card_uid``, ``mobile_key_id``,
    ``pin_identifier``)."""
    if kind == CARD:
        uid = normalise_card(raw)
        if uid is None:
            raise InvalidInput(
                "identifier: a card UID is 8 to 20 hexadecimal digits, an even number of them",
                field="identifier",
                rule="card_uid",
            )
        return uid
    if kind == MOBILE:
        key = normalise_mobile(raw)
        if key is None:
            raise InvalidInput(
                "identifier: a mobile key id is 4 to 64 letters, digits or . _ : -",
                field="identifier",
                rule="mobile_key_id",
            )
        return key
    if kind == PIN:
        lookup = raw.strip()
        if not _PIN_ID.match(lookup):
            raise InvalidInput(
                "identifier: use letters, digits, dot, dash or underscore",
                field="identifier",
                rule="pin_identifier",
            )
        return lookup
    raise InvalidInput(f"kind: unknown credential kind {kind!r}", field="kind", rule="enum")
