"""The demo city as data: Malmö's departments, about forty believable sites, a larger city."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import pytest

from stadsvakt.demo.data import DemoCity, DemoDataError, load_city, parse_city, scale_city

#: The departments (förvaltningar) named in Malmö's report, seeds/000_*.txt.
MALMO_DEPARTMENTS = {
    "Arbetsmarknads- och socialförvaltningen",
    "Fritidsförvaltningen",
    "Förskoleförvaltningen",
    "Funktionsstödsförvaltningen",
    "Grundskoleförvaltningen",
    "Gymnasie- och vuxenutbildningsförvaltningen",
    "Hälsa-, vård- och omsorgsförvaltningen",
    "Kulturförvaltningen",
    "Miljöförvaltningen",
    "Serviceförvaltningen",
    "Stadskontoret",
}


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return load_city()


def test_departments_are_malmos_each_with_several_units(city: DemoCity) -> None:
    assert {d.name for d in city.departments} == MALMO_DEPARTMENTS
    assert all(len(d.units) >= 3 for d in city.departments)


def test_about_forty_sites_with_swedish_addresses_in_the_city_on_land(city: DemoCity) -> None:
    assert 35 <= len(city.sites) <= 45
    assert city.code.startswith("9")
    for site in city.sites:
        assert re.fullmatch(r"[1-9][0-9]{2} [0-9]{2}", site.postal_code), site.code
        assert re.fullmatch(r"\D+ \d+", site.street), site.street
        assert 55.5 <= site.latitude <= 55.7 and 12.9 <= site.longitude <= 13.1, site.code
        assert site.longitude > city.area.shore_longitude(site.latitude), f"{site.code} is at sea"
    # A plausible spread: the sites cover several kilometres, not one block.
    latitudes = [s.latitude for s in city.sites]
    longitudes = [s.longitude for s in city.sites]
    assert max(latitudes) - min(latitudes) > 0.05
    assert max(longitudes) - min(longitudes) > 0.08


def test_a_good_share_of_sites_is_rented_from_property_companies(city: DemoCity) -> None:
    external = [s for s in city.sites if s.owner is not None]
    assert len(city.sites) // 4 <= len(external) < len(city.sites)
    for site in external:
        owner = city.owners[site.owner or ""]
        assert owner.contact and "@" in owner.email and owner.phone


def test_every_site_is_used_by_a_unit_and_every_department_has_sites(city: DemoCity) -> None:
    units = {u.code for d in city.departments for u in d.units}
    assert {s.unit for s in city.sites} <= units
    assert {city.department_of(s.unit).name for s in city.sites} == MALMO_DEPARTMENTS


def test_one_demo_user_per_built_in_role_and_a_second_operator(city: DemoCity) -> None:
    roles = {u.role: u for u in city.users}
    assert set(roles) == {
        "system_owner",
        "department_admin",
        "operator",
        "shift_leader",
        "auditor",
        "read_only",
        "field_unit",
    }
    assert roles["department_admin"].unit == "GRF"
    # Two operators, so the live queue can be tried side by side.
    assert [u.username for u in city.users if u.role == "operator"] == ["operator", "operator2"]


def test_scale_two_doubles_units_and_sites_with_unique_codes(city: DemoCity) -> None:
    larger = scale_city(city, 2)
    assert len(larger.sites) == 2 * len(city.sites)
    for base, grown in zip(city.departments, larger.departments, strict=True):
        assert len(grown.units) == 2 * len(base.units)
    codes = [s.code for s in larger.sites]
    assert len(set(codes)) == len(codes)
    unit_codes = [u.code for d in larger.departments for u in d.units]
    assert len(set(unit_codes)) == len(unit_codes)
    assert len({u.name for d in larger.departments for u in d.units}) == len(unit_codes)
    assert len({s.name for s in larger.sites}) == len(larger.sites)
    assert len({s.street for s in larger.sites}) > len(city.sites)
    for site in larger.sites:
        assert city.area.contains(site.latitude, site.longitude), site.code


def test_scaling_is_deterministic_and_extends_a_smaller_city(city: DemoCity) -> None:
    assert scale_city(city, 3) == scale_city(city, 3)
    assert scale_city(city, 3).sites[: 2 * len(city.sites)] == scale_city(city, 2).sites
    assert scale_city(city, 1) == city
    with pytest.raises(ValueError, match="at least 1"):
        scale_city(city, 0)


def test_a_point_in_the_sound_is_not_in_the_city(city: DemoCity) -> None:
    assert not city.area.contains(55.60, 12.93)
    assert city.area.contains(55.60, 13.02)


def test_a_site_naming_an_unknown_unit_is_refused() -> None:
    raw = json.loads((files("stadsvakt.demo") / "city.json").read_text(encoding="utf-8"))
    raw["sites"][0]["unit"] = "NO-SUCH-UNIT"
    with pytest.raises(DemoDataError, match="unknown unit NO-SUCH-UNIT"):
        parse_city(raw)
