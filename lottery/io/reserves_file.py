"""reserves.csv (seats set aside for a category at a program): its name, columns and checks."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd

from lottery.city import Programs, Reserves
from lottery.errors import shown
from lottery.io.csv_tables import ProblemLog, Table
from lottery.io.input_cells import lookup_ids, require_filled
from lottery.policy import criterion_problem

RESERVES_FILE = "reserves.csv"
RESERVE_COLUMNS = (("program_id", "category"), ("seats", "share"))
MAX_RESERVE_CATEGORIES = 63  # one bit each in the matcher's int64 masks


def read_reserves(table: Table, programs: Programs, log: ProblemLog) -> Reserves:
    """The reserved seats (shares turned into seats), sorted by (program, category)."""
    program = lookup_ids(table, "program_id", programs.id, "program", log)
    require_filled(table, "program_id", log)
    category = require_filled(table, "category", log)
    for row, value in enumerate(category.tolist()):
        problem = criterion_problem(value) if value else None
        if problem:
            log.add(table.name, int(table.lines[row]), "category", problem)
    seats_text, share_text = table.column("seats"), table.column("share")
    both = (seats_text != "") & (share_text != "")
    neither = (seats_text == "") & (share_text == "")
    log.add_rows(table, both, "share", "give seats or share, not both")
    log.add_rows(table, neither, "seats", "give the number of reserved seats, or a share")
    known = program >= 0
    # Rows naming an unknown program (reported above) reserve nothing; indexing with a
    # placeholder would fail when programs.csv has no rows at all.
    capacity = np.zeros(len(table), dtype=np.int64)
    capacity[known] = programs.capacity[program[known]]
    seats = np.zeros(len(table), dtype=np.int64)
    for row in range(len(table)):
        if seats_text[row]:
            if re.fullmatch(r"[0-9]{1,9}", seats_text[row]):
                seats[row] = int(seats_text[row])
            else:
                log.add(
                    table.name,
                    int(table.lines[row]),
                    "seats",
                    f'"{shown(seats_text[row])}" is not a whole number of seats',
                )
        elif share_text[row]:
            share = _decimal(share_text[row])
            if share is None or not 0 <= share <= 1:
                log.add(
                    table.name,
                    int(table.lines[row]),
                    "share",
                    f'"{shown(share_text[row])}" is not a share from 0 to 1 (such as 0.25)',
                )
            else:
                # Exact decimal arithmetic: 0.3 of 10 seats is 3, never 2.9999...
                seats[row] = int(share * int(capacity[row]))  # int() rounds down here
    pairs = pd.DataFrame({"p": program, "c": category})
    repeated = known & pairs.duplicated(keep="first").to_numpy()
    log.add_rows(
        table,
        repeated,
        "category",
        lambda r: f'category "{shown(category[r])}" is already reserved here',
    )
    counted = known & ~repeated
    total = np.bincount(program[counted], weights=seats[counted], minlength=len(programs))
    # (a program with no reserve here is not over: a bad seats cell, reported already,
    # can leave its capacity below zero)
    reserving = np.bincount(program[counted], minlength=len(programs)) > 0
    for p in np.flatnonzero(reserving & (total > programs.capacity)).tolist():
        first_row = int(np.flatnonzero(program == p)[0])
        log.add(
            table.name,
            int(table.lines[first_row]),
            "seats",
            f'program "{programs.id[p]}" reserves {int(total[p])} seats in all but offers only '
            f"{programs.capacity[p]} in this run",
        )
    distinct = sorted(set(category[known & (category != "")].tolist()))
    if len(distinct) > MAX_RESERVE_CATEGORIES:
        log.add(
            table.name,
            None,
            "category",
            f"{len(distinct)} different categories are reserved; at most "
            f"{MAX_RESERVE_CATEGORIES} are supported",
        )
    keep = known & ~repeated
    order = np.lexsort((category[keep], program[keep]))
    return Reserves(
        program=program[keep][order],
        category=category[keep][order],
        seats=seats[keep][order],
        line=table.lines[keep][order],
    )


def _decimal(text: str) -> Decimal | None:
    """A plain decimal number such as 0.25, or None."""
    if not re.fullmatch(r"[0-9]*\.?[0-9]+", text):
        return None
    return Decimal(text)
