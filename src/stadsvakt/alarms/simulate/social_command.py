"""``stadsvakt simulate social-alarms``: simulated SCAIP units against a running receiver.

The units' controller ids come from ``--accounts`` (a comma list) or from
``--account-prefix`` with ``--units`` (``4670000`` → ``4670000001`` …); the receiver
answers 403 for ids not registered as ``scaip`` transmitters, so register them
first (the demo does, with the same prefix).
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from stadsvakt.alarms.simulate.scaip import accounts_from
from stadsvakt.alarms.simulate.social import SocialOptions, SocialTally, run_social_alarms
from stadsvakt.directory.commands import CliKit


class Transport(StrEnum):
    """How the units reach the receiver."""

    UDP = "udp"
    TCP = "tcp"


def choose_accounts(accounts: str | None, prefix: str, units: int) -> list[str]:
    """The controller ids to send for: the given list, or ``units`` numbers after ``prefix``."""
    if accounts:
        chosen = [item.strip() for item in accounts.split(",") if item.strip()]
        bad = [item for item in chosen if not item.isdigit() or not 3 <= len(item) <= 16]
        if bad:
            raise ValueError(f"--accounts: {', '.join(bad)} not 3-16 digits")
        return chosen
    return accounts_from(prefix, units)


def register_command(simulate: typer.Typer, kit: CliKit) -> None:
    """Add ``simulate social-alarms`` to the ``simulate`` group."""

    @simulate.command("social-alarms")
    def simulate_social_alarms(
        host: Annotated[str | None, typer.Option(help="Receiver address")] = None,
        port: Annotated[int | None, typer.Option(help="Receiver SIP port")] = None,
        count: Annotated[int, typer.Option(min=1, help="Messages to send")] = 20,
        rate: Annotated[float, typer.Option(min=0, help="Messages per second, all units")] = 5.0,
        duration: Annotated[
            float | None, typer.Option(min=0, help="Stop after this many seconds")
        ] = None,
        transport: Annotated[Transport, typer.Option(help="SIP transport")] = Transport.UDP,
        accounts: Annotated[
            str | None, typer.Option(help="Controller ids (comma-separated digits)")
        ] = None,
        account_prefix: Annotated[
            str, typer.Option(help="Derive ids: this prefix and 001, 002, …")
        ] = "4670000",
        units: Annotated[int, typer.Option(min=1, max=100_000, help="Units from the prefix")] = 5,
        heartbeats: Annotated[
            float, typer.Option(min=0, max=1, help="Share of messages that are heartbeats")
        ] = 0.5,
        seed: Annotated[int | None, typer.Option(help="Random seed")] = None,
    ) -> None:
        """Send SCAIP heartbeats and alarms (button, fall, smoke …) like social-alarm units."""
        settings = kit.load_settings()
        try:
            chosen = choose_accounts(accounts, account_prefix, units)
        except ValueError as exc:
            raise kit.fail(str(exc)) from exc
        options = SocialOptions(
            host=host or settings.alarms.sip_host,
            port=port if port is not None else settings.alarms.sip_port,
            transport=transport.value,
            count=count,
            rate=rate,
            duration_s=duration,
            heartbeat_share=heartbeats,
            seed=seed,
        )
        kit.err.print(
            f"{len(chosen)} units → {options.host}:{options.port} ({options.transport}),"
            f" {count} messages at {rate}/s"
        )
        tally = _run(kit, options, chosen)
        kit.console.print(tally.summary())
        if tally.ok < tally.sent:
            raise typer.Exit(1)


def _run(kit: CliKit, options: SocialOptions, accounts: list[str]) -> SocialTally:
    with Progress(
        TextColumn("Answers"), BarColumn(), MofNCompleteColumn(), console=kit.err, transient=True
    ) as progress:
        task = progress.add_task("answers", total=options.count)
        return asyncio.run(
            run_social_alarms(options, accounts, on_answer=lambda: progress.advance(task))
        )
