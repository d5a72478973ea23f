"""``SnapshotState.without``: the fast revocation's cut. Whatever is taken out, every
removed card and every card of a removed holder is denied, every other card still opens,
and the state it was made from is left as it was."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.access.decide import DecisionRequest, Reason, decide
from stadsvakt.access.identifiers import CARD
from stadsvakt.access.timerules import Interval
from stadsvakt.edge.snapshot.codec import Json
from stadsvakt.edge.snapshot.state import SnapshotState

TENANT, DOOR, ZONE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PROFILE, SCHEDULE = uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _body(holders: list[tuple[uuid.UUID, list[tuple[uuid.UUID, str]]]]) -> Json:
    right = {"profile": str(PROFILE), "from": None, "to": None, "source": "granted_by_grant"}
    always = [Interval(day, 0, 1440).to_dict() for day in range(7)]
    door: Json = {
        "id": str(DOOR),
        "zone": str(ZONE),
        "mode": "secure",
        "unlock_schedule": None,
        "unlock_seconds": 5,
        "extended_unlock_seconds": 20,
        "site": None,
        "requires_pin": False,
        "escape_route": False,
        "emergency_open": False,
        "holidays": None,
        "eves": [],
    }
    return {
        "tenant": str(TENANT),
        "version": 42,
        "holidays_until": "2028-01-01",
        "doors": [door],
        "schedules": [
            {
                "id": str(SCHEDULE),
                "intervals": always,
                "holiday_mode": "normal",
                "holidays": [],
                "eves": [],
            }
        ],
        "profiles": [
            {"id": str(PROFILE), "zones": [str(ZONE)], "schedule": str(SCHEDULE), "course": None}
        ],
        "people": [
            {
                "id": str(person),
                "active": True,
                "extended_unlock": False,
                "rights": [right],
                "training": {},
                "pins": [],
            }
            for person, _ in holders
        ],
        "credentials": [
            {
                "id": str(card_id),
                "kind": "card",
                "identifier": identifier,
                "person": str(person),
                "state": "active",
                "valid_from": None,
                "valid_to": None,
            }
            for person, cards in holders
            for card_id, identifier in cards
        ],
    }


def _opens(state: SnapshotState, identifier: str) -> bool:
    request = DecisionRequest(TENANT, DOOR, identifier, CARD)
    return decide(request, state, NOW).granted


holders = st.lists(st.integers(1, 3), min_size=1, max_size=8)


@given(holders, st.data())
def test_every_removed_card_and_holder_is_denied_and_nothing_else(
    cards_each: list[int], data: st.DataObject
) -> None:
    made, serial = [], 0
    for count in cards_each:
        cards = []
        for _ in range(count):
            serial += 1
            cards.append((uuid.uuid4(), f"04{serial:08X}"))
        made.append((uuid.uuid4(), cards))
    state = SnapshotState.from_body(_body(made))
    all_cards = [card for _, cards in made for card in cards]
    gone_cards = data.draw(st.sets(st.sampled_from(all_cards)))
    gone_people = data.draw(st.sets(st.sampled_from([person for person, _ in made])))

    cut = state.without((card_id for card_id, _ in gone_cards), gone_people)

    assert cut.version == state.version
    for person, cards in made:
        for card in cards:
            assert _opens(state, card[1])
            denied = card in gone_cards or person in gone_people
            decision = decide(DecisionRequest(TENANT, DOOR, card[1], CARD), cut, NOW)
            assert decision.granted is not denied
            if card in gone_cards:
                assert decision.reason is Reason.UNKNOWN_CREDENTIAL
