"""SCIM requests have a complexity limit: filters, searches, attribute lists, paging, PATCH.

Every test here answered 500 (``Expression tree is too large``) after seconds of
work, or a silent 200, before the limits of ``settings.scim`` existed.
"""

from __future__ import annotations

from typing import Any

import pytest
from annotated_types import Le
from scim2_models.messages import patch_op

from stadsvakt.settings import ScimSettings
from tests.factories_scim import ENTERPRISE, ERROR, GROUP, patch_body, user_body
from tests.scim.conftest import ScimWorld

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

#: The issue's examples: a 997-term ``or`` in a 26 KB URL, 1,000 ``and`` terms in a search.
ISSUE_OR = " or ".join(f'userName eq "u{i}@x.se"' for i in range(997))
ISSUE_AND = " and ".join(f'userName ne "u{i}"' for i in range(1000))
#: The issue's PATCH path: an unknown URN, 20,000 characters.
ISSUE_PATH = "urn:bogus:" + "x" * 20_000


def _user(scim: ScimWorld, name: str = "anna@testby.se", **kw: Any) -> dict[str, Any]:
    kw.setdefault("department", scim.school.code)
    response = scim.client.post("/scim/v2/Users", json=user_body(name, **kw), headers=scim.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _group(scim: ScimWorld, name: str = "Lag", members: list[str] | None = None) -> str:
    body: dict[str, Any] = {"schemas": [GROUP], "displayName": name}
    if members:
        body["members"] = [{"value": m} for m in members]
    response = scim.client.post("/scim/v2/Groups", json=body, headers=scim.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _search(scim: ScimWorld, how: str, endpoint: str, **params: Any) -> Any:
    """A search with GET (query) or POST on ``.search`` (body)."""
    if how == "GET":
        return scim.client.get(f"/scim/v2/{endpoint}", headers=scim.headers, params=params)
    body = {"schemas": [SEARCH], **params}
    path = f"/scim/v2/{endpoint}/.search" if endpoint else "/scim/v2/.search"
    return scim.client.post(path, headers=scim.headers, json=body)


def _refused(response: Any, scim_type: str, *words: str) -> str:
    """Assert a 400 SCIM error of this type whose detail names each word; the detail."""
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["schemas"] == [ERROR]
    assert error["scimType"] == scim_type, error
    for word in words:
        assert word in error["detail"], error
    detail: str = error["detail"]
    return detail


def _patch(scim: ScimWorld, url: str, *operations: Any) -> Any:
    return scim.client.patch(url, json=patch_body(*operations), headers=scim.headers)


HOWS = ["GET", "POST"]
ENDPOINTS = ["Users", "Groups", ""]  # "" is the root, searching every resource type


# -- filters ---------------------------------------------------------------


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("flt", [ISSUE_OR, ISSUE_AND], ids=["997 or", "1000 and"])
def test_the_issues_filters_are_400_invalid_filter(
    scim: ScimWorld, how: str, endpoint: str, flt: str
) -> None:
    _refused(_search(scim, how, endpoint, filter=flt), "invalidFilter", "2000 characters")


def test_the_length_is_checked_before_parsing(scim: ScimWorld) -> None:
    # Not even a filter, yet refused for its length: the parser never saw it.
    _refused(_search(scim, "GET", "Users", filter="(" * 3000), "invalidFilter", "2000 characters")
    # And for its nesting, before its syntax.
    _refused(_search(scim, "GET", "Users", filter="((((((x"), "invalidFilter", "nest at most 5")


def _terms(count: int) -> str:
    return " or ".join(f'title eq "t{i}"' for i in range(count))


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize(
    ("endpoint", "term"),
    [("Users", 'userName eq "u{i}"'), ("Groups", 'displayName eq "g{i}"')],
)
def test_at_most_50_terms(scim: ScimWorld, how: str, endpoint: str, term: str) -> None:
    fifty = " or ".join(term.format(i=i) for i in range(50))
    assert len(fifty) < 2000
    accepted = _search(scim, how, endpoint, filter=fifty)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["totalResults"] == 0
    refused = _search(scim, how, endpoint, filter=f"{fifty} or {term.format(i=50)}")
    _refused(refused, "invalidFilter", "at most 50 comparisons")


def test_terms_inside_value_paths_count(scim: ScimWorld) -> None:
    inner = " or ".join(f'value co "v{i}"' for i in range(50))
    flt = f'userName pr and emails[type eq "work" and ({inner})]'
    _refused(_search(scim, "GET", "Users", filter=flt), "invalidFilter", "at most 50 comparisons")


@pytest.mark.parametrize(
    ("flt", "rule"),
    [
        ('not (not (not (not (not (not (userName eq "x"))))))', "nest at most 5"),
        ('((((((userName eq "x"))))))', "nest at most 5"),
        # Nested without a parenthesis for each level: "and" binds tighter than "or".
        (
            'userName pr or title pr and not (active eq true or emails[type eq "work" and '
            '(value pr or not (value co "x" and value co "y"))])',
            "nest at most 5",
        ),
    ],
    ids=["not", "parentheses", "and-or-not-value-path"],
)
@pytest.mark.parametrize("how", HOWS)
def test_nesting_is_bounded(scim: ScimWorld, how: str, flt: str, rule: str) -> None:
    _refused(_search(scim, how, "Users", filter=flt), "invalidFilter", rule)


def test_five_levels_are_accepted(scim: ScimWorld) -> None:
    flt = 'not (not (not (not (emails[type eq "work"]))))'
    response = _search(scim, "GET", "Users", filter=flt)
    assert response.status_code == 200, response.text


def _cap(field: str) -> int:
    """The largest value a ScimSettings field may be set to."""
    (le,) = [m.le for m in ScimSettings.model_fields[field].metadata if isinstance(m, Le)]
    assert isinstance(le, int)
    return le


_CAPS = ScimSettings(
    filter_max_length=_cap("filter_max_length"),
    filter_max_terms=_cap("filter_max_terms"),
    filter_max_depth=_cap("filter_max_depth"),
)

#: Terms whose SQL is deepest: EXISTS over a join, ``ne`` (an OR with IS NULL), LIKE.
_HEAVY_USER_TERMS = [
    'title ne "t{i}"',
    f'{ENTERPRISE}:department eq "D{{i}}"',
    'emails.type ne "w{i}"',
    'name.familyName co "f{i}"',
    'meta.created gt "2020-01-0{d}T00:00:00Z"',
    'displayName ew "d{i}"',
]


def _heavy(terms: list[str], count: int) -> list[str]:
    return [terms[i % len(terms)].format(i=i, d=1 + i % 9) for i in range(count)]


@pytest.mark.parametrize("settings", [_CAPS], indirect=True)
def test_no_accepted_filter_reaches_the_databases_limits(scim: ScimWorld) -> None:
    """At the largest settings allowed, the widest and deepest filters still run."""
    _user(scim)
    limit, depth = _CAPS.filter_max_terms, _CAPS.filter_max_depth
    # One long "or" of the heaviest terms, under every "not" the depth allows.
    chain = " or ".join(_heavy(_HEAVY_USER_TERMS, limit))
    wide = "not (" * (depth - 1) + chain + ")" * (depth - 1)
    # and/or alternating as deep as allowed, every level as wide as the terms allow.
    per_level = limit // depth
    deep = " and ".join(_heavy(_HEAVY_USER_TERMS, per_level))
    for level in range(depth - 1):
        joiner = " or " if level % 2 == 0 else " and "
        deep = joiner.join([*_heavy(_HEAVY_USER_TERMS, per_level - 1), f"({deep})"])
    # A value path at the bottom of the nesting.
    inner = " or ".join(f'value co "v{i}"' for i in range(limit - 2))
    path = "not (" * (depth - 3) + f'emails[type eq "work" and ({inner})]' + ")" * (depth - 3)
    groups = " or ".join(
        _heavy(['displayName ne "g{i}"', 'members.value eq "{i}"', 'externalId sw "x{i}"'], limit)
    )
    for endpoint, flt in [("Users", wide), ("Users", deep), ("Users", path), ("Groups", groups)]:
        assert len(flt) <= _CAPS.filter_max_length
        for how in HOWS:
            response = _search(scim, how, endpoint, filter=flt)
            assert response.status_code == 200, (flt[:80], response.text[:300])
    beyond = f'{chain} or title eq "one more"'
    _refused(_search(scim, "GET", "Users", filter=beyond), "invalidFilter", f"at most {limit}")


def test_default_limits_are_the_documented_ones() -> None:
    limits = ScimSettings()
    assert (limits.filter_max_length, limits.filter_max_terms, limits.filter_max_depth) == (
        2000,
        50,
        5,
    )
    assert limits.filter_max_terms <= _CAPS.filter_max_terms


@pytest.mark.parametrize(
    "settings", [ScimSettings(filter_max_terms=3, filter_max_depth=2)], indirect=True
)
def test_the_limits_are_settings(scim: ScimWorld) -> None:
    three = "userName pr or title pr or active eq true"
    assert _search(scim, "GET", "Users", filter=three).status_code == 200
    more = f"{three} or emails pr"
    _refused(_search(scim, "GET", "Users", filter=more), "invalidFilter", "at most 3")
    deeper = "not (not (not (title pr)))"
    _refused(_search(scim, "GET", "Users", filter=deeper), "invalidFilter", "at most 2")


# -- attribute lists, sorting, paging ------------------------------------------


@pytest.mark.parametrize("name", ["attributes", "excludedAttributes"])
@pytest.mark.parametrize("endpoint", ["Users", "Groups"])
def test_attribute_lists_are_bounded(scim: ScimWorld, name: str, endpoint: str) -> None:
    fifty = ",".join(["displayName"] * 50)
    assert _search(scim, "GET", endpoint, **{name: fifty}).status_code == 200
    many = ",".join(["displayName"] * 51)
    _refused(_search(scim, "GET", endpoint, **{name: many}), "tooMany", "at most 50 attributes")
    _refused(
        _search(scim, "POST", endpoint, **{name: ["displayName"] * 5000}),
        "tooMany",
        "at most 50 attributes",
    )
    huge = ",".join(["displayName"] * 3000)
    _refused(_search(scim, "GET", endpoint, **{name: huge}), "tooMany", name)
    long = "urn:bogus:" + "x" * 20_000
    _refused(_search(scim, "GET", endpoint, **{name: long}), "invalidPath", "512 characters")


def test_attribute_lists_of_a_read_and_a_write_are_bounded(scim: ScimWorld) -> None:
    user_id = _user(scim)["id"]
    url = f"/scim/v2/Users/{user_id}"
    many = {"attributes": ",".join(["userName"] * 51)}
    read = scim.client.get(url, headers=scim.headers, params=many)
    _refused(read, "tooMany", "at most 50 attributes")
    write = scim.client.patch(
        url,
        params=many,
        json=patch_body({"op": "replace", "path": "title", "value": "Rektor"}),
        headers=scim.headers,
    )
    _refused(write, "tooMany", "at most 50 attributes")


def test_sorting_is_not_supported_whatever_its_size(scim: ScimWorld) -> None:
    response = _search(scim, "GET", "Users", sortBy="x" * 20_000)
    assert response.status_code == 501
    assert response.json()["schemas"] == [ERROR]


@pytest.mark.parametrize("start", [2**31, 2**63, 10**30])
@pytest.mark.parametrize("how", HOWS)
def test_a_start_index_past_the_end_is_an_empty_page(scim: ScimWorld, how: str, start: int) -> None:
    _user(scim)
    response = _search(scim, how, "Users", startIndex=start, count=10)
    assert response.status_code == 200, response.text
    assert response.json()["totalResults"] == 1
    assert response.json().get("Resources", []) == []


def test_count_is_capped(scim: ScimWorld) -> None:
    _user(scim)
    response = _search(scim, "POST", "Users", count=10**30)
    assert response.status_code == 200, response.text
    assert response.json()["itemsPerPage"] == 1
    _refused(_search(scim, "GET", "Users", count="9" * 5000), "invalidValue", "count")


# -- PATCH -----------------------------------------------------------------------


def test_the_issues_patch_path_is_400_invalid_path(scim: ScimWorld) -> None:
    user = _user(scim)
    url = f"/scim/v2/Users/{user['id']}"
    response = _patch(scim, url, {"op": "replace", "path": ISSUE_PATH, "value": "x"})
    _refused(response, "invalidPath", "Operations[0].path", "at most 512 characters")
    after = scim.client.get(url, headers=scim.headers).json()
    assert after["meta"]["version"] == user["meta"]["version"]


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("urn:bogus:x:title", ["urn:bogus:x is not a schema of User"]),
        ("urn:bogus:" + "x" * 400 + ":title", ["is not a schema of User"]),
        ("urn:bogus", ["Operations[0].path"]),
        ("foo", ["User has no attribute 'foo'"]),
        ("urn:ietf:params:scim:schemas:core:2.0:User:foo", ["has no attribute 'foo'"]),
        (f"{ENTERPRISE}:foo", [f"{ENTERPRISE} has no attribute 'foo'"]),
        ("urn:ietf:params:scim:schemas:core:2.0:Group:displayName", ["not a schema of User"]),
        ("name.foo", ["'name' has no sub-attribute 'foo'"]),
        ("userName.foo", ["'userName' has no sub-attribute 'foo'"]),
        ('emails[type eq "work"].foo', ["'emails' has no sub-attribute 'foo'"]),
        ('title[value eq "x"]', ["'title' holds one value"]),
        ("title[[", ["Operations[0].path"]),
    ],
)
def test_unknown_patch_paths_are_400_invalid_path(
    scim: ScimWorld, path: str, words: list[str]
) -> None:
    user = _user(scim)
    url = f"/scim/v2/Users/{user['id']}"
    for op in ("add", "replace", "remove"):
        operation: dict[str, Any] = {"op": op, "path": path}
        if op != "remove":
            operation["value"] = "x"
        _refused(_patch(scim, url, operation), "invalidPath", *words)
    assert scim.client.get(url, headers=scim.headers).json()["meta"] == user["meta"]


