"""What the match means for each applicant and program: the tables the writers print.

Every number in the outputs is computed here, once; the writers only format.
Row order is part of the contract (documented in docs/outputs.md):
placements by ``applicant_id``; waitlists by ``program_id`` then position; the
summary by ``program_id``; per-choice results by ``applicant_id`` then rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lottery.market import Market
from lottery.matching import UNPLACED
from lottery.records import CityInput

PLACED = "placed"
UNPLACED_STATUS = "unplaced"

# The ``result`` of one ranked choice in choice_results.csv.
CHOICE_PLACED = "placed"
CHOICE_WAITLISTED = "waitlisted"
CHOICE_NOT_CONSIDERED = "not_considered"  # ranked below the program the applicant got
CHOICE_INELIGIBLE = "ineligible"  # reserved: no eligibility rules exist yet
CHOICE_RESULTS = (CHOICE_PLACED, CHOICE_WAITLISTED, CHOICE_NOT_CONSIDERED, CHOICE_INELIGIBLE)


@dataclass(frozen=True, eq=False)
class Results:
    """The outcome of one run, as output tables plus headline counts."""

    placements: pd.DataFrame
    waitlists: pd.DataFrame
    programs_summary: pd.DataFrame
    choice_results: pd.DataFrame
    counts: dict[str, int]


def build_results(city: CityInput, market: Market, placed_pair: np.ndarray) -> Results:
    """Turn the matcher's answer (a pair index per applicant, or -1) into output tables."""
    labels = _priority_labels(city, market)
    placements = _placements(city, market, placed_pair, labels)
    on_waitlist = _waitlisted_pairs(market, placed_pair)
    waitlist_pairs, waitlist_position = _waitlist_order(market, on_waitlist)
    waitlists = _waitlists(city, market, waitlist_pairs, waitlist_position, labels)
    full, last_admitted = _cutoffs(market, placed_pair)
    summary = _summary(city, market, placed_pair, on_waitlist, labels, full, last_admitted)
    choice_results = _choice_results(
        city, market, placed_pair, waitlist_pairs, waitlist_position, labels, full, last_admitted
    )
    n_placed = int((placed_pair != UNPLACED).sum())
    has_choices = np.diff(market.choice_offsets) > 0
    counts = {
        "applicants": market.n_applicants,
        "programs": market.n_programs,
        "choices": len(market.choice_program),
        "seats": int(market.capacity.sum()),
        "placed": n_placed,
        "unplaced": market.n_applicants - n_placed,
        "applicants_without_choices": int((~has_choices).sum()),
        "placed_first_choice": int(
            (placed_pair[placed_pair >= 0] == market.choice_offsets[:-1][placed_pair >= 0]).sum()
        ),
        "waitlist_entries": len(waitlists),
    }
    return Results(placements, waitlists, summary, choice_results, counts)


def _priority_labels(city: CityInput, market: Market) -> np.ndarray:
    """Priority name of every pair: tier name, ``general`` or ``explicit:N``."""
    labels = np.empty(len(market.choice_priority), dtype=object)
    tier_names = np.array(
        [
            city.policy.priority_label(v, False)
            for v in range(1, city.policy.priority.general_value + 1)
        ],
        dtype=object,
    )
    computed = ~market.choice_explicit
    labels[computed] = tier_names[market.choice_priority[computed] - 1]
    labels[~computed] = [f"explicit:{v}" for v in market.choice_priority[~computed].tolist()]
    return labels


def _optional_int(values: np.ndarray, present: np.ndarray) -> pd.Series:
    return pd.Series(pd.array(np.where(present, values, 0), dtype="Int64")).where(present, pd.NA)


def _placements(city, market, placed_pair, labels) -> pd.DataFrame:
    programs = city.programs
    is_placed = placed_pair != UNPLACED
    pair = np.where(is_placed, placed_pair, 0)
    program = market.choice_program[pair] if len(market.choice_program) else np.zeros_like(pair)
    blank = np.array("", dtype=object)
    choice_rank = placed_pair - market.choice_offsets[:-1] + 1
    if market.applicant_lottery is not None:
        number = pd.Series(market.applicant_lottery.astype(str), dtype=object)
        lottery_rank = pd.Series(market.applicant_lottery_rank, dtype="Int64")
    else:
        chosen = market.choice_lottery[pair] if len(pair) and len(market.choice_lottery) else pair
        number = pd.Series(np.where(is_placed, np.asarray(chosen).astype(str), blank), dtype=object)
        lottery_rank = _optional_int(
            market.choice_lottery_rank[pair] if len(market.choice_lottery_rank) else pair, is_placed
        )
    return pd.DataFrame(
        {
            "applicant_id": city.applicants.id,
            "grade": city.applicants.grade,
            "status": np.where(is_placed, PLACED, UNPLACED_STATUS),
            "program_id": np.where(is_placed, programs.id[program], blank),
            "school_id": np.where(is_placed, programs.school_id[program], blank),
            "choice_rank": _optional_int(choice_rank, is_placed),
            "priority": np.where(is_placed, labels[pair] if len(labels) else blank, blank),
            "lottery_number": number,
            "lottery_rank": lottery_rank,
        }
    )


