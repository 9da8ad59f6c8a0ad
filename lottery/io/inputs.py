"""Read and validate an input folder into :class:`~lottery.city.CityInput`.

Every check runs on whole columns at once (files can hold millions of rows) and every
problem is collected before anything is raised, so the office sees all of them in one
go. The file formats are documented in ``docs/file-formats.md``.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from lottery.city import (
    Applicants,
    Choices,
    CityInput,
    ExplicitPriorities,
    ExternalLottery,
    Programs,
    Reserves,
)
from lottery.errors import InputError, Problem, shown
from lottery.io.csv_tables import ProblemLog, Table, file_sha256, read_table
from lottery.io.policy_file import load_policy
from lottery.policy import POLICY_FILE, TAG, TAG_PREFIX, Policy, criterion_problem
from lottery.sorted_pairs import contains_sorted, pair_keys

PROGRAMS_FILE = "programs.csv"
APPLICANTS_FILE = "applicants.csv"
CHOICES_FILE = "choices.csv"
PRIORITIES_FILE = "priorities.csv"
LOTTERY_FILE = "lottery.csv"
RESERVES_FILE = "reserves.csv"
INPUT_FILES = (
    PROGRAMS_FILE,
    APPLICANTS_FILE,
    CHOICES_FILE,
    PRIORITIES_FILE,
    LOTTERY_FILE,
    RESERVES_FILE,
    POLICY_FILE,
)
"""Every file a run reads from its input folder; other files there (a README) are ignored."""
REQUIRED_FILES = (PROGRAMS_FILE, APPLICANTS_FILE, CHOICES_FILE)

GRADES = ("PK", "K", *(str(g) for g in range(1, 13)))
APPLICANT_ID = r"[A-Za-z0-9_-]{1,64}"
CODE = r"[A-Za-z0-9_.-]{1,64}"
LANGUAGE = r"[a-z]{2,3}(-[a-z0-9]{2,8})*"
LIST_SEPARATOR = ";"
MAX_LOTTERY_NUMBER = 2**64 - 1

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
RESERVE_COLUMNS = (("program_id", "category"), ("seats", "share"))
MAX_RESERVE_CATEGORIES = 63  # one bit each in the matcher's int64 masks
TRUE_WORDS = ("true", "yes", "y", "1")
FALSE_WORDS = ("false", "no", "n", "0")
CHOICE_COLUMNS = (("applicant_id", "rank", "program_id"), ())
PRIORITY_COLUMNS = (("applicant_id", "program_id", "priority"), ())
LOTTERY_COLUMNS = (("applicant_id", "lottery_number"), ("program_id",))


def read_input_folder(folder: Path) -> CityInput:
    """Read, validate and cross-check every input file in ``folder``.

    Raises
    ------
    InputError
        With every problem found, if any file is missing or wrong.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, None, "this input folder does not exist")])
    # Paths, not contents: each file is read only when its turn comes, so that a
    # million-applicant city never holds every file's bytes at once.
    files = {name: folder / name for name in INPUT_FILES if (folder / name).is_file()}
    return _read_city(files, f"required file is missing from {folder}")


def read_input_files(files: Mapping[str, bytes]) -> CityInput:
    """Read, validate and cross-check input files held in memory (file name -> contents).

    The same reading and checks as :func:`read_input_folder`; a file absent from
    ``files`` is a missing file, and names other than the input files are ignored.

    Raises
    ------
    InputError
        With every problem found, if any file is missing or wrong.
    """
    return _read_city(
        {name: files[name] for name in INPUT_FILES if name in files}, "required file is missing"
    )


