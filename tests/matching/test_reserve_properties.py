"""Properties of the matcher with reserves, eligibility and membership, on random markets.

Programs with reserves choose with slot-specific priorities (docs/seat-policy.md,
"Reserved seats"; Kominers & Sonmez 2016, "Matching with slot-specific priorities",
Theoretical Economics 11(2); Dur, Kominers, Pathak & Sonmez 2018, "Reserve Design",
Journal of Political Economy 126(6)). Every test draws markets from
``tests/support/strategies.py`` (:func:`reserve_markets`, and seeded uniform ones that are more
crowded) and checks the kernel with the plain-Python reference in ``tests/support/reference.py``,
which shares no code with it.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from itertools import permutations, product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.reference import (
    all_stable_matchings,
    assign_slots,
    assigned,
    blocking_pairs,
    blocking_pairs_with_choice,
    is_stable_with_choice,
    over_capacity,
    prefers,
    reference_deferred_acceptance,
    unchosen_placements,
    unranked_placements,
)
from support.strategies import (
    OPEN_RUN,
    ReserveMarket,
    placements,
    reference_market,
    reserve_kernel_arrays,
    reserve_markets,
    reserve_reference_market,
    tiny_markets,
    uniform_reserve_markets,
)

from lottery.errors import MatchingError
from lottery.matching import UNPLACED, SlotPlan, deferred_acceptance

MANY = settings(max_examples=100, deadline=None)
FEW = settings(max_examples=40, deadline=None)

ANY_MARKET = st.one_of(reserve_markets(), uniform_reserve_markets())
# Lists of at most 3 programs, for brute force over misreports.
SMALL_MARKET = uniform_reserve_markets(
    min_applicants=3, max_applicants=6, min_programs=2, max_programs=4, max_list=3, crowded=True
)
# At most 5 applicants and 4 programs, for brute force over all matchings.
TINY_MARKET = uniform_reserve_markets(
    min_applicants=3, max_applicants=5, min_programs=2, max_programs=4, max_list=4, crowded=True
)


def run_kernel(market: ReserveMarket) -> dict[int, int | None]:
    arrays = reserve_kernel_arrays(market)
    return placements(arrays.arrays, deferred_acceptance(**arrays.matcher_kwargs()))


@MANY
@given(ANY_MARKET)
def test_kernel_equals_reference_deferred_acceptance_with_slot_choice(market):
    assert run_kernel(market) == reference_deferred_acceptance(*reserve_reference_market(market))


@MANY
@given(ANY_MARKET)
def test_placements_have_no_blocking_pair_under_slot_choice(market):
    """No applicant prefers a program (where they are eligible) that would choose them
    from the applicants placed there plus them: neither justified envy nor a slot left
    free for them."""
    preferences, ranking, capacity, choice = reserve_reference_market(market)
    matching = run_kernel(market)
    assert blocking_pairs_with_choice(matching, preferences, ranking, capacity, choice) == []


@MANY
@given(ANY_MARKET)
def test_each_program_would_choose_exactly_the_applicants_placed_there(market):
    """C_p(mu(p)) == mu(p): seats are not exceeded, and refilling the slots from the
    placed applicants alone gives every one of them a slot. Without ``unfilled_open`` no
    reserved slot goes to a non-member, so non-members fit in the open slots."""
    preferences, ranking, capacity, choice = reserve_reference_market(market)
    matching = run_kernel(market)
    assert over_capacity(matching, capacity) == {}
    assert unranked_placements(matching, preferences) == {}
    assert unchosen_placements(matching, ranking, capacity, choice) == {}
    for program, runs in enumerate(market.runs):
        if not runs:
            continue
        placed = [a for a in ranking[program] if matching[a] == program]
        slots = [None if c == OPEN_RUN else c for c, n in runs for _ in range(n)]
        members = {
            (a, bit)
            for a, p, _, _, mask, _ in market.pairs()
            if p == program
            for bit in range(63)
            if mask >> bit & 1
        }
        filled = assign_slots(placed, slots, partial(in_pairs, members), market.unfilled_open)
        assert sorted(a for _, a in filled if a is not None) == sorted(placed)
        if not market.unfilled_open:
            for category, taker in filled:
                assert category is None or taker is None or (taker, category) in members
            non_members = [a for a in placed if not any((a, c) in members for c in slots)]
            assert len(non_members) <= slots.count(None)


def in_pairs(members: set[tuple[int, int]], applicant: int, category: int) -> bool:
    return (applicant, category) in members


@MANY
@given(ANY_MARKET)
def test_ineligible_pairs_are_never_placed(market):
    arrays = reserve_kernel_arrays(market)
    placed = deferred_acceptance(**arrays.matcher_kwargs())
    assert placed.dtype == np.int64 and placed.shape == (market.n_applicants,)
    offsets = arrays.arrays.choice_offsets
    for applicant, pair in enumerate(placed.tolist()):
        if pair != UNPLACED:
            assert offsets[applicant] <= pair < offsets[applicant + 1]
            assert arrays.choice_eligible[pair], (applicant, pair)


@MANY
@given(ANY_MARKET)
def test_reserves_without_members_change_nothing_when_unfilled_seats_open(market):
    """Nobody is a member and unfilled reserved seats go to anyone: every slot takes the
    best applicant left, which is the plain choice of the best ``capacity``."""
    market = market.without_members()
    with_slots = reserve_kernel_arrays(replace(market, unfilled_open=True)).matcher_kwargs()
    plain = dict(with_slots, slots=None, choice_member=None)
    np.testing.assert_array_equal(deferred_acceptance(**with_slots), deferred_acceptance(**plain))
    no_runs = reserve_kernel_arrays(market.without_reserves()).matcher_kwargs()
    np.testing.assert_array_equal(deferred_acceptance(**no_runs), deferred_acceptance(**plain))


@settings(max_examples=100, deadline=None)
@given(st.one_of(SMALL_MARKET, uniform_reserve_markets(max_applicants=8, max_list=3)))
def test_no_applicant_gains_by_reordering_or_shortening_their_list(market):
    """Strategy-proofness (Kominers & Sonmez 2016, Theorem 2), by brute force: for every
    applicant, no ordering of any subset of their list (at most 3 programs) places them
    at a program they truly prefer to what ranking honestly gets them."""
    truthful = run_kernel(market)
    preferences = {a: list(ps) for a, ps in enumerate(market.market.preferences)}
    for applicant, programs in preferences.items():
        for size in range(len(programs) + 1):
            for report in permutations(programs, size):
                got = run_kernel(market.with_list(applicant, report))[applicant]
                assert not (
                    got is not None and prefers(preferences, applicant, got, truthful[applicant])
                ), (applicant, report, got, truthful[applicant])


@settings(max_examples=100, deadline=None)
@given(TINY_MARKET)
def test_placements_are_applicant_optimal_among_stable_matchings(market):
    """Among all matchings stable under slot-specific choice (brute force), every
    applicant weakly prefers the kernel's placement (Kominers & Sonmez 2016, Theorem 1)."""
    preferences, ranking, capacity, choice = reserve_reference_market(market)
    matching = run_kernel(market)
    stable = list(all_stable_matchings(preferences, ranking, capacity, choice))
    assert matching in stable
    for other in stable:
        better_off_there = [
            a for a, p in other.items() if p is not None and prefers(preferences, a, p, matching[a])
        ]
        assert better_off_there == [], other


