"""What the match means for each applicant and program: the tables the writers print.

Every number in the outputs is computed here, once; the writers only format. A run's
tables come from :func:`build_results`; a later round adds moves.csv and offers.csv
(:func:`build_round_results`). Row order is part of the contract (documented in
docs/outputs.md): placements by ``applicant_id``; waitlists by ``program_id`` then
position; the summary by ``program_id``; per-choice results by ``applicant_id`` then
rank; moves by ``applicant_id``; offers by ``program_id`` then the program's order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lottery.city import CityInput
from lottery.io.changes import DECLINE, TRANSFER_REQUEST, WITHDRAW, Changes
from lottery.io.csv_tables import spreadsheet_safe
from lottery.io.outputs import (
    ADMINISTRATIVE,
    CHOICE_INELIGIBLE,
    CHOICE_NOT_CONSIDERED,
    CHOICE_PLACED,
    CHOICE_RESULTS,
    CHOICE_WAITLISTED,
    COLUMNS,
    DECLINED,
    HOLDS_A_SEAT,
    IMPROVED,
    MOVES,
    NEW_PLACEMENT,
    OFFERS,
    OPEN_SEAT,
    PLACED,
    PLACEMENTS,
    REASONS,
    RESERVE_REPORT,
    SUMMARY,
    TRANSFER,
    WAITLISTS,
    WITHDRAWN,
)
from lottery.io.outputs import GUARANTEED as GUARANTEED_STATUS
from lottery.io.outputs import UNPLACED as UNPLACED_STATUS
from lottery.market import Market
from lottery.matching import UNPLACED
from lottery.seat_policy import (
    OPEN_LABEL,
    Administrative,
    FamilyOutcome,
    Seats,
    administrative_order,
)


@dataclass(frozen=True, eq=False)
class Results:
    """The outcome of one run, as output tables plus headline counts."""

    placements: pd.DataFrame
    waitlists: pd.DataFrame
    programs_summary: pd.DataFrame
    choice_results: pd.DataFrame
    reserve_report: pd.DataFrame
    counts: dict[str, int]
    families: FamilyOutcome
    administrative_unserved: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class MatchOutcome:
    """Everything the engine decided, before it is turned into tables.

    ``placed_pair``: the match (a pair per applicant or -1); ``seats``: which seat each
    holds; ``administrative``: the
    zone guarantee's programs; ``placed_without_reserves``: the same match with every
    reserve removed (for reserve_report.csv), or None when there are no reserves.
    """

    placed_pair: np.ndarray
    seats: Seats
    administrative: Administrative
    families: FamilyOutcome
    placed_without_reserves: np.ndarray | None


def build_results(city: CityInput, market: Market, outcome: MatchOutcome) -> Results:
    """Turn the engine's decisions into output tables and headline counts."""
    placed_pair = outcome.placed_pair
    admin_program = outcome.administrative.program
    holding = _holding_pairs(market, placed_pair, admin_program)
    labels = _priority_labels(city, market)
    seats = outcome.seats.category
    placements = _placements(city, market, placed_pair, admin_program, holding, labels, seats)
    on_waitlist = _waitlisted_pairs(market, holding)
    waitlist_pairs, waitlist_position = _waitlist_order(market, on_waitlist)
    waitlists = _waitlists(city, market, waitlist_pairs, waitlist_position, labels)
    full, last_admitted = _cutoffs(market, placed_pair, seats)
    program_of = _program_of(market, placed_pair, admin_program)
    summary = _summary(
        city, market, program_of, admin_program, on_waitlist, labels, full, last_admitted, seats
    )
    choice_results = _choice_results(
        city, market, holding, waitlist_pairs, waitlist_position, labels, full, last_admitted
    )
    reserve_report = _reserve_report(city, market, outcome, seats)
    status = placements["status"]
    ranked = market.choice_ranked
    has_choices = np.bincount(market.choice_applicant[ranked], minlength=market.n_applicants) > 0
    n_placed = int((program_of >= 0).sum())
    unserved = city.applicants.id[outcome.administrative.unserved]
    counts = {
        "applicants": market.n_applicants,
        "programs": market.n_programs,
        "choices": int(ranked.sum()),
        "seats": int(city.programs.seats.sum()),
        "held_seats": int(city.programs.held_seats.sum()),
        "offered_seats": int(market.capacity.sum()),
        "placed": n_placed,
        "placed_by_guarantee": int((status == GUARANTEED_STATUS).sum()),
        "administrative": int((status == ADMINISTRATIVE).sum()),
        "administrative_unserved": len(unserved),
        "unplaced": market.n_applicants - n_placed,
        "applicants_without_choices": int((~has_choices).sum()),
        "placed_first_choice": int(
            (
                (placed_pair[placed_pair >= 0] == market.choice_offsets[:-1][placed_pair >= 0])
                & market.choice_ranked[placed_pair[placed_pair >= 0]]
            ).sum()
        ),
        "ineligible_choices": int((ranked & ~market.choice_eligible).sum()),
        "waitlist_entries": len(waitlists),
    }
    return Results(
        placements,
        waitlists,
        summary,
        choice_results,
        reserve_report,
        counts,
        outcome.families,
        tuple(unserved.tolist()),
    )


