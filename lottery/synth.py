"""Synthetic cities: realistic, deterministic input folders for training, tests and benchmarks.

:func:`generate_city` writes ``programs.csv``, ``applicants.csv`` and ``choices.csv`` in
the documented input format (``docs/file-formats.md``); ``lottery synth`` is its command.
The same arguments and seed give byte-identical files.

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
   never has fewer seats than the continuing students who rank it: those are theirs.

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
Measured on a 2-core machine, ``lottery synth`` with 12 choices takes about 2 s for
100,000 applicants and 16 s (peak memory 0.8 GiB) for 1,000,000; memory stays bounded
because applicants are drawn and written in chunks of :data:`CHUNK`.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lottery.errors import UsageError
from lottery.io.readers import (
    APPLICANTS_FILE,
    CHOICES_FILE,
    GRADES,
    LOTTERY_FILE,
    PRIORITIES_FILE,
    PROGRAMS_FILE,
)
from lottery.io.writers import staging_folder

Progress = Callable[[int, int], None]

CHUNK = 50_000
"""Applicants whose lists are drawn and written in one step (bounds memory; paces progress)."""

CITY_FILES = (PROGRAMS_FILE, APPLICANTS_FILE, CHOICES_FILE)
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


@dataclass(frozen=True)
class _Programs:
    id: np.ndarray  # object
    school: np.ndarray  # int
    grade: np.ndarray  # int, index into GRADES
    dual_language: np.ndarray  # bool
    regular_of: np.ndarray  # int (school, grade) -> main program of that grade, or -1
    in_lottery: np.ndarray  # bool: the program's grade holds a lottery (is written out)


def generate_city(
    out_dir: Path,
    applicants: int,
    schools: int,
    max_choices: int = 6,
    seed: int = 0,
    progress: Progress | None = None,
    force: bool = False,
    grades: Sequence[str] | None = None,
) -> SynthSummary:
    """Write a synthetic city's ``programs.csv``, ``applicants.csv`` and ``choices.csv``.

    Parameters
    ----------
    out_dir
        Folder to write into; created if needed. A folder that already has files in it
        is refused unless ``force``: then the three files are replaced,
        ``priorities.csv`` and ``lottery.csv`` (which would name the old applicants) are
        removed, and other files, such as ``policy.toml`` or a README, are kept.
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
    programs = _make_programs(city, lottery_grades)
    if not programs.in_lottery.any():
        raise UsageError(
            f"None of the {schools} schools teaches grade {', '.join(grades or ())}; "
            "add schools or choose other grades."
        )
    people = _make_applicants(rng, applicants, city, programs, max_choices)

    # Write beside the destination and move in only when complete: an interrupted run
    # never leaves half a city behind.
    staging = staging_folder(out_dir.resolve())
    try:
        choices, seats = _write_city(staging, rng, city, programs, people, max_choices, progress)
        _move_into_place(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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
    )


def _write_city(
    folder: Path,
    rng: np.random.Generator,
    city: _Schools,
    programs: _Programs,
    people: _Applicants,
    max_choices: int,
    progress: Progress | None,
) -> tuple[int, np.ndarray]:
    """Draw lists chunk by chunk, writing applicants and choices as they come; then seats.

    Returns the number of choices written and the seats of each program.
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
            who, rank, program = _rank_lists(rng, people, rows, urns, zones, max_choices)
            header = start == 0
            _applicant_rows(people, rows, city).to_csv(applicants_csv, header=header, **options)
            pd.DataFrame(
                {"applicant_id": people.id[who], "rank": rank, "program_id": programs.id[program]}
            ).to_csv(choices_csv, header=header, **options)
            staying = people.continuing_program[who] == program
            stays += np.bincount(program[staying], minlength=len(stays))
            first_demand += np.bincount(program[rank == 1], minlength=len(stays))
            choices += len(who)
            if progress is not None:
                progress(start + len(rows), n)
    seats = _seats(rng, city, programs, people, first_demand, stays)
    _program_rows(city, programs, seats).loc[programs.in_lottery].to_csv(
        folder / PROGRAMS_FILE, **options
    )
    return choices, seats


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
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise UsageError(
            f"The folder {out_dir} already has files in it. Choose a new folder, or add "
            "--force to replace its programs.csv, applicants.csv and choices.csv."
        )


def _move_into_place(staging: Path, out_dir: Path) -> None:
    """Make the finished files the city: rename the folder, or replace file by file."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    for name in STALE_FILES:
        (out_dir / name).unlink(missing_ok=True)
    for name in CITY_FILES:
        os.replace(staging / name, out_dir / name)


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


