"""From validated records to the dense arrays the matcher works on.

This is where each pair (applicant, ranked program) gets its priority under the policy
and its lottery number, and where each program's strict order is fixed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from lottery.city import CityInput
from lottery.errors import UsageError
from lottery.matching import (
    OPEN_SLOT,
    PartialMatch,
    SlotPlan,
    deferred_acceptance,
    deferred_acceptance_from,
    program_order_by_position,
)
from lottery.matching.ordering import ProgramOrders
from lottery.numbers import FAMILY_PREFIX, lottery_numbers, lottery_ranks_by
from lottery.policy import (
    GUARANTEED_VALUE,
    PROXIMITY_PREFIX,
    SIBLING_OFFERED,
    TAG_PREFIX,
    Policy,
    proximity_miles,
    tier_criteria,
)
from lottery.sorted_pairs import contains_sorted, find_sorted, pair_keys


@dataclass(frozen=True, eq=False)
class Market:
    """A school-choice market as arrays, one entry per pair unless named per applicant/program.

    Pairs are the ranked choices plus, for an applicant with a guaranteed program they
    did not rank, that program as an implicit last choice (``choice_ranked`` False).
    ``choice_priority`` holds priority values (``GUARANTEED_VALUE`` 0 for a guarantee,
    tiers from 1, ``general_value`` for none); ``choice_explicit`` marks values taken
    from priorities.csv. ``choice_lottery`` is the applicant's own number there and
    ``choice_family_lottery`` the number their family stands at (their own number if
    they apply alone). ``choice_lottery_rank`` is the applicant's rank in the lottery
    order used at that program: among all applicants for a single tie-break, among the
    program's applicants for per-program numbers. ``applicant_lottery`` and
    ``applicant_lottery_rank`` exist only with one number per applicant.
    ``choice_member`` has bit ``c`` where the applicant belongs to ``categories[c]``
    at the program; ``slots`` describes the programs with reserves (None if none).
    """

    tiebreak: str
    seed: str | None
    choice_offsets: np.ndarray
    choice_applicant: np.ndarray
    choice_program: np.ndarray
    choice_ranked: np.ndarray
    choice_priority: np.ndarray
    choice_explicit: np.ndarray
    choice_eligible: np.ndarray
    choice_lottery: np.ndarray
    choice_family_lottery: np.ndarray
    choice_lottery_rank: np.ndarray
    choice_rank: np.ndarray
    choice_member: np.ndarray
    capacity: np.ndarray
    applicant_lottery: np.ndarray | None
    applicant_family_lottery: np.ndarray | None
    applicant_lottery_rank: np.ndarray | None
    linked: np.ndarray
    categories: tuple[str, ...]
    slots: SlotPlan | None

    @property
    def n_applicants(self) -> int:
        return len(self.choice_offsets) - 1

    @property
    def n_programs(self) -> int:
        return len(self.capacity)

    @property
    def choice_guaranteed(self) -> np.ndarray:
        return self.choice_priority == GUARANTEED_VALUE

    def place(self, slots: bool = True) -> np.ndarray:
        """Run deferred acceptance on this market (without reserves if ``slots`` is False)."""
        with_slots = slots and self.slots is not None
        return deferred_acceptance(
            self.choice_offsets,
            self.choice_program,
            self.choice_rank,
            self.capacity,
            choice_eligible=None if self.choice_eligible.all() else self.choice_eligible,
            slots=self.slots if with_slots else None,
            choice_member=self._slot_member() if with_slots else None,
        )

    def propose(
        self, start: PartialMatch | None = None, applicants: np.ndarray | None = None
    ) -> PartialMatch:
        """Deferred acceptance (with reserves) from ``start``, letting ``applicants``
        propose (by default everyone who has not): see
        :func:`lottery.matching.deferred_acceptance_from`. Once everyone has proposed,
        ``placed`` is what :meth:`place` returns."""
        return deferred_acceptance_from(
            start,
            self.choice_offsets,
            self.choice_program,
            self.choice_rank,
            self.capacity,
            choice_eligible=None if self.choice_eligible.all() else self.choice_eligible,
            slots=self.slots,
            choice_member=self._slot_member() if self.slots is not None else None,
            proposers=applicants,
        )

    def _slot_member(self) -> np.ndarray:
        # A guaranteed applicant stands first in every slot's order, reserved ones too.
        return np.where(self.choice_guaranteed, np.int64(-1), self.choice_member)


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
    """Compute priorities, lottery numbers and program orders for every pair.

    ``seed`` is required unless the input folder has ``lottery.csv``, and refused if it
    has one (the numbers would otherwise silently ignore the announced seed).
    ``sibling_offered`` holds nowhere yet: see :func:`with_family_offers`.
    """
    check_seed(seed, city.external_lottery is not None)
    n_applicants = len(city.applicants)
    applicant, program, ranked = _pairs(city)
    offsets = np.zeros(n_applicants + 1, dtype=np.int64)
    np.cumsum(np.bincount(applicant, minlength=n_applicants), out=offsets[1:])
    linked = _linked(city)

    tiebreak, own, family, applicant_own, applicant_family = _lottery(
        city, seed, applicant, program, linked
    )
    if applicant_own is not None:
        applicant_rank = lottery_ranks_by(applicant_family, applicant_own)
        if city.lottery_reversed:
            applicant_rank = n_applicants + 1 - applicant_rank
        pair_lottery_rank = applicant_rank[applicant]
    else:
        applicant_rank = None
        order = np.lexsort((applicant, own, family, program))
        pair_lottery_rank = np.empty(len(order), dtype=np.int64)
        first_of_program = np.searchsorted(program[order], program[order], side="left")
        pair_lottery_rank[order] = np.arange(len(order), dtype=np.int64) - first_of_program + 1
        if city.lottery_reversed:
            ranked_here = np.bincount(program, minlength=len(city.programs))[program]
            pair_lottery_rank = ranked_here + 1 - pair_lottery_rank
    categories, slots = _slot_plan(city)
    market = Market(
        tiebreak=tiebreak,
        seed=seed,
        choice_offsets=offsets,
        choice_applicant=applicant,
        choice_program=program,
        choice_ranked=ranked,
        choice_priority=np.zeros(0, dtype=np.int64),
        choice_explicit=np.zeros(0, dtype=bool),
        choice_eligible=_eligible(city, applicant, program),
        choice_lottery=own,
        choice_family_lottery=family,
        choice_lottery_rank=pair_lottery_rank,
        choice_rank=np.zeros(0, dtype=np.int64),
        choice_member=np.zeros(0, dtype=np.int64),
        capacity=city.programs.capacity,
        applicant_lottery=applicant_own,
        applicant_family_lottery=applicant_family,
        applicant_lottery_rank=applicant_rank,
        linked=linked,
        categories=categories,
        slots=slots,
    )
    return with_family_offers(city, market, np.full(n_applicants, -1, dtype=np.int64))


def with_family_offers(
    city: CityInput,
    market: Market,
    placed_pair: np.ndarray,
    known: dict[str, np.ndarray] | None = None,
) -> Market:
    """The market with priorities, reserve membership and program orders worked out for
    ``sibling_offered`` as it holds when applicants are placed through ``placed_pair``.

    ``known`` may give criteria already worked out (those that do not depend on
    placements), so that reruns for families compute only ``sibling_offered``.
    """
    applicant, program = market.choice_applicant, market.choice_program
    needed = needed_criteria(city, market)
    met = dict(known or {})
    met.update(criteria_met(city, market, applicant, program, needed - set(met), placed_pair))
    priority, explicit = pair_priorities(city, applicant, program, met)
    guaranteed = ~market.choice_ranked | (city.applicants.guaranteed_program[applicant] == program)
    priority[guaranteed] = GUARANTEED_VALUE
    explicit &= ~guaranteed
    member = np.zeros(len(applicant), dtype=np.int64)
    for bit, category in enumerate(market.categories):
        member |= met[category].astype(np.int64) << bit
    ranks = program_order_by_position(
        program, priority, market.choice_lottery_rank, market.n_programs
    )
    return replace(
        market,
        choice_priority=priority,
        choice_explicit=explicit,
        choice_rank=ranks,
        choice_member=member,
    )


def needed_criteria(city: CityInput, market: Market) -> set[str]:
    """Every criterion the policy's tiers or the reserve categories name."""
    return city.policy.criteria() | set(market.categories)


