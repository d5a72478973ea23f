"""Uploading buffered events to the centre: ``POST /api/v1/edge/events``.

Each batch is an envelope (kind ``events``) signed with the device's key. Only the ids
the centre answers with (stored now or already before) are marked uploaded, so a batch
lost on the way is sent again and the centre stores each event once. The centre's
answer carries its time, which the agent's clock is checked against.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from stadsvakt.edge.agent.agent import Agent
from stadsvakt.edge.agent.config import EdgeConfig
from stadsvakt.edge.envelope import seal

log = logging.getLogger(__name__)

#: The centre's path for uploads, below ``centre_url``.
EVENTS_PATH = "/api/v1/edge/events"


def load_device_key(data: bytes) -> Ed25519PrivateKey:
    """The device's Ed25519 private key from a PEM (PKCS#8) file's bytes, or 32 raw bytes."""
    if len(data) == 32:
        return Ed25519PrivateKey.from_private_bytes(data)
    key = load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the key file does not hold an Ed25519 private key")
    return key


class CentreResponse(Protocol):
    """What the uploader reads of an answer."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""

    @property
    def headers(self) -> Mapping[str, str]:
        """The answer's headers."""

    @property
    def text(self) -> str:
        """The body as text."""

    def json(self) -> Any:
        """The body as JSON."""


class CentreClient(Protocol):
    """An HTTP client whose base URL is the centre's (an :class:`httpx.Client`)."""

    def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> CentreResponse:
        """POST ``content`` to ``url`` below the base URL."""


def centre_client(config: EdgeConfig) -> httpx.Client:
    """The HTTPS client for the centre in ``config`` (its CA bundle when given)."""
    verify: Any = str(config.ca_file) if config.ca_file is not None else True
    return httpx.Client(base_url=config.centre_url, verify=verify, timeout=10.0)


def _centre_time(response: CentreResponse) -> datetime | None:
    try:
        stated = response.json().get("time")
        if isinstance(stated, str):
            return datetime.fromisoformat(stated)
    except ValueError:
        pass
    date = response.headers.get("date")
    if date:
        try:
            return parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return None
    return None


def _refusal(response: CentreResponse) -> str:
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if isinstance(problem, dict):
        return f"{response.status_code} {problem.get('rule', '')}: {problem.get('detail', '')}"
    return f"the centre answered {response.status_code}"


class Uploader:
    """Sends the agent's buffered events, a batch at a time."""

    def __init__(self, agent: Agent, key: Ed25519PrivateKey, client: CentreClient) -> None:
        self.agent = agent
        self.key = key
        self.client = client

    def upload_once(self) -> int:
        """Send one batch (possibly empty: the centre's time is still checked); how many
        events the centre confirmed. An unreachable or refusing centre confirms none."""
        config = self.agent.config
        batch = self.agent.buffer.pending(config.upload_batch)
        payload = seal(
            {
                "kind": "events",
                "device": str(config.device_id),
                "body": {
                    "sent_at": self.agent.clock().astimezone(UTC).isoformat(),
                    "events": [event.body for event in batch],
                },
            },
            self.key,
        )
        try:
            response = self.client.post(
                EVENTS_PATH, content=payload, headers={"content-type": "application/json"}
            )
        except (httpx.TransportError, OSError) as exc:
            self.agent.health.centre_reachable = False
            log.info("centre unreachable, %d events kept: %s", len(batch), exc)
            return 0
        self.agent.health.centre_reachable = True
        centre_time = _centre_time(response)
        if centre_time is not None:
            self.agent.check_clock(centre_time)
        if response.status_code != 200:
            # The batch stays buffered; a refusal that repeats needs a person (a door the
            # centre does not give this device, a revoked device), so health says so.
            self.agent.health.faults["upload"] = _refusal(response)
            log.warning("centre refused the upload: %s %s", response.status_code, response.text)
            return 0
        self.agent.health.faults.pop("upload", None)
        answer = response.json()
        known = {*answer.get("stored", []), *answer.get("duplicates", [])}
        confirmed = [event.id for event in batch if str(event.id) in known]
        self.agent.buffer.mark_uploaded(confirmed)
        return len(confirmed)
