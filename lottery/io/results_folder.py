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
    MOVES,
    PLACEMENTS,
    RESERVE_REPORT,
    ROUND_INPUTS,
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
                applicants = _applicant_ids(folder)
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


def _applicant_ids(folder: Path) -> set[str]:
    """The applicants a results folder names: in placements.csv and, for a later round,
    in moves.csv (who withdrew in the round gets a letter but has no placement)."""
    ids: set[str] = set()
    for name in (PLACEMENTS, MOVES):
        try:
            with (folder / name).open(encoding="utf-8", newline="") as handle:
                ids |= {row[0] for row in csv.reader(handle) if row}
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
    return ids


def is_letter(name: str, applicants: set[str]) -> bool:
    """Whether ``name`` is a file ``lottery letters`` writes for one of ``applicants``
    (``<applicant_id>.pdf``, ``<applicant_id>.html``) or the merged PDF."""
    stem, dot, extension = name.rpartition(".")
    return name == MERGED_LETTERS or (
        dot == "." and extension in ("pdf", "html") and stem in applicants
    )


@dataclass(frozen=True)
class RunInputs:
    """The input folder of a results folder, as every command that takes ``--inputs``
    resolves it (:func:`run_inputs`)."""

    folder: Path
    """The folder whose files the manifest records (``OUT_DIR/round-inputs`` for a later
    round)."""
    first_round: Path | None
    """The round-1 input folder given, if it was one."""
    note: str | None
    """One plain line saying which folder was used, or None when it is the one given."""


def run_inputs(out_dir: Path, input_dir: Path | None) -> RunInputs:
    """The input folder to use with the results in ``out_dir``, given ``--inputs``.

    ``--inputs`` means the same for every command: the input folder of round 1 (the
    folder ``lottery run`` read). A later round keeps its own input files in
    ``round-inputs/``, so for a later round ``input_dir`` may be the round-1 folder
    (checked against round 1's manifest when round 1's folder is beside ``out_dir``),
    the round's own ``round-inputs/``, or None. For round 1 it is required.

    Raises :class:`~lottery.errors.UsageError` for a missing ``input_dir`` of a round-1
    folder, for another round's ``round-inputs/``, and for a round-1 input folder whose
    files are not those round 1 of the chain recorded. Whether the files match the
    manifest is left to :func:`read_results_folder` and the audit.
    """
    out_dir = Path(out_dir)
    manifest = peek_manifest(out_dir / MANIFEST_FILE)
    later_round = (manifest is not None and manifest.is_later_round) or (
        manifest is None and (out_dir / ROUND_INPUTS).is_dir()
    )
    if not later_round:
        if input_dir is None:
            raise UsageError(
                f"{out_dir} holds the results of round 1 (`lottery run`): pass --inputs with "
                "the input folder that run read."
            )
        return RunInputs(Path(input_dir), Path(input_dir), None)
    own = out_dir / ROUND_INPUTS
    number = manifest.round.number if manifest is not None and manifest.round else None
    this_round = f"round {number}" if number else "this round"
    if input_dir is None:
        return RunInputs(own, None, f"Using the input files of {this_round} in {own}.")
    input_dir = Path(input_dir)
    if _same_folder(input_dir, own):
        return RunInputs(own, None, None)
    if input_dir.name == ROUND_INPUTS and (input_dir.parent / MANIFEST_FILE).is_file():
        raise UsageError(
            f"{input_dir} holds the input files of another round, not of {out_dir}. Pass "
            f"--inputs with the input folder of round 1 (the folder `lottery run` read), or "
            f"leave it out: {this_round} keeps its own input files in {own}."
        )
    first = _first_round_manifest(out_dir)
    if first is None or first.inputs is None:
        return RunInputs(
            own,
            input_dir,
            f"Using the input files of {this_round} in {own}; {input_dir} could not be "
            f"checked against round 1 (its results folder is not beside {out_dir}).",
        )
    differ = _differing_inputs(first.inputs, input_dir)
    if differ:
        raise UsageError(
            f"{input_dir} is not the input folder of round 1 of this chain of rounds: the "
            f"files round 1 read ({name_some(differ)}) are missing there or differ. Pass --inputs "
            f"with the folder `lottery run` read for round 1, or leave it out: {this_round} "
            f"keeps its own input files in {own}."
        )
    return RunInputs(
        own,
        input_dir,
        f"Using the input files of {this_round} in {own} (round 1's were {input_dir}).",
    )


def _same_folder(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve()
    except OSError:
        return False


def _first_round_manifest(last: Path) -> Manifest | None:
    """The manifest of round 1 of the chain that ends with the later round in ``last``,
    found by following each round's ``previous_manifest_sha256`` through the folders
    beside it; None if the chain cannot be followed to round 1 (the audit says why)."""
    last = last.resolve()
    try:
        beside = [
            folder / MANIFEST_FILE
            for folder in sorted(last.parent.iterdir())
            if folder != last and (folder / MANIFEST_FILE).is_file()
        ]
        by_checksum = {file_sha256(path): path for path in beside}
    except OSError:
        return None
    manifest = peek_manifest(last / MANIFEST_FILE)
    for _ in range(len(beside) + 1):
        if manifest is None or manifest.round is None:
            return manifest
        path = by_checksum.get(manifest.round.previous_manifest_sha256 or "")
        manifest = None if path is None else peek_manifest(path)
    return None


def _differing_inputs(recorded: dict[str, str], input_dir: Path) -> list[str]:
    """The files of ``recorded`` that are missing from ``input_dir`` or differ there."""
    return sorted(
        name
        for name, digest in recorded.items()
        if not (input_dir / name).is_file() or file_sha256(input_dir / name) != digest
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
    if len(problems) >= 3 or (problems and len(problems) == len(recorded)):
        # Most or all files differ: another run's folder, not an edited file.
        return [
            Problem(
                str(input_dir),
                None,
                None,
                f"this is not the input folder of this run: {len(problems)} of its "
                f"{len(recorded)} input files are missing or differ from the ones "
                f"{MANIFEST_FILE} records ({name_some([p.file for p in problems])}); pass "
                "--inputs with the input folder of round 1 (the folder `lottery run` read)",
            )
        ]
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
