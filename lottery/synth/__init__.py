"""Synthetic cities: realistic, deterministic input folders for training, tests and benchmarks.

:func:`generate_city` writes ``programs.csv``, ``applicants.csv``, ``choices.csv`` and
``reserves.csv`` in the documented input format (``docs/file-formats.md``,
``docs/seat-policy.md``); ``lottery synth`` is its command. The same arguments and seed
give byte-identical files. With ``seat_policy=False`` it writes the plain city of earlier
versions (the first three files, none of the seat-policy columns), byte for byte.

How a city is made
------------------
1. **Schools.** Each school has a type that fixes its grades (elementary PK-5 or K-5,
   K-8, middle 6-8, high 9-12, secondary 6-12) and so has one program per grade. About a
   third are ``charter``, the rest ``district``. Schools lie in about sqrt(schools) zones
   (``Z01``, ...), laid out on a square grid. District schools give zone priority to
   their own zone; charter schools are located in a zone (which shapes who applies) but
   serve the whole city, as in unified enrollment systems such as Denver's and
   Washington DC's, so their ``zones`` cell is blank. Popularity is log-normal and
   capped, so a few schools are in heavy demand and many in little; popular schools are
   a little larger. About one school in seven up to grade 8 runs a dual-language strand:
   a second program in each grade (``S004-K-DL`` beside ``S004-K``).
2. **Applicants.** Most apply for an entry grade (PK, K, 6, 9), a few for the grades in
   between. Each has a home zone (1% have none), a home language (mostly ``en``, some
   ``es``, ``pt``, ``vi``) with names to match, an address, and a list length from 1 to
   the maximum (2% rank nothing). Most applicants above PK are enrolled somewhere now
   (``current_school_id``, a nearby school teaching the grade below); when that school
   also teaches their new grade they are continuing students, and rank it first (staying)
   or last (a fallback) or leave it off. About 20% have a sibling at a nearby school
   (``sibling_school_ids``, a few name two), usually one that teaches the applicant's
   grade, which they then usually rank first. About 1% are children of school staff.
3. **Choices.** The rest of a list is successive draws from the programs of the
   applicant's own grade, each from the home zone or, more often, from a neighbouring
   zone, weighted by popularity (dual-language strands weigh more for applicants whose
   home language is not English); repeats are dropped. Keeping first occurrences of
   weighted draws with replacement is sampling without replacement, so each list is a
   Plackett-Luce ranking (Luce 1959; Plackett 1975). Nobody ranks another grade's program.
4. **Seats.** Each grade gets :data:`SEAT_RATIO` open seats per applicant, shared by
   school size tilted towards or away from first-choice demand so that
   :data:`FIRST_CHOICE_FIT` of first choices would fit (see :func:`_seats`). A program
   never has fewer seats than the continuing students who rank it (or are guaranteed
   it): those are theirs.
5. **Seat policy** (unless ``seat_policy=False``). The city is a square
   :data:`CITY_MILES` miles across (larger beyond :data:`CITY_SCHOOLS` schools) around
   :data:`CITY_CENTER`, the zones a grid of rectangles in it. Schools lie in their zone's
   rectangle, homes around a school of their zone or anywhere in it (``latitude``,
   ``longitude``), and some applicants rank the school they live near first. Applicants
   carry the tags ``frl`` (about 45%, more in some zones than in others), ``ell`` (about
   15%, mostly applicants whose home language is not English) and ``iep`` (about 12%).
   About 5% apply together with a twin or a sibling (``family_id``: the applicant just
   before them in ID order, as forms filled in together are numbered), in one household;
   a tenth of those families are not linked (``link_family`` false). Twins rank the same
   list; siblings in other grades rank the same schools where those teach their grade.
   Some continuing students are guaranteed their school's program in their grade
   (``guaranteed_program_id``), which then has a seat for each of them. District
   programs of grades K-5 promise a seat to their zone (``administrative_zones``), and
   together have seats for nine in ten applicants of their zone and grade; a few
   families decline such a seat (``accepts_administrative`` false). Some district schools run a
   special-education class in each grade (``S007-K-SE``, ``requires_tags`` ``iep``),
   ranked mostly by applicants with ``iep`` (a few without it rank it too: that choice
   is ineligible). A few programs hold seats back (``held_seats``). ``reserves.csv``
   reserves a share of seats for ``tag:frl`` at some schools, some seats for
   ``proximity:0.5`` (neighbours within half a mile) at some district schools, and a
   share of every dual-language strand for ``tag:ell``. These draws come from a second
   random stream, so the plain city's own draws are the same with or without them.

Calibration
-----------
The constants were tuned by running the real engine (``lottery run``, seed
``calibration``) on cities generated with seed 7 and one school per 250 applicants (at
least 12). Shares of all applicants, including the 2% who rank nothing:

==========  =======  =======  ============  ========
applicants  schools  choices  first choice  unplaced
==========  =======  =======  ============  ========
10,000      40       6        54.5%         14.1%
10,000      40       12       55.0%         9.8%
100,000     400      12       49.3%         10.9%
1,000,000   4,000    12       45.9%         11.6%
==========  =======  =======  ============  ========

Generator seed 8 gives the 10,000-applicant figures within a point. Large cities place
somewhat fewer at their first choice, as more programs compete in each neighbourhood.
The table is for plain cities (``seat_policy=False``). The seat policy adds about 8% of
seats (the zone guarantee's) and places more: at 10,000 applicants and 40 schools,
58.9% at their first choice and 10.8% unplaced with 6 choices, 59.3% and 7.8% with 12.
Measured on a 2-core machine, ``lottery synth`` with 12 choices takes about 2 s for
100,000 applicants and 16 s (peak memory 0.8 GiB) for 1,000,000; memory stays bounded
because applicants are drawn and written in chunks of :data:`CHUNK`. The seat policy
adds about 15% to the time (23 s to 27 s of processor time for 1,000,000 on a busy
machine) and 0.1 GiB to the peak memory.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from lottery.errors import UsageError
from lottery.io.atomic import Say, say_nothing, staged_folder
from lottery.io.csv_tables import file_sha256
from lottery.io.inputs import (
    APPLICANTS_FILE,
    CHOICES_FILE,
    GRADES,
    LOTTERY_FILE,
    PRIORITIES_FILE,
    PROGRAMS_FILE,
    RESERVES_FILE,
)

Progress = Callable[[int, int], None]

CHUNK = 50_000
"""Applicants whose lists are drawn and written in one step (bounds memory; paces progress)."""

CITY_FILES = (PROGRAMS_FILE, APPLICANTS_FILE, CHOICES_FILE, RESERVES_FILE)
"""Files a city may have; ``force`` replaces them (and removes those the new city lacks)."""
SYNTH_RECORD = ".synthetic-city.json"
"""The SHA-256 of each city file synth wrote: ``force`` replaces only those, unchanged."""
STALE_FILES = (PRIORITIES_FILE, LOTTERY_FILE)
"""Files that name applicants of the city being replaced, so ``force`` removes them."""

# ----------------------------------------------------------------------------- model constants

SCHOOL_TYPES = (
    # (name suffix, first grade, last grade, share of schools)
    ("Elementary", "PK", "5", 0.25),
    ("Elementary", "K", "5", 0.25),
    ("K-8 School", "K", "8", 0.10),
    ("Middle School", "6", "8", 0.17),
    ("High School", "9", "12", 0.15),
    ("Secondary School", "6", "12", 0.08),
)
CHARTER_SHARE = 1 / 3
POPULARITY_SPREAD, POPULARITY_CAP = 1.5, 1.5
"""Popularity is exp(SPREAD * z) for a standard normal z capped at CAP."""
DUAL_LANGUAGE_SHARE = 0.15
"""Share of schools ending by grade 8 that run a dual-language strand."""
DUAL_LANGUAGE_SEATS = 0.5
"""A dual-language strand's size relative to the school's main program."""
DUAL_LANGUAGE_APPEAL = {False: 0.5, True: 3.0}
"""Popularity factor of a dual-language strand for English (False) and other home languages."""

GRADE_SHARE = {
    # Most applicants enter at PK, K, 6 or 9; a few move between schools in other grades.
    "PK": 0.16,
    "K": 0.20,
    "1": 0.025,
    "2": 0.025,
    "3": 0.025,
    "4": 0.025,
    "5": 0.025,
    "6": 0.17,
    "7": 0.025,
    "8": 0.025,
    "9": 0.20,
    "10": 0.02,
    "11": 0.02,
    "12": 0.02,
}
NO_ZONE_SHARE = 0.01
LANGUAGES = ("en", "es", "pt", "vi")
LANGUAGE_SHARE = (0.78, 0.14, 0.04, 0.04)
ENROLLED_NOW = {"PK": 0.0, "K": 0.45}
"""Share of applicants with a current school, by grade (0.9 for grades not listed)."""
NEAR_HOME = 0.85
"""Chance that a current or sibling's school is in the home zone rather than next to it."""
CONTINUING_FIRST, CONTINUING_LAST = 0.1, 0.5
"""Continuing students rank their school first, last (as a fallback) or, otherwise, not at all."""
SIBLING_SHARE = 0.20
SIBLING_SAME_GRADE_SCHOOL = 0.75
SECOND_SIBLING_SHARE = 0.10
SIBLING_FIRST = 0.6
STAFF_SHARE = 0.01
APARTMENT_SHARE = 0.2

