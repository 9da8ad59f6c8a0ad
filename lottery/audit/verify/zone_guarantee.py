"""Rule ``administrative``: the zone guarantee, recomputed (docs/seat-policy.md).

After the match, an applicant it left unplaced who accepts an administrative assignment
and lives in a zone a program of their grade lists is offered, in lottery order, a seat
still free at one of those programs: the one they ranked highest, else the one with the
most free seats left (ties: lowest program_id).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from lottery.audit.verify.evidence import Inputs
from lottery.audit.verify.findings import Findings
from lottery.audit.verify.numbers import Lottery
from lottery.audit.verify.placements import Placement
from lottery.audit.verify.seat_policy import Seats
from lottery.io.outputs import ADMINISTRATIVE, MANIFEST_FILE, PLACEMENTS, UNPLACED


def check_zone_guarantee(
    inputs: Inputs,
    placement: Placement,
    lottery: Lottery,
    seats: Seats,
    manifest: dict,
    findings: Findings,
) -> list[str]:
    """Recompute the zone guarantee (docs/seat-policy.md) from the match placements and
    compare it with the administrative rows and the manifest's unserved list. Its
    seats are those still free after the match: with ``unfilled = "empty"``, reserved
    seats no member took stay empty and are not free. Returns the applicants it could
    not serve, in lottery order."""
    serving: dict[tuple[str, str], list[str]] = {}
    for pid, program in sorted(inputs.programs.items()):
        for zone in program["administrative_zones"]:
            serving.setdefault((program["grade"], zone), []).append(pid)
    column = inputs.applicants.column
    owed = [
        aid
        for aid, accepts, grade, zone in zip(
            inputs.applicants.ids,
            column("accepts_administrative"),
            column("grade"),
            column("zone"),
            strict=True,
        )
        if accepts and (grade, zone) in serving and aid not in placement.matched_at
    ]
    owed.sort(key=lottery.admin_rank.__getitem__)
    column = inputs.applicants.column
    grades, zones = column("grade"), column("zone")
    index = inputs.applicants.index
    expected, unserved = zone_assignments(
        [(aid, (grades[index[aid]], zones[index[aid]])) for aid in owed],
        serving,
        dict(seats.free),
        inputs.ranked.__getitem__,
        inputs.eligible,
    )
    actual = {
        aid: pid
        for aid, pid in placement.placed_at.items()
        if pid and placement.status.get(aid) == ADMINISTRATIVE
    }
    for aid in sorted(set(expected) | set(actual)):
        got = actual.get(aid)
        want, why = expected.get(aid, (None, ""))
        if got == want:
            continue
        if want is None:
            reason = (
                "it could not serve them (no program of their zone had a seat left that "
                "they may be considered at)"
                if aid in unserved
                else "they are not owed it (placed by the match, no listed zone for their "
                "grade, or accepts_administrative is false)"
            )
            message = f"administrative at {got}, but recomputed, the zone guarantee {reason}"
        elif got is None:
            message = (
                f"the zone guarantee assigns them to {want} ({why} of the programs of their "
                f"zone with a seat left), but {PLACEMENTS} shows status "
                f"{placement.status.get(aid, UNPLACED)!r}"
            )
        else:
            message = (
                f"administrative at {got}, but the zone guarantee, in lottery order, gives "
                f"{want}: {why} of the programs of their zone with a seat left"
            )
        findings.fail("administrative", message, aid, got or want)
    recorded = manifest.get("administrative_unserved")
    if recorded != unserved:
        findings.fail(
            "administrative",
            f"{MANIFEST_FILE} administrative_unserved is {recorded!r}; recomputed, in lottery "
            f"order: {unserved!r}",
        )
    findings.checks["administrative_owed"] = len(owed)
    findings.checks["administrative"] = len(expected)
    findings.checks["administrative_unserved"] = len(unserved)
    return unserved


def zone_assignments(
    owed: list[tuple[str, tuple[str, str]]],
    serving: dict[tuple[str, str], list[str]],
    open_seats: dict[str, int],
    ranked: Callable[[str], list[str]],
    eligible: Callable[[str, str], bool],
) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """The zone guarantee's assignments: each owed applicant, in the order given, with
    their (grade, zone), gets a program of ``serving[(grade, zone)]`` with a seat left
    (``open_seats``, updated) that they may take: the one they ranked highest, else the
    one with the most free seats left (ties: lowest program_id). Returns applicant ->
    (program, why) and the applicants it could not serve, in order."""
    expected: dict[str, tuple[str, str]] = {}
    unserved: list[str] = []
    # Each (grade, zone)'s programs by most free seats (ties: lowest program_id), as a
    # heap whose entries go stale when a seat is taken (a fresh one is pushed), so that
    # each applicant's choice does not scan every program of their zone.
    groups = {where: set(pids) for where, pids in serving.items()}
    listed_in: dict[str, list[tuple[str, str]]] = {}  # program -> the groups listing it
    for where, pids in serving.items():
        for p in pids:
            listed_in.setdefault(p, []).append(where)
    heaps = {where: [(-open_seats[p], p) for p in pids] for where, pids in serving.items()}
    for heap in heaps.values():
        heapq.heapify(heap)
    for aid, where in owed:

        def candidate(p: str, aid: str = aid) -> bool:
            return open_seats[p] > 0 and eligible(aid, p)

        group = groups[where]
        first = next((p for p in ranked(aid) if p in group and candidate(p)), None)
        if first is not None:
            chosen, why = first, "the one they ranked highest"
        else:
            chosen = _most_free(heaps[where], open_seats, candidate)
            if chosen is None:
                unserved.append(aid)
                continue
            why = "the one with the most free seats left (ties: lowest program_id)"
        expected[aid] = (chosen, why)
        open_seats[chosen] -= 1
        if open_seats[chosen] > 0:
            for listing in listed_in[chosen]:
                heapq.heappush(heaps[listing], (-open_seats[chosen], chosen))
    return expected, unserved


def _most_free(
    heap: list[tuple[int, str]], open_seats: dict[str, int], candidate: Callable[[str], bool]
) -> str | None:
    """The candidate program with the most free seats (ties: lowest program_id), from a
    heap of (-free seats, program_id): entries whose count is no longer the program's
    are dropped; programs the applicant may not take are put back after."""
    skipped = []
    chosen = None
    while heap:
        free, pid = heap[0]
        if -free != open_seats[pid] or open_seats[pid] <= 0:
            heapq.heappop(heap)  # stale: the program has fewer seats now
            continue
        if candidate(pid):
            chosen = pid
            break
        skipped.append(heapq.heappop(heap))
    for entry in skipped:
        heapq.heappush(heap, entry)
    return chosen