def offered_family_schools(city: CityInput, market: Market, placed_pair: np.ndarray) -> np.ndarray:
    """Per pair: whether a linked family member (not the applicant) is placed at the
    pair's school."""
    offered = np.zeros(len(market.choice_applicant), dtype=bool)
    if not market.linked.any():
        return offered
    family, school_of_program = _family_codes(city, market)
    pairs = np.flatnonzero(market.linked[market.choice_applicant])
    offered[pairs] = _offered_at(family, school_of_program, market, placed_pair, pairs)
    return offered


def _family_codes(city: CityInput, market: Market) -> tuple[np.ndarray, np.ndarray]:
    """Per applicant, a number for their linked family (-1 outside one); per program, a
    number for its school."""
    family = np.full(market.n_applicants, -1, dtype=np.int64)
    linked_ids = city.applicants.family_id[market.linked]
    family[market.linked] = pd.Index(np.unique(linked_ids)).get_indexer(linked_ids)
    school_ids = city.programs.school_id
    return family, pd.Index(np.unique(school_ids)).get_indexer(school_ids).astype(np.int64)


def _offered_at(
    family: np.ndarray,
    school_of_program: np.ndarray,
    market: Market,
    placed_pair: np.ndarray,
    pairs: np.ndarray,
) -> np.ndarray:
    """For each of ``pairs``: whether a member of the applicant's linked family other
    than the applicant is placed (``placed_pair``) at the pair's school."""
    n_schools = max(int(school_of_program.max()) + 1, 1) if len(school_of_program) else 1
    program = market.choice_program
    placed = np.flatnonzero((placed_pair >= 0) & (family >= 0))
    placed_school = school_of_program[program[placed_pair[placed]]]
    keys, counts = np.unique(family[placed] * n_schools + placed_school, return_counts=True)
    applicant = market.choice_applicant[pairs]
    pair_school = school_of_program[program[pairs]]
    position, found = find_sorted(keys, family[applicant] * n_schools + pair_school)
    found &= family[applicant] >= 0
    others = np.zeros(len(pairs), dtype=np.int64)
    others[found] = counts[position[found]]
    own_pair = placed_pair[applicant]
    self_there = (own_pair >= 0) & (
        school_of_program[program[np.maximum(own_pair, 0)]] == pair_school
    )
    return others - self_there > 0


