"""The steps around deferred acceptance: linked families, reserved-seat labels and the
zone guarantee (administrative assignment). See docs/seat-policy.md.

Everything here works on the market's arrays; nothing reads or writes files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lottery.city import CityInput
from lottery.market import Market, family_offers
from lottery.matching import NOT_CHOSEN, OPEN_SLOT, UNPLACED, fill_slots
from lottery.numbers import lottery_numbers, lottery_ranks
from lottery.policy import SIBLING_OFFERED


@dataclass(frozen=True)
class FamilyOutcome:
    """How the ``sibling_offered`` reruns went."""

    iterations: int
    converged: bool
    unsettled: tuple[str, ...]  # family IDs whose placements still changed at the cap


def match_with_families(
    city: CityInput, market: Market
) -> tuple[Market, np.ndarray, FamilyOutcome]:
    """Deferred acceptance, rerun until ``sibling_offered`` and placements agree.

    Without ``sibling_offered`` in the policy (or without linked families) this is one
    run. Otherwise each run takes ``sibling_offered`` from the previous run's placements;
    where the two runs before it differ, from either of them. Twins who are each given
    priority where the other was would otherwise swap schools forever; with both
    schools open to both, they end up together. The result is accepted when a run whose
    ``sibling_offered`` comes from the final placements alone changes nothing. After
    ``families.max_iterations`` runs the last result is kept, naming the families still
    changing.

    Each run gives what a match from scratch would, but costs little more than the
    linked applicants' part: only their pairs change priority (reordered program by
    program in :class:`lottery.market.FamilyOffers`), so the others propose once, and
    each run lets the linked applicants propose from that point.
    """
    uses_offers = SIBLING_OFFERED in city.policy.criteria() | set(market.categories)
    if not uses_offers or not market.linked.any():
        return market, market.place(), FamilyOutcome(1, True, ())
    limit = city.policy.families.max_iterations
    # Only the linked applicants' pairs change from one run to the next, so everyone
    # else proposes once, and each run goes on from there (the outcome of deferred
    # acceptance does not depend on who proposes first).
    others_proposed = market.propose(applicants=np.flatnonzero(~market.linked))
    placed = market.propose(others_proposed).placed
    offers = family_offers(city, market)
    previous = placed
    # The linked applicants whose placement changed in the last run that changed any: the
    # families named if the cap is reached (the very last run may have changed nothing
    # and still not confirm the result, its offers being taken from two runs).
    moving = np.zeros(len(placed), dtype=bool)
    for iteration in range(2, limit + 1):
        offered = offers.offered(placed)
        exact = bool((previous == placed).all())
        if not exact:
            offered |= offers.offered(previous)
        offers = offers.with_offers(offered)
        market = offers.market
        again = market.propose(others_proposed).placed
        changed = again != placed
        previous, placed = placed, again
        if exact and not changed.any():
            return market, placed, FamilyOutcome(iteration, True, ())
        if changed.any():
            moving = changed & market.linked
    families = city.applicants.family_id[moving]
    return market, placed, FamilyOutcome(limit, False, tuple(sorted(set(families.tolist()))))


OPEN_LABEL = "open"


@dataclass(frozen=True, eq=False)
class Seats:
    """Which seat each admitted applicant holds, and what is left after the match.

    ``category``: per applicant, the reserve category whose seat they hold, ``"open"``,
    or ``""`` (unplaced). A reserved seat taken by someone outside the category (an
    unfilled seat that went to everyone else, or a guarantee) counts as open.
    ``free``: per program, seats still available to anyone: with ``unfilled = "empty"``,
    reserved seats no member took are not.
    """

    category: np.ndarray
    free: np.ndarray


def assign_seats(market: Market, placed_pair: np.ndarray) -> Seats:
    """Give every admitted applicant a seat, as the program's slots did in the match."""
    labels = np.where(placed_pair != UNPLACED, OPEN_LABEL, "").astype(object)
    admitted_programs = market.choice_program[placed_pair[placed_pair != UNPLACED]]
    free = market.capacity - np.bincount(admitted_programs, minlength=market.n_programs)
    slots = market.slots
    if slots is None:
        return Seats(labels, free)
    member = np.where(market.choice_guaranteed, np.int64(-1), market.choice_member)
    admitted = np.flatnonzero(placed_pair != UNPLACED)
    pairs = placed_pair[admitted]
    program = market.choice_program[pairs]
    order = np.lexsort((market.choice_rank[pairs], program))
    admitted, pairs, program = admitted[order], pairs[order], program[order]
    bounds = np.searchsorted(program, np.arange(market.n_programs + 1))
    for p in np.flatnonzero(np.diff(slots.run_offsets) > 0).tolist():
        held = pairs[bounds[p] : bounds[p + 1]]
        slot_of = np.empty(len(held), dtype=np.int64)
        fill_slots(
            held,
            member,
            slots.run_offsets[p],
            slots.run_offsets[p + 1],
            slots.run_category,
            slots.run_count,
            slots.unfilled_open,
            slot_of,
        )
        if (slot_of == NOT_CHOSEN).any():
            raise AssertionError("a program with reserves holds an applicant it would not choose")
        for i, category in enumerate(slot_of.tolist()):
            if category != OPEN_SLOT and market.choice_member[held[i]] >> category & 1:
                labels[admitted[bounds[p] + i]] = market.categories[category]
        if not slots.unfilled_open:
            runs = slice(slots.run_offsets[p], slots.run_offsets[p + 1])
            open_seats = int(slots.run_count[runs][slots.run_category[runs] == OPEN_SLOT].sum())
            free[p] = open_seats - int((slot_of == OPEN_SLOT).sum())
    return Seats(labels, free)


