"""The ``stadsvakt audit`` commands: verify, checkpoint, keygen, public-key (docs/security.md).

They take the command line's shared helpers as a ``CliKit`` (as the directory commands
do), so this module does not import the command line it is part of.
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from rich.markup import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.audit.chain import Anchor, ChainBreak
from stadsvakt.audit.checkpoints import (
    load_anchors,
    public_key_text,
    signing_key,
    sinks_of,
    trusted_keys,
)
from stadsvakt.audit.jobs import write_checkpoint
from stadsvakt.audit.keys import keyring_of
from stadsvakt.audit.models import AuditEntry
from stadsvakt.audit.service import stored_head, verify
from stadsvakt.db import read_only_session
from stadsvakt.directory.commands import CliKit
from stadsvakt.errors import DomainError
from stadsvakt.settings import AUDIT_KEY_ID_PATTERN, Settings

CheckpointsOpt = Annotated[
    Path | None,
    typer.Option(
        "--checkpoints",
        dir_okay=False,
        help="Checkpoint file (JSON lines, or syslog lines holding them): also prove that"
        " the chain still extends every checkpoint in it",
    ),
]
PublicKeyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--public-key",
        help="Trust only checkpoints signed by this Ed25519 public key (base64); repeat for"
        " several. Default: audit.signing_key's public key and audit.checkpoint_public_keys",
    ),
]
KeyIdOpt = Annotated[
    str | None,
    typer.Option("--key-id", help="Id of the new HMAC key (default: k and today's date)"),
]


def register(audit_app: typer.Typer, kit: CliKit) -> None:
    """Add the audit commands to the ``stadsvakt audit`` group."""

    @audit_app.command("verify")
    def audit_verify(checkpoints: CheckpointsOpt = None, public_key: PublicKeyOpt = None) -> None:
        """Walk the keyed hash chain: exit 0 if intact, else exit 1 naming the first break."""
        settings = kit.load_settings()
        anchors = _anchors(kit, settings, checkpoints, public_key) if checkpoints else {}
        services = kit.current_services(settings)
        with _snapshot(services) as session:
            count, found = verify(session, anchors=anchors)
            notes = _notes(session) if found is None else []
        if found is not None:
            raise _broken(kit, found)
        kit.console.print(f"[green]Audit trail intact[/green]: {count} rows verified.")
        if anchors:
            last = max(anchors.values(), key=lambda a: a.seq)
            kit.console.print(
                f"It extends all {len(anchors)} checkpoints; the last: row {last.seq}"
                f" at {escape(last.at)}."
            )
        for note in notes:
            kit.console.print(note)

    @audit_app.command("checkpoint")
    def audit_checkpoint() -> None:
        """Sign the chain head and append it to audit.checkpoint_file and/or syslog."""
        settings = kit.load_settings()
        services = kit.current_services(settings)
        sinks = sinks_of(settings.audit)
        try:
            checkpoint = write_checkpoint(services.session_factory, settings.audit, sinks)
        except DomainError as exc:
            raise kit.fail(escape(exc.detail)) from exc
        where = ", ".join(escape(sink.describe()) for sink in sinks)
        kit.console.print(
            f"Checkpoint of row {checkpoint.seq} at {checkpoint.at}, signed by key"
            f" {checkpoint.key}, written to {where}."
        )

    @audit_app.command("keygen")
    def audit_keygen(key_id: KeyIdOpt = None) -> None:
        """Print new audit keys as environment lines: an HMAC key and an Ed25519 signing
        key (secret), and the public key to give auditors."""
        chosen = key_id or f"k{date.today():%Y%m%d}"
        if not re.fullmatch(AUDIT_KEY_ID_PATTERN, chosen):
            refused = f"--key-id must match {AUDIT_KEY_ID_PATTERN}"
            raise typer.Exit(_print_error(kit, refused, 2))
        private = Ed25519PrivateKey.generate()
        seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        kit.err.print("New audit keys; the first three lines are secret, store them now:")
        typer.echo(f"STADSVAKT_AUDIT__HMAC_KEY_ID={chosen}")
        typer.echo(f"STADSVAKT_AUDIT__HMAC_KEY={secrets.token_urlsafe(48)}")
        typer.echo(f"STADSVAKT_AUDIT__SIGNING_KEY={base64.b64encode(seed).decode()}")
        public = public_key_text(private.public_key())
        typer.echo(f"# public key, for `stadsvakt audit verify --public-key`: {public}")

    @audit_app.command("public-key")
    def audit_public_key() -> None:
        """Print the public half of audit.signing_key (base64): auditors check checkpoints
        with it and need nothing secret."""
        settings = kit.load_settings()
        typer.echo(public_key_text(signing_key(settings.audit).public_key()))


def _anchors(
    kit: CliKit, settings: Settings, path: Path, public_keys: list[str] | None
) -> dict[int, Anchor]:
    """The rows a checkpoint file vouches for; exit 1 on a bad line, 2 on a bad key."""
    try:
        trusted = trusted_keys(settings.audit, public_keys or (), only_extra=bool(public_keys))
    except DomainError as exc:
        raise typer.Exit(_print_error(kit, exc.detail, 2)) from exc
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            anchors, problem = load_anchors(lines, trusted)
    except OSError as exc:
        raise kit.fail(f"cannot read {escape(str(path))}: {exc.strerror or exc}") from exc
    if problem is not None:
        raise _broken(kit, problem)
    if not anchors:
        raise kit.fail(f"{escape(str(path))} holds no checkpoint: there is nothing to prove")
    return anchors


def _print_error(kit: CliKit, message: str, code: int) -> int:
    kit.err.print(f"[red]Error:[/red] {escape(message)}")
    return code


def _snapshot(services: Services) -> Session:
    """A session that reads the head and every row from one snapshot (writers committing
    meanwhile are not breaks) and, on SQLite, without taking the write lock."""
    session = read_only_session(services.session_factory)
    if services.engine.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session


def _broken(kit: CliKit, found: ChainBreak) -> typer.Exit:
    kit.err.print(
        f"[red]Audit trail broken at row {found.seq}[/red] ({found.kind}): {escape(found.message)}"
    )
    return typer.Exit(1)


def _notes(session: Session) -> list[str]:
    """What an intact chain's reader should still know: rows from before keyed hashing
    (weaker guarantee), and a configured key that has not written yet."""
    notes: list[str] = []
    keyed_from = session.scalar(
        select(AuditEntry.seq)
        .where(AuditEntry.key_id.is_not(None))
        .order_by(AuditEntry.seq)
        .limit(1)
    )
    if keyed_from is not None and keyed_from > 1:
        notes.append(
            f"Rows 1..{keyed_from - 1} predate keyed hashing (plain SHA-256): row {keyed_from}"
            " seals them as they stood then, but a change made before it cannot be ruled out."
        )
    head = stored_head(session)
    current = keyring_of(session).current_id
    if head.seq and head.key_id != current:
        notes.append(
            f"The configured HMAC key {escape(current)!r} has not written yet: the next change or"
            " checkpoint writes its rotation row."
        )
    return notes
