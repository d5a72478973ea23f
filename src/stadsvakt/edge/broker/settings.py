"""Settings of the MQTT broker the centre and the edge devices share."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, Field, SecretStr, model_validator


class BrokerSettings(BaseModel):
    """Where the edge broker is and how the centre reaches it (``STADSVAKT_EDGE__BROKER__...``)."""

    enabled: bool = Field(
        default=False, description="Connect the centre to the edge broker with `stadsvakt serve`."
    )
    host: str = Field(default="127.0.0.1", description="The broker's host name (TLS checks it).")
    port: int = Field(default=8883, ge=1, le=65535, description="The broker's TLS port.")
    tls_ca: Path | None = Field(
        default=None,
        description="PEM file of the CA that signed the broker's certificate (none: the "
        "system's trust store).",
    )
    tls_cert: Path | None = Field(
        default=None,
        description="The broker's certificate (PEM), for a generated Mosquitto config.",
    )
    tls_key: Path | None = Field(
        default=None,
        description="The broker's private key (PEM), for a generated Mosquitto config.",
    )
    centre_username: str = Field(
        default="stadsvakt-centre",
        min_length=1,
        description="The centre's own MQTT user (reads and writes stadsvakt/edge/#).",
    )
    centre_password: SecretStr | None = Field(
        default=None, description="The centre's MQTT password (required when enabled)."
    )
    feed_poll_ms: int = Field(
        default=250,
        ge=10,
        le=60_000,
        description="How often the edge hub reads the access change feed for changes made by "
        "other processes (this process's own changes wake it at once).",
    )
    password_file: Path | None = Field(
        default=None,
        description="Mosquitto's password file, rewritten by the edge hub when devices are "
        "enrolled or revoked (none: the hub leaves the broker's accounts alone).",
    )
    pid_file: Path | None = Field(
        default=None,
        description="Mosquitto's pid file: the hub sends that process SIGHUP after rewriting "
        "the password file, so Mosquitto reads it again.",
    )

    @model_validator(mode="after")
    def _centre_can_log_in(self) -> Self:
        if self.enabled and (
            self.centre_password is None or not self.centre_password.get_secret_value()
        ):
            raise ValueError("centre_password is required when the edge broker is enabled")
        return self
