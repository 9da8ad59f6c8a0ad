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

An unpacked audit bundle (see :mod:`lottery.bundle`) can be audited too: its
``applicants.csv`` is a redacted copy, so it is checked against the checksum recorded in
``bundle.json`` and the rerun's manifest is compared with the original checksum put back.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

from lottery import __version__
from lottery.engine import run_lottery
from lottery.errors import LotteryError, UsageError
from lottery.io.readers import (
    APPLICANTS_FILE,
    CHOICES_FILE,
    LOTTERY_FILE,
    PRIORITIES_FILE,
    PROGRAMS_FILE,
    RESERVES_FILE,
)
from lottery.io.tables import file_sha256
from lottery.io.writers import MANIFEST_FILE, manifest_bytes
from lottery.policy import POLICY_FILE

INPUT_FILES = (
    PROGRAMS_FILE,
    APPLICANTS_FILE,
    CHOICES_FILE,
    PRIORITIES_FILE,
    LOTTERY_FILE,
    RESERVES_FILE,
    POLICY_FILE,
)
"""Every file a run reads from its input folder; other files there (a README) are ignored."""

IGNORED_OUTPUTS = frozenset({"verification.json", "report.html", "report-public.html"})
"""Files a results folder may hold that the run itself did not write."""

BUNDLE_RECORD = "bundle.json"
BUNDLE_INPUTS = "inputs"
BUNDLE_OUTPUTS = "outputs"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Finding:
    """One difference between what the run recorded and what the audit found.

    ``kind`` is a stable slug: ``input-missing``, ``input-unused``, ``input-changed``,
    ``rerun-failed``, ``output-missing``, ``output-unexpected``, ``output-differs`` or
    ``bundle-inconsistent``. For ``output-differs``, ``line`` is the first line (1-based,
    the header is line 1) where the files differ, ``recorded`` that line in the audited
    folder and ``rerun`` the line the rerun wrote (``None``: the file has ended).
    """

    file: str
    kind: str
    message: str
    line: int | None = None
    recorded: str | None = None
    rerun: str | None = None

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
) -> AuditReport:
    """Audit the results in ``out_dir`` against the inputs in ``input_dir``.

    ``out_dir`` may also be an unpacked audit bundle (the folder holding ``bundle.json``,
    or its ``outputs`` folder); ``input_dir`` then defaults to the bundle's ``inputs``.

    Raises :class:`~lottery.errors.UsageError` if there is nothing to audit; every
    difference is reported in the returned :class:`AuditReport`.
    """
    folders = locate(out_dir, input_dir)
    manifest = folders.manifest
    expected, notes = expected_input_hashes(folders)
    findings: list[Finding] = []
    if folders.bundle is not None:
        findings += _check_bundle_record(folders)
    progress("Checking the input files against manifest.json")
    findings += check_inputs(folders.input_dir, expected)
    recorded_version = manifest.get("engine", {}).get("version")
    if recorded_version != __version__:
        notes.append(
            f"the results were made with lottery {recorded_version}, and this is lottery "
            f"{__version__}: another version may give different files"
        )
    seed, commitment = rerun_seed(manifest)
    described = "numbers from lottery.csv" if seed is None else f'seed "{seed}"'
    if commitment:
        described += f" (commitment {commitment[:16]}...)"
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
    unknown += [name for name in manifest.get("outputs", {}) if Path(name).name != name]
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


def rerun_seed(manifest: dict) -> tuple[str | None, str | None]:
    """The seed (``None`` for numbers from lottery.csv) and seed commitment to rerun with."""
    external = manifest["lottery"].get("source") == LOTTERY_FILE
    return (None if external else manifest["seed"]), manifest.get("seed_commitment")


def compare_outputs(
    recorded_dir: Path, rerun_dir: Path, restore: dict[str, str] | None = None
) -> tuple[list[Finding], list[str]]:
    """Compare the files of two results folders byte for byte.

    ``restore`` maps input names to the checksums to put back into the rerun's manifest
    before comparing (for redacted copies). Returns the differences and the names of the
    files compared.
    """
    recorded, rerun = _output_files(recorded_dir), _output_files(rerun_dir)
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


def _output_files(folder: Path) -> set[str]:
    return {
        path.name
        for path in Path(folder).iterdir()
        if path.is_file() and path.name not in IGNORED_OUTPUTS and not path.name.startswith(".")
    }


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