def test_unknown_group_patch_paths_are_400_invalid_path(scim: ScimWorld) -> None:
    url = f"/scim/v2/Groups/{_group(scim)}"
    for path in ("foo", "userName", f"{ENTERPRISE}:department", "members.foo", "urn:a:b:c"):
        _refused(_patch(scim, url, {"op": "add", "path": path, "value": "x"}), "invalidPath")


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ('emails[foo eq "x"].value', ["the values of 'emails' have no 'foo'"]),
        ('emails[type.foo eq "x"].value', ["have no 'type'"]),
        ("emails[not (not (not (not (not (not (value pr))))))].value", ["nest at most 5"]),
    ],
)
def test_bad_patch_path_filters_are_400_invalid_filter(
    scim: ScimWorld, path: str, words: list[str]
) -> None:
    url = f"/scim/v2/Users/{_user(scim)['id']}"
    operation = {"op": "replace", "path": path, "value": "a@testby.se"}
    _refused(_patch(scim, url, operation), "invalidFilter", "Operations[0].path", *words)


@pytest.mark.parametrize("settings", [ScimSettings(path_max_length=2000)], indirect=True)
def test_patch_path_filters_have_the_term_limit(scim: ScimWorld) -> None:
    # At the default 512 characters a path cannot hold 51 terms; at 2,000 it can.
    fifty = " or ".join(f'value eq "{i}"' for i in range(50))
    group = f"/scim/v2/Groups/{_group(scim)}"
    accepted = _patch(scim, group, {"op": "remove", "path": f"members[{fifty}]"})
    assert accepted.status_code == 200, accepted.text
    more = f'members[{fifty} or value eq "x"]'
    _refused(_patch(scim, group, {"op": "remove", "path": more}), "invalidFilter", "at most 50")
    user = f"/scim/v2/Users/{_user(scim)['id']}"
    operation = {"op": "replace", "path": f"emails[{fifty} or value pr].value", "value": "a@b.se"}
    _refused(_patch(scim, user, operation), "invalidFilter", "Operations[0].path", "at most 50")


