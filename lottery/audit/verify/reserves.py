"""Rule ``reserve-report``: ``reserve_report.csv``, re-derived.

One row per reserve (program, category): its seats, who holds them, the category's
applicants and, against a match this module computes itself without reserves (its own
deferred acceptance), who was admitted only with or only without them.
"""

from __future__ import annotations

import heapq
from array import array

import numpy as np

from lottery.audit.verify.evidence import Inputs, Rows
from lottery.audit.verify.findings import Findings
from lottery.audit.verify.order import ProgramOrder
from lottery.audit.verify.picture import Picture
from lottery.io.inputs import RESERVES_FILE
from lottery.io.outputs import RESERVE_REPORT
from lottery.policy import SIBLING_OFFERED


def match_without_reserves(inputs: Inputs, order: ProgramOrder) -> dict[str, str]:
    """Applicant-proposing deferred acceptance (Gale & Shapley 1962) with the same
    priorities, lottery and eligibility as the run, every program taking its offered
    seats in its normal order: the match reserve_report.csv compares with.

    Applicants propose in ``applicant_id`` order down their eligible pairs; a program
    holds its best applicants so far in a heap by their place in its order
    (``order.position``), and turns away the last when a better one proposes.
    """
    pairs = order.pairs
    eligible = np.flatnonzero(pairs.eligible)
    counts = np.bincount(pairs.applicant[eligible], minlength=len(pairs.applicant_ids))
    ends = np.cumsum(counts).tolist()
    following = [end - n for end, n in zip(ends, counts.tolist(), strict=True)]
    # Flat arrays of machine integers, not lists of Python ints (7 million pairs in a
    # city of a million: hundreds of megabytes as lists).
    program = array("q", pairs.program[eligible].astype(np.int64).tobytes())
    position = array("q", order.position[eligible].astype(np.int64).tobytes())
    capacity = [inputs.programs[pid]["capacity"] for pid in pairs.program_ids]
    held: list[list[tuple[int, int]]] = [[] for _ in pairs.program_ids]
    for first in range(len(pairs.applicant_ids)):
        applicant: int | None = first
        while applicant is not None and following[applicant] < ends[applicant]:
            k = following[applicant]
            heap, mine = held[program[k]], position[k]
            if len(heap) < capacity[program[k]]:
                heapq.heappush(heap, (-mine, applicant))
                applicant = None
            elif heap and -heap[0][0] > mine:
                _, applicant = heapq.heapreplace(heap, (-mine, applicant))
                following[applicant] += 1
            else:
                following[applicant] += 1
    aids, pids = pairs.applicant_ids, pairs.program_ids
    return {aids[a]: pids[j] for j, heap in enumerate(held) for _, a in heap}


def check_reserve_report(picture: Picture, rows: Rows, findings: Findings) -> None:
    """One row per reserve (program, category), in that order, re-derived: the seats,
    who holds them, the category's applicants and, against the match recomputed
    without reserves, who was admitted only with or only without them."""
    inputs, placement, order = picture.inputs, picture.placement, picture.order
    memberships, seats = picture.memberships, picture.seats
    without = (
        match_without_reserves(inputs, order)
        if inputs.reserves and picture.lottery is not None
        else {}
    )
    # Each reserve program's eligible pairs of applicants who ranked it, in applicant_id
    # order (pair indices; the array is sorted by program, stably).
    pairs = order.pairs
    aids, pids = pairs.applicant_ids, pairs.program_ids
    reserve = np.fromiter((pid in inputs.reserves for pid in pids), bool, len(pids))
    chosen = np.flatnonzero((pairs.choice_rank > 0) & pairs.eligible & reserve[pairs.program])
    chosen = chosen[np.argsort(pairs.program[chosen], kind="stable")]
    bounds = np.searchsorted(pairs.program[chosen], np.arange(len(pids) + 1))
    ranked_pairs = {
        pid: chosen[bounds[pairs.program_index[pid]] : bounds[pairs.program_index[pid] + 1]]
        for pid in inputs.reserves
    }
    met = order.met_at_pairs
    # column -> the values accepted: one, or a range where members of unsettled
    # families may or may not belong to a sibling_offered category (see settle_memberships)
    expected: dict[tuple[str, str], dict[str, tuple[int, int] | str]] = {}
    # Each program's applicants in the match without reserves, gathered in one pass.
    held_without: dict[str, set[str]] = {pid: set() for pid in inputs.reserves}
    for aid, pid in without.items():
        if pid in held_without:
            held_without[pid].add(aid)
    for pid, runs in inputs.reserves.items():
        admitted = set(placement.admitted[pid])
        admitted_without = held_without[pid]
        for category, reserved in runs:
            values: dict[str, tuple[int, int] | str] = {
                "school_id": inputs.programs[pid]["school_id"],
                "reserved_seats": str(reserved),
            }
            if picture.lottery is not None:
                ranked = ranked_pairs[pid]
                ranked_by = [aids[i] for i in pairs.applicant[ranked].tolist()]
                members = {aids[i] for i in pairs.applicant[ranked[met(category)[ranked]]].tolist()}
                unknown: set[str] = set()
                # Members of unsettled families: the per-pair code, which knows the readings.
                unsettled = [a for a in ranked_by if a in order.unsettled]
                for aid in unsettled:
                    members.discard(aid)
                    if category == SIBLING_OFFERED and memberships.unshown(aid, pid):
                        unknown.add(aid)
                    elif memberships.member(aid, pid, category):
                        members.add(aid)
                for column, among in (
                    ("category_applicants", set(ranked_by)),
                    ("category_admitted", admitted),
                    ("category_admitted_without_reserves", admitted_without),
                ):
                    values[column] = (len(members & among), len((members | unknown) & among))
                values.update(
                    filled_by_category=str(sum(seats.seat_of.get(a) == category for a in admitted)),
                    admitted_only_with_reserves=str(len(admitted - admitted_without)),
                    admitted_only_without_reserves=str(len(admitted_without - admitted)),
                )
            expected[pid, category] = values
    keys = [(row["program_id"], row["category"]) for row in rows]
    if any(b <= a for a, b in zip(keys, keys[1:], strict=False)):
        findings.fail("row-order", f"{RESERVE_REPORT} is not sorted by program_id, then category")
    seen: set[tuple[str, str]] = set()
    for row, key in zip(rows, keys, strict=True):
        pid, category = key
        if key not in expected or key in seen:
            what = "a second row" if key in seen else f"a row for no reserve in {RESERVES_FILE}"
            findings.fail("reserve-report", f"{RESERVE_REPORT} has {what} ({category})", None, pid)
            continue
        seen.add(key)
        findings.checks["reserve_rows"] += 1
        for column, value in expected[key].items():
            if isinstance(value, str):
                accepted, wanted = row[column] == value, repr(value)
            else:
                low, high = value
                shown = int(row[column]) if row[column].isdigit() else -1
                accepted = low <= shown <= high
                wanted = repr(str(low)) if low == high else f"{low} to {high}"
            if not accepted:
                findings.fail(
                    "reserve-report",
                    f"{RESERVE_REPORT} shows {column} {row[column]!r} for {category}; "
                    f"expected {wanted}",
                    None,
                    pid,
                )
    for pid, category in expected:
        if (pid, category) not in seen:
            findings.fail(
                "reserve-report", f"{RESERVE_REPORT} has no row for {category}", None, pid
            )
