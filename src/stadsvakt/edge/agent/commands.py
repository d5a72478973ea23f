"""``stadsvakt edge --config edge.toml``: run the edge agent (the work is in :mod:`runner`)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from stadsvakt.directory.commands import CliKit
from stadsvakt.edge.agent.config import ConfigError, load_config
from stadsvakt.edge.agent.runner import serve


def register(app: typer.Typer, kit: CliKit) -> None:
    """Add the ``edge`` command to ``app``."""

    @app.command("edge")
    def edge(
        config: Annotated[Path, typer.Option("--config", help="The agent's edge.toml")] = Path(
            "edge.toml"
        ),
    ) -> None:
        """Run the edge agent: OSDP readers, locks and door contacts, event upload."""
        try:
            loaded = load_config(config)
        except ConfigError as exc:
            raise kit.fail(str(exc)) from exc
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        kit.console.print(
            f"Edge agent {loaded.device_id}: {len(loaded.doors)} doors, centre {loaded.centre_url}"
        )
        try:
            serve(loaded, stop)
        except (OSError, ValueError) as exc:
            # A missing key file, a serial port that is not there, a key of the wrong kind.
            raise kit.fail(f"the edge agent cannot run: {exc}") from exc
