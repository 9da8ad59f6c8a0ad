"""Rules ``summary-*``, ``each-program-once``, ``cutoff`` and ``choice-results``: the
tables and counts that follow from the placement.

``programs_summary.csv`` and the counts in ``manifest.json`` are re-derived from the
placement and ``programs.csv``; a program's cutoff is its last admitted applicant holding
an open seat. Every row of ``choice_results.csv`` is re-derived from the same picture:
one row per ranked choice, ``placed`` where the placement is, ``ineligible`` where the
applicant lacks a required tag, ``waitlisted`` above the placement (or everywhere, if
unplaced), ``not_considered`` below it; the priority recomputed; the waitlist position
from the program's order; the cutoff the same as the summary's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np

from lottery.audit.verify.evidence import Inputs, Rows, Table, section
from lottery.audit.verify.findings import Findings
from lottery.audit.verify.picture import Picture
from lottery.audit.verify.placements import Placement, admitted_pairs
from lottery.io.csv_tables import spreadsheet_safe
from lottery.io.inputs import CHOICES_FILE
from lottery.io.outputs import (
    ADMINISTRATIVE,
    CHOICE_INELIGIBLE,
    CHOICE_NOT_CONSIDERED,
    CHOICE_PLACED,
    CHOICE_RESULTS,
    CHOICE_WAITLISTED,
    GUARANTEED,
    MANIFEST_FILE,
    OPEN_SEAT,
    SUMMARY,
)

LINES_AT_ONCE = 100_000  # expected lines made and compared at a time


def check_summary(picture: Picture, rows: Rows, findings: Findings) -> None:
    """Every program once in programs_summary.csv, with its details, counts and cutoff."""
    inputs, placement = picture.inputs, picture.placement
    choices, program_ids = inputs.choices, list(inputs.programs)
    firsts = choices.program[choices.start[:-1][np.diff(choices.start) > 0]]
    applicants = dict(zip(program_ids, _tally(choices.program, program_ids), strict=True))
    first_choice = dict(zip(program_ids, _tally(firsts, program_ids), strict=True))
    program_cutoffs = cutoffs(picture) if picture.lottery is not None else {}
    ids = [row["program_id"] for row in rows]
    if any(b <= a for a, b in zip(ids, ids[1:], strict=False)):
        findings.fail("row-order", f"{SUMMARY} is not sorted by program_id (each once)")
    seen: set[str] = set()
    for row in rows:
        pid = row["program_id"]
        if pid not in inputs.programs or pid in seen:
            what = "an unknown program" if pid not in inputs.programs else "a second row"
            findings.fail("each-program-once", f"{SUMMARY} has {what}", None, pid)
            continue
        seen.add(pid)
        program = inputs.programs[pid]
        capacity, placed = program["capacity"], placement.placed_count[pid]
        counts = {
            "seats": program["seats"],
            "held_seats": program["held_seats"],
            "offered_seats": capacity,
            "applicants": applicants[pid],
            "first_choice_applicants": first_choice[pid],
            "placed": placed,
            "administrative": placement.admin_count[pid],
            "open_seats": capacity - placed,
            "waitlisted": len(placement.waitlist[pid]),
            "reserved_seats": sum(n for _, n in inputs.reserves.get(pid, [])),
        }
        if picture.lottery is not None:
            counts["reserved_filled"] = sum(
                picture.seats.seat_of.get(aid, OPEN_SEAT) != OPEN_SEAT
                for aid in placement.admitted[pid]
            )
        expected = {
            "summary-details": {
                "school_id": program["school_id"],
                # Free text is written so that a spreadsheet cannot run it as a formula
                # (docs/outputs.md): the one rule shared with the writer, not a result.
                "school_name": spreadsheet_safe(program["school_name"]),
                "sector": spreadsheet_safe(program["sector"]),
                "grade": program["grade"],
            },
            "summary-counts": counts,
        }
        if picture.lottery is not None:
            expected["cutoff"] = program_cutoffs[pid]
        # Results written before the rule above have the text as it is: still right.
        as_typed = {"school_name": program["school_name"], "sector": program["sector"]}
        for rule, values in expected.items():
            for column, value in values.items():
                if row[column] != str(value) and row[column] != as_typed.get(column):
                    findings.fail(
                        rule,
                        f"{SUMMARY} shows {column} {row[column]!r}; expected {str(value)!r}",
                        None,
                        pid,
                    )
    for pid in inputs.programs:
        if pid not in seen:
            findings.fail("each-program-once", f"{SUMMARY} has no row", None, pid)


def _tally(programs: np.ndarray, program_ids: list[str]) -> list[int]:
    """How many times each program appears in an array of program indices."""
    return np.bincount(programs, minlength=len(program_ids)).tolist()


def cutoffs(picture: Picture) -> dict[str, dict[str, str]]:
    """Every program's cutoff columns: the last applicant the match admitted to an open
    seat (every seat is open without reserves); blank if the match did not fill it.
    "Last" is the largest place in the program's order (``order.position``)."""
    inputs, placement, order = picture.inputs, picture.placement, picture.order
    pairs, seat_of = order.pairs, picture.seats.seat_of
    admitted = admitted_pairs(placement, pairs)
    aids, pids = pairs.applicant_ids, pairs.program_ids
    holders = admitted[
        np.fromiter(
            (seat_of.get(aids[i]) == OPEN_SEAT for i in pairs.applicant[admitted].tolist()),
            bool,
            len(admitted),
        )
    ]
    # The holder each program orders last: the pair of largest position there.
    holders = holders[np.lexsort((order.position[holders], pairs.program[holders]))]
    programs = pairs.program[holders]
    last = holders[np.r_[programs[1:] != programs[:-1], True]] if len(holders) else holders
    last_of = dict(zip(pairs.program[last].tolist(), last.tolist(), strict=True))
    blank = {"cutoff_priority": "", "cutoff_lottery_rank": ""}
    found: dict[str, dict[str, str]] = {}
    for j, pid in enumerate(pids):
        capacity = inputs.programs[pid]["capacity"]
        k = last_of.get(j)
        if capacity > 0 and placement.match_count[pid] >= capacity and k is not None:
            found[pid] = {
                "cutoff_priority": order.labels[order.priority_label[k]],
                "cutoff_lottery_rank": str(picture.lottery.rank(aids[pairs.applicant[k]], pid)),
            }
        else:
            found[pid] = blank
    return found


