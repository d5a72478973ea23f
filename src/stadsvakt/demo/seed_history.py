"""A month of the safety centre's past work, so statistics and site panels have figures.

The alarms are made as the demo's transmitters would have sent them (SIA and Contact ID
through DC-09, SCAIP from social alarms) and stored through alarm reception's own
store, so the centre's intake opens and joins activations exactly as it does live.
The operators then handle each one through the handling services at the time it
happened: claimed after a realistic wait, dispatched when the plan says so, the
mandatory plan steps done, closed with a cause and a note. Intrusions are mostly false
alarms (someone forgot the code), social alarms mostly real. A random generator with a
fixed seed makes every demo's history the same shape.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import TransmitterProtocol
from stadsvakt.alarms.normalise import AlarmRecord, Envelope, Source, from_event
from stadsvakt.alarms.protocols.contact_id import parse_adm_cid
from stadsvakt.alarms.protocols.dc09.builder import adm_cid_block, build_frame, sia_block
from stadsvakt.alarms.protocols.dc09.header import Token
from stadsvakt.alarms.protocols.events import ParsedEvent
from stadsvakt.alarms.protocols.scaip import ScaipRequest, build_mrq
from stadsvakt.alarms.protocols.scaip_codes import event as scaip_event
from stadsvakt.alarms.protocols.sia_codes import parse_sia_data
from stadsvakt.alarms.store import receive_alarms
from stadsvakt.centre import dispatch as dispatching
from stadsvakt.centre.handling import claim, close
from stadsvakt.centre.models import Activation, ActivationState, Cause
from stadsvakt.centre.plans.service import complete_step, plan_for, steps_of
from stadsvakt.centre.plans.steps import StepKind
from stadsvakt.centre.units.models import FieldUnit, UnitType
from stadsvakt.context import Actor

STOCKHOLM = ZoneInfo("Europe/Stockholm")
#: Activations of the past month (a busy municipal centre has a few hundred).
HISTORY_ACTIVATIONS = 220
HISTORY_DAYS = 30
#: Sites that also report opening and closing every weekday (log only, for the site panel).
OPEN_CLOSE_SITES = 8
_SEED = 9280

#: Category weights of the month's activations.
_MIX: tuple[tuple[str, int], ...] = (
    ("intrusion", 46),
    ("fault", 16),
    ("social", 14),
    ("fire", 9),
    ("technical", 8),
    ("tamper", 4),
    ("hold_up", 3),
)
#: The SIA DC-03 code each category is sent with, and its restore (none: not sent).
_SIA = {
    "intrusion": ("BA", "BR"),
    "tamper": ("TA", "TR"),
    "hold_up": ("HA", ""),
    "technical": ("WA", ""),
    "fault": ("AT", ""),
}
#: Fire panels send Contact ID: 110 is a fire alarm.
_CID_FIRE = 110
#: Site names that have a hold-up button (reception desks).
_HOLD_UP_WORDS = ("socialtjänst", "jobbtorg", "stadshus", "bibliotek", "kommunhus")

#: (cause, weight, notes) per category; a false alarm and a cancellation need a note.
_CLOSINGS: dict[str, tuple[tuple[Cause, int, tuple[str, ...]], ...]] = {
    "intrusion": (
        (
            Cause.FALSE,
            70,
            (
                "Personal glömde larma av vid ankomst; nyckelhållaren bekräftade.",
                "Städpersonal slog fel kod. Larmet avskrevs efter samtal.",
                "Rörelsedetektor i korridor: ballonger från dagens fest.",
                "Fönster stod på glänt; drag fick en detektor att lösa ut.",
                "Kvällsverksamhet (föreningsbokning) utan att larmet kopplades från.",
            ),
        ),
        (
            Cause.REAL,
            8,
            (
                "Inbrott konstaterat: krossad ruta mot gården. Polisanmälan gjord, "
                "glasmästare beställd.",
                "Obehöriga ungdomar i lokalen; lämnade när väktaren kom. Polisen underrättad.",
            ),
        ),
        (Cause.CANCELLED, 14, ("Verksamheten ringde in: personal på plats, avskrivet.",)),
        (Cause.TECHNICAL, 8, ("Detektorfel i sektion 4; servicetekniker beställd.",)),
    ),
    "tamper": (
        (Cause.TECHNICAL, 70, ("Sabotagekontakt i detektorlock; servicetekniker beställd.",)),
        (Cause.FALSE, 30, ("Lokalvårdare stötte till en detektor.",)),
    ),
    "fire": (
        (
            Cause.FALSE,
            65,
            (
                "Matlagning i personalrummet; räddningstjänsten avbröt på väg.",
                "Damm från byggarbete i korridoren. Detektor ska skyddas under arbetet.",
                "Ånga från duschrum; räddningstjänsten kontrollerade och återställde.",
            ),
        ),
        (
            Cause.REAL,
            10,
            ("Mindre brand i papperskorg, släckt av personal. Räddningstjänsten ventilerade.",),
        ),
        (Cause.TECHNICAL, 25, ("Detektorfel; brandlarmsfirman åtgärdade dagen efter.",)),
    ),
    "hold_up": (
        (Cause.REAL, 35, ("Hotfull besökare i receptionen; polisen tog hand om personen.",)),
        (Cause.FALSE, 65, ("Larmknappen trycktes av misstag vid städning.",)),
    ),
    "social": (
        (
            Cause.REAL,
            85,
            (
                "Brukaren hade ramlat i hallen; larmpatrullen hjälpte upp, ingen skada.",
                "Brukaren behövde hjälp till toaletten.",
                "Brukaren kände sig orolig; samtal via larmet räckte.",
            ),
        ),
        (Cause.FALSE, 15, ("Larmknappen trycktes av misstag.",)),
    ),
    "technical": (
        (Cause.REAL, 60, ("Vattenläcka under diskbänk; fastighetsjouren stängde av vattnet.",)),
        (Cause.TECHNICAL, 40, ("Givaren felaktig; fastighetsskötaren byter den.",)),
    ),
    "fault": (
        (Cause.TECHNICAL, 85, ("Strömavbrott i området enligt nätägaren; återställt.",)),
        (Cause.CANCELLED, 15, ("Elektriker arbetade i ställverket; förvaltaren meddelade.",)),
    ),
}
#: Share of activations a unit is sent to, and the unit type, per category.
_DISPATCH: dict[str, tuple[float, UnitType]] = {
    "intrusion": (0.3, UnitType.GUARD),
    "fire": (0.5, UnitType.GUARD),
    "hold_up": (1.0, UnitType.SECURITY_OFFICER),
    "social": (0.6, UnitType.HOME_CARE),
    "tamper": (0.2, UnitType.GUARD),
}


@dataclass(frozen=True, slots=True)
class Sender:
    """A registered transmitter the history plays."""

    tenant_id: uuid.UUID
    site_id: uuid.UUID
    transmitter_id: uuid.UUID
    account: str
    protocol: TransmitterProtocol
    site_name: str


@dataclass(frozen=True, slots=True)
class HistorySeed:
    """What the month holds."""

    alarms: int
    activations: int
    dispatches: int
    causes: dict[str, int]


class AlarmMaker:
    """Alarm records as the demo's transmitters would have sent them.

    One maker numbers every frame of a transmitter, so no two frames look like a re-send.
    """

    def __init__(self) -> None:
        self.records: list[AlarmRecord] = []
        self._sequence: Counter[str] = Counter()

    def store(self, session: Session) -> int:
        """Store the records made since the last call through alarm reception."""
        made, self.records = self.records, []
        receive_alarms(session, made, touch=False)
        return len(made)

    def _envelope(self, sender: Sender, at: datetime, payload: str, raw: bytes) -> Envelope:
        self._sequence[sender.account] += 1
        return Envelope(
            source=Source(sender.tenant_id, sender.site_id, sender.transmitter_id),
            protocol=sender.protocol.value,
            account=sender.account,
            sequence=f"{self._sequence[sender.account] % 10000:04d}",
            received_at=at,
            event_time=at,
            encrypted=False,
            payload=payload,
            raw=raw,
        )

    def _add(self, event: ParsedEvent, envelope: Envelope) -> None:
        self.records.append(from_event(event, envelope, 0))

    def sia(self, sender: Sender, at: datetime, code: str, zone: int) -> None:
        """One SIA DC-03 event (``BA``, ``OP`` …) in a DC-09 frame."""
        data = sia_block(sender.account, f"Nri1/{code}{zone:02d}")
        number = self._sequence[sender.account] + 1
        frame = build_frame(Token.SIA_DCS, number % 10000, sender.account, data=data, timestamp=at)
        envelope = self._envelope(sender, at, f"[{data}]", frame)
        self._add(parse_sia_data(data).events[0], envelope)

    def cid(self, sender: Sender, at: datetime, code: int, zone: int, new: bool = True) -> None:
        """One Contact ID event (new or restore) in a DC-09 frame."""
        data = adm_cid_block(sender.account, 1 if new else 3, code, 1, zone)
        number = self._sequence[sender.account] + 1
        frame = build_frame(Token.ADM_CID, number % 10000, sender.account, data=data, timestamp=at)
        envelope = self._envelope(sender, at, f"[{data}]", frame)
        self._add(parse_adm_cid(data), envelope)

    def social(self, sender: Sender, at: datetime, fall: bool) -> None:
        """A care recipient's button press or fall, over SCAIP."""
        request = ScaipRequest(
            ref=f"h{len(self.records):09d}",
            cid=sender.account,
            device_type=5 if fall else 3,
            status=9 if fall else 10,
            component=None if fall else 2,
            location=11 if fall else None,
            version="01.00",
        )
        body = build_mrq(request)
        envelope = self._envelope(sender, at, body.decode(), body)
        self._add(scaip_event(request), envelope)


