"""Checks of one column of an input file, shared by the files' readers.

Each check runs on a whole column at once (files can hold millions of rows), logs one
problem per bad cell and returns the column's values. The cell formats (IDs, codes,
grades, lists, yes/no, coordinates) are documented in ``docs/file-formats.md``.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from lottery.errors import shown
from lottery.io.csv_tables import ProblemLog, Table

GRADES = ("PK", "K", *(str(g) for g in range(1, 13)))
MAX_ID_LENGTH = 64
APPLICANT_ID_CHARACTER = r"[A-Za-z0-9_-]"
CODE_CHARACTER = r"[A-Za-z0-9_.-]"
APPLICANT_ID = rf"{APPLICANT_ID_CHARACTER}{{1,{MAX_ID_LENGTH}}}"
CODE = rf"{CODE_CHARACTER}{{1,{MAX_ID_LENGTH}}}"
ALLOWED_CHARACTERS = {
    APPLICANT_ID: (APPLICANT_ID_CHARACTER, "- _"),
    CODE: (CODE_CHARACTER, "- _ ."),
}
"""For each ID pattern: one allowed character, and the signs allowed beside letters and digits."""
LIST_SEPARATOR = ";"
TRUE_WORDS = ("true", "yes", "y", "1")
FALSE_WORDS = ("false", "no", "n", "0")


def require_filled(table: Table, column: str, log: ProblemLog) -> np.ndarray:
    """The column; a problem for each blank cell."""
    values = table.column(column)
    log.add_rows(table, _blank(table, column), column, "this cell must not be blank")
    return values


def _blank(table: Table, column: str) -> np.ndarray:
    return table.per_distinct(column, lambda values: values == "")


def check_pattern(
    table: Table, column: str, pattern: str, what: str, log: ProblemLog, optional=False
):
    """The column; a problem for each cell that is not a valid ``what`` (blank is allowed
    only if ``optional``)."""
    values = table.column(column)
    blank = _blank(table, column)
    bad = ~table.per_distinct(column, lambda distinct: fullmatches(re.compile(pattern), distinct))
    if not optional:
        log.add_rows(table, blank, column, "this cell must not be blank")
    bad &= ~blank
    log.add_rows(
        table,
        bad,
        column,
        lambda row: (
            f'"{shown(values[row])}" is not a valid {what}: '
            f"{id_problem(values[row], pattern, what)}"
        ),
    )
    return values


def id_problem(value: str, pattern: str, what: str) -> str:
    """Why ``value`` does not match the ID ``pattern`` (``APPLICANT_ID`` or ``CODE``),
    in words: a space, a character not allowed, or too many characters."""
    character, signs = ALLOWED_CHARACTERS.get(pattern, (r"[A-Za-z0-9_.-]", "- _ ."))
    plural = what.split()[-1] + "s"  # "school ID" -> "IDs", "zone code" -> "codes"
    if any(c.isspace() for c in value):
        return f"{plural} have no spaces"
    for c in value:
        if not re.fullmatch(character, c):
            letters = "letters without accents" if c.isalpha() else "letters"  # é, ß
            return f'"{shown(c)}" is not allowed ({letters}, digits, {signs})'
    if len(value) > MAX_ID_LENGTH:
        return f"{plural} have at most {MAX_ID_LENGTH} characters (this one has {len(value)})"
    return f"use only letters, digits, {signs}"


def fullmatches(matcher: re.Pattern, values: np.ndarray) -> np.ndarray:
    """Mask of the ``values`` that ``matcher`` matches whole."""
    return np.fromiter(
        (matcher.fullmatch(value) is not None for value in values.tolist()),
        dtype=bool,
        count=len(values),
    )


def mismatches(values: np.ndarray, pattern: str) -> np.ndarray:
    """Mask of values that do not fully match ``pattern`` (each distinct value checked once)."""
    codes, distinct = pd.factorize(values)
    return ~fullmatches(re.compile(pattern), np.asarray(distinct, dtype=object))[codes]


def check_unique(table: Table, values: np.ndarray, column: str, what: str, log: ProblemLog) -> None:
    """A problem for each value repeated from an earlier row (blank cells aside)."""
    codes, distinct = table.distinct(column)
    if len(distinct) == len(codes):
        return  # every value once (the usual file): nothing to look for
    repeated = pd.Series(codes).duplicated(keep="first").to_numpy() & (distinct != "")[codes]
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


def read_grades(table: Table, log: ProblemLog) -> np.ndarray:
    """Grades written as in ``GRADES`` (``k`` is K, ``07`` is 7); a problem for any other."""

    def grade(cells: np.ndarray) -> np.ndarray:
        raw = pd.Series(cells, dtype=object).str.upper()
        numeric = raw.str.fullmatch(r"0*[0-9]{1,2}")
        return raw.where(~numeric, raw.str.lstrip("0").replace("", "0")).to_numpy(dtype=object)

    grades = table.per_distinct("grade", grade)
    bad = ~np.isin(grades, GRADES)
    cells = table.column("grade")
    log.add_rows(
        table,
        bad,
        "grade",
        lambda row: f'"{shown(cells[row])}" is not a grade (use PK, K or 1 to 12)',
    )
    return grades


def read_integers(
    table: Table, column: str, log: ProblemLog, minimum: int, what: str
) -> np.ndarray:
    """Whole numbers of at most 9 digits and at least ``minimum`` (0 where a cell is bad)."""
    codes, distinct = table.distinct(column)
    # Each distinct cell read once: a million ranks are a dozen numbers.
    ok_distinct = fullmatches(_SMALL_WHOLE, distinct)
    numbers = np.zeros(len(distinct), dtype=np.int64)
    numbers[ok_distinct] = [int(cell) for cell in distinct[ok_distinct].tolist()]
    long_distinct = fullmatches(_LONG_WHOLE, distinct)
    cells = table.column(column)
    values, ok = numbers[codes], ok_distinct[codes]
    blank = (distinct == "")[codes]
    log.add_rows(table, blank, column, "this cell must not be blank")
    too_long = long_distinct[codes]
    log.add_rows(
        table, too_long, column, lambda r: f'"{shown(cells[r])}" is too large (at most 9 digits)'
    )
    bad = (~ok & ~blank & ~too_long) | (ok & (values < minimum))
    log.add_rows(table, bad, column, lambda row: f'"{shown(cells[row])}" is not {what}')
    return values


_SMALL_WHOLE = re.compile(r"[0-9]{1,9}")
_LONG_WHOLE = re.compile(r"[0-9]{10,}")


def read_lists(table: Table, column: str, pattern: str, what: str, log: ProblemLog) -> list[tuple]:
    """Each cell's items split at ``LIST_SEPARATOR``, sorted and without repeats."""
    codes, cells = table.distinct(column)
    # Each distinct cell is split once; most hold one item or none.
    distinct: list[tuple] = [
        tuple(sorted({i.strip() for i in cell.split(LIST_SEPARATOR) if i.strip()}))
        if LIST_SEPARATOR in cell
        else ((cell,) if cell else ())
        for cell in cells.tolist()
    ]
    items = np.fromiter(itertools.chain.from_iterable(distinct), dtype=object)
    owners = np.repeat(np.arange(len(distinct)), [len(p) for p in distinct])
    bad = np.zeros(len(distinct), dtype=bool)
    bad[owners[mismatches(items, pattern)]] = True
    mask = bad[codes]
    parsed = [distinct[code] for code in codes.tolist()]
    matcher = re.compile(pattern)

    def message(row: int) -> str:
        item = next(i for i in parsed[row] if not matcher.fullmatch(i))
        if "," in item or "|" in item:  # "S003, S004": another separator than ours
            reason = (
                f"separate the {what}s with {LIST_SEPARATOR!r}, not {',' if ',' in item else '|'!r}"
            )
        else:
            reason = id_problem(item, pattern, what)
        return (
            f"not a list of valid {what}s separated by {LIST_SEPARATOR!r} "
            f'("{shown(item)}": {reason})'
        )

    log.add_rows(table, mask, column, message)
    return parsed


