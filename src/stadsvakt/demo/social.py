"""While the demo serves, its social alarms (trygghetslarm) send SCAIP to its SIP receiver.

The demo registers a few SCAIP units (see :mod:`stadsvakt.demo.seed_alarms`); here
they are played by the social-alarm simulator in a thread of the demo process, over
UDP as most units send, at a gentle rate: mostly heartbeats, now and then a button
press or a fall, so social alarms appear in the alarm list beside the panels' alarms.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from stadsvakt.alarms.models import Transmitter, TransmitterProtocol
from stadsvakt.alarms.simulate.social import SocialOptions, run_social_alarms
from stadsvakt.api.deps import Services
from stadsvakt.demo.panels import LoopThread, sending_host
from stadsvakt.settings import Settings

#: Messages per second from all the demo's social alarms (one every ten seconds).
SOCIAL_RATE = 0.1
#: Of those, the share that are heartbeats rather than alarms.
HEARTBEAT_SHARE = 0.7


class SocialThread(LoopThread):
    """The demo's social-alarm units, sending until :meth:`stop`."""

    def __init__(self, accounts: list[str], options: SocialOptions) -> None:
        self.accounts = accounts
        self.options = options
        super().__init__(run_social_alarms(options, accounts), "demo-social-alarms")

    def describe(self) -> str:
        """One line for the console."""
        o = self.options
        return (
            f"Simulated social alarms: {len(self.accounts)} units sending SCAIP to "
            f"{o.host}:{o.port} ({o.transport.upper()}), {o.rate:g} messages/s in all"
        )


@contextmanager
def demo_social_alarms(
    settings: Settings, services: Services, *, port: int | None = None, rate: float = SOCIAL_RATE
) -> Iterator[SocialThread | None]:
    """Play the registered SCAIP units against the demo's SIP receiver (UDP) meanwhile.

    Nothing runs when the receiver (or its UDP side) is off, or listens on an
    ephemeral port that is not given as ``port``.
    """
    alarms = settings.alarms
    target = alarms.sip_port if port is None else port
    if not (alarms.sip_enabled and alarms.sip_udp and target):
        yield None
        return
    with services.session_factory() as session:
        accounts = list(
            session.scalars(
                select(Transmitter.account)
                .where(Transmitter.protocol == TransmitterProtocol.SCAIP)
                .order_by(Transmitter.account)
            )
        )
    if not accounts:
        yield None
        return
    host = sending_host(alarms.sip_host)
    options = SocialOptions(
        host, target, transport="udp", count=None, rate=rate, heartbeat_share=HEARTBEAT_SHARE
    )
    with SocialThread(accounts, options) as thread:
        yield thread
