"""The centre as the agent's link tests play it: snapshot and delta bodies made by hand
through the snapshot codec's JSON form, sealed with the real sealing functions and the
development signing key, and revoke commands sealed as the hub seals them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from stadsvakt.access.timerules import Interval
from stadsvakt.edge.broker.gateway import Publisher
from stadsvakt.edge.broker.topics import Down
from stadsvakt.edge.envelope import public_bytes
from stadsvakt.edge.snapshot.build import seal_snapshot
from stadsvakt.edge.snapshot.codec import Json
from stadsvakt.edge.snapshot.delta import seal_delta
from stadsvakt.edge.snapshot.settings import SnapshotSettings
from tests.edge.agent.fakes import edge_toml

#: Cards in the hand-made city: name → identifier.
CARDS = {"anna": "04A1B2C3", "bo": "04B2C3D4"}


@dataclass
class HandCity:
    """One door every card holder may open at any hour; ids made up, bodies by hand."""

    tenant: uuid.UUID = field(default_factory=uuid.uuid4)
    door: uuid.UUID = field(default_factory=uuid.uuid4)
    zone: uuid.UUID = field(default_factory=uuid.uuid4)
    profile: uuid.UUID = field(default_factory=uuid.uuid4)
    schedule: uuid.UUID = field(default_factory=uuid.uuid4)
    people: dict[str, uuid.UUID] = field(default_factory=dict)
    cards: dict[str, uuid.UUID] = field(default_factory=dict)
    settings: SnapshotSettings = field(default_factory=lambda: SnapshotSettings())

    def __post_init__(self) -> None:
        for name in CARDS:
            self.people[name] = uuid.uuid4()
            self.cards[name] = uuid.uuid4()

    def person(self, name: str) -> Json:
        """A holder's entry: the profile, always."""
        source = "granted_by_grant"
        right = {"profile": str(self.profile), "from": None, "to": None, "source": source}
        return {
            "id": str(self.people[name]),
            "active": True,
            "extended_unlock": False,
            "rights": [right],
            "training": {},
            "pins": [],
        }

    def card(self, name: str) -> Json:
        """A holder's card entry."""
        return {
            "id": str(self.cards[name]),
            "kind": "card",
            "identifier": CARDS[name],
            "person": str(self.people[name]),
            "state": "active",
            "valid_from": None,
            "valid_to": None,
        }

    def snapshot_body(self, version: int, names: list[str] | None = None) -> Json:
        """The snapshot body at ``version`` with the holders ``names`` (all by default)."""
        names = list(CARDS) if names is None else names
        door: Json = {
            "id": str(self.door),
            "zone": str(self.zone),
            "mode": "secure",
            "unlock_schedule": None,
            "unlock_seconds": 5,
            "extended_unlock_seconds": 20,
            "site": None,
            "requires_pin": False,
            "escape_route": False,
            "emergency_open": False,
            "holidays": None,
            "eves": [],
        }
        always = [Interval(day, 0, 1440).to_dict() for day in range(7)]
        schedule = {
            "id": str(self.schedule),
            "intervals": always,
            "holiday_mode": "normal",
            "holidays": [],
            "eves": [],
        }
        profile = {
            "id": str(self.profile),
            "zones": [str(self.zone)],
            "schedule": str(self.schedule),
            "course": None,
        }
        return {
            "tenant": str(self.tenant),
            "version": version,
            "holidays_from": "2026-01-01",
            "holidays_until": "2028-01-01",
            "doors": [door],
            "schedules": [schedule],
            "profiles": [profile],
            "people": [self.person(n) for n in names],
            "credentials": [self.card(n) for n in names],
        }

    def snapshot(self, device: uuid.UUID, version: int, names: list[str] | None = None) -> bytes:
        """A sealed snapshot message for ``device``."""
        return seal_snapshot(self.snapshot_body(version, names), device, self.settings)

    def delta(self, device: uuid.UUID, start: int, end: int, changes: list[Json]) -> bytes:
        """A sealed delta message from ``start`` to ``end`` with ``changes``."""
        body = {
            "tenant": str(self.tenant),
            "from_version": start,
            "to_version": end,
            "changes": changes,
            "replace": {},
        }
        return seal_delta(body, device, self.settings)

    def upsert(self, name: str) -> list[Json]:
        """The changes that give a holder and their card (again)."""
        return [
            {"kind": "credentials", "op": "upsert", "entry": self.card(name)},
            {"kind": "people", "op": "upsert", "entry": self.person(name)},
        ]

    def remove(self, name: str) -> list[Json]:
        """The changes that take a card away."""
        return [{"kind": "credentials", "op": "remove", "id": str(self.cards[name])}]

    def revoke_body(self, seq: int, names: list[str], *, people: bool = False) -> Json:
        """A ``revoke`` command's body naming the cards (and holders) of ``names``."""
        return {
            "op": "revoke",
            "seq": seq,
            "tenant": str(self.tenant),
            "credentials": [str(self.cards[n]) for n in names],
            "people": [str(self.people[n]) for n in names] if people else [],
        }

    def revoke(self, device: uuid.UUID, seq: int, names: list[str]) -> bytes:
        """A sealed ``revoke`` command for ``device``."""
        body = self.revoke_body(seq, names)
        return Publisher.seal(device, Down.COMMAND, body, self.settings.private_key())

    def time(self, device: uuid.UUID, now: datetime) -> bytes:
        """A sealed ``time`` message."""
        body = {"now": now.isoformat()}
        return Publisher.seal(device, Down.TIME, body, self.settings.private_key())


def write_files(tmp_path: Path, device_key: Ed25519PrivateKey, city: HandCity) -> None:
    """The device key and the centre's public key where :func:`link_toml` names them."""
    raw = device_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    (tmp_path / "device.key").write_bytes(raw)
    (tmp_path / "centre.pub").write_bytes(public_bytes(city.settings.public_key()))


def link_toml(
    tmp_path: Path,
    *,
    device: uuid.UUID,
    city: HandCity,
    broker: tuple[str, int, Path] | None,
    password: str = "",
    status_seconds: float = 600,
) -> str:
    """An edge.toml for the city's door with a snapshot file, the centre's key and, when
    ``broker`` (host, port, CA) is given, a ``[broker]`` section."""
    text = edge_toml(
        tmp_path,
        device_id=device,
        tenant_id=city.tenant,
        door_id=city.door,
        centre_url="http://127.0.0.1:9",
    )
    files = (
        f'snapshot_file = "{tmp_path / "state" / "snapshot.json"}"\n'
        f'centre_key_file = "{tmp_path / "centre.pub"}"\n'
        f"status_interval_seconds = {status_seconds}\n"
    )
    if broker is not None:
        host, port, ca = broker
        (tmp_path / "mqtt.password").write_text(password + "\n")
        files += (
            f'\n[broker]\nhost = "{host}"\nport = {port}\nca_file = "{ca}"\n'
            f'password_file = "{tmp_path / "mqtt.password"}"\n'
        )
    return text.replace("\n[[readers]]", files + "\n[[readers]]", 1)