def lookup_ids(table, column, ids: np.ndarray, what: str, log: ProblemLog) -> np.ndarray:
    """Index of each cell's value in sorted ``ids``; -1 (and a problem, with a "did you
    mean" where one is found) when unknown."""
    values = table.column(column)
    # IDs repeat only when the file has duplicates (reported already): use the first.
    first = ~pd.Index(ids).duplicated(keep="first")
    index = table.per_distinct(
        column,
        lambda distinct: np.append(np.flatnonzero(first), -1)[
            pd.Index(ids[first]).get_indexer(distinct)
        ],
    )
    unknown = (index < 0) & ~_blank(table, column)
    if unknown.any():
        guess = Suggestions(ids, close_matches=what in CLOSE_MATCH_KINDS)
        log.add_rows(
            table,
            unknown,
            column,
            lambda row: f'unknown {what} "{shown(values[row])}"{guess.hint(values[row])}',
        )
    return index.astype(np.int64)


def unknown_values(values: np.ndarray, known: Iterable[str]) -> np.ndarray:
    """Mask of the non-blank ``values`` that are not ``known`` (checked once per distinct value)."""
    distinct = pd.unique(values)
    known = set(known)
    unknown = [value for value in distinct.tolist() if value and value not in known]
    if not unknown:
        return np.zeros(len(values), dtype=bool)
    return pd.Series(values).isin(unknown).to_numpy(copy=True)


