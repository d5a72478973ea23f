"""Authorization rows for the JSON alarm input (``alarm.input``: the system owner, and
device tokens given that scope)."""

from __future__ import annotations

import itertools

from stadsvakt.alarms.models import Transmitter, TransmitterProtocol
from tests import factories_alarms as fa
from tests.matrices._base import SO, V1, Call, World

_ids = itertools.count(1)


def _json_account(w: World) -> str:
    """A JSON transmitter on the world's site, inserted as a plain row (no audit)."""
    row = Transmitter(
        tenant_id=w.tenant.id,
        site_id=w.site.id,
        account=fa.next_account(),
        protocol=TransmitterProtocol.JSON,
    )
    w.session.add(row)
    w.session.commit()
    return row.account


MATRIX: dict[tuple[str, str], tuple[frozenset[str], Call]] = {
    ("POST", "/alarms/inputs"): (
        frozenset({SO}),
        lambda c, w, h: c.post(
            V1 + "/alarms/inputs",
            headers=h,
            json={"account": _json_account(w), "message_id": f"m{next(_ids)}", "code": "gas"},
        ),
    ),
}
