"""Hypothesis strategies: random markets for the matcher, random cities for the engine.

:func:`markets` draws a school-choice market at the array level (applicant and program
indices, capacities, priorities with many ties, uint64 lottery numbers that sometimes
collide). :func:`kernel_arrays` turns it into the matcher's inputs and
:func:`reference_market` into the dicts of ``tests/support/reference.py``; the two conversions
share nothing, so comparing the kernel with the reference also checks the arrays.
:func:`tiny_markets` draws markets small enough to list all their stable matchings.
:func:`reserve_markets` and :func:`uniform_reserve_markets` add reserved seats (runs of
slots), category membership and eligibility per pair; :func:`reserve_kernel_arrays` and
:func:`reserve_reference_market` convert them, again without sharing code.

:func:`cities` draws a small city as the rows of ``programs.csv``, ``applicants.csv`` and
``choices.csv``; :func:`write_city` writes it, optionally with rows or columns shuffled.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lottery.matching import UNPLACED, SlotPlan
from support.program_orders import program_order
from support.reference import slot_choice

MAX_LOTTERY_NUMBER = 2**64 - 1

# ----------------------------------------------------------------------------- markets


@dataclass(frozen=True)
class Market:
    """A market as plain Python values, indexed like the matcher's arrays.

    ``preferences[a]`` lists the programs applicant ``a`` ranked, best first;
    ``priority[a][k]`` and ``lottery[a][k]`` belong to the pair ``(a, preferences[a][k])``
    (lower is better for both). With a single tie-break every pair of an applicant has
    the same lottery number.
    """

    preferences: tuple[tuple[int, ...], ...]
    capacity: tuple[int, ...]
    priority: tuple[tuple[int, ...], ...]
    lottery: tuple[tuple[int, ...], ...]

    @property
    def n_applicants(self) -> int:
        return len(self.preferences)

    @property
    def n_programs(self) -> int:
        return len(self.capacity)

    def pairs(self):
        """Every (applicant, program, priority, lottery number), in pair order."""
        for a, programs in enumerate(self.preferences):
            for k, p in enumerate(programs):
                yield a, p, self.priority[a][k], self.lottery[a][k]


def lottery_numbers() -> st.SearchStrategy[int]:
    """uint64 numbers: mostly spread out, sometimes tiny (so they collide), sometimes at
    the edges of the signed and unsigned 64-bit ranges."""
    return st.one_of(
        st.integers(0, MAX_LOTTERY_NUMBER),
        st.integers(0, 3),
        st.sampled_from([2**63 - 1, 2**63, MAX_LOTTERY_NUMBER - 1, MAX_LOTTERY_NUMBER]),
    )


@st.composite
def markets(
    draw,
    max_applicants: int = 30,
    max_programs: int = 8,
    max_seats: int = 4,
) -> Market:
    """A random market: 0..``max_applicants`` applicants, 1..``max_programs`` programs
    with 0..``max_seats`` seats, preference lists possibly empty, priorities from a
    small range (many ties) and single or multiple tie-break lottery numbers."""
    n_programs = draw(st.integers(1, max_programs))
    n_applicants = draw(st.integers(0, max_applicants))
    capacity = tuple(
        draw(st.lists(st.integers(0, max_seats), min_size=n_programs, max_size=n_programs))
    )
    preferences = tuple(
        tuple(draw(st.lists(st.integers(0, n_programs - 1), unique=True, max_size=n_programs)))
        for _ in range(n_applicants)
    )
    tiers = draw(st.integers(1, 3))
    priority = tuple(
        tuple(draw(st.lists(st.integers(1, tiers), min_size=len(ps), max_size=len(ps))))
        for ps in preferences
    )
    if draw(st.booleans()):  # single tie-break: one number per applicant
        lottery = tuple((draw(lottery_numbers()),) * len(ps) for ps in preferences)
    else:
        lottery = tuple(
            tuple(draw(st.lists(lottery_numbers(), min_size=len(ps), max_size=len(ps))))
            for ps in preferences
        )
    return Market(preferences, capacity, priority, lottery)


def tiny_markets() -> st.SearchStrategy[Market]:
    """Crowded markets of 2..4 programs and up to 5 applicants who rank (nearly) all of
    them: small enough to list every stable matching by brute force.

    Having several stable matchings needs preferences and program orders that pull
    against each other. Hypothesis's own draws lean towards simple values (equal
    numbers, sorted lists) and almost never produce that, so the market is drawn
    uniformly from a seed instead: about one in eight then has several stable matchings.
    """
    return st.integers(0, 2**32 - 1).map(_uniform_tiny_market)


def _uniform_tiny_market(seed: int) -> Market:
    rng = random.Random(seed)
    n_programs = rng.randint(2, 4)
    n_applicants = rng.randint(n_programs, 5)
    capacity = tuple(rng.choice((1, 1, 1, 2)) for _ in range(n_programs))
    preferences = tuple(
        tuple(rng.sample(range(n_programs), rng.randint(n_programs - 1, n_programs)))
        for _ in range(n_applicants)
    )
    priority = tuple(tuple(rng.randint(1, 2) for _ in ps) for ps in preferences)
    lottery = tuple(tuple(rng.getrandbits(64) for _ in ps) for ps in preferences)
    return Market(preferences, capacity, priority, lottery)


@dataclass(frozen=True, eq=False)
class KernelArrays:
    """The matcher's inputs for a :class:`Market` (one entry per pair unless noted)."""

    choice_offsets: np.ndarray  # per applicant + 1
    choice_program: np.ndarray
    choice_applicant: np.ndarray
    choice_priority: np.ndarray
    choice_lottery: np.ndarray  # uint64
    choice_rank: np.ndarray
    capacity: np.ndarray  # per program

    def matcher_inputs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Positional arguments of ``deferred_acceptance``."""
        return self.choice_offsets, self.choice_program, self.choice_rank, self.capacity


def kernel_arrays(market: Market) -> KernelArrays:
    """The market as the engine hands it to the matcher (ranks from ``program_order``)."""
    pairs = list(market.pairs())
    lengths = [len(ps) for ps in market.preferences]
    offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)
    applicant = np.array([a for a, _, _, _ in pairs], dtype=np.int64)
    program = np.array([p for _, p, _, _ in pairs], dtype=np.int64)
    priority = np.array([v for _, _, v, _ in pairs], dtype=np.int64)
    lottery = np.array([n for _, _, _, n in pairs], dtype=np.uint64)
    rank = program_order(program, priority, lottery, applicant, market.n_programs)
    capacity = np.array(market.capacity, dtype=np.int64)
    return KernelArrays(offsets, program, applicant, priority, lottery, rank, capacity)


def reference_market(market: Market):
    """``(preferences, program_ranking, capacity)`` dicts for ``tests/support/reference.py``.

    Each program ranks the applicants who ranked it by (priority, lottery number,
    applicant index), computed with Python integers and ``sorted``.
    """
    preferences = {a: list(ps) for a, ps in enumerate(market.preferences)}
    keys: dict[int, list[tuple[int, int, int]]] = {p: [] for p in range(market.n_programs)}
    for a, p, priority, number in market.pairs():
        keys[p].append((priority, number, a))
    ranking = {p: [a for _, _, a in sorted(entries)] for p, entries in keys.items()}
    capacity = dict(enumerate(market.capacity))
    return preferences, ranking, capacity


def placements(arrays: KernelArrays, placed_pair: np.ndarray) -> dict[int, int | None]:
    """The matcher's answer (a pair per applicant, or -1) as applicant -> program."""
    return {
        a: None if pair == UNPLACED else int(arrays.choice_program[pair])
        for a, pair in enumerate(placed_pair.tolist())
    }