NO_CHOICES_SHARE = 0.02
SHORT_LIST_SHARE = 0.15
LIST_FILL = 0.7
"""List length is 1 + Binomial(max_choices - 1, LIST_FILL), or 1-2 for short lists."""
ZONE_PULL = 0.3
"""Chance that a draw for a list comes from the home zone rather than a neighbouring one."""

SEAT_RATIO = 1.1
"""Open seats per applicant in each grade (before continuing students' own seats)."""
FIRST_CHOICE_FIT = 0.65
"""Share of first choices that the seats could hold if nobody else competed for them."""

# ----------------------------------------------------------------------------- seat policy

CITY_CENTER = (39.95, -83.0)
"""Latitude and longitude of the middle of the city (decimal degrees)."""
CITY_MILES = 10.0
"""Width of the city in miles; cities of more than :data:`CITY_SCHOOLS` schools are wider."""
CITY_SCHOOLS = 400
"""Schools a city of :data:`CITY_MILES` holds; beyond that its area grows with the schools."""
MILES_PER_DEGREE = 69.0
"""Miles per degree of latitude (and of longitude at the equator)."""
SCHOOL_MARGIN = 0.1
"""Schools keep this share of their zone's width from its edges."""
HOME_NEAR_SCHOOL, HOME_SPREAD = 0.5, 0.5
"""Share of homes scattered around a school of their zone (normal, this many miles
either way); the rest lie anywhere in the zone."""
NEIGHBOURHOOD_FIRST = 0.25
"""Chance that an applicant living around a school that teaches their grade ranks it
first (unless staying or a sibling decides their first choice)."""

TAGS = ("ell", "frl", "iep")
"""Applicant tags in alphabetical order (the order written in a ``tags`` cell)."""
FRL_SHARE, FRL_ZONE_SPREAD = 0.45, 0.15
"""Free or reduced-price lunch: each zone's share is normal around FRL_SHARE, clipped."""
ELL_SHARE = {False: 0.02, True: 0.6}
"""English learners, among applicants whose home language is English (False) or not."""
IEP_SHARE = 0.12

FAMILY_SHARE = 0.025
"""Chance that an applicant applies together with the one just before them (so about
twice this share of applicants are in families; a few families have three)."""
TWIN_SHARE = 0.35
"""Share of family members who apply for the same grade as the first of the family."""
UNLINKED_FAMILY_SHARE = 0.1
"""Share of families that do not ask to be linked (``link_family`` false)."""
GUARANTEE_SHARE = 0.3
"""Share of continuing students guaranteed their school's program in their grade."""
ADMINISTRATIVE_GRADES = ("K", "1", "2", "3", "4", "5")
"""Grades whose district programs promise a seat to their zone (the zone guarantee)."""
ZONE_GUARANTEE_COVER = 0.9
"""The programs promising seats to a zone have, together, seats for this share of the
applicants of the zone and grade (others go to charter schools or other zones)."""
DECLINES_ADMINISTRATIVE = 0.05
"""Share of applicants in those grades who would rather have no seat than a zone seat."""
SPECIAL_EDUCATION_SHARE = 0.12
"""Share of district schools running a special-education program (tag ``iep``)."""
SPECIAL_EDUCATION_CLASS = 12
"""Seats of a special-education program: one small class."""
SPECIAL_EDUCATION_APPEAL = {False: 0.01, True: 0.5}
"""Popularity factor of a special-education program for applicants without ``iep``
(False: they rank it rarely, and that choice is ineligible) and with it."""
SPECIAL_EDUCATION_TAG = "iep"
HELD_SHARE, HELD_MIN_SEATS = 0.05, 10
"""Share of main programs with at least HELD_MIN_SEATS seats that hold 1 to 3 seats back."""
FRL_RESERVE_SCHOOLS, FRL_RESERVE = 0.2, "0.3"
"""Share of schools reserving a share (FRL_RESERVE) of every main program for tag:frl."""
PROXIMITY_RESERVE_SCHOOLS, PROXIMITY_RESERVE = 0.15, 0.2
"""Share of district schools reserving seats (this share of capacity, rounded down) for
families within PROXIMITY_MILES."""
PROXIMITY_MILES = "0.5"
ELL_RESERVE = "0.4"
"""Share of every dual-language strand reserved for tag:ell."""
RESERVE_MIN_CAPACITY = 5
"""Programs offering fewer seats than this reserve none."""

