"""Door PIN digests: the fast salted hash a door decision checks a typed PIN against.

A PIN credential keeps two hashes. ``pin_hash`` (argon2, :mod:`stadsvakt.auth.passwords`)
is the slow one for anything a person types outside a door. ``door_pin_digest`` is this
module's PBKDF2-HMAC-SHA256 with :data:`ITERATIONS` rounds, salted with the credential's
own id: ``decide()`` is pure and answers in microseconds, on the centre and on small edge
agents, so it cannot spend argon2's tens of milliseconds and megabytes per attempt, and
the digest travels in the index and in edge snapshots, where argon2 parameters would not.

Why not a keyed HMAC with a per-municipality secret: the secret would have to travel to
every edge agent with the snapshot, so it protects nothing the snapshot does not already
expose, and it would add a key to rotate. What protects a 4-8 digit PIN is not the hash
(10^4-10^8 guesses offline are cheap at any cost a door can pay) but that it is a second
factor beside the card and that wrong PINs at a door lock the holder out
(:mod:`stadsvakt.access.pin_attempts`). The digest is therefore treated as a secret:
excluded from audit rows and from every API answer, like ``pin_hash``.
"""

from __future__ import annotations

import hashlib
import uuid

#: PBKDF2 rounds: about 0.4 ms per check on a server core, a few ms on an edge agent.
ITERATIONS = 1000


def door_pin_digest(salt: bytes, pin: str) -> bytes:
    """The digest of ``pin`` with ``salt`` (a PIN credential's id as bytes)."""
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, ITERATIONS)


def digest_for(credential_id: uuid.UUID, pin: str) -> str:
    """The hex digest stored in ``credentials.door_pin_digest`` for a PIN credential."""
    return door_pin_digest(credential_id.bytes, pin).hex()