def _read_city(files: Mapping[str, Path | bytes], missing: str) -> CityInput:
    """The one reading of a city, from each file's path or contents; ``missing`` is the
    problem of a required file that is not there."""
    log = ProblemLog()
    for name in REQUIRED_FILES:
        if name not in files:
            log.add(name, None, None, missing)
    policy_source = files.get(POLICY_FILE)
    try:
        policy = load_policy(policy_source) if policy_source is not None else Policy()
    except InputError as error:
        for problem in error.problems:
            log.add(problem.file, problem.line, problem.column, problem.message)
        policy = None

    def load(name, columns):
        return read_table(files[name], *columns, log, name=name) if name in files else None

    programs_table = load(PROGRAMS_FILE, PROGRAM_COLUMNS)
    applicants_table = load(APPLICANTS_FILE, APPLICANT_COLUMNS)
    choices_table = load(CHOICES_FILE, CHOICE_COLUMNS)
    priorities_table = load(PRIORITIES_FILE, PRIORITY_COLUMNS)
    lottery_table = load(LOTTERY_FILE, LOTTERY_COLUMNS)
    reserves_table = load(RESERVES_FILE, RESERVE_COLUMNS)

    programs = _programs(programs_table, log) if programs_table is not None else None
    applicants = (
        _applicants(applicants_table, programs, log) if applicants_table is not None else None
    )
    choices = explicit = external = reserves = None
    if programs is not None and reserves_table is not None:
        reserves = _reserves(reserves_table, programs, log)
    if programs is not None and applicants is not None:
        _check_guarantees(programs, applicants, log)
        if choices_table is not None:
            choices = _choices(choices_table, programs, applicants, log)
        if priorities_table is not None:
            explicit = _explicit_priorities(priorities_table, programs, applicants, log)
        if lottery_table is not None and choices is not None:
            external = _external_lottery(lottery_table, programs, applicants, choices, log)
    log.raise_if_any()
    assert programs is not None and applicants is not None and choices is not None
    assert policy is not None
    if explicit is not None:
        _warn_unranked_priorities(explicit, choices, programs, log)
    _warn_unused_tags(policy, programs, applicants, reserves, log)
    if external is not None:
        given = "multiple" if external.per_program else "single"
        if policy.lottery.tiebreak != given:
            log.warn(
                f"the policy's tie-break setting ({policy.lottery.tiebreak}) does not match "
                f"{LOTTERY_FILE}, which gives "
                f"{'numbers per program' if external.per_program else 'one number per applicant'}; "
                f"the numbers in {LOTTERY_FILE} are used as given ({given} tie-break)"
            )
    hashes = {
        name: table.sha256
        for name, table in (
            (PROGRAMS_FILE, programs_table),
            (APPLICANTS_FILE, applicants_table),
            (CHOICES_FILE, choices_table),
            (PRIORITIES_FILE, priorities_table),
            (LOTTERY_FILE, lottery_table),
            (RESERVES_FILE, reserves_table),
        )
        if table is not None
    }
    if policy_source is not None:
        hashes[POLICY_FILE] = (
            hashlib.sha256(policy_source).hexdigest()
            if isinstance(policy_source, bytes)
            else file_sha256(policy_source)
        )
    return CityInput(
        programs=programs,
        applicants=applicants,
        choices=choices,
        policy=policy,
        explicit_priorities=explicit,
        external_lottery=external,
        reserves=reserves,
        input_sha256=dict(sorted(hashes.items())),
        warnings=tuple(log.warnings),
    )


# ----------------------------------------------------------------------------- checks


def _require(table: Table, column: str, log: ProblemLog) -> np.ndarray:
    values = table.column(column)
    log.add_rows(table, values == "", column, "this cell must not be blank")
    return values


def _pattern(table: Table, column: str, pattern: str, what: str, log: ProblemLog, optional=False):
    values = table.column(column)
    bad = _mismatches(values, pattern)
    if optional:
        bad &= values != ""
    else:
        log.add_rows(table, values == "", column, "this cell must not be blank")
        bad &= values != ""
    log.add_rows(table, bad, column, lambda row: f'"{shown(values[row])}" is not a valid {what}')
    return values


def _mismatches(values: np.ndarray, pattern: str) -> np.ndarray:
    """Mask of values that do not fully match ``pattern`` (each distinct value checked once)."""
    distinct = pd.unique(values)
    matcher = re.compile(pattern)
    bad = [value for value in distinct.tolist() if not matcher.fullmatch(value)]
    if not bad:
        return np.zeros(len(values), dtype=bool)
    return pd.Series(values).isin(bad).to_numpy(copy=True)


def _unique(table: Table, values: np.ndarray, column: str, what: str, log: ProblemLog) -> None:
    series = pd.Series(values)
    repeated = (series.duplicated(keep="first") & (series != "")).to_numpy()
    if repeated.any():
        first_line = dict(zip(values[::-1], table.lines[::-1], strict=True))
        log.add_rows(
            table,
            repeated,
            column,
            lambda row: (
                f'duplicate {what} "{shown(values[row])}" (first on line {first_line[values[row]]})'
            ),
        )


