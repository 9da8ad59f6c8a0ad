"""``lottery audit-bundle``: one zip with what an auditor needs, without personal data.

The bundle holds::

    inputs/     the input files the run used (as listed in manifest.json, reserves.csv
                included), with the names, guardians and addresses in applicants.csv
                replaced by "-", and so is every column the engine does not read (the
                office's own notes, such as a case_worker column); a cell on several
                lines keeps its line breaks, so every row stays on its line (warnings
                in manifest.json name lines)
    outputs/    manifest.json and the output files it lists (reserve_report.csv included)
    bundle.json the original manifest, which columns of which file were redacted, the
                SHA-256 of the redacted copy and of the original file, and which
                personal columns were kept because placements depend on them
    README.txt  how to check the bundle

The bundle of a later round (``lottery round``) carries the whole chain it needs, since
``lottery audit`` reruns every round from the one before: ``inputs/`` holds round 1's
input files, and ``rounds/round-1/`` ... ``rounds/round-N/`` each round's folder
(results, manifest, and for a later round its ``changes/`` and ``round-inputs/``, with
``applicants.csv`` in both redacted the same way). ``bundle.json`` lists the rounds under
``rounds``, with what was redacted in each.

Names and addresses never affect placements, so the redacted inputs give the same
results: ``lottery audit`` on the unpacked bundle reruns the lottery and reproduces the
outputs byte for byte (see :mod:`lottery.audit.rerun` for how the redacted checksum is
accepted). Some personal data does affect placements and is kept, with the reason
recorded (:data:`KEPT_COLUMNS`): an applicant's coordinates decide proximity priority and
reserves, their tags eligibility, priorities and reserves. Removing them would make the
bundle unauditable.

The zip itself is reproducible: entries in a fixed order with a fixed date, so the same
results give the same bundle bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lottery import __version__
from lottery.audit.rerun import BUNDLE_ROUNDS, check_inputs, existing_input_dir, read_manifest
from lottery.errors import InputError, Problem, UsageError
from lottery.io.atomic import Say, check_can_write, say_nothing, staged_file
from lottery.io.csv_tables import column_key, detect_delimiter, file_sha256, header_line
from lottery.io.inputs import APPLICANT_COLUMNS, APPLICANTS_FILE
from lottery.io.manifest import Manifest, manifest_bytes
from lottery.io.outputs import (
    BUNDLE_INPUTS,
    BUNDLE_OUTPUTS,
    BUNDLE_RECORD,
    CHANGES_FOLDER,
    MANIFEST_FILE,
    ROUND_INPUTS,
)

REDACTED_COLUMNS = ("first_name", "last_name", "guardian_name", "address")
"""Columns of applicants.csv that identify a person and never affect placements."""

READ_COLUMNS = frozenset(APPLICANT_COLUMNS[0] + APPLICANT_COLUMNS[1])
"""The columns of applicants.csv that the engine reads; any other column is the office's
own (notes, a case worker ...) and is redacted too."""

ROUND_REDACTED = (f"{ROUND_INPUTS}/{APPLICANTS_FILE}", f"{CHANGES_FOLDER}/{APPLICANTS_FILE}")
"""The files of a later round's folder that are redacted like round 1's applicants.csv."""

KEPT_COLUMNS = {
    "latitude": "the applicant's home location decides proximity priority and proximity "
    "reserves (proximity:MILES), so the rerun needs it",
    "longitude": "the applicant's home location decides proximity priority and proximity "
    "reserves (proximity:MILES), so the rerun needs it",
    "tags": "tags decide eligibility (requires_tags), tag priorities and tag reserves "
    "(tag:NAME), so the rerun needs them",
}
"""Columns of applicants.csv that are personal data but decide placements, so they are
kept; bundle.json records each one present in the file, with this reason."""

PLACEHOLDER = "-"
"""What every non-blank redacted cell becomes (required columns must stay non-blank)."""

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""The date of every zip entry: the earliest a zip can hold, so bundles are reproducible."""

README = """\
Audit bundle of a school-choice lottery run, made by lottery {version}.

  inputs/      the input files of the run; in applicants.csv the columns
               {columns} are replaced by "{placeholder}"{kept}
  outputs/     the results of the run and its manifest.json
  bundle.json  the original manifest, what was redacted and what was kept

To check it, unpack this zip into a folder BUNDLE and run:

  lottery audit BUNDLE
  lottery verify BUNDLE/outputs --inputs BUNDLE/inputs

"lottery audit" reruns the lottery from the inputs and the seed in the manifest and
compares every output file byte for byte. See docs/audit.md.
"""

CHAIN_README = """\
Audit bundle of round {number} of a school-choice lottery, made by lottery {version}.
A later round is rerun from the round before it, so the bundle holds every round from
round 1 to round {number}.

  inputs/      the input files of round 1; in applicants.csv the columns
               {columns} are replaced by "{placeholder}"{kept}
  rounds/      one folder per round (round-1 ... round-{number}): its results and
               manifest.json, and for a later round its changes/ and round-inputs/,
               where applicants.csv is redacted the same way
  bundle.json  the last round's manifest, what was redacted and what was kept

To check it, unpack this zip into a folder BUNDLE and run:

  lottery audit BUNDLE

"lottery audit" reruns round 1 from the inputs and the seed in its manifest, then every
later round from the round before and its changes, and compares every file byte for
byte. See docs/audit.md and docs/rounds.md.
"""


