"""Writing a run's outputs: all of them, or none.

Files are written into a hidden partial folder beside the destination and moved into
place only when every file is complete (:mod:`lottery.io.atomic`), so a crash, a
``kill`` or a full disk never leaves a half-written results folder. An existing folder
with files in it is replaced only when the person running the lottery asked for it
(``--force``), and only if it is provably a lottery results folder
(:func:`~lottery.io.results_folder.check_replaceable`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from lottery.errors import UsageError
from lottery.io.atomic import (
    Say,
    check_can_write,
    check_name_length,
    os_errors,
    remove_stale,
    say_nothing,
    staged_folder,
)
from lottery.io.csv_tables import file_sha256
from lottery.io.csv_writer import NotPlain, csv_chunks
from lottery.io.manifest import Manifest
from lottery.io.outputs import MANIFEST_FILE
from lottery.io.results_folder import check_replaceable

__all__ = ["MANIFEST_FILE", "check_output_folder", "write_output_folder"]

CSV_CHUNK_ROWS = 1_000_000


def check_output_folder(
    out_dir: Path, input_dirs: Sequence[Path], force: bool, say: Say = say_nothing
) -> None:
    """Refuse an output folder that would overwrite results or any of ``input_dirs``, or
    that could not be written; call before any work. Removes what a stopped earlier run
    left behind."""
    with os_errors(Path(out_dir)):  # a path too long for the file system, say
        _check_output_folder(Path(out_dir), [Path(d) for d in input_dirs], force, say)


def _check_output_folder(out_dir: Path, input_dirs: list[Path], force: bool, say: Say) -> None:
    check_name_length(out_dir)
    out_dir = out_dir.resolve()
    for input_dir in (folder.resolve() for folder in input_dirs):
        if out_dir == input_dir or out_dir in input_dir.parents:
            raise UsageError(
                f"The output folder {out_dir} is (or contains) the input folder; "
                "choose a separate folder for the results."
            )
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"The output path {out_dir} is a file, not a folder.")
    remove_stale(out_dir, say)
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not force:
            raise UsageError(
                f"The output folder {out_dir} already has files in it. Results are never "
                "overwritten silently: choose a new folder, or add --force to replace it."
            )
        check_replaceable(out_dir)
    check_can_write(out_dir)


def write_output_folder(
    out_dir: Path,
    tables: dict[str, pd.DataFrame],
    manifest: Manifest,
    force: bool,
    extra_files: dict[str, bytes] | None = None,
    say: Say = say_nothing,
) -> dict[str, str]:
    """Write ``tables`` as CSV files plus ``manifest.json`` into ``out_dir`` atomically.

    ``extra_files`` (optional) maps paths relative to ``out_dir``, such as
    ``round-inputs/programs.csv``, to bytes written as they are (subfolders are created).
    The manifest gains an ``outputs`` entry with the SHA-256 of every file written, under
    those names. Returns that mapping.
    """
    replaceable = check_replaceable if force else None
    with staged_folder(Path(out_dir).resolve(), replaceable, say) as staging:
        hashes = {}
        for name in sorted(tables):
            hashes[name] = write_csv(staging / name, tables[name])
        for name in sorted(extra_files or {}):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(extra_files[name])
            hashes[name] = file_sha256(path)
        (staging / MANIFEST_FILE).write_bytes(manifest.with_outputs(hashes).to_bytes())
    return hashes


def write_csv(path: Path, table: pd.DataFrame) -> str:
    """Write one table as UTF-8 CSV with ``\\n`` line endings; return its SHA-256.

    The bytes are those of pandas' ``to_csv``; :mod:`lottery.io.csv_writer` writes them
    faster for the column types of the outputs, and pandas writes any other table.
    """
    # Straight to disk, chunk by chunk: the whole text of a large table would be held
    # twice in memory.
    with path.open("wb") as handle:
        try:
            chunks = csv_chunks(table)
            handle.write(next(chunks))  # every column is formatted before this returns
        except NotPlain:
            # pandas formats 100,000 / columns rows at a time by default; bigger chunks
            # halve the time for a million-row table.
            text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
            table.to_csv(text, index=False, lineterminator="\n", chunksize=CSV_CHUNK_ROWS)
            text.detach()
        else:
            handle.writelines(chunks)
    return file_sha256(path)
