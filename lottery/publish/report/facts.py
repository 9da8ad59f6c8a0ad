"""The facts every section of the report aggregates: the results joined with the inputs.

:func:`gather_facts` builds one row per applicant (grade, home zone, tags, choices ranked,
outcome) and one row per choice the match *reached* (the placement, and every waitlist
entry: choices ranked above the placement, or all choices of an unplaced applicant). An
applicant "placed" in the report holds a seat, whatever their ``status`` in
placements.csv (``placed``, ``guaranteed`` or ``administrative``); "at their first
choice" counts only those the match placed at the program they ranked first, as
manifest.json's ``counts.placed_first_choice`` does. The run's headline counts are taken
from the manifest (``Facts.counts``) rather than counted again here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lottery.city import CityInput
from lottery.io.inputs import GRADES
from lottery.io.outputs import (
    ADMINISTRATIVE,
    COLUMNS,
    GUARANTEED,
    MATCHED,
    PLACED,
    RESERVE_REPORT,
    SUMMARY,
    UNPLACED,
)
from lottery.io.results_folder import ResultsFolder
from lottery.policy import GENERAL, GUARANTEED_VALUE
from lottery.policy import GUARANTEED as GUARANTEED_PRIORITY

# How the report names each outcome (beside the choice-rank buckets).
UNPLACED_LABEL = "Unplaced"
NO_CHOICES_LABEL = "Ranked no program"
GUARANTEED_LABEL = "Guaranteed seat"
ADMINISTRATIVE_LABEL = "Assigned in their zone"

# The columns of programs_summary.csv from seats to reserved_filled are counts.
SUMMARY_COUNTS = COLUMNS[SUMMARY][COLUMNS[SUMMARY].index("seats") : -2]
# Every column of reserve_report.csv after program_id, school_id and category is a count.
RESERVE_COUNTS = COLUMNS[RESERVE_REPORT][3:]


@dataclass(frozen=True)
class Facts:
    """The run, as tables the sections aggregate from."""

    applicants: pd.DataFrame
    """One row per applicant: id, grade, zone, tags, choices, status, seat (whether they
    hold a seat: every status but unplaced), first (placed by the match at their first
    choice), program_id, choice_rank, priority, outcome."""
    reached: pd.DataFrame
    """One row per choice the match reached: program_id, sector, choice_rank, bucket,
    priority, admitted."""
    programs: pd.DataFrame
    """programs_summary.csv."""
    reserves: pd.DataFrame
    """reserve_report.csv (counts as whole numbers)."""
    outcomes: list[str]
    """Outcome labels in display order: rank buckets, then guaranteed and assigned in
    their zone (when any applicant was), then unplaced, then no choices."""
    buckets: list[str]
    """Choice-rank buckets: ``1st choice`` ... (the last may be ``5th choice or later``)."""
    tiers: list[str]
    """Priority labels that occur, highest priority first."""
    grades: list[str]
    sectors: list[str]
    has_tags: bool
    counts: Mapping[str, int]
    """The run's headline counts, as manifest.json records them (``lottery verify``
    checked them against the tables)."""
    unserved: frozenset[str] = frozenset()
    """Applicants the zone guarantee should have served but could not (manifest.json)."""

    @property
    def offers_differ(self) -> bool:
        """Whether any program offered other than its seats (held seats, an offer target):
        the tables then add a column of seats offered."""
        return bool((self.programs["offered_seats"] != self.programs["seats"]).any())


def gather_facts(results: ResultsFolder, city: CityInput, public: bool = False) -> Facts:
    """Join the results with the inputs into per-applicant and per-choice rows.

    A public report counts applicants who ranked no program with the unplaced: shown
    apart, their (usually small) number would follow from the other totals.
    """
    manifest = results.manifest
    placements = _numbers(results.placements, ["choice_rank", "lottery_rank"])
    summary = _numbers(results.programs_summary, [*SUMMARY_COUNTS, "cutoff_lottery_rank"])
    summary = _names_as_written(summary, city)
    reserves = _numbers(results.reserve_report, RESERVE_COUNTS)
    waitlists = _numbers(results.waitlists, ["position", "choice_rank"])
    ids = pd.Index(city.applicants.id)
    choices = pd.Series(
        np.bincount(city.choices.applicant, minlength=len(ids)), index=ids, dtype="int64"
    )
    zones = pd.Series(city.applicants.zone, index=ids, dtype=object)
    tags_column = getattr(city.applicants, "tags", None)
    tags = pd.Series(
        list(tags_column) if tags_column is not None else [()] * len(ids), index=ids, dtype=object
    )
    longest = int(city.choices.rank.max()) if len(city.choices) else 1
    buckets = _bucket_labels(longest)

    people = placements[
        ["applicant_id", "grade", "status", "program_id", "choice_rank", "priority"]
    ].copy()
    people["zone"] = people["applicant_id"].map(zones).fillna("")
    people["tags"] = people["applicant_id"].map(tags)
    people["tags"] = people["tags"].apply(lambda t: tuple(t) if isinstance(t, tuple) else ())
    people["choices"] = people["applicant_id"].map(choices).fillna(0).astype("int64")
    status = people["status"]
    placed = status == PLACED
    people["seat"] = status != UNPLACED
    # The same rule as counts.placed_first_choice: the match placed them (not a guarantee,
    # not the zone guarantee) at the program they ranked first.
    people["first"] = placed & (people["choice_rank"] == 1).fillna(False)
    people["outcome"] = np.select(
        [
            placed,
            status == GUARANTEED,
            status == ADMINISTRATIVE,
            (people["choices"] > 0) | public,
        ],
        [
            [_bucket(r, buckets) for r in people["choice_rank"].fillna(1)],
            GUARANTEED_LABEL,
            ADMINISTRATIVE_LABEL,
            UNPLACED_LABEL,
        ],
        NO_CHOICES_LABEL,
    )
    extra = [o for o in (GUARANTEED_LABEL, ADMINISTRATIVE_LABEL) if (people["outcome"] == o).any()]

    sector = summary.set_index("program_id")["sector"]
    admitted = people.loc[placed, ["program_id", "choice_rank", "priority"]].assign(admitted=True)
    turned_away = waitlists[["program_id", "choice_rank", "priority"]].assign(admitted=False)
    reached = pd.concat([admitted, turned_away], ignore_index=True)
    reached["choice_rank"] = reached["choice_rank"].astype("int64")
    reached["sector"] = reached["program_id"].map(sector).fillna("")
    reached["bucket"] = [_bucket(r, buckets) for r in reached["choice_rank"]]

    grade_position = {g: i for i, g in enumerate(GRADES)}
    grades = sorted(set(people["grade"]), key=lambda g: (grade_position.get(g, 99), g))
    labels = set(reached["priority"]) | set(people.loc[status.isin(MATCHED), "priority"])
    return Facts(
        applicants=people,
        reached=reached,
        programs=summary,
        reserves=reserves,
        outcomes=[*buckets, *extra, UNPLACED_LABEL] + ([] if public else [NO_CHOICES_LABEL]),
        buckets=buckets,
        tiers=_tier_order(labels, city.policy.priority.order),
        grades=grades,
        sectors=sorted(set(summary["sector"])),
        has_tags=tags_column is not None,
        counts=manifest.counts,
        unserved=frozenset(manifest.administrative_unserved or ()),
    )


def grade_name(grade: str) -> str:
    """How the report names a grade: ``Pre-K``, ``Kindergarten``, ``Grade 3``."""
    return {"PK": "Pre-K", "K": "Kindergarten"}.get(grade, f"Grade {grade}")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _bucket_labels(longest: int) -> list[str]:
    if longest <= 5:
        return [f"{_ordinal(r)} choice" for r in range(1, max(longest, 1) + 1)]
    return [f"{_ordinal(r)} choice" for r in range(1, 5)] + ["5th choice or later"]


def _bucket(rank: int, buckets: list[str]) -> str:
    return buckets[min(int(rank), len(buckets)) - 1]


def _tier_order(labels: set[str], policy_order: Sequence[str]) -> list[str]:
    """Priority labels highest first: by value (``guaranteed``, tier position, ``general``,
    ``explicit:N``)."""
    value = {tier: i + 1 for i, tier in enumerate(policy_order)}
    value[GENERAL] = len(policy_order) + 1
    value[GUARANTEED_PRIORITY] = GUARANTEED_VALUE  # above every tier (docs/seat-policy.md)

    def key(label: str) -> tuple:
        if label.startswith("explicit:") and label[9:].isdigit():
            return (int(label[9:]), 1, label)
        return (value.get(label, len(policy_order) + 2), 0, label)

    return sorted(labels, key=key)


def _numbers(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy with ``columns`` (text, as read) as whole numbers; blank cells become NA."""
    frame = frame.copy()
    for column in columns:
        frame[column] = pd.to_numeric(frame[column].replace("", None)).astype("Int64")
    return frame


def _names_as_written(summary: pd.DataFrame, city: CityInput) -> pd.DataFrame:
    """The summary with school names and sectors as programs.csv has them: the results
    file puts a ``'`` before text that starts like a spreadsheet formula
    (docs/outputs.md), which is not part of the name. The inputs are the run's own
    (their checksums were checked)."""
    ids = pd.Index(city.programs.id)
    where = ids.get_indexer(summary["program_id"])
    return summary.assign(
        school_name=city.programs.school_name[where], sector=city.programs.sector[where]
    )
