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
   ``lottery verify``, and the reports are not outputs of the run and are ignored).

Everything found is collected into an :class:`AuditReport` (nothing is raised for a
difference: differences are the audit's result). Only a folder that cannot be audited
at all (no manifest, no input folder) raises :class:`~lottery.errors.UsageError`.

An unpacked audit bundle (see :mod:`lottery.audit.bundle`) can be audited too: its
``applicants.csv`` is a redacted copy, so it is checked against the checksum recorded in
``bundle.json`` and the rerun's manifest is compared with the original checksum put back.

**A chain of rounds** (docs/rounds.md). When ``out_dir`` is the folder of a later round
(its manifest has a ``round`` entry), :func:`audit_results` audits every round from the
first to that one (:func:`audit_chain`). The folder of the round before a round is
found beside it (in the same parent folder, under any name): it is the folder whose
``manifest.json`` has the SHA-256 the round records as ``previous_manifest_sha256``. If
no folder has it, the chain is broken there: the folder beside it that holds the round
before by its manifest's number (if there is exactly one) is reported with its
checksum, and the audit goes on with it. Round 1 is audited as above, with
``input_dir`` as its input folder. Each later round's ``changes/`` copy is checked
against the checksums of its manifest (``round.changes``), the round is rerun with
:func:`lottery.rounds.run_round` from the previous round's folder and that copy, and
every file of the round (``round-inputs/`` and ``changes/`` included) is compared with
the rerun's, byte for byte.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import zip_longest
from pathlib import Path

from lottery import __version__
from lottery.engine import run_lottery
from lottery.errors import LotteryError, UsageError
from lottery.io.changes import CHANGE_FILES
from lottery.io.csv_tables import file_sha256
from lottery.io.inputs import INPUT_FILES, LOTTERY_FILE
from lottery.io.outputs import CHANGES_FOLDER, MANIFEST_FILE, ROUND_INPUTS
from lottery.io.writers import manifest_bytes
from lottery.rounds import run_round

IGNORED_OUTPUTS = frozenset({"verification.json", "report.html", "report-public.html"})
"""Files a results folder may hold that the run itself did not write."""

BUNDLE_RECORD = "bundle.json"
BUNDLE_INPUTS = "inputs"
BUNDLE_OUTPUTS = "outputs"

ROUND_SUBFOLDERS = (CHANGES_FOLDER, ROUND_INPUTS)
"""The subfolders of a later round's folder that are part of its results."""
ROUND_OUTPUT_NAMES = frozenset(
    {f"{ROUND_INPUTS}/{name}" for name in INPUT_FILES}
    | {f"{CHANGES_FOLDER}/{name}" for name in CHANGE_FILES}
)
"""Every file in a subfolder that the manifest of a later round may list."""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Finding:
    """One difference between what the run recorded and what the audit found.

    ``kind`` is a stable slug: ``input-missing``, ``input-unused``, ``input-changed``,
    ``rerun-failed``, ``output-missing``, ``output-unexpected``, ``output-differs``,
    ``bundle-inconsistent``, and for a chain of rounds ``chain-broken`` (a round's
    ``previous_manifest_sha256`` is not the SHA-256 of the previous round's manifest) or
    ``chain-missing`` (no folder of the previous round beside it). For ``output-differs``,
    ``line`` is the first line (1-based, the header is line 1) where the files differ,
    ``recorded`` that line in the audited folder and ``rerun`` the line the rerun wrote
    (``None``: the file has ended). ``round`` is the round's number in a chain audit
    (``None`` for the audit of a single run).
    """

    file: str
    kind: str
    message: str
    line: int | None = None
    recorded: str | None = None
    rerun: str | None = None
    round: int | None = None

    def lines(self) -> list[str]:
        """Plain-English lines for this finding."""
        place = self.file if self.line is None else f"{self.file}:{self.line}"
        out = [f"{place}: {self.message}"]
        if self.kind == "output-differs":
            out.append(f"    recorded: {_shown(self.recorded)}")
            out.append(f"    rerun:    {_shown(self.rerun)}")
        return out


@dataclass(frozen=True)
class AuditReport:
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
        out += [_wrap(f"note: {note}") for note in self.notes]
        if self.reproduced:
            out.append(
                _wrap(
                    "Reproduced byte for byte: the input files match their recorded SHA-256 "
                    "checksums, and rerunning the lottery from them gives exactly the same "
                    "output files."
                )
            )
            return out
        noun = "difference" if len(self.findings) == 1 else "differences"
        out.append(f"NOT reproduced: {len(self.findings)} {noun} found.")
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
    out_dir: Path, input_dir: Path | None = None, progress: Progress = lambda _: None
) -> AuditReport | ChainAuditReport:
    """Audit the results in ``out_dir`` against the inputs in ``input_dir``.

    ``out_dir`` may also be an unpacked audit bundle (the folder holding ``bundle.json``,
    or its ``outputs`` folder); ``input_dir`` then defaults to the bundle's ``inputs``.
    When ``out_dir`` is the folder of a later round (``lottery round``), the whole chain
    of rounds up to it is audited (:func:`audit_chain`; ``input_dir`` is then the input
    folder of round 1) and a :class:`ChainAuditReport` is returned.

    Raises :class:`~lottery.errors.UsageError` if there is nothing to audit; every
    difference is reported in the returned report.
    """
    if _later_round(Path(out_dir)):
        return audit_chain(out_dir, input_dir, progress)
    return _audit_run(locate(out_dir, input_dir), progress)


