"""Properties of the matcher (``lottery.matching``) on random markets.

Every test draws markets from ``tests/support/strategies.py`` and checks the kernel's answer with
the plain-Python reference in ``tests/support/reference.py``, which shares no code with it.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from support.program_orders import program_order
from support.reference import (
    all_stable_matchings,
    blocking_pairs,
    justified_envy,
    over_capacity,
    prefers,
    reference_deferred_acceptance,
    unranked_placements,
    wasted_seats,
)
from support.strategies import (
    Market,
    kernel_arrays,
    markets,
    placements,
    reference_market,
    tiny_markets,
)

from lottery.matching import UNPLACED, deferred_acceptance

MANY = settings(max_examples=200, deadline=None)
FEW = settings(max_examples=100, deadline=None)


def run_kernel(market: Market) -> dict[int, int | None]:
    arrays = kernel_arrays(market)
    return placements(arrays, deferred_acceptance(*arrays.matcher_inputs()))


@MANY
@given(markets())
def test_placements_are_stable(market):
    preferences, ranking, capacity = reference_market(market)
    matching = run_kernel(market)
    assert justified_envy(matching, preferences, ranking) == []
    assert blocking_pairs(matching, preferences, ranking, capacity) == []


@MANY
@given(markets())
def test_no_seat_is_wasted(market):
    preferences, ranking, capacity = reference_market(market)
    assert wasted_seats(run_kernel(market), preferences, ranking, capacity) == []


@MANY
@given(markets())
def test_capacity_is_never_exceeded(market):
    assert over_capacity(run_kernel(market), dict(enumerate(market.capacity))) == {}


@MANY
@given(markets())
def test_every_applicant_is_placed_at_most_once_and_only_at_a_ranked_program(market):
    arrays = kernel_arrays(market)
    placed = deferred_acceptance(*arrays.matcher_inputs())
    assert placed.dtype == np.int64
    assert placed.shape == (market.n_applicants,)
    for applicant, pair in enumerate(placed.tolist()):
        first, end = arrays.choice_offsets[applicant], arrays.choice_offsets[applicant + 1]
        assert pair == UNPLACED or first <= pair < end, (applicant, pair)
    used = placed[placed != UNPLACED]
    assert len(np.unique(used)) == len(used)
    preferences, _, _ = reference_market(market)
    assert unranked_placements(placements(arrays, placed), preferences) == {}


@MANY
@given(markets())
def test_kernel_equals_reference_deferred_acceptance(market):
    assert run_kernel(market) == reference_deferred_acceptance(*reference_market(market))


@MANY
@given(markets())
def test_reference_placements_are_stable(market):
    """The reference itself passes the checks it is used for (guards the guard)."""
    preferences, ranking, capacity = reference_market(market)
    matching = reference_deferred_acceptance(preferences, ranking, capacity)
    assert blocking_pairs(matching, preferences, ranking, capacity) == []
    assert over_capacity(matching, capacity) == {}
    assert unranked_placements(matching, preferences) == {}


@FEW
@given(markets())
def test_kernel_does_not_mutate_inputs(market):
    arrays = kernel_arrays(market)
    inputs = arrays.matcher_inputs()
    before = [a.copy() for a in inputs]
    deferred_acceptance(*inputs)
    for original, after in zip(before, inputs, strict=True):
        np.testing.assert_array_equal(original, after)
        assert original.dtype == after.dtype

    order_inputs = (
        arrays.choice_program,
        arrays.choice_priority,
        arrays.choice_lottery,
        arrays.choice_applicant,
    )
    before = [a.copy() for a in order_inputs]
    program_order(*order_inputs, market.n_programs)
    for original, after in zip(before, order_inputs, strict=True):
        np.testing.assert_array_equal(original, after)


@FEW
@given(markets(), st.sampled_from([np.int32, np.uint32, np.int64]))
def test_integer_dtype_of_inputs_does_not_change_placements(market, dtype):
    arrays = kernel_arrays(market)
    expected = deferred_acceptance(*arrays.matcher_inputs())
    converted = [a.astype(dtype) for a in arrays.matcher_inputs()]
    np.testing.assert_array_equal(deferred_acceptance(*converted), expected)


@MANY
@given(markets(), st.randoms(use_true_random=False))
def test_applicant_order_in_arrays_does_not_change_placements(market, rng):
    """Moving applicants (with their choices and program positions) to other indices
    only moves their placements: the order in which applicants propose is irrelevant."""
    arrays = kernel_arrays(market)
    order = list(range(market.n_applicants))
    rng.shuffle(order)
    offsets = arrays.choice_offsets
    pair_order = np.array(
        [pair for a in order for pair in range(offsets[a], offsets[a + 1])], dtype=np.int64
    )
    lengths = np.diff(offsets)[order] if order else np.zeros(0, dtype=np.int64)
    new_offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    placed = deferred_acceptance(
        new_offsets,
        arrays.choice_program[pair_order],
        arrays.choice_rank[pair_order],
        arrays.capacity,
    )
    moved = {
        order[i]: None if pair == UNPLACED else int(arrays.choice_program[pair_order][pair])
        for i, pair in enumerate(placed.tolist())
    }
    assert moved == run_kernel(market)


@FEW
@given(markets(), st.randoms(use_true_random=False))
def test_program_order_in_arrays_does_not_change_placements(market, rng):
    """Renumbering programs (capacities move with them) only renames placements."""
    arrays = kernel_arrays(market)
    new_index = list(range(market.n_programs))
    rng.shuffle(new_index)
    capacity = np.empty_like(arrays.capacity)
    capacity[new_index] = arrays.capacity
    programs = np.array(new_index, dtype=np.int64)[arrays.choice_program]
    placed = deferred_acceptance(arrays.choice_offsets, programs, arrays.choice_rank, capacity)
    old_index = {new: old for old, new in enumerate(new_index)}
    renamed = {
        a: None if pair == UNPLACED else old_index[int(programs[pair])]
        for a, pair in enumerate(placed.tolist())
    }
    assert renamed == run_kernel(market)


@settings(max_examples=150, deadline=None)
@given(tiny_markets())
def test_placements_are_applicant_optimal(market):
    """Among all stable matchings (found by brute force), every applicant weakly prefers
    the kernel's placement to the one they get in any other (Gale & Shapley 1962,
    Theorem 2)."""
    preferences, ranking, capacity = reference_market(market)
    matching = run_kernel(market)
    stable = list(all_stable_matchings(preferences, ranking, capacity))
    assert matching in stable
    for other in stable:
        better_off_there = [
            a for a, p in other.items() if p is not None and prefers(preferences, a, p, matching[a])
        ]
        assert better_off_there == [], other


@MANY
@given(markets())
def test_program_order_is_a_strict_order_by_priority_lottery_then_applicant(market):
    arrays = kernel_arrays(market)
    ranks = arrays.choice_rank
    assert ranks.dtype == np.int64
    for program in range(market.n_programs):
        pairs = np.flatnonzero(arrays.choice_program == program)
        assert sorted(ranks[pairs].tolist()) == list(range(len(pairs)))
        by_rank = [int(a) for a in arrays.choice_applicant[pairs[np.argsort(ranks[pairs])]]]
        expected = sorted(
            (priority, number, a) for a, p, priority, number in market.pairs() if p == program
        )
        assert by_rank == [a for _, _, a in expected]


def test_program_order_breaks_equal_lottery_numbers_by_applicant_index():
    """Equal priority and equal lottery number: the lower applicant index comes first,
    also for numbers above 2**63 (they must compare as unsigned)."""
    big = np.uint64(2**64 - 1)
    ranks = program_order(
        choice_program=np.array([0, 0, 0, 0]),
        choice_priority=np.array([1, 1, 1, 1]),
        choice_lottery=np.array([big, big, np.uint64(2**63), np.uint64(5)], dtype=np.uint64),
        choice_applicant=np.array([3, 1, 2, 0]),
        n_programs=1,
    )
    assert ranks.tolist() == [3, 2, 1, 0]


def test_empty_market_places_nobody():
    placed = deferred_acceptance(
        np.zeros(1, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        np.array([2]),
    )
    assert placed.tolist() == []
