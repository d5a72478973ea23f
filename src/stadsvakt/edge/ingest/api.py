"""``POST /api/v1/edge/events``: an edge device uploads its buffered events.

Who is asking is the envelope's signature: the body is an envelope (kind ``events``)
signed with the key of the device it names, and the device's public key is found with
the devices' key lookup (:func:`key_lookup`). An unknown device or a bad signature is a
403, a malformed envelope or body a 422 naming the rule; never a 500. The request's
unit of work commits before the answer, so an id in the answer is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.api.deps import SessionDep
from stadsvakt.api.problems import problem_responses
from stadsvakt.db import utcnow
from stadsvakt.edge.devices.service import public_key_of
from stadsvakt.edge.envelope import BadEnvelope, parse, verify
from stadsvakt.edge.ingest.schemas import (
    UploadAnswer,
    UploadBody,
    UploadForbidden,
    UploadRefused,
)
from stadsvakt.edge.ingest.service import receive_events

#: A device's public key by its id (None: not enrolled, or revoked).
KeyLookup = Callable[[Session, uuid.UUID], Ed25519PublicKey | None]
#: The largest upload (a full batch of events is far below this).
MAX_UPLOAD_BYTES = 2 * 1024 * 1024

router = APIRouter(tags=["edge"])


def key_lookup() -> KeyLookup:
    """The enrolled devices' public keys (a dependency, so a test or another store of
    devices can stand in for it with ``app.dependency_overrides``)."""
    return public_key_of


KeyLookupDep = Annotated[KeyLookup, Depends(key_lookup)]


async def _read_body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise UploadRefused(f"at most {MAX_UPLOAD_BYTES} bytes", rule="size")
        chunks.append(chunk)
    return b"".join(chunks)


def _receive(session: Session, lookup: KeyLookup, payload: bytes) -> UploadAnswer:
    try:
        envelope = parse(payload)
    except BadEnvelope as exc:
        raise UploadRefused(f"not an envelope: {exc}", rule=exc.rule) from None
    if envelope["kind"] != "events":
        raise UploadRefused("the envelope's kind must be events", rule="kind")
    try:
        device_id = uuid.UUID(envelope["device"])
    except ValueError:
        raise UploadForbidden("device must be a device id", rule="device") from None
    key = lookup(session, device_id)
    if key is None:
        raise UploadForbidden(f"device {device_id} is not enrolled", rule="device")
    try:
        fields = verify(envelope, key)
    except BadEnvelope as exc:
        raise UploadForbidden(str(exc), rule=exc.rule) from None
    try:
        body = UploadBody.model_validate(fields["body"])
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UploadRefused(f"body.{where}: {first['msg']}", rule="body", field=where) from None
    return receive_events(session, device_id=device_id, events=body.events, received_at=utcnow())


#: The request body as OpenAPI shows it: the body is read as bytes (its signature is over
#: them), so FastAPI cannot derive it.
_ENVELOPE_SCHEMA = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "An envelope of kind events signed by the device (docs/edge.md)",
                "required": ["kind", "device", "body", "sig"],
                "properties": {
                    "kind": {"type": "string", "enum": ["events"]},
                    "device": {"type": "string", "format": "uuid"},
                    "body": {"type": "object"},
                    "sig": {"type": "string"},
                },
            }
        }
    },
}


@router.post(
    "/edge/events",
    response_model=UploadAnswer,
    responses=problem_responses(403, 422),
    openapi_extra={"requestBody": _ENVELOPE_SCHEMA},
)
async def post_edge_events(
    request: Request, session: SessionDep, lookup: KeyLookupDep
) -> UploadAnswer:
    """Store an edge device's events (an envelope of kind ``events`` signed by the device),
    each once: ``stored`` lists the ids new now, ``duplicates`` those stored before;
    ``time`` is the centre's clock, for the device's clock check."""
    payload = await _read_body(request)
    return await run_in_threadpool(_receive, session, lookup, payload)
