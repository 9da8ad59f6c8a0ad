"""Rule ``manifest-hash``: every file's SHA-256 against the one ``manifest.json`` records.

Every results table and every input file present is hashed and compared with the
manifest's ``outputs`` and ``inputs``. In an unpacked audit bundle, ``applicants.csv`` is a
redacted copy: it must have the checksum ``bundle.json`` records for the copy, and the
original checksum recorded there must be the manifest's.
"""

from __future__ import annotations

from lottery.audit.verify.evidence import Evidence, section
from lottery.audit.verify.findings import Findings
from lottery.io.csv_tables import file_sha256
from lottery.io.inputs import INPUT_FILES
from lottery.io.outputs import BUNDLE_RECORD, MANIFEST_FILE, RUN_TABLES


def check_checksums(evidence: Evidence, findings: Findings) -> None:
    """Compare the SHA-256 of every output and input file with manifest.json."""
    manifest, redacted = evidence.manifest, evidence.redacted
    for name, info in sorted(redacted.items()):
        original = section(manifest, "inputs").get(name)
        if info.get("original_sha256") != original:
            findings.fail(
                "manifest-hash",
                f"{BUNDLE_RECORD} says the redacted {name} was made from a file with "
                f"SHA-256 {info.get('original_sha256')}, but {MANIFEST_FILE} records {original}",
            )
    input_dir = evidence.input_dir
    for part, folder, names in (
        ("outputs", evidence.out_dir, set(RUN_TABLES)),
        ("inputs", input_dir, {n for n in INPUT_FILES if (input_dir / n).is_file()}),
    ):
        recorded = section(manifest, part)
        if part == "inputs":  # a redacted copy must match the copy's own checksum
            recorded = {**recorded, **{n: i.get("sha256") for n, i in redacted.items()}}
        for name in sorted(names | set(recorded)):
            path = folder / name
            where = "results" if part == "outputs" else "input"
            if name not in recorded:
                findings.fail(
                    "manifest-hash",
                    f'{name} is in the {where} folder but {MANIFEST_FILE} "{part}" has no '
                    "checksum for it",
                )
            elif not path.is_file():
                findings.fail(
                    "manifest-hash",
                    f'{MANIFEST_FILE} "{part}" lists {name}, which is missing from the '
                    f"{where} folder",
                )
            else:
                findings.checks["files_hashed"] += 1
                actual = file_sha256(path)
                if actual != recorded[name]:
                    findings.fail(
                        "manifest-hash",
                        f"{name} in the {where} folder has SHA-256 {actual}, but "
                        f'{MANIFEST_FILE} "{part}" records {recorded[name]}',
                    )
