"""Time `lottery verify` on a finished results folder (issue 15).

    .venv/bin/python benchmarks/verify.py RESULTS INPUTS [--repeat N]

Runs :func:`lottery.audit.verify.verify_outputs`, the library call of `lottery verify`,
``--repeat`` times in one process and prints each time, the median and whether the
results passed. The lead's benchmark can call :func:`main` with the same arguments, or
:func:`time_verify` for the numbers. Make a seat-policy results folder first, e.g.

    .venv/bin/lottery run benchmarks/work/city-1000000-12-seat-policy \\
        --seed benchmark-seed --out /tmp/verify1m/out --force
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from lottery.audit.verify import verify_outputs


def time_verify(results: Path, inputs: Path, repeat: int = 1) -> list[float]:
    """Seconds taken by each of ``repeat`` verifications of ``results`` (all must pass)."""
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        report = verify_outputs(results, inputs)
        seconds.append(time.perf_counter() - started)
        if not report.passed:
            raise SystemExit(f"{results} does not pass verify: {report.violations[0].render()}")
    return seconds


def main(argv: list[str] | None = None) -> None:
    """Time verify on one results folder and print the times and their median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("inputs", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args(argv)
    seconds = time_verify(options.results, options.inputs, options.repeat)
    print(
        f"verify {options.results}: "
        + ", ".join(f"{s:.1f} s" for s in seconds)
        + f"; median {statistics.median(seconds):.1f} s (passed)"
    )


if __name__ == "__main__":
    main()
