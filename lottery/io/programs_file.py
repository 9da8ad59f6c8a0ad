"""programs.csv: its name, its columns and the checks of its cells."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lottery.city import Programs
from lottery.io.csv_tables import ProblemLog, Table
from lottery.io.input_cells import (
    CODE,
    check_pattern,
    check_unique,
    read_coordinates,
    read_grades,
    read_integers,
    read_lists,
    read_optional_count,
    require_filled,
    sort_by_id,
)
from lottery.policy import TAG

PROGRAMS_FILE = "programs.csv"
PROGRAM_COLUMNS = (
    ("program_id", "school_id", "school_name", "sector", "grade", "seats"),
    (
        "zones",
        "held_seats",
        "offer_target",
        "requires_tags",
        "administrative_zones",
        "latitude",
        "longitude",
    ),
)


def read_programs(table: Table, log: ProblemLog) -> Programs:
    """The programs, sorted by ID."""
    if not len(table):
        log.add(table.name, None, None, "the file has a header row but no programs")
    ids = check_pattern(table, "program_id", CODE, "program ID", log)
    check_unique(table, ids, "program_id", "program_id", log)
    schools = check_pattern(table, "school_id", CODE, "school ID", log)
    names = require_filled(table, "school_name", log)
    sectors = require_filled(table, "sector", log)
    grades = read_grades(table, log)
    seats = read_integers(table, "seats", log, 0, "a whole number of seats (0 or more)")
    zones = read_lists(table, "zones", CODE, "zone code", log)
    held = read_optional_count(table, "held_seats", log, np.zeros(len(table), dtype=np.int64))
    target = read_optional_count(table, "offer_target", log, seats)
    log.add_rows(
        table,
        held > seats,
        "held_seats",
        lambda r: f"{held[r]} held seats is more than the program's {seats[r]} seats",
    )
    log.add_rows(
        table,
        target < seats,
        "offer_target",
        lambda r: (
            f"offer_target {target[r]} is below the program's {seats[r]} seats "
            "(to offer fewer seats in this run, use held_seats)"
        ),
    )
    latitude, longitude = read_coordinates(table, log)
    _warn_inconsistent_schools(schools, names, sectors, log)
    columns, lines = sort_by_id(
        {
            "id": ids,
            "school_id": schools,
            "school_name": names,
            "sector": sectors,
            "grade": grades,
            "seats": seats,
            "zones": zones,
            "held_seats": held,
            "offer_target": target,
            "requires_tags": read_lists(table, "requires_tags", TAG, "tag", log),
            "administrative_zones": read_lists(
                table, "administrative_zones", CODE, "zone code", log
            ),
            "latitude": latitude,
            "longitude": longitude,
        },
        "id",
        table.lines,
    )
    return Programs(**columns, line=lines)


def _warn_inconsistent_schools(schools, names, sectors, log: ProblemLog) -> None:
    """Programs of one school should agree on the school's name and sector."""
    frame = pd.DataFrame({"school": schools, "name": names, "sector": sectors})
    for column, what in (("name", "names"), ("sector", "sectors")):
        counts = frame.groupby("school")[column].nunique()
        for school in counts.index[counts > 1]:
            log.warn(f'{PROGRAMS_FILE}: school "{school}" has programs with different {what}')
