"""Benchmarks: every stage of a lottery run on synthetic cities of 10k, 100k and 1M applicants.

Run with ``make bench`` (or ``python benchmarks/run.py --sizes 10000 100000``). Writes a
markdown table to ``benchmarks/RESULTS.md``. Timings are medians of ``--repeats`` runs in
this one process, so ratios between rows are meaningful even on a noisy shared machine.

Stages, each timed separately:
- read+validate: ``read_input_folder`` (CSV parsing and every check)
- priorities+lottery: ``build_market`` (priorities, SHA-256 lottery numbers, program orders)
- match: deferred acceptance (after its one-time compilation); for a city with the seat
  policy, every run of it for linked families, the zone guarantee and the rerun without
  reserves (``lottery.engine.match`` minus writing the tables)
- results+write: ``build_results`` and ``write_output_folder``
- whole CLI: ``lottery run`` in a fresh process, from CSV to every output, with its peak
  memory (max resident set size).

With the ``bench`` extra installed, the 10k city is also solved by the ``matching``
package (HospitalResident), placements are compared, and the speed ratio is printed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from lottery import __version__
from lottery.engine import output_tables, run_lottery, run_manifest
from lottery.io.inputs import read_input_folder
from lottery.io.writers import write_output_folder
from lottery.market import build_market
from lottery.matching import deferred_acceptance, program_order_by_position
from lottery.numbers import lottery_ranks
from lottery.publish.letters import generate_letters
from lottery.results import MatchOutcome, build_results
from lottery.seat_policy import administrative_assignment, assign_seats, match_with_families
from lottery.synth import generate_city

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
SEED = "benchmark-seed"
SEAT_POLICY = HERE.parent / "examples" / "city" / "policy.toml"


def timed(function, repeats: int):
    """Median wall time of ``repeats`` calls, and the last call's result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def city_folder(applicants: int, choices: int, seat_policy: bool = False) -> Path:
    kind = "-seat-policy" if seat_policy else ""
    folder = WORK / f"city-{applicants}-{choices}{kind}"
    if not (folder / "choices.csv").exists():
        schools = max(12, applicants // 250)
        print(f"generating {folder.name} ({schools} schools)", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)
        # The plain city (no reserves, guarantees or families): the same cities as earlier
        # results, and a market the matching package solves the same way. The seat-policy
        # city adds them all, with the example city's policy (sibling_offered, tag:frl).
        generate_city(
            folder,
            applicants=applicants,
            schools=schools,
            max_choices=choices,
            seed=7,
            seat_policy=seat_policy,
        )
        if seat_policy:
            shutil.copy(SEAT_POLICY, folder / "policy.toml")
    return folder


def cli_run(folder: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak MiB of a whole ``lottery run`` process.

    The peak is the process's own high-water mark (VmHWM). ``ru_maxrss`` would not do:
    Linux carries the parent's high-water mark into a child at exec, and this benchmark
    process holds a whole city in memory when it starts the child.
    """
    probe = (
        "import sys\n"
        "from lottery.cli import cli\n"
        "try:\n"
        "    cli.main(sys.argv[1:], prog_name='lottery', standalone_mode=False)\n"
        "finally:\n"
        "    with open('/proc/self/status') as status:\n"
        "        peak = next(l.split()[1] for l in status if l.startswith('VmHWM'))\n"
        "    print('PEAK_KIB', peak, file=sys.stderr)\n"
    )
    args = [
        sys.executable,
        "-c",
        probe,
        "run",
        str(folder),
        "--seed",
        SEED,
        "--out",
        str(out),
        "--force",
    ]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak = next(
        int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK_KIB")
    )
    return seconds, peak / 1024


def bench_city(applicants: int, choices: int, repeats: int, seat_policy: bool = False) -> dict:
    folder = city_folder(applicants, choices, seat_policy)
    row = {"applicants": applicants, "choices": choices, "seat_policy": seat_policy}
    row["read_validate"], city = timed(lambda: read_input_folder(folder), repeats)
    row["pairs"] = len(city.choices)
    row["programs"] = len(city.programs)
    row["priorities_lottery"], market = timed(lambda: build_market(city, SEED), repeats)

    def match():
        final, placed, families = match_with_families(city, market)
        seats = assign_seats(final, placed)
        without = final.place(slots=False) if final.slots is not None else None
        admin = administrative_assignment(city, final, seats)
        return final, MatchOutcome(placed, seats, admin, families, without)

    if not seat_policy:
        match()  # compiles the kernel; the seat-policy cities come after the plain ones
    row["match"], (final, outcome) = timed(match, repeats if seat_policy else max(repeats, 3))
    row["family_runs"] = outcome.families.iterations
    with tempfile.TemporaryDirectory(dir=WORK) as scratch:
        repeat = itertools.count()

        def results_and_write():
            results = build_results(city, final, outcome)
            # A new folder each time, as a real run writes.
            write_output_folder(
                Path(scratch) / f"out-{next(repeat)}",
                output_tables(results),
                run_manifest(city, final, results),
                force=False,
            )
            return results

        row["results_write"], results = timed(results_and_write, repeats)
        runs = [cli_run(folder, Path(scratch) / "cli") for _ in range(repeats)]
    row["cli"] = statistics.median(r[0] for r in runs)
    row["peak_mib"] = max(r[1] for r in runs)
    row["placed_share"] = results.counts["placed"] / applicants
    row["first_choice_share"] = results.counts["placed_first_choice"] / applicants
    print(json.dumps(row), file=sys.stderr)
    return row


def bench_kernel_uniform(applicants: int, choices: int, programs: int, repeats: int) -> float:
    """The kernel alone on an array market where every applicant ranks ``choices`` programs."""
    rng = np.random.default_rng(11)
    popularity = rng.zipf(1.5, programs).astype(float)
    popularity /= popularity.sum()
    first = rng.choice(programs, size=applicants, p=popularity)
    step = rng.integers(1, programs, size=(applicants, 1))
    ranked = (first[:, None] + step * np.arange(choices)) % programs  # distinct per row
    program = ranked.ravel().astype(np.int64)
    applicant = np.repeat(np.arange(applicants, dtype=np.int64), choices)
    priority = rng.integers(1, 5, size=len(program))
    lottery = rng.integers(0, 2**63, size=applicants, dtype=np.uint64)
    rank = program_order_by_position(program, priority, lottery_ranks(lottery)[applicant], programs)
    offsets = np.arange(0, applicants * choices + 1, choices, dtype=np.int64)
    capacity = np.full(programs, int(applicants * 0.9 / programs), dtype=np.int64)
    deferred_acceptance(offsets, program, rank, capacity)
    seconds, _ = timed(lambda: deferred_acceptance(offsets, program, rank, capacity), repeats)
    return seconds


def bench_letters(applicants: int) -> dict:
    """Placement letters (PDF + HTML, merged PDF) for every applicant of a synthetic city."""
    folder = city_folder(applicants, 6)
    with tempfile.TemporaryDirectory(dir=WORK) as scratch:
        out = Path(scratch) / "out"
        run_lottery(folder, out, SEED)
        start = time.perf_counter()
        summary = generate_letters(out, folder)
        seconds = time.perf_counter() - start
    return {"applicants": applicants, "seconds": seconds, "pages": summary.pages}


def bench_matching_package(folder: Path) -> dict | None:
    """Solve the city with the ``matching`` package and compare with our placements."""
    try:
        from matching.games import HospitalResident
    except ImportError:
        print(
            "matching package not installed (pip install -e '.[bench]'); skipped", file=sys.stderr
        )
        return None
    city = read_input_folder(folder)
    market = build_market(city, SEED)
    app_ids, prog_ids = city.applicants.id, city.programs.id
    resident_prefs = {}
    for a in range(market.n_applicants):
        pairs = range(market.choice_offsets[a], market.choice_offsets[a + 1])
        ranked = [prog_ids[market.choice_program[p]] for p in pairs]
        if ranked:
            resident_prefs[app_ids[a]] = ranked
    order = np.lexsort((market.choice_rank, market.choice_program))
    hospital_prefs = {pid: [] for pid in prog_ids}
    for p in order:
        hospital_prefs[prog_ids[market.choice_program[p]]].append(
            app_ids[market.choice_applicant[p]]
        )
    capacities = {pid: int(c) for pid, c in zip(prog_ids, market.capacity, strict=True)}

    outcome = {}

    def solve():
        start = time.perf_counter()
        game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
        matching = game.solve(optimal="resident")
        outcome["seconds"] = time.perf_counter() - start
        outcome["placement"] = {
            r.name: h.name for h, residents in matching.items() for r in residents
        }

    # The package recurses deeply at this size: give it room, as its users must.
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(512 * 1024 * 1024)
    worker = threading.Thread(target=solve)
    worker.start()
    worker.join()
    threading.stack_size(0)

    arrays = (market.choice_offsets, market.choice_program, market.choice_rank, market.capacity)
    kernel_seconds, placed = timed(lambda: deferred_acceptance(*arrays), 5)
    ours = {
        app_ids[a]: prog_ids[market.choice_program[placed[a]]]
        for a in range(market.n_applicants)
        if placed[a] >= 0
    }
    with tempfile.TemporaryDirectory(dir=WORK) as scratch:
        cli_seconds, _ = cli_run(folder, Path(scratch) / "out")
    return {
        "matching_seconds": outcome["seconds"],
        "kernel_seconds": kernel_seconds,
        "cli_seconds": cli_seconds,
        "same_placements": ours == outcome["placement"],
    }


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numba
    import pandas

    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"numpy {np.__version__}, "
        f"pandas {pandas.__version__}, numba {numba.__version__}; lottery {__version__}"
    )


def write_results(rows, kernel, package, repeats, letters=None) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine_description()}.",
        "",
        f"Medians of {repeats} runs (match: of at least 3; one run of each stage for the 1M "
        "seat-policy city), seconds. Synthetic cities from "
        "`lottery synth` (seed 7, 1 school per 250 applicants). Regenerate with `make bench`.",
        "",
        "*plain*: `lottery synth --no-seat-policy` (the cities of earlier results; the speed "
        "targets are measured on these). *seat policy*: `lottery synth` with reserves, "
        "guarantees, families, eligibility and the zone guarantee, run with the example "
        "city's policy.toml (tiers with sibling_offered and tag:frl); its match column "
        "includes every run of the match that linked families needed (shown in brackets), "
        "the zone guarantee and the rerun without reserves for reserve_report.csv.",
        "",
        "| city | applicants | choices (max) | pairs | read+validate | priorities+lottery "
        "| match | results+write | whole `lottery run` | peak memory | placed | 1st choice |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        kind = f"seat policy ({r['family_runs']} runs)" if r["seat_policy"] else "plain"
        lines.append(
            f"| {kind} | {r['applicants']:,} | {r['choices']} | {r['pairs']:,} | "
            f"{r['read_validate']:.2f} | "
            f"{r['priorities_lottery']:.2f} | {r['match']:.3f} | {r['results_write']:.2f} | "
            f"{r['cli']:.2f} | {r['peak_mib']:,.0f} MiB | {r['placed_share']:.1%} | "
            f"{r['first_choice_share']:.1%} |"
        )
    lines += [
        "",
        "Matching kernel alone, every applicant ranking exactly 12 of 8,000 programs:",
        "",
    ]
    for (n, k), seconds in kernel.items():
        lines.append(
            f"- {n:,} applicants x {k} choices: {seconds:.3f} s (median, after compilation)"
        )
    if package:
        lines += [
            "",
            "Against the `matching` package (HospitalResident, build + solve) on the 10k city:",
            "",
            f"- matching: {package['matching_seconds']:.2f} s; "
            f"our kernel: {package['kernel_seconds'] * 1000:.2f} ms "
            f"({package['matching_seconds'] / package['kernel_seconds']:,.0f}x faster)",
            f"- our whole `lottery run` process (CSV in, all outputs out): "
            f"{package['cli_seconds']:.2f} s "
            f"({package['matching_seconds'] / package['cli_seconds']:.1f}x faster "
            "than its build + solve alone)",
            f"- same placements: {'yes' if package['same_placements'] else 'NO'}",
        ]
    if letters:
        lines += [
            "",
            f"Placement letters for {letters['applicants']:,} applicants (one PDF and one HTML "
            f"each, plus the merged {letters['pages']:,}-page PDF), 2 workers: "
            f"{letters['seconds']:.1f} s (target: under 120 s; one run).",
        ]
    lines += ["", "Targets (issues 4 and 7):", ""] + target_lines(rows, kernel, package)
    return "\n".join(lines) + "\n"


def target_lines(rows, kernel, package) -> list[str]:
    """Each speed target with the measured figure and whether it is met."""
    by_size = {r["applicants"]: r for r in rows if not r["seat_policy"]}
    checks = []
    if (1_000_000, 12) in kernel:
        checks.append(("kernel, 1M x 12, <= 1.0 s", kernel[(1_000_000, 12)], 1.0, "s"))
    for size, limit, stretch in ((100_000, 10, 3), (1_000_000, 60, 30)):
        if size in by_size:
            seconds = by_size[size]["cli"]
            checks.append((f"`lottery run` {size:,}, <= {limit} s", seconds, limit, "s"))
            checks.append(
                (f"`lottery run` {size:,}, stretch <= {stretch} s", seconds, stretch, "s")
            )
    if 1_000_000 in by_size:
        checks.append(("peak memory 1M, <= 4096 MiB", by_size[1_000_000]["peak_mib"], 4096, "MiB"))
    out = [
        f"- {name}: {value:,.2f} {unit} ({'met' if value <= limit else 'NOT met'})"
        for name, value, limit, unit in checks
    ]
    if package:
        kernel_ratio = package["matching_seconds"] / package["kernel_seconds"]
        cli_ratio = package["matching_seconds"] / package["cli_seconds"]
        out.append(
            f"- kernel >= 1000x `matching`: {kernel_ratio:,.0f}x "
            f"({'met' if kernel_ratio >= 1000 else 'NOT met'})"
        )
        out.append(
            f"- whole run >= 5x `matching` build + solve: {cli_ratio:.1f}x "
            f"({'met' if cli_ratio >= 5 else 'NOT met'})"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--choices", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--letters", type=int, default=25_000, help="0 to skip letters")
    parser.add_argument(
        "--seat-policy-sizes",
        type=int,
        nargs="*",
        default=[100_000, 1_000_000],
        help="sizes of the cities with reserves, guarantees and families",
    )
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    rows = [bench_city(n, args.choices, args.repeats) for n in sorted(args.sizes)]
    rows += [
        bench_city(n, args.choices, 1 if n >= 1_000_000 else args.repeats, seat_policy=True)
        for n in sorted(args.seat_policy_sizes)
    ]
    kernel = {(1_000_000, 12): bench_kernel_uniform(1_000_000, 12, 8_000, 5)}
    package = bench_matching_package(city_folder(10_000, 10)) if 10_000 in args.sizes else None
    if package:
        print(json.dumps(package), file=sys.stderr)
    letters = bench_letters(args.letters) if args.letters else None
    if letters:
        print(json.dumps(letters), file=sys.stderr)
    text = write_results(rows, kernel, package, args.repeats, letters)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
