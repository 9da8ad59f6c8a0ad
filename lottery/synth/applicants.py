"""Applicants and their households: step 2 of a city, and the seat policy's tags, homes,
families, guarantees and zone-guarantee refusals (step 5).

Everything is drawn for all applicants at once, column by column; only their ranked
lists (:mod:`lottery.synth.choices`) are drawn chunk by chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from lottery.io.inputs import GRADES
from lottery.synth.draws import Urn, nearby_zone
from lottery.synth.names import name_list, names_by_language
from lottery.synth.parameters import (
    ADMINISTRATIVE_GRADES,
    APARTMENT_SHARE,
    CHUNK,
    CONTINUING_FIRST,
    CONTINUING_LAST,
    DECLINES_ADMINISTRATIVE,
    ELL_SHARE,
    ENROLLED_NOW,
    FAMILY_SHARE,
    FRL_SHARE,
    FRL_ZONE_SPREAD,
    GRADE_SHARE,
    GUARANTEE_SHARE,
    HOME_NEAR_SCHOOL,
    HOME_SPREAD,
    IEP_SHARE,
    LANGUAGE_SHARE,
    LANGUAGES,
    LIST_FILL,
    NEAR_HOME,
    NEIGHBOURHOOD_FIRST,
    NO_CHOICES_SHARE,
    NO_ZONE_SHARE,
    SECOND_SIBLING_SHARE,
    SHORT_LIST_SHARE,
    SIBLING_FIRST,
    SIBLING_SAME_GRADE_SCHOOL,
    SIBLING_SHARE,
    STAFF_SHARE,
    TWIN_SHARE,
    UNLINKED_FAMILY_SHARE,
)
from lottery.synth.schools import Programs, Schools, SeatPolicy


@dataclass(frozen=True)
class Applicants:
    """The applicants of a city, one row per applicant, in ID order."""

    id: np.ndarray  # object
    grade: np.ndarray
    zone: np.ndarray  # -1: none
    language: np.ndarray  # index into LANGUAGES
    first_name: np.ndarray  # object
    last_name: np.ndarray
    guardian_name: np.ndarray
    address: np.ndarray
    current: np.ndarray  # school, -1: none
    sibling: np.ndarray  # (n, 2) schools, -1: none
    staff: np.ndarray  # school, -1: none
    length: np.ndarray  # list length
    first_program: np.ndarray  # program forced to rank 1, -1: none
    last_program: np.ndarray  # program forced to the end of the list, -1: none
    continuing_program: np.ndarray  # current school's program in the applicant's grade, -1
    # Seat policy (None without it):
    tags: np.ndarray | None = None  # int, bit i: has TAGS[i]
    head: np.ndarray | None = None  # first member of the applicant's family (itself if none)
    twin: np.ndarray | None = None  # bool: applies with the family's first for the same grade
    family: np.ndarray | None = None  # int family number, 0: none
    unlinked: np.ndarray | None = None  # bool: link_family false
    guaranteed: np.ndarray | None = None  # guaranteed program, -1: none
    declines: np.ndarray | None = None  # bool: accepts_administrative false
    latitude: np.ndarray | None = None
    longitude: np.ndarray | None = None
    families: int = 0
    linked_families: int = 0  # families with link_family true


def _pick(
    rng: np.random.Generator, language: np.ndarray, lists: dict[str, tuple[str, ...]]
) -> np.ndarray:
    """One name per applicant from the list for their home language."""
    pool = np.array([name for code in LANGUAGES for name in lists[code]], dtype=object)
    sizes = np.array([len(lists[code]) for code in LANGUAGES])
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return pool[offsets[language] + (rng.random(len(language)) * sizes[language]).astype(np.int64)]


def make_applicants(
    rng: np.random.Generator,
    n: int,
    city: Schools,
    programs: Programs,
    max_choices: int,
    policy: SeatPolicy | None = None,
) -> Applicants:
    """``n`` applicants with their homes, schools now, siblings and the shape of their lists;
    with ``policy`` also the seat policy's columns (from its own random stream)."""
    taught = np.flatnonzero(city.grades.any(axis=0))
    offered = np.unique(programs.grade[programs.in_lottery])
    share = np.array([GRADE_SHARE[GRADES[g]] for g in offered])
    grade = offered[rng.choice(len(offered), size=n, p=share / share.sum())]
    n_zones = len(city.zone_codes)
    people_per_zone = np.bincount(city.zone, minlength=n_zones).astype(float)
    zone = rng.choice(n_zones, size=n, p=people_per_zone / people_per_zone.sum())
    zone[rng.random(n) < NO_ZONE_SHARE] = -1
    language = rng.choice(len(LANGUAGES), size=n, p=LANGUAGE_SHARE)
    # Every later draw of ``rng`` takes the same amount of randomness whatever the values,
    # so families (drawn from the policy's own stream) leave the plain city's draws alone.
    family = None if policy is None else _families(policy.rng, n, grade, offered)
    if family is not None:
        head, follower, twin = family
        grade[twin] = grade[head[twin]]
        zone[follower] = zone[head[follower]]
        language[follower] = language[head[follower]]

    width = max(6, len(str(n)))
    ids = ("A" + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)).to_numpy(dtype=object)
    first_name = _pick(rng, language, names_by_language("first_names"))
    last_name = _pick(rng, language, names_by_language("last_names"))
    guardian_name = _pick(rng, language, names_by_language("guardian_names")) + " " + last_name
    number = rng.integers(1, 3000, n).astype(str).astype(object)
    streets, kinds = name_list("streets"), name_list("street_kinds")
    street = np.array(streets, dtype=object)[rng.integers(0, len(streets), n)]
    kind = np.array(kinds, dtype=object)[rng.integers(0, len(kinds), n)]
    address = number + " " + street + " " + kind
    apartment = rng.random(n) < APARTMENT_SHARE
    flat = rng.integers(1, 40, int(apartment.sum())).astype(str).astype(object)
    address[apartment] += " Apt " + flat

    program_zone = city.zone[programs.school]
    regular = np.where(programs.main, 1.0, 0.0)
    # Current school: one that teaches the grade below, usually near home, sized by seats.
    enrolled = np.array([ENROLLED_NOW.get(code, 0.9) for code in GRADES])[grade]
    has_current = (rng.random(n) < enrolled) & (grade > 0)
    urn = Urn(programs, program_zone, regular * city.size[programs.school], n_zones)
    near = nearby_zone(rng, zone, n_zones, rng.random(n) < NEAR_HOME)
    drawn = urn.draw(np.maximum(grade - 1, 0), near, rng.random(n))
    current = np.where(has_current & (drawn >= 0), programs.school[np.maximum(drawn, 0)], -1)

    # Siblings: mostly at a school that teaches the applicant's grade, near home and popular.
    urn = Urn(programs, program_zone, regular * city.popularity[programs.school], n_zones)
    sibling = np.full((n, 2), -1, dtype=np.int64)
    has_sibling = rng.random(n) < SIBLING_SHARE
    has_second = has_sibling & (rng.random(n) < SECOND_SIBLING_SHARE)
    for column, who in enumerate((has_sibling, has_second)):
        same_grade = rng.random(n) < (SIBLING_SAME_GRADE_SCHOOL if column == 0 else 0.0)
        sibling_grade = np.where(same_grade, grade, taught[rng.integers(0, len(taught), n)])
        near = nearby_zone(rng, zone, n_zones, rng.random(n) < NEAR_HOME)
        drawn = urn.draw(sibling_grade, near, rng.random(n))
        sibling[:, column] = np.where(who & (drawn >= 0), programs.school[np.maximum(drawn, 0)], -1)
    # Keep the first column filled whenever there is a sibling, and the two schools distinct.
    only_second = sibling[:, 0] < 0
    sibling[only_second, 0], sibling[only_second, 1] = sibling[only_second, 1], -1
    sibling[sibling[:, 0] == sibling[:, 1], 1] = -1
    staff = np.where(rng.random(n) < STAFF_SHARE, rng.integers(0, len(city.id), n), -1)
    if family is not None:
        # One household: one guardian, one home, the same older siblings and staff parent;
        # twins also come from the same school.
        for column in (last_name, guardian_name, address, sibling, staff):
            column[follower] = column[head[follower]]
        current[twin] = current[head[twin]]

    length = 1 + rng.binomial(max_choices - 1, LIST_FILL, n)
    short = rng.random(n) < SHORT_LIST_SHARE
    length[short] = np.minimum(1 + rng.integers(0, 2, int(short.sum())), max_choices)
    length[rng.random(n) < NO_CHOICES_SHARE] = 0

    continuing = programs.regular_of[np.maximum(current, 0), grade]
    continuing[current < 0] = -1
    sibling_program = programs.regular_of[np.maximum(sibling[:, 0], 0), grade]
    sibling_program[sibling[:, 0] < 0] = -1
    how = rng.random(n)
    stays_first = (continuing >= 0) & (how < CONTINUING_FIRST)
    stays_last = (continuing >= 0) & ~stays_first & (how < CONTINUING_FIRST + CONTINUING_LAST)
    sibling_first = (sibling_program >= 0) & (rng.random(n) < SIBLING_FIRST)
    first_program = np.where(stays_first, continuing, np.where(sibling_first, sibling_program, -1))
    last_program = np.where(stays_last, continuing, -1)
    if family is not None:
        for column in (length, first_program, last_program):  # twins fill in one list
            column[twin] = column[head[twin]]
    first_program[length == 0] = -1
    last_program[length == 0] = -1
    people = Applicants(
        ids,
        grade,
        zone,
        language,
        first_name,
        last_name,
        guardian_name,
        address,
        current,
        sibling,
        staff,
        length,
        first_program,
        last_program,
        continuing,
    )
    if policy is None or family is None:
        return people
    return _with_applicant_policy(policy, people, city, programs, family)