def _grades(table: Table, log: ProblemLog) -> np.ndarray:
    raw = table.frame["grade"].str.upper()
    numeric = raw.str.fullmatch(r"0*[0-9]{1,2}")
    grades = raw.where(~numeric, raw.str.lstrip("0").replace("", "0")).to_numpy(dtype=object)
    bad = ~np.isin(grades, GRADES)
    cells = table.column("grade")
    log.add_rows(
        table,
        bad,
        "grade",
        lambda row: f'"{shown(cells[row])}" is not a grade (use PK, K or 1 to 12)',
    )
    return grades


def _integers(table: Table, column: str, log: ProblemLog, minimum: int, what: str) -> np.ndarray:
    text = table.frame[column]
    cells = text.to_numpy(dtype=object)
    digits = "".join(cells.tolist())
    values = None
    if digits.isascii() and digits.isdigit() and not (cells == "").any():
        # Fast path: every cell is digits only. int64 parsing refuses overflow.
        try:
            values = text.astype(np.int64).to_numpy(copy=True)
        except (OverflowError, ValueError):
            values = None
        if values is not None and len(values) and values.max() >= 10**9:
            values = None
    if values is not None:
        ok = np.ones(len(text), dtype=bool)
    else:
        ok = text.str.fullmatch(r"[0-9]{1,9}").to_numpy(dtype=bool)
        values = np.zeros(len(text), dtype=np.int64)
        values[ok] = text[ok].astype(np.int64).to_numpy()
    blank = cells == ""
    log.add_rows(table, blank, column, "this cell must not be blank")
    too_long = np.zeros(len(text), dtype=bool)
    if not ok.all():  # only cells that failed need a closer look (millions of ranks do not)
        too_long[~ok] = text[~ok].str.fullmatch(r"[0-9]{10,}").to_numpy(dtype=bool)
    log.add_rows(
        table, too_long, column, lambda r: f'"{shown(cells[r])}" is too large (at most 9 digits)'
    )
    bad = (~ok & ~blank & ~too_long) | (ok & (values < minimum))
    log.add_rows(table, bad, column, lambda row: f'"{shown(cells[row])}" is not {what}')
    return values


def _lists(table: Table, column: str, pattern: str, what: str, log: ProblemLog) -> list[tuple]:
    cells = table.column(column)
    several = table.frame[column].str.contains(LIST_SEPARATOR, regex=False).to_numpy(dtype=bool)
    # Most cells hold one item or none: only cells with a separator need splitting.
    parsed: list[tuple] = [(cell,) if cell else () for cell in cells.tolist()]
    for row in np.flatnonzero(several).tolist():
        parsed[row] = tuple(
            sorted({i.strip() for i in cells[row].split(LIST_SEPARATOR) if i.strip()})
        )
    items = np.fromiter(itertools.chain.from_iterable(parsed), dtype=object)
    owners = np.repeat(np.arange(len(parsed)), [len(p) for p in parsed])
    mask = np.zeros(len(table), dtype=bool)
    mask[owners[_mismatches(items, pattern)]] = True
    log.add_rows(
        table,
        mask,
        column,
        f"not a list of valid {what}s separated by {LIST_SEPARATOR!r}",
    )
    return parsed


def _lookup(table, column, ids: np.ndarray, what: str, log: ProblemLog) -> np.ndarray:
    """Index of each cell's value in sorted ``ids``; -1 (and a problem) when unknown."""
    values = table.column(column)
    # IDs repeat only when the file has duplicates (reported already): use the first.
    first = ~pd.Index(ids).duplicated(keep="first")
    found = pd.Index(ids[first]).get_indexer(values)
    index = np.append(np.flatnonzero(first), -1)[found]
    unknown = (index < 0) & (values != "")
    log.add_rows(table, unknown, column, lambda row: f'unknown {what} "{shown(values[row])}"')
    return index.astype(np.int64)


def _sort_by_id(columns: dict[str, object], key: str, lines: np.ndarray):
    order = np.argsort(np.asarray(columns[key], dtype=object), kind="stable")
    out = {}
    for name, values in columns.items():
        out[name] = (
            [values[i] for i in order] if isinstance(values, list) else np.asarray(values)[order]
        )
    return out, lines[order]


# ----------------------------------------------------------------------------- files