def _waitlisted_pairs(market: Market, placed_pair: np.ndarray) -> np.ndarray:
    """Mask of pairs ranked above the applicant's placement (every pair, if unplaced)."""
    applicant = market.choice_applicant
    placed = placed_pair[applicant]
    pairs = np.arange(len(applicant), dtype=np.int64)
    return (placed == UNPLACED) | (pairs < placed)


def _waitlist_order(market: Market, on_waitlist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Waitlisted pairs in waitlists.csv order (program, then the program's order) and the
    1-based position of each on its program's waitlist."""
    pairs = np.flatnonzero(on_waitlist)
    program = market.choice_program[pairs]
    order = np.lexsort((market.choice_rank[pairs], program))
    pairs, program = pairs[order], program[order]
    starts = np.searchsorted(program, program, side="left")
    return pairs, np.arange(len(pairs), dtype=np.int64) - starts + 1


def _ids(codes: np.ndarray, ids: np.ndarray) -> pd.Categorical:
    """IDs looked up by index, stored as codes: millions of rows need no string objects."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(ids, dtype=object))


def _waitlists(city, market, pairs, position, labels) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "program_id": _ids(market.choice_program[pairs], city.programs.id),
            "position": position,
            "applicant_id": _ids(market.choice_applicant[pairs], city.applicants.id),
            "choice_rank": pairs - market.choice_offsets[market.choice_applicant[pairs]] + 1,
            "priority": labels[pairs],
            "lottery_rank": market.choice_lottery_rank[pairs],
        }
    )


def _cutoffs(market: Market, placed_pair: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per program: whether it has a cutoff (it is full), and the pair of its last admitted
    applicant (the one it orders lowest among those it holds; 0 where it has no cutoff)."""
    n = market.n_programs
    program = market.choice_program
    admitted_pairs = placed_pair[placed_pair != UNPLACED]
    placed = np.bincount(program[admitted_pairs], minlength=n)
    last_admitted = np.full(n, -1, dtype=np.int64)
    if len(admitted_pairs):
        order = np.lexsort((market.choice_rank[admitted_pairs], program[admitted_pairs]))
        ordered = admitted_pairs[order]
        is_last = np.r_[program[ordered][1:] != program[ordered][:-1], True]
        last_admitted[program[ordered][is_last]] = ordered[is_last]
    full = (placed >= market.capacity) & (market.capacity > 0) & (last_admitted >= 0)
    return full, np.where(full, last_admitted, 0)


def _summary(city, market, placed_pair, on_waitlist, labels, full, safe_last) -> pd.DataFrame:
    programs = city.programs
    n = market.n_programs
    program = market.choice_program
    first_choice = np.zeros(len(program), dtype=bool)
    first_choice[market.choice_offsets[:-1][np.diff(market.choice_offsets) > 0]] = True
    placed = np.bincount(program[placed_pair[placed_pair != UNPLACED]], minlength=n)
    blank = np.array("", dtype=object)
    return pd.DataFrame(
        {
            "program_id": programs.id,
            "school_id": programs.school_id,
            "school_name": programs.school_name,
            "sector": programs.sector,
            "grade": programs.grade,
            "seats": market.capacity,
            "applicants": np.bincount(program, minlength=n),
            "first_choice_applicants": np.bincount(program[first_choice], minlength=n),
            "placed": placed,
            "open_seats": market.capacity - placed,
            "waitlisted": np.bincount(program[on_waitlist], minlength=n),
            "cutoff_priority": np.where(full, labels[safe_last] if len(labels) else blank, blank),
            "cutoff_lottery_rank": _optional_int(
                market.choice_lottery_rank[safe_last] if len(labels) else safe_last, full
            ),
        }
    )


def _choice_results(
    city, market, placed_pair, waitlist_pairs, waitlist_position, labels, full, safe_last
) -> pd.DataFrame:
    """One row per ranked choice, in pair order, which is (applicant_id, rank) order."""
    n_pairs = len(market.choice_program)
    applicant = market.choice_applicant
    program = market.choice_program
    pairs = np.arange(n_pairs, dtype=np.int64)
    placed = placed_pair[applicant]
    position = np.zeros(n_pairs, dtype=np.int64)
    position[waitlist_pairs] = waitlist_position
    result = np.full(n_pairs, CHOICE_NOT_CONSIDERED, dtype=object)
    result[position > 0] = CHOICE_WAITLISTED
    result[pairs == placed] = CHOICE_PLACED
    has_cutoff = full[program]
    cutoff_pair = safe_last[program]
    blank = np.array("", dtype=object)
    return pd.DataFrame(
        {
            "applicant_id": _ids(applicant, city.applicants.id),
            "rank": pairs - market.choice_offsets[applicant] + 1,
            "program_id": _ids(program, city.programs.id),
            "result": result,
            "priority": labels,
            "waitlist_position": _optional_int(position, position > 0),
            "cutoff_priority": np.where(has_cutoff, labels[cutoff_pair], blank),
            "cutoff_lottery_rank": _optional_int(
                market.choice_lottery_rank[cutoff_pair], has_cutoff
            ),
        }
    )
