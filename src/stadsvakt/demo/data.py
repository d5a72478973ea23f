"""The demo city as data: loaded from ``city.json`` and, on request, grown to a larger city.

Sundby kommun is fictional. Its departments (förvaltningar) carry the real names
from Malmö's report on a shared access-control and alarm system; units (enheter),
sites, property companies and people are invented. Growing the city is
deterministic: the same scale and seed always give the same city.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from importlib.resources import files
from typing import Any, ClassVar

#: Attempts at drawing a point on land before falling back to the district centre.
_DRAWS = 100


@dataclass(frozen=True, slots=True)
class Owner:
    """Who owns a building (fastighetsägare), with a contact person."""

    name: str
    contact: str
    email: str
    phone: str


@dataclass(frozen=True, slots=True)
class Area:
    """Where the city lies: a bounding box and a shore line with the sea to its west."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float
    shore: tuple[tuple[float, float], ...]

    def shore_longitude(self, latitude: float) -> float:
        """The longitude of the shore at a latitude (linear between the shore points)."""
        points = self.shore
        if latitude <= points[0][0]:
            return points[0][1]
        for (lat_a, lon_a), (lat_b, lon_b) in zip(points, points[1:], strict=False):
            if latitude <= lat_b:
                return lon_a + (lon_b - lon_a) * (latitude - lat_a) / (lat_b - lat_a)
        return points[-1][1]

    def contains(self, latitude: float, longitude: float) -> bool:
        """Whether a point lies in the city and on land."""
        return (
            self.lat_min <= latitude <= self.lat_max
            and self.lon_min <= longitude <= self.lon_max
            and longitude > self.shore_longitude(latitude)
        )


@dataclass(frozen=True, slots=True)
class District:
    """A part of the city (stadsdel): where generated units and sites are placed."""

    name: str
    prefix: str  # the form used in compounds: "Norrviks" in "Norrviksskolan"
    latitude: float
    longitude: float
    postal_codes: tuple[str, ...]
    streets: tuple[str, ...]

    #: Half the side of the box around the centre that sites are spread over (about 600 m).
    spread_lat: ClassVar[float] = 0.0055
    spread_lon: ClassVar[float] = 0.009


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """A unit (enhet) of a department; ``pattern`` names its counterparts in a larger city."""

    code: str
    name: str
    pattern: str
    district: str | None = None


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    """A department (förvaltning) and its units."""

    code: str
    name: str
    units: tuple[UnitSpec, ...]


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """A building used by one unit; ``owner`` is a property company's key, or None for the city."""

    code: str
    name: str
    unit: str
    street: str
    postal_code: str
    latitude: float
    longitude: float
    owner: str | None


@dataclass(frozen=True, slots=True)
class UserSpec:
    """A demo login: one per built-in role; ``unit`` is a department code for scoped roles."""

    username: str
    display_name: str
    role: str
    unit: str | None


@dataclass(frozen=True, slots=True)
class DemoCity:
    """Everything the demo seeds."""

    name: str
    code: str  # kommunkod, in the unused 9xxx range
    city: str  # postort on addresses
    area: Area
    city_owner: Owner
    owners: dict[str, Owner]
    districts: tuple[District, ...]
    departments: tuple[DepartmentSpec, ...]
    sites: tuple[SiteSpec, ...]
    users: tuple[UserSpec, ...]

    def unit_codes(self) -> set[str]:
        """The codes of every department and unit."""
        codes = {d.code for d in self.departments}
        return codes | {u.code for d in self.departments for u in d.units}

    def department_of(self, unit_code: str) -> DepartmentSpec:
        """The department a unit belongs to."""
        for department in self.departments:
            if any(u.code == unit_code for u in department.units):
                return department
        raise KeyError(unit_code)


class DemoDataError(ValueError):
    """The demo data contradicts itself (a broken reference or a repeated code)."""


def load_city() -> DemoCity:
    """The base demo city, read from the packaged ``city.json``."""
    text = (files("stadsvakt.demo") / "city.json").read_text(encoding="utf-8")
    return parse_city(json.loads(text))


def parse_city(raw: dict[str, Any]) -> DemoCity:
    """Build a :class:`DemoCity` from its JSON form and check its references."""
    area = raw["area"]
    city = DemoCity(
        name=raw["municipality"]["name"],
        code=raw["municipality"]["code"],
        city=raw["municipality"]["city"],
        area=Area(
            lat_min=area["lat_min"],
            lat_max=area["lat_max"],
            lon_min=area["lon_min"],
            lon_max=area["lon_max"],
            shore=tuple((lat, lon) for lat, lon in area["shore"]),
        ),
        city_owner=Owner(**raw["city_owner"]),
        owners={key: Owner(**value) for key, value in raw["owners"].items()},
        districts=tuple(
            District(
                name=d["name"],
                prefix=d["prefix"],
                latitude=d["latitude"],
                longitude=d["longitude"],
                postal_codes=tuple(d["postal_codes"]),
                streets=tuple(d["streets"]),
            )
            for d in raw["districts"]
        ),
        departments=tuple(
            DepartmentSpec(
                code=d["code"],
                name=d["name"],
                units=tuple(UnitSpec(**u) for u in d["units"]),
            )
            for d in raw["departments"]
        ),
        sites=tuple(SiteSpec(**s) for s in raw["sites"]),
        users=tuple(UserSpec(**u) for u in raw["users"]),
    )
    _check(city)
    return city