@dataclass(frozen=True, eq=False)
class FamilyOffers:
    """A market whose ``sibling_offered`` can change quickly: worked out once, so that
    each rerun for linked families recomputes only the linked applicants' pairs (no one
    else ever holds ``sibling_offered``) and orders again only their programs.

    ``pairs`` are the linked applicants' pairs; at them, ``priority_offered`` and
    ``priority_not_offered`` are the priority with and without ``sibling_offered``
    (every other criterion is settled before the match), ``member_bit`` is the bit of
    ``sibling_offered`` in ``choice_member`` (-1 if it names no reserve category).
    ``market`` is the market with :meth:`with_offers`' offers (none at first).
    """

    market: Market
    pairs: np.ndarray
    priority_offered: np.ndarray
    priority_not_offered: np.ndarray
    member_bit: int
    family: np.ndarray
    school_of_program: np.ndarray
    orders: ProgramOrders | None

    def offered(self, placed_pair: np.ndarray) -> np.ndarray:
        """``sibling_offered`` at each of ``pairs`` when applicants are placed through
        ``placed_pair``: as :func:`offered_family_schools` says there."""
        return _offered_at(
            self.family, self.school_of_program, self.market, placed_pair, self.pairs
        )

    def with_offers(self, offered: np.ndarray) -> FamilyOffers:
        """The market with ``sibling_offered`` holding at ``pairs[offered]`` only: the same
        arrays :func:`with_family_offers` builds from those offers."""
        market = self.market
        priority_here = np.where(offered, self.priority_offered, self.priority_not_offered)
        priority = market.choice_priority.copy()
        priority[self.pairs] = priority_here
        if self.orders is None:
            orders = None
            ranks = program_order_by_position(
                market.choice_program, priority, market.choice_lottery_rank, market.n_programs
            )
        else:
            orders = self.orders.with_priorities(self.pairs, priority_here)
            ranks = orders.ranks
        member = market.choice_member
        if self.member_bit >= 0:
            member = member.copy()
            bit = np.int64(1) << self.member_bit
            member[self.pairs] = (member[self.pairs] & ~bit) | np.where(offered, bit, 0)
        market = replace(market, choice_priority=priority, choice_rank=ranks, choice_member=member)
        return replace(self, market=market, orders=orders)