def test_too_many_operations_are_400_too_many(scim: ScimWorld) -> None:
    url = f"/scim/v2/Users/{_user(scim)['id']}"
    operations = [{"op": "replace", "path": "title", "value": f"t{i}"} for i in range(201)]
    _refused(_patch(scim, url, *operations), "tooMany", "at most 200")
    response = _patch(scim, url, *operations[:200])
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "t199"


@pytest.mark.parametrize(
    "settings", [ScimSettings(patch_max_operations=2, patch_max_values=3)], indirect=True
)
def test_the_patch_limits_are_settings(scim: ScimWorld) -> None:
    url = f"/scim/v2/Users/{_user(scim)['id']}"
    title = {"op": "replace", "path": "title", "value": "Rektor"}
    _refused(_patch(scim, url, title, title, title), "tooMany", "at most 2")
    group = f"/scim/v2/Groups/{_group(scim)}"
    four = [{"value": f"m{i}"} for i in range(4)]
    _refused(
        _patch(scim, group, {"op": "remove", "path": "members", "value": four}),
        "tooMany",
        "at most 3 values",
    )
    keys = {"title": "x", "nickName": "n", "locale": "sv", "timezone": "Europe/Stockholm"}
    _refused(_patch(scim, url, {"op": "replace", "value": keys}), "tooMany", "at most 3 values")