def check_choice_results(picture: Picture, table: Table, findings: Findings) -> None:
    """One row per ranked choice, in (applicant_id, rank) order, each re-derived.

    The file is first compared, line for line, with the lines expected (all pairs at
    once, on arrays); only if they differ are its rows read and checked one by one,
    which finds and words every difference.
    """
    if picture.lottery is not None:
        expected, count, ineligible = _expected_choice_lines(picture)
        if expected is not None and table.same_lines(expected):
            _count(findings, "choice_rows", count)
            _count(findings, "ineligible_choices", ineligible)
            return
    findings.extend(table.problems)
    _check_choice_rows(picture, table.rows, findings)


def _count(findings: Findings, name: str, n: int) -> None:
    """Add ``n`` things checked, as counting them one by one would (a count stays absent
    until there is one)."""
    if n:
        findings.checks[name] += n


def _expected_choice_lines(picture: Picture) -> tuple[Iterator[list[str]] | None, int, int]:
    """The lines of choice_results.csv that the placement implies (made a chunk at a
    time: a million applicants' lines would take gigabytes at once), how many there are
    and how many of the choices are ineligible; None if a cell would need quoting (then
    rows are compared)."""
    placement, order = picture.placement, picture.order
    pairs = order.pairs
    a, p, choice = pairs.applicant, pairs.program, pairs.choice_rank
    placed_program = np.fromiter(
        (
            -1 if (pid := placement.placed_at.get(aid)) is None else pairs.program_index[pid]
            for aid in pairs.applicant_ids
        ),
        np.int64,
        len(pairs.applicant_ids),
    )
    # The choice rank of the program each applicant holds (0: unplaced, or not ranked).
    ranked = choice > 0
    placed = ranked & (p == placed_program[a])
    ineligible = ranked & ~placed & ~pairs.eligible
    waitlisted = placement.preferred_mask
    # Waitlist positions: the waitlisted pairs of each program, in the program's order.
    waiting = np.flatnonzero(waitlisted)
    waiting = waiting[np.argsort(order.position[waiting], kind="stable")]
    group_start = np.r_[0, np.flatnonzero(np.diff(p[waiting])) + 1]
    sizes = np.diff(np.r_[group_start, len(waiting)])
    waitlist_position = np.zeros(len(pairs), np.int64)
    waitlist_position[waiting] = np.arange(len(waiting)) - np.repeat(group_start, sizes) + 1
    result_names = [CHOICE_NOT_CONSIDERED, CHOICE_WAITLISTED, CHOICE_INELIGIBLE, CHOICE_PLACED]
    result = np.select([placed, ineligible, waitlisted], [3, 2, 1], 0)
    program_cutoffs = cutoffs(picture)
    cutoff_cells = [
        f"{c['cutoff_priority']},{c['cutoff_lottery_rank']}"
        for c in map(program_cutoffs.__getitem__, pairs.program_ids)
    ]
    aids, pids, labels = pairs.applicant_ids, pairs.program_ids, order.labels
    keep = np.flatnonzero(ranked)

    def chunks() -> Iterator[list[str]]:
        for at in range(0, len(keep), LINES_AT_ONCE):
            chunk = keep[at : at + LINES_AT_ONCE]
            yield [
                f"{aids[i]},{k},{pids[j]},{result_names[r]},{labels[lab]},{w or ''},"
                f"{cutoff_cells[j]}"
                for i, k, j, r, lab, w in zip(
                    a[chunk].tolist(),
                    choice[chunk].tolist(),
                    p[chunk].tolist(),
                    result[chunk].tolist(),
                    order.priority_label[chunk].tolist(),
                    waitlist_position[chunk].tolist(),
                    strict=True,
                )
            ]

    plain = all(not set(text) & set(',"\r\n') for text in (*aids, *pids, *labels)) and all(
        not set(cell) & set('"\r\n') and cell.count(",") == 1 for cell in cutoff_cells
    )
    return (chunks() if plain else None), len(keep), int(np.count_nonzero(ineligible))


