"""The demo city's transmitters, and alarms from its simulated panels at its own receiver."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.alarms.metrics import Metrics
from stadsvakt.alarms.models import Alarm, Transmitter, TransmitterProtocol
from stadsvakt.alarms.receivers.dc09 import Dc09Receiver
from stadsvakt.alarms.receivers.sip import ScaipReceiver
from stadsvakt.api.deps import Services
from stadsvakt.demo.data import load_city
from stadsvakt.demo.panels import demo_traffic
from stadsvakt.demo.run import build_demo, demo_settings
from stadsvakt.demo.seed import seed_demo
from stadsvakt.demo.seed_alarms import SCAIP_ALARMS, demo_panels, seed_demo_alarms
from stadsvakt.demo.social import demo_social_alarms
from stadsvakt.org.models import Site
from stadsvakt.settings import Settings
from tests.alarms.conftest import RunningReceiver, alarm_settings
from tests.conftest import fast_security
from tests.waiting import wait_until


def test_every_building_has_an_intrusion_panel_on_mixed_networks(
    session: Session, services: Services
) -> None:
    city = seed_demo(session, services.passwords, load_city(), people=40)
    seeded = seed_demo_alarms(session, services.box, city.municipality.id)
    rows = list(session.scalars(select(Transmitter)))
    assert len(rows) == seeded.transmitters
    sites = {site.id: site for site in session.scalars(select(Site))}
    intrusion = [r for r in rows if r.protocol is TransmitterProtocol.DC09_SIA]
    assert {r.site_id for r in intrusion} == set(sites)
    fire = [r for r in rows if r.protocol is TransmitterProtocol.DC09_CID]
    assert any("skola" in sites[r.site_id].name for r in fire)
    # The old-network shutdown list has something to show.
    bearers = Counter(str(r.bearer) for r in rows)
    assert bearers["2G"] > 0 and bearers["3G"] > 0 and bearers["4G"] > bearers["2G"]
    keys = Counter(r.key_bits for r in rows if r.key_bits)
    assert keys[128] > 0 and keys[256] > 0
    assert any(r.encrypted_only for r in rows)
    assert {r.interval_s for r in rows} >= {60, 90, 180, 300}


def test_social_alarms_are_registered_for_the_scaip_simulator(
    session: Session, services: Services
) -> None:
    city = seed_demo(session, services.passwords, load_city(), people=40)
    seeded = seed_demo_alarms(session, services.box, city.municipality.id)
    scaip = list(
        session.scalars(
            select(Transmitter).where(Transmitter.protocol == TransmitterProtocol.SCAIP)
        )
    )
    assert len(scaip) == seeded.scaip > 0
    assert all(r.account.startswith("4670") and len(r.account) == 11 for r in scaip)
    # The DC-09 panels the demo plays leave them out, and know their keys.
    panels = demo_panels(session, services.box)
    assert not {p.account for p in panels} & {r.account for r in scaip}
    assert sum(p.key is not None for p in panels) == seeded.encrypted


@pytest.mark.slow
def test_alarms_arrive_from_the_demo_panels_at_the_demo_receiver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    base = Settings(_env_file=None, security=fast_security())
    settings = demo_settings(base, database=tmp_path / "demo.db", host="127.0.0.1", port=8000)
    settings.alarms = alarm_settings()
    services, _ = build_demo(settings, scale=1, console=Console(quiet=True), people=30)
    with services.session_factory() as session:
        # The demo's safety centre comes with a month of alarms already.
        seeded = session.scalar(select(func.count()).select_from(Alarm)) or 0
        seeded_encrypted = session.scalar(select(func.count()).where(Alarm.encrypted.is_(True)))
    receiver = Dc09Receiver(
        settings.alarms, services.session_factory, services.box, metrics=Metrics()
    )
    running = RunningReceiver(receiver).start()
    try:
        with demo_traffic(settings, services, port=receiver.tcp_port, rate=20) as panels:
            assert panels is not None
            wait_until(lambda: panels.fleet.tally.acked >= 10, "ten acknowledged alarms")
        tally = panels.fleet.tally
    finally:
        running.stop()
    with services.session_factory() as session:
        stored = (session.scalar(select(func.count()).select_from(Alarm)) or 0) - seeded
        encrypted = session.scalar(select(func.count()).where(Alarm.encrypted.is_(True))) or 0
    services.engine.dispose()
    assert tally.failed == tally.duh == 0
    assert 0 < stored <= tally.events
    assert encrypted > (seeded_encrypted or 0)


@pytest.mark.slow
def test_social_alarms_arrive_from_the_demo_units_at_the_demo_sip_receiver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    base = Settings(_env_file=None, security=fast_security())
    settings = demo_settings(base, database=tmp_path / "demo.db", host="127.0.0.1", port=8000)
    settings.alarms = alarm_settings(sip_host="127.0.0.1", sip_port=0)
    services, _ = build_demo(settings, scale=1, console=Console(quiet=True), people=30)
    receiver = ScaipReceiver(
        settings.alarms, services.session_factory, services.box, metrics=Metrics()
    )
    running = RunningReceiver(receiver).start()

    def social_alarms() -> int:
        with services.session_factory() as session:
            count = select(func.count()).where(Alarm.protocol == "scaip")
            return session.scalar(count) or 0

    try:
        with demo_social_alarms(settings, services, port=receiver.udp_port, rate=20) as units:
            assert units is not None and len(units.accounts) == SCAIP_ALARMS
            assert "SCAIP" in units.describe()
            wait_until(lambda: social_alarms() >= 3, "three stored social alarms")
    finally:
        running.stop()
    with services.session_factory() as session:
        sources = set(
            session.scalars(
                select(Transmitter.protocol)
                .join(Alarm, Alarm.transmitter_id == Transmitter.id)
                .where(Alarm.protocol == "scaip")
            )
        )
    services.engine.dispose()
    assert sources == {TransmitterProtocol.SCAIP}
