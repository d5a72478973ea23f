"""API tokens for integrations and devices: shown once, stored hashed, scoped, expiring."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.models import ApiToken
from stadsvakt.auth.permissions import PERMISSIONS
from stadsvakt.auth.scope import require
from stadsvakt.auth.secrets import TOKEN_PREFIX, hash_token, new_token
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.errors import Forbidden, InvalidInput, NotFound


def create_token(
    session: Session,
    actor: Actor,
    *,
    name: str,
    scopes: list[str],
    expires_days: int | None,
    tenant_id: uuid.UUID | None = None,
) -> tuple[str, ApiToken]:
    """Create a token; returns the secret (shown once) and the stored row.

    A person can only hand a token permissions they hold municipality-wide.
    """
    require(actor, "token.write")
    tenant = actor.tenant_id or tenant_id
    if tenant is None:
        raise InvalidInput("a municipality must be given", field="tenant", rule="required")
    unknown = sorted(set(scopes) - set(PERMISSIONS))
    if unknown:
        raise InvalidInput(
            f"unknown scopes: {', '.join(unknown)}", field="scopes", rule="known_permission"
        )
    if actor.kind != "system":
        lacking = sorted(s for s in scopes if actor.scope(s) is not None)
        if lacking:
            raise Forbidden(
                f"you cannot give a token scopes you lack municipality-wide: {', '.join(lacking)}"
            )
    secret, prefix, digest = new_token()
    row = ApiToken(
        tenant_id=tenant,
        name=name,
        prefix=prefix,
        token_hash=digest,
        scopes=sorted(set(scopes)),
        expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None,
        created_by=actor.name,
    )
    session.add(row)
    session.flush()
    record(
        session,
        action="token.create",
        object_type="api_token",
        object_id=row.id,
        object_text=f"{name} ({prefix}…)",
        tenant_id=tenant,
        after=snapshot(row),
    )
    return secret, row


def actor_for_token(session: Session, secret: str, *, touch: bool = True) -> Actor | None:
    """The actor behind a bearer token, or None if it is unknown, expired or revoked.

    ``touch`` records the use; reads skip it so they stay read-only.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(secret))
    ).scalar_one_or_none()
    now = utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        return None
    if touch:
        row.last_used_at = now
    return Actor(
        kind="token",
        id=row.id,
        name=f"token:{row.name}",
        tenant_id=row.tenant_id,
        grants={scope: None for scope in row.scopes},
    )


def list_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    """The municipality's tokens (never their secrets)."""
    require(actor, "token.read")
    stmt = select(ApiToken).order_by(ApiToken.created_at.desc())
    if actor.tenant_id is not None:
        stmt = stmt.where(ApiToken.tenant_id == actor.tenant_id)
    return list(session.scalars(stmt))


def revoke_token(session: Session, actor: Actor, token_id: uuid.UUID) -> ApiToken:
    """Revoke a token at once; revoking twice is harmless."""
    require(actor, "token.write")
    row = session.get(ApiToken, token_id)
    if row is None or (actor.tenant_id is not None and row.tenant_id != actor.tenant_id):
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is None:
        before = snapshot(row)
        row.revoked_at = utcnow()
        session.flush()
        record(
            session,
            action="token.revoke",
            object_type="api_token",
            object_id=row.id,
            object_text=f"{row.name} ({row.prefix}…)",
            tenant_id=row.tenant_id,
            before=before,
            after=snapshot(row),
        )
    return row