# ----------------------------------------------------------------------------- names

FIRST_NAMES = {
    "en": (
        "Olivia",
        "Liam",
        "Emma",
        "Noah",
        "Ava",
        "Elijah",
        "Sophia",
        "James",
        "Amelia",
        "Lucas",
        "Mia",
        "Mason",
        "Harper",
        "Ethan",
        "Zoe",
        "Aiden",
        "Layla",
        "Caleb",
        "Nora",
        "Isaac",
        "Aaliyah",
        "Jayden",
        "Maya",
        "Omar",
        "Grace",
        "Kai",
        "Chloe",
        "Malik",
        "Priya",
        "Leo",
        "Hannah",
        "Wei",
        "Ruby",
        "Samuel",
        "Fatima",
        "Henry",
        "Imani",
        "Owen",
    ),
    "es": (
        "Sofía",
        "Mateo",
        "Valentina",
        "Santiago",
        "Camila",
        "Diego",
        "Isabella",
        "Sebastián",
        "Lucía",
        "Alejandro",
        "Martina",
        "Daniel",
        "Ximena",
        "Gabriel",
        "Daniela",
        "Emiliano",
        "Mariana",
        "Carlos",
        "Renata",
        "Javier",
    ),
    "pt": (
        "João",
        "Ana",
        "Pedro",
        "Beatriz",
        "Lucas",
        "Mariana",
        "Gabriel",
        "Larissa",
        "Rafael",
        "Júlia",
        "Thiago",
        "Letícia",
        "Felipe",
        "Camila",
        "Bruno",
    ),
    "vi": (
        "Anh",
        "Minh",
        "Linh",
        "Huy",
        "Thao",
        "Khanh",
        "Ngoc",
        "Duc",
        "Mai",
        "Bao",
        "Trang",
        "Quang",
        "Phuong",
        "Tuan",
        "Vy",
    ),
}
LAST_NAMES = {
    "en": (
        "Smith",
        "Johnson",
        "Williams",
        "Brown",
        "Jones",
        "Miller",
        "Davis",
        "Wilson",
        "Anderson",
        "Taylor",
        "Thomas",
        "Moore",
        "Jackson",
        "White",
        "Harris",
        "Martin",
        "Thompson",
        "Clark",
        "Lewis",
        "Walker",
        "Young",
        "Allen",
        "King",
        "Wright",
        "Scott",
        "Green",
        "Baker",
        "Adams",
        "Nelson",
        "Hill",
        "Chen",
        "Kim",
        "Patel",
        "Khan",
        "Cohen",
        "Murphy",
        "O'Brien",
    ),
    "es": (
        "García",
        "Rodríguez",
        "Martínez",
        "Hernández",
        "López",
        "González",
        "Pérez",
        "Sánchez",
        "Ramírez",
        "Torres",
        "Flores",
        "Rivera",
        "Gómez",
        "Díaz",
        "Reyes",
        "Morales",
        "Cruz",
        "Ortiz",
        "Gutiérrez",
        "Castillo",
    ),
    "pt": (
        "Silva",
        "Santos",
        "Oliveira",
        "Souza",
        "Pereira",
        "Costa",
        "Rodrigues",
        "Almeida",
        "Nascimento",
        "Lima",
        "Araújo",
        "Fernandes",
        "Carvalho",
        "Gomes",
        "Ribeiro",
    ),
    "vi": (
        "Nguyen",
        "Tran",
        "Le",
        "Pham",
        "Hoang",
        "Huynh",
        "Phan",
        "Vu",
        "Vo",
        "Dang",
        "Bui",
        "Do",
        "Ho",
        "Ngo",
        "Duong",
    ),
}
GUARDIAN_NAMES = {
    "en": (
        "Jennifer",
        "Michael",
        "Jessica",
        "David",
        "Ashley",
        "Christopher",
        "Sarah",
        "Robert",
        "Nicole",
        "Kevin",
        "Angela",
        "Marcus",
        "Lisa",
        "Brian",
        "Tanya",
        "Ahmed",
        "Mei",
        "Rachel",
    ),
    "es": (
        "María",
        "José",
        "Guadalupe",
        "Juan",
        "Rosa",
        "Luis",
        "Carmen",
        "Miguel",
        "Elena",
        "Jorge",
        "Patricia",
        "Raúl",
    ),
    "pt": (
        "Maria",
        "José",
        "Fernanda",
        "Paulo",
        "Cláudia",
        "Marcos",
        "Adriana",
        "Ricardo",
        "Sandra",
        "Rodrigo",
    ),
    "vi": ("Lan", "Hung", "Hoa", "Dung", "Thu", "Long", "Huong", "Son", "Nga", "Cuong"),
}
STREETS = (
    "Maple",
    "Oak",
    "Elm",
    "Cedar",
    "Pine",
    "Washington",
    "Lincoln",
    "Jefferson",
    "Franklin",
    "Main",
    "Park",
    "Lake",
    "Hill",
    "River",
    "Spring",
    "Church",
    "Mill",
    "Union",
    "Highland",
    "Center",
    "Walnut",
    "Chestnut",
    "Grove",
    "Prospect",
    "Summer",
    "Pleasant",
    "Forest",
    "Harbor",
    "Bay",
    "Willow",
)
STREET_KINDS = ("St", "Ave", "Rd", "Blvd", "Ln", "Ter", "Way", "Ct", "Pl")
SCHOOL_NAMES = (
    "Adams",
    "Banneker",
    "Carver",
    "Douglass",
    "Emerson",
    "Franklin",
    "Garfield",
    "Hawthorne",
    "Irving",
    "Jefferson",
    "King",
    "Lincoln",
    "Madison",
    "Nightingale",
    "Parks",
    "Quincy",
    "Roosevelt",
    "Tubman",
    "Whitman",
    "Chavez",
    "Curie",
    "Earhart",
    "Mendez",
    "Clemente",
    "Riverside",
    "Lakeview",
    "Hillcrest",
    "Oakwood",
    "Maplewood",
    "Brookside",
    "Cedar Grove",
    "Fairview",
    "Highland",
    "Westfield",
    "Eastside",
    "Northgate",
    "Southpoint",
    "Harborview",
    "Meadowbrook",
    "Pinecrest",
    "Sunnyside",
    "Greenfield",
    "Parkside",
    "Bayview",
    "Summit",
    "Horizon",
    "Discovery",
    "Pathways",
    "Willow Creek",
    "Stonebridge",
)
SCHOOL_NAME_PREFIXES = ("North", "South", "East", "West", "New", "Central", "Upper", "Lower")