# ----------------------------------------------------------------------------- reserves

OPEN_RUN = -1  # the category of a run of open slots
CATEGORY_BITS = (0, 1, 2, 62)  # a few categories, including the highest bit allowed
PRECEDENCES = ("reserved_first", "open_first", "interleaved")


@dataclass(frozen=True)
class ReserveMarket:
    """A :class:`Market` with reserves, eligibility and category membership.

    ``runs[p]`` lists program ``p``'s runs of slots in precedence order as
    ``(category, count)`` (``OPEN_RUN`` for open slots, else a bit number), counts adding
    up to ``capacity[p]``; ``()`` for a program without reserves (plain order).
    ``member[a][k]`` (a bit mask of categories) and ``eligible[a][k]`` belong to the pair
    ``(a, preferences[a][k])``, like ``priority`` and ``lottery``.
    """

    market: Market
    runs: tuple[tuple[tuple[int, int], ...], ...]
    unfilled_open: bool
    member: tuple[tuple[int, ...], ...]
    eligible: tuple[tuple[bool, ...], ...]

    @property
    def n_applicants(self) -> int:
        return self.market.n_applicants

    @property
    def n_programs(self) -> int:
        return self.market.n_programs

    def pairs(self):
        """Every (applicant, program, priority, lottery, member mask, eligible)."""
        for a, p, priority, number in self.market.pairs():
            k = self.market.preferences[a].index(p)
            yield a, p, priority, number, self.member[a][k], self.eligible[a][k]

    def with_list(self, applicant: int, programs: tuple[int, ...]) -> ReserveMarket:
        """The same market where ``applicant`` ranks ``programs`` (some of their own
        programs, in any order) instead; each pair keeps its priority, lottery number,
        membership and eligibility."""
        m = self.market
        old = m.preferences[applicant]
        keys = [old.index(p) for p in programs]

        def reorder(rows):
            row = tuple(rows[applicant][k] for k in keys)
            return rows[:applicant] + (row,) + rows[applicant + 1 :]

        market = Market(reorder(m.preferences), m.capacity, reorder(m.priority), reorder(m.lottery))
        return replace(
            self, market=market, member=reorder(self.member), eligible=reorder(self.eligible)
        )

    def without_members(self) -> ReserveMarket:
        """Nobody is a member of any category."""
        return replace(self, member=tuple((0,) * len(row) for row in self.member))

    def without_reserves(self) -> ReserveMarket:
        """No program has runs: every program uses its plain order."""
        return replace(self, runs=((),) * self.n_programs)


