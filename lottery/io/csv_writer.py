"""The output tables as CSV text: the bytes ``DataFrame.to_csv`` writes, in a fraction
of its time.

The bytes of every output file are a promise to auditors (``tests/golden``): the format
is pandas' ``to_csv(index=False, lineterminator="\\n")`` with its defaults (comma,
minimal quoting with ``"``, a missing value as an empty cell), and this module writes
exactly that. pandas formats each cell through Python objects chunk by chunk; here
each column is turned into strings once (a categorical column formats only its
categories), quoting is looked for only in text columns, and rows are joined by
``str.join``. A column of a kind not listed in :func:`_column_cells` (a float, say)
sends the whole table back to pandas, so no output can be written differently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pandas as pd

NEEDS_QUOTES = re.compile('[,"\n]')
"""A cell with one of these is quoted, as the csv module's QUOTE_MINIMAL does with the
line terminator ``\\n`` (a lone ``\\r`` is not quoted)."""
ROWS_PER_CHUNK = 200_000
"""Rows formatted at a time: the text of a few million rows is never held at once."""


class NotPlain(Exception):
    """A column this module does not format; pandas writes the table."""


def csv_chunks(table: pd.DataFrame) -> Iterator[str]:
    """The CSV text of ``table`` in pieces, header first; raises :class:`NotPlain` (before
    yielding anything) for a column it cannot format exactly as pandas would."""
    columns = [_column_cells(table[name]) for name in table.columns]
    yield ",".join(_quoted(str(name)) for name in table.columns) + "\n"
    for start in range(0, len(table), ROWS_PER_CHUNK):
        part = [column[start : start + ROWS_PER_CHUNK] for column in columns]
        if len(part) == 1:
            # The csv module quotes a row that is one empty cell, so that it is no blank line.
            yield "".join((cell or '""') + "\n" for cell in part[0])
        else:
            yield "\n".join(map(",".join, zip(*part, strict=True))) + "\n"


def _column_cells(column: pd.Series) -> list[str]:
    """Every cell of ``column`` as the text pandas writes for it."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        # (a column of missing values only has no categories, of dtype float)
        categories = _column_cells(pd.Series(dtype.categories)) if len(dtype.categories) else []
        lookup = np.array([*categories, ""], dtype=object)
        codes = column.cat.codes.to_numpy()
        return lookup[np.where(codes < 0, len(categories), codes)].tolist()
    if dtype.kind in "iu" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return _whole_numbers(column.to_numpy(), None)
    if isinstance(dtype, pd.Int64Dtype):
        return _whole_numbers(column.to_numpy(dtype=np.int64, na_value=0), column.isna().to_numpy())
    if dtype == np.dtype(object) or isinstance(dtype, pd.StringDtype):
        values = column.to_numpy(dtype=object).tolist()
        if not all(type(value) is str for value in values):
            values = [_object_cell(value) for value in values]
        if any(NEEDS_QUOTES.search(value) for value in set(values)):
            values = [_quoted(value) for value in values]
        return values
    raise NotPlain(f"column {column.name!r} of dtype {dtype}")


def _whole_numbers(values: np.ndarray, missing: np.ndarray | None) -> list[str]:
    """Whole numbers as text, '' where ``missing``. Ranks, positions and counts span a
    small range: each distinct text is made once and looked up."""
    if not len(values):
        return []
    low, high = int(values.min()), int(values.max())
    if high - low > max(2 * len(values), 1024):
        cells = list(map(str, values.tolist()))
        if missing is not None:
            cells = ["" if gap else cell for cell, gap in zip(cells, missing.tolist(), strict=True)]
        return cells
    lookup = np.array([*map(str, range(low, high + 1)), ""], dtype=object)
    index = values.astype(np.int64) - low
    if missing is not None:
        index = np.where(missing, high - low + 1, index)
    return lookup[index].tolist()


def _object_cell(value: object) -> str:
    """A cell of an object column: text, a whole number, or missing."""
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    raise NotPlain(f"a cell of type {type(value).__name__}")


def _quoted(text: str) -> str:
    if NEEDS_QUOTES.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'
