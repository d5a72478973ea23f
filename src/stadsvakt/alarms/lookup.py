"""The receivers' in-memory view of the transmitter registry: address → transmitter and key.

Parsing a frame needs the key before anything else, thousands of times a second,
so receivers never ask the database per frame. The directory loads every
transmitter once, unseals the keys, and reloads when the registry's version
marker (count and latest change) moves; it also reloads (at most once a second)
when an unknown address arrives, so a transmitter registered a moment ago is
served on the panel's next attempt. Loading happens in a worker thread, never on
the event loop, and at most once per poll interval however many unknown
addresses a flood brings. The marker lives in the database, so changes made by another
process (the API, a CSV import) are seen too.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.alarms.models import Transmitter
from stadsvakt.alarms.service import normalise_hex, open_key, registry_version
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.db import read_only_session

log = logging.getLogger(__name__)

Address = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class KnownTransmitter:
    """What a receiver needs to know about one transmitter."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    site_id: uuid.UUID
    protocol: str
    key: bytes | None
    encrypted_only: bool


def address(account: str, receiver: str | None, line: str | None) -> Address:
    """The lookup key of a frame's account, receiver and line fields."""
    return account.upper(), normalise_hex(receiver), normalise_hex(line)


class TransmitterDirectory:
    """Address → :class:`KnownTransmitter`, refreshed from the database on change."""

    def __init__(self, factory: sessionmaker[Session], box: SecretBox) -> None:
        self._factory = factory
        self._box = box
        self._by_address: Mapping[Address, KnownTransmitter] = {}
        self._version: tuple[int, datetime | None] | None = None
        self._missed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._by_address)

    def find(self, account: str, receiver: str | None, line: str | None) -> KnownTransmitter | None:
        """The transmitter at this address, or ``None`` (which asks for an early reload).

        The fallback to line 0 serves panels that send a line prefix the registry
        left at its default.
        """
        key = address(account, receiver, line)
        found = self._by_address.get(key) or self._by_address.get((key[0], key[1], "0"))
        if found is None:
            self._missed.set()
        return found

    def key_for(self, account: str, receiver: str | None, line: str | None) -> bytes | None:
        """The AES key for a frame's address (the ``KeyLookup`` the DC-09 parser takes)."""
        found = self.find(account, receiver, line)
        return found.key if found else None

    async def run(self, poll_s: float = 2.0) -> None:
        """Keep the directory current until cancelled: poll, or reload soon after a miss."""
        while True:
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a
                # cancellation that arrives as the event is set, and never stop.
                async with asyncio.timeout(poll_s):
                    await self._missed.wait()
            except TimeoutError:
                pass
            self._missed.clear()
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:  # a database hiccup must not stop the receiver
                log.exception("reloading the transmitter directory failed; retrying")
            # Bound the reload rate, however many unknown addresses arrive.
            await asyncio.sleep(min(poll_s, 0.5))

    def refresh(self) -> bool:
        """Reload if the registry changed; returns whether it reloaded."""
        with read_only_session(self._factory) as session:
            version = registry_version(session)
            if version == self._version:
                return False
            rows = list(session.scalars(select(Transmitter)))
        loaded: dict[Address, KnownTransmitter] = {}
        for row in rows:
            key = None
            if row.key_sealed:
                try:
                    key = open_key(self._box, row.key_sealed)
                except ValueError:
                    log.error("transmitter %s: key cannot be unsealed; treated as unknown", row.id)
                    continue
            loaded[(row.account, row.receiver, row.line)] = KnownTransmitter(
                id=row.id,
                tenant_id=row.tenant_id,
                site_id=row.site_id,
                protocol=row.protocol.value,
                key=key,
                encrypted_only=row.encrypted_only,
            )
        self._by_address = loaded
        self._version = version
        return True