@dataclass(frozen=True)
class SynthSummary:
    """Headline counts of a generated city, for the command line and tests."""

    out_dir: Path
    schools: int
    charters: int
    zones: int
    programs: int
    seats: int
    applicants: int
    choices: int
    with_siblings: int
    continuing: int
    without_choices: int
    families: int = 0
    guaranteed: int = 0
    reserves: int = 0


@dataclass(frozen=True)
class _Schools:
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
class _Programs:
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
class _Map:
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
class _SeatPolicy:
    """The second random stream and the map: present only when seat policy is generated."""

    rng: np.random.Generator
    map: _Map


def generate_city(
    out_dir: Path,
    applicants: int,
    schools: int,
    max_choices: int = 6,
    seed: int = 0,
    progress: Progress | None = None,
    force: bool = False,
    say: Say = say_nothing,
    grades: Sequence[str] | None = None,
    *,
    seat_policy: bool = True,
) -> SynthSummary:
    """Write a synthetic city's ``programs.csv``, ``applicants.csv``, ``choices.csv`` and
    ``reserves.csv``.

    Parameters
    ----------
    out_dir
        Folder to write into; created if needed. A folder that already has files in it
        is refused unless ``force``: then the city's files are replaced (a
        ``reserves.csv`` the new city does not have is removed), ``priorities.csv`` and
        ``lottery.csv`` (which would name the old applicants) are removed, and other
        files, such as ``policy.toml`` or a README, are kept.
    applicants, schools
        Size of the city (1 or more of each).
    max_choices
        Longest ranked list (1 or more).
    seed
        Seed of the random generator (0 or more): same arguments, byte-identical files.
    progress
        Called as ``progress(done, total)`` with counts of applicants written so far.
    grades
        Hold the lottery for these grades only (for example ``["PK", "K"]``): only they
        get programs and applicants. Schools still teach their other grades, where
        applicants may be enrolled now or have siblings. Default: every grade.
    seat_policy
        Also generate what docs/seat-policy.md describes: tags, coordinates, families,
        guarantees, the zone guarantee, special-education programs, held seats and
        ``reserves.csv`` (step 5 of the module's description). False writes the plain
        city: the same three files as before these existed, byte for byte.

    Returns
    -------
    SynthSummary
        Counts of what was written.

    Raises
    ------
    UsageError
        If ``out_dir`` is a file or a folder with files in it (without ``force``), a
        number is out of range, or no school teaches any of ``grades``. Nothing is
        written then.
    """
    if applicants < 1 or schools < 1 or max_choices < 1 or seed < 0:
        raise UsageError(
            "A synthetic city needs 1 or more applicants, schools and choices, "
            "and a seed of 0 or more."
        )
    lottery_grades = _grade_mask(grades)
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, force)
    rng = np.random.default_rng(seed)
    city = _make_schools(rng, schools)
    policy = None
    if seat_policy:
        # A second stream: the plain city's draws stay exactly as they are without it.
        policy_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        city = _with_special_education(policy_rng, city)
        policy = _SeatPolicy(policy_rng, _make_map(policy_rng, city))
    programs = _make_programs(city, lottery_grades)
    if not programs.in_lottery.any():
        raise UsageError(
            f"None of the {schools} schools teaches grade {', '.join(grades or ())}; "
            "add schools or choose other grades."
        )
    people = _make_applicants(rng, applicants, city, programs, max_choices, policy)

    # Write beside the destination and move in only when complete: an interrupted run
    # never leaves half a city behind.
    staged = staged_folder(out_dir.resolve(), say=say, merge=_replace_city_files)
    with staged as staging:
        choices, seats, reserves = _write_city(
            staging, rng, city, programs, people, max_choices, progress, policy
        )
        _write_record(staging)
    return SynthSummary(
        out_dir=out_dir,
        schools=schools,
        charters=int(city.charter.sum()),
        zones=len(city.zone_codes),
        programs=int(programs.in_lottery.sum()),
        seats=int(seats[programs.in_lottery].sum()),
        applicants=applicants,
        choices=choices,
        with_siblings=int((people.sibling[:, 0] >= 0).sum()),
        continuing=int((people.continuing_program >= 0).sum()),
        without_choices=int((people.length == 0).sum()),
        families=people.families,
        guaranteed=0 if people.guaranteed is None else int((people.guaranteed >= 0).sum()),
        reserves=reserves,
    )


def _write_city(
    folder: Path,
    rng: np.random.Generator,
    city: _Schools,
    programs: _Programs,
    people: _Applicants,
    max_choices: int,
    progress: Progress | None,
    policy: _SeatPolicy | None = None,
) -> tuple[int, np.ndarray, int]:
    """Draw lists chunk by chunk, writing applicants and choices as they come; then seats.

    Returns the number of choices written, the seats of each program and the number of
    reserves written.
    """
    n = len(people.id)
    urns, zones = _choice_urns(city, programs), len(city.zone_codes)
    stays = np.zeros(len(programs.id), dtype=np.int64)
    first_demand = np.zeros(len(programs.id), dtype=np.int64)
    choices = 0
    options = {"index": False, "lineterminator": "\n"}
    with (
        open(folder / APPLICANTS_FILE, "w", encoding="utf-8", newline="") as applicants_csv,
        open(folder / CHOICES_FILE, "w", encoding="utf-8", newline="") as choices_csv,
    ):
        for start in range(0, n, CHUNK):
            rows = np.arange(start, min(start + CHUNK, n))
            who, rank, program = _rank_lists(rng, people, rows, urns, zones, max_choices, programs)
            header = start == 0
            _applicant_rows(people, rows, city, programs).to_csv(
                applicants_csv, header=header, **options
            )
            pd.DataFrame(
                {"applicant_id": people.id[who], "rank": rank, "program_id": programs.id[program]}
            ).to_csv(choices_csv, header=header, **options)
            staying = people.continuing_program[who] == program
            stays += np.bincount(program[staying], minlength=len(stays))
            if people.guaranteed is not None:
                # A guarantee is a continuing seat too, whether or not it was ranked.
                guaranteed = people.guaranteed[rows]
                ranks_it = np.zeros(len(rows), dtype=bool)
                ranks_it[who[staying] - start] = True
                extra = (guaranteed >= 0) & ~ranks_it
                stays += np.bincount(guaranteed[extra], minlength=len(stays))
            first_demand += np.bincount(program[rank == 1], minlength=len(stays))
            choices += len(who)
            if progress is not None:
                progress(start + len(rows), n)
    seats = _seats(rng, city, programs, people, first_demand, stays)
    reserves = 0
    if policy is None:
        table = _program_rows(city, programs, seats)
    else:
        seats = _zone_guarantee_seats(city, programs, seats, people)
        held = _held_seats(policy.rng, programs, seats, people)
        table = _program_rows(city, programs, seats)
        table = _with_program_policy(table, city, programs, held, policy.map)
        reserve_rows = _reserves(policy.rng, city, programs, seats - held)
        reserve_rows.to_csv(folder / RESERVES_FILE, **options)
        reserves = len(reserve_rows)
    table.loc[programs.in_lottery].to_csv(folder / PROGRAMS_FILE, **options)
    return choices, seats, reserves