def test_too_many_values_in_one_operation_are_400_too_many(scim: ScimWorld) -> None:
    url = f"/scim/v2/Groups/{_group(scim)}"
    values = [{"value": f"id-{i}"} for i in range(1001)]
    for op in ("add", "remove", "replace"):
        response = _patch(scim, url, {"op": op, "path": "members", "value": values})
        _refused(response, "tooMany", "Operations[0].value", "at most 1000 values")


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'"Operations"',
        b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}',
        b'{"Operations": {"op": "add"}}',
        b'{"Operations": []}',
        b'{"Operations": ["add"]}',
        b'{"Operations": [{"path": "title", "value": "x"}]}',
        b'{"Operations": [{"op": 5, "path": "title", "value": "x"}]}',
    ],
)
def test_a_malformed_patch_is_400_invalid_syntax(scim: ScimWorld, body: bytes) -> None:
    url = f"/scim/v2/Users/{_user(scim)['id']}"
    _refused(scim.client.patch(url, content=body, headers=scim.headers), "invalidSyntax")


def test_a_path_that_is_not_a_string_is_400_invalid_path(scim: ScimWorld) -> None:
    url = f"/scim/v2/Users/{_user(scim)['id']}"
    for path in (5, ["title"], {"a": 1}, True):
        response = _patch(scim, url, {"op": "replace", "path": path, "value": "x"})
        _refused(response, "invalidPath", "Operations[0].path")


