"""Part 4: a card revoked at the centre, timed until every edge denies it.

The city gets a master key (*huvudnyckel*): a profile opening the zones of ``edges``
doors spread over the city, granted to one caretaker whose card is then revoked. Each
of those doors gets an edge device of its own, enrolled through the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import SecretStr

from benchmarks.decisions import city as city_mod
from benchmarks.edge.centre import Centre, EnrolledDevice, enrol
from benchmarks.edge.figures import summary
from benchmarks.edge.fleet import HubThread, SimulatedEdge, run_loop
from stadsvakt.access.models import (
    AccessProfile,
    Credential,
    CredentialState,
    Door,
    Grant,
    ProfileZone,
)
from stadsvakt.access.services.credentials import change_state
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import unit_of_work
from stadsvakt.directory.models import Assignment, Person
from stadsvakt.edge.broker.mosquitto import MosquittoBroker
from stadsvakt.edge.broker.settings import BrokerSettings
from stadsvakt.edge.devices.service import mqtt_accounts
from stadsvakt.edge.hub import push
from stadsvakt.edge.settings import EdgeSettings
from stadsvakt.edge.snapshot.settings import SnapshotSettings
from stadsvakt.org.models import OrgUnit, Site

#: The master key's card (14 hex digits, as the city's cards).
MASTER_CARD = "0BADC0FFEE0001"
#: The centre's own MQTT user.
CENTRE_USER = "stadsvakt-centre"
#: TLS handshakes under way at once while the edges connect.
CONNECTING = 32
#: How long the edges may go without one more of them holding its snapshot.
STALL_S = 120.0
#: A quiet moment after the last snapshot (deltas of the setup's own changes settle).
SETTLE_S = 2.0
#: How long every edge may take to deny the card.
DENY_TIMEOUT_S = 60.0
Bars = Callable[[str], Callable[[int], Callable[[int], None]]]


@dataclass
class Plan:
    """The master key and the doors of the revocation's edges (set by :meth:`add_rows`)."""

    edges: int
    person_id: uuid.UUID = field(default_factory=uuid.uuid4)
    credential_id: uuid.UUID = field(default_factory=uuid.uuid4)
    profile_id: uuid.UUID = field(default_factory=uuid.uuid4)
    #: (door, its site) of each edge.
    doors: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)

    def add_rows(self, data: city_mod.CityData) -> None:
        """Add the master key to the generated city: ``edges`` doors spread evenly over the
        city (none of the large site's), the profile, its holder, grant and card."""
        large_site = data.rows[Site][0]["id"]
        # Not the large site's (another device serves them), nor a door in lockdown
        # (where no card opens).
        candidates = [
            row
            for row in data.rows[Door]
            if row["site_id"] != large_site and row["mode"] == "secure"
        ]
        if len(candidates) < self.edges:
            raise ValueError(f"the city has {len(candidates)} doors for {self.edges} edges")
        step = len(candidates) / self.edges
        chosen = [candidates[int(i * step)] for i in range(self.edges)]
        self.doors = [(row["id"], row["site_id"]) for row in chosen]
        tenant = data.tenant_id
        unit = next(row["id"] for row in data.rows[OrgUnit] if row.get("parent_id"))
        base = {"tenant_id": tenant}
        data.rows[AccessProfile].append(
            {
                **base,
                "id": self.profile_id,
                "code": "HUVUDNYCKEL",
                "name": "Huvudnyckel",
                "org_unit_id": unit,
                "schedule_id": data.schedule_ids["dygnet_runt"],
                "required_course": None,
            }
        )
        zones = sorted({row["zone_id"] for row in chosen}, key=str)
        data.rows[ProfileZone].extend({"profile_id": self.profile_id, "zone_id": z} for z in zones)
        data.rows[Person].append(
            {
                **base,
                "id": self.person_id,
                "org_unit_id": unit,
                "kind": "employee",
                "employee_number": "999999",
                "given_name": "Vera",
                "family_name": "Vaktmästare",
                "active": True,
                "extended_unlock": False,
            }
        )
        data.rows[Assignment].append(
            {
                **base,
                "id": uuid.uuid4(),
                "person_id": self.person_id,
                "org_unit_id": unit,
                "position": "vaktmästare",
                "start": date(2020, 1, 1),
                "end": None,
            }
        )
        data.rows[Grant].append(
            {
                **base,
                "id": uuid.uuid4(),
                "profile_id": self.profile_id,
                "person_id": self.person_id,
                "kind": "extra",
                "valid_from": datetime(2025, 1, 1, tzinfo=UTC),
                "valid_to": datetime(2030, 1, 1, tzinfo=UTC),
            }
        )
        data.rows[Credential].append(
            {
                **base,
                "id": self.credential_id,
                "person_id": self.person_id,
                "kind": "card",
                "identifier": MASTER_CARD,
                "technology": "MIFARE DESFire EV2",
                "state": "active",
                "valid_to": datetime(2030, 1, 1, tzinfo=UTC),
            }
        )


def _enrol_all(centre: Centre, plan: Plan, advance: Callable[[int], None]) -> list[EnrolledDevice]:
    devices: list[EnrolledDevice] = []
    with unit_of_work(centre.session_factory) as session:
        for i, (door, site) in enumerate(plan.doors):
            devices.append(enrol(session, centre.city.tenant_id, site, [door], f"Dörragent {i}"))
            advance(1)
    return devices


def _revoke(centre: Centre, plan: Plan) -> None:
    """Revoke the master key's card as ``PATCH /api/v1/access/credentials/{id}`` does."""
    actor = system_actor("bench edge", centre.city.tenant_id)
    with unit_of_work(centre.session_factory) as session, acting_as(actor):
        change_state(session, actor, plan.credential_id, CredentialState.REVOKED)