def _moment(rng: random.Random, now: datetime, category: str) -> datetime:
    """When an alarm of the month happened: intrusions mostly evenings and nights."""
    while True:
        at = now - timedelta(days=rng.uniform(0.1, HISTORY_DAYS))
        hour = at.astimezone(STOCKHOLM).hour
        night = hour >= 18 or hour < 6
        if category != "intrusion" or night or rng.random() < 0.3:
            return at


def _senders_for(category: str, senders: Sequence[Sender]) -> list[Sender]:
    if category == "social":
        return [s for s in senders if s.protocol is TransmitterProtocol.SCAIP]
    if category == "fire":
        return [s for s in senders if s.protocol is TransmitterProtocol.DC09_CID]
    sia = [s for s in senders if s.protocol is TransmitterProtocol.DC09_SIA]
    if category == "hold_up":
        return [s for s in sia if any(w in s.site_name.lower() for w in _HOLD_UP_WORDS)] or sia
    return sia


def _emit(alarms: AlarmMaker, rng: random.Random, sender: Sender, at: datetime, cat: str) -> None:
    """The alarm of one activation, with its restore when the panel sends one."""
    zone = rng.randint(1, 12)
    if sender.protocol is TransmitterProtocol.SCAIP:
        alarms.social(sender, at, fall=rng.random() < 0.2)
    elif sender.protocol is TransmitterProtocol.DC09_CID:
        alarms.cid(sender, at, _CID_FIRE, zone)
        alarms.cid(sender, at + timedelta(seconds=rng.uniform(50, 90)), _CID_FIRE, zone, new=False)
    else:
        code, restore = _SIA[cat]
        alarms.sia(sender, at, code, zone)
        if restore:  # while the activation is still open, as a detector resets quickly
            alarms.sia(sender, at + timedelta(seconds=rng.uniform(30, 90)), restore, zone)


