"""Reading the office's CSV files into tables of clean strings, with every problem found.

Offices prepare their files in Excel and Google Sheets, so a file may start with a
byte-order mark, end lines with CRLF, carry trailing blank lines or spaces around cells.
All of that reads correctly. So do, each with one warning, files separated by
semicolons or tabs, header names written as people write them (``Applicant ID``), the
office's own extra columns (left out) and wide lists of choices (``choice_1``, ...,
see ``wide_choices.py``). What cannot be read (wrong encoding, broken quoting, missing
columns, a column that looks like a misspelt one of ours) becomes a
:class:`~lottery.errors.Problem` that points at the file, line and column.

A plain grid (no quotes, every line with the header's number of cells) goes through
Arrow's compiled CSV parser (pyarrow); anything else goes through the standard ``csv``
module, which knows on which line each record starts (a quoted cell may span lines) and
names every malformed row.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.csv

from lottery.errors import InputError, Problem, shown
from lottery.io.wide_choices import LONG_COLUMNS, choice_number, lengthen

EXAMPLES_PER_CHECK = 50
"""At most this many rows are listed for one kind of problem in one column."""

MAX_PROBLEMS_SHOWN = 200

FREE_TEXT_COLUMNS = frozenset(
    ("first_name", "last_name", "guardian_name", "address", "school_name", "sector", "note")
)
"""Columns of free text, where a quoted cell may hold a line break (an address on two lines)."""

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
"""Characters refused in every cell: C0 and C1 controls (NUL, escape, ...) and the Unicode
line and paragraph separators. They are invisible in a spreadsheet, and printed raw they
would garble messages, letters and terminals. Tab is allowed (it prints as a space); line
breaks only in ``FREE_TEXT_COLUMNS``."""

LINE_BREAKS = re.compile("[\n\r]")
UTF8_BOM = "\ufeff".encode()
# The characters str.strip() removes beyond the ASCII ones (no-break, narrow, ideographic
# spaces ...): a file without them and without quotes needs stripping only at the markers
# _may_have_padding looks for.
UNUSUAL_SPACES = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")

DELIMITER_NAMES = {
    ",": "commas",
    ";": "semicolons (;), as Excel saves CSV in some countries",
    "\t": "tabs",
}
"""The characters that may separate cells, and how a warning names them."""
STRAY = {",": "comma", ";": "semicolon", "\t": "tab"}

_SEPARATORS = re.compile(r"[\s_-]+")
"""What people write between the words of a column name: ``Applicant ID`` is applicant_id."""
LOOKS_LIKE_OURS = 0.8
"""difflib similarity from which an unknown column is taken for a misspelt one of ours
(``sibling_school_id``); below it a column is the office's own (``case_worker``)."""


UNKNOWN_CODES = "unknown_codes"
"""Kind of notice: a code that refers to something no file defines (a zone no program
serves, a sibling school with no program, a tag nobody has): usually a typo that costs a
family a priority."""
IGNORED_COLUMNS = "ignored_columns"
"""Kind of notice: a column that looks like none of ours, left out of every computation."""
NOTICE_KINDS = (UNKNOWN_CODES, IGNORED_COLUMNS)