def _programs(table: Table, log: ProblemLog) -> Programs:
    if not len(table):
        log.add(table.name, None, None, "the file has a header row but no programs")
    ids = _pattern(table, "program_id", CODE, "program ID (letters, digits, - _ .)", log)
    _unique(table, ids, "program_id", "program_id", log)
    schools = _pattern(table, "school_id", CODE, "school ID (letters, digits, - _ .)", log)
    names = _require(table, "school_name", log)
    sectors = _require(table, "sector", log)
    grades = _grades(table, log)
    seats = _integers(table, "seats", log, 0, "a whole number of seats (0 or more)")
    zones = _lists(table, "zones", CODE, "zone code", log)
    held = _optional_count(table, "held_seats", log, np.zeros(len(table), dtype=np.int64))
    target = _optional_count(table, "offer_target", log, seats)
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
    latitude, longitude = _coordinates(table, log)
    _warn_inconsistent_schools(schools, names, sectors, log)
    columns, lines = _sort_by_id(
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
            "requires_tags": _lists(table, "requires_tags", TAG, "tag", log),
            "administrative_zones": _lists(table, "administrative_zones", CODE, "zone code", log),
            "latitude": latitude,
            "longitude": longitude,
        },
        "id",
        table.lines,
    )
    return Programs(**columns, line=lines)


def _warn_inconsistent_schools(schools, names, sectors, log: ProblemLog) -> None:
    frame = pd.DataFrame({"school": schools, "name": names, "sector": sectors})
    for column, what in (("name", "names"), ("sector", "sectors")):
        counts = frame.groupby("school")[column].nunique()
        for school in counts.index[counts > 1]:
            log.warn(f'{PROGRAMS_FILE}: school "{school}" has programs with different {what}')


