"""MQTT connections of the edge over TLS (aiomqtt), for the centre and for devices.

Everything on the edge's topics goes at QoS 1 (at least once: a receiver recognises a
repeat by the envelope's content) and is never retained.
"""

from __future__ import annotations

import ssl
import uuid
from pathlib import Path

import aiomqtt

from stadsvakt.edge.broker.settings import BrokerSettings

#: The QoS of every edge message.
QOS = 1
#: Seconds between keep-alive pings; the broker drops a silent client after 1.5 times this.
KEEPALIVE_S = 30


def tls_context(ca: Path | None) -> ssl.SSLContext:
    """A client TLS context that checks the broker's certificate and host name against
    ``ca`` (or the system's trust store without one)."""
    context = ssl.create_default_context(cafile=str(ca) if ca is not None else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def connect(
    host: str,
    port: int,
    *,
    username: str,
    password: str,
    ca: Path | None,
    identifier: str,
    clean_session: bool = False,
    timeout: float = 10.0,
) -> aiomqtt.Client:
    """An MQTT client over TLS with a username and password (use with ``async with``).

    ``clean_session`` is off by default: the broker keeps a client's subscriptions and
    its QoS 1 messages while it is away, under its stable ``identifier``.
    """
    return aiomqtt.Client(
        host,
        port,
        username=username,
        password=password,
        identifier=identifier,
        clean_session=clean_session,
        tls_context=tls_context(ca),
        keepalive=KEEPALIVE_S,
        timeout=timeout,
    )


def centre_client(settings: BrokerSettings, *, identifier: str) -> aiomqtt.Client:
    """The centre's connection as its own MQTT user, from the broker settings."""
    if settings.centre_password is None:
        raise ValueError("edge.broker.centre_password is required to connect the centre")
    return connect(
        settings.host,
        settings.port,
        username=settings.centre_username,
        password=settings.centre_password.get_secret_value(),
        ca=settings.tls_ca,
        identifier=identifier,
    )


def device_client(
    host: str,
    port: int,
    *,
    device_id: uuid.UUID,
    password: str,
    ca: Path | None,
    clean_session: bool = False,
) -> aiomqtt.Client:
    """A device's connection: its id is both its MQTT username and its client id."""
    return connect(
        host,
        port,
        username=str(device_id),
        password=password,
        ca=ca,
        identifier=str(device_id),
        clean_session=clean_session,
    )
