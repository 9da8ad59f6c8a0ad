"""``lottery audit`` on the folder of a later round: audit the whole chain of rounds.

When the folder audited is that of a later round (its manifest has a ``round`` entry;
docs/rounds.md), :func:`~lottery.audit.rerun.audit_results` audits every round from the
first to that one (:func:`audit_chain`). The folder of the round before a round is
found beside it (in the same parent folder, under any name): it is the folder whose
``manifest.json`` has the SHA-256 the round records as ``previous_manifest_sha256``. If
no folder has it, the chain is broken there: the folder beside it that holds the round
before by its manifest's number (if there is exactly one) is reported with its
checksum, and the audit goes on with it. Round 1 is audited like any run
(:func:`lottery.audit.rerun.audit_run`), with ``input_dir`` as its input folder. Each
later round's ``changes/`` copy is checked against the checksums of its manifest
(``round.changes``), the round is rerun with :func:`lottery.rounds.run_round` from the
previous round's folder and that copy, and every file of the round (``round-inputs/``
and ``changes/`` included) is compared with the rerun's, byte for byte.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path

from lottery.audit.compare import (
    Finding,
    compare_outputs,
    differences,
    replace_checksums,
    rerun_failed,
    wrap,
)
from lottery.audit.rerun import (
    NOT_THIS_RUN,
    AuditFolders,
    audit_run,
    copy_files,
    describe_rerun,
    existing_input_dir,
    locate,
    peek_manifest,
    read_manifest,
    rerun_seed,
    version_notes,
)
from lottery.errors import LotteryError, UsageError
from lottery.io.atomic import Say, say_nothing
from lottery.io.csv_tables import file_sha256
from lottery.io.manifest import Manifest, manifest_bytes
from lottery.io.outputs import BUNDLE_RECORD, CHANGES_FOLDER, MANIFEST_FILE, ROUND_INPUTS
from lottery.rounds import run_round

ROUND_SUBFOLDERS = (CHANGES_FOLDER, ROUND_INPUTS)
"""The subfolders of a later round's folder that are part of its results."""


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
        """Whether this round was reproduced byte for byte, its link to the one before included."""
        return not self.findings

    def lines(self) -> list[str]:
        """This round's part of the report of :meth:`ChainAuditSummary.lines`."""
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
        out += [wrap(f"  note: {note}") for note in self.notes]
        if self.reproduced and self.rerun.startswith("not rerun"):
            out.append("  Not checked: it was not rerun.")
            return out
        if self.reproduced:
            out.append("  Reproduced byte for byte.")
            return out
        out.append(f"  NOT reproduced: {differences(self.findings)} found.")
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
class ChainAuditSummary:
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
                wrap(
                    f"Reproduced byte for byte: the {len(self.rounds)} rounds form an unbroken "
                    f"chain (each round's {MANIFEST_FILE} records the SHA-256 of the manifest of "
                    "the round before), the input files of round 1 and the changes of every "
                    "later round match their recorded SHA-256 checksums, and rerunning each "
                    "round from the one before gives exactly the same files."
                )
            )
            return out
        failed = [a.number for a in self.rounds if not a.reproduced]
        where = "round" if len(failed) == 1 else "rounds"
        listed = ", ".join(str(n) for n in failed[:-1])
        listed = f"{listed} and {failed[-1]}" if listed else str(failed[-1])
        summary = f"NOT reproduced: {differences(self.findings)} found, in {where} {listed}."
        if self.broken_at is not None:
            summary += f" The chain is broken at round {self.broken_at}."
        out.append(wrap(summary))
        return out


@dataclass
class _Round:
    """A round's folder found while walking the chain back, and its link to the one before."""

    folder: Path
    manifest: Manifest
    previous: Path | None = None
    link: Finding | None = None


