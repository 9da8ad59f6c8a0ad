"""``lottery audit``: rerun a finished lottery and compare every output file byte for byte.

An audit takes a results folder (with its ``manifest.json``) and the input folder, and
answers one question: do these inputs and the recorded seed give exactly these results?

1. Check the input files against the SHA-256 checksums in ``manifest.json`` (``inputs``):
   a file that is missing, changed, or present but not used by the run is reported.
2. Rerun the lottery in a temporary folder, from the input files the manifest lists and
   the seed (and seed commitment) it records, or from ``lottery.csv`` when the numbers
   came from there. The policy comes from the input files, as in any run.
3. Compare every output file with the rerun's, byte for byte (``reserve_report.csv``,
   which reruns the match without reserves, like the others), and report the first
   differing line of each file that differs (``verification.json``, written by
   ``lottery verify``, and the reports are not outputs of the run and are ignored; see
   :mod:`lottery.audit.compare`).

Everything found is collected into an :class:`AuditSummary` (nothing is raised for a
difference: differences are the audit's result). Only a folder that cannot be audited
at all (no manifest, no input folder) raises :class:`~lottery.errors.UsageError`.

An unpacked audit bundle (see :mod:`lottery.audit.bundle`) can be audited too: its
``applicants.csv`` is a redacted copy, so it is checked against the checksum recorded in
``bundle.json`` and the rerun's manifest is compared with the original checksum put back.

This module also owns how an audit reads a results folder's ``manifest.json``
(:func:`read_manifest`, and :func:`peek_manifest` for a glance at a folder that need
not be one) and what it reruns with (:func:`rerun_seed`). The folder of a later round is
audited with the whole chain of rounds before it: :mod:`lottery.audit.chain`.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lottery import __version__
from lottery.audit.compare import Finding, compare_outputs, differences, rerun_failed, wrap
from lottery.engine import run_lottery
from lottery.errors import LotteryError, UsageError
from lottery.io import manifest as io_manifest
from lottery.io.atomic import Say, say_nothing
from lottery.io.changes import CHANGE_FILES
from lottery.io.csv_tables import column_key, detect_delimiter, file_sha256, header_line
from lottery.io.inputs import APPLICANT_COLUMNS, APPLICANTS_FILE, INPUT_FILES, LOTTERY_FILE
from lottery.io.manifest import Manifest
from lottery.io.outputs import (
    BUNDLE_INPUTS,
    BUNDLE_OUTPUTS,
    BUNDLE_RECORD,
    CHANGES_FOLDER,
    MANIFEST_FILE,
    PLACEMENTS,
    ROUND_INPUTS,
)

if TYPE_CHECKING:
    from lottery.audit.chain import ChainAuditSummary

BUNDLE_ROUNDS = "rounds"
"""The folder of an audit bundle of a later round that holds one folder per round."""

ROUND_OUTPUT_NAMES = frozenset(
    {f"{ROUND_INPUTS}/{name}" for name in INPUT_FILES}
    | {f"{CHANGES_FOLDER}/{name}" for name in CHANGE_FILES}
)
"""Every file in a subfolder that the manifest of a later round may list."""


@dataclass(frozen=True)
class AuditSummary:
    """The result of an audit: every difference found, and notes on how it was done."""

    out_dir: Path
    input_dir: Path
    findings: tuple[Finding, ...]
    inputs_checked: tuple[str, ...]
    outputs_compared: tuple[str, ...]
    rerun: str
    notes: tuple[str, ...] = field(default=())

    @property
    def reproduced(self) -> bool:
        """Whether the inputs matched and every output file was reproduced byte for byte."""
        return not self.findings

    def lines(self) -> list[str]:
        """The report as ``lottery audit`` prints it."""
        out = [
            f"Audit of {self.out_dir} with the input files in {self.input_dir}",
            f"  inputs checked:    {', '.join(self.inputs_checked) or '(none)'}",
            f"  rerun:             {self.rerun}",
            f"  outputs compared:  {', '.join(self.outputs_compared) or '(none)'}",
        ]
        out += [wrap(f"note: {note}") for note in self.notes]
        if self.reproduced:
            out.append(
                wrap(
                    "Reproduced byte for byte: the input files match their recorded SHA-256 "
                    "checksums, and rerunning the lottery from them gives exactly the same "
                    "output files."
                )
            )
            return out
        out.append(f"NOT reproduced: {differences(self.findings)} found.")
        for finding in self.findings:
            out += finding.lines()
        return out


@dataclass(frozen=True)
class AuditFolders:
    """Where the results and inputs of an audit are, and the bundle record if any."""

    out_dir: Path
    input_dir: Path
    manifest: dict
    bundle: dict | None


def audit_results(
    out_dir: Path, input_dir: Path | None = None, progress: Say = say_nothing
) -> AuditSummary | ChainAuditSummary:
    """Audit the results in ``out_dir`` against the inputs in ``input_dir``.

    ``out_dir`` may also be an unpacked audit bundle (the folder holding ``bundle.json``,
    or its ``outputs`` folder); ``input_dir`` then defaults to the bundle's ``inputs``.
    When ``out_dir`` is the folder of a later round (``lottery round``), the whole chain
    of rounds up to it is audited (:func:`~lottery.audit.chain.audit_chain`;
    ``input_dir`` is then the input folder of round 1) and a
    :class:`~lottery.audit.chain.ChainAuditSummary` is returned.

    Raises :class:`~lottery.errors.UsageError` if there is nothing to audit; every
    difference is reported in the returned report.
    """
    # The chain audits its round 1 with audit_run, so it imports this module: import it
    # here, once this module is complete.
    from lottery.audit.chain import audit_chain

    chain_bundle = _chain_bundle(Path(out_dir))
    if chain_bundle is not None:
        root, record, last = chain_bundle
        first_inputs = root / BUNDLE_INPUTS if input_dir is None else input_dir
        return audit_chain(last, first_inputs, progress, bundle=record)
    if _later_round(Path(out_dir)):
        return audit_chain(out_dir, input_dir, progress)
    return audit_run(locate(out_dir, input_dir), progress)


def _later_round(out_dir: Path) -> bool:
    """Whether ``out_dir`` is the folder of a later round (not an audit bundle)."""
    manifest = peek_manifest(out_dir)
    return _bundle_root(out_dir) is None and manifest is not None and manifest.is_later_round


def audit_run(folders: AuditFolders, progress: Say) -> AuditSummary:
    """Audit one ``lottery run`` results folder (or unpacked bundle) found by :func:`locate`."""
    manifest = folders.manifest
    expected, notes = expected_input_hashes(folders)
    findings: list[Finding] = []
    if folders.bundle is not None:
        findings += _check_bundle_record(folders)
    progress(f"Checking the input files against {MANIFEST_FILE}")
    findings += not_this_run(check_inputs(folders.input_dir, expected), folders)
    notes += version_notes(manifest)
    seed, commitment = rerun_seed(manifest)
    described = describe_rerun(seed, commitment)
    compared: list[str] = []
    if any(f.kind == NOT_THIS_RUN for f in findings):
        # Rerunning another run's files would only list differences that say nothing more.
        described = "not rerun: the input files are not this run's"
    else:
        found, compared = _rerun_and_compare(folders, expected, seed, commitment, progress)
        findings += found
    return AuditSummary(
        out_dir=folders.out_dir,
        input_dir=folders.input_dir,
        findings=tuple(findings),
        inputs_checked=tuple(sorted(expected)),
        outputs_compared=tuple(compared),
        rerun=described,
        notes=tuple(notes),
    )


def _rerun_and_compare(
    folders: AuditFolders,
    expected: dict[str, str],
    seed: str | None,
    commitment: str | None,
    progress: Say,
) -> tuple[list[Finding], list[str]]:
    """Rerun the lottery in a temporary folder and compare its files with the run's."""
    with tempfile.TemporaryDirectory(prefix="lottery-audit-") as work:
        work = Path(work)
        rerun_inputs = copy_files(expected, folders.input_dir, work / "inputs")
        progress("Rerunning the lottery in a temporary folder")
        try:
            run_lottery(rerun_inputs, work / "outputs", seed, seed_commitment=commitment)
        except LotteryError as error:
            return [rerun_failed("the lottery could not be rerun from these inputs", error)], []
        progress("Comparing the output files byte for byte")
        restore = {
            name: info["original_sha256"]
            for name, info in (folders.bundle or {}).get("redacted", {}).items()
        }
        return compare_outputs(folders.out_dir, work / "outputs", restore)