def _families(
    rng: np.random.Generator, n: int, grade: np.ndarray, offered: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Families applying together: (first member of each applicant's family, whether the
    applicant follows that first member, whether as a twin in the same grade).

    A family is a run of consecutive applicants, each joining the one before; a run never
    crosses a chunk boundary, so a family's lists are drawn in one step.
    """
    joins = rng.random(n) < FAMILY_SHARE
    joins[::CHUNK] = False
    index = np.arange(n)
    head = np.maximum.accumulate(np.where(joins, 0, index))
    twin = joins & (rng.random(n) < TWIN_SHARE)
    # With a single lottery grade every family is in one grade.
    twin |= joins & (len(offered) == 1)
    return head, joins, twin


def _with_applicant_policy(
    policy: SeatPolicy,
    people: Applicants,
    city: Schools,
    programs: Programs,
    family: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> Applicants:
    """Tags, homes on the map, family numbers, guarantees and zone-guarantee refusals."""
    rng, n = policy.rng, len(people.id)
    head, follower, twin = family
    zone, has_zone = np.maximum(people.zone, 0), people.zone >= 0
    n_zones = len(city.zone_codes)

    # Tags: lunch is a household's, and varies by neighbourhood; English learners mostly
    # speak another language at home.
    lean = rng.normal(size=n_zones)
    zone_frl = np.clip(FRL_SHARE + FRL_ZONE_SPREAD * (lean - lean.mean()), 0.1, 0.85)
    frl = rng.random(n) < np.where(has_zone, zone_frl[zone], FRL_SHARE)
    frl[follower] = frl[head[follower]]
    ell = rng.random(n) < np.where(people.language != 0, ELL_SHARE[True], ELL_SHARE[False])
    iep = rng.random(n) < IEP_SHARE
    tags = ell * 1 + frl * 2 + iep * 4  # bits in the order of TAGS

    # Homes: around a school of the home zone, or anywhere in the zone's square.
    area = policy.map
    schools_by_zone = np.argsort(city.zone, kind="stable")
    zone_start = np.searchsorted(city.zone[schools_by_zone], np.arange(n_zones))
    zone_count = np.bincount(city.zone, minlength=n_zones)
    school = schools_by_zone[zone_start[zone] + (rng.random(n) * zone_count[zone]).astype(int)]
    spread = rng.normal(0.0, HOME_SPREAD, (2, n))
    near_school = rng.random(n) < HOME_NEAR_SCHOOL
    anywhere = rng.random((2, n))
    x = np.where(
        near_school,
        area.school_x[school] + spread[0],
        (zone % area.side + anywhere[0]) * area.cell_x,
    )
    y = np.where(
        near_school,
        area.school_y[school] + spread[1],
        (zone // area.side + anywhere[1]) * area.cell_y,
    )
    x = np.clip(np.where(has_zone, x, anywhere[0] * area.width), 0.0, area.width)
    y = np.clip(np.where(has_zone, y, anywhere[1] * area.height), 0.0, area.height)
    for column in (x, y, school, near_school):
        column[follower] = column[head[follower]]
    latitude, longitude = area.degrees(x, y)
    # Some rank the school they live near first: walk-zone reserves have families to serve.
    neighbourhood = programs.regular_of[school, people.grade]
    first_program = people.first_program.copy()
    goes = (
        near_school
        & (neighbourhood >= 0)
        & (first_program < 0)
        & (people.length > 0)
        & (rng.random(n) < NEIGHBOURHOOD_FIRST)
    )
    first_program[goes] = neighbourhood[goes]
    first_program[twin] = first_program[head[twin]]

    # Families: numbered in order of their first member; a few ask not to be linked.
    starts = ~follower & np.r_[follower[1:], False]
    number = np.cumsum(starts)
    in_family = starts | follower
    family_number = np.where(in_family, number[head], 0)
    unlinked_family = rng.random(int(starts.sum()) + 1) < UNLINKED_FAMILY_SHARE
    unlinked = in_family & unlinked_family[family_number]

    guaranteed = np.where(
        (people.continuing_program >= 0) & (rng.random(n) < GUARANTEE_SHARE),
        people.continuing_program,
        -1,
    )
    guaranteed[twin] = guaranteed[head[twin]]
    administrative = np.isin(people.grade, [GRADES.index(g) for g in ADMINISTRATIVE_GRADES])
    declines = administrative & (rng.random(n) < DECLINES_ADMINISTRATIVE)
    return replace(
        people,
        first_program=first_program,
        tags=tags,
        head=head,
        twin=twin,
        family=family_number,
        unlinked=unlinked,
        guaranteed=guaranteed,
        declines=declines,
        latitude=latitude,
        longitude=longitude,
        families=int(starts.sum()),
        linked_families=int(starts.sum() - unlinked_family[1:].sum()),
    )
