"""Where simulated panels get their accounts and keys: planned and registered, or from a CSV.

:func:`plan_panels` invents panels (accounts ``5E000001`` … by default, a share with
AES keys); :func:`register_panels` registers them in bulk through the CSV import
(every row checked, each transmitter audited, all or none), spread over the given
sites. :func:`panels_from_csv` reads the panels of a file in the
``stadsvakt transmitters import`` format instead, so a simulator can play the
transmitters someone has registered.
"""

from __future__ import annotations

import csv
import random
import secrets
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.alarms.csv_import import REQUIRED, ImportSummary, import_transmitters
from stadsvakt.alarms.schemas import KeyFormat
from stadsvakt.alarms.service import normalise_hex, parse_key
from stadsvakt.alarms.simulate.panels import PanelSpec, Payload
from stadsvakt.auth.scope import restrict
from stadsvakt.auth.secrets import SecretBox
from stadsvakt.context import Actor
from stadsvakt.errors import InvalidInput
from stadsvakt.org.models import Site

#: Account prefix of planned panels, so they stand out in the registry.
SIMULATED_PREFIX = "5E"
#: Networks cycled through, so the old-network lists have something to show.
BEARERS = ("4G", "IP", "3G", "2G")
_HEADER = (*REQUIRED, "name", "bearer")


def plan_panels(
    count: int,
    *,
    encrypted_share: float = 0.3,
    cid_share: float = 0.5,
    interval_s: float = 90.0,
    prefix: str = SIMULATED_PREFIX,
    ascii_keys: bool = False,
    seed: int | None = None,
) -> list[PanelSpec]:
    """``count`` panels; about ``encrypted_share`` of them get a fresh AES-128 or AES-256 key.

    ``ascii_keys`` makes keys of hex characters used as ASCII (16 or 32 of them), the
    form some receivers (pysiaalarm) take; otherwise keys are random bytes.
    """
    if count < 1 or count > 16**6:
        raise InvalidInput("count: 1 to 16,777,216 panels", field="count", rule="range")
    if not 0 <= encrypted_share <= 1:
        raise InvalidInput("encrypted_share: 0 to 1", field="encrypted_share", rule="range")
    rng = random.Random(seed)
    specs = []
    for index in range(count):
        key: bytes | None = None
        if rng.random() < encrypted_share:
            size = rng.choice((16, 32))
            key = (
                secrets.token_hex(size // 2).upper().encode()
                if ascii_keys
                else secrets.token_bytes(size)
            )
        specs.append(
            PanelSpec(
                account=f"{prefix}{index + 1:06X}",
                payload=Payload.CID if rng.random() < cid_share else Payload.SIA,
                key=key,
                interval_s=interval_s,
            )
        )
    return specs


def csv_lines(
    specs: Sequence[PanelSpec], site_codes: Sequence[str], *, ascii_keys: bool = False
) -> list[str]:
    """The panels as ``transmitters import`` CSV, spread round-robin over ``site_codes``."""
    if not site_codes:
        raise InvalidInput("site: no site to register the panels on", field="site", rule="required")
    rows = [",".join(_HEADER)]
    for index, spec in enumerate(specs):
        key, key_format = "", ""
        if spec.key is not None:
            key_format = KeyFormat.ASCII.value if ascii_keys else KeyFormat.HEX.value
            key = spec.key.decode("ascii") if ascii_keys else spec.key.hex()
        rows.append(
            ",".join(
                (
                    spec.account,
                    spec.receiver,
                    spec.line,
                    spec.payload.value,
                    site_codes[index % len(site_codes)],
                    str(int(spec.interval_s)),
                    key,
                    key_format,
                    "false",
                    f"Simulated panel {spec.account}",
                    BEARERS[index % len(BEARERS)],
                )
            )
        )
    return rows


def site_codes(session: Session, actor: Actor, only: str | None = None) -> list[str]:
    """The codes of the sites the actor may register transmitters on (or just ``only``)."""
    stmt = restrict(select(Site.code), Site, actor, "transmitter.write").order_by(Site.code)
    if only is not None:
        stmt = stmt.where(Site.code == only)
    codes = list(session.scalars(stmt))
    if only is not None and not codes:
        raise InvalidInput(
            f"site: no site with code {only!r} in your scope", field="site", rule="exists"
        )
    return codes


def register_panels(
    session: Session,
    actor: Actor,
    box: SecretBox,
    specs: Sequence[PanelSpec],
    sites: Sequence[str],
    *,
    ascii_keys: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Register (or update) the panels as transmitters on ``sites``; the caller commits."""
    lines = csv_lines(specs, sites, ascii_keys=ascii_keys)
    return import_transmitters(session, actor, box, lines, progress=progress)


def panels_from_csv(lines: Iterable[str], *, default_interval_s: float = 90.0) -> list[PanelSpec]:
    """The DC-09 panels of an import file (SCAIP and JSON rows are skipped)."""
    reader = csv.DictReader(lines)
    reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
    specs = []
    for row in reader:
        protocol = (row.get("protocol") or "").strip().lower()
        if protocol not in {p.value for p in Payload}:
            continue
        key_format = KeyFormat((row.get("key_format") or "hex").strip().lower() or "hex")
        interval = (row.get("interval_s") or "").strip()
        specs.append(
            PanelSpec(
                account=(row.get("account") or "").strip().upper(),
                payload=Payload(protocol),
                key=parse_key(row.get("key"), key_format, field=f"line {reader.line_num}: key"),
                receiver=normalise_hex(row.get("receiver")),
                line=normalise_hex(row.get("line")),
                interval_s=float(interval) if interval else default_interval_s,
            )
        )
    return specs
