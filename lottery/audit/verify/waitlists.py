"""Rules ``waitlist-*``: every waitlist complete and in its program's order.

A program's waitlist holds every applicant who ranked it above their placement (or
ranked it and is unplaced) and may be considered there, in the program's order, at
positions 1..n, with each row's choice rank, priority and lottery rank.
"""

from __future__ import annotations

import numpy as np

from lottery.audit.verify.evidence import Rows, Table
from lottery.audit.verify.findings import Findings, OrderKey
from lottery.audit.verify.order import check_priority_shown
from lottery.audit.verify.picture import Picture
from lottery.io.outputs import WAITLISTS


def check_waitlists(picture: Picture, table: Table, findings: Findings) -> None:
    """Every waitlist complete, in its program's order, with the right details.

    The file is first compared, line for line, with the lines expected (every waitlist
    at once, on arrays); only if they differ are its rows checked one by one, which finds
    and words every difference."""
    lines = table.lines()
    if lines is not None and picture.lottery is not None:
        expected = _expected_lines(picture)
        if expected is not None and lines == expected:
            for name in ("waitlist_rows", "priorities", "lottery_numbers"):
                if expected:
                    findings.checks[name] += len(expected)
            return
    findings.extend(table.problems)
    _check_rows(picture, table.rows, findings)


def _expected_lines(picture: Picture) -> list[str] | None:
    """The lines of waitlists.csv the placement implies; None if a cell would need quoting."""
    order = picture.order
    pairs = order.pairs
    waiting = np.flatnonzero(picture.placement.preferred_mask)
    waiting = waiting[np.argsort(order.position[waiting], kind="stable")]
    program = pairs.program[waiting]
    group_start = np.r_[0, np.flatnonzero(np.diff(program)) + 1]
    sizes = np.diff(np.r_[group_start, len(waiting)])
    position = np.arange(len(waiting)) - np.repeat(group_start, sizes) + 1
    aids, pids, labels = pairs.applicant_ids, pairs.program_ids, order.labels
    if any(set(text) & set(',"\r\n') for text in (*aids, *pids, *labels)):
        return None
    return [
        f"{pids[j]},{n},{aids[i]},{k},{labels[lab]},{r}"
        for j, n, i, k, lab, r in zip(
            program.tolist(),
            position.tolist(),
            pairs.applicant[waiting].tolist(),
            pairs.choice_rank[waiting].tolist(),
            order.priority_label[waiting].tolist(),
            order.lottery_rank[waiting].tolist(),
            strict=True,
        )
    ]


def _check_rows(picture: Picture, rows: Rows, findings: Findings) -> None:
    """Every row of waitlists.csv, one by one."""
    inputs = picture.inputs
    listed: dict[str, list[dict[str, str]]] = {}
    previous: tuple[str, int] | None = None
    out_of_order = False
    for row in rows:
        findings.checks["waitlist_rows"] += 1
        position = int(row["position"]) if row["position"].isdigit() else -1
        if previous is not None and (row["program_id"], position) <= previous:
            out_of_order = True
        previous = (row["program_id"], position)
        if row["program_id"] not in inputs.programs:
            findings.fail(
                "waitlist-extra",
                f"{WAITLISTS} has a row for an unknown program",
                row["applicant_id"],
                row["program_id"],
            )
            continue
        listed.setdefault(row["program_id"], []).append(row)
    if out_of_order:
        findings.fail("row-order", f"{WAITLISTS} is not sorted by program_id, then position")
    for pid in inputs.programs:
        _check_waitlist(picture, pid, listed.get(pid, []), findings)


def _check_waitlist(picture: Picture, pid: str, rows: Rows, findings: Findings) -> None:
    inputs, placement, order = picture.inputs, picture.placement, picture.order
    expected = set(placement.waitlist[pid])
    seen: set[str] = set()
    previous: OrderKey | None = None
    for position, row in enumerate(rows, start=1):
        aid = row["applicant_id"]
        if row["position"] != str(position):
            findings.fail(
                "waitlist-order",
                f"row {position} of this waitlist shows position {row['position']!r}",
                aid,
                pid,
            )
        if aid in seen:
            findings.fail("waitlist-extra", "listed twice on this waitlist", aid, pid)
            continue
        seen.add(aid)
        if aid not in expected:
            if aid in inputs.choice_rank and pid in inputs.choice_rank[aid]:
                if not inputs.eligible(aid, pid):
                    findings.fail(
                        "eligibility",
                        "on this waitlist, but lacks a tag the program requires",
                        aid,
                        pid,
                    )
                    continue
                why = "is placed at this program or one they ranked higher"
            else:
                why = "did not rank this program"
            findings.fail("waitlist-extra", f"on this waitlist but {why}", aid, pid)
            continue
        _check_waitlist_row(picture, aid, pid, row, findings)
        if picture.lottery is not None:
            key = order.key(aid, pid)
            if previous is not None and key < previous:
                findings.fail(
                    "waitlist-order",
                    f"listed after {previous.applicant_id}, but the program orders them "
                    f"first: ({key.describe()}) comes before ({previous.describe()})",
                    aid,
                    pid,
                    other_applicant_id=previous.applicant_id,
                    key=key,
                    other_key=previous,
                )
            previous = key if previous is None else max(previous, key)
    for aid in placement.waitlist[pid]:
        if aid not in seen:
            findings.fail(
                "waitlist-complete",
                "ranked this program above their placement (or is unplaced) but is not on "
                "its waitlist",
                aid,
                pid,
            )


def _check_waitlist_row(
    picture: Picture, aid: str, pid: str, row: dict[str, str], findings: Findings
) -> None:
    inputs, order, lottery = picture.inputs, picture.order, picture.lottery
    choice_rank = str(inputs.choice_rank[aid][pid])
    if row["choice_rank"] != choice_rank:
        findings.fail(
            "waitlist-details",
            f"{WAITLISTS} shows choice rank {row['choice_rank']!r}; expected {choice_rank!r}",
            aid,
            pid,
        )
    check_priority_shown(order, WAITLISTS, row, aid, pid, findings)
    if lottery is not None:
        findings.checks["lottery_numbers"] += 1
        rank = str(lottery.rank(aid, pid))
        if row["lottery_rank"] != rank:
            findings.fail(
                "lottery-rank",
                f"{WAITLISTS} shows lottery rank {row['lottery_rank']!r}; recomputed: {rank!r}",
                aid,
                pid,
            )
