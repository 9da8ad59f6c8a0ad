"""The placement in ``placements.csv``, read as a claim and checked against the inputs.

:func:`read_placement` turns the rows into a :class:`Placement`: each applicant's status
and program, who the match admitted where, and the waitlists that placement implies.
The checks here: every applicant exactly once with a known ``status``; placed (by the
match) only at a program they ranked and may be considered at (``requires_tags``), or
``guaranteed`` at the guaranteed program they did not rank; the cells of each row, its
priority and lottery numbers; every guarantee honoured; no program over the seats it
offers (``offer_target - held_seats``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from lottery.audit.verify.evidence import Inputs, Rows
from lottery.audit.verify.findings import Findings
from lottery.audit.verify.numbers import Lottery
from lottery.audit.verify.order import ProgramOrder, check_priority_shown
from lottery.audit.verify.pairs import Pairs
from lottery.io.outputs import (
    ADMINISTRATIVE,
    GUARANTEED,
    HOLDS_A_SEAT,
    MATCHED,
    OPEN_SEAT,
    PLACED,
    PLACEMENTS,
    UNPLACED,
)

STATUSES = (*HOLDS_A_SEAT, UNPLACED)


@dataclass(frozen=True)
class Placement:
    """The claimed placement. ``placed_at`` holds every applicant's program (any status;
    None if unplaced or without a row), ``matched_at`` those placed by the match, and
    ``admitted`` each program's applicants placed by the match through a pair it may hold
    (other rows are violations). ``preferred`` lists each applicant's eligible ranked
    programs above the one they hold (all of them if they hold none they ranked), and
    ``waitlist`` each program's applicants who prefer it, so (``preferred_mask``: the
    same, over the pairs of :mod:`.pairs`)."""

    status: dict[str, str]
    placed_at: dict[str, str | None]
    matched_at: dict[str, str]
    admitted: dict[str, list[str]]
    preferred: dict[str, list[str]]
    waitlist: dict[str, list[str]]
    placed_count: Counter[str]
    match_count: Counter[str]
    admin_count: Counter[str]
    preferred_mask: np.ndarray  # over the pairs: which are in ``preferred``


def read_placement(inputs: Inputs, pairs: Pairs, rows: Rows) -> Placement:
    """The claimed placement of the known applicants, and what follows from it."""
    status: dict[str, str] = {}
    placed_at: dict[str, str | None] = {}
    matched_at: dict[str, str] = {}
    for row in rows:
        aid, pid, shown = row["applicant_id"], row["program_id"], row["status"]
        if aid not in inputs.applicants or aid in status:
            continue
        status[aid] = shown
        known = shown in STATUSES and shown != UNPLACED and pid in inputs.programs
        placed_at[aid] = pid if known else None
        if known and shown in MATCHED:
            matched_at[aid] = pid
    for aid in inputs.applicants:
        placed_at.setdefault(aid, None)
    admitted: dict[str, list[str]] = {pid: [] for pid in inputs.programs}
    # A pair the match may hold: one of the applicant's, and eligible.
    matched = list(matched_at.items())
    found = pairs.find(
        np.fromiter((pairs.applicant_index[aid] for aid, _ in matched), np.int64, len(matched)),
        np.fromiter((pairs.program_index[pid] for _, pid in matched), np.int64, len(matched)),
    )
    held = found >= 0
    held[held] = pairs.eligible[found[held]]
    for (aid, pid), holds in zip(matched, held.tolist(), strict=True):
        if holds:
            admitted[pid].append(aid)
    mask = preferred_pairs(placed_at, pairs)
    preferred: dict[str, list[str]] = {aid: [] for aid in inputs.ranked}
    waitlist: dict[str, list[str]] = {pid: [] for pid in inputs.programs}
    aids, pids = pairs.applicant_ids, pairs.program_ids
    chosen = np.flatnonzero(mask)
    for i, j in zip(pairs.applicant[chosen].tolist(), pairs.program[chosen].tolist(), strict=True):
        preferred[aids[i]].append(pids[j])
        waitlist[pids[j]].append(aids[i])
    return Placement(
        status,
        placed_at,
        matched_at,
        admitted,
        preferred,
        waitlist,
        Counter(p for p in placed_at.values() if p),
        Counter(matched_at.values()),
        Counter(p for a, p in placed_at.items() if p and status.get(a) == ADMINISTRATIVE),
        mask,
    )


def preferred_pairs(placed_at: dict[str, str | None], pairs: Pairs) -> np.ndarray:
    """Which pairs are preferred to the placement: eligible, ranked, and above the
    program the applicant holds (any ranked one, if they hold none they ranked)."""
    placed_program = np.fromiter(
        (
            -1 if (pid := placed_at.get(aid)) is None else pairs.program_index[pid]
            for aid in pairs.applicant_ids
        ),
        np.int64,
        len(pairs.applicant_ids),
    )
    a, choice = pairs.applicant, pairs.choice_rank
    holds = (pairs.program == placed_program[a]) & (choice > 0)
    held_rank = np.zeros(len(pairs.applicant_ids), np.int64)
    held_rank[a[holds]] = choice[holds]
    above = (held_rank[a] == 0) | (choice < held_rank[a])
    return (choice > 0) & pairs.eligible & above


def admitted_pairs(placement: Placement, pairs: Pairs) -> np.ndarray:
    """The pairs of ``placement.admitted``, as pair indices."""
    admitted = [(aid, pid) for pid, aids in placement.admitted.items() for aid in aids]
    found = pairs.find(
        np.fromiter((pairs.applicant_index[aid] for aid, _ in admitted), np.int64, len(admitted)),
        np.fromiter((pairs.program_index[pid] for _, pid in admitted), np.int64, len(admitted)),
    )
    return found[found >= 0]


def check_placements(
    inputs: Inputs,
    placement: Placement,
    order: ProgramOrder,
    lottery: Lottery | None,
    rows: Rows,
    findings: Findings,
) -> None:
    """Check every row of placements.csv, its order, and that each applicant has one."""
    seen: set[str] = set()
    ids = [row["applicant_id"] for row in rows]
    if any(b <= a for a, b in zip(ids, ids[1:], strict=False)):
        findings.fail("row-order", f"{PLACEMENTS} is not sorted by applicant_id (each once)")
    clean = _clean_rows(inputs, order, lottery, rows)
    priorities = numbers = 0  # checked in clean rows
    for row, (is_clean, matched) in zip(rows, clean, strict=True):
        aid = row["applicant_id"]
        if aid not in inputs.applicants:
            findings.fail(
                "unknown-applicant", f"{PLACEMENTS} has a row for an unknown applicant", aid
            )
            continue
        if aid in seen:
            findings.fail("each-applicant-once", f"{PLACEMENTS} has more than one row", aid)
            continue
        seen.add(aid)
        if is_clean:
            priorities += matched
            numbers += lottery is not None
            continue
        _check_placement_row(inputs, order, lottery, aid, row, findings)
    for name, count in (("priorities", priorities), ("lottery_numbers", numbers)):
        if count:
            findings.checks[name] += count
    for aid in inputs.applicants:
        if aid not in seen:
            findings.fail("each-applicant-once", f"{PLACEMENTS} has no row", aid)
    findings.checks["placed"] = sum(pid is not None for pid in placement.placed_at.values())


def _clean_rows(
    inputs: Inputs, order: ProgramOrder, lottery: Lottery | None, rows: Rows
) -> list[tuple[bool, bool]]:
    """For each row, whether :func:`_check_placement_row` would find nothing wrong with
    it, and whether it is placed by the match, worked out from the pair arrays (the
    priority from ``order.priority_label``). A row that may be wrong is not clean: the
    per-row code then checks it and words what it finds. Members of unsettled families
    are never clean (their priorities come from the per-pair code)."""
    pairs = order.pairs
    applicant_at, program_at = pairs.applicant_index.get, pairs.program_index.get
    applicant = [applicant_at(row["applicant_id"], -1) for row in rows]
    program = [program_at(row["program_id"], -1) for row in rows]
    found = pairs.find(np.array(applicant, np.int64), np.array(program, np.int64)).tolist()
    held = [k >= 0 for k in found]
    choice = np.zeros(len(rows), np.int64)
    label = np.zeros(len(rows), np.int64)
    eligible = np.zeros(len(rows), bool)
    at = np.flatnonzero(held)
    pair_at = np.array(found, np.int64)[at]
    choice[at] = pairs.choice_rank[pair_at]
    label[at] = order.priority_label[pair_at]
    eligible[at] = pairs.eligible[pair_at]
    labels, programs = order.labels, [inputs.programs[pid] for pid in pairs.program_ids]
    column = inputs.applicants.column
    grades, guarantees, families = column("grade"), column("guarantee"), column("family_id")
    unsettled = order.unsettled
    clean: list[tuple[bool, bool]] = []
    for row, i, j, k, rank, lab, fits in zip(
        rows,
        applicant,
        program,
        found,
        choice.tolist(),
        label.tolist(),
        eligible.tolist(),
        strict=True,
    ):
        status = row["status"]
        matched = status in MATCHED
        if i < 0 or status not in STATUSES or row["grade"] != grades[i]:
            clean.append((False, matched))
            continue
        aid = row["applicant_id"]
        if status == UNPLACED:
            ok = not (
                row["program_id"]
                or row["school_id"]
                or row["choice_rank"]
                or row["priority"]
                or row["seat"]
            )
            pair = None
        else:
            ranked = rank > 0
            ok = (
                j >= 0
                and aid not in unsettled
                and row["school_id"] == programs[j]["school_id"]
                and row["choice_rank"] == (str(rank) if ranked else "")
                and (fits if k >= 0 else inputs.eligible(aid, row["program_id"]))
            )
            if status == PLACED:
                ok = ok and ranked
            elif status == GUARANTEED:
                ok = ok and not ranked and row["program_id"] == guarantees[i]
            if status == ADMINISTRATIVE:
                ok = ok and row["priority"] == "" and row["seat"] == OPEN_SEAT
                pair = k if ranked else None
            else:
                ok = ok and k >= 0 and row["priority"] == labels[lab]
                pair = k
        if ok and lottery is not None:
            ok = _numbers_shown(lottery, row, aid, pair, pairs, families[i] is not None)
        clean.append((ok, matched))
    return clean


def _numbers_shown(
    lottery: Lottery, row: dict[str, str], aid: str, pair: int | None, pairs: Pairs, linked: bool
) -> bool:
    """Whether the row shows the recomputed lottery number, family number and rank."""
    if not lottery.multiple:
        number, rank = lottery.single_number[aid], lottery.single_rank[aid]
        family = str(lottery.single_family[aid]) if linked else ""
    elif pair is not None and pair >= 0:
        pid = pairs.program_ids[pairs.program[pair]]
        number, rank = lottery.number(aid, pid), lottery.rank(aid, pid)
        family = str(lottery.family_number(aid, pid)) if linked else ""
    else:
        return row["lottery_number"] == row["family_lottery_number"] == row["lottery_rank"] == ""
    return (
        row["lottery_number"] == str(number)
        and row["family_lottery_number"] == family
        and row["lottery_rank"] == str(rank)
    )


def _check_placement_row(
    inputs: Inputs,
    order: ProgramOrder,
    lottery: Lottery | None,
    aid: str,
    row: dict[str, str],
    findings: Findings,
) -> None:
    """Check one row's cells against the inputs and the recomputed priority."""
    applicant = inputs.applicants[aid]
    expect = {"grade": applicant["grade"]}
    pid, status = row["program_id"], row["status"]
    pair = None  # the program whose pair (choice or guarantee) the applicant holds
    if status not in STATUSES:
        findings.fail(
            "placement-details",
            f"status is {status!r}, not one of {', '.join(STATUSES)}",
            aid,
        )
    elif status == UNPLACED:
        expect.update(program_id="", school_id="", choice_rank="", priority="", seat="")
    elif pid not in inputs.programs:
        findings.fail("unranked-placement", f'{status} at unknown program "{pid}"', aid, pid)
    else:
        program = inputs.programs[pid]
        expect["school_id"] = program["school_id"]
        ranked = pid in inputs.choice_rank[aid]
        expect["choice_rank"] = str(inputs.choice_rank[aid][pid]) if ranked else ""
        guarantee = applicant["guarantee"]
        if status == PLACED and not ranked:
            why = (
                " (it is their guaranteed program, which they did not rank: the status "
                "should be guaranteed)"
                if pid == guarantee
                else ""
            )
            findings.fail(
                "unranked-placement",
                f"placed at a program the applicant did not rank{why}",
                aid,
                pid,
            )
        elif status == GUARANTEED and pid != guarantee:
            findings.fail(
                "unranked-placement",
                "status guaranteed, but this is not the applicant's guaranteed program",
                aid,
                pid,
            )
        elif status == GUARANTEED and ranked:
            findings.fail(
                "placement-details",
                "status guaranteed, but the applicant ranked their guaranteed program: "
                "the status should be placed",
                aid,
                pid,
            )
        elif status in MATCHED:
            pair = pid
        if not inputs.eligible(aid, pid):
            findings.fail(
                "eligibility",
                f"{status} at a program that requires the tag(s) "
                f"{', '.join(sorted(program['requires_tags'] - applicant['tags']))}, which "
                "the applicant lacks",
                aid,
                pid,
            )
        if status == ADMINISTRATIVE:
            expect.update(priority="", seat=OPEN_SEAT)
            pair = pid if ranked else None
        elif pair is not None:
            check_priority_shown(order, PLACEMENTS, row, aid, pid, findings)
    for column, value in expect.items():
        if row[column] != value:
            findings.fail(
                "placement-details" if column != "seat" else "seat-label",
                f"{PLACEMENTS} shows {column} {row[column]!r}; expected {value!r}",
                aid,
                pid or None,
            )
    if lottery is not None:
        _check_placement_numbers(inputs, lottery, aid, row, pair, findings)


