"""The order of the checks: :func:`verify_outputs` reads the evidence once and runs each
rule on it, passing on what one check derives and a later one needs.

Each check records what it finds in one :class:`~lottery.audit.verify.findings.Findings`;
the report sorts the violations by rule, so the order here decides only which checks
run: one that needs a file that cannot be read, or a lottery that cannot be
recomputed, is skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

from lottery.audit.verify.checksums import check_checksums
from lottery.audit.verify.evidence import (
    Evidence,
    Inputs,
    Table,
    gather_evidence,
    manifest_sha256,
)
from lottery.audit.verify.findings import Findings, Verification
from lottery.audit.verify.manifest_record import (
    check_families_record,
    check_manifest_record,
    lottery_reversed,
    note_unsettled,
)
from lottery.audit.verify.numbers import recompute_lottery
from lottery.audit.verify.order import ProgramOrder
from lottery.audit.verify.pairs import build_pairs
from lottery.audit.verify.picture import Picture
from lottery.audit.verify.placements import (
    check_capacity,
    check_guarantees,
    check_placements,
    read_placement,
)
from lottery.audit.verify.reserves import check_reserve_report
from lottery.audit.verify.seat_policy import Memberships, check_seats, settle_memberships
from lottery.audit.verify.stability import check_stability
from lottery.audit.verify.tables import check_choice_results, check_manifest_counts, check_summary
from lottery.audit.verify.waitlists import check_waitlists
from lottery.audit.verify.zone_guarantee import check_zone_guarantee
from lottery.io.outputs import CHOICE_RESULTS, PLACEMENTS, RESERVE_REPORT, SUMMARY, WAITLISTS
from lottery.io.results_folder import run_inputs


def verify_outputs(out_dir: Path, input_dir: Path | None = None) -> Verification:
    """Check the results in ``out_dir`` against the input files in ``input_dir``.

    ``input_dir`` is resolved as for every command (:func:`run_inputs`): for a later
    round, the round-1 input folder, the round's own ``round-inputs/`` or None all mean
    that ``round-inputs/``. Never raises for bad results or bad inputs: unreadable files
    become violations (``output-file``, ``input-file``) and the checks that need them are
    skipped; a missing or wrong ``input_dir`` is a :class:`~lottery.errors.UsageError`.
    """
    out_dir = Path(out_dir)
    evidence = gather_evidence(out_dir, run_inputs(out_dir, input_dir).folder)
    findings = Findings()
    findings.extend(evidence.problems)
    check_checksums(evidence, findings)
    lottery_text = ""
    if evidence.inputs is not None:
        lottery_text = _check_results(evidence, evidence.inputs, findings)
    return findings.report(lottery_text, manifest_sha256(out_dir))


def _rows(evidence: Evidence, name: str, findings: Findings) -> list[dict[str, str]] | None:
    """A results table's rows, reporting what is wrong with the file where a check uses it."""
    table = evidence.tables[name]
    findings.extend(table.problems)
    return table.rows


class _ShownPriority(Mapping[tuple[str, str], str]):
    """The priority choice_results.csv shows for each (applicant, program) of the
    ``applicants`` (the members of unsettled families: only they need it), read from
    their rows only if asked (a million applicants' rows as dicts would take gigabytes)."""

    def __init__(self, table: Table, applicants: Collection[str]):
        self._table = table
        self._applicants = applicants
        self._shown: dict[tuple[str, str], str] | None = None

    def _values(self) -> dict[tuple[str, str], str]:
        if self._shown is None:
            rows = (
                self._table.rows_of("applicant_id", self._applicants) if self._table.usable else []
            )
            self._shown = {
                (row["applicant_id"], row["program_id"]): row["priority"] for row in rows
            }
        return self._shown

    def __getitem__(self, pair: tuple[str, str]) -> str:
        return self._values()[pair]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())


def _check_results(evidence: Evidence, inputs: Inputs, findings: Findings) -> str:
    """Every check that needs the inputs; returns how the lottery was recomputed."""
    manifest = evidence.manifest
    findings.checks["applicants"] = len(inputs.applicants)
    findings.checks["programs"] = len(inputs.programs)
    findings.checks["reserve_programs"] = len(inputs.reserves)
    findings.checks["linked_applicants"] = sum(len(m) for m in inputs.families.values())
    check_manifest_record(inputs, manifest, findings)
    lottery = recompute_lottery(inputs, manifest, lottery_reversed(manifest))
    if lottery is not None and lottery.reversed:
        findings.checks["lottery_reversed"] = 1
    lottery_text = lottery.description if lottery is not None else ""
    rows = _rows(evidence, PLACEMENTS, findings)
    if rows is None:
        return lottery_text
    choice_table = evidence.tables[CHOICE_RESULTS]
    if not choice_table.usable:
        findings.extend(choice_table.problems)
    unsettled = check_families_record(inputs, manifest, findings)
    shown_priority = _ShownPriority(choice_table, unsettled.members)
    pairs = build_pairs(inputs)
    placement = read_placement(inputs, pairs, rows)
    order = ProgramOrder(
        inputs, pairs, lottery, placement.matched_at, unsettled.members, shown_priority
    )
    check_placements(inputs, placement, order, lottery, rows, findings)
    check_guarantees(inputs, placement, findings)
    check_capacity(inputs, placement, findings)
    memberships, seats, unserved = Memberships(inputs, order, {}), None, None
    if lottery is not None:
        memberships = settle_memberships(inputs, placement, order, rows, findings)
        seats = check_seats(inputs, placement, memberships, rows, findings)
        unserved = check_zone_guarantee(inputs, placement, lottery, seats, manifest, findings)
        check_stability(inputs, placement, memberships, findings)
    picture = Picture(inputs, placement, order, lottery, memberships, seats)
    waitlist_table = evidence.tables[WAITLISTS]
    if waitlist_table.usable:
        check_waitlists(picture, waitlist_table, findings)
    else:
        findings.extend(waitlist_table.problems)
    summary_rows = _rows(evidence, SUMMARY, findings)
    if summary_rows is not None:
        check_summary(picture, summary_rows, findings)
    if choice_table.usable:
        check_choice_results(picture, choice_table, findings)
    report_rows = _rows(evidence, RESERVE_REPORT, findings)
    if report_rows is not None:
        check_reserve_report(picture, report_rows, findings)
    check_manifest_counts(inputs, placement, unserved, manifest, findings)
    if order.readings_shown:
        findings.checks["unsettled_priorities"] += order.readings_shown
    note_unsettled(unsettled, findings)
    return lottery_text
