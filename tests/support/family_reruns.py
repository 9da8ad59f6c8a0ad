"""Linked families' reruns as they were first written (before issue 15): every run's
priorities, membership and program orders rebuilt and every run matched from scratch.
The reference the quick reruns of ``lottery.seat_policy`` are held to
(tests/engine/test_family_reruns_fast.py) and timed against (benchmarks/market.py).
"""

from __future__ import annotations

import numpy as np

from lottery.market import (
    criteria_met,
    needed_criteria,
    offered_family_schools,
    with_family_offers,
)
from lottery.policy import SIBLING_OFFERED
from lottery.seat_policy import FamilyOutcome


def rebuilding_every_run(city, market):
    """match_with_families as it was first written: every run rebuilt and matched anew."""
    placed = market.place()
    uses_offers = SIBLING_OFFERED in city.policy.criteria() | set(market.categories)
    if not uses_offers or not market.linked.any():
        return market, placed, FamilyOutcome(1, True, ())
    limit = city.policy.families.max_iterations
    settled = needed_criteria(city, market) - {SIBLING_OFFERED}
    known = criteria_met(
        city, market, market.choice_applicant, market.choice_program, settled, placed
    )
    previous = placed
    moving = np.zeros(len(placed), dtype=bool)
    for iteration in range(2, limit + 1):
        offers = offered_family_schools(city, market, placed)
        exact = bool((previous == placed).all())
        if not exact:
            offers |= offered_family_schools(city, market, previous)
        market = with_family_offers(city, market, placed, {**known, SIBLING_OFFERED: offers})
        again = market.place()
        changed = again != placed
        previous, placed = placed, again
        if exact and not changed.any():
            return market, placed, FamilyOutcome(iteration, True, ())
        if changed.any():
            moving = changed & market.linked
    families = city.applicants.family_id[moving]
    return market, placed, FamilyOutcome(limit, False, tuple(sorted(set(families.tolist()))))
