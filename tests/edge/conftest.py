"""Shared fixtures of the edge's tests: a real Mosquitto with stadsvakt's generated
configuration (TLS, passwords, ACL), started once per test session on a free port.

Without ``/usr/sbin/mosquitto`` the broker's tests skip, except under CI (``CI`` set),
where they fail: there the broker is part of the test environment.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import aiomqtt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadsvakt.edge.broker.client import connect, device_client
from stadsvakt.edge.broker.mosquitto import MOSQUITTO, MosquittoBroker
from stadsvakt.edge.broker.passwords import mosquitto_hash

#: Devices enrolled at the session broker's start.
DEVICES = 4


@dataclass(frozen=True, slots=True)
class EdgeDevice:
    """A device the test broker knows: its id (= MQTT username), password and signing key."""

    id: uuid.UUID
    password: str
    key: Ed25519PrivateKey


@dataclass(frozen=True, slots=True)
class EdgeBroker:
    """The running test broker, the centre's credentials and the enrolled devices."""

    broker: MosquittoBroker
    centre_username: str
    centre_password: str
    devices: list[EdgeDevice]

    def centre(self, *, clean_session: bool = True) -> aiomqtt.Client:
        """A new connection as the centre (a client id of its own)."""
        return connect(
            self.broker.host,
            self.broker.port,
            username=self.centre_username,
            password=self.centre_password,
            ca=self.broker.tls.ca,
            identifier=f"centre-{uuid.uuid4().hex[:12]}",
            clean_session=clean_session,
        )

    def device(self, device: EdgeDevice, *, password: str | None = None) -> aiomqtt.Client:
        """A new connection as ``device`` (its own password unless another is given)."""
        return device_client(
            self.broker.host,
            self.broker.port,
            device_id=device.id,
            password=device.password if password is None else password,
            ca=self.broker.tls.ca,
            clean_session=True,
        )


def require_mosquitto() -> None:
    """Skip (fail under CI) when the Mosquitto broker is not installed."""
    if not MOSQUITTO.exists():
        message = f"{MOSQUITTO} is not installed"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def make_device() -> EdgeDevice:
    """A device with a random id, password and key (not yet known to a broker)."""
    return EdgeDevice(uuid.uuid4(), secrets.token_urlsafe(16), Ed25519PrivateKey.generate())


@pytest.fixture(scope="session")
def edge_broker() -> Iterator[EdgeBroker]:
    """Mosquitto with the generated configuration and :data:`DEVICES` enrolled devices."""
    require_mosquitto()
    devices = [make_device() for _ in range(DEVICES)]
    centre_password = secrets.token_urlsafe(16)
    accounts = [(str(d.id), mosquitto_hash(d.password)) for d in devices]
    with MosquittoBroker(
        accounts, centre_username="stadsvakt-centre", centre_password=centre_password
    ) as broker:
        yield EdgeBroker(broker, "stadsvakt-centre", centre_password, devices)
