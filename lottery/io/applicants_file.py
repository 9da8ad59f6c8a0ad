"""applicants.csv: its name, its columns and the checks of its cells."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd

from lottery.city import Applicants, Programs
from lottery.errors import shown
from lottery.io.csv_tables import UNKNOWN_CODES, ProblemLog, Table
from lottery.io.input_cells import (
    APPLICANT_ID,
    CODE,
    Suggestions,
    check_pattern,
    check_unique,
    fullmatches,
    lookup_ids,
    mismatches,
    read_coordinates,
    read_grades,
    read_lists,
    read_optional_bool,
    require_filled,
    sort_by_id,
    unknown_values,
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


def read_applicants(
    table: Table,
    programs: Programs | None,
    log: ProblemLog,
    criteria: frozenset[str] | None = None,
) -> Applicants:
    """The applicants, sorted by ID; ``programs`` (if readable) resolves guaranteed programs.

    ``criteria`` are those the city's priorities and reserves use (None: all of them): a
    zone or school that matches nothing is noticed only where it costs a priority.
    """
    if not len(table):
        log.add(table.name, None, None, "the file has a header row but no applicants")
    ids = check_pattern(table, "applicant_id", APPLICANT_ID, "applicant ID", log)
    check_unique(table, ids, "applicant_id", "applicant_id", log)
    for column in ("first_name", "last_name", "guardian_name"):
        require_filled(table, column, log)
    grades = read_grades(table, log)
    zone = check_pattern(table, "zone", CODE, "zone code", log, optional=True)
    school_columns = {}
    for column in ("current_school_id", "staff_school_id"):
        school_columns[column] = check_pattern(table, column, CODE, "school ID", log, optional=True)
    siblings = read_lists(table, "sibling_school_ids", CODE, "school ID", log)
    codes, written = table.distinct("language")
    languages = pd.Series(written, dtype=object).str.lower().replace("", "en")
    language = languages.to_numpy(dtype=object)[codes]
    bad_language = ~fullmatches(re.compile(LANGUAGE), languages.to_numpy(dtype=object))[codes]
    log.add_rows(
        table,
        bad_language,
        "language",
        lambda r: f'"{shown(language[r])}" is not a language code such as en or es',
    )
    if programs is not None:
        _notice_unknown_references(
            table, ids, zone, school_columns, siblings, programs, log, criteria
        )
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


SCHOOL_PRIORITY = {
    "current_school_id": "continuing-student priority",
    "staff_school_id": "staff priority",
}
"""The priority an applicant loses when a school column names a school with no program."""
CRITERION_OF = {"current_school_id": "continuing", "staff_school_id": "staff"}
"""The criterion (policy.toml, reserves.csv) each school column decides."""


def _notice_unknown_references(
    table: Table,
    ids,
    zone,
    school_columns,
    siblings,
    programs: Programs,
    log: ProblemLog,
    criteria: frozenset[str] | None,
) -> None:
    """Zones and schools no program has are usually typos that cost the applicant a
    priority: a notice for each row (an error with ``--strict``), with a "did you mean".

    Values that are not valid codes were reported already and are not noticed again. A
    column no priority or reserve of the city uses (``criteria``) costs nothing and is
    not checked: a zone only matters to the ``zone`` criterion and the zone guarantee.
    """

    def used(criterion: str) -> bool:
        return criteria is None or criterion in criteria

    zones = Suggestions(
        [z for zones in (*programs.zones, *programs.administrative_zones) for z in zones]
    )

    def applicant(row: int) -> str:
        return f'applicant "{shown(ids[row])}": ' if ids[row] else ""

    unknown = unknown_values(zone, zones.known) & ~mismatches(zone, CODE)
    costs = []
    if used("zone"):
        costs.append("no zone priority")
    if any(programs.administrative_zones):
        costs.append("no seat from the zone guarantee")
    if not costs:
        unknown[:] = False
    log.notice_rows(
        UNKNOWN_CODES,
        table,
        unknown,
        "zone",
        lambda r: (
            f'{applicant(r)}zone "{shown(zone[r])}" is served by no program{zones.hint(zone[r])}; '
            f"this applicant gets {' and '.join(costs)}"
        ),
    )
    for column, values in school_columns.items():
        if not used(CRITERION_OF[column]):
            continue
        # One Suggestions per column: each column's hints are capped on their own.
        schools = Suggestions(programs.school_id)
        unknown = unknown_values(values, schools.known) & ~mismatches(values, CODE)
        log.notice_rows(
            UNKNOWN_CODES,
            table,
            unknown,
            column,
            lambda r, values=values, column=column, schools=schools: (
                f'{applicant(r)}school "{shown(values[r])}" has no program in {PROGRAMS_FILE}'
                f"{schools.hint(values[r])}; this applicant gets no {SCHOOL_PRIORITY[column]}"
            ),
        )
    items = np.fromiter(itertools.chain.from_iterable(siblings), dtype=object, count=-1)
    if not len(items) or not used("sibling"):
        return
    owners = np.repeat(np.arange(len(siblings)), [len(s) for s in siblings])
    schools = Suggestions(programs.school_id)
    unknown_items = unknown_values(items, schools.known) & ~mismatches(items, CODE)
    unknown = np.zeros(len(table), dtype=bool)
    unknown[owners[unknown_items]] = True
    valid = re.compile(CODE)

    def sibling_message(row: int) -> str:
        named = [s for s in siblings[row] if s not in schools.known and valid.fullmatch(s)]
        listed = ", ".join(f'"{shown(s)}"{schools.hint(s)}' for s in named)
        return (
            f"{applicant(row)}sibling school{'s' if len(named) > 1 else ''} {listed} "
            f"{'have' if len(named) > 1 else 'has'} no program in {PROGRAMS_FILE}; this "
            "applicant gets no sibling priority there"
        )

    log.notice_rows(UNKNOWN_CODES, table, unknown, "sibling_school_ids", sibling_message)
