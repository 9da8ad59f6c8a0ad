"""The engine between reading and writing, stage by stage: priorities and lottery
numbers (``build_market``), the match with its reruns for linked families, the match
without reserves (reserve_report.csv), seat labels and the zone guarantee.

    python benchmarks/market.py CITY_FOLDER ... [--repeat 3] [--compare]

``--compare`` also times, alternated in the same process, the reruns for linked
families as they were before issue 15 (every run's priorities and program orders
rebuilt, every run matched from scratch) and the lottery numbers hashed one key at a
time, checking that both give the same results. Medians of ``--repeat`` runs, seconds.
``main()`` is the entry point (``make bench`` may call it with a list of arguments).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lottery.io.inputs import read_input_folder
from lottery.market import build_market
from lottery.numbers import lottery_numbers
from lottery.seat_policy import administrative_assignment, assign_seats, match_with_families

# The reruns as they were before issue 15 are the tests' reference: one copy of them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.family_reruns import rebuilding_every_run  # noqa: E402

SEED = "benchmark-seed"


def hashed_one_by_one(seed: str, names: list[str]) -> np.ndarray:
    """Lottery numbers as numbers.py computed them before issue 15: each key hashed whole."""
    digests = b"".join([hashlib.sha256(f"{seed}|{name}".encode()).digest()[:8] for name in names])
    return np.frombuffer(digests, dtype=">u8").astype(np.uint64)


def timed(times: dict[str, list[float]], name: str, function: Callable, *args):
    """``function(*args)``, its seconds added to ``times[name]``."""
    start = time.perf_counter()
    result = function(*args)
    times.setdefault(name, []).append(time.perf_counter() - start)
    return result


def bench_city(folder: Path, repeat: int, compare: bool) -> dict[str, float]:
    """Median seconds per stage for the city in ``folder``."""
    city = read_input_folder(folder)
    build_market(city, SEED).place()  # numba's machine code loaded before any timing
    ids = city.applicants.id.tolist()
    times: dict[str, list[float]] = {}
    runs = 1
    for _ in range(repeat):
        market = timed(times, "build_market", build_market, city, SEED)
        final, placed, outcome = timed(
            times, "match (family reruns)", match_with_families, city, market
        )
        runs = outcome.iterations
        if final.slots is not None:
            timed(times, "match without reserves", final.place, False)
        seats = timed(times, "seat labels", assign_seats, final, placed)
        timed(times, "zone guarantee", administrative_assignment, city, final, seats)
        if compare:
            name = "match (family reruns), rebuilding every run"
            _, before, _ = timed(times, name, rebuilding_every_run, city, market)
            assert (before == placed).all(), "the reruns differ"
            now = timed(times, "lottery numbers (hashlib)", lottery_numbers, SEED, ids)
            name = "lottery numbers (hashlib), each key whole"
            old = timed(times, name, hashed_one_by_one, SEED, ids)
            assert (now == old).all(), "the lottery numbers differ"
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{folder} ({len(city.applicants):,} applicants, {runs} run(s) of the match)")
    for name, value in medians.items():
        print(f"  {name:<48} {value:8.3f} s")
    return medians


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cities", type=Path, nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args(argv)
    for folder in args.cities:
        bench_city(folder, args.repeat, args.compare)


if __name__ == "__main__":
    main()