CLOSE_MATCH_KINDS = frozenset({"program"})
"""Kinds of ID whose typos a close match can guess: names people type, such as
``MAPLE-K``. Applicant IDs are numbered, so a close match would only be the next number:
they get the case-insensitive match alone."""
MAX_SUGGESTED = 50
"""At most this many distinct unknown values are given a "did you mean" per check (no
more are shown, see ``EXAMPLES_PER_CHECK``)."""
MAX_CLOSE_CANDIDATES = 5000
"""Close matches are looked for among at most this many known values (difflib compares
the unknown value with every one of them)."""


class Suggestions:
    """The "did you mean" for values that are not among ``known``: the known value equal
    to it but for case, else (with ``close_matches``) the closest one by difflib.

    Built only when there is an unknown value, and then lazily: the case-insensitive
    index of a million applicant IDs is made once, at the first question.
    """

    def __init__(self, known: Iterable[str], close_matches: bool = True) -> None:
        self._given = known
        self._known: frozenset[str] | None = None
        self._close_matches = close_matches
        self._by_lower: dict[str, list[str]] | None = None
        self._answers: dict[str, str | None] = {}

    @property
    def known(self) -> frozenset[str]:
        """The known values, as a set."""
        if self._known is None:
            self._known = frozenset(self._given)
        return self._known

    def match(self, value: str) -> str | None:
        """The known value ``value`` was probably meant to be, or None."""
        if value in self._answers:
            return self._answers[value]
        if len(self._answers) >= MAX_SUGGESTED:
            return None
        if self._by_lower is None:
            self._by_lower = {}
            for code in sorted(self.known):
                self._by_lower.setdefault(code.lower(), []).append(code)
        lower = value.lower()
        guess = self._close_matches and len(self._by_lower) <= MAX_CLOSE_CANDIDATES
        if lower not in self._by_lower and guess:
            close = difflib.get_close_matches(lower, list(self._by_lower), n=1)
            lower = close[0] if close else lower
        written = self._by_lower.get(lower)
        if written is None:
            answer = None
        else:  # "frl" and "FRL" both known: the one written most like the value
            answer = max(written, key=lambda w: difflib.SequenceMatcher(None, value, w).ratio())
        self._answers[value] = answer
        return answer

    def hint(self, value: str) -> str:
        """`` (did you mean "X"?)`` when there is a suggestion, else ``""``."""
        answer = self.match(value)
        return f' (did you mean "{shown(answer)}"?)' if answer is not None else ""


def sort_by_id(columns: dict[str, object], key: str, lines: np.ndarray):
    """The columns and line numbers in the order of the ``key`` column (one file's IDs)."""
    order = np.argsort(np.asarray(columns[key], dtype=object), kind="stable")
    out = {}
    for name, values in columns.items():
        out[name] = (
            [values[i] for i in order] if isinstance(values, list) else np.asarray(values)[order]
        )
    return out, lines[order]


def read_optional_count(table: Table, column: str, log: ProblemLog, default: np.ndarray):
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


def read_optional_bool(table: Table, column: str, log: ProblemLog) -> np.ndarray:
    """true/false (also yes/no, 1/0, any case); blank is true."""
    codes, distinct = table.distinct(column)
    text = pd.Series(distinct, dtype=object).str.lower()
    false = text.isin(FALSE_WORDS).to_numpy(dtype=bool)[codes]
    bad = ~(text.isin(TRUE_WORDS) | text.isin(FALSE_WORDS) | (text == "")).to_numpy(dtype=bool)
    bad = bad[codes]
    cells = table.column(column)
    log.add_rows(table, bad, column, lambda r: f'"{shown(cells[r])}" is not true or false')
    return ~false


def read_coordinates(table: Table, log: ProblemLog) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude in decimal degrees; NaN where not given."""
    values = {}
    for column, limit in (("latitude", 90.0), ("longitude", 180.0)):
        text = table.column(column)
        codes, distinct = table.distinct(column)
        number = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce").to_numpy(
            dtype=np.float64, copy=True
        )[codes]
        given = (distinct != "")[codes]
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