def _open_close(alarms: AlarmMaker, senders: Sequence[Sender], now: datetime) -> None:
    """Opening and closing reports of a few sites, every weekday of the month."""
    panels = [s for s in senders if s.protocol is TransmitterProtocol.DC09_SIA][:OPEN_CLOSE_SITES]
    rng = random.Random(_SEED + 1)
    today = now.astimezone(STOCKHOLM).replace(hour=0, minute=0, second=0, microsecond=0)
    for back in range(1, HISTORY_DAYS):
        day = today - timedelta(days=back)
        if day.isoweekday() > 5:
            continue
        for sender in panels:
            opened = day.replace(hour=6, minute=rng.randint(30, 59))
            closed = day.replace(hour=17, minute=rng.randint(0, 59))
            alarms.sia(sender, opened, "OP", rng.randint(1, 9))
            alarms.sia(sender, closed, "CL", rng.randint(1, 9))


def record_month(
    session: Session,
    alarms: AlarmMaker,
    senders: Sequence[Sender],
    now: datetime,
    count: int = HISTORY_ACTIVATIONS,
) -> int:
    """Store a month of alarms through alarm reception (the intake opens the activations)."""
    rng = random.Random(_SEED)
    pools = {category: _senders_for(category, senders) for category, _ in _MIX}
    mix = [(c, w) for c, w in _MIX if pools[c]]
    for _ in range(count):
        category = rng.choices([c for c, _ in mix], [w for _, w in mix])[0]
        sender = rng.choice(pools[category])
        _emit(alarms, rng, sender, _moment(rng, now, category), category)
    _open_close(alarms, senders, now)
    return alarms.store(session)


def _delay(rng: random.Random) -> timedelta:
    """How long an activation waited to be claimed: most within 30 s, a few over a minute."""
    return timedelta(seconds=min(600.0, 4 + rng.lognormvariate(math.log(14), 0.75)))