async def _all_set(
    events: list[asyncio.Event], tasks: list[asyncio.Task[None]], timeout: float, advance: Any
) -> int:
    """Wait until every event is set, or none more has been for ``timeout`` seconds; how
    many are. A task that ended with an error ends the wait with it."""
    deadline = time.monotonic() + timeout
    done = 0
    while time.monotonic() < deadline:
        now_done = sum(event.is_set() for event in events)
        if advance is not None:
            advance(now_done - done)
        if now_done > done:
            deadline = time.monotonic() + timeout
        done = now_done
        if done == len(events):
            break
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise RuntimeError("an edge's link failed") from task.exception()
        await asyncio.sleep(0.01)
    return done


class _SentAt(logging.Handler):
    """Notes the ``time.perf_counter()`` at which the hub logs that it has published the
    revocation to every device (its publishes acknowledged by the broker)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.at: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Note the first such line."""
        if self.at is None and record.getMessage().startswith("revocation up to"):
            self.at = time.perf_counter()


@contextlib.contextmanager
def _hub_sent() -> Iterator[_SentAt]:
    logger = logging.getLogger(push.__name__)
    handler, level = _SentAt(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def _fleet(
    centre: Centre,
    plan: Plan,
    devices: list[EnrolledDevice],
    settings: EdgeSettings,
    broker: MosquittoBroker,
    bars: Bars,
    sent: _SentAt,
) -> dict[str, Any]:
    edges = [SimulatedEdge(d, centre.city.tenant_id, settings, MASTER_CARD) for d in devices]
    slots = asyncio.Semaphore(CONNECTING)
    tasks = [
        asyncio.create_task(edge.run(broker.host, broker.port, broker.tls.ca, slots))
        for edge in edges
    ]
    try:
        started = time.perf_counter()
        ready = await _all_set(
            [edge.ready for edge in edges],
            tasks,
            STALL_S,
            bars("Edges: snapshots")(len(edges)),
        )
        setup_s = time.perf_counter() - started
        if ready < len(edges):
            raise RuntimeError(
                f"only {ready} of {len(edges)} edges hold a snapshot opening the door"
            )
        await asyncio.sleep(SETTLE_S)
        revoked_at = time.perf_counter()
        for edge in edges:
            edge.watch_from = revoked_at
        await asyncio.to_thread(_revoke, centre, plan)
        committed_ms = (time.perf_counter() - revoked_at) * 1000
        denied = await _all_set([edge.denied for edge in edges], tasks, DENY_TIMEOUT_S, None)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    delays = [(e.denied_at - revoked_at) * 1000 for e in edges if e.denied_at is not None]
    # Apart: until the command reached each edge's handler (the centre, the broker and the
    # simulator's own delivery), and the edge's share after that (verify, revoke, decide).
    arrivals = [(e.command_at - revoked_at) * 1000 for e in edges if e.command_at is not None]
    handling = [
        (e.denied_at - e.command_at) * 1000
        for e in edges
        if e.denied_at is not None and e.command_at is not None
    ]
    result: dict[str, Any] = {
        "revocation_edges": len(edges),
        "revocation_denied": denied,
        "revocation_missed": len(edges) - denied,
        "revocation_commit_ms": round(committed_ms, 2),
        "revocation_setup_s": round(setup_s, 1),
        "revocation_denied_by": dict(Counter(e.denied_by for e in edges if e.denied_by)),
        "revocation_refused": dict(sum((e.refused for e in edges), Counter())),
    }
    if sent.at is not None:
        result["revocation_hub_published_ms"] = round((sent.at - revoked_at) * 1000, 2)
    if delays:
        result.update(summary("revocation", delays))
    if arrivals:
        result.update(summary("revocation_command_arrived", arrivals))
    if handling:
        result.update(summary("revocation_edge_handling", handling))
    return result


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Only errors from logger ``name`` meanwhile."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def measure(
    centre: Centre,
    plan: Plan,
    settings: SnapshotSettings,
    bars: Bars,
    *,
    hub_inflight: int | None = None,
) -> dict[str, Any]:
    """Enrol an edge per planned door, start the broker, the hub and the edges, revoke
    the master key's card and time each edge's deny (module docstring)."""
    devices = _enrol_all(centre, plan, bars("Enrolling the edges")(len(plan.doors)))
    with unit_of_work(centre.session_factory) as session:
        accounts = mqtt_accounts(session)
    password = secrets.token_urlsafe(16)
    # The hub publishes one command per edge at once, and aiomqtt logs a warning line for
    # each QoS 1 publish beyond ten awaiting the broker's PUBACK: a thousand lines on stderr.
    with (
        _quiet("mqtt"),
        MosquittoBroker(accounts, centre_username=CENTRE_USER, centre_password=password) as broker,
    ):
        edge_settings = EdgeSettings(
            broker=BrokerSettings(
                enabled=True,
                host=broker.host,
                port=broker.port,
                tls_ca=broker.tls.ca,
                centre_username=CENTRE_USER,
                centre_password=SecretStr(password),
            ),
            snapshot=settings,
        )
        with (
            _hub_sent() as sent,
            HubThread(edge_settings, centre.session_factory, inflight=hub_inflight) as hub,
        ):
            result = run_loop(_fleet(centre, plan, devices, edge_settings, broker, bars, sent))
            time.sleep(SETTLE_S)  # the hub counts a send once all its publishes are done
            result["revocation_hub_sent"] = dict(hub.hub.pusher.sent)
    result["revocation_broker_accounts"] = len(accounts)
    result["revocation_hub_inflight"] = hub_inflight or "paho default (20)"
    return result
