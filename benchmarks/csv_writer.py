"""Writing the output CSV files: pandas' ``to_csv`` against ``lottery.io.csv_writer``
(the same bytes), alternated in one process, medians of ``--repeat`` runs.

    python benchmarks/csv_writer.py CITY_FOLDER --repeat 3
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import time
from pathlib import Path

from lottery.engine import match, output_tables
from lottery.io.csv_writer import csv_chunks
from lottery.io.inputs import read_input_folder
from lottery.io.writers import CSV_CHUNK_ROWS
from lottery.market import build_market


def with_pandas(table) -> bytes:
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n", chunksize=CSV_CHUNK_ROWS)
    return buffer.getvalue().encode("utf-8")


def with_csv_writer(table) -> bytes:
    return b"".join(csv_chunks(table))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("city", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    city = read_input_folder(args.city)
    _, results = match(city, build_market(city, "bench"))
    tables = output_tables(results)
    times: dict[str, list[float]] = {"pandas": [], "csv_writer": []}
    for _ in range(args.repeat):
        for name, write in (("pandas", with_pandas), ("csv_writer", with_csv_writer)):
            start = time.perf_counter()
            digests = [hashlib.sha256(write(table)).hexdigest() for table in tables.values()]
            times[name].append(time.perf_counter() - start)
            if name == "pandas":
                expected = digests
            else:
                assert digests == expected, "the bytes differ"
    rows = sum(len(table) for table in tables.values())
    print(f"{args.city}: {rows} rows in {len(tables)} files, same bytes")
    for name, values in times.items():
        each = ", ".join(f"{value:.2f}" for value in values)
        print(f"  {name:<11} median {statistics.median(values):.2f} s  ({each})")


if __name__ == "__main__":
    main()