def _operator(rng: random.Random, operators: Sequence[Actor], at: datetime) -> Actor:
    """The day operator by day, the night operator by night, now and then the other."""
    day = 7 <= at.astimezone(STOCKHOLM).hour < 19
    index = 0 if day else len(operators) - 1
    if rng.random() < 0.15:
        index = len(operators) - 1 - index
    return operators[index]


class _Handling:
    """The month's activations handled one by one, at the times they happened."""

    def __init__(
        self,
        session: Session,
        operators: Sequence[Actor],
        units: Sequence[FieldUnit],
        mandatory: frozenset[str],
    ) -> None:
        self.session = session
        self.operators = operators
        self.units = units
        self.mandatory = mandatory
        self.rng = random.Random(_SEED + 2)
        self.dispatches = 0
        self.causes: Counter[str] = Counter()

    def run(self, activations: Sequence[Activation]) -> None:
        for activation in activations:
            self._handle(activation)

    def _handle(self, activation: Activation) -> None:
        rng = self.rng
        at = activation.opened_at + _delay(rng)
        operator = _operator(rng, self.operators, at)
        claim(self.session, operator, activation.id, version=activation.version, now=at)
        at += timedelta(seconds=rng.uniform(40, 150))
        if activation.category in self.mandatory:
            self._mandatory_steps(activation, operator, at)
        share, unit_type = _DISPATCH.get(activation.category, (0.0, UnitType.GUARD))
        if rng.random() < share:
            at = self._dispatch(activation, operator, unit_type, at)
        cause, note = self._closing(activation.category)
        at += timedelta(seconds=rng.uniform(30, 240))
        close(
            self.session,
            operator,
            activation.id,
            version=activation.version,
            cause=cause,
            note=note,
            now=at,
        )
        self.causes[cause.value] += 1

    def _mandatory_steps(self, activation: Activation, operator: Actor, at: datetime) -> None:
        """Mark the plan's mandatory steps done, as the operator did then."""
        version = plan_for(self.session, activation)
        for index, step in enumerate(steps_of(version)):
            if not step.mandatory:
                continue
            outcome = "reached" if step.kind in (StepKind.CALL, StepKind.POLICE) else "done"
            entry = complete_step(self.session, operator, activation.id, index, outcome)
            entry.at = at  # complete_step stamps the present; this step was done back then

    def _dispatch(
        self, activation: Activation, operator: Actor, unit_type: UnitType, at: datetime
    ) -> datetime:
        """Send a unit of the type, which accepts, arrives and clears; returns when."""
        candidates = [u for u in self.units if u.unit_type is unit_type] or list(self.units)
        unit = self.rng.choice(candidates)
        rng = self.rng
        sent = dispatching.dispatch(self.session, operator, activation.id, unit.id, now=at)
        at += timedelta(seconds=rng.uniform(20, 100))
        dispatching.accept(self.session, operator, sent.id, now=at)
        at += timedelta(minutes=rng.uniform(5, 22))
        dispatching.arrive(self.session, operator, sent.id, now=at)
        at += timedelta(minutes=rng.uniform(8, 35))
        dispatching.clear(self.session, operator, sent.id, now=at)
        self.dispatches += 1
        return at

    def _closing(self, category: str) -> tuple[Cause, str]:
        options = _CLOSINGS.get(category, _CLOSINGS["fault"])
        cause, _, notes = self.rng.choices(options, [weight for _, weight, _ in options])[0]
        return cause, self.rng.choice(notes)


def seed_history(
    session: Session,
    alarms: AlarmMaker,
    senders: Sequence[Sender],
    operators: Sequence[Actor],
    units: Sequence[FieldUnit],
    now: datetime,
    *,
    mandatory: frozenset[str] = frozenset(),
    count: int = HISTORY_ACTIVATIONS,
) -> HistorySeed:
    """A month of alarms, and their activations handled and closed by the operators.

    ``mandatory`` names the categories whose plans have mandatory steps: the operator
    does those steps before closing (looking up the plan of every activation costs time).
    """
    stored = record_month(session, alarms, senders, now, count)
    activations = list(
        session.scalars(
            select(Activation)
            .where(Activation.state == ActivationState.OPEN)
            .where(Activation.opened_at < now)
            .order_by(Activation.opened_at)
        )
    )
    handling = _Handling(session, operators, units, mandatory)
    handling.run(activations)
    return HistorySeed(
        alarms=stored,
        activations=len(activations),
        dispatches=handling.dispatches,
        causes=dict(handling.causes),
    )
