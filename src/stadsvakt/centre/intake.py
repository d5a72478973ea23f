"""The centre's intake: alarms just stored become activations, in the same transaction.

Alarm reception announces :class:`~stadsvakt.events.AlarmsStored` inside the transaction
that stores a batch; :func:`take_in` loads what the batch may join (open activations of
its sites and categories, storms, test windows), lets :func:`~stadsvakt.centre.routing.route`
decide for each event in order, writes the activations and their timeline lines, and
numbers the changes on the queue feed. So an alarm is acknowledged to its sender only
once its activation is committed too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from stadsvakt.access.services.site_rules import emergency_from_fire
from stadsvakt.centre import feed
from stadsvakt.centre.models import (
    Activation,
    ActivationEntry,
    ActivationKind,
    ActivationState,
    TestWindow,
)
from stadsvakt.centre.routing import Action, Event, Open, Route, Rules, group_key, route, storm_key
from stadsvakt.events import AlarmsStored, StoredAlarm
from stadsvakt.settings import CentreSettings

#: Where a session carries the routing rules (set by the composition root's factories).
RULES_KEY = "stadsvakt_centre_rules"
_configured: Rules | None = None


def rules_from(settings: CentreSettings) -> Rules:
    """The routing rules of the centre's settings."""
    return Rules(
        priority=dict(settings.priority),
        log_only=frozenset(settings.log_only),
        join_window=timedelta(seconds=settings.join_window_s),
        confirm_window=timedelta(seconds=settings.confirm_window_s),
        storm_threshold=settings.storm_threshold,
        storm_window=timedelta(seconds=settings.storm_window_s),
        storm_categories=frozenset(settings.storm_categories),
    )


def configure(settings: CentreSettings) -> None:
    """Use these settings' rules for every session that carries none of its own."""
    global _configured
    _configured = rules_from(settings)


def rules_for(session: Session) -> Rules:
    """The rules a session routes by: its own, else the configured, else the defaults."""
    own = session.info.get(RULES_KEY)
    if isinstance(own, Rules):
        return own
    return _configured or rules_from(CentreSettings())


def take_in(session: Session, stored: AlarmsStored) -> None:
    """Route a batch of stored alarms into the queue (see the module docstring)."""
    alarms = sorted(stored.alarms, key=lambda alarm: alarm.received_at)
    if not alarms:
        return
    _Intake(session, rules_for(session), alarms).run()


def _event(alarm: StoredAlarm) -> Event:
    return Event(
        tenant_id=alarm.tenant_id,
        site_id=alarm.site_id,
        category=alarm.category,
        qualifier=alarm.qualifier,
        code=alarm.code,
        zone=alarm.zone,
        at=alarm.received_at,
    )


def _open_of(activation: Activation) -> Open:
    return Open(
        id=activation.id,
        group_key=activation.group_key,
        priority=activation.priority,
        last_event_at=activation.last_event_at,
        opened_at=activation.opened_at,
        zones=frozenset(activation.zones or ()),
        confirmed=activation.confirmed,
    )


