"""The output tables as CSV bytes: the bytes ``DataFrame.to_csv`` writes, in a fraction
of its time.

The bytes of every output file are a promise to auditors (``tests/golden``): the format
is pandas' ``to_csv(index=False, lineterminator="\\n")`` with its defaults (comma,
minimal quoting with ``"``, a missing value as an empty cell), encoded as UTF-8, and this
module writes exactly that. pandas formats each cell through Python objects chunk by
chunk; here each column becomes an Arrow array of its cells' text once (a categorical
column formats only its categories, whole numbers are formatted by Arrow), the few
cells that need quotes are quoted by Arrow, and Arrow joins the cells into rows: the
joined rows' bytes are the file's bytes. A column of a kind not listed in
:func:`_column_cells` (a float, say) sends the whole table back to pandas, so no
output can be written differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as arrow
import pyarrow.csv

NEEDS_QUOTES = re.compile('[,"\n]')
"""A cell with one of these is quoted, as the csv module's QUOTE_MINIMAL does with the
line terminator ``\\n`` (a lone ``\\r`` is not quoted)."""
ROWS_PER_CHUNK = 500_000
"""Rows joined at a time: the bytes of a few million rows are never held at once."""


class NotPlain(Exception):
    """A column this module does not format; pandas writes the table."""


def csv_chunks(table: pd.DataFrame) -> Iterator[bytes | memoryview]:
    """The CSV bytes of ``table`` in pieces, header first; raises :class:`NotPlain`
    (before yielding anything) for a column it cannot format exactly as pandas would."""
    columns = [_column_cells(table[name]) for name in table.columns]
    yield (",".join(_quoted(str(name)) for name in table.columns) + "\n").encode()
    for start in range(0, len(table), ROWS_PER_CHUNK):
        part = [cells(start, start + ROWS_PER_CHUNK) for cells in columns]
        # Arrow's own CSV writer is the fastest, but it quotes every text or none: it
        # writes the rows where no cell is quoted (most rows of most tables).
        if len(part) > 1 and not any(map(_has_structural_bytes, part)):
            yield _written_by_arrow(part)
            continue
        if len(part) == 1:
            # The csv module quotes a row that is one empty cell, so that it is no blank line.
            rows = arrow.if_else(arrow.equal(part[0], _text("")), _text('""'), part[0])
        else:
            rows = arrow.binary_join_element_wise(*part, _text(","))
        yield _text_bytes(arrow.binary_join_element_wise(rows, _text(""), _text("\n")))


def _written_by_arrow(columns: list[pyarrow.Array]) -> memoryview:
    """Rows of cells that need no quotes, as ``pyarrow.csv`` writes them."""
    sink = pyarrow.BufferOutputStream()
    pyarrow.csv.write_csv(
        pyarrow.table(columns, names=[str(position) for position in range(len(columns))]),
        sink,
        pyarrow.csv.WriteOptions(include_header=False, quoting_style="none", eol="\n"),
    )
    return memoryview(sink.getvalue())


def _has_structural_bytes(cells: pyarrow.Array) -> bool:
    """Whether a cell of a string array holds a comma, a quote or a line break (a lone
    ``\\r`` too: pandas leaves it unquoted, Arrow would refuse it)."""
    cells = cells.cast(pyarrow.large_string())
    text = _text_bytes(cells).tobytes()
    return any(byte in text for byte in (b",", b'"', b"\n", b"\r"))


def _text_bytes(cells: pyarrow.Array) -> memoryview:
    """The UTF-8 bytes of every cell of a string array, one after the other (no copy)."""
    if not len(cells):
        return memoryview(b"")
    cells = cells.cast(pyarrow.large_string())
    _validity, offsets, data = cells.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64)[cells.offset : cells.offset + len(cells) + 1]
    return memoryview(data)[ends[0] : ends[-1]]


Cells = Callable[[int, int], pyarrow.Array]
"""The text of a column's cells from row ``start`` to ``stop`` (quoted where needed):
made a chunk at a time, so that a table's text is never all held at once."""


def _column_cells(column: pd.Series) -> Cells:
    """The cells of ``column`` as the text pandas writes for them; what every chunk
    shares (a categorical's categories, a range of numbers) is formatted once here."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        # (a column of missing values only has no categories, of dtype float)
        categories = pd.Series(dtype.categories)
        known = _column_cells(categories)(0, len(categories)) if len(categories) else None
        lookup = pyarrow.concat_arrays([*([known] if known is not None else []), _texts([""])])
        codes = column.cat.codes.to_numpy()
        index = np.where(codes < 0, len(categories), codes)
        return lambda start, stop: lookup.take(pyarrow.array(index[start:stop]))
    if dtype.kind in "iu" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return _whole_numbers(column.to_numpy(), None)
    if isinstance(dtype, pd.Int64Dtype):
        return _whole_numbers(column.to_numpy(dtype=np.int64, na_value=0), column.isna().to_numpy())
    if dtype == np.dtype(object) or isinstance(dtype, pd.StringDtype):
        values = column.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=False) != "string":
            values = np.array([_object_cell(value) for value in values.tolist()], dtype=object)
        return lambda start, stop: _text_cells(values[start:stop])
    raise NotPlain(f"column {column.name!r} of dtype {dtype}")


def _text_cells(values: np.ndarray) -> pyarrow.Array:
    """Python strings as cells: quoted where they hold a comma, a quote or a line end."""
    cells = pyarrow.array(values, type=pyarrow.large_string(), from_pandas=False)
    if _has_structural_bytes(cells):
        needs_quotes = arrow.match_substring_regex(cells, NEEDS_QUOTES.pattern)
        escaped = arrow.replace_substring(cells, '"', '""')
        quoted = arrow.binary_join_element_wise(_text('"'), escaped, _text('"'), _text(""))
        cells = arrow.if_else(needs_quotes, quoted, cells)
    return cells


def _texts(values: list[str]) -> pyarrow.Array:
    return pyarrow.array(values, type=pyarrow.large_string())


def _whole_numbers(values: np.ndarray, missing: np.ndarray | None) -> Cells:
    """Whole numbers as text, '' where ``missing``. Ranks, positions and counts span a
    small range: each distinct text is made once and looked up."""
    low, high = (int(values.min()), int(values.max())) if len(values) else (0, 0)
    if high - low > max(2 * len(values), 1024):

        def cells(start: int, stop: int) -> pyarrow.Array:
            text = pyarrow.array(values[start:stop]).cast(pyarrow.large_string())
            if missing is None:
                return text
            return arrow.if_else(pyarrow.array(missing[start:stop]), _text(""), text)

        return cells
    lookup = pyarrow.concat_arrays(
        [
            pyarrow.array(np.arange(low, high + 1, dtype=np.int64)).cast(pyarrow.large_string()),
            _texts([""]),
        ]
    )
    index = values.astype(np.int64) - low
    if missing is not None:
        index = np.where(missing, high - low + 1, index)
    return lambda start, stop: lookup.take(pyarrow.array(index[start:stop]))


def _object_cell(value: object) -> str:
    """A cell of an object column: text, a whole number, or missing."""
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    raise NotPlain(f"a cell of type {type(value).__name__}")


def _text(text: str) -> pyarrow.Scalar:
    """``text`` as an Arrow scalar of the cells' type."""
    return pyarrow.scalar(text, type=pyarrow.large_string())


def _quoted(text: str) -> str:
    if NEEDS_QUOTES.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'