def family_offers(city: CityInput, market: Market) -> FamilyOffers:
    """What the reruns for linked families need, from a market built with
    ``sibling_offered`` holding nowhere (as :func:`build_market` builds it)."""
    pairs = np.flatnonzero(market.linked[market.choice_applicant])
    applicant, program = market.choice_applicant[pairs], market.choice_program[pairs]
    settled = needed_criteria(city, market) - {SIBLING_OFFERED}
    nobody = np.full(market.n_applicants, -1, dtype=np.int64)
    met = criteria_met(city, market, applicant, program, settled, nobody)
    guaranteed = ~market.choice_ranked[pairs] | (
        city.applicants.guaranteed_program[applicant] == program
    )
    priority = {}
    for offered in (True, False):
        met[SIBLING_OFFERED] = np.full(len(pairs), offered)
        priority[offered], _ = pair_priorities(city, applicant, program, met)
        priority[offered][guaranteed] = GUARANTEED_VALUE
    orders = ProgramOrders.from_ranks(
        market.choice_program,
        market.choice_priority,
        market.choice_lottery_rank,
        market.choice_rank,
        market.n_programs,
        np.concatenate([priority[True], priority[False]]),
    )
    family, school_of_program = _family_codes(city, market)
    categories = market.categories
    return FamilyOffers(
        market=market,
        pairs=pairs,
        priority_offered=priority[True],
        priority_not_offered=priority[False],
        member_bit=categories.index(SIBLING_OFFERED) if SIBLING_OFFERED in categories else -1,
        family=family,
        school_of_program=school_of_program,
        orders=orders,
    )