def _runs(
    capacity: int, reserved: list[tuple[int, int]], precedence: str, order: list[int]
) -> tuple[tuple[int, int], ...]:
    """Runs for ``reserved`` (category, seats) plus open seats for the rest.

    ``reserved_first``: reserved runs, then the open run; ``open_first``: the other way
    round; ``interleaved``: one run per slot, in ``order`` (a permutation of the slots)."""
    open_seats = capacity - sum(n for _, n in reserved)
    if precedence == "reserved_first":
        return (*reserved, (OPEN_RUN, open_seats))
    if precedence == "open_first":
        return ((OPEN_RUN, open_seats), *reserved)
    slots = [c for c, n in reserved for _ in range(n)] + [OPEN_RUN] * open_seats
    return tuple((slots[i], 1) for i in order)


@st.composite
def reserve_markets(
    draw,
    max_applicants: int = 20,
    max_programs: int = 6,
    max_seats: int = 4,
) -> ReserveMarket:
    """A :func:`markets` market with reserves: a few categories (bits from
    ``CATEGORY_BITS``); each program has reserves or not, and if so some seats per
    category (possibly 0) in one of ``PRECEDENCES``; one ``unfilled_open`` mode for all;
    random membership masks and eligibility (mostly eligible) per pair."""
    market = draw(markets(max_applicants, max_programs, max_seats))
    categories = draw(st.lists(st.sampled_from(CATEGORY_BITS), min_size=1, max_size=3, unique=True))
    runs = []
    for seats in market.capacity:
        if not draw(st.booleans()):
            runs.append(())
            continue
        reserved = []
        left = seats
        for category in draw(st.permutations(categories)):
            count = draw(st.integers(0, left))
            reserved.append((category, count))
            left -= count
        precedence = draw(st.sampled_from(PRECEDENCES))
        order = draw(st.permutations(range(seats)))
        runs.append(_runs(seats, reserved, precedence, list(order)))
    masks = st.lists(st.sampled_from(categories), unique=True).map(
        lambda cs: sum(1 << c for c in cs)
    )
    member = tuple(
        tuple(draw(st.lists(masks, min_size=len(ps), max_size=len(ps))))
        for ps in market.preferences
    )
    eligible = tuple(
        tuple(
            draw(
                st.lists(
                    st.sampled_from([True, True, True, False]), min_size=len(ps), max_size=len(ps)
                )
            )
        )
        for ps in market.preferences
    )
    return ReserveMarket(market, tuple(runs), draw(st.booleans()), member, eligible)