def audit_chain(
    out_dir: Path,
    input_dir: Path | None = None,
    progress: Say = say_nothing,
    bundle: dict | None = None,
) -> ChainAuditSummary:
    """Audit every round of the chain that ends with the round in ``out_dir``.

    The chain is walked back from ``out_dir`` (see :func:`find_chain`): the folders of the
    earlier rounds must be beside it, in the same parent folder. Round 1 is audited like
    any run, with ``input_dir`` as its input folder; every later round is rerun from the
    folder of the round before and its own ``changes/`` copy, and compared byte for byte.

    ``bundle`` is the ``bundle.json`` of an unpacked audit bundle of a later round
    (:mod:`lottery.audit.bundle`): its applicants files are redacted copies, checked
    against the checksums it records, and each rerun's manifest is compared with the
    original files' checksums put back.

    Raises :class:`~lottery.errors.UsageError` if round 1 is found but ``input_dir`` is
    not its input folder's path (missing, or a later round's ``round-inputs``).
    """
    out_dir = _named(Path(out_dir))
    progress("Finding the rounds of the chain")
    chain = find_chain(out_dir)
    first_is_round_one = not chain[0].manifest.is_later_round
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
    redactions = _bundle_redactions(bundle)
    audits: list[RoundAudit] = []
    for position, link in enumerate(chain):
        if position == 0 and first_is_round_one:
            progress(f"Round 1 ({link.folder}): checking its input files and rerunning it")
            if bundle is None:
                folders = locate(link.folder, input_dir)
            else:
                record = {"manifest": link.manifest.raw, "redacted": bundle.get("redacted", {})}
                folders = AuditFolders(
                    link.folder, existing_input_dir(input_dir), read_manifest(link.folder), record
                )
            report = audit_run(folders, progress=say_nothing)
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
        # A rerun from another run's input files would only list meaningless differences.
        wrong_inputs = first_inputs is not None and any(
            f.kind == NOT_THIS_RUN for f in audits[0].findings
        )
        previous = _previous_redactions(chain, position, redactions, bundle)
        own = redactions.get(link.folder.name, {}) if bundle is not None else {}
        audits.append(_audit_round(link, first_inputs, progress, own, previous, wrong_inputs))
    return ChainAuditSummary(out_dir, input_dir, tuple(audits))


def _bundle_redactions(bundle: dict | None) -> dict[str, dict[str, dict]]:
    """Per round folder's name, what an audit bundle redacted in it (file -> record)."""
    found = {}
    for entry in (bundle or {}).get("rounds") or []:
        if isinstance(entry, dict) and isinstance(entry.get("redacted"), dict):
            found[Path(str(entry.get("folder"))).name] = entry["redacted"]
    return found


