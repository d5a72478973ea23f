"""Feed numbers passed over are looked for again for a while, then given up."""

from __future__ import annotations

from stadsvakt.edge.hub.gaps import Gaps


def test_a_gap_is_looked_for_until_found_or_too_old() -> None:
    gaps = Gaps(keep_s=60)
    gaps.missed([42, 44], now=100.0)
    gaps.missed([42], now=130.0)  # still missing: its first miss counts
    assert gaps.open(now=150.0) == [42, 44]
    gaps.found([44])
    assert gaps.open(now=159.0) == [42]
    assert gaps.open(now=161.0) == [] and len(gaps) == 0
