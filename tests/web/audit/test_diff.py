"""The before/after of an audit row as field changes (pure)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.audit.diff import MISSING, field_changes, is_secret

VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
SIDES = st.dictionaries(st.sampled_from(["name", "state", "code", "active"]), VALUES)


def test_changed_unchanged_added_and_removed_fields() -> None:
    changes = field_changes(
        json.dumps({"name": "A", "state": "active", "old": 1}),
        json.dumps({"name": "A", "state": "lost", "new": None}),
    )
    by_name = {c.name: c for c in changes}
    assert [c.name for c in changes] == ["name", "new", "old", "state"]
    assert not by_name["name"].changed
    assert (by_name["state"].before, by_name["state"].after) == ("active", "lost")
    assert by_name["new"].before is MISSING and by_name["new"].after is None
    assert by_name["old"].after is MISSING and by_name["old"].changed


def test_a_creation_has_only_after_values() -> None:
    changes = field_changes(None, json.dumps({"name": "Skolan"}))
    assert [(c.before, c.after, c.changed) for c in changes] == [(MISSING, "Skolan", True)]


def test_secrets_are_masked_but_their_change_is_kept() -> None:
    changes = field_changes(json.dumps({"pin_hash": "x1"}), json.dumps({"pin_hash": "x2"}))
    assert [(c.before, c.after, c.changed, c.secret) for c in changes] == [(None, None, True, True)]
    assert is_secret("password_hash") and is_secret("key_sealed") and is_secret("totp_secret")
    assert not is_secret("key_id") and not is_secret("name") and not is_secret("keyboard")


@given(SIDES, SIDES)
def test_every_field_of_either_side_appears_once(
    before: dict[str, object], after: dict[str, object]
) -> None:
    changes = field_changes(json.dumps(before), json.dumps(after))
    assert [c.name for c in changes] == sorted(set(before) | set(after))
    for c in changes:
        assert c.changed == (before.get(c.name, MISSING) != after.get(c.name, MISSING))
