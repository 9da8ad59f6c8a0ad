"""Schools, their programs and the map: steps 1 and 5 (where schools lie) of a city.

A school has a type (which grades it teaches), a sector, a zone, a popularity and a size;
some run a dual-language strand or a special-education class beside their main program
in each grade. :class:`Programs` lists them school by school, grade by grade.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from lottery.io.inputs import GRADES
from lottery.synth.names import name_list
from lottery.synth.parameters import (
    CHARTER_SHARE,
    CITY_CENTER,
    CITY_MILES,
    CITY_SCHOOLS,
    DUAL_LANGUAGE_SHARE,
    MILES_PER_DEGREE,
    POPULARITY_CAP,
    POPULARITY_SPREAD,
    SCHOOL_MARGIN,
    SCHOOL_TYPES,
    SPECIAL_EDUCATION_SHARE,
)


@dataclass(frozen=True)
class Schools:
    """The schools of a city, one row per school."""

    id: np.ndarray  # object: "S001", ...
    name: list[str]
    charter: np.ndarray  # bool
    zone: np.ndarray  # int, index into zone codes
    popularity: np.ndarray  # float, log-normal weight
    size: np.ndarray  # float, relative size
    grades: np.ndarray  # bool (school, grade): the school teaches that grade
    dual_language: np.ndarray  # bool
    zone_codes: np.ndarray  # object: "Z01", ...
    special: np.ndarray | None = None  # bool: runs a special-education program (seat policy)


MAIN, DUAL_LANGUAGE, SPECIAL = 0, 1, 2
"""Kinds of program at a school, in the order they are listed."""


@dataclass(frozen=True)
class Programs:
    """Every program of every school, lottery grade or not (``in_lottery``)."""

    id: np.ndarray  # object
    school: np.ndarray  # int
    grade: np.ndarray  # int, index into GRADES
    dual_language: np.ndarray  # bool
    regular_of: np.ndarray  # int (school, grade) -> main program of that grade, or -1
    in_lottery: np.ndarray  # bool: the program's grade holds a lottery (is written out)
    special: np.ndarray  # bool: a special-education program

    @property
    def main(self) -> np.ndarray:
        """Mask of main programs (neither a dual-language strand nor special education)."""
        return ~self.dual_language & ~self.special


@dataclass(frozen=True)
class CityMap:
    """Where the zones and schools lie: miles east (x) and north (y) of the south-west corner."""

    side: int  # zones per row of the grid
    cell_x: float  # width of a zone's rectangle, miles
    cell_y: float  # height of a zone's rectangle, miles
    width: float
    height: float
    school_x: np.ndarray
    school_y: np.ndarray

    def degrees(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude of points given in miles."""
        latitude = CITY_CENTER[0] + (y - self.height / 2) / MILES_PER_DEGREE
        per_degree = MILES_PER_DEGREE * math.cos(math.radians(CITY_CENTER[0]))
        return latitude, CITY_CENTER[1] + (x - self.width / 2) / per_degree


@dataclass(frozen=True)
class SeatPolicy:
    """The second random stream and the map: present only when seat policy is generated."""

    rng: np.random.Generator
    map: CityMap


def _apportion(total: int, shares: list[float]) -> np.ndarray:
    """Whole counts summing to ``total`` in proportion to ``shares`` (largest remainder)."""
    exact = np.asarray(shares) / sum(shares) * total
    counts = np.floor(exact).astype(np.int64)
    remainder_order = np.argsort(-(exact - counts), kind="stable")
    counts[remainder_order[: total - counts.sum()]] += 1
    return counts


