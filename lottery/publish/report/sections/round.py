"""The section of a later round's report (``lottery round``): what moved in the round and
the offers the office must make, from moves.csv and offers.csv (docs/rounds.md).

The office version lists the applicant IDs of each program's offers; the public version
only counts, with the same small-count suppression as the rest of the public report.
"""

from __future__ import annotations

import pandas as pd

from lottery.io.outputs import (
    DECLINED,
    IMPROVED,
    MOVES,
    NEW_PLACEMENT,
    OFFERS,
    TRANSFER,
    WITHDRAWN,
)
from lottery.io.results_folder import ResultsFolder
from lottery.publish.report.page import Cell, Paragraph, Section, Table
from lottery.publish.report.suppression import Formatter, hidden_parts

MOVE_LABELS = (
    (IMPROVED, "Improved: moved to a program they ranked higher"),
    (NEW_PLACEMENT, "New placement: had no seat before"),
    (TRANSFER, "Transfer: moved at their request"),
    (DECLINED, "Declined their seat"),
    (WITHDRAWN, "Withdrew from the process"),
)
"""The reasons of moves.csv, in the order the report shows them, with their labels."""


def round_moves(results: ResultsFolder, fmt: Formatter) -> Section | None:
    """Moves by reason and offers per program, for a later round's folder (else None)."""
    record = results.manifest.round
    if record is None:
        return None
    moves = _table(results, MOVES)
    offers = _table(results, OFFERS)
    number = record.number
    section = Section("round", f"Round {number}: moves and offers" if number else "This round")
    section.blocks.append(
        Paragraph(
            f"This is round {number or ''} of the lottery, run again from the round before with "
            "the families' answers and the office's changes. Everybody who held a seat and "
            "stayed kept it or moved to a program they ranked higher. The offers below are the "
            "seats the office must offer in this round; the rest of this report describes the "
            "placements after the round."
        )
    )
    counts = moves["reason"].value_counts() if len(moves) else pd.Series(dtype=int)
    parts = [int(counts.get(reason, 0)) for reason, _ in MOVE_LABELS]
    hidden = hidden_parts(parts, fmt)
    rows = [
        [Cell(label), fmt.n(n, hide)]
        for (_, label), n, hide in zip(MOVE_LABELS, parts, hidden, strict=True)
    ]
    rows.append([Cell("All moves"), fmt.n(len(moves), hidden=fmt.hides(len(moves)))])
    section.blocks.append(
        Table([[("Moves in this round (moves.csv)", 1), ("Applicants", 1)]], rows)
    )
    by_program: dict[str, list[str]] = {}
    for offer in offers.itertuples(index=False):
        by_program.setdefault(offer.program_id, []).append(offer.applicant_id)
    if not by_program:
        section.blocks.append(Paragraph("There are no offers to make in this round."))
        return section
    header = [("Program", 1), ("Offers to make", 1)]
    if not fmt.public:
        header.append(("Applicants (offers.csv, in offer order)", 1))
    offer_rows = []
    programs = sorted(by_program.items())
    hidden = hidden_parts([len(applicants) for _, applicants in programs], fmt)
    for (program, applicants), hide in zip(programs, hidden, strict=True):
        row = [Cell(program, "id"), fmt.n(len(applicants), hide)]
        if not fmt.public:
            row.append(Cell(", ".join(applicants), "id"))
        offer_rows.append(row)
    offer_rows.append(
        [Cell("All programs"), fmt.n(len(offers))] + ([Cell("")] if not fmt.public else [])
    )
    section.blocks.append(Table([header], offer_rows))
    return section


def _table(results: ResultsFolder, name: str) -> pd.DataFrame:
    """moves.csv or offers.csv of the round (checked with the others by read_results_folder)."""
    return pd.read_csv(results.folder / name, dtype=str, keep_default_na=False, encoding="utf-8")