def _holding_pairs(market: Market, placed_pair: np.ndarray, admin_program: np.ndarray):
    """Per applicant: the pair through which they hold a seat, or -1. An administrative
    seat counts through the applicant's choice of that program, if they ranked it."""
    holding = placed_pair.copy()
    for a in np.flatnonzero(admin_program >= 0).tolist():
        start, end = market.choice_offsets[a], market.choice_offsets[a + 1]
        mine = np.flatnonzero(market.choice_program[start:end] == admin_program[a])
        if len(mine):
            holding[a] = start + mine[0]
    return holding


def _program_at(market: Market, placed_pair: np.ndarray) -> np.ndarray:
    """Program of each pair index, -1 for -1 (``UNPLACED``)."""
    return np.append(market.choice_program, UNPLACED)[placed_pair]


def _program_of(market: Market, placed_pair: np.ndarray, admin_program: np.ndarray):
    """Per applicant: the program they hold a seat at (match or zone guarantee), or -1."""
    return np.where(admin_program >= 0, admin_program, _program_at(market, placed_pair))


def _priority_labels(city: CityInput, market: Market) -> pd.Categorical:
    """Priority name of every pair: tier name, ``general`` or ``explicit:N`` (as codes:
    millions of pairs share a dozen names)."""
    names = [
        city.policy.priority_label(v, False)
        for v in range(0, city.policy.priority.general_value + 1)
    ]
    codes = market.choice_priority.astype(np.int64)
    explicit = market.choice_explicit
    if explicit.any():
        values, index = np.unique(market.choice_priority[explicit], return_inverse=True)
        codes[explicit] = len(names) + index
        names += [f"explicit:{v}" for v in values.tolist()]
    # Names are unique but for a tier an office named like another label: merge those.
    merged, categories = pd.factorize(np.array(names, dtype=object))
    return pd.Categorical.from_codes(merged[codes], categories=pd.Index(categories, dtype=object))


def _optional_int(values: np.ndarray, present: np.ndarray) -> pd.Series:
    numbers = np.where(present, values, 0).astype(np.int64)
    return pd.Series(pd.arrays.IntegerArray(numbers, ~np.asarray(present, dtype=bool)))


def _output_table(name: str, columns: dict) -> pd.DataFrame:
    """The table ``name`` from its columns, which must be the contract's, in its order."""
    if tuple(columns) != COLUMNS[name]:
        raise AssertionError(f"{name}: columns {list(columns)}, not {list(COLUMNS[name])}")
    return pd.DataFrame(columns)


