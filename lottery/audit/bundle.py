"""``lottery audit-bundle``: one zip with what an auditor needs, without personal data.

The bundle holds::

    inputs/     the input files the run used (as listed in manifest.json, reserves.csv
                included), with the names, guardians and addresses in applicants.csv
                replaced by "-"
    outputs/    manifest.json and the output files it lists (reserve_report.csv included)
    bundle.json the original manifest, which columns of which file were redacted, the
                SHA-256 of the redacted copy and of the original file, and which
                personal columns were kept because placements depend on them
    README.txt  how to check the bundle

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
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lottery import __version__
from lottery.audit.rerun import check_inputs, existing_input_dir, read_manifest
from lottery.errors import InputError, Problem, UsageError
from lottery.io.atomic import Say, check_can_write, say_nothing, staged_file
from lottery.io.inputs import APPLICANTS_FILE
from lottery.io.manifest import manifest_bytes
from lottery.io.outputs import BUNDLE_INPUTS, BUNDLE_OUTPUTS, BUNDLE_RECORD, MANIFEST_FILE

REDACTED_COLUMNS = ("first_name", "last_name", "guardian_name", "address")
"""Columns of applicants.csv that identify a person and never affect placements."""

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
    """
    out_dir, input_dir, bundle_path = Path(out_dir), Path(input_dir), Path(bundle_path)
    if bundle_path.exists():
        raise UsageError(f"{bundle_path} already exists; choose a new file name for the bundle.")
    check_can_write(bundle_path)
    manifest = read_manifest(out_dir)
    existing_input_dir(input_dir)
    findings = [f for f in check_inputs(input_dir, manifest.inputs) if f.kind != "input-unused"]
    if findings:
        raise InputError(
            [Problem(f.file, None, None, f.message) for f in findings]
            + [Problem(MANIFEST_FILE, None, None, "these inputs did not make these results")]
        )
    entries: dict[str, bytes] = {}
    redacted_rows = 0
    redacted: dict[str, dict] = {}
    for name in sorted(manifest.inputs):
        data = (input_dir / name).read_bytes()
        if name == APPLICANTS_FILE:
            original = data
            data, redacted_rows, columns = redact_applicants(original)
            redacted[name] = {
                "columns": list(columns),
                "placeholder": PLACEHOLDER,
                "original_sha256": hashlib.sha256(original).hexdigest(),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            kept = kept_columns(data)
            if kept:
                redacted[name]["kept"] = {
                    column: KEPT_COLUMNS[column.strip().lower()] for column in kept
                }
        entries[f"{BUNDLE_INPUTS}/{name}"] = data
    for name in sorted([*(manifest.outputs or {}), MANIFEST_FILE]):
        path = out_dir / name
        if not path.is_file():
            raise UsageError(f"{out_dir} lacks {name}, which its {MANIFEST_FILE} lists.")
        entries[f"{BUNDLE_OUTPUTS}/{name}"] = path.read_bytes()
    record = {
        "bundle": {"format": 1, "made_by": {"name": "lottery", "version": __version__}},
        "manifest": manifest.raw,
        "redacted": redacted,
    }
    entries[BUNDLE_RECORD] = manifest_bytes(record)
    columns = redacted.get(APPLICANTS_FILE, {}).get("columns", [])
    kept = list(redacted.get(APPLICANTS_FILE, {}).get("kept", {}))
    entries["README.txt"] = README.format(
        version=__version__,
        columns=", ".join(columns) or "(none)",
        placeholder=PLACEHOLDER,
        kept=KEPT_NOTE.format(columns=", ".join(kept)) if kept else "",
    ).encode("utf-8")
    _write_zip(bundle_path, entries, say)
    return BundleSummary(
        bundle_path, tuple(sorted(entries)), tuple(columns), redacted_rows, tuple(kept)
    )


def redact_applicants(data: bytes) -> tuple[bytes, int, tuple[str, ...]]:
    """applicants.csv with every non-blank cell of :data:`REDACTED_COLUMNS` set to ``-``.

    Every other cell, the header and the order of rows and columns are kept, so the file
    reads exactly as before apart from the redacted columns. The copy is UTF-8 without a
    byte-order mark, with ``\\n`` line endings. Returns the bytes, the number of rows with a
    redacted cell and the redacted columns (as spelled in the header).
    """
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return data, 0, ()
    header = rows[0]
    positions = [i for i, name in enumerate(header) if name.strip().lower() in REDACTED_COLUMNS]
    changed = 0
    for row in rows[1:]:
        touched = False
        for i in positions:
            if i < len(row) and row[i].strip():
                row[i] = PLACEHOLDER
                touched = True
        changed += touched
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8"), changed, tuple(header[i].strip() for i in positions)


def kept_columns(data: bytes) -> tuple[str, ...]:
    """The columns of :data:`KEPT_COLUMNS` that applicants.csv has and fills in (as spelled
    in its header, in header order)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    if not rows:
        return ()
    header = rows[0]
    return tuple(
        name.strip()
        for i, name in enumerate(header)
        if name.strip().lower() in KEPT_COLUMNS
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
