"""The lottery from start to finish: input folder in, output folder out.

One call per command: :func:`run_lottery` for ``lottery run`` and
:func:`validate_input` for ``lottery validate``. Stages report progress through an
optional callback so that the command line can show it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lottery import __version__
from lottery.io.readers import GRADES, LOTTERY_FILE, read_input_folder
from lottery.io.writers import check_output_folder, write_output_folder
from lottery.market import EXTERNAL_LOTTERY, Market, build_market, check_seed
from lottery.matching import deferred_acceptance
from lottery.records import CityInput
from lottery.results import Results, build_results
from lottery.seed import check_seed_commitment

Progress = Callable[[str], None]

PLACEMENTS_FILE = "placements.csv"
WAITLISTS_FILE = "waitlists.csv"
SUMMARY_FILE = "programs_summary.csv"
CHOICE_RESULTS_FILE = "choice_results.csv"


@dataclass(frozen=True)
class RunReport:
    """What a finished run tells the person who ran it."""

    out_dir: Path
    counts: dict[str, int]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class InputReport:
    """What ``lottery validate`` found: headline counts and warnings (no errors: those raise)."""

    counts: dict[str, int]
    warnings: tuple[str, ...]
    grades: list[dict[str, object]]


def _quiet(_: str) -> None:
    pass


def run_lottery(
    input_dir: Path,
    out_dir: Path,
    seed: str | None,
    force: bool = False,
    progress: Progress = _quiet,
    seed_commitment: str | None = None,
) -> RunReport:
    """Read and validate ``input_dir``, run the match with ``seed``, write ``out_dir``.

    ``seed_commitment``, if given, is the SHA-256 published before the lottery (see
    :mod:`lottery.seed`): a seed that does not match it is refused before any work, and
    the manifest records it.

    Raises :class:`~lottery.errors.InputError` for bad input and
    :class:`~lottery.errors.UsageError` for a refused output folder, a missing seed or a
    seed that does not match its commitment; in every case nothing is written.
    """
    check_output_folder(out_dir, input_dir, force)
    check_seed(seed, (Path(input_dir) / LOTTERY_FILE).is_file())
    seed_commitment = check_seed_commitment(seed, seed_commitment)
    progress("Reading and checking the input files")
    city = read_input_folder(input_dir)
    progress("Computing priorities and lottery numbers")
    market = build_market(city, seed)
    progress("Matching (deferred acceptance)")
    placed = deferred_acceptance(
        market.choice_offsets, market.choice_program, market.choice_rank, market.capacity
    )
    results = build_results(city, market, placed)
    progress("Writing the results")
    tables = {
        PLACEMENTS_FILE: results.placements,
        WAITLISTS_FILE: results.waitlists,
        SUMMARY_FILE: results.programs_summary,
        CHOICE_RESULTS_FILE: results.choice_results,
    }
    manifest = run_manifest(city, market, results, seed_commitment)
    write_output_folder(out_dir, tables, manifest, force)
    return RunReport(Path(out_dir).resolve(), results.counts, city.warnings)


def run_manifest(
    city: CityInput, market: Market, results: Results, seed_commitment: str | None = None
) -> dict:
    """Everything an auditor needs to rerun the lottery, without timestamps."""
    external = city.external_lottery is not None
    return {
        "engine": {"name": "lottery", "version": __version__},
        "seed": EXTERNAL_LOTTERY if external else market.seed,
        "seed_commitment": seed_commitment,
        "lottery": {
            "source": "lottery.csv" if external else "seed",
            "tiebreak": market.tiebreak,
            "formula": None if external else _formula(market.tiebreak),
            "order": "priority, then lottery_number (lower first), then applicant_id",
        },
        "policy": city.policy.model_dump(mode="json"),
        "inputs": city.input_sha256,
        "counts": results.counts,
        "warnings": list(city.warnings),
    }


def _formula(tiebreak: str) -> str:
    key = "{seed}|{applicant_id}" if tiebreak == "single" else "{seed}|{applicant_id}|{program_id}"
    return f'first 8 bytes of sha256(utf8("{key}")) as a big-endian unsigned integer'


def validate_input(input_dir: Path) -> InputReport:
    """Check ``input_dir`` without running the lottery; raise InputError on problems."""
    city = read_input_folder(input_dir)
    programs, applicants, choices = city.programs, city.applicants, city.choices
    ranked = np.bincount(choices.program, minlength=len(programs))
    choice_count = np.bincount(choices.applicant, minlength=len(applicants))
    warnings = list(city.warnings)
    never_ranked = programs.id[ranked == 0]
    if len(never_ranked):
        warnings.append(
            f"{len(never_ranked)} program(s) were ranked by nobody: {_examples(never_ranked)}"
        )
    no_choices = applicants.id[choice_count == 0]
    if len(no_choices):
        warnings.append(
            f"{len(no_choices)} applicant(s) ranked no program and will not be placed: "
            f"{_examples(no_choices)}"
        )
    grades = []
    for grade in _grade_order(set(programs.grade.tolist()) | set(applicants.grade.tolist())):
        seats = int(programs.seats[programs.grade == grade].sum())
        count = int((applicants.grade == grade).sum())
        grades.append({"grade": grade, "applicants": count, "seats": seats})
        if count > seats:
            warnings.append(
                f"grade {grade} is over-subscribed: {count} applicants for {seats} seats "
                f"(at least {count - seats} will not be placed)"
            )
    counts = {
        "programs": len(programs),
        "schools": len(set(programs.school_id.tolist())),
        "seats": int(programs.seats.sum()),
        "applicants": len(applicants),
        "choices": len(choices),
    }
    return InputReport(counts, tuple(warnings), grades)


def _examples(ids: np.ndarray, shown: int = 5) -> str:
    text = ", ".join(ids[:shown].tolist())
    return text + (", ..." if len(ids) > shown else "")


def _grade_order(grades: set[str]) -> list[str]:
    return [g for g in GRADES if g in grades]