class _Intake:
    """One batch's routing: what it loaded, and what it changed."""

    def __init__(self, session: Session, rules: Rules, alarms: Sequence[StoredAlarm]) -> None:
        self.session = session
        self.rules = rules
        self.alarms = alarms
        self.events = [_event(alarm) for alarm in alarms]
        self.open: dict[str, Activation] = {}
        self.openings: dict[tuple[uuid.UUID, str, str], int] = {}
        self.windows: list[TestWindow] = []
        self.changed: dict[uuid.UUID, tuple[Activation, str]] = {}

    def run(self) -> None:
        self._load()
        for alarm, event in zip(self.alarms, self.events, strict=True):
            joinable = self.open.get(group_key(event))
            storm = self.open.get(storm_key(event))
            opened = self.openings.get((event.tenant_id, event.category, event.code), 0)
            decided = route(
                event,
                rules=self.rules,
                joinable=None if joinable is None else _open_of(joinable),
                storm=None if storm is None else _open_of(storm),
                recent_openings=opened,
                in_test=self._in_test(alarm),
            )
            self._apply(alarm, event, decided)
        feed.publish(self.session, list(self.changed.values()))

    def _load(self) -> None:
        keys = {group_key(event) for event in self.events}
        keys |= {storm_key(event) for event in self.events if self.rules.may_storm(event.category)}
        rows = self.session.execute(
            select(Activation)
            .where(Activation.group_key.in_(sorted(keys)))
            .where(Activation.state != ActivationState.CLOSED)
            .order_by(Activation.last_event_at)
        ).scalars()
        for row in rows:  # the latest open one of a key wins
            self.open[row.group_key] = row
        self._load_openings()
        self._load_windows()

    def _load_openings(self) -> None:
        stormy = {
            (event.tenant_id, event.category, event.code)
            for event in self.events
            if self.rules.may_storm(event.category)
        }
        if not stormy:
            return
        since = min(event.at for event in self.events) - self.rules.storm_window
        tenants = sorted({key[0] for key in stormy})
        categories = sorted({key[1] for key in stormy})
        rows = self.session.execute(
            select(Activation.tenant_id, Activation.category, Activation.code, func.count())
            .where(Activation.kind == ActivationKind.ALARM)
            .where(Activation.tenant_id.in_(tenants))
            .where(Activation.category.in_(categories))
            .where(Activation.opened_at >= since)
            .group_by(Activation.tenant_id, Activation.category, Activation.code)
        )
        for tenant, category, code, count in rows:
            self.openings[(tenant, category, code)] = int(count)

    def _load_windows(self) -> None:
        sites = sorted({alarm.site_id for alarm in self.alarms if alarm.site_id is not None})
        senders = sorted(
            {alarm.transmitter_id for alarm in self.alarms if alarm.transmitter_id is not None}
        )
        if not sites and not senders:
            return
        first = min(alarm.received_at for alarm in self.alarms)
        last = max(alarm.received_at for alarm in self.alarms)
        self.windows = list(
            self.session.execute(
                select(TestWindow)
                .where(or_(TestWindow.site_id.in_(sites), TestWindow.transmitter_id.in_(senders)))
                .where(TestWindow.starts_at <= last)
                .where(TestWindow.ends_at > first)
            ).scalars()
        )

    def _in_test(self, alarm: StoredAlarm) -> bool:
        return any(
            window.starts_at <= alarm.received_at < window.ends_at
            and (
                (window.site_id is not None and window.site_id == alarm.site_id)
                or (
                    window.transmitter_id is not None
                    and window.transmitter_id == alarm.transmitter_id
                )
            )
            for window in self.windows
        )

    def _apply(self, alarm: StoredAlarm, event: Event, decided: Route) -> None:
        if decided.action in (Action.LOG_ONLY, Action.IN_TEST):
            return
        if decided.action is Action.OPEN:
            self._open(alarm, decided, ActivationKind.ALARM)
            key = (event.tenant_id, event.category, event.code)
            self.openings[key] = self.openings.get(key, 0) + 1
            return
        if decided.action is Action.STORM and decided.activation is None:
            self._open(alarm, decided, ActivationKind.STORM)
            return
        activation = self.open[decided.group_key]
        if decided.action is Action.RESTORE:
            activation.restored = True
            self._entry(activation, alarm, "restore")
        else:
            activation.event_count += 1
            activation.last_event_at = max(activation.last_event_at, alarm.received_at)
            activation.zones = sorted(decided.zones)
            activation.priority = decided.priority
            activation.restored = False
            self._entry(activation, alarm, "event")
            if decided.confirms:
                activation.confirmed = True
                self._entry(activation, alarm, "confirmed", zones=sorted(decided.zones))
        activation.version += 1
        self._changed(activation, feed.UPDATED)

    def _open(self, alarm: StoredAlarm, decided: Route, kind: ActivationKind) -> None:
        activation = Activation(
            id=uuid.uuid4(),
            tenant_id=alarm.tenant_id,
            site_id=alarm.site_id if kind is ActivationKind.ALARM else None,
            transmitter_id=alarm.transmitter_id if kind is ActivationKind.ALARM else None,
            kind=kind,
            category=alarm.category,
            code=alarm.code,
            priority=decided.priority,
            title=alarm.description[:200],
            group_key=decided.group_key,
            state=ActivationState.OPEN,
            opened_at=alarm.received_at,
            last_event_at=alarm.received_at,
            event_count=1,
            zones=sorted(decided.zones),
            confirmed=False,
            restored=False,
            version=1,
        )
        self.session.add(activation)
        self.open[decided.group_key] = activation
        self._entry(activation, alarm, "event")
        self._changed(activation, feed.NEW)
        if alarm.category == "fire" and activation.site_id is not None:
            # Escape routes open at once (issue 12 point 5); ending it is an operator's call.
            emergency_from_fire(self.session, activation.site_id, alarm.received_at)

    def _entry(self, activation: Activation, alarm: StoredAlarm, kind: str, **data: object) -> None:
        details: dict[str, object] = {
            "category": alarm.category,
            "code": alarm.code,
            "qualifier": alarm.qualifier,
            "zone": alarm.zone,
            **data,
        }
        if activation.kind is ActivationKind.STORM:
            details["site_id"] = None if alarm.site_id is None else str(alarm.site_id)
        self.session.add(
            ActivationEntry(
                activation_id=activation.id,
                at=alarm.received_at,
                kind=kind,
                actor_name="",
                alarm_id=alarm.alarm_id,
                text=alarm.description[:2000],
                data=details,
            )
        )

    def _changed(self, activation: Activation, kind: str) -> None:
        # A batch that opens and then joins an activation announces it once, as new.
        earlier = self.changed.get(activation.id)
        self.changed[activation.id] = (activation, earlier[1] if earlier else kind)


def active_windows(session: Session, at: datetime, ids: Iterable[uuid.UUID]) -> list[TestWindow]:
    """The test windows open at ``at`` for any of the given sites or transmitters."""
    wanted = sorted(set(ids))
    return list(
        session.execute(
            select(TestWindow)
            .where(or_(TestWindow.site_id.in_(wanted), TestWindow.transmitter_id.in_(wanted)))
            .where(TestWindow.starts_at <= at)
            .where(TestWindow.ends_at > at)
        ).scalars()
    )