@pytest.mark.parametrize(
    ("path", "value", "attribute"),
    [
        ("active", {"a": 1}, "active"),
        ("userName", [1, 2], "userName"),
        ("title", 5, "title"),
        ("emails", "a@testby.se", "emails"),
        ("name.givenName", {"x": 1}, "name.givenName"),
        ("name", {"givenName": 5}, "name.givenName"),
        (f"{ENTERPRISE}:employeeNumber", ["E1"], f"{ENTERPRISE}:employeeNumber"),
    ],
)
def test_values_of_the_wrong_type_are_400_invalid_value_naming_the_attribute(
    scim: ScimWorld, path: str, value: Any, attribute: str
) -> None:
    url = f"/scim/v2/Users/{_user(scim)['id']}"
    detail = _refused(
        _patch(scim, url, {"op": "replace", "path": path, "value": value}),
        "invalidValue",
        attribute,
    )
    assert "pydantic" not in detail and "\n" not in detail


def test_group_values_of_the_wrong_type_are_400_invalid_value(scim: ScimWorld) -> None:
    url = f"/scim/v2/Groups/{_group(scim)}"
    for path, value in (("displayName", 5), ("members", "x"), ("members", [5])):
        detail = _refused(
            _patch(scim, url, {"op": "add", "path": path, "value": value}), "invalidValue", path
        )
        assert "pydantic" not in detail


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"foo": "x"}, ["has no attribute 'foo'"]),
        ({"urn:bogus:x:y": "x"}, ["urn:bogus:x is not a schema of User"]),
        ({"name": {"givenName": "B", "foo": 1}}, ["'foo' is not one of"]),
        ({"name.foo": "B"}, ["'name' has no sub-attribute 'foo'"]),
        ({ENTERPRISE: {"foo": 1}}, [f"{ENTERPRISE} has no attribute 'foo'"]),
        ({"emails": [{"value": "a@testby.se", "foo": 1}]}, ["'foo' is not one of"]),
    ],
)
def test_unknown_keys_of_a_value_are_400_invalid_value(
    scim: ScimWorld, value: dict[str, Any], words: list[str]
) -> None:
    user = _user(scim)
    url = f"/scim/v2/Users/{user['id']}"
    _refused(_patch(scim, url, {"op": "replace", "value": value}), "invalidValue", *words)
    assert scim.client.get(url, headers=scim.headers).json()["meta"] == user["meta"]