def make_schools(rng: np.random.Generator, n: int) -> Schools:
    """``n`` schools with their types, sectors, zones, popularity, size and strands."""
    kinds = np.repeat(np.arange(len(SCHOOL_TYPES)), _apportion(n, [t[3] for t in SCHOOL_TYPES]))
    kinds = rng.permutation(kinds)
    charter = np.zeros(n, dtype=bool)
    charter[rng.permutation(n)[: round(n * CHARTER_SHARE)]] = True
    n_zones = max(1, round(math.sqrt(n)))
    zone = rng.permutation(np.arange(n) % n_zones)
    popularity = np.exp(POPULARITY_SPREAD * np.minimum(rng.normal(size=n), POPULARITY_CAP))
    # Popular schools tend to be larger, but size varies a lot for other reasons.
    size = np.exp(rng.normal(0.0, 0.3, n)) * popularity**0.25
    grades = np.zeros((n, len(GRADES)), dtype=bool)
    for kind, (_, first, last, _) in enumerate(SCHOOL_TYPES):
        grades[kinds == kind, GRADES.index(first) : GRADES.index(last) + 1] = True
    eligible = np.flatnonzero(~grades[:, GRADES.index("9") :].any(axis=1))
    dual = np.zeros(n, dtype=bool)
    # At least one strand in any city big enough to have a few elementary schools.
    strands = max(int(len(eligible) >= 4), round(len(eligible) * DUAL_LANGUAGE_SHARE))
    dual[rng.permutation(eligible)[:strands]] = True
    width = max(3, len(str(n)))
    ids = np.array([f"S{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
    names = _school_names(rng, kinds, charter)
    zone_width = max(2, len(str(n_zones)))
    zone_codes = np.array([f"Z{z:0{zone_width}d}" for z in range(1, n_zones + 1)], dtype=object)
    return Schools(ids, names, charter, zone, popularity, size, grades, dual, zone_codes)


def _school_names(rng: np.random.Generator, kinds: np.ndarray, charter: np.ndarray) -> list[str]:
    school_names, prefixes = name_list("school_names"), name_list("school_name_prefixes")
    bases = [school_names[i] for i in rng.permutation(len(school_names))]
    names = []
    for i, (kind, is_charter) in enumerate(zip(kinds.tolist(), charter.tolist(), strict=True)):
        base, round_ = bases[i % len(bases)], i // len(bases)
        if 1 <= round_ <= len(prefixes):
            base = f"{prefixes[round_ - 1]} {base}"
        elif round_ > len(prefixes):
            base = f"{base} {round_ + 1}"
        suffix = SCHOOL_TYPES[kind][0]
        names.append(f"{base} Charter {suffix}" if is_charter else f"{base} {suffix}")
    return names


def with_special_education(rng: np.random.Generator, city: Schools) -> Schools:
    """Mark the district schools that run a special-education program."""
    district = np.flatnonzero(~city.charter)
    # At least one in any city with a few district schools.
    count = max(int(len(district) >= 4), round(len(district) * SPECIAL_EDUCATION_SHARE))
    special = np.zeros(len(city.id), dtype=bool)
    special[rng.permutation(district)[:count]] = True
    return replace(city, special=special)


def make_map(rng: np.random.Generator, city: Schools) -> CityMap:
    """Lay the zones out as the grid of :func:`nearby_zone` (first row south) on a square
    city, and put each school somewhere in its zone's rectangle."""
    n_zones = len(city.zone_codes)
    side = math.ceil(math.sqrt(n_zones))
    rows = math.ceil(n_zones / side)
    width = CITY_MILES * math.sqrt(max(1.0, len(city.id) / CITY_SCHOOLS))
    inside = SCHOOL_MARGIN + (1 - 2 * SCHOOL_MARGIN) * rng.random((2, len(city.id)))
    x = (city.zone % side + inside[0]) * (width / side)
    y = (city.zone // side + inside[1]) * (width / rows)
    return CityMap(side, width / side, width / rows, width, width, x, y)


def make_programs(city: Schools, lottery_grades: np.ndarray) -> Programs:
    """One program per school, grade and kind; ``lottery_grades`` marks those written out."""
    # School by school, grade by grade, the main program before its dual-language strand
    # and special-education program: a few thousand schools at most, so a plain loop
    # reads best.
    special = np.zeros(len(city.id), dtype=bool) if city.special is None else city.special
    school, grade, kind = [], [], []
    for s in range(len(city.id)):
        runs = (True, city.dual_language[s], special[s])
        kinds = [k for k, run in zip((MAIN, DUAL_LANGUAGE, SPECIAL), runs, strict=True) if run]
        for g in np.flatnonzero(city.grades[s]).tolist():
            for k in kinds:
                school.append(s)
                grade.append(g)
                kind.append(k)
    school_a, grade_a, kind_a = np.array(school), np.array(grade), np.array(kind)
    grade_codes = np.array(GRADES, dtype=object)
    suffix = np.array(["", "-DL", "-SE"], dtype=object)[kind_a]
    ids = city.id[school_a] + "-" + grade_codes[grade_a] + suffix
    regular_of = np.full(city.grades.shape, -1, dtype=np.int64)
    main = np.flatnonzero(kind_a == MAIN)
    regular_of[school_a[main], grade_a[main]] = main
    return Programs(
        ids,
        school_a,
        grade_a,
        kind_a == DUAL_LANGUAGE,
        regular_of,
        lottery_grades[grade_a],
        kind_a == SPECIAL,
    )
