"""Deferred acceptance in groups (``deferred_acceptance_from``) gives the same matching
as one run, also when the applicants who have not proposed yet change priority.

The reruns for linked families rely on it (``lottery.seat_policy.match_with_families``):
everyone outside a family proposes once, and each run lets the families propose from
there with their new priorities.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.program_orders import program_order
from support.strategies import reserve_kernel_arrays, reserve_markets, uniform_reserve_markets

from lottery.errors import MatchingError
from lottery.matching import deferred_acceptance, deferred_acceptance_from

ANY_MARKET = st.one_of(reserve_markets(), uniform_reserve_markets())


def kwargs(arrays, **changes):
    """The matcher's keyword arguments, with some replaced."""
    return {**arrays.matcher_kwargs(), **changes}


@settings(max_examples=200, deadline=None)
@given(ANY_MARKET, st.data())
def test_proposing_in_groups_gives_the_matching_of_one_run(market, data):
    arrays = reserve_kernel_arrays(market)
    n_applicants = market.market.n_applicants
    group = data.draw(st.lists(st.integers(0, max(n_applicants - 1, 0)), unique=True))
    group = [a for a in group if a < n_applicants]
    first = deferred_acceptance_from(None, **kwargs(arrays), proposers=np.array(group, int))
    everyone = deferred_acceptance_from(first, **kwargs(arrays))
    assert everyone.proposed.all()
    assert (everyone.placed == deferred_acceptance(**arrays.matcher_kwargs())).all()


@settings(max_examples=300, deadline=None)
@given(ANY_MARKET, st.data())
def test_those_who_propose_later_may_change_priority_and_membership(market, data):
    arrays = reserve_kernel_arrays(market)
    a = arrays.arrays
    n_applicants = market.market.n_applicants
    later = np.array(
        data.draw(st.lists(st.booleans(), min_size=n_applicants, max_size=n_applicants))
    )
    later = later.astype(bool) if n_applicants else np.zeros(0, dtype=bool)
    later_pairs = later[a.choice_applicant] if len(a.choice_applicant) else np.zeros(0, bool)
    n_later = int(later_pairs.sum())
    priority = a.choice_priority.copy()
    priority[later_pairs] = data.draw(
        st.lists(st.integers(0, 3), min_size=n_later, max_size=n_later)
    )
    member = arrays.choice_member.copy()
    member[later_pairs] = data.draw(st.lists(st.integers(0, 7), min_size=n_later, max_size=n_later))
    ranks = program_order(
        a.choice_program, priority, a.choice_lottery, a.choice_applicant, len(a.capacity)
    )
    changed = kwargs(arrays, choice_rank=ranks, choice_member=member)

    before = deferred_acceptance_from(None, **kwargs(arrays), proposers=np.flatnonzero(~later))
    kept = {
        name: getattr(before, name).copy() for name in ("placed", "heap_applicant", "heap_size")
    }
    after = deferred_acceptance_from(before, **changed)
    assert (after.placed == deferred_acceptance(**changed)).all()
    for name, value in kept.items():  # the partial match is not changed
        assert (getattr(before, name) == value).all()


def test_an_applicant_cannot_propose_twice():
    market = {
        "choice_offsets": np.array([0, 1, 2]),
        "choice_program": np.array([0, 0]),
        "choice_rank": np.array([0, 1]),
        "capacity": np.array([1]),
    }
    first = deferred_acceptance_from(None, **market, proposers=np.array([1]))
    with pytest.raises(MatchingError, match="has not proposed yet"):
        deferred_acceptance_from(first, **market, proposers=np.array([1]))
    assert deferred_acceptance_from(first, **market).placed.tolist() == [0, -1]