def test_standard_attributes_stadsvakt_does_not_keep_are_still_ignored(scim: ScimWorld) -> None:
    """Entra ID sends its default mapping whatever stadsvakt keeps (docs/scim.md)."""
    url = f"/scim/v2/Users/{_user(scim)['id']}"
    response = _patch(
        scim,
        url,
        {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "+46 8 123"},
        {"op": "Replace", "path": 'addresses[type eq "work"].streetAddress', "value": "Gatan 1"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "chef"},
        {"op": "Replace", "path": "preferredLanguage", "value": "sv-SE"},
        {"op": "Replace", "path": "displayName", "value": "Anna S"},
        {"op": "Replace", "path": "name.formatted", "value": "Anna S"},
        {
            "op": "Replace",
            "value": {
                "name.givenName": "Berit",
                ENTERPRISE: {"employeeNumber": "E-1", "costCenter": "K1"},
                f"{ENTERPRISE}:department": scim.care.code,
                "nickName": "B",
            },
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"]["givenName"] == "Berit"
    assert body[ENTERPRISE] == {"employeeNumber": "E-1", "department": scim.care.code}
    assert "phoneNumbers" not in body and "addresses" not in body


def test_removing_members_by_value_uses_a_set(
    scim: ScimWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entra ID removes members by listing them in the value; scim2-models would test each
    member against an ``or`` of every listed id (minutes for a thousand)."""
    people = [_user(scim, f"u{i}@testby.se")["id"] for i in range(4)]
    url = f"/scim/v2/Groups/{_group(scim, members=people)}"
    applied: list[str] = []
    apply = patch_op._apply_operation

    def record(resource: Any, operation: Any, policy: Any) -> bool:
        applied.append(f"{operation.op.value} {operation.path}")
        return apply(resource, operation, policy)

    monkeypatch.setattr(patch_op, "_apply_operation", record)
    gone = [{"value": people[0]}, {"value": people[2]}, {"value": "nobody"}]
    response = _patch(
        scim,
        url,
        {"op": "Remove", "path": "members", "value": gone},
        {"op": "Add", "path": "members", "value": [{"value": people[0]}]},
        {"op": "Remove", "path": "members", "value": [{"value": people[3]}]},
    )
    assert response.status_code == 200, response.text
    assert {m["value"] for m in response.json()["members"]} == {people[0], people[1]}
    assert applied == ["add members"]  # the removals never went through a filter


# -- values the databases refuse ---------------------------------------------------


@pytest.mark.parametrize(
    ("flt", "words"),
    [
        ('meta.created gt "0001-01-01T00:00:00+14:00"', ["between the years 1 and 9999"]),
        ('meta.lastModified lt "9999-12-31T23:59:59-14:00"', ["between the years 1 and 9999"]),
        ('title eq "a\\u0000b"', ["NUL"]),
        ('userName co "\\u0000"', ["NUL"]),
    ],
)
@pytest.mark.parametrize("how", HOWS)
def test_filter_values_no_database_takes_are_400(
    scim: ScimWorld, how: str, flt: str, words: list[str]
) -> None:
    _refused(_search(scim, how, "Users", filter=flt), "invalidFilter", *words)


def test_nul_characters_looked_up_before_validation_are_400(scim: ScimWorld) -> None:
    url = f"/scim/v2/Users/{_user(scim)['id']}"
    for path in ("userName", f"{ENTERPRISE}:department"):
        operation = {"op": "replace", "path": path, "value": "a\x00b"}
        _refused(_patch(scim, url, operation), "invalidValue", path, "NUL")
    body = user_body("b\x00@testby.se", department=scim.school.code)
    created = scim.client.post("/scim/v2/Users", json=body, headers=scim.headers)
    _refused(created, "invalidValue", "userName", "NUL")