@dataclass(frozen=True, eq=False)
class Administrative:
    """The zone guarantee's result: a program index per applicant (-1 if none), and the
    applicants it was owed to but could not serve (indices, in lottery order)."""

    program: np.ndarray
    unserved: np.ndarray


def administrative_assignment(city: CityInput, market: Market, seats: Seats) -> Administrative:
    """Assign unplaced applicants of guaranteed zones to programs with open seats.

    In lottery order, each applicant whose zone a program of their grade lists in
    ``administrative_zones`` (and who does not refuse it) gets, among such programs
    that accept them and still have a free seat (``seats.free``), the one they ranked
    highest, else the one with most free seats (ties: lowest program_id).
    """
    programs, applicants = city.programs, city.applicants
    n_applicants = len(applicants)
    assigned = np.full(n_applicants, -1, dtype=np.int64)
    serving: dict[tuple[str, str], list[int]] = {}
    for p, zones in enumerate(programs.administrative_zones):
        for zone in zones:
            serving.setdefault((programs.grade[p], zone), []).append(p)
    if not serving:
        return Administrative(assigned, np.zeros(0, dtype=np.int64))
    open_seats = seats.free.copy()
    owed = [
        a
        for a in np.flatnonzero((seats.category == "") & applicants.accepts_administrative).tolist()
        if (applicants.grade[a], applicants.zone[a]) in serving
    ]
    if owed:  # the order may hash every applicant's ID: only when someone is owed a seat
        order = administrative_order(city, market)
        owed.sort(key=order.__getitem__)
    required = programs.requires_tags
    unserved = []
    for a in owed:
        tags = set(applicants.tags[a])
        candidates = [
            p
            for p in serving[(applicants.grade[a], applicants.zone[a])]
            if open_seats[p] > 0 and set(required[p]) <= tags
        ]
        if not candidates:
            unserved.append(a)
            continue
        ranked = market.choice_program[market.choice_offsets[a] : market.choice_offsets[a + 1]]
        preferred = [p for p in ranked.tolist() if p in candidates]
        chosen = preferred[0] if preferred else min(candidates, key=lambda p: (-open_seats[p], p))
        assigned[a] = chosen
        open_seats[chosen] -= 1
    return Administrative(assigned, np.array(unserved, dtype=np.int64))


def administrative_order(city: CityInput, market: Market) -> np.ndarray:
    """Lottery rank of each applicant for the zone guarantee (1 first).

    The single tie-break order where there is one; otherwise the applicant-wide number
    ``sha256("{seed}|{applicant_id}")``, or lottery.csv's applicant-wide rows (applicants
    without one last, in applicant_id order). In a later round with the lottery reversed
    (``city.lottery_reversed``), this order too is reversed, as the single one is.
    """
    if market.applicant_lottery_rank is not None:
        return market.applicant_lottery_rank  # reversed already, if it must be
    ids = city.applicants.id
    if city.external_lottery is None:
        ranks = lottery_ranks(lottery_numbers(market.seed, ids.tolist()))
    else:
        external = city.external_lottery
        numbers = np.full(len(ids), np.iinfo(np.uint64).max, dtype=np.uint64)
        wide = external.program < 0
        numbers[external.applicant[wide]] = external.number[wide]
        ranks = lottery_ranks(numbers)
    return len(ids) + 1 - ranks if city.lottery_reversed else ranks
