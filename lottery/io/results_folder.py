"""Read back a finished run's results folder, for the letters (and anything else that
works from a run's outputs rather than rerunning it).

The folder must be complete and unchanged: every file ``manifest.json`` lists must be
there with the checksum it records, and with the columns documented in
docs/outputs.md. Cells are read as text, exactly as written (blank cells stay ``""``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lottery.errors import InputError, Problem, UsageError
from lottery.io.tables import file_sha256
from lottery.io.writers import MANIFEST_FILE

PLACEMENTS = "placements.csv"
WAITLISTS = "waitlists.csv"
SUMMARY = "programs_summary.csv"
CHOICE_RESULTS = "choice_results.csv"
RESERVE_REPORT = "reserve_report.csv"

COLUMNS = {
    PLACEMENTS: (
        "applicant_id",
        "grade",
        "status",
        "program_id",
        "school_id",
        "choice_rank",
        "priority",
        "seat",
        "lottery_number",
        "family_lottery_number",
        "lottery_rank",
    ),
    WAITLISTS: (
        "program_id",
        "position",
        "applicant_id",
        "choice_rank",
        "priority",
        "lottery_rank",
    ),
    SUMMARY: (
        "program_id",
        "school_id",
        "school_name",
        "sector",
        "grade",
        "seats",
        "held_seats",
        "offered_seats",
        "applicants",
        "first_choice_applicants",
        "placed",
        "administrative",
        "open_seats",
        "waitlisted",
        "reserved_seats",
        "reserved_filled",
        "cutoff_priority",
        "cutoff_lottery_rank",
    ),
    CHOICE_RESULTS: (
        "applicant_id",
        "rank",
        "program_id",
        "result",
        "priority",
        "waitlist_position",
        "cutoff_priority",
        "cutoff_lottery_rank",
    ),
    RESERVE_REPORT: (
        "program_id",
        "school_id",
        "category",
        "reserved_seats",
        "filled_by_category",
        "category_applicants",
        "category_admitted",
        "category_admitted_without_reserves",
        "admitted_only_with_reserves",
        "admitted_only_without_reserves",
    ),
}


@dataclass(frozen=True, eq=False)
class RunOutputs:
    """A results folder as written by ``lottery run``: its tables (all cells text) and
    its manifest."""

    folder: Path
    manifest: dict
    placements: pd.DataFrame
    waitlists: pd.DataFrame
    programs_summary: pd.DataFrame
    choice_results: pd.DataFrame
    reserve_report: pd.DataFrame


def read_run_outputs(out_dir: Path, input_dir: Path | None = None) -> RunOutputs:
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
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{manifest_path} cannot be read as JSON ({error}).") from None
    outputs = manifest.get("outputs") if isinstance(manifest, dict) else None
    if not isinstance(outputs, dict):
        raise UsageError(f"{manifest_path} does not record the run's output files.")
    problems = []
    # The tables read here, then any other output the manifest lists.
    for name in [*COLUMNS, *sorted(set(outputs) - set(COLUMNS))]:
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
    if input_dir is not None:
        problems += _check_inputs(manifest, Path(input_dir))
    if problems:
        raise InputError(problems)
    tables = {name: _read(out_dir / name) for name in COLUMNS}
    return RunOutputs(
        folder=out_dir,
        manifest=manifest,
        placements=tables[PLACEMENTS],
        waitlists=tables[WAITLISTS],
        programs_summary=tables[SUMMARY],
        choice_results=tables[CHOICE_RESULTS],
        reserve_report=tables[RESERVE_REPORT],
    )


def _check_inputs(manifest: dict, input_dir: Path) -> list[Problem]:
    recorded = manifest.get("inputs")
    if not isinstance(recorded, dict):
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
        raise InputError(
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
