"""What the match means for each applicant and program: the tables the writers print.

Every number in the outputs is computed here, once; the writers only format.
Row order is part of the contract (documented in docs/outputs.md):
placements by ``applicant_id``; waitlists by ``program_id`` then position; the
summary by ``program_id``.
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


@dataclass(frozen=True, eq=False)
class Results:
    """The outcome of one run, as output tables plus headline counts."""

    placements: pd.DataFrame
    waitlists: pd.DataFrame
    programs_summary: pd.DataFrame
    counts: dict[str, int]


def build_results(city: CityInput, market: Market, placed_pair: np.ndarray) -> Results:
    """Turn the matcher's answer (a pair index per applicant, or -1) into output tables."""
    labels = _priority_labels(city, market)
    placements = _placements(city, market, placed_pair, labels)
    on_waitlist = _waitlisted_pairs(market, placed_pair)
    waitlists = _waitlists(city, market, on_waitlist, labels)
    summary = _summary(city, market, placed_pair, on_waitlist, labels)
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
    return Results(placements, waitlists, summary, counts)


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


def _waitlists(city, market, on_waitlist, labels) -> pd.DataFrame:
    pairs = np.flatnonzero(on_waitlist)
    program = market.choice_program[pairs]
    order = np.lexsort((market.choice_rank[pairs], program))
    pairs, program = pairs[order], program[order]
    starts = np.searchsorted(program, program, side="left")
    position = np.arange(len(pairs), dtype=np.int64) - starts + 1
    return pd.DataFrame(
        {
            "program_id": city.programs.id[program],
            "position": position,
            "applicant_id": city.applicants.id[market.choice_applicant[pairs]],
            "choice_rank": pairs - market.choice_offsets[market.choice_applicant[pairs]] + 1,
            "priority": labels[pairs],
            "lottery_rank": market.choice_lottery_rank[pairs],
        }
    )


def _summary(city, market, placed_pair, on_waitlist, labels) -> pd.DataFrame:
    programs = city.programs
    n = market.n_programs
    program = market.choice_program
    first_choice = np.zeros(len(program), dtype=bool)
    first_choice[market.choice_offsets[:-1][np.diff(market.choice_offsets) > 0]] = True
    admitted_pairs = placed_pair[placed_pair != UNPLACED]
    placed = np.bincount(program[admitted_pairs], minlength=n)
    # The last admitted applicant is the one the program ranks lowest among those it holds.
    last_admitted = np.full(n, -1, dtype=np.int64)
    if len(admitted_pairs):
        order = np.lexsort((market.choice_rank[admitted_pairs], program[admitted_pairs]))
        ordered = admitted_pairs[order]
        is_last = np.r_[program[ordered][1:] != program[ordered][:-1], True]
        last_admitted[program[ordered][is_last]] = ordered[is_last]
    full = (placed >= market.capacity) & (market.capacity > 0) & (last_admitted >= 0)
    safe_last = np.where(full, last_admitted, 0)
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
