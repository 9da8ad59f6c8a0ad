"""The lottery from start to finish: input folder in, output folder out.

One call per command: :func:`run_lottery` for ``lottery run`` and
:func:`validate_input` for ``lottery validate``. Stages report progress through an
optional callback so that the command line can show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lottery import __version__
from lottery.city import CityInput
from lottery.io.atomic import Say, say_nothing
from lottery.io.inputs import GRADES, LOTTERY_FILE, read_input_folder
from lottery.io.manifest import ENGINE_NAME, FamiliesRecord, LotteryRecord, Manifest
from lottery.io.outputs import (
    CHOICE_RESULTS,
    EXTERNAL_LOTTERY,
    PLACEMENTS,
    RESERVE_REPORT,
    SEED_SOURCE,
    SUMMARY,
    WAITLISTS,
)
from lottery.io.writers import check_output_folder, write_output_folder
from lottery.market import Market, build_market, check_seed
from lottery.numbers import check_seed_commitment
from lottery.results import MatchOutcome, Results, build_results
from lottery.seat_policy import administrative_assignment, assign_seats, match_with_families


@dataclass(frozen=True)
class RunSummary:
    """What a finished run tells the person who ran it."""

    out_dir: Path
    counts: dict[str, int]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class InputSummary:
    """What ``lottery validate`` found: headline counts and warnings (no errors: those raise)."""

    counts: dict[str, int]
    warnings: tuple[str, ...]
    grades: list[dict[str, object]]


def run_lottery(
    input_dir: Path,
    out_dir: Path,
    seed: str | None,
    force: bool = False,
    progress: Say = say_nothing,
    seed_commitment: str | None = None,
    strict: bool = False,
) -> RunSummary:
    """Read and validate ``input_dir``, run the match with ``seed``, write ``out_dir``.

    ``seed_commitment``, if given, is the SHA-256 published before the lottery (see
    :mod:`lottery.numbers`): a seed that does not match it is refused before any work, and
    the manifest records it. ``strict`` makes warnings about single rows of the input
    files (unknown codes, ignored columns) errors.

    Raises :class:`~lottery.errors.InputError` for bad input and
    :class:`~lottery.errors.UsageError` for a refused output folder, a missing seed or a
    seed that does not match its commitment; in every case nothing is written.
    """
    check_output_folder(out_dir, [input_dir], force, say=progress)
    check_seed(seed, (Path(input_dir) / LOTTERY_FILE).is_file())
    seed_commitment = check_seed_commitment(seed, seed_commitment)
    progress("Reading and checking the input files")
    city = read_input_folder(input_dir, strict=strict)
    progress("Computing priorities and lottery numbers")
    first_market = [build_market(city, seed)]
    progress("Matching (deferred acceptance)")
    # Handed over, not kept: linked families' reruns give match() a new market, and the
    # first one's arrays can then be freed while the results are built (peak memory).
    market, results = match(city, first_market.pop())
    progress("Writing the results")
    tables = output_tables(results)
    manifest = run_manifest(city, market, results, seed_commitment)
    write_output_folder(out_dir, tables, manifest, force, say=progress)
    return RunSummary(Path(out_dir).resolve(), results.counts, run_warnings(city, results))


def output_tables(results: Results) -> dict[str, pd.DataFrame]:
    """The CSV files of a run, by file name."""
    return {
        PLACEMENTS: results.placements,
        WAITLISTS: results.waitlists,
        SUMMARY: results.programs_summary,
        CHOICE_RESULTS: results.choice_results,
        RESERVE_REPORT: results.reserve_report,
    }


def match(city: CityInput, market: Market) -> tuple[Market, Results]:
    """Deferred acceptance (rerun for linked families), then the zone guarantee; and, if
    there are reserves, the same match without them for reserve_report.csv."""
    market, placed, families = match_with_families(city, market)
    without_reserves = market.place(slots=False) if market.slots is not None else None
    seats = assign_seats(market, placed)
    outcome = MatchOutcome(
        placed_pair=placed,
        seats=seats,
        administrative=administrative_assignment(city, market, seats),
        families=families,
        placed_without_reserves=without_reserves,
    )
    return market, build_results(city, market, outcome)


def run_warnings(city: CityInput, results: Results) -> tuple[str, ...]:
    """The warnings of a run: those of the input files, unsettled families, the zone guarantee."""
    warnings = list(city.warnings)
    families = results.families
    if not families.converged:
        warnings.append(
            f"linked families: placements still changed after {families.iterations} runs of "
            "the match (sibling_offered); the last run's result is used. Families affected: "
            + _examples(np.array(families.unsettled, dtype=object))
        )
    unserved = results.administrative_unserved
    if unserved:
        warnings.append(
            f"zone guarantee: {len(unserved)} applicant(s) could not be given a seat in their "
            "zone (no program there had a seat free for them): "
            f"{_examples(np.array(unserved, dtype=object))}"
        )
    return tuple(warnings)


def run_manifest(
    city: CityInput, market: Market, results: Results, seed_commitment: str | None = None
) -> Manifest:
    """Everything an auditor needs to rerun the lottery, without timestamps."""
    external = city.external_lottery is not None
    return Manifest(
        engine_name=ENGINE_NAME,
        engine_version=__version__,
        seed=EXTERNAL_LOTTERY if external else market.seed,
        seed_commitment=seed_commitment,
        lottery=LotteryRecord(
            source=LOTTERY_FILE if external else SEED_SOURCE,
            tiebreak=market.tiebreak,
            formula=None if external else _formula(market.tiebreak),
            order=(
                "priority, then family_lottery_number (own number for an applicant outside "
                "a linked family), then lottery_number (lower first), then applicant_id"
            ),
            family_formula=None if external else _formula(market.tiebreak, family=True),
        ),
        policy=city.policy.manifest_record(),
        inputs=city.input_sha256,
        counts=results.counts,
        families=FamiliesRecord(
            iterations=results.families.iterations,
            converged=results.families.converged,
            unsettled=tuple(results.families.unsettled),
        ),
        administrative_unserved=tuple(results.administrative_unserved),
        warnings=run_warnings(city, results),
    )


def _formula(tiebreak: str, family: bool = False) -> str:
    who = "family:{family_id}" if family else "{applicant_id}"
    key = f"{{seed}}|{who}" if tiebreak == "single" else f"{{seed}}|{who}|{{program_id}}"
    return f'first 8 bytes of sha256(utf8("{key}")) as a big-endian unsigned integer'


def validate_input(input_dir: Path, strict: bool = False) -> InputSummary:
    """Check ``input_dir`` without running the lottery; raise InputError on problems
    (with ``strict``, also for the warnings ``lottery run --strict`` refuses)."""
    city = read_input_folder(input_dir, strict=strict)
    programs, applicants, choices = city.programs, city.applicants, city.choices
    ranked = np.bincount(choices.program, minlength=len(programs))
    choice_count = np.bincount(choices.applicant, minlength=len(applicants))
    warnings = list(city.warnings)
    never_ranked = programs.id[ranked == 0]
    if len(never_ranked):
        warnings.append(
            f"{len(never_ranked)} program(s) were ranked by nobody: {_examples(never_ranked)}"
        )
    # Counted as `lottery run` counts them (applicants_without_choices); those with a
    # guaranteed program are placed there all the same.
    no_choices = choice_count == 0
    if no_choices.any():
        warnings.append(_without_choices_warning(programs, applicants, no_choices))
    held_back = bool((programs.capacity != programs.seats).any())
    grades = []
    for grade in _grade_order(set(programs.grade.tolist()) | set(applicants.grade.tolist())):
        in_grade = programs.grade == grade
        seats = int(programs.seats[in_grade].sum())
        offered = int(programs.capacity[in_grade].sum())
        count = int((applicants.grade == grade).sum())
        row = {"grade": grade, "applicants": count, "seats": seats}
        if held_back:
            row["offered"] = offered
        grades.append(row)
        if count > offered:
            seats_named = "seats offered in this run" if held_back else "seats"
            warnings.append(
                f"grade {grade} is over-subscribed: {count} applicants for {offered} "
                f"{seats_named} (at least {count - offered} will not be placed)"
            )
    counts = {
        "programs": len(programs),
        "schools": len(set(programs.school_id.tolist())),
        "seats": int(programs.seats.sum()),
        "applicants": len(applicants),
        "choices": len(choices),
    }
    if (programs.capacity != programs.seats).any():
        counts["offered"] = int(programs.capacity.sum())
    if city.reserves is not None:
        counts["reserved"] = int(city.reserves.seats.sum())
    guaranteed = int((applicants.guaranteed_program >= 0).sum())
    if guaranteed:
        counts["guaranteed"] = guaranteed
    # Counted as `lottery synth` counts them: a family is a family_id two or more applicants
    # share; it is linked when its members ask for it (link_family).
    in_family = applicants.family_id != ""
    family_ids, members = np.unique(applicants.family_id[in_family], return_counts=True)
    if len(family_ids):
        linked = set(applicants.family_id[in_family & applicants.link_family].tolist())
        counts["families"] = int((members >= 2).sum())
        counts["linked"] = len(linked & set(family_ids[members >= 2].tolist()))
    return InputSummary(counts, tuple(warnings), grades)


def _without_choices_warning(programs, applicants, no_choices: np.ndarray) -> str:
    """The warning about applicants who ranked no program, and what becomes of them;
    the examples are those who will not be placed, when there are some."""
    count = int(no_choices.sum())
    guaranteed = no_choices & (applicants.guaranteed_program >= 0)
    zone_guarantee = " (except by the zone guarantee)" if any(programs.administrative_zones) else ""
    if not guaranteed.any():
        return (
            f"{count} applicant(s) ranked no program and will not be placed{zone_guarantee}: "
            f"{_examples(applicants.id[no_choices])}"
        )
    if guaranteed.sum() == count:
        return (
            f"{count} applicant(s) ranked no program; all of them will be placed at their "
            f"guaranteed program: {_examples(applicants.id[no_choices])}"
        )
    others = no_choices & ~guaranteed
    return (
        f"{count} applicant(s) ranked no program; {int(guaranteed.sum())} of them will be "
        f"placed at their guaranteed program, the other {int(others.sum())} will not be "
        f"placed{zone_guarantee}: {_examples(applicants.id[others])}"
    )


def _examples(ids: np.ndarray, shown: int = 5) -> str:
    text = ", ".join(ids[:shown].tolist())
    return text + (", ..." if len(ids) > shown else "")


def _grade_order(grades: set[str]) -> list[str]:
    return [g for g in GRADES if g in grades]