def _placements(city, market, placed_pair, admin_program, holding, labels, seats):
    programs = city.programs
    program = _program_of(market, placed_pair, admin_program)
    has_seat = program >= 0
    through_pair = holding >= 0
    pair = np.where(through_pair, holding, 0)
    ranked = market.choice_ranked[pair] if len(pair) and len(market.choice_ranked) else through_pair
    status = np.where(has_seat, PLACED, UNPLACED_STATUS).astype(object)
    status[(placed_pair != UNPLACED) & ~ranked] = GUARANTEED_STATUS
    status[admin_program >= 0] = ADMINISTRATIVE
    shows_choice = through_pair & ranked
    blank = np.array("", dtype=object)
    program = np.maximum(program, 0)
    choice_rank = holding - market.choice_offsets[:-1] + 1
    family = market.applicant_family_lottery
    if market.applicant_lottery is not None:
        number = pd.Series(market.applicant_lottery.astype(str), dtype=object)
        family_number = np.where(market.linked, family.astype(str), blank)
        lottery_rank = pd.Series(market.applicant_lottery_rank, dtype="Int64")
    else:
        chosen = market.choice_lottery[pair] if len(pair) and len(market.choice_lottery) else pair
        chosen_family = (
            market.choice_family_lottery[pair] if len(pair) and len(market.choice_lottery) else pair
        )
        number = pd.Series(
            np.where(through_pair, np.asarray(chosen).astype(str), blank), dtype=object
        )
        family_number = np.where(
            through_pair & market.linked, np.asarray(chosen_family).astype(str), blank
        )
        lottery_rank = _optional_int(
            market.choice_lottery_rank[pair] if len(market.choice_lottery_rank) else pair,
            through_pair,
        )
    return _output_table(
        PLACEMENTS,
        {
            "applicant_id": city.applicants.id,
            "grade": city.applicants.grade,
            "status": status,
            "program_id": np.where(has_seat, programs.id[program], blank),
            "school_id": np.where(has_seat, programs.school_id[program], blank),
            "choice_rank": _optional_int(choice_rank, shows_choice),
            "priority": np.where(
                through_pair & (admin_program < 0),
                np.asarray(labels[pair], dtype=object) if len(labels) else blank,
                blank,
            ),
            "seat": np.where(admin_program >= 0, OPEN_SEAT, seats),
            "lottery_number": number,
            "family_lottery_number": family_number,
            "lottery_rank": lottery_rank,
        },
    )


def _waitlisted_pairs(market: Market, holding: np.ndarray) -> np.ndarray:
    """Mask of ranked pairs the applicant may be considered at, ranked above the seat
    they hold (every such pair, if they hold none)."""
    applicant = market.choice_applicant
    held = holding[applicant]
    pairs = np.arange(len(applicant), dtype=np.int64)
    return ((held == UNPLACED) | (pairs < held)) & market.choice_ranked & market.choice_eligible


