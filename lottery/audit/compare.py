"""What an audit finds, and the byte-for-byte comparison of a results folder with its rerun.

Both kinds of audit share this: the audit of one run (:mod:`lottery.audit.rerun`) and
of a chain of rounds (:mod:`lottery.audit.chain`) compare the audited folder with the
rerun's folder file by file (:func:`compare_outputs`), report each difference as a
:class:`Finding` at the first line that differs (:func:`first_difference`), and print
their reports with the same wrapping.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

from lottery.errors import LotteryError
from lottery.io.manifest import manifest_bytes
from lottery.io.outputs import ADDED_BY_COMMANDS, MANIFEST_FILE


@dataclass(frozen=True)
class Finding:
    """One difference between what the run recorded and what the audit found.

    ``kind`` is a stable slug: ``input-missing``, ``input-unused``, ``input-changed``,
    ``inputs-not-this-run`` (most input files differ: another run's folder),
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


def rerun_failed(why: str, error: LotteryError) -> Finding:
    """The finding for a rerun that stopped with ``error``; ``why`` says what was rerun."""
    return Finding("(rerun)", "rerun-failed", f"{why}: " + " / ".join(error.lines()))


def compare_outputs(
    recorded_dir: Path,
    rerun_dir: Path,
    restore: dict[str, str] | None = None,
    subfolders: tuple[str, ...] = (),
    checksums: dict[str, str] | None = None,
) -> tuple[list[Finding], list[str]]:
    """Compare the files of two results folders byte for byte.

    ``restore`` maps input names to the checksums to put back into the rerun's manifest
    before comparing (for redacted copies); ``checksums`` maps checksums to put back
    wherever they appear in the rerun's manifest (a redacted copy's SHA-256 to the
    original file's, for the rounds of an audit bundle); the files directly in
    ``subfolders`` (for a
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
        if name == MANIFEST_FILE and checksums:
            theirs = manifest_bytes(replace_checksums(json.loads(theirs), checksums))
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


def wrap(text: str) -> str:
    """A report paragraph, wrapped at 88 columns with continuation lines indented."""
    return textwrap.fill(text, width=88, subsequent_indent="  ", break_on_hyphens=False)


def differences(findings: Sequence[Finding]) -> str:
    """``1 difference`` or ``N differences``."""
    noun = "difference" if len(findings) == 1 else "differences"
    return f"{len(findings)} {noun}"


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _text(line: bytes | None) -> str | None:
    return None if line is None else line.decode("utf-8", errors="backslashreplace")


def _shown(line: str | None) -> str:
    return "(the file has ended)" if line is None else line


def _output_files(folder: Path, subfolders: tuple[str, ...] = ()) -> set[str]:
    names = {
        path.name
        for path in Path(folder).iterdir()
        # Other commands add files to a finished folder: the run did not write them.
        if path.is_file() and path.name not in ADDED_BY_COMMANDS and not path.name.startswith(".")
    }
    for sub in subfolders:
        if (Path(folder) / sub).is_dir():
            names |= {
                f"{sub}/{path.name}"
                for path in (Path(folder) / sub).iterdir()
                if path.is_file() and not path.name.startswith(".")
            }
    return names


def replace_checksums(data: object, checksums: dict[str, str]) -> object:
    """``data`` (a manifest's JSON) with every text that is a key of ``checksums`` replaced
    by its value, at any depth."""
    if isinstance(data, dict):
        return {key: replace_checksums(value, checksums) for key, value in data.items()}
    if isinstance(data, list):
        return [replace_checksums(value, checksums) for value in data]
    if isinstance(data, str):
        return checksums.get(data, data)
    return data


def _restore_input_hashes(manifest: bytes, restore: dict[str, str]) -> bytes:
    data = json.loads(manifest)
    data["inputs"] = {**data["inputs"], **restore}
    return manifest_bytes(data)
