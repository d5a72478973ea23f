"""Stored alarms become activations in their own transaction: opened, joined, confirmed,
restored, grouped into storms, kept out while their site is in test."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Alarm
from stadsvakt.api.deps import Services
from stadsvakt.centre import feed
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationKind, TestWindow
from stadsvakt.db import utcnow
from stadsvakt.settings import CentreSettings
from tests import factories as f
from tests import factories_alarms as fa


def _activations(session: Session) -> list[Activation]:
    return list(session.scalars(select(Activation).order_by(Activation.opened_at)))


def test_a_burglary_opens_an_activation_and_a_second_zone_confirms_it(
    session: Session, services: Services
) -> None:
    tenant = f.municipality(session)
    row = fa.transmitter(session, services.box, tenant, f.site(session, tenant))
    before = feed.head(session)
    fa.alarm(session, row, "Nri1/BA01", sequence=1)
    [opened] = _activations(session)
    assert (opened.category, opened.priority, opened.event_count) == ("intrusion", 4, 1)
    assert opened.site_id == row.site_id and not opened.confirmed

    fa.alarm(session, row, "Nri1/BA02", sequence=2)
    session.refresh(opened)
    assert opened.event_count == 2 and opened.confirmed and opened.priority == 3
    assert opened.zones == [1, 2]
    kinds = [
        e.kind
        for e in session.scalars(
            select(ActivationEntry)
            .where(ActivationEntry.activation_id == opened.id)
            .order_by(ActivationEntry.at, ActivationEntry.kind)
        )
    ]
    assert sorted(kinds) == ["confirmed", "event", "event"]
    changes = feed.changes_since(session, before)
    assert [c.kind for c in changes] == ["new", "updated"]
    assert [c.seq for c in changes] == [before + 1, before + 2]
    assert changes[-1].version == opened.version


def test_test_reports_stay_in_the_log_and_a_restore_marks_its_activation(
    session: Session, services: Services
) -> None:
    tenant = f.municipality(session)
    row = fa.transmitter(session, services.box, tenant, f.site(session, tenant))
    fa.alarm(session, row, "Nri0/RP0000", sequence=1)
    assert _activations(session) == []
    assert session.scalar(select(func.count()).select_from(Alarm)) == 1
    fa.alarm(session, row, "Nri1/BR01", sequence=2)  # a restore with nothing open
    assert _activations(session) == []
    fa.alarm(session, row, "Nri1/BA01", sequence=3)
    fa.alarm(session, row, "Nri1/BR01", sequence=4)
    [activation] = _activations(session)
    assert activation.restored and activation.event_count == 1


def test_a_resent_frame_adds_nothing_to_the_queue(session: Session, services: Services) -> None:
    tenant = f.municipality(session)
    row = fa.transmitter(session, services.box, tenant, f.site(session, tenant))
    moment = utcnow()
    fa.alarm(session, row, "Nri1/FA01", sequence=5, received_at=moment)
    head = feed.head(session)
    fa.alarm(session, row, "Nri1/FA01", sequence=5, received_at=moment)
    [activation] = _activations(session)
    assert activation.event_count == 1 and feed.head(session) == head


def test_a_power_cut_groups_into_a_storm_and_a_fire_stays_on_top(
    session: Session, services: Services
) -> None:
    threshold = CentreSettings().storm_threshold
    tenant = f.municipality(session)
    rows = [
        fa.transmitter(session, services.box, tenant, f.site(session, tenant))
        for _ in range(threshold + 15)
    ]
    for n, row in enumerate(rows):
        fa.alarm(session, row, "Nri0/AT00", sequence=n + 1)
    fa.alarm(session, rows[3], "Nri2/FA02", sequence=99)
    activations = _activations(session)
    storms = [a for a in activations if a.kind is ActivationKind.STORM]
    singles = [a for a in activations if a.category == "fault" and a.kind is ActivationKind.ALARM]
    assert len(singles) == threshold - 1
    assert len(storms) == 1 and storms[0].event_count == 16 and storms[0].site_id is None
    queue = sorted(activations, key=lambda a: (a.priority, a.opened_at))
    assert queue[0].category == "fire" and queue[0].priority == 1


def test_a_site_in_test_logs_its_events_but_queues_none_until_the_window_ends(
    session: Session, services: Services
) -> None:
    tenant = f.municipality(session)
    site = f.site(session, tenant)
    row = fa.transmitter(session, services.box, tenant, site)
    now = utcnow()
    session.add(
        TestWindow(
            tenant_id=tenant.id,
            site_id=site.id,
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(minutes=30),
            reason="service",
            set_by_name="Tekniker",
        )
    )
    session.flush()
    fa.alarm(session, row, "Nri1/FA01", sequence=1, received_at=now)
    assert _activations(session) == []
    assert session.scalar(select(func.count()).select_from(Alarm)) == 1
    fa.alarm(session, row, "Nri1/FA01", sequence=2, received_at=now + timedelta(minutes=31))
    assert len(_activations(session)) == 1


def test_a_transmitter_in_test_keeps_only_its_own_events_out(
    session: Session, services: Services
) -> None:
    tenant = f.municipality(session)
    site = f.site(session, tenant)
    tested = fa.transmitter(session, services.box, tenant, site)
    other = fa.transmitter(session, services.box, tenant, site)
    now = utcnow()
    session.add(
        TestWindow(
            tenant_id=tenant.id,
            transmitter_id=tested.id,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
            set_by_name="Tekniker",
        )
    )
    session.flush()
    fa.alarm(session, tested, "Nri1/FA01", sequence=1, received_at=now)
    fa.alarm(session, other, "Nri1/FA01", sequence=1, received_at=now)
    [activation] = _activations(session)
    assert activation.transmitter_id == other.id
