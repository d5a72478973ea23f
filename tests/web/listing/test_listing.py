"""web.listing: list state read from a URL, URLs that keep it, and every bad parameter refused."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from stadsvakt.web.listing import (
    PAGE_SIZES,
    SEARCH_MAX,
    ListParameterError,
    ListSpec,
    ListState,
    read_list,
)

SPEC = ListSpec(
    path="/things",
    sorts=("name", "created", "state"),
    default_sort="name",
    filters={"state": ("active", "lost"), "owner": None},
)


def _read(query: str) -> ListState:
    return read_list(QueryParams(query), SPEC)


def _refused(query: str) -> ListParameterError:
    with pytest.raises(ListParameterError) as caught:
        _read(query)
    return caught.value


texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20
).map(str.strip)
states = st.builds(
    ListState,
    spec=st.just(SPEC),
    q=texts,
    filters=st.fixed_dictionaries(
        {"state": st.sampled_from(["", "active", "lost"]), "owner": texts}
    ),
    sort=st.sampled_from(SPEC.sorts),
    descending=st.booleans(),
    page=st.integers(1, 500),
    size=st.sampled_from(PAGE_SIZES),
)


@given(states)
def test_a_states_url_reads_back_as_the_same_state(state: ListState) -> None:
    url = urlsplit(state.url())
    assert url.path == "/things"
    assert _read(url.query) == state


@given(states, st.sampled_from(SPEC.sorts))
def test_sorting_by_a_column_twice_turns_it_around_and_starts_on_page_one(
    state: ListState, key: str
) -> None:
    once = _read(urlsplit(state.sort_url(key)).query)
    assert once.sort == key and once.page == 1
    assert once.descending == (key == state.sort and not state.descending)
    twice = _read(urlsplit(once.sort_url(key)).query)
    assert twice.descending is not once.descending
    assert (twice.q, twice.filters, twice.size) == (state.q, state.filters, state.size)


@given(states, st.integers(0, 20_000))
def test_page_links_hold_the_first_last_and_current_page_in_order(
    state: ListState, total: int
) -> None:
    pages = max(1, -(-total // state.size))
    if state.page > pages:
        with pytest.raises(ListParameterError):
            state.result([], total)
        return
    numbers = [n for n, _ in state.result([], total).page_links() if n is not None]
    assert numbers == sorted(set(numbers))
    assert {1, pages, state.page} <= set(numbers)


def test_defaults_are_left_out_of_urls() -> None:
    state = _read("")
    assert (state.sort, state.descending, state.page, state.size) == ("name", False, 1, 25)
    assert state.url() == "/things"
    assert state.url(page=2) == "/things?p=2"
    assert state.url(sort="created", descending=True) == "/things?sort=-created"


@pytest.mark.parametrize(
    ("query", "field", "rule"),
    [
        ("colour=red", "colour", "unknown_parameter"),
        ("state=active&state=lost", "state", "repeated"),
        ("p=two", "p", "integer"),
        ("p=-1", "p", "integer"),
        ("p=0", "p", "page_range"),
        ("size=7", "size", "page_size"),
        ("size=1000", "size", "page_size"),
        ("sort=password", "sort", "sort"),
        ("sort=-password", "sort", "sort"),
        ("state=stolen", "state", "choice"),
        (f"q={'x' * (SEARCH_MAX + 1)}", "q", "max_length"),
        (f"owner={'x' * (SEARCH_MAX + 1)}", "owner", "max_length"),
    ],
)
def test_every_bad_parameter_is_refused_naming_the_field_and_rule(
    query: str, field: str, rule: str
) -> None:
    error = _refused(query)
    assert error.status == 422
    assert error.extra["errors"] == [{"field": field, "rule": rule, "message": error.detail}]


def test_a_page_past_the_end_is_refused_but_page_one_of_nothing_is_shown() -> None:
    assert _read("").result([], 0).pages == 1
    error = pytest.raises(ListParameterError, _read("p=3").result, [], 50).value
    assert error.extra["errors"][0]["rule"] == "page_range"
    assert error.params == {"page": "3", "pages": "2"}


def test_notices_after_a_redirect_are_allowed() -> None:
    assert _read("saved=1").filters == {"state": "", "owner": ""}
