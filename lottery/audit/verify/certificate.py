"""The record and the words of a verification: ``verification.json`` and the certificate.

:func:`write_verification` writes the report as stable JSON; :func:`certificate_lines`
says in plain English what was checked, or lists every violation; :func:`require_verified`
is the gate every command that works from a finished results folder passes first.
"""

from __future__ import annotations

import json
from contextlib import suppress
from pathlib import Path

from lottery.audit.verify.checker import verify_outputs
from lottery.audit.verify.evidence import manifest_sha256
from lottery.audit.verify.findings import Verification, plural
from lottery.errors import UsageError
from lottery.io.atomic import check_can_write, write_file_atomically
from lottery.io.inputs import PRIORITIES_FILE
from lottery.io.outputs import (
    CHOICE_RESULTS,
    MANIFEST_FILE,
    PLACEMENTS,
    RESERVE_REPORT,
    SUMMARY,
    VERIFICATION,
)
from lottery.io.results_folder import check_overwritable, run_inputs


def require_verified(out_dir: Path, input_dir: Path | None, command: str) -> None:
    """Refuse (UsageError) results that ``lottery verify`` does not certify.

    Every command that works from a finished results folder (letters, report, round)
    calls this first: results edited by hand, even with the manifest's checksums
    updated to match, must not reach families. A passing ``verification.json`` in
    ``out_dir`` for the same manifest is taken as it is, instead of checking again; when
    the checks pass here, their certificate is saved there for the next command (unless
    the folder is read-only). ``input_dir`` means what ``--inputs`` means
    (:func:`~lottery.io.results_folder.run_inputs`).
    """
    out_dir = Path(out_dir)
    if _certified(out_dir):
        return
    report = verify_outputs(out_dir, run_inputs(out_dir, input_dir).folder)
    if report.passed:
        with suppress(UsageError):
            write_verification(report, out_dir / VERIFICATION)
        return
    shown = [f"  {violation.render()}" for violation in report.violations[:_SHOWN_VIOLATIONS]]
    hidden = len(report.violations) - len(shown)
    if hidden:
        shown.append(f"  ... and {hidden} more")
    raise UsageError(
        f"The results in {out_dir} do not pass `lottery verify` "
        f"({plural(len(report.violations), 'violation')}), so `{command}` will not use "
        "them:\n" + "\n".join(shown) + "\nRun the lottery again into a new folder, or run "
        f"`lottery verify {out_dir}{'' if input_dir is None else f' --inputs {input_dir}'}` "
        "to see every violation."
    )


_SHOWN_VIOLATIONS = 5


