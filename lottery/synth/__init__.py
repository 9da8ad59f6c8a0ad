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
   :data:`FIRST_CHOICE_FIT` of first choices would fit (see :func:`.seats.program_seats`). A program
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

Where it lives
--------------
:mod:`.parameters` holds the constants above and :mod:`.names` the made-up names
(``names/*.txt``). Step 1 is :mod:`.schools` (with :mod:`.draws`, the weighted urns),
step 2 :mod:`.applicants`, step 3 :mod:`.choices`, step 4 and the seats of step 5
:mod:`.seats`; :mod:`.tables` turns the arrays into rows and :mod:`.folder` writes the
city and its ``.synthetic-city.json`` record. This module only checks the arguments and
runs the steps in order, which fixes the order of the random draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lottery.errors import UsageError
from lottery.io.atomic import Say, say_nothing, staged_folder
from lottery.io.inputs import GRADES
from lottery.synth.applicants import make_applicants
from lottery.synth.folder import (
    Progress,
    check_out_dir,
    replace_city_files,
    write_city,
    write_record,
)
from lottery.synth.parameters import (
    ADMINISTRATIVE_GRADES,
    SPECIAL_EDUCATION_CLASS,
    ZONE_GUARANTEE_COVER,
)
from lottery.synth.schools import (
    SeatPolicy,
    make_map,
    make_programs,
    make_schools,
    with_special_education,
)

__all__ = [
    "ADMINISTRATIVE_GRADES",
    "SPECIAL_EDUCATION_CLASS",
    "ZONE_GUARANTEE_COVER",
    "SynthSummary",
    "generate_city",
]


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
    linked_families: int = 0
    guaranteed: int = 0
    reserves: int = 0


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
    check_out_dir(out_dir, force)
    rng = np.random.default_rng(seed)
    city = make_schools(rng, schools)
    policy = None
    if seat_policy:
        # A second stream: the plain city's draws stay exactly as they are without it.
        policy_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        city = with_special_education(policy_rng, city)
        policy = SeatPolicy(policy_rng, make_map(policy_rng, city))
    programs = make_programs(city, lottery_grades)
    if not programs.in_lottery.any():
        raise UsageError(
            f"None of the {schools} schools teaches grade {', '.join(grades or ())}; "
            "add schools or choose other grades."
        )
    people = make_applicants(rng, applicants, city, programs, max_choices, policy)

    # Write beside the destination and move in only when complete: an interrupted run
    # never leaves half a city behind.
    staged = staged_folder(out_dir.resolve(), say=say, merge=replace_city_files)
    with staged as staging:
        choices, seats, reserves = write_city(
            staging, rng, city, programs, people, max_choices, progress, policy
        )
        write_record(staging)
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
        linked_families=people.linked_families,
        guaranteed=0 if people.guaranteed is None else int((people.guaranteed >= 0).sum()),
        reserves=reserves,
    )


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
