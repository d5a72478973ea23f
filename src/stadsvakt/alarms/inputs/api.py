"""``POST /api/v1/alarms/inputs``: technical and door alarms as JSON, from a device token.

The body is read here (bounded) rather than by FastAPI, so each message's bytes are
kept exactly as sent and errors name fields as ``code`` or ``3.code`` for a batch;
the OpenAPI document still describes it, from the same schema. The request's unit of
work commits before the answer is sent, so a ``201`` means the alarms are stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.concurrency import run_in_threadpool

from stadsvakt.alarms.inputs import json_input, service
from stadsvakt.alarms.inputs.counters import JSON_MESSAGES, JSON_REJECTED
from stadsvakt.alarms.inputs.schema import (
    BODY,
    INPUT_PERMISSION,
    MAX_BODY_BYTES,
    InputResults,
    InvalidMessage,
    MessageRejected,
)
from stadsvakt.alarms.metrics import ALARMS, DUPLICATES, REGISTRY
from stadsvakt.api.deps import ActorDep, SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.context import Actor
from stadsvakt.db import utcnow

router = APIRouter(tags=["alarm inputs"])


async def _sender(actor: ActorDep) -> Actor:
    """The caller, refused before its body is looked at unless it holds ``alarm.input``."""
    require(actor, INPUT_PERMISSION)
    return actor


SenderDep = Annotated[Actor, Depends(_sender)]


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {**_inline(defs[ref.rsplit("/", 1)[-1]], defs), **_inline(rest, defs)}
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def body_schema() -> dict[str, Any]:
    """The body's JSON Schema with every reference inlined (it has no cycles)."""
    schema = BODY.json_schema()
    inlined: dict[str, Any] = _inline(schema, schema.get("$defs", {}))
    return inlined


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    # isascii: "²" is a digit to isdigit() but no number to int() (a 500, not a 413).
    if declared.isascii() and declared.isdigit() and int(declared[:12]) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> InvalidMessage:
    return InvalidMessage.single(
        "body", "too_large", f"at most {MAX_BODY_BYTES} bytes", reason="too_large"
    )


@router.post(
    "/alarms/inputs",
    response_model=InputResults,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": body_schema()}},
        }
    },
)
async def post_alarm_inputs(
    request: Request, session: SessionDep, actor: SenderDep
) -> InputResults:
    """Store technical and door alarms (one message or a batch of up to 100) and heartbeats
    from registered ``json`` transmitters (device token: ``alarm.input``). Committed before
    the answer; a re-sent message answers ``duplicate: true`` with the first copy's id."""
    try:
        items = json_input.parse(await _read_body(request))
        answers = await run_in_threadpool(
            service.accept, session, actor, items, received_at=utcnow()
        )
    except MessageRejected as exc:
        REGISTRY.inc(JSON_REJECTED, reason=exc.reason, transport="http")
        raise
    for answer in answers:
        REGISTRY.inc(JSON_MESSAGES, kind=answer.kind, transport="http")
    stored = [answer for answer in answers if answer.kind == "alarm"]
    REGISTRY.inc(ALARMS, sum(not answer.duplicate for answer in stored))
    REGISTRY.inc(DUPLICATES, sum(answer.duplicate for answer in stored))
    return InputResults(results=answers)
