"""Settings of snapshots and deltas (``STADSVAKT_EDGE__SNAPSHOT__...``)."""

from __future__ import annotations

from typing import Self

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, Field, SecretStr, model_validator

from stadsvakt.base64_keys import KEYGEN_HINT, key_bytes, require_private_key

#: The development signing key: base64 of a published Ed25519 seed, so anyone can sign
#: snapshots with it. Production mode refuses it (:meth:`SnapshotSettings.production_problem`).
DEV_SNAPSHOT_SIGNING_KEY = "I7N/BA9fQU/s/hwPB+umkeauw1vFPDxHyu+8xXgJsBc="


class SnapshotSettings(BaseModel):
    """How snapshots are signed, how far ahead their holidays reach and how long deltas are
    offered before an edge is sent a whole snapshot again."""

    signing_key: SecretStr = Field(
        default=SecretStr(DEV_SNAPSHOT_SIGNING_KEY),
        description="Ed25519 private key (base64 of 32 bytes) that signs snapshots and deltas.",
    )
    holiday_months: int = Field(
        default=13,
        ge=1,
        le=60,
        description="Months of holiday dates a snapshot carries for each schedule.",
    )
    delta_max_changes: int = Field(
        default=20_000,
        ge=1,
        description="More access changes than this since an edge's version: a snapshot instead.",
    )
    delta_max_age_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="An edge whose version is older than this many days gets a snapshot instead.",
    )

    delta_overlap_seconds: int = Field(
        default=60,
        ge=0,
        le=3600,
        description="Changes made this long before an edge's version are sent again in its"
        " delta (on PostgreSQL one may become visible after a later-numbered one).",
    )

    @model_validator(mode="after")
    def _check_key(self) -> Self:
        require_private_key("edge.snapshot.signing_key", self.signing_key.get_secret_value())
        return self

    def private_key(self) -> Ed25519PrivateKey:
        """The centre's edge signing key."""
        seed = key_bytes(self.signing_key.get_secret_value())
        if seed is None:  # the validator refused it already; kept for type narrowing
            raise ValueError("edge.snapshot.signing_key is not an Ed25519 key")
        return Ed25519PrivateKey.from_private_bytes(seed)

    def public_key(self) -> Ed25519PublicKey:
        """The key edges verify snapshots and deltas with (given to them at enrolment)."""
        return self.private_key().public_key()

    def production_problem(self) -> str | None:
        """Why this key may not run in production mode (the development key), or None."""
        if self.signing_key.get_secret_value() == DEV_SNAPSHOT_SIGNING_KEY:
            return (
                "edge.snapshot.signing_key: production mode needs"
                " STADSVAKT_EDGE__SNAPSHOT__SIGNING_KEY set to a private key of your own"
                f" ({KEYGEN_HINT})"
            )
        return None