def _audit_run(folders: AuditFolders, progress: Progress) -> AuditReport:
    """Audit one ``lottery run`` results folder (or unpacked bundle) found by :func:`locate`."""
    manifest = folders.manifest
    expected, notes = expected_input_hashes(folders)
    findings: list[Finding] = []
    if folders.bundle is not None:
        findings += _check_bundle_record(folders)
    progress("Checking the input files against manifest.json")
    findings += check_inputs(folders.input_dir, expected)
    notes += _version_notes(manifest)
    seed, commitment = rerun_seed(manifest)
    described = _described(seed, commitment)
    with tempfile.TemporaryDirectory(prefix="lottery-audit-") as work:
        work = Path(work)
        rerun_inputs = work / "inputs"
        rerun_inputs.mkdir()
        for name in expected:
            if (folders.input_dir / name).is_file():
                shutil.copyfile(folders.input_dir / name, rerun_inputs / name)
        progress("Rerunning the lottery in a temporary folder")
        try:
            run_lottery(rerun_inputs, work / "outputs", seed, seed_commitment=commitment)
        except LotteryError as error:
            findings.append(
                Finding(
                    "(rerun)",
                    "rerun-failed",
                    "the lottery could not be rerun from these inputs: "
                    + " / ".join(error.lines()),
                )
            )
            compared: list[str] = []
        else:
            progress("Comparing the output files byte for byte")
            restore = {
                name: info["original_sha256"]
                for name, info in (folders.bundle or {}).get("redacted", {}).items()
            }
            differences, compared = compare_outputs(folders.out_dir, work / "outputs", restore)
            findings += differences
    return AuditReport(
        out_dir=folders.out_dir,
        input_dir=folders.input_dir,
        findings=tuple(findings),
        inputs_checked=tuple(sorted(expected)),
        outputs_compared=tuple(compared),
        rerun=described,
        notes=tuple(notes),
    )


def locate(out_dir: Path, input_dir: Path | None = None) -> AuditFolders:
    """Find the results folder, the input folder and (in a bundle) ``bundle.json``."""
    out_dir = Path(out_dir)
    bundle_root = None
    if (out_dir / BUNDLE_RECORD).is_file():
        bundle_root, out_dir = out_dir, out_dir / BUNDLE_OUTPUTS
    elif (out_dir.parent / BUNDLE_RECORD).is_file() and out_dir.name == BUNDLE_OUTPUTS:
        bundle_root = out_dir.parent
    if input_dir is None:
        if bundle_root is None:
            raise UsageError(
                "Which input files made these results? Pass --inputs INPUT_DIR "
                "(only an unpacked audit bundle knows its own inputs)."
            )
        input_dir = bundle_root / BUNDLE_INPUTS
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise UsageError(f"The input folder {input_dir} does not exist.")
    bundle = None if bundle_root is None else _read_json(bundle_root / BUNDLE_RECORD)
    return AuditFolders(out_dir, input_dir, read_manifest(out_dir), bundle)