def locate(out_dir: Path, input_dir: Path | None = None) -> AuditFolders:
    """Find the results folder, the input folder and (in a bundle) ``bundle.json``."""
    out_dir = Path(out_dir)
    bundle_root = _bundle_root(out_dir)
    if bundle_root == out_dir:
        out_dir = out_dir / BUNDLE_OUTPUTS
    if input_dir is None:
        if bundle_root is None:
            raise UsageError(
                "Which input files made these results? Pass --inputs INPUT_DIR "
                "(only an unpacked audit bundle knows its own inputs)."
            )
        input_dir = bundle_root / BUNDLE_INPUTS
    input_dir = existing_input_dir(input_dir)
    bundle = (
        None if bundle_root is None else io_manifest.read_json_object(bundle_root / BUNDLE_RECORD)
    )
    return AuditFolders(out_dir, input_dir, read_manifest(out_dir), bundle)


def existing_input_dir(input_dir: Path) -> Path:
    """``input_dir`` as a path; UsageError if there is no such folder."""
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise UsageError(f"The input folder {input_dir} does not exist.")
    return input_dir


def _chain_bundle(out_dir: Path) -> tuple[Path, dict, Path] | None:
    """For an unpacked audit bundle of a later round (the folder holding ``bundle.json``,
    or one of its ``rounds/`` folders): its root, its record and the last round to audit."""
    inside = out_dir.parent.name == BUNDLE_ROUNDS
    root = out_dir.parent.parent if inside else out_dir
    if not (root / BUNDLE_RECORD).is_file():
        return None
    record = io_manifest.read_json_object(root / BUNDLE_RECORD)
    rounds = record.get("rounds")
    if not isinstance(rounds, list) or not rounds or not isinstance(rounds[-1], dict):
        return None
    return root, record, out_dir if inside else root / str(rounds[-1].get("folder"))