class ProblemLog:
    """Collects problems and warnings across all files, so all can be reported at once.

    A *notice* is a warning about one place in a file that the office may want to be an
    error (``lottery run --strict``, or ``[checks]`` in policy.toml): its kind (one of
    ``NOTICE_KINDS``) is in ``strict``, it is logged as a problem instead.
    """

    def __init__(
        self, strict: frozenset[str] | set[str] = frozenset(), notices: bool = True
    ) -> None:
        self.problems: list[Problem] = []
        self.total = 0
        self.warnings: list[str] = []
        self.strict = frozenset(strict)
        self.notices = notices  # False: notices are left out, whatever ``strict`` says
        self._notices: dict[tuple[str, str, str | None], int] = {}

    def notice(
        self, kind: str, file: str, line: int | None, column: str | None, message: str
    ) -> None:
        """A warning at ``file:line: column`` (a problem when ``kind`` is strict).

        At most ``EXAMPLES_PER_CHECK`` warnings are kept per kind, file and column; the
        rest are counted in one closing warning (see :meth:`finish_notices`).
        """
        if not self.notices:
            return
        if kind in self.strict:
            self.add(file, line, column, message)
            return
        key = (kind, file, column)
        seen = self._notices.get(key, 0)
        self._notices[key] = seen + 1
        if seen < EXAMPLES_PER_CHECK:
            self.warnings.append(Problem(file, line, column, message).render())

    def notice_rows(
        self,
        kind: str,
        table: Table,
        mask: np.ndarray,
        column: str | None,
        message: str | Callable[[int], str],
    ) -> None:
        """One notice per row where ``mask`` holds; ``message`` may depend on the row."""
        if not self.notices:
            return
        if kind in self.strict:
            self.add_rows(table, mask, column, message)
            return
        rows = table.rows_to_report(mask, column)
        text = message if callable(message) else (lambda _row: message)
        key = (kind, table.name, column)
        seen = self._notices.get(key, 0)
        self._notices[key] = seen + len(rows)
        for row in rows[: max(EXAMPLES_PER_CHECK - seen, 0)].tolist():
            place = table.column_in_file(row, column)
            problem = Problem(table.name, int(table.lines[row]), place, text(row))
            self.warnings.append(problem.render())

    def finish_notices(self) -> None:
        """Count the notices beyond those shown, one warning per kind, file and column."""
        for (_kind, file, column), count in sorted(
            self._notices.items(), key=lambda item: (item[0][1], item[0][2] or "", item[0][0])
        ):
            if count > EXAMPLES_PER_CHECK:
                place = f"{file}: {column}" if column else file
                self.warnings.append(
                    f"{place}: ... and {count - EXAMPLES_PER_CHECK} more warnings like these"
                )
        self._notices.clear()

    def add(self, file: str, line: int | None, column: str | None, message: str) -> None:
        self.total += 1
        self.problems.append(Problem(file, line, column, message))

    def add_rows(
        self,
        table: Table,
        mask: np.ndarray,
        column: str | None,
        message: str | Callable[[int], str],
    ) -> None:
        """Add one problem per row where ``mask`` holds; ``message`` may depend on the row."""
        rows = table.rows_to_report(mask, column)
        text = message if callable(message) else (lambda _row: message)
        if column in table.cell_columns:  # a wide list of choices: name each cell's column
            self.total += len(rows)
            for row in rows[:EXAMPLES_PER_CHECK].tolist():
                place = table.column_in_file(row, column)
                self.problems.append(Problem(table.name, int(table.lines[row]), place, text(row)))
            return
        self.add_each(table.name, table.lines[rows], column, lambda i: text(int(rows[i])))

    def add_each(
        self, file: str, lines: np.ndarray, column: str | None, message: Callable[[int], str]
    ) -> None:
        """One problem per entry of ``lines`` (``message(i)`` words the i-th); lists a few."""
        self.total += len(lines)
        for i, line in enumerate(lines[:EXAMPLES_PER_CHECK].tolist()):
            self.problems.append(Problem(file, int(line), column, message(i)))

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def raise_if_any(self) -> None:
        if self.total:
            shown = sorted(self.problems, key=Problem.sort_key)[:MAX_PROBLEMS_SHOWN]
            raise InputError(shown, self.total)


