"""Rule ``administrative``: the zone guarantee, recomputed (docs/seat-policy.md).

After the match, an applicant it left unplaced who accepts an administrative assignment
and lives in a zone a program of their grade lists is offered, in lottery order, a seat
still free at one of those programs: the one they ranked highest, else the one with the
most free seats left (ties: lowest program_id).
"""

from __future__ import annotations

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
    open_seats = dict(seats.free)
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
    expected: dict[str, tuple[str, str]] = {}
    unserved: list[str] = []
    for aid in owed:
        a = inputs.applicants[aid]
        candidates = [
            p
            for p in serving[a["grade"], a["zone"]]
            if open_seats[p] > 0 and inputs.eligible(aid, p)
        ]
        if not candidates:
            unserved.append(aid)
            continue
        ranked = [p for p in inputs.ranked[aid] if p in candidates]
        if ranked:
            chosen, why = ranked[0], "the one they ranked highest"
        else:
            chosen = min(candidates, key=lambda p: (-open_seats[p], p))
            why = "the one with the most free seats left (ties: lowest program_id)"
        expected[aid] = (chosen, why)
        open_seats[chosen] -= 1
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