def _previous_redactions(
    chain: list[_Round], position: int, redactions: dict, bundle: dict | None
) -> dict[str, dict]:
    """What a bundle redacted in the round before ``chain[position]`` (round 1: its inputs)."""
    if bundle is None or position == 0:
        return {}
    before = chain[position - 1]
    if not before.manifest.is_later_round:
        return bundle.get("redacted", {})
    return redactions.get(before.folder.name, {})


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

    while chain[-1].manifest.round is not None:
        current = chain[-1]
        number = _round_number(current.manifest)
        wanted = current.manifest.round.previous_manifest_sha256
        others = [folder for folder in beside if folder.resolve() not in seen]
        found = [folder for folder in others if checksum(folder) == wanted]
        recorded = (
            f"the chain is broken at round {number}: this {MANIFEST_FILE} records {wanted} "
            f"as the SHA-256 of the previous round's {MANIFEST_FILE}"
        )
        if not found:
            claimed = [
                folder
                for folder in others
                if number is not None and _round_number(peek_manifest(folder)) == number - 1
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


def _audit_round(
    link: _Round,
    first_inputs: Path | None,
    progress: Say,
    redacted: dict[str, dict] | None = None,
    previous_redacted: dict[str, dict] | None = None,
    wrong_inputs: bool = False,
) -> RoundAudit:
    """Audit a later round: its changes/ copy, then a rerun from the round before.

    ``redacted`` and ``previous_redacted`` (file -> bundle.json record) name the redacted
    copies of an audit bundle in this round and in the round before.
    """
    folder, manifest = link.folder, link.manifest
    record = manifest.round
    number = _round_number(manifest) or 0
    findings = [link.link] if link.link is not None else []
    redacted = {k: v for k, v in (redacted or {}).items() if _redaction_record(v)}
    previous_redacted = {k: v for k, v in (previous_redacted or {}).items() if _redaction_record(v)}
    changes = {name: digest for name, digest in sorted(record.changes.items())}
    expected = dict(changes)
    for name in changes:
        info = redacted.get(f"{CHANGES_FOLDER}/{name}")
        if info is not None:
            expected[name] = info["sha256"]
    put_back = {info["sha256"]: info["original_sha256"] for info in redacted.values()}
    notes = [
        f"{name} is a redacted copy from an audit bundle: it was checked against the "
        f"checksum in {BUNDLE_RECORD}, and the original file's checksum was put back in the "
        f"rerun's {MANIFEST_FILE}"
        for name in sorted(redacted)
    ]
    progress(f"Round {number} ({folder}): checking its changes and rerunning it")
    findings += check_changes(folder / CHANGES_FOLDER, expected)
    seed, commitment = rerun_seed(manifest)
    described = describe_rerun(seed, commitment)
    if record.lottery_reversed is True:
        described += ", the lottery order reversed"
    compared: list[str] = []
    if wrong_inputs:
        described = "not rerun: the input files given for round 1 are not round 1's"
    elif link.previous is None:
        described = "not rerun: the folder of the round before was not found"
    else:
        with tempfile.TemporaryDirectory(prefix="lottery-audit-") as work:
            work = Path(work)
            rerun_changes = copy_files(changes, folder / CHANGES_FOLDER, work / CHANGES_FOLDER)
            inputs = None
            if first_inputs is not None:
                used = read_manifest(link.previous).inputs
                inputs = copy_files(used, first_inputs, work / "round-1-inputs")
            previous = link.previous
            if previous_redacted:
                previous, patched = _with_redacted_checksums(
                    link.previous, previous_redacted, work / "previous-round"
                )
                put_back[patched] = file_sha256(link.previous / MANIFEST_FILE)
            try:
                run_round(
                    previous,
                    rerun_changes,
                    work / "outputs",
                    inputs_dir=inputs,
                    verified=False,  # the audit compares bytes: it must rerun anything
                )
            except LotteryError as error:
                why = (
                    f"round {number} could not be rerun from the folder of the round before "
                    f"({link.previous}) and its changes"
                )
                findings.append(rerun_failed(why, error))
            else:
                found, compared = compare_outputs(
                    folder, work / "outputs", subfolders=ROUND_SUBFOLDERS, checksums=put_back
                )
                findings += found
    return RoundAudit(
        number=number,
        folder=folder,
        findings=tuple(replace(f, round=number) for f in findings),
        checked=tuple(f"{CHANGES_FOLDER}/{name}" for name in changes),
        outputs_compared=tuple(compared),
        rerun=described,
        previous=link.previous,
        notes=tuple(version_notes(manifest) + notes),
    )


def _redaction_record(info: object) -> bool:
    return (
        isinstance(info, dict)
        and isinstance(info.get("sha256"), str)
        and isinstance(info.get("original_sha256"), str)
    )


def _with_redacted_checksums(
    previous: Path, redacted: dict[str, dict], target: Path
) -> tuple[Path, str]:
    """A copy of the round before (of an audit bundle) whose manifest records the redacted
    copies' checksums, so that a round can be rerun from it; and that manifest's SHA-256,
    which the rerun records as the previous round's (the original is put back)."""
    manifest = read_manifest(previous)
    target.mkdir()
    for name in manifest.outputs or {}:
        if (previous / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(previous / name, target / name)
    to_redacted = {info["original_sha256"]: info["sha256"] for info in redacted.values()}
    patched = manifest_bytes(replace_checksums(manifest.raw, to_redacted))
    (target / MANIFEST_FILE).write_bytes(patched)
    return target, hashlib.sha256(patched).hexdigest()


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


def _round_number(manifest: Manifest | None) -> int | None:
    """The round a manifest records: 1 without a ``round`` entry (``lottery run``)."""
    if manifest is None or not manifest.raw:
        return None
    if manifest.round is None:
        return 1 if manifest.raw.get("round") is None else None
    return manifest.round.number


def _named(folder: Path) -> Path:
    """The folder with a name of its own (``.`` resolved), so that its parent is right."""
    return folder.resolve() if folder.name in ("", ".", "..") else folder
