"""From validated records to the dense arrays the matcher works on.

This is where each pair (applicant, ranked program) gets its priority under the policy
and its lottery number, and where each program's strict order is fixed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lottery.errors import UsageError
from lottery.keys import contains_sorted, find_sorted, pair_keys
from lottery.matching import program_order, program_order_by_position
from lottery.policy import Policy, tier_criteria
from lottery.records import CityInput
from lottery.tiebreak import lottery_key, lottery_numbers, lottery_ranks

EXTERNAL_LOTTERY = "external lottery"


@dataclass(frozen=True, eq=False)
class Market:
    """A school-choice market as arrays, one entry per pair unless named per applicant/program.

    ``choice_priority`` holds priority values (1 = highest; ``general_value`` for none);
    ``choice_explicit`` marks values taken from priorities.csv. ``choice_lottery_rank`` is
    the applicant's rank in the lottery order used at that program: among all applicants
    for a single tie-break, among the program's applicants for per-program numbers.
    ``applicant_lottery`` and ``applicant_lottery_rank`` exist only with one number per
    applicant.
    """

    tiebreak: str
    seed: str | None
    choice_offsets: np.ndarray
    choice_applicant: np.ndarray
    choice_program: np.ndarray
    choice_priority: np.ndarray
    choice_explicit: np.ndarray
    choice_lottery: np.ndarray
    choice_lottery_rank: np.ndarray
    choice_rank: np.ndarray
    capacity: np.ndarray
    applicant_lottery: np.ndarray | None
    applicant_lottery_rank: np.ndarray | None

    @property
    def n_applicants(self) -> int:
        return len(self.choice_offsets) - 1

    @property
    def n_programs(self) -> int:
        return len(self.capacity)


def check_seed(seed: str | None, external_lottery: bool) -> None:
    """Refuse a missing or empty seed, or a seed beside lottery.csv (it would be ignored)."""
    if seed is not None and not seed.strip():
        raise UsageError("The seed must not be empty: pass the seed that was announced publicly.")
    if not external_lottery and seed is None:
        raise UsageError(
            "A lottery needs its published seed: pass --seed (or provide lottery.csv)."
        )
    if external_lottery and seed is not None:
        raise UsageError(
            "lottery.csv is present, so the lottery numbers come from that file; "
            "run again without --seed (or remove lottery.csv to draw numbers from the seed)."
        )


def build_market(city: CityInput, seed: str | None) -> Market:
    """Compute priorities, lottery numbers and program orders for every ranked pair.

    ``seed`` is required unless the input folder has ``lottery.csv``, and refused if it
    has one (the numbers would otherwise silently ignore the announced seed).
    """
    check_seed(seed, city.external_lottery is not None)
    choices = city.choices
    n_applicants = len(city.applicants)
    n_programs = len(city.programs)
    offsets = np.zeros(n_applicants + 1, dtype=np.int64)
    np.cumsum(np.bincount(choices.applicant, minlength=n_applicants), out=offsets[1:])
    applicant = choices.applicant.astype(np.int64)
    program = choices.program.astype(np.int64)

    priority, explicit = pair_priorities(city, applicant, program)
    tiebreak, pair_numbers, applicant_numbers = _lottery(city, seed, applicant, program)
    if applicant_numbers is not None:
        applicant_rank = lottery_ranks(applicant_numbers)
        pair_lottery_rank = applicant_rank[applicant]
    else:
        applicant_rank = None
        zeros = np.zeros(len(program), dtype=np.int64)
        pair_lottery_rank = program_order(program, zeros, pair_numbers, applicant, n_programs) + 1
    ranks = program_order_by_position(program, priority, pair_lottery_rank, n_programs)
    return Market(
        tiebreak=tiebreak,
        seed=seed,
        choice_offsets=offsets,
        choice_applicant=applicant,
        choice_program=program,
        choice_priority=priority,
        choice_explicit=explicit,
        choice_lottery=pair_numbers,
        choice_lottery_rank=pair_lottery_rank,
        choice_rank=ranks,
        capacity=city.programs.seats.astype(np.int64),
        applicant_lottery=applicant_numbers,
        applicant_lottery_rank=applicant_rank,
    )


def pair_priorities(city: CityInput, applicant: np.ndarray, program: np.ndarray):
    """Priority value of every pair, and whether it came from priorities.csv.

    A pair's value is the 1-based position of the first tier of the policy it
    satisfies, or ``len(order) + 1`` ("general") if none.
    """
    policy: Policy = city.policy
    met = _criteria_met(city, applicant, program)
    priority = np.full(len(applicant), policy.priority.general_value, dtype=np.int64)
    for value in range(len(policy.priority.order), 0, -1):
        tier = policy.priority.order[value - 1]
        satisfied = np.ones(len(applicant), dtype=bool)
        for criterion in tier_criteria(tier):
            satisfied &= met[criterion]
        priority[satisfied] = value
    explicit = np.zeros(len(applicant), dtype=bool)
    given = city.explicit_priorities
    if given is not None and len(given.applicant):
        n_programs = len(city.programs)
        given_keys = pair_keys(given.applicant, given.program, n_programs)
        position, explicit = find_sorted(given_keys, pair_keys(applicant, program, n_programs))
        priority[explicit] = given.priority[position[explicit]]
    return priority, explicit


def _criteria_met(
    city: CityInput, applicant: np.ndarray, program: np.ndarray
) -> dict[str, np.ndarray]:
    programs, applicants = city.programs, city.applicants
    schools = pd.Index(np.unique(programs.school_id))
    n_schools = len(schools)
    pair_school = schools.get_indexer(programs.school_id)[program]
    current = schools.get_indexer(applicants.current_school_id)[applicant]
    staff = schools.get_indexer(applicants.staff_school_id)[applicant]

    owner, sibling_school = _flatten(applicants.sibling_school_ids)
    sibling_code = schools.get_indexer(sibling_school)
    sibling_keys = np.unique(owner[sibling_code >= 0] * n_schools + sibling_code[sibling_code >= 0])

    zones = pd.Index(sorted({z for served in programs.zones for z in served}))
    n_zones = max(len(zones), 1)
    server, served_zone = _flatten(programs.zones)
    served_keys = np.unique(server * n_zones + zones.get_indexer(served_zone))
    pair_zone = zones.get_indexer(applicants.zone)[applicant]
    return {
        "continuing": current == pair_school,
        "staff": staff == pair_school,
        "sibling": contains_sorted(sibling_keys, applicant * n_schools + pair_school),
        "zone": (pair_zone >= 0) & contains_sorted(served_keys, program * n_zones + pair_zone),
    }


def _flatten(lists: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """(row index, item) for every item of a list-valued column."""
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    items = np.fromiter(
        itertools.chain.from_iterable(lists), dtype=object, count=int(lengths.sum())
    )
    return np.repeat(np.arange(len(lists), dtype=np.int64), lengths), items


def _lottery(city: CityInput, seed: str | None, applicant: np.ndarray, program: np.ndarray):
    """Tie-break mode, number per pair, and number per applicant (None if per-program)."""
    applicant_ids = city.applicants.id
    external = city.external_lottery
    if external is None:
        if city.policy.lottery.tiebreak == "single":
            numbers = lottery_numbers(lottery_key(seed, a) for a in applicant_ids.tolist())
            return "single", numbers[applicant], numbers
        program_ids = city.programs.id
        keys = (
            lottery_key(seed, applicant_ids[a], program_ids[p])
            for a, p in zip(applicant.tolist(), program.tolist(), strict=True)
        )
        return "multiple", lottery_numbers(keys), None

    n_applicants = len(applicant_ids)
    default = np.zeros(n_applicants, dtype=np.uint64)
    has_default = np.zeros(n_applicants, dtype=bool)
    wide = external.program < 0
    default[external.applicant[wide]] = external.number[wide]
    has_default[external.applicant[wide]] = True
    if not external.per_program:
        return "single", default[applicant], default
    n_programs = len(city.programs)
    specific = ~wide
    given_keys = pair_keys(external.applicant[specific], external.program[specific], n_programs)
    given_numbers = external.number[specific]
    numbers = default[applicant].copy()
    position, found = find_sorted(given_keys, pair_keys(applicant, program, n_programs))
    numbers[found] = given_numbers[position[found]]
    return "multiple", numbers, None
