"""From validated records to the dense arrays the matcher works on.

This is where each pair (applicant, ranked program) gets its priority under the policy
and its lottery number, and where each program's strict order is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lottery.errors import UsageError
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


def build_market(city: CityInput, seed: str | None) -> Market:
    """Compute priorities, lottery numbers and program orders for every ranked pair.

    ``seed`` is required unless the input folder has ``lottery.csv``, and refused if it
    has one (the numbers would otherwise silently ignore the announced seed).
    """
    if city.external_lottery is None and seed is None:
        raise UsageError("A lottery needs its published seed: pass --seed (or provide lottery.csv).")
    if city.external_lottery is not None and seed is not None:
        raise UsageError(
            "lottery.csv is present, so the lottery numbers come from that file; "
            "run again without --seed (or remove lottery.csv to draw numbers from the seed)."
        )
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
        ranks = program_order_by_position(program, priority, pair_lottery_rank, n_programs)
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
        given_keys = given.applicant.astype(np.int64) * n_programs + given.program
        pair_keys = applicant * n_programs + program
        position = np.searchsorted(given_keys, pair_keys)
        position = np.minimum(position, len(given_keys) - 1)
        explicit = given_keys[position] == pair_keys
        priority[explicit] = given.priority[position[explicit]]
    return priority, explicit


def _criteria_met(city: CityInput, applicant: np.ndarray, program: np.ndarray) -> dict[str, np.ndarray]:
    programs, applicants = city.programs, city.applicants
    schools = np.unique(programs.school_id)
    n_schools = len(schools)

    def school_code(ids: np.ndarray) -> np.ndarray:
        position = np.searchsorted(schools, ids)
        position = np.minimum(position, n_schools - 1)
        return np.where(schools[position] == ids, position, -1)

    pair_school = school_code(programs.school_id)[program]
    current = school_code(applicants.current_school_id)[applicant]
    staff = school_code(applicants.staff_school_id)[applicant]

    sibling_keys = np.array(
        sorted(
            a * n_schools + code
            for a, items in enumerate(applicants.sibling_school_ids)
            for code in school_code(np.array(items, dtype=object)).tolist()
            if code >= 0
        ),
        dtype=np.int64,
    )
    zone_codes = sorted({z for zones in programs.zones for z in zones})
    zone_index = {z: i for i, z in enumerate(zone_codes)}
    n_zones = max(len(zone_codes), 1)
    applicant_zone = np.array([zone_index.get(z, -1) for z in applicants.zone.tolist()], dtype=np.int64)
    served_keys = np.array(
        sorted(p * n_zones + zone_index[z] for p, zones in enumerate(programs.zones) for z in zones),
        dtype=np.int64,
    )
    pair_zone = applicant_zone[applicant]
    return {
        "continuing": current == pair_school,
        "staff": staff == pair_school,
        "sibling": np.isin(applicant * n_schools + pair_school, sibling_keys),
        "zone": (pair_zone >= 0) & np.isin(program * n_zones + pair_zone, served_keys),
    }


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
    given_keys = external.applicant[specific].astype(np.int64) * n_programs + external.program[specific]
    given_numbers = external.number[specific]
    pair_keys = applicant * n_programs + program
    numbers = default[applicant].copy()
    if len(given_keys):
        position = np.minimum(np.searchsorted(given_keys, pair_keys), len(given_keys) - 1)
        found = given_keys[position] == pair_keys
        numbers[found] = given_numbers[position[found]]
    return "multiple", numbers, None
