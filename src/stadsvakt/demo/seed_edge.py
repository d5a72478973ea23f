"""The demo's edge devices: enrolled through the real services, their files on disk.

Three door controllers (``EDGE_PLANS``) each serve a few doors of one site: a care home's
entrances and staff room, an LSS home's entrances (*LSS-boende*: a group home under the
disability support act), a school's entrances and plant room. Each is enrolled as a
technician would enrol it: an administrator's one-time code, then the device's own
freshly generated Ed25519 key. What the device keeps (its key, its MQTT password, the
centre's public key and its ``edge.toml``) is written to the demo's edge folder beside
the database (``<database>.edge/``), which the next demo removes with the database.

:func:`demo_edge_settings` gives the demo's settings what its embedded broker needs: a
free loopback port, the CA file's place in that folder, and a centre password (and
snapshot signing key, unless one is set) made afresh for each run and never printed.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from pydantic import SecretStr
from rich.progress import Progress
from sqlalchemy.orm import Session

from stadsvakt.context import acting_as, system_actor
from stadsvakt.demo.data import DemoCity
from stadsvakt.demo.seed import DEMO_ACTOR, SeedResult
from stadsvakt.demo.steps import steps
from stadsvakt.edge.agent.config import LOOPBACK, parse_config
from stadsvakt.edge.agent.status import SOFTWARE_VERSION
from stadsvakt.edge.devices.models import DeviceKind
from stadsvakt.edge.devices.schemas import EnrolmentCodeCreate
from stadsvakt.edge.devices.service import create_enrolment_code, enrol
from stadsvakt.edge.settings import EdgeSettings
from stadsvakt.settings import Settings

#: The broker and the centre as the demo's devices reach them: this machine.
LOOPBACK_HOST = "127.0.0.1"
#: The file in each device's folder that ``stadsvakt edge --config`` reads.
CONFIG_NAME = "edge.toml"
#: The first lock relay's and door contact's GPIO lines (door i: + i).
LOCK_BASE, CONTACT_BASE = 10, 40
#: How long a demo door may stand open after a grant before it is *held* (kvarhållen).
HELD_OPEN_SECONDS = 20.0
#: How often a demo device uploads its events: soon after a read, so the logs show it.
UPLOAD_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class EdgePlan:
    """A demo device: the unit whose first site it stands in, its name, and its doors by
    their place in the site's door list (``access.json``: main entrance, staff entrance,
    staff room, offices, plant room)."""

    unit: str
    name: str
    doors: tuple[int, ...]


EDGE_PLANS = (
    EdgePlan("HVO-LIN", "Dörrcentral entréer och personalrum", (0, 1, 2)),
    EdgePlan("FUN-LIN", "Dörrcentral entréer", (0, 1)),
    EdgePlan("GRF-NOR", "Dörrcentral entréer och teknikrum", (0, 1, 4)),
)


@dataclass(frozen=True, slots=True)
class DemoDevice:
    """An enrolled demo device: its id, name, site and the ``edge.toml`` it runs from."""

    device_id: uuid.UUID
    name: str
    site_name: str
    config: Path


def edge_folder(database: Path) -> Path:
    """Where the demo keeps its devices' files: ``<database>.edge`` beside the database."""
    return database.with_name(database.name + ".edge")


def free_port(host: str = LOOPBACK_HOST) -> int:
    """A TCP port free on ``host`` now (the demo's broker binds it when it starts)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def demo_edge_settings(base: EdgeSettings, database: Path) -> EdgeSettings:
    """``base`` with the demo's embedded broker: on a free loopback port with TLS whose CA
    is in the edge folder, and a fresh centre password. ``enabled`` stays off: the demo
    runs its own hub beside its broker (:mod:`stadsvakt.demo.edge`), not the one
    ``stadsvakt serve`` starts for a broker of an installation's own."""
    broker = base.broker.model_copy(
        update={
            "enabled": False,
            "host": LOOPBACK_HOST,
            "port": free_port(),
            "tls_ca": edge_folder(database).absolute() / "broker" / "ca.pem",
            "centre_password": SecretStr(secrets.token_urlsafe(24)),
            "password_file": None,
            "pid_file": None,
        }
    )
    snapshot = base.snapshot
    if "signing_key" not in snapshot.model_fields_set:
        # Not the published development key: this run's snapshots are signed by its own.
        seed = Ed25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )
        key = SecretStr(base64.b64encode(seed).decode())
        snapshot = snapshot.model_copy(update={"signing_key": key})
    return base.model_copy(update={"broker": broker, "snapshot": snapshot})


