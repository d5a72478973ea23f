"""The demo city's alarm transmitters (larmsändare), registered through the service.

Every building gets an intrusion panel (inbrottslarm); schools and care homes also a
fire panel (brandlarm) sending Contact ID. Bearers are mixed (2G, 3G, 4G, IP) so the
old-network shutdown list has something to show; about half the panels encrypt with
AES-128 or AES-256, some of them refusing plain frames. A few SCAIP social alarms
(trygghetslarm, accounts like Swedish mobile numbers ``4670…``) are registered for
the social-alarm simulator; they are registry rows only here.
"""

from __future__ import annotations

import secrets
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rich.progress import Progress
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Bearer, Transmitter, TransmitterProtocol
from stadsvakt.alarms.schemas import KeyFormat, TransmitterCreate
from stadsvakt.alarms.service import create_transmitter, open_key
from stadsvakt.alarms.simulate.panels import PanelSpec, Payload
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.context import Actor, acting_as, system_actor
from stadsvakt.demo.seed import DEMO_ACTOR
from stadsvakt.demo.steps import steps
from stadsvakt.org.models import Site

#: First DC-09 account number of the demo (accounts count up from it, in decimal digits).
FIRST_ACCOUNT = 1001
#: Bearers, cycled: most panels on 4G or fixed IP, a few still on the old networks.
BEARERS = (Bearer.G4, Bearer.IP, Bearer.G4, Bearer.G3, Bearer.IP, Bearer.G2, Bearer.G4)
#: Supervision intervals (s) of intrusion panels, cycled; fire panels report more often.
INTRUSION_INTERVALS = (90, 180, 300, 90)
FIRE_INTERVAL = 60
#: Social alarms registered for the SCAIP simulator (users of home care).
SCAIP_ALARMS = 6
_FIRE_WORDS = ("skola", "gymnas", "komvux", "boende", "äldre", "lss", "korttid")


@dataclass(frozen=True, slots=True)
class AlarmSeed:
    """What was registered."""

    transmitters: int
    encrypted: int
    scaip: int
    bearers: dict[str, int]


def _wants_fire_panel(site: Site) -> bool:
    name = site.name.lower()
    return any(word in name for word in _FIRE_WORDS)


def _plan(sites: Sequence[Site], first_account: int = FIRST_ACCOUNT) -> list[TransmitterCreate]:
    rows: list[TransmitterCreate] = []
    for site in sites:
        kinds = [("Inbrottslarm", TransmitterProtocol.DC09_SIA)]
        if _wants_fire_panel(site):
            kinds.append(("Brandlarm", TransmitterProtocol.DC09_CID))
        for label, protocol in kinds:
            number = len(rows)
            fire = protocol is TransmitterProtocol.DC09_CID
            encrypted = number % 2 == 0
            key = secrets.token_hex(16 if number % 4 == 0 else 32) if encrypted else None
            rows.append(
                TransmitterCreate(
                    site_id=site.id,
                    account=str(first_account + number),
                    protocol=protocol,
                    name=f"{label} {site.name}",
                    bearer=BEARERS[number % len(BEARERS)],
                    interval_s=FIRE_INTERVAL if fire else INTRUSION_INTERVALS[number % 4],
                    key=key,
                    key_format=KeyFormat.HEX,
                    encrypted_only=encrypted and number % 3 == 0,
                )
            )
    return rows


def _scaip(sites: Sequence[Site], count: int) -> list[TransmitterCreate]:
    care = [s for s in sites if "hemtjänst" in s.name.lower()] or list(sites[:1])
    return [
        TransmitterCreate(
            site_id=care[n % len(care)].id,
            account=f"4670{1234500 + n:07d}",
            protocol=TransmitterProtocol.SCAIP,
            name=f"Trygghetslarm, brukare {n + 1}",
            bearer=Bearer.G4 if n % 3 else Bearer.G2,
            interval_s=3600,
        )
        for n in range(count)
    ]


def seed_alarm_transmitters(
    session: Session,
    actor: Actor,
    box: SecretBox,
    tenant_id: uuid.UUID,
    progress: Progress | None = None,
    *,
    first_account: int = FIRST_ACCOUNT,
    social_alarms: int = SCAIP_ALARMS,
) -> AlarmSeed:
    """Register the demo's transmitters on the municipality's sites (audited, not committed).

    Panels count their accounts up from ``first_account`` (another municipality of the
    demo starts elsewhere, so every account is the demo's only one).
    """
    sites = list(
        session.scalars(select(Site).where(Site.tenant_id == tenant_id).order_by(Site.code))
    )
    rows = _plan(sites, first_account) + _scaip(sites, social_alarms)
    for data in steps(progress, "Alarm transmitters", rows):
        create_transmitter(session, actor, box, data)
    return AlarmSeed(
        transmitters=len(rows),
        encrypted=sum(row.key is not None for row in rows),
        scaip=sum(row.protocol is TransmitterProtocol.SCAIP for row in rows),
        bearers=dict(Counter(str(row.bearer) for row in rows)),
    )


def seed_demo_alarms(
    session: Session, box: SecretBox, tenant_id: uuid.UUID, progress: Progress | None = None
) -> AlarmSeed:
    """:func:`seed_alarm_transmitters` as the demo's system actor (the audit trail's ``demo``)."""
    actor = system_actor(DEMO_ACTOR, tenant_id)
    with acting_as(actor):
        return seed_alarm_transmitters(session, actor, box, tenant_id, progress)


def demo_panels(session: Session, box: SecretBox) -> list[PanelSpec]:
    """The registered DC-09 transmitters as panels the simulator can play (keys unsealed).

    Only the demo does this: it plays its own transmitters against its own receiver.
    """
    stmt = (
        select(Transmitter)
        .where(Transmitter.protocol.in_([p.value for p in Payload]))
        .order_by(Transmitter.account)
    )
    return [
        PanelSpec(
            account=row.account,
            payload=Payload(row.protocol.value),
            key=open_key(box, row.key_sealed) if row.key_sealed else None,
            receiver=row.receiver,
            line=row.line,
            interval_s=float(row.interval_s or 90),
        )
        for row in session.scalars(stmt)
    ]
