"""Placement letters for every applicant of the 25k synthetic city (issue 15): the time of
``generate_letters`` (PDF and HTML letters, and the merged PDF), optionally alternated
with another copy of lottery's source (the code before a change), medians of
``--repeat`` runs.

    python benchmarks/letters.py --repeat 3 --workers 2 [--before /tmp/old-src]

The results are checked with ``lottery verify`` once before timing (the certificate is
kept in the results folder), so the times are the letters' alone; that check is timed
once and printed apart. Each run is a fresh process, as ``lottery letters`` is. The
machine may be shared: the CPU time of all processes (user and system, the workers
included) is printed beside the wall time. ``--before`` is a folder holding an older
``lottery`` package (for instance ``git archive COMMIT lottery | tar -x -C /tmp/old``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
SEED = "benchmark-seed"

# Run in a fresh process: the letters of the results folder, timed from inside.
_TIMED_RUN = """
import json, resource, sys, time
from pathlib import Path
import lottery.publish.letters as letters
out, city, target = (Path(argument) for argument in sys.argv[1:4])
workers = int(sys.argv[4])
render = letters.render_letters
phases = {"code": letters.__file__}
def timed_render(*args, **kwargs):
    phases["prepare"] = time.perf_counter() - start
    began = time.perf_counter()
    try:
        return render(*args, **kwargs)
    finally:
        phases["render"] = time.perf_counter() - began
letters.render_letters = timed_render
start = time.perf_counter()
summary = letters.generate_letters(out, city, letters_dir=target, workers=workers)
phases["seconds"] = time.perf_counter() - start
used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
phases["cpu"] = sum(usage.ru_utime + usage.ru_stime for usage in used)
phases["letters"], phases["pages"] = summary.letters, summary.pages
print(json.dumps(phases))
"""


def city_folder(applicants: int) -> Path:
    """The synthetic city of ``benchmarks/run.py``'s letters benchmark (made if missing)."""
    folder = WORK / f"city-{applicants}-6"
    if not (folder / "choices.csv").exists():
        from lottery.synth import generate_city

        shutil.rmtree(folder, ignore_errors=True)
        generate_city(folder, applicants=applicants, schools=max(12, applicants // 250),
                      max_choices=6, seed=7, seat_policy=False)  # fmt: skip
    return folder


def timed_letters(out: Path, city: Path, workers: int, source: Path | None) -> dict:
    """One ``generate_letters`` in a fresh process (``source`` first on its path)."""
    # Run from elsewhere: ``python -c`` puts the working folder first on the path.
    environment = dict(os.environ, PYTHONPATH=str(source or HERE.parent))
    with tempfile.TemporaryDirectory(dir=WORK) as scratch:
        target = Path(scratch) / "letters"
        done = subprocess.run(
            [sys.executable, "-c", _TIMED_RUN, str(out), str(city), str(target), str(workers)],
            env=environment,
            cwd=scratch,
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_letters(
    applicants: int = 25_000,
    workers: int = 2,
    repeat: int = 1,
    before: Path | None = None,
    after: Path | None = None,
) -> dict:
    """Median seconds of the letters (and of their preparation and rendering), per
    version of the code: ``after`` (default: this tree), alternated with ``before``
    when given."""
    from lottery.audit.verify import require_verified
    from lottery.engine import run_lottery

    city = city_folder(applicants)
    versions = {"after": after} if before is None else {"before": before, "after": after}
    runs: dict[str, list[dict]] = {name: [] for name in versions}
    with tempfile.TemporaryDirectory(dir=WORK) as scratch:
        out = Path(scratch) / "out"
        run_lottery(city, out, SEED)
        start = time.perf_counter()
        require_verified(out, city, "benchmark")
        verify_seconds = time.perf_counter() - start
        for _ in range(repeat):
            for name, source in versions.items():
                runs[name].append(timed_letters(out, city, workers, source))
    result = {"applicants": applicants, "workers": workers, "verify_seconds": verify_seconds}
    for name, values in runs.items():
        result[name] = {
            key: statistics.median(run[key] for run in values)
            for key in ("seconds", "prepare", "render", "cpu")
        }
        result[name]["each"] = [round(run["seconds"], 2) for run in values]
        result[name]["pages"] = values[-1]["pages"]
        result[name]["code"] = values[-1]["code"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applicants", type=int, default=25_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--before", type=Path, help="a folder with an older lottery package")
    parser.add_argument("--after", type=Path, help="a folder with the lottery package to time")
    args = parser.parse_args()
    result = bench_letters(args.applicants, args.workers, args.repeat, args.before, args.after)
    print(
        f"{result['applicants']:,} letters, {result['workers']} workers, median of "
        f"{args.repeat} (verification before them, once: {result['verify_seconds']:.1f} s)"
    )
    for name in ("before", "after"):
        if name in result:
            r = result[name]
            print(
                f"  {name:<6} {r['seconds']:6.1f} s  (prepare {r['prepare']:.1f} s, render "
                f"{r['render']:.1f} s; CPU of all processes {r['cpu']:.1f} s; runs: "
                f"{', '.join(map(str, r['each']))}; "
                f"{r['pages']:,} pages; {r['code']})"
            )


if __name__ == "__main__":
    main()
