"""pysiaalarm's asyncio TCP server with the benchmark's accounts, as a child process.

``python -m benchmarks.dc09.pysia_server PORT ACCOUNTS.json`` where the file maps
account → ASCII key (or null). The event callback does nothing: pysiaalarm
persists nothing, so it ACKs as soon as a frame parses (its server writes the
reply before calling the callback).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from pysiaalarm.account import SIAAccount
from pysiaalarm.aio.client import SIAClient
from pysiaalarm.event import SIAEvent

from stadsvakt.alarms.receivers.run import loop_factory


async def _ignore(event: SIAEvent) -> None:
    """Nothing is stored."""


async def serve(port: int, accounts: dict[str, str | None]) -> None:
    """Serve until cancelled (SIGTERM or SIGINT ends the process)."""
    sia_accounts = [SIAAccount(account, key) for account, key in accounts.items()]
    # SIAClient.__new__ picks its TCP subclass; mypy only sees the abstract base.
    client = SIAClient("127.0.0.1", port, sia_accounts, _ignore)  # type: ignore[abstract]
    async with client:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await asyncio.Event().wait()


def main() -> None:
    """Entry point of the child process."""
    port, accounts_file = int(sys.argv[1]), Path(sys.argv[2])
    accounts = json.loads(accounts_file.read_text())
    try:
        # The same event loop as stadsvakt's receiver (uvloop where installed), so the
        # comparison is of the receivers, not of their loops.
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(serve(port, accounts))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