KEPT_NOTE = """
               Kept although personal, because placements depend on them (the
               rerun needs them; see "kept" in bundle.json): {columns}"""


@dataclass(frozen=True)
class BundleSummary:
    """What ``lottery audit-bundle`` wrote."""

    path: Path
    entries: tuple[str, ...]
    redacted_columns: tuple[str, ...]
    redacted_rows: int
    kept_columns: tuple[str, ...] = ()
    """Personal columns of applicants.csv kept because placements depend on them."""


def write_audit_bundle(
    out_dir: Path, input_dir: Path, bundle_path: Path, say: Say = say_nothing
) -> BundleSummary:
    """Write the audit bundle of the results in ``out_dir`` to ``bundle_path`` (a new zip).

    The input files must be exactly those the run used (their SHA-256 must match the
    manifest): otherwise :class:`~lottery.errors.InputError` lists each file that does not,
    and nothing is written. An existing ``bundle_path`` is never overwritten.

    For a later round's folder, ``input_dir`` is the input folder of round 1, and the
    bundle carries every round of the chain (see the module's docstring); the folders
    of the earlier rounds must be beside ``out_dir``, as ``lottery audit`` needs them.
    """
    out_dir, bundle_path = Path(out_dir), Path(bundle_path)
    if bundle_path.exists():
        raise UsageError(f"{bundle_path} already exists; choose a new file name for the bundle.")
    check_can_write(bundle_path)
    manifest = read_manifest(out_dir)
    rounds = _chain_of(out_dir, input_dir) if manifest.is_later_round else None
    if input_dir is None:
        raise UsageError(
            f"Which input files made the results in {out_dir}? Pass --inputs with the input "
            "folder that `lottery run` read."
        )
    input_dir = existing_input_dir(input_dir)
    first = rounds[0][1] if rounds else manifest
    findings = [f for f in check_inputs(input_dir, first.inputs) if f.kind != "input-unused"]
    if findings:
        raise InputError(
            [Problem(f.file, None, None, f.message) for f in findings]
            + [
                Problem(
                    MANIFEST_FILE,
                    None,
                    None,
                    "these inputs did not make these results"
                    + (" (--inputs must be the input folder of round 1)" if rounds else ""),
                )
            ]
        )
    entries: dict[str, bytes] = {}
    redacted: dict[str, dict] = {}
    redacted_rows = 0
    for name in sorted(first.inputs):
        data = (input_dir / name).read_bytes()
        if name == APPLICANTS_FILE:
            data, redacted[name], redacted_rows = _redacted_copy(data)
        entries[f"{BUNDLE_INPUTS}/{name}"] = data
    record = {
        "bundle": {"format": 1, "made_by": {"name": "lottery", "version": __version__}},
        "manifest": manifest.raw,
        "redacted": redacted,
    }
    if rounds is None:
        entries.update(_folder_entries(out_dir, manifest, BUNDLE_OUTPUTS, {}))
    else:
        record["rounds"] = []
        for number, (folder, round_manifest) in enumerate(rounds, start=1):
            where = f"{BUNDLE_ROUNDS}/round-{number}"
            in_round: dict[str, dict] = {}
            entries.update(_folder_entries(folder, round_manifest, where, in_round))
            described = {"number": number, "folder": where, "from": folder.name}
            if in_round:
                described["redacted"] = in_round
            record["rounds"].append(described)
    entries[BUNDLE_RECORD] = manifest_bytes(record)
    columns = redacted.get(APPLICANTS_FILE, {}).get("columns", [])
    kept = list(redacted.get(APPLICANTS_FILE, {}).get("kept", {}))
    entries["README.txt"] = (
        (README if rounds is None else CHAIN_README)
        .format(
            version=__version__,
            number=len(rounds or ()),
            columns=", ".join(columns) or "(none)",
            placeholder=PLACEHOLDER,
            kept=KEPT_NOTE.format(columns=", ".join(kept)) if kept else "",
        )
        .encode("utf-8")
    )
    _write_zip(bundle_path, entries, say)
    return BundleSummary(
        bundle_path, tuple(sorted(entries)), tuple(columns), redacted_rows, tuple(kept)
    )


