"""Receivers see every registry change: the change feed, not ``max(updated_at)``.

Each host stamps ``updated_at`` with its own clock and transactions commit in any
order, so a change stamped below the latest stamp must still be seen; and a panel
registered (or re-keyed) a moment ago is served on its very first frame.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from stadsvakt.alarms.lookup import TransmitterDirectory
from stadsvakt.alarms.models import Transmitter, TransmitterChange
from stadsvakt.alarms.protocols.scaip import ScaipRequest, parse_mrs
from stadsvakt.alarms.schemas import KeyFormat, TransmitterUpdate
from stadsvakt.alarms.service import delete_transmitter, update_transmitter
from stadsvakt.api.deps import Services
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.context import acting_as
from stadsvakt.db import unit_of_work, utcnow
from tests import factories as f
from tests import factories_alarms as fa
from tests.alarms.conftest import ReceiverDb, RunningReceiver, exchange
from tests.alarms.scaip_support import add_unit, mrq_message, udp_send
from tests.alarms.test_dc09_tcp import token

NEW_KEY = bytes.fromhex("F0E1D2C3B4A5968778695A4B3C2D1E0F")


def _rekey(
    session: Session, box: SecretBox, row: Transmitter, key: bytes, *, stamped_back: bool
) -> None:
    """Rotate ``row``'s key; ``stamped_back``: as a host whose clock is an hour behind."""
    actor = f.system(row.tenant_id)
    with acting_as(actor):
        change = TransmitterUpdate(key=key.hex(), key_format=KeyFormat.HEX)
        update_transmitter(session, actor, box, row.id, change)
    if stamped_back:
        session.flush()
        session.execute(
            update(Transmitter)
            .where(Transmitter.id == row.id)
            .values(updated_at=utcnow() - timedelta(hours=1))
        )


def _pair(session: Session, services: Services) -> tuple[Transmitter, Transmitter]:
    """Two transmitters; the first with a key, the second registered after it."""
    tenant = f.municipality(session)
    site = f.site(session, tenant)
    first = fa.transmitter(session, services.box, tenant, site, key=fa.KEY_128)
    second = fa.transmitter(session, services.box, tenant, site)
    session.flush()
    return first, second


def test_a_change_stamped_before_the_latest_stamp_is_still_seen(
    session: Session, services: Services
) -> None:
    first, _ = _pair(session, services)
    directory = TransmitterDirectory(services.session_factory, services.box)
    directory.refresh()
    assert directory.key_for(first.account, None, "0") == fa.KEY_128
    _rekey(session, services.box, first, NEW_KEY, stamped_back=True)
    session.flush()
    assert directory.refresh() is True
    assert directory.key_for(first.account, None, "0") == NEW_KEY


def test_a_change_numbered_before_one_already_read_is_read_when_it_commits(
    session: Session, services: Services
) -> None:
    first, second = _pair(session, services)
    directory = TransmitterDirectory(services.session_factory, services.box)
    directory.refresh()
    last = directory.last_seq
    assert last is not None
    # PostgreSQL numbers a change before its transaction commits: the change numbered
    # last + 1 commits after the one numbered last + 2 has been read.
    session.add(TransmitterChange(seq=last + 2, transmitter_id=second.id))
    session.flush()
    assert directory.refresh() is True and directory.last_seq == last + 2
    session.execute(
        update(Transmitter).where(Transmitter.id == first.id).values(encrypted_only=True)
    )
    session.add(TransmitterChange(seq=last + 1, transmitter_id=first.id))
    session.flush()
    assert directory.refresh() is True
    found = directory.find(first.account, None, "0")
    assert found is not None and found.encrypted_only


def test_a_moved_or_deleted_transmitter_is_no_longer_found_where_it_was(
    session: Session, services: Services
) -> None:
    first, second = _pair(session, services)
    directory = TransmitterDirectory(services.session_factory, services.box)
    directory.refresh()
    actor = f.system(first.tenant_id)
    moved_from, deleted = first.account, second.account
    moved_to = fa.next_account()
    with acting_as(actor):
        update_transmitter(
            session, actor, services.box, first.id, TransmitterUpdate(account=moved_to)
        )
        delete_transmitter(session, actor, second.id)
    session.flush()
    assert directory.refresh() is True
    assert directory.find(moved_from, None, "0") is None
    assert directory.find(deleted, None, "0") is None
    moved = directory.find(moved_to, None, "0")
    assert moved is not None and moved.id == first.id
    assert directory.refresh() is False  # nothing new since


def test_a_flood_of_rechecks_reads_the_registry_a_few_times_not_once_per_frame(
    receiver_db: ReceiverDb,
) -> None:
    directory = TransmitterDirectory(receiver_db.services.session_factory, receiver_db.services.box)
    directory.refresh()
    reads: list[int] = []
    real = directory.refresh

    def counted() -> bool:
        reads.append(1)
        return real()

    directory.refresh = counted  # type: ignore[method-assign]

    async def scenario() -> list[bool]:
        task = asyncio.create_task(directory.run(poll_s=60))
        try:
            return list(await asyncio.gather(*(directory.recheck() for _ in range(200))))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    assert asyncio.run(scenario()) == [False] * 200
    assert 1 <= len(reads) <= 2


# --- over the receivers' sockets, without refresh() ------------------------------------------


def test_a_panel_registered_a_moment_ago_gets_ack_on_its_very_first_frame(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    plain = receiver_db.add()
    encrypted = receiver_db.add(key=fa.KEY_256, encrypted_only=True)
    with rx.connect() as sock:
        assert token(exchange(sock, fa.sia_frame(plain.account, 1))) == "ACK"
        frame = fa.sia_frame(encrypted.account, 1, key=fa.KEY_256)
        assert token(exchange(sock, frame)) == "*ACK"
    assert receiver_db.count(plain.account) == 1
    assert receiver_db.count(encrypted.account) == 1


def test_a_rotated_key_stamped_by_a_clock_behind_is_accepted_on_the_first_frame(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    row = receiver_db.add(key=fa.KEY_128)
    receiver_db.add()  # a later change: the latest updated_at is now someone else's
    rx.refresh()
    with unit_of_work(receiver_db.services.session_factory) as session:
        stored = session.get_one(Transmitter, row.id)
        _rekey(session, receiver_db.services.box, stored, NEW_KEY, stamped_back=True)
    frame = fa.sia_frame(row.account, 2, key=NEW_KEY)
    with rx.connect() as sock:
        assert token(exchange(sock, frame)) == "*ACK"
    assert receiver_db.count(row.account) == 1


def test_a_unit_registered_a_moment_ago_is_answered_200_on_its_first_message(
    receiver_db: ReceiverDb, sip: RunningReceiver
) -> None:
    row, _ = add_unit(receiver_db)
    request = ScaipRequest(ref="R1", cid=row.account, device_type=3, status=10)
    response = udp_send(sip.udp, mrq_message(request, sip))
    assert response.status == 200 and parse_mrs(response.body).snu == 0
    assert receiver_db.count(row.account) == 1


def test_an_unknown_account_is_still_refused_after_the_recheck(
    receiver_db: ReceiverDb, rx: RunningReceiver
) -> None:
    with rx.connect() as sock:
        assert token(exchange(sock, fa.sia_frame(fa.next_account(), 3))) == "DUH"
