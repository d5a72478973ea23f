"""An MQTT broker inside the process (amqtt), so the demo needs no broker set up.

It applies the same rules as the generated Mosquitto configuration
(:mod:`stadsvakt.edge.broker.mosquitto`): no anonymous access, passwords checked against
the same ``$7$`` hashes, the centre's user may read and write ``stadsvakt/edge/#`` and a
device (username = its id) may read its own ``down`` topics and write its own ``up``
topics. One difference: amqtt refuses a subscription the ACL does not cover (SUBACK
0x80), where Mosquitto grants it and delivers nothing it may not read. amqtt speaks MQTT
3.1.1 only and keeps nothing on disk; production uses Mosquitto or EMQX.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from amqtt.broker import Broker  # type: ignore[import-untyped]
from amqtt.contexts import Action  # type: ignore[import-untyped]
from amqtt.errors import BrokerError  # type: ignore[import-untyped]
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin  # type: ignore[import-untyped]

from stadsvakt.edge.broker.mosquitto import password_file_text
from stadsvakt.edge.broker.passwords import mosquitto_hash, verify_mosquitto_hash
from stadsvakt.edge.broker.tls import TlsFiles
from stadsvakt.edge.broker.topics import ALL, ROOT, Direction

log = logging.getLogger(__name__)

#: The device rules, as Mosquitto's ``pattern`` lines (``%u`` = username).
READ_PATTERNS = (f"{ROOT}/%u/{Direction.DOWN}/#",)
WRITE_PATTERNS = (f"{ROOT}/%u/{Direction.UP}/#",)


def topic_matches(name: str, pattern: str) -> bool:
    """Whether topic ``name`` matches the MQTT filter ``pattern`` (``+`` and ``#``)."""
    levels, wanted = name.split("/"), pattern.split("/")
    for index, level in enumerate(wanted):
        if level == "#":
            return True
        if index >= len(levels) or level not in ("+", levels[index]):
            return False
    return len(levels) == len(wanted)


def filter_covered(subscription: str, pattern: str) -> bool:
    """Whether every topic the filter ``subscription`` matches also matches ``pattern``."""
    levels, wanted = subscription.split("/"), pattern.split("/")
    for index, level in enumerate(wanted):
        if level == "#":
            return True
        if index >= len(levels):
            return False
        mine = levels[index]
        if mine == "#" or (level != "+" and mine != level):
            return False
    return len(levels) == len(wanted)


def _user_patterns(patterns: Iterable[str], username: str) -> list[str]:
    # A username that holds a wildcard would widen its own rule: it gets none.
    if any(c in username for c in "+#/"):
        return []
    return [pattern.replace("%u", username) for pattern in patterns]


def allowed(username: str | None, name: str, action: str, *, centre: str) -> bool:
    """Whether ``username`` may publish, subscribe to or receive ``name`` (pure)."""
    if not username:
        return False
    if username == centre:
        rules = [ALL]
    elif action == Action.PUBLISH:
        rules = _user_patterns(WRITE_PATTERNS, username)
    else:
        rules = _user_patterns(READ_PATTERNS, username)
    check = filter_covered if action == Action.SUBSCRIBE else topic_matches
    return any(check(name, rule) for rule in rules)


class EdgeAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
    """amqtt authentication against ``$7$`` hashes; no username, no entry."""

    @dataclass
    class Config:
        """The accounts: username to ``$7$`` hash."""

        accounts: dict[str, str] = field(default_factory=dict)

    async def authenticate(self, *, session: Any) -> bool:
        """Whether the session's username and password match an account."""
        accounts: dict[str, str] = self.context.config.accounts
        hashed = accounts.get(session.username or "")
        return hashed is not None and verify_mosquitto_hash(session.password or "", hashed)


class EdgeTopicPlugin(BaseTopicPlugin):  # type: ignore[misc]
    """amqtt topic rules: the centre everything on the edge, a device its own topics."""

    @dataclass
    class Config:
        """The centre's username."""

        centre_username: str = ""

    async def topic_filtering(
        self, *, session: Any = None, topic: str | None = None, action: Any = None
    ) -> bool:
        """Whether the session's user may do ``action`` on ``topic``."""
        username = session.username if session is not None else None
        centre: str = self.context.config.centre_username
        return topic is not None and allowed(username, topic, str(action), centre=centre)


@dataclass
class EmbeddedBroker:
    """A running embedded broker: where it listens, and its accounts."""

    broker: Any
    host: str
    port: int
    tls: TlsFiles | None
    centre_username: str

    def set_accounts(self, accounts: Iterable[tuple[str, str]], centre_hash: str) -> None:
        """Replace the accounts (devices' ``(username, $7$ hash)`` and the centre's hash);
        connected clients stay connected, new connections see the new list."""
        table = _accounts(accounts, self.centre_username, centre_hash)
        plugin = self.broker.plugins_manager.get_plugin(EdgeAuthPlugin.__name__)
        plugin.context.config.accounts = table


def _accounts(accounts: Iterable[tuple[str, str]], centre: str, centre_hash: str) -> dict[str, str]:
    pairs = [(centre, centre_hash), *accounts]
    password_file_text(pairs)  # the same checks of names and hashes as for Mosquitto
    return dict(pairs)


def _config(
    host: str,
    port: int,
    accounts: Mapping[str, str],
    centre_username: str,
    tls: TlsFiles | None,
) -> dict[str, Any]:
    listener: dict[str, Any] = {"type": "tcp", "bind": f"{host}:{port}"}
    if tls is not None:
        listener |= {"ssl": True, "certfile": str(tls.cert), "keyfile": str(tls.key)}
    return {
        "listeners": {"default": listener},
        "plugins": {
            f"{__name__}.{EdgeAuthPlugin.__name__}": {"accounts": dict(accounts)},
            f"{__name__}.{EdgeTopicPlugin.__name__}": {"centre_username": centre_username},
        },
    }


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def embedded_broker(
    accounts: Iterable[tuple[str, str]],
    *,
    centre_username: str,
    centre_password: str,
    host: str = "127.0.0.1",
    port: int | None = None,
    tls: TlsFiles | None = None,
) -> AsyncIterator[EmbeddedBroker]:
    """Run an amqtt broker with the edge's rules on ``port`` (a free one by default) in
    this event loop; TLS when ``tls`` is given. Stops on leaving."""
    table = _accounts(accounts, centre_username, mosquitto_hash(centre_password))
    # Another process may take a probed free port before amqtt binds it: retry.
    for attempt in range(3):
        chosen = port if port is not None else _free_port(host)
        broker = Broker(_config(host, chosen, table, centre_username, tls))
        try:
            await broker.start()
        except BrokerError:
            if port is not None or attempt == 2:
                raise
            continue
        break
    log.info("embedded MQTT broker listening on %s:%s", host, chosen)
    try:
        yield EmbeddedBroker(broker, host, chosen, tls, centre_username)
    finally:
        await broker.shutdown()
