"""Read back a finished run's results folder, for the letters (and anything else that
works from a run's outputs rather than rerunning it).

The folder must be complete and unchanged: every file ``manifest.json`` lists must be
there with the checksum it records, and with the columns documented in
docs/outputs.md. Cells are read as text, exactly as written (blank cells stay ``""``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lottery.errors import InputError, Problem, ResultsError, UsageError
from lottery.io.atomic import is_hidden_work, name_some
from lottery.io.csv_tables import file_sha256
from lottery.io.manifest import Manifest, peek_manifest, read_manifest
from lottery.io.outputs import (
    ADDED_BY_COMMANDS,
    CHOICE_RESULTS,
    COLUMNS,
    LETTERS,
    MANIFEST_FILE,
    MERGED_LETTERS,
    PLACEMENTS,
    RESERVE_REPORT,
    RUN_TABLES,
    SUMMARY,
    VERIFICATION,
    WAITLISTS,
)


def check_replaceable(folder: Path) -> None:
    """Refuse (UsageError) to replace ``folder`` unless it is provably lottery's own.

    That is: its manifest.json was written by lottery, and every file in it is one the
    manifest lists, one that ``verify``, ``report`` or ``letters`` adds, or an unfinished
    file of ours. Anything else would be lost, so it is named in the message.
    """
    folder = Path(folder)
    refuse = f"--force replaces only a folder of lottery results, and {folder} "
    manifest = peek_manifest(folder / MANIFEST_FILE)
    if manifest is None or not manifest.written_by_lottery or manifest.outputs is None:
        raise UsageError(
            refuse + f"has no {MANIFEST_FILE} written by lottery. Nothing was replaced: "
            "choose a new folder for the results."
        )
    outputs = manifest.outputs
    changed = sorted(
        name
        for name, digest in outputs.items()
        if (folder / name).is_file() and file_sha256(folder / name) != digest
    )
    if changed:
        raise UsageError(
            refuse + "holds files changed since lottery wrote them, which would be lost: "
            f"{name_some(changed)}. Nothing was replaced: move them out, or choose a new folder."
        )
    foreign = _foreign_entries(folder, set(outputs))
    if foreign:
        raise UsageError(
            refuse + f"also holds files that lottery did not write, which would be lost: "
            f"{name_some(foreign)}. Nothing was replaced: move them out, or choose a new folder."
        )


def _foreign_entries(folder: Path, outputs: set[str]) -> list[str]:
    """Entries of ``folder`` (relative, folders ending in /) that lottery did not write."""
    ours = {MANIFEST_FILE, *outputs}
    ours_folders = {parent.as_posix() for name in ours for parent in Path(name).parents}
    applicants = None
    foreign = []
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if (
            name in ours
            or is_hidden_work(path)
            or any(is_hidden_work(parent) for parent in path.relative_to(folder).parents)
        ):
            continue
        if path.is_dir() and not path.is_symlink():
            if name in ours_folders or name == LETTERS:
                continue
            if not any(path.iterdir()):
                foreign.append(name + "/")
            continue
        if name in ADDED_BY_COMMANDS and _written_by_lottery(path):
            continue
        if name.startswith(LETTERS + "/"):
            if applicants is None:
                applicants = _applicant_ids(folder / PLACEMENTS)
            if is_letter(name.removeprefix(LETTERS + "/"), applicants):
                continue
        foreign.append(name)
    return foreign


def check_overwritable(path: Path, kind: str) -> None:
    """Refuse (UsageError) a file named on the command line (``--certificate``,
    ``--output``) that exists and was not written by lottery as ``kind`` (a file name of
    :data:`ADDED_BY_COMMANDS`): it is someone's, or part of a run's results."""
    path = Path(path)
    if not path.exists() or (
        path.is_file()
        and path.name not in (MANIFEST_FILE, *RUN_TABLES)
        and _written_by_lottery(path, kind)
    ):
        return
    raise UsageError(
        f"{path} already exists and was not written by `{ADDED_BY_COMMANDS[kind]}`; "
        "nothing was replaced. Choose a new file name."
    )


def _written_by_lottery(path: Path, kind: str | None = None) -> bool:
    try:
        head = path.read_bytes()[:4096].decode("utf-8", "replace")
    except OSError:
        return False
    if (kind or path.name) == VERIFICATION:
        return head.startswith("{") and '"checks"' in head
    return '<meta name="generator" content="lottery">' in head


def _applicant_ids(placements: Path) -> set[str]:
    try:
        with placements.open(encoding="utf-8", newline="") as handle:
            return {row[0] for row in csv.reader(handle) if row}
    except (OSError, UnicodeDecodeError, csv.Error):
        return set()


def is_letter(name: str, applicants: set[str]) -> bool:
    """Whether ``name`` is a file ``lottery letters`` writes for one of ``applicants``
    (``<applicant_id>.pdf``, ``<applicant_id>.html``) or the merged PDF."""
    stem, dot, extension = name.rpartition(".")
    return name == MERGED_LETTERS or (
        dot == "." and extension in ("pdf", "html") and stem in applicants
    )


@dataclass(frozen=True, eq=False)
class ResultsFolder:
    """A results folder as written by ``lottery run``: its tables (all cells text) and
    its manifest."""

    folder: Path
    manifest: Manifest
    placements: pd.DataFrame
    waitlists: pd.DataFrame
    programs_summary: pd.DataFrame
    choice_results: pd.DataFrame
    reserve_report: pd.DataFrame


def read_results_folder(out_dir: Path, input_dir: Path | None = None) -> ResultsFolder:
    """Read ``out_dir``; with ``input_dir``, also check that it is the run's input folder.

    Raises :class:`~lottery.errors.UsageError` for a folder that is not a complete,
    unchanged results folder, or an input folder whose files differ from the ones the
    run recorded (letters must name the applicants the run placed).
    """
    out_dir = Path(out_dir)
    manifest_path = out_dir / MANIFEST_FILE
    if not manifest_path.is_file():
        raise UsageError(
            f"{out_dir} is not a results folder (it has no {MANIFEST_FILE}): "
            "pass the folder that `lottery run --out` wrote."
        )
    manifest = read_manifest(manifest_path)
    outputs = manifest.outputs
    if outputs is None:
        raise UsageError(f"{manifest_path} does not record the run's output files.")
    problems = []
    # The tables read here, then any other output the manifest lists.
    for name in [*RUN_TABLES, *sorted(set(outputs) - set(RUN_TABLES))]:
        path = out_dir / name
        if name not in outputs:
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    f"this run did not write it (an older version of lottery?): run the "
                    f"lottery again into a new folder to get {name}",
                )
            )
        elif not path.is_file():
            problems.append(Problem(name, None, None, f"missing from the results folder {out_dir}"))
        elif file_sha256(path) != outputs[name]:
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    "changed since the lottery ran (its SHA-256 differs from manifest.json); "
                    "use the results exactly as the run wrote them",
                )
            )
    input_problems = [] if input_dir is None else _check_inputs(manifest, Path(input_dir))
    if problems or input_problems:
        files = "the results and input files" if problems and input_problems else ""
        raise (ResultsError if problems else InputError)(problems + input_problems, files=files)
    tables = {name: _read(out_dir / name) for name in RUN_TABLES}
    return ResultsFolder(
        folder=out_dir,
        manifest=manifest,
        placements=tables[PLACEMENTS],
        waitlists=tables[WAITLISTS],
        programs_summary=tables[SUMMARY],
        choice_results=tables[CHOICE_RESULTS],
        reserve_report=tables[RESERVE_REPORT],
    )


def _check_inputs(manifest: Manifest, input_dir: Path) -> list[Problem]:
    recorded = manifest.inputs
    if recorded is None:
        return [Problem(MANIFEST_FILE, None, None, "does not record the run's input files")]
    problems = []
    for name, digest in sorted(recorded.items()):
        path = input_dir / name
        if not path.is_file():
            problems.append(Problem(name, None, None, f"missing from the input folder {input_dir}"))
        elif file_sha256(path) != digest:
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    f"the file in {input_dir} is not the one this run used (its SHA-256 differs "
                    "from manifest.json); pass the input folder of the run",
                )
            )
    return problems


def _read(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expected = COLUMNS[path.name]
    if tuple(table.columns) != expected:
        raise ResultsError(
            [
                Problem(
                    path.name,
                    1,
                    None,
                    f"has the header {','.join(table.columns)!r}; expected {','.join(expected)!r}",
                )
            ]
        )
    return table
