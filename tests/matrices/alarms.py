"""Authorization rows for the transmitter registry and the alarm list.

The transmitter a call acts on is inserted as a plain row (no audit), because the
matrix checks that a refused call leaves the audit trail untouched.
"""

from __future__ import annotations

from stadsvakt.alarms.models import Transmitter, TransmitterProtocol
from tests import factories_alarms as fa
from tests.matrices._base import AU, SL, SO, V1, Call, World

OP, RO = "operator", "read_only"
READ_TRANSMITTERS = frozenset({SO, OP, SL, AU})
READ_ALARMS = frozenset({SO, OP, SL, AU, RO})
WRITE = frozenset({SO})


def _transmitter(w: World) -> Transmitter:
    row = Transmitter(
        tenant_id=w.tenant.id,
        site_id=w.site.id,
        account=fa.next_account(),
        protocol=TransmitterProtocol.DC09_SIA,
    )
    w.session.add(row)
    w.session.commit()
    return row


def _transmitter_id(w: World) -> str:
    return str(_transmitter(w).id)


def _alarm_id(w: World) -> str:
    alarm = fa.alarm(w.session, _transmitter(w))[0]
    w.session.commit()
    return str(alarm.id)


MATRIX: dict[tuple[str, str], tuple[frozenset[str], Call]] = {
    ("GET", "/transmitters"): (READ_TRANSMITTERS, lambda c, w, h: c.get(V1 + "/transmitters")),
    ("POST", "/transmitters"): (
        WRITE,
        lambda c, w, h: c.post(
            V1 + "/transmitters",
            headers=h,
            json={"site_id": str(w.site.id), "account": fa.next_account(), "protocol": "dc09-sia"},
        ),
    ),
    ("GET", "/transmitters/{transmitter_id}"): (
        READ_TRANSMITTERS,
        lambda c, w, h: c.get(f"{V1}/transmitters/{_transmitter_id(w)}"),
    ),
    ("PATCH", "/transmitters/{transmitter_id}"): (
        WRITE,
        lambda c, w, h: c.patch(
            f"{V1}/transmitters/{_transmitter_id(w)}", headers=h, json={"bearer": "4G"}
        ),
    ),
    ("DELETE", "/transmitters/{transmitter_id}"): (
        WRITE,
        lambda c, w, h: c.delete(f"{V1}/transmitters/{_transmitter_id(w)}", headers=h),
    ),
    ("GET", "/alarms"): (READ_ALARMS, lambda c, w, h: c.get(V1 + "/alarms")),
    ("GET", "/alarms/{alarm_id}"): (
        READ_ALARMS,
        lambda c, w, h: c.get(f"{V1}/alarms/{_alarm_id(w)}"),
    ),
}