def _grade_mask(grades: Sequence[str] | None) -> np.ndarray:
    """Which of GRADES hold a lottery; raise UsageError for a code that is not a grade."""
    if grades is None:
        return np.ones(len(GRADES), dtype=bool)
    codes = [code.strip().upper() for code in grades]
    unknown = [code for code in codes if code not in GRADES]
    if unknown or not codes:
        raise UsageError(
            f'"{unknown[0] if unknown else ""}" is not a grade: use PK, K or 1 to 12, '
            "separated by commas."
        )
    return np.isin(np.array(GRADES), codes)


def _check_out_dir(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir} is a file, not a folder.")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not force:
            raise UsageError(
                f"The folder {out_dir} already has files in it. Choose a new folder, or add "
                "--force to replace its programs.csv, applicants.csv and choices.csv."
            )
        _check_synthetic(out_dir)


def _write_record(folder: Path) -> None:
    """Record the SHA-256 of every city file written, so that ``force`` can tell later
    that the folder still holds a synthetic city and nobody's real applicants."""
    files = {name: file_sha256(folder / name) for name in CITY_FILES if (folder / name).exists()}
    record = {"written_by": "lottery synth", "files": files}
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    (folder / SYNTH_RECORD).write_text(text, encoding="utf-8")


def _check_synthetic(out_dir: Path) -> None:
    """Refuse ``force`` unless the city files in ``out_dir`` are still exactly synth's."""
    try:
        record = json.loads((out_dir / SYNTH_RECORD).read_text(encoding="utf-8"))
        files = record["files"]
    except (OSError, ValueError, KeyError, TypeError):
        files = None
    present = [name for name in CITY_FILES if (out_dir / name).exists()]
    if not isinstance(files, dict):
        changed = present
    else:
        changed = [
            name
            for name in present
            if name not in files or file_sha256(out_dir / name) != files[name]
        ]
    if changed:
        raise UsageError(
            f"--force replaces only a city that lottery synth wrote, and in {out_dir} "
            f"{', '.join(changed)} {'was' if len(changed) == 1 else 'were'} not written by "
            "it (or changed since): they could be real applicants' files. Nothing was "
            "replaced: choose a new folder."
        )


def _replace_city_files(staging: Path, out_dir: Path) -> None:
    """Make the finished files the city of an existing folder (--force), file by file."""
    for name in STALE_FILES:
        (out_dir / name).unlink(missing_ok=True)
    for name in (*CITY_FILES, SYNTH_RECORD):
        if (staging / name).exists():
            os.replace(staging / name, out_dir / name)
        else:  # a plain city has no reserves.csv: an old one would name the old programs
            (out_dir / name).unlink(missing_ok=True)


# ----------------------------------------------------------------------------- schools


def _apportion(total: int, shares: list[float]) -> np.ndarray:
    """Whole counts summing to ``total`` in proportion to ``shares`` (largest remainder)."""
    exact = np.asarray(shares) / sum(shares) * total
    counts = np.floor(exact).astype(np.int64)
    remainder_order = np.argsort(-(exact - counts), kind="stable")
    counts[remainder_order[: total - counts.sum()]] += 1
    return counts


def _make_schools(rng: np.random.Generator, n: int) -> _Schools:
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
    return _Schools(ids, names, charter, zone, popularity, size, grades, dual, zone_codes)


def _school_names(rng: np.random.Generator, kinds: np.ndarray, charter: np.ndarray) -> list[str]:
    bases = [SCHOOL_NAMES[i] for i in rng.permutation(len(SCHOOL_NAMES))]
    names = []
    for i, (kind, is_charter) in enumerate(zip(kinds.tolist(), charter.tolist(), strict=True)):
        base, round_ = bases[i % len(bases)], i // len(bases)
        if 1 <= round_ <= len(SCHOOL_NAME_PREFIXES):
            base = f"{SCHOOL_NAME_PREFIXES[round_ - 1]} {base}"
        elif round_ > len(SCHOOL_NAME_PREFIXES):
            base = f"{base} {round_ + 1}"
        suffix = SCHOOL_TYPES[kind][0]
        names.append(f"{base} Charter {suffix}" if is_charter else f"{base} {suffix}")
    return names


def _with_special_education(rng: np.random.Generator, city: _Schools) -> _Schools:
    """Mark the district schools that run a special-education program."""
    district = np.flatnonzero(~city.charter)
    # At least one in any city with a few district schools.
    count = max(int(len(district) >= 4), round(len(district) * SPECIAL_EDUCATION_SHARE))
    special = np.zeros(len(city.id), dtype=bool)
    special[rng.permutation(district)[:count]] = True
    return replace(city, special=special)