def centre_url(settings: Settings) -> str:
    """The centre as a device on this machine reaches it: plain HTTP is allowed to loopback
    only, so a demo served on another single address (``--host 192.0.2.7``) gets no uploads
    (its devices still decide, and report over MQTT)."""
    return f"http://{LOOPBACK_HOST}:{settings.server.port}"


def seed_demo_edge(
    session: Session,
    settings: Settings,
    city: DemoCity,
    seeded: SeedResult,
    folder: Path,
    *,
    progress: Progress | None = None,
) -> list[DemoDevice]:
    """Enrol :data:`EDGE_PLANS`' devices and write their files into ``folder`` (the demo's
    :func:`edge_folder`)."""
    folder = folder.absolute()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    centre_key = folder / "centre.pub"
    centre_key.write_bytes(
        settings.edge.snapshot.public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
    )
    actor = system_actor(DEMO_ACTOR, seeded.municipality.id)
    devices: list[DemoDevice] = []
    with acting_as(actor):
        for plan in steps(progress, "Edge devices", EDGE_PLANS):
            site_code = next(s.code for s in city.sites if s.unit == plan.unit)
            placed = seeded.access.sites[site_code]
            doors = [placed.doors[i].id for i in plan.doors]
            data = EnrolmentCodeCreate(
                name=plan.name, kind=DeviceKind.EDGE_AGENT, site_id=placed.site.id, door_ids=doors
            )
            _, code = create_enrolment_code(session, actor, data, settings=settings.edge.devices)
            key = Ed25519PrivateKey.generate()
            public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            enrolled = enrol(session, code, base64.b64encode(public).decode(), SOFTWARE_VERSION)
            home = folder / site_code.lower()
            config = _write_device(
                home, settings, seeded.municipality.id, enrolled.device_id, doors, key, centre_key
            )
            _secret(home / "mqtt.password", enrolled.mqtt_password.encode() + b"\n")
            devices.append(DemoDevice(enrolled.device_id, plan.name, placed.site.name, config))
    return devices


def _secret(path: Path, data: bytes) -> None:
    """Write ``data`` readable by its owner only (a key, a password)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)


def _write_device(
    home: Path,
    settings: Settings,
    tenant_id: uuid.UUID,
    device_id: uuid.UUID,
    doors: list[uuid.UUID],
    key: Ed25519PrivateKey,
    centre_key: Path,
) -> Path:
    """The device's folder: its key and its ``edge.toml`` (checked as the agent reads it)."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    _secret(
        home / "device.key", key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    broker = settings.edge.broker
    top = {
        "device_id": str(device_id),
        "tenant_id": str(tenant_id),
        "centre_url": centre_url(settings),
        "key_file": str(home / "device.key"),
        "buffer_path": str(home / "events.sqlite"),
        "snapshot_file": str(home / "state" / "snapshot.json"),
        "centre_key_file": str(centre_key),
        "upload_interval_seconds": UPLOAD_SECONDS,
    }
    section = {
        "host": broker.host,
        "port": broker.port,
        "ca_file": str(broker.tls_ca),
        "password_file": str(home / "mqtt.password"),
    }
    readers = [
        # No secure channel on these in-process lines: libosdp drops a secure reader for
        # five minutes after one reply later than 200 ms (a retried command breaks the MAC
        # chain), and a simulated reader in a busy demo process is late now and then.
        # There is no wire here for the channel to protect (docs/edge.md: In the demo).
        {"name": f"reader-{i + 1}", "device": LOOPBACK, "address": i + 1, "secure_channel": False}
        for i in range(len(doors))
    ]
    door_rows = [
        {
            "door_id": str(door),
            "reader": f"reader-{i + 1}",
            "lock_output": LOCK_BASE + i,
            "contact_input": CONTACT_BASE + i,
            "held_open_seconds": HELD_OPEN_SECONDS,
        }
        for i, door in enumerate(doors)
    ]
    text = "\n".join(
        [
            "# A demo edge device, written by `stadsvakt demo` (run with `stadsvakt edge`).",
            _table(top.items()),
            "[broker]",
            _table(section.items()),
            *(f"[[readers]]\n{_table(r.items())}" for r in readers),
            *(f"[[doors]]\n{_table(d.items())}" for d in door_rows),
        ]
    )
    parse_config(text)  # refused here, naming the field, rather than when the demo serves
    path = home / CONFIG_NAME
    path.write_text(text, encoding="utf-8")
    return path


def _table(items: Iterable[tuple[str, object]]) -> str:
    """``key = value`` lines; strings as TOML basic strings (JSON's escapes are TOML's)."""
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in items)
