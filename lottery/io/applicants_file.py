"""applicants.csv: its name, its columns and the checks of its cells."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lottery.city import Applicants, Programs
from lottery.errors import shown
from lottery.io.csv_tables import ProblemLog, Table
from lottery.io.input_cells import (
    APPLICANT_ID,
    CODE,
    check_pattern,
    check_unique,
    lookup_ids,
    read_coordinates,
    read_grades,
    read_lists,
    read_optional_bool,
    require_filled,
    sort_by_id,
)
from lottery.io.programs_file import PROGRAMS_FILE
from lottery.policy import TAG

APPLICANTS_FILE = "applicants.csv"
APPLICANT_COLUMNS = (
    ("applicant_id", "first_name", "last_name", "grade", "guardian_name"),
    (
        "zone",
        "current_school_id",
        "sibling_school_ids",
        "staff_school_id",
        "language",
        "address",
        "tags",
        "guaranteed_program_id",
        "accepts_administrative",
        "family_id",
        "link_family",
        "latitude",
        "longitude",
    ),
)
LANGUAGE = r"[a-z]{2,3}(-[a-z0-9]{2,8})*"


def read_applicants(table: Table, programs: Programs | None, log: ProblemLog) -> Applicants:
    """The applicants, sorted by ID; ``programs`` (if readable) resolves guaranteed programs."""
    if not len(table):
        log.add(table.name, None, None, "the file has a header row but no applicants")
    ids = check_pattern(
        table, "applicant_id", APPLICANT_ID, "applicant ID (letters, digits, - _; at most 64)", log
    )
    check_unique(table, ids, "applicant_id", "applicant_id", log)
    for column in ("first_name", "last_name", "guardian_name"):
        require_filled(table, column, log)
    grades = read_grades(table, log)
    zone = check_pattern(table, "zone", CODE, "zone code", log, optional=True)
    school_columns = {}
    for column in ("current_school_id", "staff_school_id"):
        school_columns[column] = check_pattern(table, column, CODE, "school ID", log, optional=True)
    siblings = read_lists(table, "sibling_school_ids", CODE, "school ID", log)
    language = table.frame["language"].str.lower().replace("", "en").to_numpy(dtype=object)
    bad_language = ~pd.Series(language).str.fullmatch(LANGUAGE).to_numpy(dtype=bool)
    log.add_rows(
        table,
        bad_language,
        "language",
        lambda r: f'"{shown(language[r])}" is not a language code such as en or es',
    )
    if programs is not None:
        _warn_unknown_references(table, zone, school_columns, siblings, programs, log)
        guaranteed = lookup_ids(table, "guaranteed_program_id", programs.id, "program", log)
    else:
        guaranteed = np.full(len(table), -1, dtype=np.int64)
    latitude, longitude = read_coordinates(table, log)
    columns, lines = sort_by_id(
        {
            "id": ids,
            "first_name": table.column("first_name"),
            "last_name": table.column("last_name"),
            "grade": grades,
            "zone": zone,
            "current_school_id": school_columns["current_school_id"],
            "sibling_school_ids": siblings,
            "staff_school_id": school_columns["staff_school_id"],
            "language": language,
            "guardian_name": table.column("guardian_name"),
            "address": table.column("address"),
            "tags": read_lists(table, "tags", TAG, "tag", log),
            "guaranteed_program": guaranteed,
            "accepts_administrative": read_optional_bool(table, "accepts_administrative", log),
            "family_id": check_pattern(table, "family_id", CODE, "family ID", log, optional=True),
            "link_family": read_optional_bool(table, "link_family", log),
            "latitude": latitude,
            "longitude": longitude,
        },
        "id",
        table.lines,
    )
    return Applicants(**columns, line=lines)


def _warn_unknown_references(
    table, zone, school_columns, siblings, programs: Programs, log
) -> None:
    """Zones and schools no program serves are usually typos: warn, do not refuse."""
    known_schools = set(programs.school_id.tolist())
    known_zones = {z for zones in programs.zones for z in zones}
    known_zones |= {z for zones in programs.administrative_zones for z in zones}
    unknown_zones = sorted({z for z in zone if z and z not in known_zones})
    if unknown_zones:
        log.warn(
            f"{table.name}: {len(unknown_zones)} zone code(s) are not served by any program "
            f'(for example "{shown(unknown_zones[0])}"); those applicants get no zone priority'
        )
    for column, values in school_columns.items():
        unknown = sorted({s for s in values if s and s not in known_schools})
        if unknown:
            log.warn(
                f"{table.name}: {column} names {len(unknown)} school(s) with no program in "
                f'{PROGRAMS_FILE} (for example "{shown(unknown[0])}")'
            )
    unknown_siblings = sorted({s for items in siblings for s in items if s not in known_schools})
    if unknown_siblings:
        log.warn(
            f"{table.name}: sibling_school_ids names {len(unknown_siblings)} school(s) with no "
            f'program in {PROGRAMS_FILE} (for example "{shown(unknown_siblings[0])}")'
        )