def uniform_reserve_markets(
    max_applicants: int = 12,
    max_programs: int = 4,
    max_list: int = 4,
    min_applicants: int = 1,
    min_programs: int = 1,
    crowded: bool = False,
) -> st.SearchStrategy[ReserveMarket]:
    """Reserve markets drawn uniformly from a seed (see :func:`tiny_markets` for why):
    most programs have reserves, members are common, lists are up to ``max_list`` long.
    ``crowded``: programs have 1 or 2 seats, applicants rank (nearly) all programs (up to
    ``max_list``) and the tie-break is multiple, so that a market more often has several
    stable matchings."""
    sizes = (min_applicants, max_applicants, min_programs, max_programs, max_list, crowded)
    return st.integers(0, 2**32 - 1).map(lambda seed: _uniform_reserve_market(seed, *sizes))


def _uniform_reserve_market(
    seed: int,
    min_applicants: int,
    max_applicants: int,
    min_programs: int,
    max_programs: int,
    max_list: int,
    crowded: bool,
) -> ReserveMarket:
    rng = random.Random(seed)
    n_programs = rng.randint(min_programs, max_programs)
    n_applicants = rng.randint(min_applicants, max_applicants)
    longest = min(max_list, n_programs)
    shortest = max(longest - 1, 1) if crowded else 0
    seats = (1, 1, 1, 2) if crowded else (0, 1, 2, 3)
    capacity = tuple(rng.choice(seats) for _ in range(n_programs))
    preferences = tuple(
        tuple(rng.sample(range(n_programs), rng.randint(shortest, longest)))
        for _ in range(n_applicants)
    )
    priority = tuple(tuple(rng.randint(1, 2) for _ in ps) for ps in preferences)
    if not crowded and rng.random() < 0.5:  # single tie-break
        lottery = tuple((rng.getrandbits(64),) * len(ps) for ps in preferences)
    else:
        lottery = tuple(tuple(rng.getrandbits(64) for _ in ps) for ps in preferences)
    categories = rng.sample(CATEGORY_BITS, rng.randint(1, 3))
    runs = []
    for seats in capacity:
        if rng.random() < 0.2:
            runs.append(())
            continue
        reserved, left = [], seats
        for category in rng.sample(categories, len(categories)):
            count = rng.randint(0, left)
            reserved.append((category, count))
            left -= count
        order = rng.sample(range(seats), seats)
        runs.append(_runs(seats, reserved, rng.choice(PRECEDENCES), order))
    share = rng.random()
    member = tuple(
        tuple(sum(1 << c for c in categories if rng.random() < share) for _ in ps)
        for ps in preferences
    )
    eligible = tuple(tuple(rng.random() < 0.85 for _ in ps) for ps in preferences)
    market = Market(preferences, capacity, priority, lottery)
    return ReserveMarket(market, tuple(runs), rng.random() < 0.5, member, eligible)