def _make_map(rng: np.random.Generator, city: _Schools) -> _Map:
    """Lay the zones out as the grid of :func:`_nearby_zone` (first row south) on a square
    city, and put each school somewhere in its zone's rectangle."""
    n_zones = len(city.zone_codes)
    side = math.ceil(math.sqrt(n_zones))
    rows = math.ceil(n_zones / side)
    width = CITY_MILES * math.sqrt(max(1.0, len(city.id) / CITY_SCHOOLS))
    inside = SCHOOL_MARGIN + (1 - 2 * SCHOOL_MARGIN) * rng.random((2, len(city.id)))
    x = (city.zone % side + inside[0]) * (width / side)
    y = (city.zone // side + inside[1]) * (width / rows)
    return _Map(side, width / side, width / rows, width, width, x, y)


def _make_programs(city: _Schools, lottery_grades: np.ndarray) -> _Programs:
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
    return _Programs(
        ids,
        school_a,
        grade_a,
        kind_a == DUAL_LANGUAGE,
        regular_of,
        lottery_grades[grade_a],
        kind_a == SPECIAL,
    )


class _Urn:
    """Weighted draws of programs within one grade, either citywide or within one zone.

    Programs are sorted by (grade, zone) so that each grade, and each zone within it, is
    a contiguous run of a cumulative-weight array; a draw is one binary search.
    """

    def __init__(self, programs: _Programs, zone: np.ndarray, weight: np.ndarray, n_zones: int):
        keep = np.flatnonzero(weight > 0)
        order = keep[np.lexsort((zone[keep], programs.grade[keep]))]
        self.items = order
        self.cum = np.concatenate(([0.0], np.cumsum(weight[order])))
        self.n_zones = n_zones
        grade = programs.grade[order]
        key = grade * n_zones + zone[order]
        keys = np.arange(len(GRADES) * n_zones)
        self.zone_lo = np.searchsorted(key, keys, "left")
        self.zone_hi = np.searchsorted(key, keys, "right")
        grades = np.arange(len(GRADES))
        self.grade_lo = np.searchsorted(grade, grades, "left")
        self.grade_hi = np.searchsorted(grade, grades, "right")

    def draw(self, grade, zone, u) -> np.ndarray:
        """One program per cell (arrays broadcast), -1 where the grade has none.

        Draws from ``zone`` when it has programs of that grade, otherwise (or when
        ``zone`` is -1) citywide; ``u`` holds uniform numbers in [0, 1).
        """
        key = grade * self.n_zones + np.maximum(zone, 0)
        zone_lo, zone_hi = self.zone_lo[key], self.zone_hi[key]
        use_zone = (zone >= 0) & (zone_hi > zone_lo)
        lo = np.where(use_zone, zone_lo, self.grade_lo[grade])
        hi = np.where(use_zone, zone_hi, self.grade_hi[grade])
        base = self.cum[lo]
        position = np.searchsorted(self.cum, base + u * (self.cum[hi] - base), side="right") - 1
        position = np.clip(position, lo, np.maximum(hi - 1, lo))
        found = hi > lo
        return np.where(found, self.items[np.minimum(position, len(self.items) - 1)], -1)


def _nearby_zone(rng: np.random.Generator, home: np.ndarray, n_zones: int, stay: np.ndarray):
    """``home`` where ``stay`` holds, else a random zone next to it (or itself).

    Zones lie on a square grid in the order of their codes; a neighbour is one step
    away in any of the eight directions, or the home zone itself. People without a
    home zone (-1) stay at -1, which draws citywide.
    """
    side = math.ceil(math.sqrt(n_zones))
    rows = math.ceil(n_zones / side)
    row = np.clip(home // side + rng.integers(-1, 2, home.shape), 0, rows - 1)
    column = np.clip(home % side + rng.integers(-1, 2, home.shape), 0, side - 1)
    neighbour = row * side + column
    neighbour = np.where(neighbour < n_zones, neighbour, home)  # the grid's last row may be short
    return np.where(stay | (home < 0), home, neighbour)


# ----------------------------------------------------------------------------- applicants


@dataclass(frozen=True)
class _Applicants:
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


def _pick(
    rng: np.random.Generator, language: np.ndarray, lists: dict[str, tuple[str, ...]]
) -> np.ndarray:
    """One name per applicant from the list for their home language."""
    pool = np.array([name for code in LANGUAGES for name in lists[code]], dtype=object)
    sizes = np.array([len(lists[code]) for code in LANGUAGES])
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return pool[offsets[language] + (rng.random(len(language)) * sizes[language]).astype(np.int64)]


def _make_applicants(
    rng: np.random.Generator,
    n: int,
    city: _Schools,
    programs: _Programs,
    max_choices: int,
    policy: _SeatPolicy | None = None,
) -> _Applicants:
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
    first_name = _pick(rng, language, FIRST_NAMES)
    last_name = _pick(rng, language, LAST_NAMES)
    guardian_name = _pick(rng, language, GUARDIAN_NAMES) + " " + last_name
    number = rng.integers(1, 3000, n).astype(str).astype(object)
    street = np.array(STREETS, dtype=object)[rng.integers(0, len(STREETS), n)]
    kind = np.array(STREET_KINDS, dtype=object)[rng.integers(0, len(STREET_KINDS), n)]
    address = number + " " + street + " " + kind
    apartment = rng.random(n) < APARTMENT_SHARE
    flat = rng.integers(1, 40, int(apartment.sum())).astype(str).astype(object)
    address[apartment] += " Apt " + flat

    program_zone = city.zone[programs.school]
    regular = np.where(programs.main, 1.0, 0.0)
    # Current school: one that teaches the grade below, usually near home, sized by seats.
    enrolled = np.array([ENROLLED_NOW.get(code, 0.9) for code in GRADES])[grade]
    has_current = (rng.random(n) < enrolled) & (grade > 0)
    urn = _Urn(programs, program_zone, regular * city.size[programs.school], n_zones)
    near = _nearby_zone(rng, zone, n_zones, rng.random(n) < NEAR_HOME)
    drawn = urn.draw(np.maximum(grade - 1, 0), near, rng.random(n))
    current = np.where(has_current & (drawn >= 0), programs.school[np.maximum(drawn, 0)], -1)

    # Siblings: mostly at a school that teaches the applicant's grade, near home and popular.
    urn = _Urn(programs, program_zone, regular * city.popularity[programs.school], n_zones)
    sibling = np.full((n, 2), -1, dtype=np.int64)
    has_sibling = rng.random(n) < SIBLING_SHARE
    has_second = has_sibling & (rng.random(n) < SECOND_SIBLING_SHARE)
    for column, who in enumerate((has_sibling, has_second)):
        same_grade = rng.random(n) < (SIBLING_SAME_GRADE_SCHOOL if column == 0 else 0.0)
        sibling_grade = np.where(same_grade, grade, taught[rng.integers(0, len(taught), n)])
        near = _nearby_zone(rng, zone, n_zones, rng.random(n) < NEAR_HOME)
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
    people = _Applicants(
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
    policy: _SeatPolicy,
    people: _Applicants,
    city: _Schools,
    programs: _Programs,
    family: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> _Applicants:
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
    )


def _first_occurrences(matrix: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each non-negative value in each row."""
    order = np.argsort(matrix, axis=1, kind="stable")
    ordered = np.take_along_axis(matrix, order, axis=1)
    first_sorted = np.ones(ordered.shape, dtype=bool)
    first_sorted[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.empty_like(first_sorted)
    np.put_along_axis(first, order, first_sorted, axis=1)
    return first & (matrix >= 0)


def _choice_urns(city: _Schools, programs: _Programs) -> dict[tuple[bool, bool], _Urn]:
    """Popularity-weighted urns by (home language other than English, has tag ``iep``).

    Without special-education programs the tag changes nothing, and there are only the
    two urns ``(False, False)`` and ``(True, False)``.
    """
    program_zone = city.zone[programs.school]
    popularity = city.popularity[programs.school] * programs.in_lottery
    needs = (False, True) if programs.special.any() else (False,)
    return {
        (speaks_other, iep): _Urn(
            programs,
            program_zone,
            popularity
            * np.where(programs.dual_language, DUAL_LANGUAGE_APPEAL[speaks_other], 1.0)
            * np.where(programs.special, SPECIAL_EDUCATION_APPEAL[iep], 1.0),
            len(city.zone_codes),
        )
        for speaks_other in (False, True)
        for iep in needs
    }


def _rank_lists(
    rng: np.random.Generator,
    people: _Applicants,
    rows: np.ndarray,
    urns: dict[tuple[bool, bool], _Urn],
    n_zones: int,
    max_choices: int,
    programs: _Programs,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranked lists of applicants ``rows`` as (applicant, rank, program), sorted by both.

    Forced first choices (staying, a sibling's school) come first, then the distinct
    programs of the weighted draws up to the list length, then a continuing student's
    fallback if it is not already on the list. ``rows`` is one chunk (consecutive).
    """
    draws = 3 * max_choices + 12  # enough distinct programs for nearly every list
    shape = (len(rows), draws)
    grade = people.grade[rows, None]
    home = np.broadcast_to(people.zone[rows, None], shape)
    zone = _nearby_zone(rng, home, n_zones, rng.random(shape) < ZONE_PULL)
    u = rng.random(shape)
    drawn = np.full(shape, -1, dtype=np.int64)
    other_language = people.language[rows] != 0
    iep = np.zeros(len(rows), dtype=bool)
    if people.tags is not None:
        iep = (people.tags[rows] >> TAGS.index(SPECIAL_EDUCATION_TAG)) & 1 == 1
    for (speaks_other, needs), urn in urns.items():
        mine = (other_language == speaks_other) & (iep == needs)
        drawn[mine] = urn.draw(grade[mine], zone[mine], u[mine])
    if people.head is not None:
        _family_draws(people, rows, drawn, programs)

    candidates = np.column_stack([people.first_program[rows], drawn])
    last = people.last_program[rows]
    room = people.length[rows] - (last >= 0)
    keep = _first_occurrences(candidates)
    count = np.cumsum(keep, axis=1)
    keep &= count <= room[:, None]
    kept = np.minimum(count[:, -1], room)
    add_last = (last >= 0) & ~((candidates == last[:, None]) & keep).any(axis=1)

    who, column = np.nonzero(keep)
    extra = np.flatnonzero(add_last)
    applicant = np.concatenate([rows[who], rows[extra]])
    rank = np.concatenate([count[who, column], kept[extra] + 1])
    program = np.concatenate([candidates[who, column], last[extra]])
    order = np.lexsort((rank, applicant))
    return applicant[order], rank[order], program[order]


def _family_draws(
    people: _Applicants, rows: np.ndarray, drawn: np.ndarray, programs: _Programs
) -> None:
    """Families choose together: a twin takes the first member's draws (and so, with the
    same forced choices and length, the same list); a sibling in another grade takes the
    first member's schools where they teach the sibling's grade, and keeps their own
    draws elsewhere."""
    head = people.head[rows] - rows[0]  # a family never crosses a chunk
    follower = np.flatnonzero(head != np.arange(len(rows)))
    if not len(follower):
        return
    twin = people.twin[rows[follower]]
    drawn[follower[twin]] = drawn[head[follower[twin]]]
    other = follower[~twin]
    theirs = drawn[head[other]]
    school = programs.school[np.maximum(theirs, 0)]
    same_school = programs.regular_of[school, people.grade[rows[other], None]]
    same_school[theirs < 0] = -1
    drawn[other] = np.where(same_school >= 0, same_school, drawn[other])


# ----------------------------------------------------------------------------- seats and files


def _seats(
    rng: np.random.Generator,
    city: _Schools,
    programs: _Programs,
    people: _Applicants,
    first_demand: np.ndarray,
    stays: np.ndarray,
) -> np.ndarray:
    """Seats per program: a grade's open seats shared by school size, tilted by demand.

    Each grade gets ``SEAT_RATIO`` open seats per applicant, shared in proportion to
    ``size * (first-choice demand + 1) ** tilt``. How concentrated demand is depends on
    how many programs compete in a neighbourhood, so a fixed rule would give small
    cities far more first choices than large ones. The tilt is therefore set per grade
    (by bisection, between -1 and 1) so that ``FIRST_CHOICE_FIT`` of the first choices
    fit in the seats. Deferred acceptance places somewhat fewer at their first choice,
    as applicants with priority who ranked a program lower take some of its seats.
    A program never has fewer seats than the continuing students who ranked it.
    """
    grade = programs.grade
    size = city.size[programs.school] * np.where(programs.dual_language, DUAL_LANGUAGE_SEATS, 1.0)
    # A special-education program is one class, outside the grade's shared seats.
    size *= np.where(programs.special, 0.0, 1.0)
    demand = np.where(programs.special, 0, first_demand).astype(float)
    grade_demand = np.bincount(grade, weights=demand, minlength=len(GRADES))
    open_seats = SEAT_RATIO * np.bincount(people.grade, minlength=len(GRADES))[grade]

    def share(tilt: np.ndarray) -> np.ndarray:
        weight = size * (demand + 1.0) ** tilt[grade]
        total = np.bincount(grade, weights=weight, minlength=len(GRADES))
        return open_seats * weight / total[grade]

    low, high = np.full(len(GRADES), -1.0), np.ones(len(GRADES))
    for _ in range(30):  # more tilt, more first choices fit: bisect every grade at once
        middle = (low + high) / 2
        fit = np.bincount(grade, weights=np.minimum(demand, share(middle)), minlength=len(GRADES))
        short = fit < FIRST_CHOICE_FIT * grade_demand
        low, high = np.where(short, middle, low), np.where(short, high, middle)
    exact = share(high)
    # Random rounding keeps each grade's total right on average, even for tiny programs.
    seats = np.maximum(np.floor(exact + rng.random(len(exact))).astype(np.int64), stays)
    seats[programs.special] = SPECIAL_EDUCATION_CLASS
    return seats


def _applicant_rows(
    people: _Applicants, rows: np.ndarray, city: _Schools, programs: _Programs
) -> pd.DataFrame:
    school_ids = np.append(city.id, "")  # index -1 gives a blank cell
    zone_codes = np.append(city.zone_codes, "")
    sibling = people.sibling[rows]
    siblings = school_ids[sibling[:, 0]]
    two = sibling[:, 1] >= 0
    # IDs have equal width, so numeric order is the order the reader sorts lists in.
    low, high = np.sort(sibling[two], axis=1).T
    siblings[two] = school_ids[low] + ";" + school_ids[high]
    table = pd.DataFrame(
        {
            "applicant_id": people.id[rows],
            "first_name": people.first_name[rows],
            "last_name": people.last_name[rows],
            "grade": np.array(GRADES, dtype=object)[people.grade[rows]],
            "zone": zone_codes[people.zone[rows]],
            "current_school_id": school_ids[people.current[rows]],
            "sibling_school_ids": siblings,
            "staff_school_id": school_ids[people.staff[rows]],
            "language": np.array(LANGUAGES, dtype=object)[people.language[rows]],
            "guardian_name": people.guardian_name[rows],
            "address": people.address[rows],
        }
    )
    if people.tags is None:
        return table
    tag_cells = np.array(
        [";".join(t for i, t in enumerate(TAGS) if bits >> i & 1) for bits in range(8)],
        dtype=object,
    )
    family = people.family[rows]
    in_family = family > 0
    width = max(6, len(str(len(people.id))))
    family_ids = np.full(len(rows), "", dtype=object)
    family_ids[in_family] = [f"F{number:0{width}d}" for number in family[in_family].tolist()]
    false = np.array(["", "false"], dtype=object)
    program_ids = np.append(programs.id, "")
    table["tags"] = tag_cells[people.tags[rows]]
    table["guaranteed_program_id"] = program_ids[people.guaranteed[rows]]
    table["accepts_administrative"] = false[people.declines[rows].astype(np.int64)]
    table["family_id"] = family_ids
    table["link_family"] = false[people.unlinked[rows].astype(np.int64)]
    table["latitude"] = _decimal(people.latitude[rows])
    table["longitude"] = _decimal(people.longitude[rows])
    return table


def _decimal(degrees: np.ndarray) -> np.ndarray:
    """Degrees with five decimals (about a metre), as text."""
    return np.array([f"{value:.5f}" for value in degrees.tolist()], dtype=object)


def _program_rows(city: _Schools, programs: _Programs, seats: np.ndarray) -> pd.DataFrame:
    school = programs.school
    return pd.DataFrame(
        {
            "program_id": programs.id,
            "school_id": city.id[school],
            "school_name": np.array(city.name, dtype=object)[school],
            "sector": np.where(city.charter[school], "charter", "district"),
            "grade": np.array(GRADES, dtype=object)[programs.grade],
            "seats": seats,
            # Charter schools serve the whole city: no zone priority.
            "zones": np.where(city.charter[school], "", city.zone_codes[city.zone[school]]),
        }
    )


def _administrative(city: _Schools, programs: _Programs) -> np.ndarray:
    """Mask of the programs that promise a seat to their zone: district main programs of
    ADMINISTRATIVE_GRADES."""
    return (
        programs.main
        & ~city.charter[programs.school]
        & np.isin(programs.grade, [GRADES.index(g) for g in ADMINISTRATIVE_GRADES])
    )


def _zone_guarantee_seats(
    city: _Schools, programs: _Programs, seats: np.ndarray, people: _Applicants
) -> np.ndarray:
    """Seats with room, in each zone and grade with a zone guarantee, for
    ZONE_GUARANTEE_COVER of the applicants of that zone and grade: a district that
    promises seats builds them. A zone's programs short of that grow in proportion to
    their seats (rounded up)."""
    promised = _administrative(city, programs)
    cells = len(city.zone_codes) * len(GRADES)
    key = city.zone[programs.school] * len(GRADES) + programs.grade
    have = np.bincount(key[promised], weights=seats[promised], minlength=cells)
    lives = people.zone >= 0
    need = ZONE_GUARANTEE_COVER * np.bincount(
        people.zone[lives] * len(GRADES) + people.grade[lives], minlength=cells
    )
    factor = np.where(have > 0, need / np.maximum(have, 1.0), 1.0)
    grown = np.ceil(seats * np.maximum(factor[key], 1.0) - 1e-9).astype(np.int64)
    # A zone whose programs have no seats at all shares the need equally instead.
    count = np.bincount(key[promised], minlength=cells)
    empty = promised & (have[key] == 0)
    grown[empty] = np.ceil(need[key[empty]] / count[key[empty]]).astype(np.int64)
    return np.where(promised, np.maximum(grown, seats), seats)


def _held_seats(
    rng: np.random.Generator, programs: _Programs, seats: np.ndarray, people: _Applicants
) -> np.ndarray:
    """Seats a few main programs keep back, never the seats guaranteed to applicants."""
    guaranteed = np.bincount(people.guaranteed[people.guaranteed >= 0], minlength=len(seats))
    eligible = np.flatnonzero(programs.main & programs.in_lottery & (seats >= HELD_MIN_SEATS))
    count = max(int(len(eligible) >= 10), round(len(eligible) * HELD_SHARE))
    held = np.zeros(len(seats), dtype=np.int64)
    chosen = rng.permutation(eligible)[:count]
    held[chosen] = np.minimum(rng.integers(1, 4, len(chosen)), seats[chosen] - guaranteed[chosen])
    return held


def _with_program_policy(
    table: pd.DataFrame, city: _Schools, programs: _Programs, held: np.ndarray, area: _Map
) -> pd.DataFrame:
    """programs.csv's seat-policy columns: held seats, eligibility, the zone guarantee
    and where the school is."""
    school = programs.school
    administrative = _administrative(city, programs)
    latitude, longitude = area.degrees(area.school_x[school], area.school_y[school])
    table["held_seats"] = np.where(held > 0, held.astype(str).astype(object), "")
    table["requires_tags"] = np.where(programs.special, SPECIAL_EDUCATION_TAG, "")
    table["administrative_zones"] = np.where(administrative, city.zone_codes[city.zone[school]], "")
    table["latitude"] = _decimal(latitude)
    table["longitude"] = _decimal(longitude)
    return table


def _reserves(
    rng: np.random.Generator, city: _Schools, programs: _Programs, capacity: np.ndarray
) -> pd.DataFrame:
    """reserves.csv: a share for tag:frl at some schools' main programs, some seats for
    proximity at some district schools' main programs, a share for tag:ell in
    dual-language strands; only at programs offering RESERVE_MIN_CAPACITY seats or more."""

    def some(schools: np.ndarray, share: float) -> np.ndarray:
        """Per program: whether its school is among ``share`` of ``schools``."""
        chosen = np.zeros(len(city.id), dtype=bool)
        chosen[rng.permutation(schools)[: round(len(schools) * share)]] = True
        return chosen[programs.school]

    frl = some(np.arange(len(city.id)), FRL_RESERVE_SCHOOLS)
    near = some(np.flatnonzero(~city.charter), PROXIMITY_RESERVE_SCHOOLS)
    room = programs.in_lottery & (capacity >= RESERVE_MIN_CAPACITY)
    near_seats = np.floor(capacity * PROXIMITY_RESERVE).astype(np.int64).astype(str)
    blank = np.full(len(programs.id), "", dtype=object)
    parts = []
    for category, where, seats, share in (
        ("tag:ell", room & programs.dual_language, blank, ELL_RESERVE),
        ("tag:frl", room & programs.main & frl, blank, FRL_RESERVE),
        (f"proximity:{PROXIMITY_MILES}", room & programs.main & near, near_seats, ""),
    ):
        index = np.flatnonzero(where)
        parts.append(
            pd.DataFrame(
                {
                    "index": index,
                    "program_id": programs.id[index],
                    "category": category,
                    "seats": seats[index],
                    "share": share,
                }
            )
        )
    # Sorted by program (in the order of programs.csv), then category.
    rows = pd.concat(parts).sort_values(["index", "category"], kind="stable")
    return rows.drop(columns="index").reset_index(drop=True)