def read_manifest(out_dir: Path) -> dict:
    """The ``manifest.json`` of a results folder; UsageError if it is missing or not one."""
    path = Path(out_dir) / MANIFEST_FILE
    if not path.is_file():
        raise UsageError(
            f"{out_dir} has no {MANIFEST_FILE}, so it is not a folder of lottery results."
        )
    manifest = _read_json(path)
    missing = [key for key in ("seed", "lottery", "inputs") if key not in manifest]
    if missing or not isinstance(manifest.get("inputs"), dict):
        raise UsageError(
            f"{path} is not a lottery manifest (it lacks {', '.join(missing) or 'inputs'})."
        )
    unknown = sorted(set(manifest["inputs"]) - set(INPUT_FILES))
    nested = ROUND_OUTPUT_NAMES if isinstance(manifest.get("round"), dict) else frozenset()
    unknown += [
        name
        for name in manifest.get("outputs", {})
        if Path(name).name != name and name not in nested
    ]
    if isinstance(manifest.get("round"), dict):
        changes = manifest["round"].get("changes")
        if not isinstance(changes, dict):
            raise UsageError(f"{path} does not record the changes of its round (round.changes).")
        unknown += sorted(set(changes) - set(CHANGE_FILES))
    if unknown:
        raise UsageError(f"{path} lists files that no lottery run writes or reads: {unknown}.")
    return manifest


def expected_input_hashes(folders: AuditFolders) -> tuple[dict[str, str], list[str]]:
    """The SHA-256 each input file must have, and notes on any taken from ``bundle.json``.

    These are the manifest's ``inputs``, except that in an audit bundle a redacted file
    must have the checksum that ``bundle.json`` records for the redacted copy.
    """
    expected = dict(folders.manifest["inputs"])
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


def _described(seed: str | None, commitment: str | None) -> str:
    described = "numbers from lottery.csv" if seed is None else f'seed "{seed}"'
    if commitment:
        described += f" (commitment {commitment[:16]}...)"
    return described


def _version_notes(manifest: dict) -> list[str]:
    recorded_version = manifest.get("engine", {}).get("version")
    if recorded_version == __version__:
        return []
    return [
        f"the results were made with lottery {recorded_version}, and this is lottery "
        f"{__version__}: another version may give different files"
    ]


def rerun_seed(manifest: dict) -> tuple[str | None, str | None]:
    """The seed (``None`` for numbers from lottery.csv) and seed commitment to rerun with."""
    external = manifest["lottery"].get("source") == LOTTERY_FILE
    return (None if external else manifest["seed"]), manifest.get("seed_commitment")


def compare_outputs(
    recorded_dir: Path,
    rerun_dir: Path,
    restore: dict[str, str] | None = None,
    subfolders: tuple[str, ...] = (),
) -> tuple[list[Finding], list[str]]:
    """Compare the files of two results folders byte for byte.

    ``restore`` maps input names to the checksums to put back into the rerun's manifest
    before comparing (for redacted copies); the files directly in ``subfolders`` (for a
    later round, ``changes`` and ``round-inputs``) are compared too, under names such as
    ``round-inputs/programs.csv``. Returns the differences and the names of the files
    compared.
    """
    recorded = _output_files(recorded_dir, subfolders)
    rerun = _output_files(rerun_dir, subfolders)
    findings = []
    for name in sorted(recorded | rerun):
        if name not in recorded:
            findings.append(
                Finding(name, "output-missing", "the rerun wrote this file, but it is missing")
            )
            continue
        if name not in rerun:
            findings.append(Finding(name, "output-unexpected", "the rerun did not write this file"))
            continue
        mine, theirs = (recorded_dir / name).read_bytes(), (rerun_dir / name).read_bytes()
        if name == MANIFEST_FILE and restore:
            theirs = _restore_input_hashes(theirs, restore)
        if mine != theirs:
            line, first, second = first_difference(mine, theirs)
            findings.append(
                Finding(
                    name,
                    "output-differs",
                    "the first line that differs from the rerun's file",
                    line,
                    first,
                    second,
                )
            )
    return findings, sorted(recorded & rerun)


