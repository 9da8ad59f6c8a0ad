"""Rules ``justified-envy`` and ``waste``: the placement is stable.

The stability conditions of Gale & Shapley 1962, in the school-choice form of
Abdulkadiroglu & Sonmez 2003, and with slot-specific priorities at programs with
reserves (Kominers & Sonmez 2016), checked for every program an applicant may be
considered at and ranked above their placement.
"""

from __future__ import annotations

import numpy as np

from lottery.audit.verify.evidence import Inputs
from lottery.audit.verify.findings import Findings
from lottery.audit.verify.order import OrderKey
from lottery.audit.verify.placements import Placement, admitted_pairs
from lottery.audit.verify.seat_policy import Memberships, admitted_in_order, fill_slots
from lottery.io.outputs import OPEN_SEAT


def check_stability(
    inputs: Inputs, placement: Placement, memberships: Memberships, findings: Findings
) -> None:
    """No justified envy and no waste (Abdulkadiroglu & Sonmez 2003, Definition 1).

    For every program an applicant may be considered at and ranked above their
    placement: a program without reserves must be full, and everyone it admitted must
    come before the applicant in its order (it is enough to compare with the admitted
    applicant it orders last). A program with reserves, choosing slot by slot from the
    applicants it admitted plus this one, must not take them (Kominers & Sonmez 2016).
    """
    order = memberships.order
    pairs = order.pairs
    preferred = placement.preferred_mask
    count = int(np.count_nonzero(preferred))
    if count:
        findings.checks["preferred_pairs"] += count
    # All pairs at once: at a program without reserves, a preferred pair breaks a rule
    # if the program has a seat left (waste) or admitted someone it orders later (envy).
    p = pairs.program
    reserved = np.fromiter((pid in inputs.reserves for pid in pairs.program_ids), bool)
    capacity = np.fromiter(
        (program["capacity"] for program in inputs.programs.values()), np.int64, len(reserved)
    )
    matched = np.fromiter(
        (placement.match_count[pid] for pid in pairs.program_ids), np.int64, len(reserved)
    )
    admitted = admitted_pairs(placement, pairs)
    last_position = np.full(len(reserved), -1, np.int64)
    np.maximum.at(last_position, p[admitted], order.position[admitted])
    breaks = (matched[p] < capacity[p]) | (order.position < last_position[p])
    to_check = preferred & (reserved[p] | breaks)
    last: dict[str, OrderKey] = {}
    slot_pairs = _SlotPairs(inputs, placement, memberships)
    for k in np.flatnonzero(to_check).tolist():
        aid, pid = pairs.applicant_ids[pairs.applicant[k]], pairs.program_ids[p[k]]
        if pid in inputs.reserves:
            slot_pairs.check(k, findings)
            continue
        capacity_left = inputs.programs[pid]["capacity"] - placement.match_count[pid]
        if capacity_left > 0:
            findings.fail(
                "waste",
                f"ranked this program above their placement, and it has "
                f"{capacity_left} open seat(s) after the match",
                aid,
                pid,
            )
        if pid not in last and placement.admitted[pid]:
            last[pid] = max(order.key(other, pid) for other in placement.admitted[pid])
        mine = order.key(aid, pid)
        if pid in last and mine < last[pid]:
            other = last[pid]
            findings.fail(
                "justified-envy",
                f"ranked this program above their placement, but it admitted "
                f"{other.applicant_id}, whom it orders below them: "
                f"({mine.describe()}) comes before ({other.describe()})",
                aid,
                pid,
                other_applicant_id=other.applicant_id,
                key=mine,
                other_key=other,
            )


class _SlotPairs:
    """Checks pairs at programs with reserves; a program's admitted pairs in its order
    (by ``order.position``), their categories and, for each set of categories, the last
    place that still gets a slot are worked out once."""

    def __init__(self, inputs: Inputs, placement: Placement, memberships: Memberships):
        self.inputs = inputs
        self.placement = placement
        self.memberships = memberships
        self._in_order = admitted_in_order(placement, memberships.order)
        self._slot_pairs: dict[str, list[int]] = {}
        self._slot_positions: dict[str, np.ndarray] = {}
        self._slot_members: dict[str, list] = {}
        self._slot_limit: dict[tuple[str, object], int] = {}

    def check(self, k: int, findings: Findings) -> None:
        """Pair ``k`` (aid, pid) blocks if the program's choice from its admitted
        applicants plus ``aid`` takes ``aid``. Whether it does depends only on where
        ``aid`` stands among them and on the categories ``aid`` belongs to there, and
        moving ``aid`` up the order never turns a yes into a no, so the last place that
        still gets a slot is found once per set of categories, by bisection."""
        memberships, order = self.memberships, self.memberships.order
        pairs = order.pairs
        aid, pid = pairs.applicant_ids[pairs.applicant[k]], pairs.program_ids[pairs.program[k]]
        if pid not in self._slot_pairs:
            chosen = self._slot_pairs[pid] = self._in_order.get(pid, [])
            self._slot_positions[pid] = order.position[np.array(chosen, np.int64)]
            self._slot_members[pid] = [memberships.pair_categories(m) for m in chosen]
        admitted, members = self._slot_pairs[pid], self._slot_members[pid]
        categories = memberships.pair_categories(k)
        place = int(np.searchsorted(self._slot_positions[pid], order.position[k]))

        def taken_at(j: int) -> list[str | None]:
            return fill_slots(self.inputs, pid, [*members[:j], categories, *members[j:]])

        limit = self._slot_limit.get((pid, categories))
        if limit is None:
            low, high = -1, len(members)  # taken at place <= limit, not at place > limit
            while low < high:
                middle = (low + high + 1) // 2
                if taken_at(middle)[middle] is not None:
                    low = middle
                else:
                    high = middle - 1
            limit = self._slot_limit[pid, categories] = low
        if place > limit:
            return
        slots = taken_at(place)
        mine = order.key(aid, pid)
        given_up = [
            admitted[j if j < place else j - 1]
            for j, slot in enumerate(slots)
            if slot is None and j != place
        ]
        what = (
            "an open seat" if slots[place] == OPEN_SEAT else f"a seat reserved for {slots[place]}"
        )
        if not given_up:
            left = self.inputs.programs[pid]["capacity"] - self.placement.match_count[pid]
            findings.fail(
                "waste",
                f"ranked this program above their placement, and choosing slot by slot from the "
                f"applicants it admitted plus them, it takes them without giving anyone up "
                f"({what}; {left} seat(s) "
                "left after the match)",
                aid,
                pid,
            )
            return
        other_id = pairs.applicant_ids[pairs.applicant[given_up[0]]]
        other = order.key(other_id, pid)
        findings.fail(
            "justified-envy",
            f"ranked this program above their placement, but choosing slot by slot from the "
            f"applicants it admitted plus them, it takes them and gives up {other_id} "
            f"({what}): ({mine.describe()}) against ({other.describe()})",
            aid,
            pid,
            other_applicant_id=other_id,
            key=mine,
            other_key=other,
        )