@dataclass(frozen=True, eq=False)
class ReserveKernelArrays:
    """The matcher's inputs for a :class:`ReserveMarket`."""

    arrays: KernelArrays
    choice_eligible: np.ndarray  # bool per pair
    choice_member: np.ndarray  # int64 per pair
    slots: SlotPlan

    def matcher_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``deferred_acceptance`` (reserves included)."""
        a = self.arrays
        return {
            "choice_offsets": a.choice_offsets,
            "choice_program": a.choice_program,
            "choice_rank": a.choice_rank,
            "capacity": a.capacity,
            "choice_eligible": self.choice_eligible,
            "slots": self.slots,
            "choice_member": self.choice_member,
        }


def reserve_kernel_arrays(market: ReserveMarket) -> ReserveKernelArrays:
    """The reserve market as the engine hands it to the matcher."""
    arrays = kernel_arrays(market.market)
    eligible = np.array([e for row in market.eligible for e in row], dtype=np.bool_)
    member = np.array([m for row in market.member for m in row], dtype=np.int64)
    counts = [len(r) for r in market.runs]
    run_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    flat = [run for runs in market.runs for run in runs]
    slots = SlotPlan(
        run_offsets=run_offsets,
        run_category=np.array([c for c, _ in flat], dtype=np.int64),
        run_count=np.array([n for _, n in flat], dtype=np.int64),
        unfilled_open=market.unfilled_open,
    )
    return ReserveKernelArrays(arrays, eligible, member, slots)


def reserve_reference_market(market: ReserveMarket):
    """``(preferences, program_ranking, capacity, choice)`` for ``tests/support/reference.py``.

    Ineligible pairs are left out of the program's ranking (the reference's "not
    acceptable to the program"). ``choice`` has a :func:`reference.slot_choice` for each
    program with runs: one slot per seat (``None`` for open), membership looked up in
    sets of applicants per (program, category bit).
    """
    preferences = {a: list(ps) for a, ps in enumerate(market.market.preferences)}
    keys: dict[int, list[tuple[int, int, int]]] = {p: [] for p in range(market.n_programs)}
    members: dict[tuple[int, int], set[int]] = {}
    for a, p, priority, number, mask, eligible in market.pairs():
        if eligible:
            keys[p].append((priority, number, a))
        for bit in range(63):
            if mask >> bit & 1:
                members.setdefault((p, bit), set()).add(a)
    ranking = {p: [a for _, _, a in sorted(entries)] for p, entries in keys.items()}
    capacity = dict(enumerate(market.market.capacity))
    choice = {}
    for p, runs in enumerate(market.runs):
        if runs:
            slots = [None if c == OPEN_RUN else c for c, n in runs for _ in range(n)]
            choice[p] = slot_choice(slots, partial(_is_member, members, p), market.unfilled_open)
    return preferences, ranking, capacity, choice


def _is_member(members: dict[tuple[int, int], set[int]], program: int, applicant, category):
    return applicant in members.get((program, category), ())


# ----------------------------------------------------------------------------- cities

PROGRAM_COLUMNS = ("program_id", "school_id", "school_name", "sector", "grade", "seats", "zones")
APPLICANT_COLUMNS = (
    "applicant_id",
    "first_name",
    "last_name",
    "grade",
    "zone",
    "current_school_id",
    "sibling_school_ids",
    "staff_school_id",
    "language",
    "guardian_name",
    "address",
)
CHOICE_COLUMNS = ("applicant_id", "rank", "program_id")
ZONES = ("N", "S", "E", "W")
SECTORS = ("district", "charter")


@dataclass(frozen=True)
class City:
    """A city's three required files as rows (dicts of column -> cell text)."""

    programs: tuple[dict[str, str], ...]
    applicants: tuple[dict[str, str], ...]
    choices: tuple[dict[str, str], ...]

    def files(self) -> dict[str, tuple[tuple[str, ...], tuple[dict[str, str], ...]]]:
        """File name -> (columns, rows)."""
        return {
            "programs.csv": (PROGRAM_COLUMNS, self.programs),
            "applicants.csv": (APPLICANT_COLUMNS, self.applicants),
            "choices.csv": (CHOICE_COLUMNS, self.choices),
        }

    def school_of(self) -> dict[str, str]:
        return {row["program_id"]: row["school_id"] for row in self.programs}

    def with_sectors_swapped(self) -> City:
        """Every district program becomes charter and every charter program district."""
        swap = {"district": "charter", "charter": "district"}
        programs = tuple({**row, "sector": swap[row["sector"]]} for row in self.programs)
        return replace(self, programs=programs)

    def with_sibling(self, applicant_id: str, school_id: str) -> City:
        """The same city where ``applicant_id`` also has a sibling at ``school_id``."""
        applicants = []
        for row in self.applicants:
            if row["applicant_id"] == applicant_id:
                schools = [s for s in row["sibling_school_ids"].split(";") if s]
                row = {**row, "sibling_school_ids": ";".join([*schools, school_id])}
            applicants.append(row)
        return replace(self, applicants=tuple(applicants))


