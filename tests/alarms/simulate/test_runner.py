"""Simulated panels against the real receiver over TCP and UDP, and against a forgetful one."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from stadsvakt.alarms.models import Alarm, Transmitter
from stadsvakt.alarms.protocols.dc09.framing import FrameBuffer
from stadsvakt.alarms.protocols.dc09.message import Dc09Message
from stadsvakt.alarms.protocols.dc09.responses import ack
from stadsvakt.alarms.simulate.accounts import csv_lines, plan_panels, register_panels
from stadsvakt.alarms.simulate.panels import PanelSpec
from stadsvakt.alarms.simulate.runner import RunOptions, run_panels
from stadsvakt.audit.models import AuditEntry
from stadsvakt.cli import app
from stadsvakt.context import acting_as
from stadsvakt.db import unit_of_work, utcnow
from tests import factories as f
from tests.alarms.conftest import ReceiverDb, RunningReceiver


def _register(db: ReceiverDb, prefix: str, count: int, share: float) -> list[PanelSpec]:
    specs = plan_panels(count, encrypted_share=share, prefix=prefix, seed=7, interval_s=10)
    actor = f.system(db.tenant.id)
    with acting_as(actor), unit_of_work(db.services.session_factory) as session:
        register_panels(session, actor, db.services.box, specs, [db.site.code])
    # Beat faster than registered, so a short test sees heartbeats too.
    return [dataclasses.replace(spec, interval_s=0.4) for spec in specs]


def _stored(db: ReceiverDb, prefix: str) -> int:
    with db.services.session_factory() as session:
        stmt = select(func.count()).where(Alarm.account.startswith(prefix))
        return session.scalar(stmt) or 0


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_panels_send_heartbeats_and_events_that_are_stored_and_acked(
    receiver_db: ReceiverDb, start_receiver: Callable[..., RunningReceiver], transport: str
) -> None:
    prefix = "5A" if transport == "tcp" else "5B"
    specs = _register(receiver_db, prefix, 6, 0.5)
    rx = start_receiver()
    host, port = rx.tcp if transport == "tcp" else rx.udp
    options = RunOptions(host, port, rate=15, duration_s=1.5, transport=transport, seed=3)
    tally = asyncio.run(run_panels(specs, options))
    assert tally.events > 5 and tally.heartbeats > 5
    assert tally.acked == tally.events + tally.heartbeats
    assert tally.failed == tally.nak == tally.duh == 0
    assert _stored(receiver_db, prefix) == tally.events
    with receiver_db.services.session_factory() as session:
        rows = session.scalars(select(Transmitter).where(Transmitter.account.startswith(prefix)))
        assert {row.site_id for row in rows} == {receiver_db.site.id}


def test_registering_panels_is_audited_per_transmitter(receiver_db: ReceiverDb) -> None:
    _register(receiver_db, "5C", 3, 1.0)
    with receiver_db.services.session_factory() as session:
        stmt = select(AuditEntry.object_text).where(AuditEntry.action == "transmitter.create")
        texts = set(session.scalars(stmt))
    assert {"5C000001 R0 L0", "5C000002 R0 L0", "5C000003 R0 L0"} <= texts


def test_a_message_without_ack_is_sent_again_with_the_same_sequence() -> None:
    """A receiver that ignores the first try of every message: the panel re-sends it."""
    seen: list[str] = []

    async def forgetful(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = FrameBuffer()
        while data := await reader.read(4096):
            for frame in buffer.feed(data):
                message = Dc09Message.parse(frame, lambda *_: None, utcnow())
                seen.append(message.sequence)
                if seen.count(message.sequence) > 1:
                    writer.write(ack(message, now=utcnow()))
        writer.close()

    async def scenario() -> tuple[int, int, int]:
        server = await asyncio.start_server(forgetful, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        options = RunOptions("127.0.0.1", port, rate=0, duration_s=0.5, ack_timeout_s=0.3)
        async with server:
            tally = await run_panels([PanelSpec("5D0001", interval_s=0.2)], options)
        return tally.acked, tally.resent, tally.timeouts

    acked, resent, timeouts = asyncio.run(scenario())
    assert acked >= 1 and resent >= acked and timeouts >= acked
    assert seen[0] == seen[1] == "0001"


def test_the_command_registers_panels_and_reports_counts(
    receiver_db: ReceiverDb,
    rx: RunningReceiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STADSVAKT_DATABASE_URL", receiver_db.url)
    args = ["simulate", "panels", "--register", "--count", "3", "--rate", "10"]
    args += ["--duration", "1", "--port", str(rx.tcp[1]), "--site", receiver_db.site.code]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert '"acked"' in result.output and '"failed": 0' in result.output
    assert _stored(receiver_db, "5E0000") > 0


def test_the_command_plays_the_panels_of_an_import_file(
    receiver_db: ReceiverDb,
    rx: RunningReceiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    file = tmp_path / "panels.csv"
    specs = plan_panels(2, encrypted_share=1.0, prefix="5F", seed=4)
    file.write_text("\n".join(csv_lines(specs, [receiver_db.site.code])) + "\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STADSVAKT_DATABASE_URL", receiver_db.url)
    args = ["simulate", "panels", "--csv", str(file), "--register", "--rate", "8"]
    args += ["--duration", "1", "--port", str(rx.tcp[1])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert _stored(receiver_db, "5F") > 0
    assert os.environ["STADSVAKT_DATABASE_URL"] == receiver_db.url


def test_the_command_wants_panels_from_somewhere() -> None:
    result = CliRunner().invoke(app, ["simulate", "panels", "--count", "2"])
    assert result.exit_code == 1
    assert "--register" in result.output
