"""The fast CSV writer writes exactly the bytes of pandas' ``to_csv`` (output bytes are a
promise to auditors), for every kind of column the output tables use; any other kind
goes back to pandas."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lottery.io.csv_writer import NotPlain, csv_chunks
from lottery.io.writers import write_csv

TEXT = st.text(alphabet=st.sampled_from(list("ab ,\"\n\r'=é-1")), max_size=6)


def pandas_text(table: pd.DataFrame) -> str:
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


@st.composite
def tables(draw) -> pd.DataFrame:
    rows = draw(st.integers(0, 12))
    kinds = draw(
        st.lists(
            st.sampled_from(["int", "Int64", "category", "str", "object"]), min_size=1, max_size=5
        )
    )
    data = {}
    for i, kind in enumerate(kinds):
        name = draw(TEXT.filter(lambda t: t not in data)) if i else f"c{i}"
        if kind == "int":
            values = draw(st.lists(st.integers(-(2**40), 2**40), min_size=rows, max_size=rows))
            data[name] = pd.Series(values, dtype=np.int64)
        elif kind == "Int64":
            values = draw(
                st.lists(st.none() | st.integers(-50, 10**6), min_size=rows, max_size=rows)
            )
            data[name] = pd.array(values, dtype="Int64")
        elif kind == "category":
            values = draw(st.lists(st.none() | TEXT, min_size=rows, max_size=rows))
            data[name] = pd.Categorical(values)
        elif kind == "str":
            data[name] = pd.Series(draw(st.lists(TEXT, min_size=rows, max_size=rows)), dtype=str)
        else:
            cell = st.none() | TEXT | st.integers(0, 2**64 - 1)
            data[name] = pd.Series(draw(st.lists(cell, min_size=rows, max_size=rows)), dtype=object)
    return pd.DataFrame(data)


@settings(max_examples=150, deadline=None)
@given(table=tables())
def test_the_bytes_are_those_of_pandas(table):
    assert b"".join(csv_chunks(table)).decode() == pandas_text(table)


def test_long_tables_are_written_in_chunks_with_the_same_bytes(monkeypatch):
    monkeypatch.setattr("lottery.io.csv_writer.ROWS_PER_CHUNK", 7)
    table = pd.DataFrame({"a": np.arange(50), "b": pd.Categorical(["x,y", "z"] * 25)})
    assert b"".join(csv_chunks(table)).decode() == pandas_text(table)


def test_another_kind_of_column_goes_back_to_pandas(tmp_path):
    table = pd.DataFrame({"share": [0.1, 0.25], "n": [1, 2]})
    with pytest.raises(NotPlain):
        next(csv_chunks(table))
    write_csv(tmp_path / "t.csv", table)
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == pandas_text(table)