def first_difference(recorded: bytes, rerun: bytes) -> tuple[int, str | None, str | None]:
    """The first line (1-based) where two files differ, and that line of each.

    A line is ``None`` when its file has ended before it.
    """
    for number, (first, second) in enumerate(zip_longest(_lines(recorded), _lines(rerun)), start=1):
        if first != second:
            return number, _text(first), _text(second)

    # Same lines, different bytes: only the line break at the very end differs.
    def ending(data: bytes) -> str:
        return "(ends with a line break)" if data.endswith(b"\n") else "(no final line break)"

    return max(len(_lines(recorded)), 1), ending(recorded), ending(rerun)


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _text(line: bytes | None) -> str | None:
    return None if line is None else line.decode("utf-8", errors="backslashreplace")


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=88, subsequent_indent="  ", break_on_hyphens=False)


def _shown(line: str | None) -> str:
    return "(the file has ended)" if line is None else line


def _output_files(folder: Path, subfolders: tuple[str, ...] = ()) -> set[str]:
    names = {
        path.name
        for path in Path(folder).iterdir()
        if path.is_file() and path.name not in IGNORED_OUTPUTS and not path.name.startswith(".")
    }
    for sub in subfolders:
        if (Path(folder) / sub).is_dir():
            names |= {
                f"{sub}/{path.name}"
                for path in (Path(folder) / sub).iterdir()
                if path.is_file() and not path.name.startswith(".")
            }
    return names


def _restore_input_hashes(manifest: bytes, restore: dict[str, str]) -> bytes:
    data = json.loads(manifest)
    data["inputs"] = {**data["inputs"], **restore}
    return manifest_bytes(data)


def _check_bundle_record(folders: AuditFolders) -> list[Finding]:
    if folders.bundle.get("manifest") != folders.manifest:
        return [
            Finding(
                BUNDLE_RECORD,
                "bundle-inconsistent",
                f"its copy of the manifest differs from {BUNDLE_OUTPUTS}/{MANIFEST_FILE}",
            )
        ]
    return []


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path} cannot be read as JSON ({error}).") from error
    if not isinstance(data, dict):
        raise UsageError(f"{path} does not hold a JSON object.")
    return data


# ----------------------------------------------------------------------------- rounds


@dataclass(frozen=True)
class RoundAudit:
    """The audit of one round of a chain.

    ``checked`` names the files checked against their recorded checksums before the
    rerun: round 1's input files, or a later round's ``changes/`` copy. ``previous`` is
    the folder of the round before (``None`` for round 1, or when it was not found).
    """

    number: int
    folder: Path
    findings: tuple[Finding, ...]
    checked: tuple[str, ...]
    outputs_compared: tuple[str, ...]
    rerun: str
    input_dir: Path | None = None
    previous: Path | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def reproduced(self) -> bool:
        return not self.findings

    def lines(self) -> list[str]:
        """This round's part of the report of :meth:`ChainAuditReport.lines`."""
        out = [f"Round {self.number}: {self.folder}"]
        if self.number == 1 or self.input_dir is not None:
            out.append(f"  input files:       {self.input_dir}")
            out.append(f"  inputs checked:    {', '.join(self.checked) or '(none)'}")
        else:
            if self.previous is not None:
                out.append(f"  previous round:    {self.previous}")
            out.append(f"  changes checked:   {', '.join(self.checked) or '(none)'}")
        out.append(f"  rerun:             {self.rerun}")
        out.append(
            textwrap.fill(
                ", ".join(self.outputs_compared) or "(none)",
                width=88,
                initial_indent="  outputs compared:  ",
                subsequent_indent=" " * 21,
                break_on_hyphens=False,
                break_long_words=False,
            )
        )
        out += [_wrap(f"  note: {note}") for note in self.notes]
        if self.reproduced:
            out.append("  Reproduced byte for byte.")
            return out
        noun = "difference" if len(self.findings) == 1 else "differences"
        out.append(f"  NOT reproduced: {len(self.findings)} {noun} found.")
        for finding in self.findings:
            first, *rest = finding.lines()
            out.append(
                textwrap.fill(
                    first,
                    width=88,
                    initial_indent="  ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                    break_long_words=False,
                )
            )
            out += ["  " + line for line in rest]
        return out