def _make_programs(city: _Schools, lottery_grades: np.ndarray) -> _Programs:
    # School by school, grade by grade, the main program before its dual-language strand:
    # a few thousand schools at most, so a plain loop reads best.
    school, grade, dual = [], [], []
    for s in range(len(city.id)):
        for g in np.flatnonzero(city.grades[s]).tolist():
            for strand in (False, True) if city.dual_language[s] else (False,):
                school.append(s)
                grade.append(g)
                dual.append(strand)
    school_a, grade_a, dual_a = np.array(school), np.array(grade), np.array(dual, dtype=bool)
    grade_codes = np.array(GRADES, dtype=object)
    strand = np.where(dual_a, "-DL", "").astype(object)
    ids = city.id[school_a] + "-" + grade_codes[grade_a] + strand
    regular_of = np.full(city.grades.shape, -1, dtype=np.int64)
    main = np.flatnonzero(~dual_a)
    regular_of[school_a[main], grade_a[main]] = main
    return _Programs(ids, school_a, grade_a, dual_a, regular_of, lottery_grades[grade_a])


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


def _pick(
    rng: np.random.Generator, language: np.ndarray, lists: dict[str, tuple[str, ...]]
) -> np.ndarray:
    """One name per applicant from the list for their home language."""
    pool = np.array([name for code in LANGUAGES for name in lists[code]], dtype=object)
    sizes = np.array([len(lists[code]) for code in LANGUAGES])
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return pool[offsets[language] + (rng.random(len(language)) * sizes[language]).astype(np.int64)]


def _make_applicants(
    rng: np.random.Generator, n: int, city: _Schools, programs: _Programs, max_choices: int
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
    regular = np.where(programs.dual_language, 0.0, 1.0)
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
    first_program[length == 0] = -1
    last_program[length == 0] = -1
    return _Applicants(
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


def _first_occurrences(matrix: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each non-negative value in each row."""
    order = np.argsort(matrix, axis=1, kind="stable")
    ordered = np.take_along_axis(matrix, order, axis=1)
    first_sorted = np.ones(ordered.shape, dtype=bool)
    first_sorted[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.empty_like(first_sorted)
    np.put_along_axis(first, order, first_sorted, axis=1)
    return first & (matrix >= 0)


def _choice_urns(city: _Schools, programs: _Programs) -> dict[bool, _Urn]:
    """Popularity-weighted urns for English speakers (False) and other home languages (True)."""
    program_zone = city.zone[programs.school]
    popularity = city.popularity[programs.school] * programs.in_lottery
    return {
        speaks_other: _Urn(
            programs,
            program_zone,
            popularity * np.where(programs.dual_language, DUAL_LANGUAGE_APPEAL[speaks_other], 1.0),
            len(city.zone_codes),
        )
        for speaks_other in (False, True)
    }


def _rank_lists(
    rng: np.random.Generator,
    people: _Applicants,
    rows: np.ndarray,
    urns: dict[bool, _Urn],
    n_zones: int,
    max_choices: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranked lists of applicants ``rows`` as (applicant, rank, program), sorted by both.

    Forced first choices (staying, a sibling's school) come first, then the distinct
    programs of the weighted draws up to the list length, then a continuing student's
    fallback if it is not already on the list.
    """
    draws = 3 * max_choices + 12  # enough distinct programs for nearly every list
    shape = (len(rows), draws)
    grade = people.grade[rows, None]
    home = np.broadcast_to(people.zone[rows, None], shape)
    zone = _nearby_zone(rng, home, n_zones, rng.random(shape) < ZONE_PULL)
    u = rng.random(shape)
    drawn = np.full(shape, -1, dtype=np.int64)
    other_language = people.language[rows] != 0
    for speaks_other, urn in urns.items():
        mine = other_language == speaks_other
        drawn[mine] = urn.draw(grade[mine], zone[mine], u[mine])

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
    demand = first_demand.astype(float)
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
    return np.maximum(np.floor(exact + rng.random(len(exact))).astype(np.int64), stays)


def _applicant_rows(people: _Applicants, rows: np.ndarray, city: _Schools) -> pd.DataFrame:
    school_ids = np.append(city.id, "")  # index -1 gives a blank cell
    zone_codes = np.append(city.zone_codes, "")
    sibling = people.sibling[rows]
    siblings = school_ids[sibling[:, 0]]
    two = sibling[:, 1] >= 0
    # IDs have equal width, so numeric order is the order the reader sorts lists in.
    low, high = np.sort(sibling[two], axis=1).T
    siblings[two] = school_ids[low] + ";" + school_ids[high]
    return pd.DataFrame(
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
