"""Writing a run's outputs: all of them, or none.

Files are written into a hidden temporary folder beside the destination and moved into
place only when every file is complete, so a crash or a full disk never leaves a
half-written results folder. An existing folder with files in it is replaced only when
the person running the lottery asked for it (``--force``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from lottery.errors import UsageError
from lottery.io.tables import file_sha256

MANIFEST_FILE = "manifest.json"
CSV_CHUNK_ROWS = 1_000_000


def check_output_folder(out_dir: Path, input_dir: Path, force: bool) -> None:
    """Refuse an output folder that would overwrite results or inputs; call before any work."""
    out_dir, input_dir = Path(out_dir).resolve(), Path(input_dir).resolve()
    if out_dir == input_dir or out_dir in input_dir.parents:
        raise UsageError(
            f"The output folder {out_dir} is (or contains) the input folder; "
            "choose a separate folder for the results."
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"The output path {out_dir} is a file, not a folder.")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not force:
            raise UsageError(
                f"The output folder {out_dir} already has files in it. Results are never "
                "overwritten silently: choose a new folder, or add --force to replace it."
            )
        if not (out_dir / MANIFEST_FILE).is_file():
            # --force replaces a whole folder: only ever one that a lottery run wrote.
            raise UsageError(
                f"The output folder {out_dir} has files but no {MANIFEST_FILE}, so it does not "
                "hold lottery results; --force replaces only a results folder. Choose a new folder."
            )


def write_output_folder(
    out_dir: Path,
    tables: dict[str, pd.DataFrame],
    manifest: dict,
    force: bool,
    extra_files: dict[str, bytes] | None = None,
) -> dict[str, str]:
    """Write ``tables`` as CSV files plus ``manifest.json`` into ``out_dir`` atomically.

    ``extra_files`` (optional) maps paths relative to ``out_dir``, such as
    ``round-inputs/programs.csv``, to bytes written as they are (subfolders are created).
    The manifest gains an ``outputs`` entry with the SHA-256 of every file written, under
    those names. Returns that mapping.
    """
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_folder(out_dir)
    try:
        hashes = {}
        for name in sorted(tables):
            hashes[name] = write_csv(staging / name, tables[name])
        for name in sorted(extra_files or {}):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(extra_files[name])
            hashes[name] = file_sha256(path)
        manifest = {**manifest, "outputs": hashes}
        (staging / MANIFEST_FILE).write_bytes(manifest_bytes(manifest))
        _move_into_place(staging, out_dir, force)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return hashes


def staging_folder(out_dir: Path) -> Path:
    """A new hidden folder beside ``out_dir`` to write into, with ordinary permissions.

    ``mkdtemp`` makes folders only their owner can open; results are for colleagues too.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    return staging


def write_csv(path: Path, table: pd.DataFrame) -> str:
    """Write one table as UTF-8 CSV with ``\\n`` line endings; return its SHA-256."""
    # pandas formats 100,000 / columns rows at a time by default; bigger chunks halve the
    # time for a million-row table (choice_results.csv has several million).
    # Straight to disk: the whole text of a large table would be held twice in memory.
    with path.open("w", encoding="utf-8", newline="") as handle:
        table.to_csv(handle, index=False, lineterminator="\n", chunksize=CSV_CHUNK_ROWS)
    return file_sha256(path)


def manifest_bytes(manifest: dict) -> bytes:
    """The manifest as stable JSON: sorted keys, two-space indent, final newline."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )


def _move_into_place(staging: Path, out_dir: Path, force: bool) -> None:
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    if any(out_dir.iterdir()) and not force:
        # Someone wrote there while we worked: still never overwrite silently.
        raise UsageError(
            f"The output folder {out_dir} gained files while the lottery ran; nothing was replaced."
        )
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.replaced-", dir=out_dir.parent))
    os.rename(out_dir, retired / "old")
    os.rename(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)