def _check(city: DemoCity) -> None:
    unit_codes = [d.code for d in city.departments] + [
        u.code for d in city.departments for u in d.units
    ]
    if len(unit_codes) != len(set(unit_codes)):
        raise DemoDataError("unit codes repeat")
    site_codes = [s.code for s in city.sites]
    if len(site_codes) != len(set(site_codes)):
        raise DemoDataError("site codes repeat")
    leaf_codes = {u.code for d in city.departments for u in d.units}
    for site in city.sites:
        if site.unit not in leaf_codes:
            raise DemoDataError(f"site {site.code}: unknown unit {site.unit}")
        if site.owner is not None and site.owner not in city.owners:
            raise DemoDataError(f"site {site.code}: unknown owner {site.owner}")
        if not city.area.contains(site.latitude, site.longitude):
            raise DemoDataError(f"site {site.code}: outside the city or in the sea")
    for user in city.users:
        if user.unit is not None and user.unit not in set(unit_codes):
            raise DemoDataError(f"user {user.username}: unknown unit {user.unit}")


def scale_city(city: DemoCity, scale: int, *, seed: int = 9280) -> DemoCity:
    """A city ``scale`` times as large: every unit and site gets ``scale - 1`` counterparts.

    Counterpart k of a unit is named from the unit's pattern and a district, and
    the sites of the original unit are copied to it with new addresses in that
    district. Codes get a ``-k`` suffix, so they stay unique. One generator
    seeded with ``seed`` draws everything, round by round, so a larger scale
    extends a smaller one.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    rng = random.Random(seed)
    names = {u.name for d in city.departments for u in d.units}
    site_names = {s.name for s in city.sites}
    departments = {d.code: list(d.units) for d in city.departments}
    sites = list(city.sites)
    for k in range(2, scale + 1):
        counterparts: dict[str, UnitSpec] = {}
        for department in city.departments:
            for unit in department.units:
                twin = _counterpart(unit, k, city.districts, names, rng)
                names.add(twin.name)
                counterparts[unit.code] = twin
                departments[department.code].append(twin)
        for site in city.sites:
            twin_unit = counterparts[site.unit]
            new_site = _site_for(city, site, twin_unit, k, site_names, rng)
            site_names.add(new_site.name)
            sites.append(new_site)
    return replace(
        city,
        departments=tuple(replace(d, units=tuple(departments[d.code])) for d in city.departments),
        sites=tuple(sites),
    )


def _counterpart(
    unit: UnitSpec, k: int, districts: tuple[District, ...], taken: set[str], rng: random.Random
) -> UnitSpec:
    order = list(districts)
    rng.shuffle(order)
    for district in order:
        name = unit.pattern.format(name=district.name, prefix=district.prefix)
        if name not in taken:
            return UnitSpec(f"{unit.code}-{k}", name, unit.pattern, district.name)
    district = order[0]
    name = f"{unit.pattern.format(name=district.name, prefix=district.prefix)} {k}"
    return UnitSpec(f"{unit.code}-{k}", name, unit.pattern, district.name)


def _site_for(
    city: DemoCity,
    original: SiteSpec,
    unit: UnitSpec,
    k: int,
    taken: set[str],
    rng: random.Random,
) -> SiteSpec:
    district = next(d for d in city.districts if d.name == unit.district)
    name = unit.name
    for letter in "BCDEFGH":
        if name not in taken:
            break
        name = f"{unit.name}, hus {letter}"
    latitude, longitude = _point_in(city.area, district, rng)
    owner = None if original.owner is None else rng.choice(sorted(city.owners))
    return SiteSpec(
        code=f"{original.code}-{k}",
        name=name,
        unit=unit.code,
        street=f"{rng.choice(district.streets)} {rng.randint(1, 80)}",
        postal_code=rng.choice(district.postal_codes),
        latitude=latitude,
        longitude=longitude,
        owner=owner,
    )


def _point_in(area: Area, district: District, rng: random.Random) -> tuple[float, float]:
    for _ in range(_DRAWS):
        latitude = round(district.latitude + rng.uniform(-1, 1) * district.spread_lat, 5)
        longitude = round(district.longitude + rng.uniform(-1, 1) * district.spread_lon, 5)
        if area.contains(latitude, longitude):
            return latitude, longitude
    return district.latitude, district.longitude