@dataclass(frozen=True)
class ChainAuditReport:
    """The audit of a chain of rounds: one :class:`RoundAudit` per round found, from the
    first to the folder audited."""

    out_dir: Path
    input_dir: Path | None
    rounds: tuple[RoundAudit, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every difference found, in round order (each with its ``round``)."""
        return tuple(f for audit in self.rounds for f in audit.findings)

    @property
    def reproduced(self) -> bool:
        """Whether the chain is unbroken and every round was reproduced byte for byte."""
        return not self.findings

    @property
    def broken_at(self) -> int | None:
        """The first round whose link to the round before is broken, if any."""
        broken = [f.round for f in self.findings if f.kind in ("chain-broken", "chain-missing")]
        return broken[0] if broken else None

    def lines(self) -> list[str]:
        """The report as ``lottery audit`` prints it for a round's folder."""
        first, last = self.rounds[0], self.rounds[-1]
        out = [
            f"Audit of a chain of {len(self.rounds)} rounds (round {first.number} to round "
            f"{last.number}), each round rerun from the one before"
        ]
        for audit in self.rounds:
            out += audit.lines()
        if self.reproduced:
            out.append(
                _wrap(
                    f"Reproduced byte for byte: the {len(self.rounds)} rounds form an unbroken "
                    "chain (each round's manifest.json records the SHA-256 of the manifest of "
                    "the round before), the input files of round 1 and the changes of every "
                    "later round match their recorded SHA-256 checksums, and rerunning each "
                    "round from the one before gives exactly the same files."
                )
            )
            return out
        noun = "difference" if len(self.findings) == 1 else "differences"
        failed = [a.number for a in self.rounds if not a.reproduced]
        where = "round" if len(failed) == 1 else "rounds"
        listed = ", ".join(str(n) for n in failed[:-1])
        listed = f"{listed} and {failed[-1]}" if listed else str(failed[-1])
        summary = f"NOT reproduced: {len(self.findings)} {noun} found, in {where} {listed}."
        if self.broken_at is not None:
            summary += f" The chain is broken at round {self.broken_at}."
        out.append(_wrap(summary))
        return out


@dataclass
class _Round:
    """A round's folder found while walking the chain back, and its link to the one before."""

    folder: Path
    manifest: dict
    previous: Path | None = None
    link: Finding | None = None


def audit_chain(
    out_dir: Path, input_dir: Path | None = None, progress: Progress = lambda _: None
) -> ChainAuditReport:
    """Audit every round of the chain that ends with the round in ``out_dir``.

    The chain is walked back from ``out_dir`` (see :func:`find_chain`): the folders of the
    earlier rounds must be beside it, in the same parent folder. Round 1 is audited like
    any run, with ``input_dir`` as its input folder; every later round is rerun from the
    folder of the round before and its own ``changes/`` copy, and compared byte for byte.

    Raises :class:`~lottery.errors.UsageError` if round 1 is found but ``input_dir`` is
    not its input folder's path (missing, or a later round's ``round-inputs``).
    """
    out_dir = _named(Path(out_dir))
    progress("Finding the rounds of the chain")
    chain = find_chain(out_dir)
    first_is_round_one = not isinstance(chain[0].manifest.get("round"), dict)
    if input_dir is not None:
        input_dir = Path(input_dir)
        if input_dir.name == ROUND_INPUTS and (input_dir.parent / MANIFEST_FILE).is_file():
            raise UsageError(
                f"{input_dir} holds the input files of a later round. To audit a chain of "
                "rounds, pass with --inputs the input folder of round 1 (the folder "
                "`lottery run` read); every later round is rerun from the round before it."
            )
    if first_is_round_one and input_dir is None:
        raise UsageError(
            f"Which input files made round 1 ({chain[0].folder})? Pass --inputs with the input "
            "folder of round 1 (the folder `lottery run` read); the later rounds need no "
            "other input."
        )
    audits: list[RoundAudit] = []
    for position, link in enumerate(chain):
        if position == 0 and first_is_round_one:
            progress(f"Round 1 ({link.folder}): checking its input files and rerunning it")
            report = _audit_run(locate(link.folder, input_dir), progress=lambda _: None)
            audits.append(
                RoundAudit(
                    number=1,
                    folder=link.folder,
                    findings=tuple(replace(f, round=1) for f in report.findings),
                    checked=report.inputs_checked,
                    outputs_compared=report.outputs_compared,
                    rerun=report.rerun,
                    input_dir=report.input_dir,
                    notes=report.notes,
                )
            )
            continue
        first_inputs = input_dir if position == 1 and first_is_round_one else None
        audits.append(_audit_round(link, first_inputs, progress))
    return ChainAuditReport(out_dir, input_dir, tuple(audits))


def find_chain(last: Path) -> list[_Round]:
    """The rounds of the chain that ends with ``last``, first to last.

    The round before a later round is the folder beside it (a folder of ``last.parent``)
    whose ``manifest.json`` has the SHA-256 the round records as
    ``previous_manifest_sha256``. When none has it, the link is broken (``chain-broken``)
    and the walk goes on with the one folder beside it that holds the round before by
    its manifest's number; when there is no such folder, or several, the walk stops
    there (``chain-missing``). Round 1 is the folder whose manifest records no round.
    """
    last = _named(Path(last))
    chain = [_Round(last, read_manifest(last))]
    seen = {last.resolve()}
    beside = [
        folder
        for folder in sorted(last.parent.iterdir())
        if folder.is_dir() and (folder / MANIFEST_FILE).is_file()
    ]
    checksums: dict[Path, str] = {}

    def checksum(folder: Path) -> str:
        if folder not in checksums:
            checksums[folder] = file_sha256(folder / MANIFEST_FILE)
        return checksums[folder]

    while isinstance(chain[-1].manifest.get("round"), dict):
        current = chain[-1]
        number = _round_number(current.manifest)
        wanted = current.manifest["round"].get("previous_manifest_sha256")
        others = [folder for folder in beside if folder.resolve() not in seen]
        found = [folder for folder in others if checksum(folder) == wanted]
        recorded = (
            f"the chain is broken at round {number}: this manifest.json records {wanted} as "
            "the SHA-256 of the previous round's manifest.json"
        )
        if not found:
            claimed = [
                folder
                for folder in others
                if number is not None and _round_number(_peek(folder)) == number - 1
            ]
            if len(claimed) != 1:
                why = (
                    f"no folder beside it ({last.parent}) has that manifest or holds round "
                    f"{number - 1 if number else 'before'}"
                    if not claimed
                    else f"none of the folders beside it that hold round {number - 1} "
                    f"({', '.join(str(f) for f in claimed)}) has that manifest"
                )
                current.link = Finding(
                    MANIFEST_FILE,
                    "chain-missing",
                    f"{recorded}, but {why}. The rounds before it cannot be audited: put the "
                    "folders of every round of the chain in one folder.",
                )
                break
            found = claimed
            current.link = Finding(
                MANIFEST_FILE,
                "chain-broken",
                f"{recorded}, but {found[0] / MANIFEST_FILE}, the manifest of round "
                f"{number - 1}, has SHA-256 {checksum(found[0])}: round {number - 1} has "
                f"changed since round {number} was run (round {number - 1} is audited "
                "from that folder as it is now).",
            )
        previous = found[0]
        current.previous = previous
        seen.add(previous.resolve())
        try:
            manifest = read_manifest(previous)
        except UsageError as error:
            current.link = Finding(
                MANIFEST_FILE,
                "chain-broken",
                f"{recorded}; the folder of round {(number or 1) - 1}, {previous}, has a "
                f"manifest that cannot be read ({error}).",
            )
            current.previous = None
            break
        chain.append(_Round(previous, manifest))
    return chain[::-1]


def _audit_round(link: _Round, first_inputs: Path | None, progress: Progress) -> RoundAudit:
    """Audit a later round: its changes/ copy, then a rerun from the round before."""
    folder, manifest = link.folder, link.manifest
    record = manifest["round"]
    number = _round_number(manifest) or 0
    findings = [link.link] if link.link is not None else []
    changes = {name: digest for name, digest in sorted(record["changes"].items())}
    progress(f"Round {number} ({folder}): checking its changes and rerunning it")
    findings += check_changes(folder / CHANGES_FOLDER, changes)
    seed, commitment = rerun_seed(manifest)
    described = _described(seed, commitment)
    if record.get("lottery_reversed") is True:
        described += ", the lottery order reversed"
    compared: list[str] = []
    if link.previous is None:
        described = "not rerun: the folder of the round before was not found"
    else:
        with tempfile.TemporaryDirectory(prefix="lottery-audit-") as work:
            work = Path(work)
            rerun_changes = work / CHANGES_FOLDER
            rerun_changes.mkdir()
            for name in changes:
                if (folder / CHANGES_FOLDER / name).is_file():
                    shutil.copyfile(folder / CHANGES_FOLDER / name, rerun_changes / name)
            inputs = None
            if first_inputs is not None:
                inputs = work / "round-1-inputs"
                inputs.mkdir()
                for name in read_manifest(link.previous)["inputs"]:
                    if (first_inputs / name).is_file():
                        shutil.copyfile(first_inputs / name, inputs / name)
            try:
                run_round(
                    link.previous,
                    rerun_changes,
                    work / "outputs",
                    inputs_dir=inputs,
                    verified=False,  # the audit compares bytes: it must rerun anything
                )
            except LotteryError as error:
                findings.append(
                    Finding(
                        "(rerun)",
                        "rerun-failed",
                        f"round {number} could not be rerun from the folder of the round "
                        f"before ({link.previous}) and its changes: " + " / ".join(error.lines()),
                    )
                )
            else:
                differences, compared = compare_outputs(
                    folder, work / "outputs", subfolders=ROUND_SUBFOLDERS
                )
                findings += differences
    return RoundAudit(
        number=number,
        folder=folder,
        findings=tuple(replace(f, round=number) for f in findings),
        checked=tuple(f"{CHANGES_FOLDER}/{name}" for name in changes),
        outputs_compared=tuple(compared),
        rerun=described,
        previous=link.previous,
        notes=tuple(_version_notes(manifest)),
    )


def check_changes(changes_dir: Path, recorded: dict[str, str]) -> list[Finding]:
    """Compare a round's copy of its changes with the checksums of ``round.changes``.

    A file in the folder that the manifest does not record is reported by the comparison
    with the rerun (which does not write it).
    """
    findings = []
    for name, digest in recorded.items():
        path = Path(changes_dir) / name
        label = f"{CHANGES_FOLDER}/{name}"
        if not path.is_file():
            findings.append(
                Finding(
                    label,
                    "input-missing",
                    f"the round read this file (its SHA-256 is in {MANIFEST_FILE}), but it is "
                    "missing",
                )
            )
            continue
        actual = file_sha256(path)
        if actual != digest:
            findings.append(
                Finding(
                    label,
                    "input-changed",
                    f"this copy of the round's changes has changed: its SHA-256 is {actual}, "
                    f"but {MANIFEST_FILE} records {digest}",
                )
            )
    return findings


def _later_round(out_dir: Path) -> bool:
    """Whether ``out_dir`` is the folder of a later round (not an audit bundle)."""
    if (out_dir / BUNDLE_RECORD).is_file() or (
        out_dir.name == BUNDLE_OUTPUTS and (out_dir.parent / BUNDLE_RECORD).is_file()
    ):
        return False
    return isinstance(_peek(out_dir).get("round"), dict)


def _peek(folder: Path) -> dict:
    """A folder's manifest.json if it reads as a JSON object, else an empty one."""
    try:
        data = json.loads((Path(folder) / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _round_number(manifest: dict) -> int | None:
    """The round a manifest records: 1 without a ``round`` entry (``lottery run``)."""
    if not manifest:
        return None
    record = manifest.get("round")
    if record is None:
        return 1
    number = record.get("number") if isinstance(record, dict) else None
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def _named(folder: Path) -> Path:
    """The folder with a name of its own (``.`` resolved), so that its parent is right."""
    return folder.resolve() if folder.name in ("", ".", "..") else folder