def _certified(out_dir: Path) -> bool:
    """Whether ``out_dir`` holds a passing verification.json for its current manifest."""
    try:
        record = json.loads((out_dir / VERIFICATION).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return (
        isinstance(record, dict)
        and record.get("passed") is True
        and record.get("manifest_sha256") == manifest_sha256(out_dir)
        and record.get("manifest_sha256") != ""
    )


def certificate_destination(
    out_dir: Path, certificate_path: Path | None
) -> tuple[Path | None, str | None]:
    """Where ``lottery verify`` saves its certificate, and a note when it cannot.

    ``certificate_path`` (``--certificate``) must be writable and not someone else's
    file (UsageError). Without it the certificate goes to OUT_DIR/verification.json; an
    auditor checking a read-only archive still gets the printed certificate, so a folder
    that cannot be written gives ``(None, note)`` instead of an error.
    """
    if certificate_path is not None:
        check_overwritable(certificate_path, VERIFICATION)
        check_can_write(certificate_path, option="--certificate FILE")
        return certificate_path, None
    path = Path(out_dir) / VERIFICATION
    try:
        check_can_write(path, option="--certificate FILE")
    except UsageError as error:
        return None, f"{error} The certificate is printed only."
    return path, None


def write_verification(report: Verification, out_path: Path) -> None:
    """Write the report as stable JSON (sorted keys, no timestamps, final newline)."""
    text = json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_file_atomically(Path(out_path), text.encode("utf-8"))


def certificate_lines(report: Verification) -> list[str]:
    """A plain-English certificate if every check passed, else every violation."""
    c = report.checks
    if not report.passed:
        n = len(report.violations)
        lines = [f"Verification FAILED: {n} violation{'s' if n != 1 else ''} found."]
        lines += [v.render() for v in report.violations]
        lines += [f"Note: {note}" for note in report.notes]
        return lines
    lines = [
        "Verification passed.",
        f"All {c.get('applicants', 0)} applicants were checked: each appears exactly once in "
        f"{PLACEMENTS} with a known status, and each of the {c.get('placed', 0)} placed "
        "applicants is placed at a program they ranked (or, with status guaranteed, at the "
        "guaranteed program they did not rank), with the right school, grade and choice rank.",
        "No program holds more applicants than the seats it offers in this run (offer_target "
        f"minus held_seats; {c.get('programs', 0)} programs).",
        f"Every lottery number and lottery rank ({c.get('lottery_numbers', 0)} shown) was "
        f"recomputed from the {report.lottery} and matches.",
        f"Every priority ({c.get('priorities', 0)} shown) was recomputed from the policy and "
        f"{PRIORITIES_FILE} and matches.",
    ]
    if c.get("ineligible_choices"):
        n = c["ineligible_choices"]
        lines.append(
            "No applicant is placed or waitlisted at a program whose required tags they lack; "
            f"{'the 1 choice' if n == 1 else f'all {n} choices'} of such a program "
            f"{'shows' if n == 1 else 'show'} as ineligible in {CHOICE_RESULTS}."
        )
    if c.get("guarantees"):
        n = c["guarantees"]
        who = "The 1 guaranteed applicant is" if n == 1 else f"All {n} guaranteed applicants are"
        lines.append(
            f"{who} placed at the guaranteed program or at a program they ranked above it."
        )
    reversed_ = bool(c.get("lottery_reversed"))
    if c.get("linked_applicants"):
        lines.append(
            f"The family lottery numbers of the {c['linked_applicants']} applicants in linked "
            "families were recomputed and match, and every program orders applicants of equal "
            "priority by family number, then their own number, then applicant ID"
            + (" (in this round, in the reverse of that order)." if reversed_ else ".")
        )
    order = (
        "priority, then family lottery number, own lottery number and applicant ID"
        if c.get("linked_applicants")
        else "priority, then lottery number, then applicant ID"
    )
    if reversed_:
        order = order.replace("priority, then ", "priority, then the reverse of: ")
    reserves = c.get("reserve_programs", 0)
    lines += [
        "No applicant lost a seat to someone with lower priority: in each of the "
        f"{c.get('preferred_pairs', 0)} cases where an applicant ranked a program above the one "
        f"they got and may be considered there, that program admitted nobody it orders below "
        f"them ({order})"
        + (
            f", or, at the {plural(reserves, 'program')} with reserved seats (where members "
            "of a category may be admitted below them), choosing slot by slot in precedence "
            "order from the applicants it admitted plus that applicant, would not take them."
            if reserves
            else "."
        ),
        "No seat was wasted: no applicant was refused a program they prefer that has an open "
        "seat" + (" they could take." if reserves else "."),
    ]
    if c.get("reserve_programs"):
        lines.append(
            f"The seat (reserve category or open) of every applicant placed at the "
            f"{plural(c['reserve_programs'], 'program')} with reserves was recomputed from "
            f"its slots and matches, and {RESERVE_REPORT} "
            f"({plural(c.get('reserve_rows', 0), 'row')}) agrees with the placements and with "
            "a match recomputed without reserves."
        )
    if c.get("administrative_owed"):
        lines.append(
            "The zone guarantee was recomputed for the "
            f"{plural(c['administrative_owed'], 'applicant')} it was owed to: "
            f"{plural(c.get('administrative', 0), 'administrative assignment')} and "
            f"{c.get('administrative_unserved', 0)} unserved, as the results show."
        )
    lines += [
        f"Every waitlist is complete and in its program's order ({c.get('waitlist_rows', 0)} "
        "rows).",
        f"The counts and cutoffs in {SUMMARY} and {MANIFEST_FILE} agree with the placements.",
        f"Every ranked choice in {CHOICE_RESULTS} ({c.get('choice_rows', 0)} rows) shows the "
        "right result, priority, waitlist position and cutoff.",
        f"The SHA-256 checksums of {c.get('files_hashed', 0)} files (inputs and outputs) match "
        f"{MANIFEST_FILE}.",
    ]
    lines += [f"Note: {note}" for note in report.notes]
    return lines