def _pairs(city: CityInput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(applicant, program, ranked) per pair: the choices, then each unranked guarantee
    as its applicant's last choice."""
    choices = city.choices
    n_applicants = len(city.applicants)
    guaranteed = city.applicants.guaranteed_program
    choice_applicant = np.asarray(choices.applicant, dtype=np.int64)
    choice_program = np.asarray(choices.program, dtype=np.int64)
    ranked_it = np.zeros(n_applicants, dtype=bool)
    ranked_it[choice_applicant[choice_program == guaranteed[choice_applicant]]] = True
    unranked = np.flatnonzero((guaranteed >= 0) & ~ranked_it)
    if not len(unranked):
        return choice_applicant, choice_program, np.ones(len(choices), dtype=bool)
    # Choices are sorted by applicant: each unranked guarantee goes after its
    # applicant's choices, and everything after it moves along by one.
    extra = np.zeros(n_applicants, dtype=np.int64)
    extra[unranked] = 1
    moved_by = np.cumsum(extra) - extra  # unranked guarantees of earlier applicants
    n_choices = np.bincount(choice_applicant, minlength=n_applicants)
    ends = np.cumsum(n_choices)
    n_pairs = len(choices) + len(unranked)
    applicant = np.empty(n_pairs, dtype=np.int64)
    program = np.empty(n_pairs, dtype=np.int64)
    ranked = np.ones(n_pairs, dtype=bool)
    place = np.arange(len(choices), dtype=np.int64) + moved_by[choice_applicant]
    applicant[place], program[place] = choice_applicant, choice_program
    place = ends[unranked] + moved_by[unranked]
    applicant[place], program[place], ranked[place] = unranked, guaranteed[unranked], False
    return applicant, program, ranked


def _linked(city: CityInput) -> np.ndarray:
    """Per applicant: whether they apply as part of a linked family."""
    applicants = city.applicants
    return (applicants.family_id != "") & applicants.link_family


def _eligible(city: CityInput, applicant: np.ndarray, program: np.ndarray) -> np.ndarray:
    """Per pair: whether the applicant has every tag the program requires."""
    eligible = np.ones(len(applicant), dtype=bool)
    required = city.programs.requires_tags
    for tag in sorted({t for tags in required for t in tags}):
        needs = np.array([tag in tags for tags in required], dtype=bool)
        eligible &= ~needs[program] | _has_tag(city, tag)[applicant]
    return eligible


def _has_tag(city: CityInput, tag: str) -> np.ndarray:
    return np.fromiter(
        (tag in tags for tags in city.applicants.tags), dtype=bool, count=len(city.applicants)
    )


def _slot_plan(city: CityInput) -> tuple[tuple[str, ...], SlotPlan | None]:
    """Reserve categories (bit order) and the programs' slot runs, in precedence order."""
    reserves = city.reserves
    if reserves is None or not len(reserves):
        return (), None
    categories = tuple(sorted(set(reserves.category.tolist())))
    capacity = city.programs.capacity
    open_first = city.policy.reserves.precedence == "open_first"
    bit = {category: i for i, category in enumerate(categories)}
    # Rows are sorted by (program, category): each program's rows are one slice.
    bounds = np.searchsorted(reserves.program, np.arange(len(city.programs) + 1))
    run_offsets = [0]
    run_category: list[int] = []
    run_count: list[int] = []
    for p in range(len(city.programs)):
        mine = range(bounds[p], bounds[p + 1])
        if len(mine):
            reserved = [(bit[reserves.category[i]], int(reserves.seats[i])) for i in mine]
            open_run = [(OPEN_SLOT, int(capacity[p]) - sum(n for _, n in reserved))]
            runs = open_run + reserved if open_first else reserved + open_run
            run_category += [c for c, _ in runs]
            run_count += [n for _, n in runs]
        run_offsets.append(len(run_category))
    plan = SlotPlan(
        run_offsets=np.array(run_offsets, dtype=np.int64),
        run_category=np.array(run_category, dtype=np.int64),
        run_count=np.array(run_count, dtype=np.int64),
        unfilled_open=city.policy.reserves.unfilled == "open",
    )
    return categories, plan


def pair_priorities(city: CityInput, applicant: np.ndarray, program: np.ndarray, met: dict):
    """Priority value of every pair, and whether it came from priorities.csv.

    A pair's value is the 1-based position of the first tier of the policy it
    satisfies, or ``len(order) + 1`` ("general") if none.
    """
    policy: Policy = city.policy
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


def criteria_met(
    city: CityInput,
    market: Market,
    applicant: np.ndarray,
    program: np.ndarray,
    criteria: set[str],
    placed_pair: np.ndarray,
) -> dict[str, np.ndarray]:
    """For each criterion named, whether it holds at every pair (applicant, program)."""
    programs, applicants = city.programs, city.applicants
    met: dict[str, np.ndarray] = {}
    base = {"continuing", "staff", "sibling", "zone"} & criteria
    if base:
        met.update(_school_criteria(city, applicant, program))
    for criterion in sorted(criteria - set(met)):
        if criterion.startswith(TAG_PREFIX):
            met[criterion] = _has_tag(city, criterion.removeprefix(TAG_PREFIX))[applicant]
        elif criterion.startswith(PROXIMITY_PREFIX):
            miles = great_circle_miles(
                applicants.latitude[applicant],
                applicants.longitude[applicant],
                programs.latitude[program],
                programs.longitude[program],
            )
            met[criterion] = miles <= proximity_miles(criterion)  # NaN compares False
        elif criterion == SIBLING_OFFERED:
            met[criterion] = offered_family_schools(city, market, placed_pair)
    return met


EARTH_RADIUS_MILES = 3958.8


def great_circle_miles(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine distance in miles between points given in decimal degrees."""
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lon1, lat2, lon2)
    )
    half_chord = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.minimum(half_chord, 1.0)))


def _school_criteria(
    city: CityInput, applicant: np.ndarray, program: np.ndarray
) -> dict[str, np.ndarray]:
    programs, applicants = city.programs, city.applicants
    schools = pd.Index(np.unique(programs.school_id))
    n_schools = len(schools)
    pair_school = schools.get_indexer(programs.school_id)[program]
    # IDs become numbers once per applicant; pairs compare numbers.
    current = schools.get_indexer(applicants.current_school_id)[applicant]
    staff = schools.get_indexer(applicants.staff_school_id)[applicant]

    owner, sibling_school = _flatten(applicants.sibling_school_ids)
    sibling_code = schools.get_indexer(sibling_school)
    sibling_keys = np.unique(owner[sibling_code >= 0] * n_schools + sibling_code[sibling_code >= 0])
    # Only the pairs of applicants with a sibling at some school need looking up.
    has_sibling = np.zeros(len(applicants), dtype=bool)
    has_sibling[owner[sibling_code >= 0]] = True
    sibling = has_sibling[applicant]
    where = np.flatnonzero(sibling)
    sibling[where] = contains_sorted(
        sibling_keys, applicant[where] * n_schools + pair_school[where]
    )

    zones = pd.Index(sorted({z for served in programs.zones for z in served}))
    server, served_zone = _flatten(programs.zones)
    pair_zone = zones.get_indexer(applicants.zone)[applicant]
    served_code = zones.get_indexer(served_zone)
    if len(programs) * (len(zones) + 1) <= ZONE_TABLE_CELLS:
        # Whether program p serves zone z, as a table; its last column, "no zone" (-1),
        # is False.
        serves = np.zeros((len(programs), len(zones) + 1), dtype=bool)
        serves[server, served_code] = True
        zone = serves[program, pair_zone]
    else:
        n_zones = max(len(zones), 1)
        served_keys = np.unique(server * n_zones + served_code)
        zone = (pair_zone >= 0) & contains_sorted(served_keys, program * n_zones + pair_zone)
    return {
        "continuing": current == pair_school,
        "staff": staff == pair_school,
        "sibling": sibling,
        "zone": zone,
    }


ZONE_TABLE_CELLS = 50_000_000
"""Up to this many (program, zone) cells, zone priority is looked up in a table."""


def _flatten(lists: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """(row index, item) for every item of a list-valued column."""
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    items = np.fromiter(
        itertools.chain.from_iterable(lists), dtype=object, count=int(lengths.sum())
    )
    return np.repeat(np.arange(len(lists), dtype=np.int64), lengths), items


def _lottery(city: CityInput, seed: str | None, applicant: np.ndarray, program: np.ndarray, linked):
    """Tie-break mode; own and family number per pair; the same per applicant (None if
    numbers are per program). An applicant outside a linked family stands at their own
    number."""
    tiebreak, own, applicant_own = _own_numbers(city, seed, applicant, program)
    family_ids = city.applicants.family_id
    if not linked.any():
        return tiebreak, own, own, applicant_own, applicant_own
    pair_linked = linked[applicant]
    family = own.copy()
    applicant_family = None if applicant_own is None else applicant_own.copy()
    if city.external_lottery is None:
        members = np.flatnonzero(linked)
        if applicant_family is not None:
            applicant_family[members] = lottery_numbers(
                seed, [f"{FAMILY_PREFIX}{f}" for f in family_ids[members].tolist()]
            )
            family = applicant_family[applicant]
        else:
            where = np.flatnonzero(pair_linked)
            program_ids = city.programs.id
            families, programs = family_ids.tolist(), program_ids.tolist()
            family[where] = lottery_numbers(
                seed,
                (
                    f"{FAMILY_PREFIX}{families[a]}|{programs[p]}"
                    for a, p in zip(applicant[where].tolist(), program[where].tolist(), strict=True)
                ),
            )
        return tiebreak, own, family, applicant_own, applicant_family
    # Numbers from lottery.csv: the family stands at its best (lowest) member's number.
    families = pd.Index(np.unique(family_ids[linked]))
    code = np.where(linked, families.get_indexer(family_ids), -1)
    if applicant_family is not None:
        lowest = pd.Series(applicant_own[linked]).groupby(code[linked]).min()
        applicant_family[linked] = lowest.loc[code[linked]].to_numpy(dtype=np.uint64)
        return tiebreak, own, applicant_family[applicant], applicant_own, applicant_family
    where = np.flatnonzero(pair_linked)
    group = pd.DataFrame({"f": code[applicant[where]], "p": program[where], "n": own[where]})
    family[where] = group.groupby(["f", "p"])["n"].transform("min").to_numpy(dtype=np.uint64)
    return tiebreak, own, family, applicant_own, applicant_family


def _own_numbers(city: CityInput, seed: str | None, applicant: np.ndarray, program: np.ndarray):
    """Tie-break mode, each applicant's own number per pair, and per applicant (or None)."""
    applicant_ids = city.applicants.id
    external = city.external_lottery
    if external is None:
        if city.policy.lottery.tiebreak == "single":
            numbers = lottery_numbers(seed, applicant_ids.tolist())
            return "single", numbers[applicant], numbers
        applicants, programs = applicant_ids.tolist(), city.programs.id.tolist()
        names = (
            f"{applicants[a]}|{programs[p]}"
            for a, p in zip(applicant.tolist(), program.tolist(), strict=True)
        )
        return "multiple", lottery_numbers(seed, names), None

    n_applicants = len(applicant_ids)
    # An unranked guaranteed program may have no number; its priority makes that moot.
    default = np.full(n_applicants, np.iinfo(np.uint64).max, dtype=np.uint64)
    wide = external.program < 0
    default[external.applicant[wide]] = external.number[wide]
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