def _bundle_root(out_dir: Path) -> Path | None:
    """The unpacked audit bundle ``out_dir`` is (or whose ``outputs`` folder it is), if any."""
    if (out_dir / BUNDLE_RECORD).is_file():
        return out_dir
    if (out_dir.parent / BUNDLE_RECORD).is_file() and out_dir.name == BUNDLE_OUTPUTS:
        return out_dir.parent
    return None


# ----------------------------------------------------------------------------- manifest


def read_manifest(out_dir: Path) -> Manifest:
    """The ``manifest.json`` of a results folder; UsageError if it is missing or not one.

    Every audit (and the audit bundle) reads a manifest it relies on here, and only here.
    """
    path = Path(out_dir) / MANIFEST_FILE
    if not path.is_file():
        raise UsageError(
            f"{out_dir} has no {MANIFEST_FILE}, so it is not a folder of lottery results."
        )
    manifest = io_manifest.read_manifest(path)
    missing = [key for key in ("seed", "lottery", "inputs") if key not in manifest.raw]
    if missing or manifest.inputs is None:
        raise UsageError(
            f"{path} is not a lottery manifest (it lacks {', '.join(missing) or 'inputs'})."
        )
    unknown = sorted(set(manifest.inputs) - set(INPUT_FILES))
    nested = ROUND_OUTPUT_NAMES if manifest.is_later_round else frozenset()
    unknown += [
        name for name in manifest.outputs or {} if Path(name).name != name and name not in nested
    ]
    if manifest.round is not None:
        changes = manifest.round.changes
        if changes is None:
            raise UsageError(f"{path} does not record the changes of its round (round.changes).")
        unknown += sorted(set(changes) - set(CHANGE_FILES))
    if unknown:
        raise UsageError(f"{path} lists files that no lottery run writes or reads: {unknown}.")
    return manifest


def peek_manifest(folder: Path) -> Manifest | None:
    """A folder's manifest.json if it reads as a JSON object, else None (unchecked: for
    telling what a folder holds, never for rerunning it)."""
    return io_manifest.peek_manifest(Path(folder) / MANIFEST_FILE)


def rerun_seed(manifest: Manifest) -> tuple[str | None, str | None]:
    """The seed (``None`` for numbers from lottery.csv) and seed commitment to rerun with."""
    external = manifest.lottery is not None and manifest.lottery.source == LOTTERY_FILE
    return (None if external else manifest.seed), manifest.seed_commitment


def describe_rerun(seed: str | None, commitment: str | None) -> str:
    """How the lottery was rerun, as the report's ``rerun:`` line says it."""
    described = f"numbers from {LOTTERY_FILE}" if seed is None else f'seed "{seed}"'
    if commitment:
        described += f" (commitment {commitment[:16]}...)"
    return described


def version_notes(manifest: Manifest) -> list[str]:
    """A note when the results were made by another version of lottery than this one."""
    recorded_version = manifest.engine_version
    if recorded_version == __version__:
        return []
    return [
        f"the results were made with lottery {recorded_version}, and this is lottery "
        f"{__version__}: another version may give different files"
    ]


# ----------------------------------------------------------------------------- inputs


def expected_input_hashes(folders: AuditFolders) -> tuple[dict[str, str], list[str]]:
    """The SHA-256 each input file must have, and notes on any taken from ``bundle.json``.

    These are the manifest's ``inputs``, except that in an audit bundle a redacted file
    must have the checksum that ``bundle.json`` records for the redacted copy.
    """
    expected = dict(folders.manifest.inputs)
    notes = []
    for name, info in (folders.bundle or {}).get("redacted", {}).items():
        expected[name] = info["sha256"]
        notes.append(
            f"{name} is a redacted copy from an audit bundle ({', '.join(info['columns'])} "
            f'replaced by "{info["placeholder"]}"): it was checked against the checksum in '
            f"{BUNDLE_RECORD}, and {MANIFEST_FILE} was compared with the original file's "
            f"checksum ({info['original_sha256']}) put back"
            + (
                f"; {', '.join(info['kept'])} were kept although personal, because "
                "placements depend on them"
                if info.get("kept")
                else ""
            )
        )
    return expected, notes