def _chain_of(out_dir: Path, input_dir: Path | None) -> list[tuple[Path, Manifest]]:
    """The folders and manifests of every round from round 1 to the later round in
    ``out_dir``; UsageError when the chain is not complete and unbroken beside it, or
    ``input_dir`` is not round 1's input folder."""
    # Imported here: the chain audit imports this package's rerun module.
    from lottery.audit.chain import find_chain

    chain = find_chain(out_dir)
    broken = [link.link for link in chain if link.link is not None]
    if broken or chain[0].manifest.is_later_round:
        why = broken[0].message if broken else "the folder of round 1 was not found"
        raise UsageError(
            f"{out_dir} is a later round, and its audit bundle must carry every round from "
            f"round 1, but the chain of rounds is not complete: {why} Nothing was written; "
            "`lottery audit` shows what is wrong with the chain."
        )
    if input_dir is None or Path(input_dir).name == ROUND_INPUTS:
        raise UsageError(
            f"{out_dir} is a later round: its audit bundle carries every round from round 1, "
            "and round 1's input files. Pass --inputs with the input folder of round 1 (the "
            "folder `lottery run` read)."
        )
    return [(link.folder, link.manifest) for link in chain]


def _folder_entries(
    folder: Path, manifest: Manifest, where: str, redacted: dict[str, dict]
) -> dict[str, bytes]:
    """The zip entries of a results folder under ``where``: its manifest and every file it
    lists, a later round's applicants files redacted (recorded into ``redacted``)."""
    entries = {}
    for name in sorted([*(manifest.outputs or {}), MANIFEST_FILE]):
        path = folder / name
        if not path.is_file():
            raise UsageError(f"{folder} lacks {name}, which its {MANIFEST_FILE} lists.")
        data = path.read_bytes()
        if name in ROUND_REDACTED:
            if file_sha256(path) != manifest.outputs[name]:
                raise UsageError(
                    f"{path} has changed since the round was run (its SHA-256 differs from "
                    f"{MANIFEST_FILE}); a redacted copy could not be checked. Nothing was "
                    "written."
                )
            data, redacted[name], _ = _redacted_copy(data)
        entries[f"{where}/{name}"] = data
    return entries


def _redacted_copy(original: bytes) -> tuple[bytes, dict, int]:
    """applicants.csv redacted, what bundle.json records about it, and the rows redacted."""
    data, rows, columns = redact_applicants(original)
    info = {
        "columns": list(columns),
        "placeholder": PLACEHOLDER,
        "original_sha256": hashlib.sha256(original).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    kept = kept_columns(data)
    if kept:
        info["kept"] = {column: KEPT_COLUMNS[column_key(column)] for column in kept}
    return data, info, rows


LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""A line break inside a quoted cell, as the csv module counts lines."""


def _applicant_rows(text: str) -> tuple[str, list[list[str]]]:
    """The character that separates the cells of applicants.csv (found as the engine
    finds it), and the file's rows of cells."""
    delimiter = detect_delimiter(header_line(text), READ_COLUMNS)
    return delimiter, list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _placeholder(cell: str) -> str:
    """What a redacted cell becomes: ``-``, with as many line breaks as the cell had, so
    that every later row stays on the line it had (warnings name lines, and manifest.json
    keeps them). The engine reads the redacted columns as free text or not at all, so the
    line breaks are allowed there."""
    return PLACEHOLDER + "\n" * len(LINE_BREAK.findall(cell))


def redact_applicants(data: bytes) -> tuple[bytes, int, tuple[str, ...]]:
    """applicants.csv with every non-blank cell of :data:`REDACTED_COLUMNS` set to ``-``,
    and of every column the engine does not read (:data:`READ_COLUMNS`).

    Every other cell, the header and the order of rows and columns are kept, and every
    row starts on the line it started on (a redacted cell keeps its line breaks, see
    :func:`_placeholder`), so the file reads exactly as before apart from the redacted
    columns. The copy is UTF-8 without a byte-order mark, with ``\\n`` line endings,
    separated as the original is. Returns the bytes, the number of rows with a redacted
    cell and the redacted columns (as spelled in the header).
    """
    delimiter, rows = _applicant_rows(data.decode("utf-8-sig"))
    if not rows:
        return data, 0, ()
    header = rows[0]
    positions = [
        i
        for i, name in enumerate(header)
        if name.strip()
        and (column_key(name) in REDACTED_COLUMNS or column_key(name) not in READ_COLUMNS)
    ]
    changed = 0
    for row in rows[1:]:
        touched = False
        for i in positions:
            if i < len(row) and row[i].strip():
                row[i] = _placeholder(row[i])
                touched = True
        changed += touched
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8"), changed, tuple(header[i].strip() for i in positions)


def kept_columns(data: bytes) -> tuple[str, ...]:
    """The columns of :data:`KEPT_COLUMNS` that applicants.csv has and fills in (as spelled
    in its header, in header order)."""
    _delimiter, rows = _applicant_rows(data.decode("utf-8-sig"))
    if not rows:
        return ()
    header = rows[0]
    return tuple(
        name.strip()
        for i, name in enumerate(header)
        if column_key(name) in KEPT_COLUMNS
        and any(i < len(row) and row[i].strip() for row in rows[1:])
    )


def _write_zip(path: Path, entries: dict[str, bytes], say: Say) -> None:
    """Write a reproducible zip atomically (never over an existing file)."""
    with (
        staged_file(path, overwrite=False, say=say) as staging,
        zipfile.ZipFile(staging, "w") as archive,
    ):
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[name])