def write_city(
    city: City,
    folder: Path,
    rows: random.Random | None = None,
    columns: random.Random | None = None,
) -> Path:
    """Write the city's CSV files into ``folder``. Given a ``rows`` (``columns``) random
    generator, the data rows (the columns, header included) come in a shuffled order."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (names, records) in city.files().items():
        names, records = list(names), list(records)
        if columns is not None:
            columns.shuffle(names)
        if rows is not None:
            rows.shuffle(records)
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)
    return folder


@st.composite
def cities(draw, max_schools: int = 5, max_applicants: int = 25) -> City:
    """A small random city: schools of both sectors with zones, one or two grades, a
    second strand at some schools, 1..``max_applicants`` applicants (with zones,
    siblings, a current school or a staff parent) and their choices among the programs
    of their grade (possibly none)."""
    grades = draw(st.lists(st.sampled_from(["K", "1", "6"]), min_size=1, max_size=2, unique=True))
    n_schools = draw(st.integers(1, max_schools))
    school_ids = draw(
        st.lists(st.integers(1, 99), min_size=n_schools, max_size=n_schools, unique=True)
    )
    schools = [f"S{n}" for n in school_ids]
    programs = []
    for school in schools:
        sector = draw(st.sampled_from(SECTORS))
        zones = ";".join(draw(st.lists(st.sampled_from(ZONES), max_size=2, unique=True)))
        for grade in grades:
            strands = draw(st.sampled_from(["", "", "-DL"]))
            for strand in dict.fromkeys(["", strands]):
                programs.append(
                    {
                        "program_id": f"{school}-{grade}{strand}",
                        "school_id": school,
                        "school_name": f"School {school}",
                        "sector": sector,
                        "grade": grade,
                        "seats": str(draw(st.integers(0, 4))),
                        "zones": zones,
                    }
                )
    n_applicants = draw(st.integers(1, max_applicants))  # an empty applicants.csv is an error
    numbers = draw(
        st.lists(st.integers(0, 9999), min_size=n_applicants, max_size=n_applicants, unique=True)
    )
    optional_school = st.one_of(st.just(""), st.sampled_from(schools))
    applicants, choices = [], []
    for number in numbers:
        applicant_id = f"A{number}"
        grade = draw(st.sampled_from(grades))
        siblings = draw(st.lists(st.sampled_from(schools), max_size=2, unique=True))
        applicants.append(
            {
                "applicant_id": applicant_id,
                "first_name": f"First{number}",
                "last_name": f"Last{number}",
                "grade": grade,
                "zone": draw(st.sampled_from(("", *ZONES))),
                "current_school_id": draw(optional_school),
                "sibling_school_ids": ";".join(siblings),
                "staff_school_id": draw(optional_school),
                "language": draw(st.sampled_from(["", "en", "es"])),
                "guardian_name": f"Guardian {number}",
                "address": "",
            }
        )
        of_grade = sorted(row["program_id"] for row in programs if row["grade"] == grade)
        ranked = draw(st.lists(st.sampled_from(of_grade), unique=True, max_size=4))
        for rank, program_id in enumerate(ranked, start=1):
            choices.append(
                {"applicant_id": applicant_id, "rank": str(rank), "program_id": program_id}
            )
    return City(tuple(programs), tuple(applicants), tuple(choices))