def check_inputs(input_dir: Path, expected: dict[str, str]) -> list[Finding]:
    """Compare the input files in ``input_dir`` with the expected SHA-256 checksums."""
    findings = []
    present = {name for name in INPUT_FILES if (Path(input_dir) / name).is_file()}
    for name in sorted(set(expected) | present):
        if name not in present:
            findings.append(
                Finding(name, "input-missing", f"the run used this file, but {input_dir} lacks it")
            )
        elif name not in expected:
            findings.append(
                Finding(
                    name,
                    "input-unused",
                    f"this file is in {input_dir}, but the run did not use it "
                    f"(it is not among the inputs of {MANIFEST_FILE})",
                )
            )
        else:
            actual = file_sha256(Path(input_dir) / name)
            if actual != expected[name]:
                findings.append(
                    Finding(
                        name,
                        "input-changed",
                        f"this file has changed: its SHA-256 is {actual}, "
                        f"but {MANIFEST_FILE} records {expected[name]}",
                    )
                )
    return findings


NOT_THIS_RUN = "inputs-not-this-run"
"""The kind of finding for an input folder that is another run's."""

WRONG_FOLDER_FILES = 3
"""From this many input files missing or changed (or all of them), the input folder is
taken for another run's rather than edited: one finding says so instead of one a file."""


def not_this_run(findings: list[Finding], folders: AuditFolders) -> list[Finding]:
    """``findings`` of :func:`check_inputs`, as one ``inputs-not-this-run`` finding when
    the input folder is plainly another run's: most or all of its files differ from the
    manifest's checksums, or its applicants are not the run's. One or two changed files
    (an edit, or tampering) keep their own findings."""
    differ = [f.file for f in findings if f.kind in ("input-missing", "input-changed")]
    expected = len(folders.manifest.inputs or {})
    reasons = []
    if differ and (len(differ) >= WRONG_FOLDER_FILES or len(differ) == expected):
        reasons.append(
            f"{len(differ)} of the {expected} input files of the run are missing from it or "
            f"differ from the checksums in {MANIFEST_FILE} ({', '.join(differ)})"
        )
    if APPLICANTS_FILE in differ:
        shared, run = _shared_applicants(folders)
        if run and shared * 2 < run:
            reasons.append(
                f"its applicants.csv names only {shared} of the {run} applicants of the run"
            )
    if not reasons:
        return findings
    return [
        Finding(
            "(input folder)",
            NOT_THIS_RUN,
            f"{folders.input_dir} is not the input folder of this run: "
            + "; ".join(reasons)
            + ". Pass --inputs with the folder the run read (for a later round, round 1's).",
        ),
        *(f for f in findings if f.file not in differ),
    ]


def _shared_applicants(folders: AuditFolders) -> tuple[int, int]:
    """How many applicant IDs of the run's placements.csv the input folder's applicants.csv
    has, and how many there are; (0, 0) when either cannot be read."""

    def ids(path: Path, columns: Iterable[str]) -> set[str]:
        """The applicant IDs of a file whose columns are ``columns``, read as the engine
        reads its header (separator and column names)."""
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return set()
        delimiter = detect_delimiter(header_line(text), columns)
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        names = [column_key(cell) for cell in next(rows, [])]
        if "applicant_id" not in names:
            return set()
        at = names.index("applicant_id")
        return {row[at].strip() for row in rows if len(row) > at}

    run = ids(folders.out_dir / PLACEMENTS, ("applicant_id",))
    given = ids(folders.input_dir / APPLICANTS_FILE, APPLICANT_COLUMNS[0] + APPLICANT_COLUMNS[1])
    if not run or not given:
        return 0, 0
    return len(run & given), len(run)


def copy_files(names: Iterable[str], source: Path, target: Path) -> Path:
    """Copy the files ``names`` that ``source`` has into the new folder ``target``.

    A rerun reads only these copies, so a file the run did not use cannot change it; a
    missing file is left out (the audit has reported it already).
    """
    target.mkdir()
    for name in names:
        if (Path(source) / name).is_file():
            shutil.copyfile(Path(source) / name, target / name)
    return target


def _check_bundle_record(folders: AuditFolders) -> list[Finding]:
    if folders.bundle.get("manifest") != folders.manifest.raw:
        return [
            Finding(
                BUNDLE_RECORD,
                "bundle-inconsistent",
                f"its copy of the manifest differs from {BUNDLE_OUTPUTS}/{MANIFEST_FILE}",
            )
        ]
    return []