def _waitlist_order(market: Market, on_waitlist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Waitlisted pairs in waitlists.csv order (program, then the program's order) and the
    1-based position of each on its program's waitlist."""
    pairs = np.flatnonzero(on_waitlist)
    program = market.choice_program[pairs]
    # One int64 key (program, then position in its order) sorts faster than two.
    span = int(market.choice_rank.max()) + 1 if len(market.choice_rank) else 1
    order = np.argsort(program.astype(np.int64) * span + market.choice_rank[pairs], kind="stable")
    pairs, program = pairs[order], program[order]
    starts = np.searchsorted(program, program, side="left")
    return pairs, np.arange(len(pairs), dtype=np.int64) - starts + 1


def _ids(codes: np.ndarray, ids: np.ndarray) -> pd.Categorical:
    """IDs looked up by index, stored as codes: millions of rows need no string objects."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(ids, dtype=object))


def _waitlists(city, market, pairs, position, labels) -> pd.DataFrame:
    return _output_table(
        WAITLISTS,
        {
            "program_id": _ids(market.choice_program[pairs], city.programs.id),
            "position": position,
            "applicant_id": _ids(market.choice_applicant[pairs], city.applicants.id),
            "choice_rank": pairs - market.choice_offsets[market.choice_applicant[pairs]] + 1,
            "priority": labels[pairs],
            "lottery_rank": market.choice_lottery_rank[pairs],
        },
    )


def _cutoffs(
    market: Market, placed_pair: np.ndarray, seats: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per program: whether it has a cutoff (the match filled it), and the pair of its last
    admitted applicant (the one it orders lowest among those it holds; 0 where it has no
    cutoff). Seats given by the zone guarantee after the match do not make a cutoff.

    At a program with reserves the cutoff is that of its open seats: the lowest-ordered
    applicant holding an open seat. Anyone the program orders above it would have been
    admitted; members of a reserved category may be admitted below it.
    """
    n = market.n_programs
    program = market.choice_program
    admitted = placed_pair != UNPLACED
    admitted_pairs = placed_pair[admitted]
    placed = np.bincount(program[admitted_pairs], minlength=n)
    has_slots = (
        np.diff(market.slots.run_offsets) > 0
        if market.slots is not None
        else np.zeros(n, dtype=bool)
    )
    open_seat = seats[admitted] == OPEN_LABEL
    counted = admitted_pairs[~has_slots[program[admitted_pairs]] | open_seat]
    last_admitted = np.full(n, -1, dtype=np.int64)
    if len(counted):
        order = np.lexsort((market.choice_rank[counted], program[counted]))
        ordered = counted[order]
        is_last = np.r_[program[ordered][1:] != program[ordered][:-1], True]
        last_admitted[program[ordered][is_last]] = ordered[is_last]
    full = (placed >= market.capacity) & (market.capacity > 0) & (last_admitted >= 0)
    return full, np.where(full, last_admitted, 0)


def _summary(
    city, market, program_of, admin_program, on_waitlist, labels, full, safe_last, seats
) -> pd.DataFrame:
    programs = city.programs
    n = market.n_programs
    ranked = market.choice_ranked
    program = market.choice_program
    first_choice = np.zeros(len(program), dtype=bool)
    first_choice[market.choice_offsets[:-1][np.diff(market.choice_offsets) > 0]] = True
    placed = np.bincount(program_of[program_of >= 0], minlength=n)
    reserved, filled = _reserve_counts(city, program_of, seats)
    blank = np.array("", dtype=object)
    return _output_table(
        SUMMARY,
        {
            "program_id": programs.id,
            "school_id": programs.school_id,
            # Free text from programs.csv, kept from running as a spreadsheet formula.
            "school_name": [spreadsheet_safe(name) for name in programs.school_name],
            "sector": [spreadsheet_safe(sector) for sector in programs.sector],
            "grade": programs.grade,
            "seats": programs.seats,
            "held_seats": programs.held_seats,
            "offered_seats": market.capacity,
            "applicants": np.bincount(program[ranked], minlength=n),
            "first_choice_applicants": np.bincount(program[first_choice & ranked], minlength=n),
            "placed": placed,
            "administrative": np.bincount(admin_program[admin_program >= 0], minlength=n),
            "open_seats": market.capacity - placed,
            "waitlisted": np.bincount(program[on_waitlist], minlength=n),
            "reserved_seats": reserved.sum(axis=1),
            "reserved_filled": filled.sum(axis=1),
            "cutoff_priority": np.where(
                full, np.asarray(labels[safe_last], dtype=object) if len(labels) else blank, blank
            ),
            "cutoff_lottery_rank": _optional_int(
                market.choice_lottery_rank[safe_last] if len(labels) else safe_last, full
            ),
        },
    )


def _reserve_counts(city, program_of, seats) -> tuple[np.ndarray, np.ndarray]:
    """Per program and reserve category (reserves.csv order): seats reserved, and seats
    filled by members of the category."""
    reserves = city.reserves
    categories = sorted(set(reserves.category.tolist())) if reserves is not None else []
    n = len(city.programs)
    reserved = np.zeros((n, len(categories)), dtype=np.int64)
    filled = np.zeros((n, len(categories)), dtype=np.int64)
    for c, category in enumerate(categories):
        mine = reserves.category == category
        reserved[reserves.program[mine], c] = reserves.seats[mine]
        took = (seats == category) & (program_of >= 0)
        filled[:, c] = np.bincount(program_of[took], minlength=n)
    return reserved, filled


def _reserve_report(city, market, outcome: MatchOutcome, seats) -> pd.DataFrame:
    """Per program and reserved category: what the reserve did, against the same match
    run with no reserves at all."""
    columns = list(COLUMNS[RESERVE_REPORT])
    reserves = city.reserves
    if reserves is None or not len(reserves) or outcome.placed_without_reserves is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    with_pair, without_pair = outcome.placed_pair, outcome.placed_without_reserves
    program = market.choice_program
    n = market.n_programs
    with_program = _program_at(market, with_pair)
    without_program = _program_at(market, without_pair)
    moved = with_program != without_program
    only_with = np.bincount(with_program[(with_program >= 0) & moved], minlength=n)
    only_without = np.bincount(without_program[(without_program >= 0) & moved], minlength=n)
    reserved, filled = _reserve_counts(city, with_program, seats)
    categories = sorted(set(reserves.category.tolist()))
    considered = market.choice_ranked & market.choice_eligible
    pairs = np.arange(len(program))
    admitted_with = pairs == with_pair[market.choice_applicant]
    admitted_without = pairs == without_pair[market.choice_applicant]
    # Per category, counts per program: an applicant ranks a program at most once, so
    # counting pairs counts applicants.
    per_category = {}
    for category in categories:
        member = considered & ((market.choice_member >> market.categories.index(category)) & 1 == 1)
        per_category[category] = (
            np.bincount(program[member], minlength=n),
            np.bincount(program[member & admitted_with], minlength=n),
            np.bincount(program[member & admitted_without], minlength=n),
        )
    rows = []
    for i in range(len(reserves)):
        p, category = int(reserves.program[i]), reserves.category[i]
        c = categories.index(category)
        applied, admitted, admitted_no_reserves = per_category[category]
        rows.append(
            {
                "program_id": city.programs.id[p],
                "school_id": city.programs.school_id[p],
                "category": category,
                "reserved_seats": int(reserved[p, c]),
                "filled_by_category": int(filled[p, c]),
                "category_applicants": int(applied[p]),
                "category_admitted": int(admitted[p]),
                "category_admitted_without_reserves": int(admitted_no_reserves[p]),
                "admitted_only_with_reserves": int(only_with[p]),
                "admitted_only_without_reserves": int(only_without[p]),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _choice_results(
    city, market, holding, waitlist_pairs, waitlist_position, labels, full, safe_last
) -> pd.DataFrame:
    """One row per ranked choice, in pair order, which is (applicant_id, rank) order."""
    n_pairs = len(market.choice_program)
    applicant = market.choice_applicant
    program = market.choice_program
    pairs = np.arange(n_pairs, dtype=np.int64)
    held = holding[applicant]
    position = np.zeros(n_pairs, dtype=np.int64)
    position[waitlist_pairs] = waitlist_position
    outcomes = [CHOICE_NOT_CONSIDERED, CHOICE_WAITLISTED, CHOICE_INELIGIBLE, CHOICE_PLACED]
    result_code = np.zeros(n_pairs, dtype=np.int8)
    result_code[position > 0] = 1
    result_code[~market.choice_eligible] = 2
    result_code[pairs == held] = 3
    result = pd.Categorical.from_codes(result_code, categories=outcomes)
    has_cutoff = full[program]
    cutoff_pair = safe_last[program]
    names = list(labels.categories)
    if "" not in names:
        names.append("")  # the cell of a program without a cutoff
    cutoff_codes = np.where(has_cutoff, labels.codes[cutoff_pair], names.index(""))
    cutoff_priority = pd.Categorical.from_codes(
        cutoff_codes, categories=pd.Index(names, dtype=object)
    )
    cutoff_rank = market.choice_lottery_rank[cutoff_pair]
    ranked = market.choice_ranked
    if not ranked.all():
        pairs, applicant, program, result, position = (
            pairs[ranked],
            applicant[ranked],
            program[ranked],
            result[ranked],
            position[ranked],
        )
        labels, has_cutoff = labels[ranked], has_cutoff[ranked]
        cutoff_priority, cutoff_rank = cutoff_priority[ranked], cutoff_rank[ranked]
    return _output_table(
        CHOICE_RESULTS,
        {
            "applicant_id": _ids(applicant, city.applicants.id),
            "rank": pairs - market.choice_offsets[applicant] + 1,
            "program_id": _ids(program, city.programs.id),
            "result": result,
            "priority": labels,
            "waitlist_position": _optional_int(position, position > 0),
            "cutoff_priority": cutoff_priority,
            "cutoff_lottery_rank": _optional_int(cutoff_rank, has_cutoff),
        },
    )


# ----------------------------------------------------------------------------- later rounds


@dataclass(frozen=True, eq=False)
class RoundResults:
    """What a later round adds to a run's tables: moves.csv, offers.csv and the rows of
    moves.csv counted by reason (every reason, 0 included)."""

    moves: pd.DataFrame
    offers: pd.DataFrame
    move_counts: dict[str, int]


def build_round_results(
    previous: CityInput,
    held: np.ndarray,
    changes: Changes,
    city: CityInput,
    market: Market,
    placements: pd.DataFrame,
) -> RoundResults:
    """Compare a round's ``placements`` with the seats ``held`` after the round before.

    ``previous`` is the input of the round before and ``held`` the index of the program
    where each of its applicants held a seat (-1 for none); ``city`` and ``market`` are
    this round's.
    """
    moves = _moves(previous, held, changes, placements)
    offers = _offers(city, market, moves)
    counts = {reason: int((moves["reason"] == reason).sum()) for reason in REASONS}
    return RoundResults(moves, offers, counts)


def _moves(
    previous: CityInput, held: np.ndarray, changes: Changes, placements: pd.DataFrame
) -> pd.DataFrame:
    """One row per applicant whose seat changed in this round, by ``applicant_id``."""
    before = pd.Series(
        np.where(held >= 0, previous.programs.id[np.maximum(held, 0)], ""),
        index=previous.applicants.id,
        dtype=object,
    )
    now = placements.set_index("applicant_id")
    after = pd.Series(
        np.where(
            now["status"].isin(HOLDS_A_SEAT),
            now["program_id"].to_numpy(dtype=object),
            "",
        ),
        index=now.index,
        dtype=object,
    )
    ids = before.index.union(after.index).sort_values()  # by character code
    before = before.reindex(ids, fill_value="")
    after = after.reindex(ids, fill_value="")
    changed = (before != after).to_numpy()
    rows = []
    for applicant_id, old, new in zip(
        ids[changed].tolist(),
        before[changed].tolist(),
        after[changed].tolist(),
        strict=True,
    ):
        event = changes.event.get(applicant_id)
        if event == WITHDRAW:
            reason = WITHDRAWN
        elif event == DECLINE:
            reason = DECLINED
        elif not old:
            reason = NEW_PLACEMENT
        elif not new:
            raise AssertionError(f"applicant {applicant_id} lost a seat without giving it up")
        elif event == TRANSFER_REQUEST and new in changes.transfers.get(applicant_id, ()):
            reason = TRANSFER
        else:
            reason = IMPROVED
        rows.append((applicant_id, old, new, reason))
    return pd.DataFrame(rows, columns=list(COLUMNS[MOVES]), dtype=object)


def _offers(city: CityInput, market: Market, moves: pd.DataFrame) -> pd.DataFrame:
    """One row per seat newly offered in this round, by program then the program's order."""
    offered = moves[moves["to_program_id"] != ""]
    applicant = pd.Index(city.applicants.id).get_indexer(offered["applicant_id"])
    program = pd.Index(city.programs.id).get_indexer(offered["to_program_id"])
    pairs = pd.DataFrame(
        {
            "a": market.choice_applicant,
            "p": market.choice_program,
            "position": market.choice_rank,
        }
    )
    wanted = pd.DataFrame({"a": applicant, "p": program})
    found = wanted.merge(pairs, on=["a", "p"], how="left")["position"].to_numpy()
    # A seat given by the zone guarantee at a program the applicant did not rank comes
    # after the match's, in the zone guarantee's lottery order.
    by_match = ~np.isnan(found.astype(np.float64))
    lottery = administrative_order(city, market)[applicant] if len(applicant) else applicant
    key = np.where(by_match, found.astype(np.float64), np.inf)
    order = np.lexsort((lottery, key, program))
    program_sorted = program[order]
    starts = np.searchsorted(program_sorted, program_sorted, side="left")
    return _output_table(
        OFFERS,
        {
            "applicant_id": offered["applicant_id"].to_numpy(dtype=object)[order],
            "program_id": city.programs.id[program_sorted],
            "school_id": city.programs.school_id[program_sorted],
            "offer_order": np.arange(len(order), dtype=np.int64) - starts + 1,
            "respond_by": spreadsheet_safe(city.policy.rounds.respond_by),
        },
    )