def _applicants(table: Table, programs: Programs | None, log: ProblemLog) -> Applicants:
    if not len(table):
        log.add(table.name, None, None, "the file has a header row but no applicants")
    ids = _pattern(
        table, "applicant_id", APPLICANT_ID, "applicant ID (letters, digits, - _; at most 64)", log
    )
    _unique(table, ids, "applicant_id", "applicant_id", log)
    for column in ("first_name", "last_name", "guardian_name"):
        _require(table, column, log)
    grades = _grades(table, log)
    zone = _pattern(table, "zone", CODE, "zone code", log, optional=True)
    school_columns = {}
    for column in ("current_school_id", "staff_school_id"):
        school_columns[column] = _pattern(table, column, CODE, "school ID", log, optional=True)
    siblings = _lists(table, "sibling_school_ids", CODE, "school ID", log)
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
        guaranteed = _lookup(table, "guaranteed_program_id", programs.id, "program", log)
    else:
        guaranteed = np.full(len(table), -1, dtype=np.int64)
    latitude, longitude = _coordinates(table, log)
    columns, lines = _sort_by_id(
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
            "tags": _lists(table, "tags", TAG, "tag", log),
            "guaranteed_program": guaranteed,
            "accepts_administrative": _optional_bool(table, "accepts_administrative", log),
            "family_id": _pattern(table, "family_id", CODE, "family ID", log, optional=True),
            "link_family": _optional_bool(table, "link_family", log),
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


def _choices(table: Table, programs: Programs, applicants: Applicants, log: ProblemLog) -> Choices:
    applicant = _lookup(table, "applicant_id", applicants.id, "applicant", log)
    _require(table, "applicant_id", log)
    program = _lookup(table, "program_id", programs.id, "program", log)
    _require(table, "program_id", log)
    rank = _integers(table, "rank", log, 1, "a rank (1 = most preferred)")
    known = (applicant >= 0) & (program >= 0) & (rank >= 1)
    rows = np.arange(len(table), dtype=np.int64)
    app_ids, prog_ids = applicants.id, programs.id
    # One int64 key per (applicant, rank) and per (applicant, program): hashing single
    # integer columns is what keeps this fast for millions of choices.
    rank_span = int(rank.max()) + 1 if len(rank) else 1
    rank_key = applicant * rank_span + rank
    program_key = applicant * max(len(prog_ids), 1) + program
    if known.all() and np.all(rank_key[1:] > rank_key[:-1]):
        repeated_rank = np.zeros(len(table), dtype=bool)  # sorted and strictly increasing
    else:
        repeated_rank = known & _repeated(np.where(known, rank_key, -1 - rows))
    repeated_program = known & ~repeated_rank & _repeated(np.where(known, program_key, -1 - rows))
    log.add_rows(
        table,
        repeated_rank,
        "rank",
        lambda r: f'applicant "{app_ids[applicant[r]]}" uses rank {rank[r]} twice',
    )
    log.add_rows(
        table,
        repeated_program,
        "program_id",
        lambda r: (
            f'applicant "{app_ids[applicant[r]]}" ranks program "{prog_ids[program[r]]}" twice'
        ),
    )

    # An invalid grade was reported where it is written, not again for every choice.
    grades = pd.Index(GRADES)
    applicant_grade = grades.get_indexer(applicants.grade)
    program_grade = grades.get_indexer(programs.grade)
    wrong_grade = known.copy()
    wrong_grade[known] = (
        (applicant_grade[applicant[known]] >= 0)
        & (program_grade[program[known]] >= 0)
        & (applicant_grade[applicant[known]] != program_grade[program[known]])
    )
    log.add_rows(
        table,
        wrong_grade,
        "program_id",
        lambda r: (
            f'program "{prog_ids[program[r]]}" is for grade {programs.grade[program[r]]} '
            "but applicant "
            f'"{app_ids[applicant[r]]}" applies for grade {applicants.grade[applicant[r]]}'
        ),
    )
    _check_rank_gaps(table, applicant, rank, rank_key, rank_span, app_ids, log)

    order = (
        np.arange(len(table))
        if np.all(rank_key[1:] > rank_key[:-1])
        else np.argsort(rank_key, kind="stable")
    )
    return Choices(
        applicant=applicant[order],
        rank=rank[order],
        program=program[order],
        line=table.lines[order],
    )


def _repeated(keys: np.ndarray) -> np.ndarray:
    """Mask of entries whose key appeared earlier."""
    return pd.Series(keys).duplicated(keep="first").to_numpy(copy=True)


def _check_rank_gaps(table, applicant, rank, rank_key, rank_span, app_ids, log) -> None:
    """Ranks of one applicant must be exactly 1..k.

    An unknown program does not make a gap; an applicant with an unreadable rank
    (reported already) is not reported again.
    """
    unreadable = np.unique(applicant[(applicant >= 0) & (rank < 1)])
    considered = (applicant >= 0) & ~np.isin(applicant, unreadable)
    distinct = np.sort(rank_key[considered])
    distinct = distinct[np.r_[True, distinct[1:] != distinct[:-1]]] if len(distinct) else distinct
    owner = distinct // rank_span
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else owner
    count = np.diff(np.r_[first, len(owner)])
    highest = (distinct % rank_span)[first + count - 1]
    gappy = owner[first][highest != count]
    if not len(gappy):
        return
    first_row = pd.Series(np.arange(len(table))[considered]).groupby(applicant[considered]).min()
    mask = np.zeros(len(table), dtype=bool)
    mask[first_row.loc[gappy].to_numpy()] = True

    def message(row: int) -> str:
        ranks = sorted(set(rank[applicant == applicant[row]].tolist()))
        return (
            f'applicant "{app_ids[applicant[row]]}" has ranks {", ".join(map(str, ranks))}; '
            "ranks must run 1, 2, 3, ... without gaps"
        )

    log.add_rows(table, mask, "rank", message)


def _explicit_priorities(table, programs, applicants, log) -> ExplicitPriorities:
    applicant = _lookup(table, "applicant_id", applicants.id, "applicant", log)
    _require(table, "applicant_id", log)
    program = _lookup(table, "program_id", programs.id, "program", log)
    _require(table, "program_id", log)
    priority = _integers(table, "priority", log, 1, "a priority (a whole number, 1 = highest)")
    pairs = pd.DataFrame({"a": applicant, "p": program})
    repeated = (pairs.duplicated(keep="first") & (applicant >= 0) & (program >= 0)).to_numpy()
    log.add_rows(
        table, repeated, "program_id", "a priority for this applicant and program was already given"
    )
    order = np.lexsort((program, applicant))
    return ExplicitPriorities(
        applicant=applicant[order],
        program=program[order],
        priority=priority[order],
        line=table.lines[order],
    )


def _external_lottery(table, programs, applicants, choices, log) -> ExternalLottery:
    applicant = _lookup(table, "applicant_id", applicants.id, "applicant", log)
    _require(table, "applicant_id", log)
    program = _lookup(table, "program_id", programs.id, "program", log)
    text = table.frame["lottery_number"]
    ok = text.str.fullmatch(r"[0-9]{1,20}").to_numpy(dtype=bool, copy=True)
    numbers = np.zeros(len(table), dtype=np.uint64)
    if ok.any():
        as_int = [int(v) for v in text[ok]]
        fits = np.array([v <= MAX_LOTTERY_NUMBER for v in as_int], dtype=bool)
        ok[np.flatnonzero(ok)[~fits]] = False
        numbers[ok] = np.array([v for v, f in zip(as_int, fits, strict=True) if f], dtype=np.uint64)
    cells = text.to_numpy(dtype=object)
    log.add_rows(
        table,
        ~ok,
        "lottery_number",
        lambda r: (
            f'"{shown(cells[r])}" is not a lottery number (a whole number from 0 to '
            f"{MAX_LOTTERY_NUMBER})"
        ),
    )
    pairs = pd.DataFrame({"a": applicant, "p": program})
    repeated = (pairs.duplicated(keep="first") & (applicant >= 0)).to_numpy()
    log.add_rows(
        table, repeated, "applicant_id", "this applicant (and program) already has a lottery number"
    )
    per_program = bool((program >= 0).any() or (table.column("program_id") != "").any())

    has_default = np.zeros(len(applicants.id), dtype=bool)
    has_default[
        applicant[(applicant >= 0) & (program < 0) & (table.column("program_id") == "")]
    ] = True
    if not per_program:
        missing = np.flatnonzero(~has_default)
        log.add_each(
            APPLICANTS_FILE,
            applicants.line[missing],
            "applicant_id",
            lambda i: f'applicant "{applicants.id[missing[i]]}" has no row in {LOTTERY_FILE}',
        )
    else:
        n_programs = len(programs.id)
        specific = (applicant >= 0) & (program >= 0)
        given = np.unique(pair_keys(applicant[specific], program[specific], n_programs))
        ranked = pair_keys(choices.applicant, choices.program, n_programs)
        missing = np.flatnonzero(~has_default[choices.applicant] & ~contains_sorted(given, ranked))
        log.add_each(
            CHOICES_FILE,
            choices.line[missing],
            "program_id",
            lambda i: (
                f"no lottery number in {LOTTERY_FILE} for applicant "
                f'"{applicants.id[choices.applicant[missing[i]]]}" '
                f'at program "{programs.id[choices.program[missing[i]]]}"'
            ),
        )
        unranked = int((~contains_sorted(np.sort(ranked), given)).sum())
        if unranked:
            log.warn(
                f"{LOTTERY_FILE}: {unranked} row(s) give a number at a program the applicant "
                "did not rank; they have no effect"
            )
    keep = applicant >= 0
    order = np.lexsort((program[keep], applicant[keep]))
    return ExternalLottery(
        applicant=applicant[keep][order],
        program=program[keep][order],
        number=numbers[keep][order],
        per_program=per_program,
    )


def _warn_unranked_priorities(explicit, choices, programs, log) -> None:
    n_programs = len(programs.id)
    ranked = np.sort(pair_keys(choices.applicant, choices.program, n_programs))
    given = pair_keys(explicit.applicant, explicit.program, n_programs)
    unused = int((~contains_sorted(ranked, given)).sum())
    if unused:
        log.warn(
            f"{PRIORITIES_FILE}: {unused} row(s) give a priority at a program the applicant "
            "did not rank; they have no effect"
        )


# ----------------------------------------------------------------------------- seat policy


def _optional_count(table: Table, column: str, log: ProblemLog, default: np.ndarray):
    """A whole number of seats (0 or more) where given, ``default`` where blank."""
    text = table.column(column)
    given = text != ""
    ok = pd.Series(text).str.fullmatch(r"[0-9]{1,9}").to_numpy(dtype=bool)
    log.add_rows(
        table,
        given & ~ok,
        column,
        lambda r: f'"{shown(text[r])}" is not a whole number of seats (0 or more)',
    )
    values = np.asarray(default, dtype=np.int64).copy()
    values[given & ok] = [int(v) for v in text[given & ok].tolist()]
    return values


def _optional_bool(table: Table, column: str, log: ProblemLog) -> np.ndarray:
    """true/false (also yes/no, 1/0, any case); blank is true."""
    text = pd.Series(table.column(column)).str.lower()
    false = text.isin(FALSE_WORDS).to_numpy(dtype=bool)
    bad = ~(text.isin(TRUE_WORDS) | false | (text == "")).to_numpy(dtype=bool)
    cells = table.column(column)
    log.add_rows(table, bad, column, lambda r: f'"{shown(cells[r])}" is not true or false')
    return ~false


def _coordinates(table: Table, log: ProblemLog) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude in decimal degrees; NaN where not given."""
    values = {}
    for column, limit in (("latitude", 90.0), ("longitude", 180.0)):
        text = table.column(column)
        number = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(
            dtype=np.float64, copy=True
        )
        given = text != ""
        bad = given & ~(np.abs(np.nan_to_num(number, nan=np.inf)) <= limit)
        log.add_rows(
            table,
            bad,
            column,
            lambda r, text=text, limit=limit, column=column: (
                f'"{shown(text[r])}" is not a {column} in decimal degrees '
                f"(from -{limit:g} to {limit:g})"
            ),
        )
        number[~given | bad] = np.nan
        values[column] = (number, given)
    (latitude, has_latitude), (longitude, has_longitude) = values["latitude"], values["longitude"]
    log.add_rows(
        table,
        has_latitude != has_longitude,
        "latitude" if (has_longitude & ~has_latitude).any() else "longitude",
        "give both latitude and longitude, or neither",
    )
    return latitude, longitude


def _check_guarantees(programs: Programs, applicants: Applicants, log: ProblemLog) -> None:
    """A guaranteed program must suit the applicant, and have a seat for every guarantee."""
    guaranteed = applicants.guaranteed_program
    has = np.flatnonzero(guaranteed >= 0)
    program = guaranteed[has]
    wrong_grade = programs.grade[program] != applicants.grade[has]
    log.add_each(
        APPLICANTS_FILE,
        applicants.line[has[wrong_grade]],
        "guaranteed_program_id",
        lambda i: (
            f'program "{programs.id[program[wrong_grade][i]]}" is for grade '
            f"{programs.grade[program[wrong_grade][i]]}, not grade "
            f"{applicants.grade[has[wrong_grade][i]]}"
        ),
    )
    lacking = np.array(
        [
            not set(programs.requires_tags[p]) <= set(applicants.tags[a])
            for a, p in zip(has.tolist(), program.tolist(), strict=True)
        ],
        dtype=bool,
    )
    log.add_each(
        APPLICANTS_FILE,
        applicants.line[has[lacking]],
        "guaranteed_program_id",
        lambda i: (
            f'program "{programs.id[program[lacking][i]]}" requires the tag(s) '
            f"{', '.join(programs.requires_tags[program[lacking][i]])}, which this applicant "
            "does not have, so it cannot be guaranteed"
        ),
    )
    count = np.bincount(program, minlength=len(programs))
    capacity = programs.capacity
    over = np.flatnonzero((count > 0) & (count > capacity))
    log.add_each(
        PROGRAMS_FILE,
        programs.line[over],
        "seats",
        lambda i: (
            f'{count[over[i]]} applicants are guaranteed program "{programs.id[over[i]]}" '
            f"but it offers only {capacity[over[i]]} seats in this run"
        ),
    )


def _reserves(table: Table, programs: Programs, log: ProblemLog) -> Reserves:
    program = _lookup(table, "program_id", programs.id, "program", log)
    _require(table, "program_id", log)
    category = _require(table, "category", log)
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
    for p in np.flatnonzero(total > programs.capacity).tolist():
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


def _warn_unused_tags(policy, programs: Programs, applicants: Applicants, reserves, log) -> None:
    """A tag that no applicant has is usually a typo in a policy or file."""
    held = {tag for tags in applicants.tags for tag in tags}
    named = {
        (c.removeprefix(TAG_PREFIX), POLICY_FILE)
        for c in policy.criteria()
        if c.startswith(TAG_PREFIX)
    }
    named |= {
        (tag, f"{PROGRAMS_FILE} requires_tags") for tags in programs.requires_tags for tag in tags
    }
    if reserves is not None:
        named |= {
            (c.removeprefix(TAG_PREFIX), RESERVES_FILE)
            for c in reserves.category.tolist()
            if c.startswith(TAG_PREFIX)
        }
    for tag, where in sorted(named):
        if tag not in held:
            log.warn(f'{where} names the tag "{tag}", which no applicant has')
