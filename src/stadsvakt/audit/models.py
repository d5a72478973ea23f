"""Audit tables: the rows and the chain head."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from stadsvakt.db import Base, utcnow


class AuditEntry(Base):
    """One change: who, when, in which request, what, and the object before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_tenant_seq", "tenant_id", "seq"),
        Index("ix_audit_log_object", "object_type", "object_id"),
        # The trail page's filters over millions of rows (web/views/audit).
        Index("ix_audit_log_tenant_actor_seq", "tenant_id", "actor_id", "seq"),
        Index("ix_audit_log_tenant_action_seq", "tenant_id", "action", "seq"),
        Index("ix_audit_log_tenant_type_seq", "tenant_id", "object_type", "seq"),
        Index("ix_audit_log_tenant_at", "tenant_id", "at"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_name: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64), default=None)
    object_text: Mapped[str] = mapped_column(String(300))
    before: Mapped[str | None] = mapped_column(Text, default=None)
    after: Mapped[str | None] = mapped_column(Text, default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    #: The HMAC key the hash was made with; NULL on rows from before keyed hashing.
    key_id: Mapped[str | None] = mapped_column(String(32), default=None)


class AuditHead(Base):
    """The single row holding the last sequence number and hash; writers lock it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
    #: The key of the last row, and an HMAC over (seq, hash, key_id) with it: a head
    #: moved by hand (rows deleted at the end) lacks it.
    key_id: Mapped[str | None] = mapped_column(String(32), default=None)
    mac: Mapped[str | None] = mapped_column(String(64), default=None)