def _check_choice_rows(picture: Picture, rows: Rows, findings: Findings) -> None:
    """Every row of choice_results.csv, one by one."""
    inputs, placement, order = picture.inputs, picture.placement, picture.order
    keys = [
        (row["applicant_id"], int(row["rank"]) if row["rank"].isdigit() else -1) for row in rows
    ]
    if any(b <= a for a, b in zip(keys, keys[1:], strict=False)):
        findings.fail("row-order", f"{CHOICE_RESULTS} is not sorted by applicant_id, then rank")
    positions: dict[tuple[str, str], int] = {}
    program_cutoffs: dict[str, dict[str, str]] = {}
    if picture.lottery is not None:
        for pid, waiting in placement.waitlist.items():
            ordered = sorted(waiting, key=lambda aid, pid=pid: order.key(aid, pid))
            for position, aid in enumerate(ordered, start=1):
                positions[aid, pid] = position
        program_cutoffs = cutoffs(picture)
    seen: set[tuple[str, int]] = set()
    for row, key in zip(rows, keys, strict=True):
        aid, rank = key
        pids = inputs.ranked.get(aid)
        if pids is None or not 1 <= rank <= len(pids) or key in seen:
            what = "a second row" if key in seen else f"a row for a choice not in {CHOICES_FILE}"
            findings.fail(
                "choice-results", f"{CHOICE_RESULTS} has {what} (rank {row['rank']!r})", aid
            )
            continue
        seen.add(key)
        findings.checks["choice_rows"] += 1
        pid = pids[rank - 1]
        waitlisted = pid in placement.preferred[aid]
        if placement.placed_at.get(aid) == pid:
            result = CHOICE_PLACED
        elif not inputs.eligible(aid, pid):
            result = CHOICE_INELIGIBLE
            findings.checks["ineligible_choices"] += 1
        else:
            result = CHOICE_WAITLISTED if waitlisted else CHOICE_NOT_CONSIDERED
        expected = {"program_id": pid, "result": result, "priority": order.priority(aid, pid)[1]}
        if picture.lottery is not None:
            expected["waitlist_position"] = str(positions[aid, pid]) if waitlisted else ""
            expected.update(program_cutoffs[pid])
        for column, value in expected.items():
            if row[column] != value:
                findings.fail(
                    "choice-results",
                    f"{CHOICE_RESULTS} shows {column} {row[column]!r} for rank {rank}; "
                    f"expected {value!r}",
                    aid,
                    pid,
                )
    for aid, pids in inputs.ranked.items():
        for rank, pid in enumerate(pids, start=1):
            if (aid, rank) not in seen:
                findings.fail(
                    "choice-results", f"{CHOICE_RESULTS} has no row for rank {rank}", aid, pid
                )


