"""Benchmarks: every stage of a lottery run on synthetic cities of 10k, 100k and 1M applicants.

Run with ``make bench`` (or ``python benchmarks/run.py --sizes 10000 100000``). Writes a
markdown table to ``benchmarks/RESULTS.md``. Timings are medians of ``--repeats`` runs in
this one process, so ratios between rows are meaningful even on a noisy shared machine.

Stages, each timed separately, and beside three of them its floor (what the same bytes
or arrays cost with the library alone, so the table shows how close each stage is):
- read+validate: ``read_input_folder`` (CSV parsing and every check). Floor: pyarrow.csv
  parsing the same files into tables of strings, and nothing else.
- priorities+lottery: ``build_market`` (priorities, SHA-256 lottery numbers, program orders)
- match: deferred acceptance (after its one-time compilation); for a city with the seat
  policy, every run of it for linked families, the zone guarantee and the rerun without
  reserves (``lottery.engine.match`` minus writing the tables). Floor: one run of the
  kernel on the final market's arrays.
- results: ``build_results`` (every number of the output tables)
- write: ``write_output_folder`` (the CSV files, the manifest, checksums, atomically).
  Floor: pyarrow.csv writing the same output files' cells, already text, unquoted.
- whole CLI: ``lottery run`` in a fresh process, from CSV to every output, with its peak
  memory (the process's high-water mark).
- verify: ``lottery verify`` of the largest seat-policy city's results, in a fresh process.

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
import pyarrow
import pyarrow.csv

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
VERIFIED_RESULTS = WORK / "verified-results"


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


def arrow_read_floor(folder: Path, repeats: int) -> float:
    """Seconds pyarrow.csv takes to parse the folder's CSV files into tables of strings."""

    def parse():
        for path in sorted(folder.glob("*.csv")):
            header = path.open(encoding="utf-8-sig").readline().rstrip("\r\n").split(",")
            types = dict.fromkeys(header, pyarrow.string())
            pyarrow.csv.read_csv(
                path, convert_options=pyarrow.csv.ConvertOptions(column_types=types)
            )

    return timed(parse, repeats)[0]


def arrow_write_floor(results_folder: Path, repeats: int) -> float:
    """Seconds pyarrow.csv takes to write the cells of a results folder's CSV files (read
    back as text, untimed) without quoting them: the bytes of the outputs, and no more."""
    tables = []
    for path in sorted(results_folder.glob("*.csv")):
        header = path.open(encoding="utf-8").readline().rstrip("\n").split(",")
        types = dict.fromkeys(header, pyarrow.string())
        options = pyarrow.csv.ConvertOptions(column_types=types, strings_can_be_null=False)
        tables.append(pyarrow.csv.read_csv(path, convert_options=options))
    options = pyarrow.csv.WriteOptions(quoting_style="none", eol="\n")

    def write():
        with tempfile.TemporaryDirectory(dir=WORK) as scratch:
            for number, table in enumerate(tables):
                try:
                    pyarrow.csv.write_csv(table, Path(scratch) / f"{number}.csv", options)
                except pyarrow.ArrowInvalid:  # a cell that needs quotes: Arrow quotes all text
                    pyarrow.csv.write_csv(table, Path(scratch) / f"{number}.csv")

    return timed(write, repeats)[0]


def verify_run(results: Path, folder: Path) -> tuple[float, float]:
    """Wall seconds and peak MiB of ``lottery verify`` on a results folder (one run: it is
    the slowest command of all)."""
    return cli_process(["verify", str(results), "--inputs", str(folder)])