def _check_placement_numbers(
    inputs: Inputs,
    lottery: Lottery,
    aid: str,
    row: dict[str, str],
    pair: str | None,
    findings: Findings,
) -> None:
    """The row's lottery number, family number and rank against the recomputed lottery."""
    linked = inputs.applicants[aid]["family_id"] is not None
    if not lottery.multiple:
        number, rank = str(lottery.single_number[aid]), str(lottery.single_rank[aid])
        family = str(lottery.single_family[aid]) if linked else ""
    elif pair is not None and pair in inputs.prefs[aid]:
        number, rank = str(lottery.number(aid, pair)), str(lottery.rank(aid, pair))
        family = str(lottery.family_number(aid, pair)) if linked else ""
    else:
        number = rank = family = ""
    findings.checks["lottery_numbers"] += 1
    for column, value in (("lottery_number", number), ("family_lottery_number", family)):
        if row[column] != value:
            findings.fail(
                "lottery-number",
                f"{PLACEMENTS} shows {column} {row[column]!r}; recomputed from the "
                f"{lottery.description}: {value!r}",
                aid,
                pair,
            )
    if row["lottery_rank"] != rank:
        findings.fail(
            "lottery-rank",
            f"{PLACEMENTS} shows lottery rank {row['lottery_rank']!r}; recomputed: {rank!r}",
            aid,
            pair,
        )