def check_manifest_counts(
    inputs: Inputs,
    placement: Placement,
    unserved: list[str] | None,
    manifest: dict,
    findings: Findings,
) -> None:
    """The counts manifest.json records, re-derived from the placement."""
    recorded = section(manifest, "counts")
    choices = inputs.choices
    ranked = np.diff(choices.start)
    chooser = np.repeat(np.arange(len(ranked)), ranked)  # each choice's applicant
    required = [inputs.programs[pid]["requires_tags"] for pid in inputs.programs]
    tags = inputs.applicants.column("tags")
    # Only choices of programs that require a tag can be ineligible.
    needs = np.flatnonzero(np.fromiter(map(bool, required), bool, len(required))[choices.program])
    ineligible = sum(
        not required[j] <= tags[i]
        for i, j in zip(chooser[needs].tolist(), choices.program[needs].tolist(), strict=True)
    )
    choosers = np.flatnonzero(ranked > 0)
    first_choices = choices.program[choices.start[choosers]].tolist()
    first_pid = {
        inputs.applicants.ids[i]: choices.program_ids[j]
        for i, j in zip(choosers.tolist(), first_choices, strict=True)
    }
    placed = sum(1 for pid in placement.placed_at.values() if pid)
    statuses = Counter(placement.status.get(aid) for aid, pid in placement.placed_at.items() if pid)
    expected = {
        "administrative": statuses[ADMINISTRATIVE],
        "applicants": len(inputs.applicants),
        "applicants_without_choices": int(np.count_nonzero(ranked == 0)),
        "choices": len(choices.program),
        "held_seats": sum(p["held_seats"] for p in inputs.programs.values()),
        "ineligible_choices": ineligible,
        "offered_seats": sum(p["capacity"] for p in inputs.programs.values()),
        "placed": placed,
        "placed_by_guarantee": statuses[GUARANTEED],
        "placed_first_choice": sum(
            1 for aid, pid in placement.matched_at.items() if first_pid.get(aid) == pid
        ),
        "programs": len(inputs.programs),
        "seats": sum(p["seats"] for p in inputs.programs.values()),
        "unplaced": len(inputs.applicants) - placed,
        "waitlist_entries": sum(len(w) for w in placement.waitlist.values()),
    }
    if unserved is not None:
        expected["administrative_unserved"] = len(unserved)
    for name, value in expected.items():
        if recorded.get(name) != value:
            findings.fail(
                "summary-counts",
                f"{MANIFEST_FILE} counts.{name} is {recorded.get(name)!r}; expected {value}",
            )