def cli_run(folder: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak MiB of a whole ``lottery run`` process."""
    return cli_process(["run", str(folder), "--seed", SEED, "--out", str(out), "--force"])


def cli_process(arguments: list[str]) -> tuple[float, float]:
    """Wall seconds and peak MiB of one ``lottery`` command in a fresh process.

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
    args = [sys.executable, "-c", probe, *arguments]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak = next(
        int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK_KIB")
    )
    return seconds, peak / 1024


def bench_city(
    applicants: int, choices: int, repeats: int, seat_policy: bool = False, verify: bool = False
) -> dict:
    folder = city_folder(applicants, choices, seat_policy)
    row = {"applicants": applicants, "choices": choices, "seat_policy": seat_policy}
    row["read_validate"], city = timed(lambda: read_input_folder(folder), repeats)
    row["read_floor"] = arrow_read_floor(folder, repeats)
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
    arrays = (final.choice_offsets, final.choice_program, final.choice_rank, final.capacity)
    row["match_floor"], _ = timed(lambda: deferred_acceptance(*arrays), max(repeats, 3))
    with tempfile.TemporaryDirectory(dir=WORK) as scratch:
        repeat = itertools.count()

        def write(results):
            out = Path(scratch) / f"out-{next(repeat)}"  # a new folder each time, as a run
            write_output_folder(
                out, output_tables(results), run_manifest(city, final, results), force=False
            )
            return out

        row["results"], results = timed(lambda: build_results(city, final, outcome), repeats)
        row["write"], written = timed(lambda: write(results), repeats)
        row["write_floor"] = arrow_write_floor(written, repeats)
        # The results of the city verify checks at the end are kept until then.
        cli_out = VERIFIED_RESULTS if verify else Path(scratch) / "cli"
        runs = [cli_run(folder, cli_out) for _ in range(repeats)]
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


def bench_letters(applicants: int, repeats: int) -> dict:
    """Placement letters (PDF + HTML, merged PDF) for every applicant of a synthetic city."""
    folder = city_folder(applicants, 6)
    # The system's temporary folder: 50,000 letter files are written, and creating files
    # in the checkout costs ten times more on some machines (an overlay file system).
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        run_lottery(folder, out, SEED)

        def letters():
            shutil.rmtree(out / "letters", ignore_errors=True)
            return generate_letters(out, folder)

        seconds, summary = timed(letters, repeats)
    return {"applicants": applicants, "seconds": seconds, "pages": summary.pages, "runs": repeats}


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
        f"Medians of {repeats} runs in one `make bench` (match and its floor: of at least 3), "
        "seconds. Synthetic cities from `lottery synth` (seed 7, 1 school per 250 "
        "applicants). Regenerate with `make bench`.",
        "",
        "*plain*: `lottery synth --no-seat-policy`. *seat policy*: `lottery synth` with "
        "reserves, guarantees, families, eligibility and the zone guarantee, run with the "
        "example city's policy.toml (tiers with sibling_offered and tag:frl); its match "
        "column includes every run of the match that linked families needed (shown in "
        "brackets), the zone guarantee and the rerun without reserves for reserve_report.csv.",
        "",
        "In brackets beside three stages, the floor: pyarrow.csv parsing the same input files "
        "into strings (read), one run of the matching kernel on the same arrays (match), "
        "pyarrow.csv writing the same output cells unquoted (write).",
        "",
        "| city | applicants | pairs | read+validate (floor) | priorities+lottery "
        "| match (floor) | results | write (floor) | whole `lottery run` | peak memory "
        "| placed | 1st choice |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        kind = f"seat policy ({r['family_runs']} runs)" if r["seat_policy"] else "plain"
        lines.append(
            f"| {kind} | {r['applicants']:,} | {r['pairs']:,} | "
            f"{r['read_validate']:.2f} ({r['read_floor']:.2f}) | "
            f"{r['priorities_lottery']:.2f} | {r['match']:.3f} ({r['match_floor']:.3f}) | "
            f"{r['results']:.2f} | {r['write']:.2f} ({r['write_floor']:.2f}) | "
            f"{r['cli']:.2f} | {r['peak_mib']:,.0f} MiB | {r['placed_share']:.1%} | "
            f"{r['first_choice_share']:.1%} |"
        )
    verified = [r for r in rows if "verify" in r]
    for r in verified:
        lines += [
            "",
            f"`lottery verify` of the {r['applicants']:,}-applicant seat-policy city's results "
            f"(one run, fresh process): {r['verify']:.1f} s, peak memory "
            f"{r['verify_peak_mib']:,.0f} MiB.",
        ]
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
            f"{letters['seconds']:.1f} s (median of {letters['runs']}).",
        ]
    lines += ["", "Targets (issue 15; earlier issues' targets below it):", ""]
    lines += issue_15_targets(rows, letters)
    lines += ["", *target_lines(rows, kernel, package)]
    return "\n".join(lines) + "\n"


ISSUE_15_TARGETS = (
    # (measure, key, city, unit, before the issue, floor, goal)
    ("`lottery run`, plain 1M x 12", "cli", (1_000_000, False), "s", "57-86 s", 30, 15),
    ("`lottery run`, seat-policy 1M", "cli", (1_000_000, True), "s", "95-139 s", 60, 30),
    ("`lottery run`, 100k plain", "cli", (100_000, False), "s", "5.5 s", 3, 1.5),
    ("peak memory, seat-policy 1M", "peak_mib", (1_000_000, True), "GiB", "3.6 GiB", 3, 2),
    ("`lottery verify`, seat-policy 1M", "verify", (1_000_000, True), "min", "not measured", 5, 2),
)


def issue_15_targets(rows, letters) -> list[str]:
    """The issue's table of targets, with the figure measured in this run."""
    found = {(r["applicants"], r["seat_policy"]): r for r in rows}
    lines = [
        "| measure | before | floor | goal | now | |",
        "|---|---:|---:|---:|---:|---|",
    ]

    def line(measure, before, floor, goal, value, unit):
        verdict = "goal met" if value <= goal else "floor met" if value <= floor else "NOT met"
        lines.append(
            f"| {measure} | {before} | {floor:g} {unit} | {goal:g} {unit} "
            f"| {value:.2f} {unit} | {verdict} |"
        )

    for measure, key, city, unit, before, floor, goal in ISSUE_15_TARGETS:
        if city not in found or key not in found[city]:
            continue
        value = found[city][key]
        value = value / 1024 if unit == "GiB" else value / 60 if unit == "min" else value
        line(measure, before, floor, goal, value, unit)
    if letters and letters["applicants"] == 25_000:
        line("25k letters", "101 s", 60, 30, letters["seconds"], "s")
    return lines


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
    largest = max(args.seat_policy_sizes, default=None)
    rows += [
        bench_city(n, args.choices, args.repeats, seat_policy=True, verify=n == largest)
        for n in sorted(args.seat_policy_sizes)
    ]
    kernel = {(1_000_000, 12): bench_kernel_uniform(1_000_000, 12, 8_000, 5)}
    package = bench_matching_package(city_folder(10_000, 10)) if 10_000 in args.sizes else None
    if package:
        print(json.dumps(package), file=sys.stderr)
    letters = bench_letters(args.letters, args.repeats) if args.letters else None
    if letters:
        print(json.dumps(letters), file=sys.stderr)
    if largest is not None:  # the slowest command of all, once, last
        row = next(r for r in rows if r["seat_policy"] and r["applicants"] == largest)
        folder = city_folder(largest, args.choices, seat_policy=True)
        row["verify"], row["verify_peak_mib"] = verify_run(VERIFIED_RESULTS, folder)
        shutil.rmtree(VERIFIED_RESULTS, ignore_errors=True)
        print(
            json.dumps({"verify": row["verify"], "peak_mib": row["verify_peak_mib"]}),
            file=sys.stderr,
        )
    text = write_results(rows, kernel, package, args.repeats, letters)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
