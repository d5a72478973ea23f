"""The audit chain's HMAC keys, and how they travel with a database engine.

Every engine is built by :func:`stadsvakt.db.create_db_engine` from the settings, and
it hands the settings' keys to :func:`attach_keyring`: each connection of that engine
then carries the keyring in its ``info``, so :func:`stadsvakt.audit.service.record` finds
the key through the session it is given (services take only ``session``), without a
global and without the key ever being written to the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

from stadsvakt.settings import AuditSettings

#: Where a connection's ``info`` holds the keyring.
_INFO_KEY = "stadsvakt.audit_keyring"


class AuditKeysMissing(RuntimeError):
    """The session's engine was not built by ``create_db_engine``, so it has no audit keys.

    A programming error, not bad input: every engine in stadsvakt comes from there.
    """


@dataclass(frozen=True, slots=True)
class Keyring:
    """The current HMAC key (by id) and every retired one, for writing and verifying."""

    current_id: str
    keys: Mapping[str, bytes]

    @classmethod
    def from_settings(cls, audit: AuditSettings) -> Keyring:
        """The keyring the settings describe: the current key and the retired ones."""
        retired = audit.retired_hmac_keys.items()
        keys = {key_id: key.get_secret_value().encode() for key_id, key in retired}
        keys[audit.hmac_key_id] = audit.hmac_key.get_secret_value().encode()
        return cls(current_id=audit.hmac_key_id, keys=keys)

    @property
    def current(self) -> bytes:
        """The key new rows are made with."""
        return self.keys[self.current_id]

    def get(self, key_id: str) -> bytes | None:
        """The key with this id, or None when it is not configured."""
        return self.keys.get(key_id)


def attach_keyring(engine: Engine, audit: AuditSettings) -> None:
    """Make every connection of ``engine`` carry the keyring of these settings."""
    keyring = Keyring.from_settings(audit)

    # Fired for every Connection, also those of ``engine.execution_options(...)`` copies
    # (they share the engine's events), and for pooled DBAPI connections made earlier.
    @event.listens_for(engine, "engine_connect")
    def _carry(connection: Connection) -> None:
        connection.info[_INFO_KEY] = keyring


def keyring_of(session: Session) -> Keyring:
    """The keyring of the engine behind ``session``."""
    keyring = session.connection().info.get(_INFO_KEY)
    if not isinstance(keyring, Keyring):
        raise AuditKeysMissing(
            "this session's engine carries no audit keys: build engines with"
            " stadsvakt.db.create_db_engine(settings)"
        )
    return keyring