@MANY
@given(ANY_MARKET)
def test_reference_placements_are_stable_under_slot_choice(market):
    """The reference passes the checks it is used for (guards the guard)."""
    preferences, ranking, capacity, choice = reserve_reference_market(market)
    matching = reference_deferred_acceptance(preferences, ranking, capacity, choice)
    assert is_stable_with_choice(matching, preferences, ranking, capacity, choice)


@FEW
@given(tiny_markets())
def test_choice_blocking_pairs_without_choice_are_the_plain_blocking_pairs(market):
    """With the plain choice (best ``capacity``), a blocking pair under choice functions
    is exactly a wasted seat or justified envy, for every matching within capacity."""
    preferences, ranking, capacity = reference_market(market)
    applicants = list(preferences)
    for placement in product(*([None, *preferences[a]] for a in applicants)):
        matching = dict(zip(applicants, placement, strict=True))
        if over_capacity(matching, capacity):
            continue
        plain = blocking_pairs(matching, preferences, ranking, capacity)
        assert blocking_pairs_with_choice(matching, preferences, ranking, capacity) == plain


@FEW
@given(ANY_MARKET)
def test_kernel_does_not_mutate_reserve_inputs(market):
    kwargs = reserve_kernel_arrays(market).matcher_kwargs()
    slots = kwargs["slots"]
    arrays = {k: v for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    arrays |= {"run_" + k: getattr(slots, "run_" + k) for k in ("offsets", "category", "count")}
    before = {k: v.copy() for k, v in arrays.items()}
    deferred_acceptance(**kwargs)
    for name, original in before.items():
        np.testing.assert_array_equal(original, arrays[name], err_msg=name)
        assert original.dtype == arrays[name].dtype


def test_slot_runs_must_add_up_to_the_capacity():
    offsets = np.array([0, 1, 2])
    program = np.array([0, 0])
    rank = np.array([0, 1])
    bad = SlotPlan(np.array([0, 2]), np.array([0, OPEN_RUN]), np.array([1, 2]), True)
    with pytest.raises(MatchingError, match="add up to its capacity"):
        deferred_acceptance(offsets, program, rank, np.array([2]), slots=bad)
    good = SlotPlan(np.array([0, 2]), np.array([0, OPEN_RUN]), np.array([1, 1]), True)
    placed = deferred_acceptance(offsets, program, rank, np.array([2]), slots=good)
    assert placed.tolist() == [0, 1]


def test_programs_without_runs_next_to_programs_with_runs_keep_their_plain_order():
    """Program 0 has no runs (2 seats, plain order), program 1 one reserved seat for
    category 0 (``unfilled_open`` False). Applicants 0, 1, 2 rank 0 then 1; program 0
    prefers 2, 1, 0, program 1 prefers 0, 1, 2, and only applicant 1 is a member there."""
    offsets = np.array([0, 2, 4, 6])
    program = np.array([0, 1, 0, 1, 0, 1])
    rank = np.array([2, 0, 1, 1, 0, 2])
    member = np.array([0, 0, 0, 1, 0, 0])
    slots = SlotPlan(np.array([0, 0, 1]), np.array([0]), np.array([1]), False)
    placed = deferred_acceptance(
        offsets, program, rank, np.array([2, 1]), slots=slots, choice_member=member
    )
    # Program 0 keeps 2 and 1; applicant 0 goes to program 1, whose only seat is reserved
    # and applicant 0 is no member there: unplaced.
    assert placed.tolist() == [UNPLACED, 2, 4]
    assigned_to = {a: None if p == UNPLACED else int(program[p]) for a, p in enumerate(placed)}
    assert assigned(assigned_to, 0) == [1, 2]