@dataclass(frozen=True)
class Table:
    """One CSV file as stripped strings: every expected column present ('' when blank).

    ``lines`` is the file line of each row. A wide list of choices (see
    ``lottery/io/wide_choices.py``) gives several rows per file line; ``cell_columns`` then
    names, for ``rank`` and ``program_id``, the file's column each row's cell came from.
    """

    name: str
    frame: pd.DataFrame
    lines: np.ndarray
    sha256: str
    cell_columns: Mapping[str, np.ndarray] = field(default_factory=dict)
    encodings: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frame)

    def distinct(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The column as ``(codes, values)``: its distinct values, and for each row the
        position of its cell among them (``values[codes]`` is the column).

        A check that looks at each distinct value once (a program ID among millions of
        choices) runs at the speed of the few thousand programs, not of the choices.
        """
        if name not in self.encodings:
            codes, values = pd.factorize(self.column(name))
            self.encodings[name] = (codes, np.asarray(values, dtype=object))
        return self.encodings[name]

    def per_distinct(self, name: str, function: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``function`` (from an array of cells to an array of results) applied to the
        column's distinct values once, and given back for every row."""
        codes, values = self.distinct(name)
        return np.asarray(function(values))[codes]

    def column(self, name: str) -> np.ndarray:
        """The column as a numpy array of Python strings."""
        return self.frame[name].to_numpy(dtype=object)

    def column_in_file(self, row: int, column: str | None) -> str | None:
        """The name of the file's column where the cell of ``column`` in ``row`` is written."""
        return str(self.cell_columns[column][row]) if column in self.cell_columns else column

    def rows_to_report(self, mask: np.ndarray, column: str | None) -> np.ndarray:
        """The rows where ``mask`` holds, but one per file line for a column that a wide
        file repeats on each row of a line (a blank applicant_id is one problem, not one
        per choice)."""
        rows = np.flatnonzero(mask)
        if self.cell_columns and column not in self.cell_columns and len(rows):
            lines = self.lines[rows]
            rows = rows[np.r_[True, lines[1:] != lines[:-1]]]
        return rows


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(
    source: Path | bytes,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    log: ProblemLog,
    name: str | None = None,
) -> Table | None:
    """Read one CSV file, from its path or its contents; return ``None`` (with problems
    logged) if it cannot be used. Problems name the file ``name`` (by default the path's
    file name, so contents need a name)."""
    if isinstance(source, bytes):
        if name is None:
            raise TypeError("read_table needs the file's name with its contents")
        raw = source
    else:
        name = name or source.name
        try:
            raw = source.read_bytes()
        except OSError as error:
            reason = error.strerror or error
            message = f"the file cannot be opened ({reason}); is it open elsewhere?"
            log.add(name, None, None, message)
            return None
    text = _decode(raw, name, log)
    if text is None:
        return None
    if not text.strip():
        log.add(name, None, None, "the file is empty; it needs a header row and data rows")
        return None
    delimiter = detect_delimiter(header_line(text), required + optional)
    if delimiter != ",":
        log.warn(f"{name}: read as separated by {DELIMITER_NAMES[delimiter]}")
    parsed = _parse(text, raw, name, log, delimiter)
    if parsed is None:
        return None
    header, rows, lines = parsed
    layout = _check_header(header, required, optional, name, log)
    if layout is None:
        return None
    frame, encodings = _frame(rows, layout)
    lines = np.asarray(lines, dtype=np.int64)
    sha256 = hashlib.sha256(raw).hexdigest()
    # Before stripping: str.strip() would quietly drop some control characters (U+001F,
    # U+2028, ...) at the edges of a cell, but only in files that get stripped at all.
    for column in _refuse_control_characters(Table(name, frame, lines, sha256), text, raw, log):
        encodings.pop(column, None)
    if _may_have_padding(text, raw, delimiter):
        for column in frame.columns:
            if column in encodings:
                encodings[column] = _stripped(*encodings[column])
                codes, values = encodings[column]
                frame[column] = values[codes]
            else:
                frame[column] = frame[column].str.strip()
    blank = _blank_rows(frame, encodings)
    _check_unnamed_columns_are_empty(rows, header, lines, name, log)
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
        encodings = {
            column: (codes[~blank], values) for column, (codes, values) in encodings.items()
        }
    if not layout.choices:
        return Table(name, frame, lines[~blank], sha256, encodings=encodings)
    choice_columns = [written for written, _position in layout.choices]
    frame, lines, cell_columns = lengthen(name, frame, lines[~blank], choice_columns, log)
    return Table(name, frame, lines, sha256, cell_columns)


def _refuse_control_characters(table: Table, text: str, raw: bytes, log: ProblemLog) -> list[str]:
    """Report every cell with a control character (or a line break outside free text);
    return the columns of those cells.

    Such a cell is kept as ``errors.shown`` writes it (``A\\x001``), so that the other
    checks that quote it print one readable line; the file has a problem anyway, so
    nothing runs on it.
    """
    changed: list[str] = []
    unprintable = _has_control_characters(raw) and CONTROL_CHARACTERS.search(text) is not None
    if not unprintable and '"' not in text:
        return changed  # the common case: no control character, and no quoted line break
    for column in table.frame.columns:
        pattern = CONTROL_CHARACTERS
        if column not in FREE_TEXT_COLUMNS:
            pattern = re.compile(f"{CONTROL_CHARACTERS.pattern}|{LINE_BREAKS.pattern}")
        elif not unprintable:
            continue
        values = table.frame[column]
        bad = values.str.contains(pattern, regex=True).to_numpy(dtype=bool)
        if not bad.any():
            continue
        cells = values.to_numpy(dtype=object)

        def message(row: int, cells=cells, pattern=pattern) -> str:
            character = pattern.search(cells[row]).group()
            if LINE_BREAKS.fullmatch(character):
                return (
                    f"contains a line break ({shown(character)}); only names, addresses and "
                    "notes may hold line breaks"
                )
            return (
                f"contains a control character ({shown(character)}), which cannot be "
                "printed; delete it (it often comes with text copied from another program)"
            )

        log.add_rows(table, bad, column, message)
        table.frame.loc[bad, column] = [shown(value) for value in cells[bad].tolist()]
        changed.append(column)
    return changed


def _stripped(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An encoded column (see :meth:`Table.distinct`) with its values stripped of spaces,
    and those that became equal merged."""
    merged, distinct = pd.factorize(np.array([value.strip() for value in values], dtype=object))
    return merged[codes], np.asarray(distinct, dtype=object)


def _may_have_padding(text: str, raw: bytes, delimiter: str) -> bool:
    """Whether any cell might start or end with spaces (stripping a million cells costs seconds)."""
    if not text.isascii() and ('"' in text or _has_unusual_spaces(raw, text)):
        return True  # a quoted cell may end in a line break; an unusual space anywhere: strip
    # A tab inside a cell is padding to strip; in a tab-separated file tabs separate the
    # cells, and a cell can hold one only between quotes.
    tab_in_cells = "\t" in text and (delimiter != "\t" or '"' in text)
    if " " not in text and not tab_in_cells:
        return False
    return (
        tab_in_cells
        or _space_beside_a_cell_edge(raw, delimiter)
        or text.startswith(" ")
        or text.endswith(" ")
    )


def _space_beside_a_cell_edge(raw: bytes, delimiter: str) -> bool:
    """Whether a space in the bytes touches a separator, a line end or a quote (one of
    ``" ,"``, ``", "``, ``" \\n"``, ``" \\r"``, ``"\\n "``, ``'" '``, ``' "'``): every space
    is looked at once, instead of searching the file for each pair."""
    data = np.frombuffer(raw, dtype=np.uint8)
    spaces = np.flatnonzero(data == ord(" "))
    if not len(spaces):
        return False
    separator, quote = ord(delimiter), ord('"')
    before = data[spaces[spaces > 0] - 1]
    after = data[spaces[spaces < len(data) - 1] + 1]
    return bool(
        np.isin(before, [separator, ord("\n"), quote]).any()
        or np.isin(after, [separator, ord("\n"), ord("\r"), quote]).any()
    )


_NOT_C0_CONTROLS = bytes(
    byte for byte in range(256) if not (byte < 32 or byte == 127) or chr(byte) in "\t\n\r"
)
_C1_CONTROLS = re.compile(b"\xc2[\x80-\x9f]")
_UNUSUAL_SPACES_LEAD = (
    b"\xc2\x85",
    b"\xc2\xa0",
    b"\xe1\x9a\x80",
    b"\xe2\x80",
    b"\xe2\x81\x9f",
    b"\xe3\x80\x80",
)


def _has_control_characters(raw: bytes) -> bool:
    """Whether the UTF-8 bytes may hold one of ``CONTROL_CHARACTERS``: a fast look at the
    bytes (a C0 control or DEL is one byte, a C1 control two, U+2028 and U+2029 three)
    before the slower search of the text."""
    return bool(
        raw.translate(None, delete=_NOT_C0_CONTROLS)
        or (b"\xc2" in raw and _C1_CONTROLS.search(raw))
        or b"\xe2\x80\xa8" in raw
        or b"\xe2\x80\xa9" in raw
    )


def _has_unusual_spaces(raw: bytes, text: str) -> bool:
    """Whether the text holds one of ``UNUSUAL_SPACES``; their UTF-8 bytes are looked for
    first (a name with a curly apostrophe, U+2019, sends it to the search of the text)."""
    if not any(lead in raw for lead in _UNUSUAL_SPACES_LEAD):
        return False
    return UNUSUAL_SPACES.search(text) is not None


def _blank_rows(frame: pd.DataFrame, encodings: Mapping) -> np.ndarray:
    """Rows whose every cell is blank (trailing empty lines, rows of only commas)."""
    if not len(frame.columns):
        return np.ones(len(frame), dtype=bool)
    first = frame.columns[0]
    if first in encodings:
        codes, values = encodings[first]
        blank = (values == "")[codes]
    else:
        blank = (frame.iloc[:, 0] == "").to_numpy(copy=True)
    if blank.any():  # only rows with a blank first cell can be blank: check those alone
        blank[blank] = (frame.loc[blank] == "").all(axis=1).to_numpy()
    return blank


def _check_unnamed_columns_are_empty(rows, header, lines, name, log) -> None:
    """Spreadsheets often save an empty column with no name: ignore it unless it has values."""
    for position, column in enumerate(header):
        if column.strip().lstrip("\ufeff"):
            continue
        values = _cells(rows, position).str.strip().to_numpy(dtype=object)
        filled = np.flatnonzero(values != "")
        if len(filled):
            log.add(
                name,
                int(lines[filled[0]]),
                None,
                f"column {position + 1} has no name in the header row but has values "
                f'(such as "{shown(values[filled[0]])}"); give it a name or delete it',
            )


def _decode(raw: bytes, name: str, log: ProblemLog) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    bad = 0
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            bad += 1
            if bad <= EXAMPLES_PER_CHECK:
                byte = line[error.start : error.start + 1].hex().upper()
                log.add(
                    name,
                    number,
                    None,
                    f"this line is not UTF-8 text (byte 0x{byte} at position {error.start + 1}); "
                    'save the file as "CSV UTF-8"',
                )
            else:
                log.total += 1
    return None


def column_key(name: str) -> str:
    """A header cell as it is matched to one of our column names: without case, the spaces
    around it and a byte-order mark, and with spaces or hyphens between words read as
    underscores (``Applicant ID`` is ``applicant_id``).

    The one place that says how a header names a column: the readers here, the audit
    bundle's redaction and the audit's checks all match columns with it.
    """
    return _SEPARATORS.sub("_", name.strip().lstrip("\ufeff").lower())


def header_line(text: str) -> str:
    """The first line of a file's text (its header row), without the line end."""
    end = text.find("\n")
    header = text if end < 0 else text[:end]  # not split(): that would copy the whole file
    return header.rstrip("\r")


def detect_delimiter(header: str, expected: Iterable[str]) -> str:
    """The character that separates cells, found in the ``header`` row of a file whose
    columns are ``expected``: a comma, or a semicolon or tab in a header with no comma,
    or where that character (and not the comma) splits the header into names of ours.
    A header with no semicolon or tab is always read as comma separated.

    Every reader of the office's files (and the audit bundle, which rewrites
    applicants.csv) finds the separator here, so all of them read a file the same way.
    """
    found = [other for other in DELIMITER_NAMES if other != "," and other in header]
    if not found:
        return ","
    expected = tuple(expected)

    def ours(delimiter: str) -> int:
        try:
            names = next(csv.reader([header], delimiter=delimiter))
        except (csv.Error, StopIteration):
            return 0
        return sum(_known_column(cell, expected) for cell in names)

    best = max(found, key=ours)
    if "," not in header or (ours(best) >= 2 and ours(",") == 0):
        return best
    return ","


def _known_column(cell: str, expected: tuple[str, ...]) -> bool:
    """Whether a header cell names one of the ``expected`` columns (or a choice column)."""
    key = cell.strip().lstrip("\ufeff").lower()
    if key in expected or column_key(key) in expected:
        return True
    return set(LONG_COLUMNS) <= set(expected) and choice_number(key) is not None


def _parse(text: str, raw: bytes, name: str, log: ProblemLog, delimiter: str = ","):
    """Split into header, rows (columns by position) and the line each row starts on."""
    if _is_plain_grid(text, raw, delimiter):
        body = raw.removeprefix(UTF8_BOM).rstrip(b"\r\n")
        header = next(csv.reader([header_line(text)], delimiter=delimiter))
        try:
            grid = pyarrow.csv.read_csv(
                pyarrow.BufferReader(body),
                read_options=pyarrow.csv.ReadOptions(
                    skip_rows=1, column_names=[str(position) for position in range(len(header))]
                ),
                parse_options=pyarrow.csv.ParseOptions(
                    delimiter=delimiter, quote_char=False, ignore_empty_lines=False
                ),
                convert_options=pyarrow.csv.ConvertOptions(
                    column_types=dict.fromkeys(map(str, range(len(header))), pyarrow.string()),
                    strings_can_be_null=False,
                ),
            )
        except pyarrow.ArrowInvalid:
            pass  # not as plain as it looked: the csv module names each bad row
        else:
            rows = ArrowColumns(grid)
            return header, rows, np.arange(len(rows), dtype=np.int64) + 2
    return _parse_with_csv_module(text, name, log, delimiter)


class ArrowColumns:
    """The cells of a plain grid as Arrow parsed them, turned into Python strings one
    column at a time, and only for the columns that are read (an office's own extra
    columns are left as Arrow bytes).

    Each distinct text becomes one Python string, shared by every cell that holds it: a
    million choices name a few thousand programs, so this makes a few thousand strings
    instead of a million, and the checks that hash cells find most of them identical.
    """

    def __init__(self, grid: pyarrow.Table):
        self._grid = grid
        self._encoded: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return self._grid.num_rows

    def __getitem__(self, position: int) -> pd.Series:
        codes, values = self.encoded(position)
        return pd.Series(values[codes], dtype=object)

    def encoded(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        """The column as ``(codes, values)``, as :meth:`Table.distinct` gives it."""
        if position not in self._encoded:
            encoded = self._grid.column(position).combine_chunks().dictionary_encode()
            values = encoded.dictionary.to_numpy(zero_copy_only=False)
            self._encoded[position] = (encoded.indices.to_numpy().astype(np.intp), values)
        return self._encoded[position]


def _is_plain_grid(text: str, raw: bytes, delimiter: str = ",") -> bool:
    """No quotes, only LF or CRLF line ends, and more than one column.

    Such a file (the usual machine-written export) is safe for Arrow's fast parser, with
    row i on line i + 2, if Arrow finds the header's number of cells on every line; a line
    with more or fewer (a blank line inside the file too) sends it to the csv module.
    """
    if b'"' in raw or (b"\r" in raw and raw.count(b"\r") != raw.count(b"\r\n")):
        return False
    return delimiter in header_line(text)


def _parse_with_csv_module(text: str, name: str, log: ProblemLog, delimiter: str = ","):
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    next_line = 1
    ok = True
    try:
        for record in reader:
            start, next_line = next_line, reader.line_num + 1
            if header is None:
                header = record
                continue
            if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
                log.add(
                    name,
                    start,
                    None,
                    f"this row has {len(record)} cells but the header has {len(header)} columns "
                    f"(a stray {STRAY[delimiter]}, or a cell that needs quotes?)",
                )
                ok = False
            rows.append(record[: len(header)] + [""] * (len(header) - len(record)))
            lines.append(start)
    except csv.Error as error:
        # Point at the line where the unreadable record starts: a quote that is never
        # closed is only noticed at the end of the file.
        if "unexpected end of data" in str(error):
            message = 'a quoted cell starts on this line but is never closed (a missing ")'
        else:
            message = f"the CSV cannot be read here: {error}"
        log.add(name, next_line, None, message)
        return None
    if header is None or not ok:
        return None
    frame = pd.DataFrame(rows, columns=range(len(header)), dtype=object)
    return header, frame, np.asarray(lines, dtype=np.int64)


@dataclass(frozen=True)
class Layout:
    """How the header row is read: the table's ``columns``, the ``positions`` of those
    present and, for a wide list of choices, ``choices`` (each column as written, and its
    position) in rank order."""

    columns: tuple[str, ...]
    positions: dict[str, int]
    choices: tuple[tuple[str, int], ...] = ()


def _check_header(header, required, optional, name, log) -> Layout | None:
    """Find each known column in the header row; log unknown, missing, repeated columns.

    A name is ours in any case, with spaces around it, and with spaces or hyphens for
    underscores (``Applicant ID``; these last are listed in one warning). A column that
    looks like one of ours (see :func:`_looks_like_ours`) is an error: ignoring a
    misspelt ``sibling_school_ids`` would silently drop a priority. Any other column is
    left out and reported as ignored (a notice, an error with ``--strict``).
    """
    expected = required + optional
    positions: dict[str, int] = {}
    renamed: list[str] = []
    choices: list[tuple[int, str, str, int]] = []
    unknown: list[tuple[str, str, bool]] = []  # as compared, as written, damaged
    usable = True
    for position, raw_name in enumerate(header):
        key = shown(raw_name.strip().lstrip("\ufeff").lower())
        written = shown(raw_name.strip())
        if not key:
            continue  # checked against its cells in _check_unnamed_columns_are_empty
        column = key if key in expected else column_key(key)
        if column not in expected:
            number = choice_number(key)
            if number is not None:
                choices.append((number, key, written, position))
            else:
                unknown.append((key, written, CONTROL_CHARACTERS.search(raw_name) is not None))
        elif column in positions:
            log.add(name, 1, column, "this column appears twice in the header row")
            usable = False
        else:
            positions[column] = position
            if column != key:
                renamed.append(f'"{written}" is {column}')
    wide = (
        bool(choices)
        and set(LONG_COLUMNS) <= set(expected)
        and positions.keys().isdisjoint(LONG_COLUMNS)
    )
    if not wide:
        unknown += [(key, written, False) for _number, key, written, _position in choices]
        choices = []
    missing = [
        column
        for column in expected
        if column not in positions and not (wide and column in LONG_COLUMNS)
    ]
    for key, written, damaged in unknown:
        meant = _looks_like_ours(key, expected, missing)
        # A control character in a header name (shown escaped) is damage, not a column
        # of the office's: say so rather than ignore what may be one of ours.
        if meant is not None or damaged:
            close = difflib.get_close_matches(key, sorted(missing), n=1) or [meant]
            hint = f'did you mean "{close[0]}"? ' if close[0] in missing else ""
            log.add(
                name,
                1,
                key,
                f'unknown column "{written}" ({hint}expected: {", ".join(expected)})',
            )
        else:
            log.notice(IGNORED_COLUMNS, name, 1, written, _ignored(log))
    for column in required:
        if column not in positions and not (wide and column in LONG_COLUMNS):
            log.add(name, 1, column, "required column is missing from the header row")
            usable = False
    if renamed:
        log.warn(f"{name}: column names read as ours: {', '.join(renamed)}")
    if wide:
        usable &= _check_choice_columns(choices, name, log)
    if not usable:
        return None
    columns = tuple(c for c in expected if not (wide and c in LONG_COLUMNS))
    ordered = tuple((written, position) for _number, _key, written, position in sorted(choices))
    return Layout(columns, positions, ordered)


def _ignored(log: ProblemLog) -> str:
    """What an ignored column's notice says, as a warning or as an error."""
    if IGNORED_COLUMNS in log.strict:
        return "not a column the lottery reads; delete it (this check refuses extra columns)"
    return "not a column the lottery reads; it is ignored"


def _looks_like_ours(key: str, expected: tuple[str, ...], missing: list[str]) -> str | None:
    """The column of ours an unknown header name probably is, misspelt (or None).

    Names are compared without case, spaces, hyphens and underscores. A name is ours
    when it is the same as one of ours (``ApplicantID``), or close to one of ours that the
    header lacks: similar (``sibling_school_id``), or the start of it or starting with it
    (``sibling``, ``zones_served``). A similar name beside the column itself is an
    extra column of the office's (``school_name_2`` beside ``school_name``).
    """
    squeezed = _SEPARATORS.sub("", key)
    for column in expected:
        if _SEPARATORS.sub("", column) == squeezed:
            return column
    similar = {_SEPARATORS.sub("", column): column for column in missing}
    for ours, column in similar.items():
        shorter = min(len(ours), len(squeezed))
        if shorter >= 4 and (ours.startswith(squeezed) or squeezed.startswith(ours)):
            return column
    close = difflib.get_close_matches(squeezed, list(similar), n=1, cutoff=LOOKS_LIKE_OURS)
    return similar[close[0]] if close else None


def _check_choice_columns(choices: list[tuple[int, str, str, int]], name, log) -> bool:
    """The choice columns of a wide list: each rank once, numbered 1, 2, 3, ... (one
    warning says how the file is read)."""
    usable = True
    numbers: dict[int, str] = {}
    for number, _key, written, _position in choices:
        if number in numbers:
            log.add(name, 1, written, "this column appears twice in the header row")
            usable = False
        numbers.setdefault(number, written)
    for number in range(1, max(numbers) + 1):
        if number not in numbers:
            log.add(
                name,
                1,
                f"choice_{number}",
                "this column is missing from the header row: the choice columns must be "
                "numbered 1, 2, 3, ... without gaps",
            )
            usable = False
    first, last = numbers[min(numbers)], numbers[max(numbers)]
    log.warn(
        f"{name}: read as a wide list of choices, one row per applicant: {first} is rank 1, "
        f"and so on up to {last} (see the choices.csv section of docs/file-formats.md)"
    )
    return usable


def _cells(rows, position: int) -> pd.Series:
    if isinstance(rows, ArrowColumns):
        return rows[position]  # Python strings already, and never missing
    return rows[position].fillna("").astype(object)


def _frame(rows, layout: Layout) -> tuple[pd.DataFrame, dict]:
    """The known columns and a wide list's choice columns; absent optional ones as blank.
    With them, the columns' encodings (see :meth:`Table.distinct`) where Arrow made them."""
    data = {}
    encodings = {}
    for column in layout.columns:
        if column in layout.positions:
            data[column] = _cells(rows, layout.positions[column])
            if isinstance(rows, ArrowColumns):
                encodings[column] = rows.encoded(layout.positions[column])
        else:
            data[column] = pd.Series([""] * len(rows), dtype=object)
    for written, position in layout.choices:
        data[written] = _cells(rows, position)
    return pd.DataFrame(data), encodings


# ------------------------------------------------------------- free text in output files

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""How a cell starts when Excel or Google Sheets would run it as a formula (OWASP)."""


def spreadsheet_safe(text: str) -> str:
    """``text`` as written into a free-text cell of an output CSV file (a school name, a
    sector): with a ``'`` in front when it starts like a formula (see ``FORMULA_STARTS``),
    so that a spreadsheet shows it as text instead of running it ("CSV injection"; this is
    OWASP's advice). Every other text is written as it is.

    Text that already starts with ``'`` before such a character gets one more, so that
    :func:`original_text` always gives back exactly what the office wrote.
    """
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def original_text(cell: str) -> str:
    """The text a free-text cell of an output CSV file stands for: the inverse of
    :func:`spreadsheet_safe`, for showing the cell to people (letters, reports)."""
    if cell.startswith("'") and cell[1:].lstrip("'").startswith(FORMULA_STARTS):
        return cell[1:]
    return cell
