"""Wide lists of choices: one row per applicant, a column per choice.

Application portals export choices as ``applicant_id, choice_1, choice_2, ...``; the
lottery reads ``choices.csv`` as one row per choice (``applicant_id, rank, program_id``).
A wide file is turned into exactly the rows the long file would have, so every check and
every stage after reading sees no difference, while each row remembers the file line and
the choice column its program came from, so that a problem points at ``choice_3`` on the
right line.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from lottery.io.csv_tables import ProblemLog

LONG_COLUMNS = ("rank", "program_id")
"""The columns of the long form that a wide file's choice columns stand for."""

CHOICE_HEADER = re.compile(r"choice[ _-]?0*([1-9][0-9]{0,2})")
"""A choice column as portals name it: choice_1, Choice 1, choice1, CHOICE-1 (the header
is matched lower case and stripped)."""


def choice_number(column: str) -> int | None:
    """The rank a header name (lower case, stripped) stands for, or None if it is not a
    choice column."""
    match = CHOICE_HEADER.fullmatch(column)
    return int(match.group(1)) if match else None


def lengthen(
    name: str,
    frame: pd.DataFrame,
    lines: np.ndarray,
    choice_columns: list[str],
    log: ProblemLog,
) -> tuple[pd.DataFrame, np.ndarray, dict[str, np.ndarray]]:
    """The long form of a wide table: one row per filled choice cell.

    ``frame`` holds the file's other columns and the choice columns named as in the file,
    ``choice_columns`` those names in rank order (choice_1 first). Blank cells at the end
    of a row are fewer choices; a blank cell before a filled one is a problem at that
    cell. Returns the long frame (its other columns repeated on every row of the file
    line), each row's file line, and for ``rank`` and ``program_id`` each row's choice
    column as written in the file.
    """
    cells = frame[choice_columns].to_numpy(dtype=object)
    filled = cells != ""
    _check_no_blank_before_a_choice(name, filled, lines, choice_columns, log)
    # A blank between two choices is already a problem; counting only the filled cells
    # keeps the ranks free of gaps, so it is not reported a second time as a rank gap.
    rank = np.cumsum(filled, axis=1)[filled]
    row, position = np.nonzero(filled)  # row by row, each in choice order
    long = {
        column: frame[column].to_numpy(dtype=object)[row]
        for column in frame.columns
        if column not in choice_columns
    }
    long["rank"] = rank.astype(str).astype(object)
    long["program_id"] = cells[filled]
    where = np.asarray(choice_columns, dtype=object)[position]
    cell_columns = {"rank": where, "program_id": where}
    return pd.DataFrame(long), lines[row], cell_columns


def _check_no_blank_before_a_choice(name, filled, lines, choice_columns, log) -> None:
    if not filled.any():
        return
    count = filled.shape[1]
    # Position of each row's last filled choice (-1 when the row has none).
    last = np.where(filled.any(axis=1), count - 1 - np.argmax(filled[:, ::-1], axis=1), -1)
    gaps = ~filled & (np.arange(count)[None, :] < last[:, None])
    for position in np.flatnonzero(gaps.any(axis=0)).tolist():
        rows = np.flatnonzero(gaps[:, position])
        later = np.argmax(filled[rows, position:], axis=1) + position  # the next filled
        log.add_each(
            name,
            lines[rows],
            choice_columns[position],
            lambda i, later=later: (
                f"this choice is blank but {choice_columns[later[i]]} after it is not; "
                "choices must run 1, 2, 3, ... without gaps"
            ),
        )