def check_guarantees(inputs: Inputs, placement: Placement, findings: Findings) -> None:
    """Each guaranteed applicant is placed by the match at the guaranteed program or at
    a program they ranked above it."""
    guarantees = inputs.applicants.column("guarantee")
    for aid, guarantee in zip(inputs.applicants.ids, guarantees, strict=True):
        if guarantee is None:
            continue
        findings.checks["guarantees"] += 1
        got = placement.matched_at.get(aid)
        ranks = inputs.choice_rank[aid]
        if got == guarantee or (got in ranks and ranks[got] < ranks.get(guarantee, len(ranks) + 1)):
            continue
        at = placement.placed_at.get(aid)
        where = f"{placement.status.get(aid)} at {at}" if at else "unplaced"
        findings.fail(
            "guarantee",
            f"is guaranteed program {guarantee} but is {where}",
            aid,
            guarantee,
        )


def check_capacity(inputs: Inputs, placement: Placement, findings: Findings) -> None:
    """No program holds more applicants than the seats it offers in this run."""
    for pid, count in sorted(placement.placed_count.items()):
        capacity = inputs.programs[pid]["capacity"]
        if count > capacity:
            findings.fail(
                "capacity",
                f"{count} applicants are placed here but it offers {capacity} seats in this "
                "run (offer_target minus held_seats)",
                None,
                pid,
            )
