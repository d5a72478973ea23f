"""``stadsvakt simulate social-alarms`` against a running SCAIP receiver."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from stadsvakt.alarms.metrics import SCAIP_MESSAGES
from stadsvakt.alarms.simulate.scaip import accounts_from
from stadsvakt.alarms.simulate.social import SocialOptions, run_social_alarms
from stadsvakt.alarms.simulate.social_command import choose_accounts
from stadsvakt.cli import app as cli_app
from tests.alarms.conftest import ReceiverDb, RunningReceiver, start_scaip
from tests.alarms.scaip_support import add_unit, next_cid


@pytest.fixture
def sip(receiver_db: ReceiverDb) -> Iterator[RunningReceiver]:
    """A SCAIP receiver on one free port for UDP and TCP."""
    running = start_scaip(receiver_db)
    yield running
    running.stop()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_simulated_units_get_every_message_answered_ok(
    receiver_db: ReceiverDb, sip: RunningReceiver, transport: str
) -> None:
    rows = [add_unit(receiver_db)[0] for _ in range(3)]
    sip.refresh()
    port = sip.udp[1] if transport == "udp" else sip.tcp[1]
    options = SocialOptions(
        host="127.0.0.1", port=port, transport=transport, count=30, rate=200, seed=7
    )
    tally = asyncio.run(run_social_alarms(options, [row.account for row in rows]))
    assert (tally.sent, tally.ok, tally.timeouts, dict(tally.refused)) == (30, 30, 0, {})
    stored = sum(receiver_db.count(row.account) for row in rows)
    assert stored == tally.alarms and 0 < tally.alarms < 30
    assert sip.metrics.value(SCAIP_MESSAGES, transport=transport, type="PI") == tally.heartbeats


def test_the_command_reports_counts_and_fails_for_unregistered_units(
    receiver_db: ReceiverDb, sip: RunningReceiver
) -> None:
    prefix = next_cid()  # unused by other tests, so its derived ids are fresh
    registered = accounts_from(prefix, 2)
    for account in registered:
        add_unit(receiver_db, account=account)
    sip.refresh()
    runner = CliRunner(env={"STADSVAKT_DATABASE_URL": receiver_db.url, "COLUMNS": "200"})
    common = ["simulate", "social-alarms", "--host", "127.0.0.1", "--port", str(sip.udp[1])]
    ok = runner.invoke(
        cli_app,
        [*common, "--account-prefix", prefix, "--units", "2", "--count", "8", "--rate", "50"],
    )
    assert ok.exit_code == 0, ok.output
    assert "8 messages" in ok.output and "8 OK" in ok.output
    stranger = runner.invoke(cli_app, [*common, "--accounts", next_cid(), "--count", "2"])
    assert stranger.exit_code == 1
    assert "0 OK, refused 403: 2" in stranger.output


def test_accounts_are_digits_from_a_prefix_or_a_list() -> None:
    assert accounts_from("4670000", 3) == ["4670000001", "4670000002", "4670000003"]
    assert choose_accounts("123456, 7891011", "x", 9) == ["123456", "7891011"]
    with pytest.raises(ValueError, match="not 3-16 digits"):
        choose_accounts("12,abc", "4670000", 1)
