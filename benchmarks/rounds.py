"""Benchmark: a synthetic summer of three rounds, later-round tie-break "same" against
"reversed" (issue 8; docs/rounds.md, "Tie-break in later rounds").

Run with ``make bench-rounds`` (or ``python benchmarks/rounds.py --sizes 10000``; about
15 minutes for the default 10,000 and 50,000 on two cores). Writes the tables to
``benchmarks/ROUNDS.md``; the cities and rounds stay in ``benchmarks/work/summer-*``.

The summer, deterministic for a given size and ``--summer-seed``:

- **The city.** ``generate_city`` (generator seed 7, one school per 250 applicants, 12
  choices, the seat policy) with the example city's ``policy.toml`` and ``[rounds]
  tiebreak`` set to the option. The generator is asked for the round-1 applicants plus
  the late ones; the late applicants (drawn at random among those outside a family and
  without a guaranteed seat) are taken out of round 1's files and arrive in rounds 2 and
  3 with the rows and lists the generator drew for them. The seats are those the
  generator sized for everybody, late applicants included.
- **Round 1** is ``lottery run`` (:func:`lottery.engine.run_lottery`).
- **Rounds 2 and 3** are ``lottery round`` (:func:`lottery.rounds.run_round`) with a
  changes folder (:func:`write_changes`, what :data:`SUMMER` says): each applicant draws
  a number in [0, 1) from SHA-256 of the summer seed, the round and their ID, which
  decides whether they withdraw (2%) or decline the seat they hold (10% of the seats
  held); late applicants (:data:`LATE` of the round-1 applicant count) arrive as
  ``new_applicant``; 6 programs, drawn from a generator seeded by the summer seed and
  the round, gain 1-3 seats or lose 1-2 (never below the seats still held there or the
  seats ``reserves.csv`` reserves). Both options see the same draws: round 2's changes
  folder is the same file for both, and round 3's differs only where the options'
  round-2 results differ (who holds a seat to decline, and where; how far a seat cut
  may go).
- **Variants** (one run each, unless ``--no-variants``): :data:`NO_LATE`, the summer
  without late applicants; :data:`CANCELLATIONS`, the setting of Feigenbaum et al.
  (10% of the seats held given up by students who leave, nothing else); and each of the
  three with a "lottery only" policy, without priority tiers or reserves, so that the
  lottery orders every program. The report ends with a reading of the figures.

Per round and option: students moved (applicants who held a seat and moved to one they
ranked higher: ``improved`` in moves.csv), new placements, seats released (declined or
withdrawn with a seat), placed applicants, first-choice share (placed at the program
ranked first on the applicant's original list, round 1's or the late application's),
offers the office must make, and seconds (median of ``--repeats`` runs of the round in
this process; each rerun must give the same manifest, byte for byte).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lottery.engine import run_lottery
from lottery.rounds import run_round
from lottery.synth import generate_city

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
SEED = "summer-seed"
"""The lottery's published seed (round 1; later rounds use the same)."""
EXAMPLE_POLICY = HERE.parent / "examples" / "city" / "policy.toml"
OPTIONS = ("same", "reversed")
ROUNDS = 3


@dataclass(frozen=True)
class Scenario:
    """What happens between two rounds, as shares (each applicant's draw decides)."""

    name: str
    withdraw: float = 0.02
    """Share of the active applicants (placed or not) who withdraw."""
    cancel: float = 0.0
    """Share of the seats held whose holder withdraws (leaves with the seat)."""
    decline: float = 0.10
    """Share of the seats held that are declined (the decliner keeps waiting above it)."""
    late: bool = True
    """Whether late applicants (:data:`LATE` of round 1's per round) arrive."""
    seat_changes: int = 6
    """Programs whose seats change."""


SUMMER = Scenario("summer")
"""The summer of issue 8: 10% declines, 2% withdrawals, 5% late applicants, 6 seat changes."""
CANCELLATIONS = Scenario(
    "cancellations only", withdraw=0.0, cancel=0.10, decline=0.0, late=False, seat_changes=0
)
"""The setting of Feigenbaum et al.: 10% of the seats held are given up by students who
leave; nobody arrives, nothing else changes."""
NO_LATE = Scenario("summer without late applicants", late=False)
"""The summer, but nobody arrives."""
LATE = 0.05
"""Late applicants per later round, as a share of the round-1 applicants."""
HOLDS = ("placed", "guaranteed", "administrative")
CHANGES_HEADER = "event,applicant_id,program_id,value,note\n"


# ----------------------------------------------------------------------------- the city


@dataclass(frozen=True)
class SummerCity:
    """A synthetic city split into round 1's input folder and the late applicants.

    ``late`` holds, per later round (2, 3, ...), the IDs of the applicants who arrive in
    it; ``late_applicants`` and ``late_choices`` are their rows of applicants.csv and
    choices.csv as the generator wrote them."""

    inputs: Path
    late: list[list[str]]
    late_applicants: pd.DataFrame
    late_choices: pd.DataFrame
    first_choice: dict[str, str] = field(repr=False)
    """Applicant -> the program they ranked first on their original list (round 1's, or
    the late application's); applicants who ranked nothing are absent."""


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n")


def make_city(
    folder: Path,
    applicants: int,
    schools: int | None = None,
    choices: int = 12,
    seed: int = 7,
    rounds: int = ROUNDS,
    force: bool = False,
) -> SummerCity:
    """Generate (or reuse) the city in ``folder``: ``folder/generated`` is the whole
    synthetic city, ``folder/inputs`` round 1's input folder (without the late
    applicants, with the example city's policy.toml, ``[rounds]`` not set)."""
    folder = Path(folder)
    late_count = round(LATE * applicants)
    total = applicants + late_count * (rounds - 1)
    generated, inputs = folder / "generated", folder / "inputs"
    if force or not (generated / "choices.csv").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {folder.name} ({total:,} applicants)", file=sys.stderr)
        generate_city(
            generated,
            applicants=total,
            schools=schools or max(12, total // 250),
            max_choices=choices,
            seed=seed,
            seat_policy=True,
        )
    people = _read(generated / "applicants.csv")
    ranked = _read(generated / "choices.csv")
    alone = people[(people["family_id"] == "") & (people["guaranteed_program_id"] == "")]
    rng = np.random.default_rng([seed, applicants])
    pool = rng.choice(alone["applicant_id"].to_numpy(), late_count * (rounds - 1), replace=False)
    late = [pool[i * late_count : (i + 1) * late_count].tolist() for i in range(rounds - 1)]
    is_late = people["applicant_id"].isin(pool)
    if not (inputs / "choices.csv").is_file():
        inputs.mkdir(parents=True)
        for name in ("programs.csv", "reserves.csv"):
            shutil.copy(generated / name, inputs / name)
        shutil.copy(EXAMPLE_POLICY, inputs / "policy.toml")
        _write(people[~is_late], inputs / "applicants.csv")
        _write(ranked[~ranked["applicant_id"].isin(pool)], inputs / "choices.csv")
    first = ranked[ranked["rank"] == "1"]
    return SummerCity(
        inputs=inputs,
        late=late,
        late_applicants=people[is_late],
        late_choices=ranked[ranked["applicant_id"].isin(pool)],
        first_choice=dict(zip(first["applicant_id"], first["program_id"], strict=True)),
    )


LOTTERY_ONLY_POLICY = """# No priority tiers, no reserves: the lottery decides (guarantees aside).
[priority]
order = []
"""


def option_inputs(city: SummerCity, option: str, folder: Path, lottery_only: bool = False) -> Path:
    """Round 1's input folder with ``[rounds] tiebreak = option`` added to its policy.

    ``lottery_only``: the policy has no priority tiers and the folder no reserves.csv
    (guarantees, families and the zone guarantee stay), so that the lottery orders every
    program, as in the model of Feigenbaum et al."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(city.inputs, folder)
    if lottery_only:
        policy = LOTTERY_ONLY_POLICY
        (folder / "reserves.csv").unlink()
    else:
        policy = (city.inputs / "policy.toml").read_text(encoding="utf-8")
    (folder / "policy.toml").write_text(
        policy.rstrip("\n") + f'\n\n[rounds]\ntiebreak = "{option}"\n', encoding="utf-8"
    )
    return folder


# ----------------------------------------------------------------------------- the changes


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def seats_held(out: Path) -> dict[str, str]:
    """Applicant -> program where they hold a seat after the round in ``out`` ('' for none)."""
    return {
        r["applicant_id"]: r["program_id"] if r["status"] in HOLDS else ""
        for r in _rows(out / "placements.csv")
    }


def draw(summer_seed: int, number: int, applicant_id: str) -> float:
    """The applicant's number in [0, 1) for round ``number``: the same for every option."""
    digest = hashlib.sha256(f"{summer_seed}:{number}:{applicant_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class RoundChanges:
    """What a changes folder says: applicant -> event, program -> new seats."""

    event: dict[str, str]
    seats: dict[str, int]


def write_changes(
    city: SummerCity,
    previous: Path,
    previous_inputs: Path,
    number: int,
    folder: Path,
    summer_seed: int = 0,
    scenario: Scenario = SUMMER,
) -> RoundChanges:
    """Write the changes folder of round ``number`` (2, 3, ...) after the round in
    ``previous`` (whose input folder is ``previous_inputs``)."""
    held = seats_held(previous)
    event: dict[str, str] = {}
    lines = []
    for applicant_id in sorted(held):
        u = draw(summer_seed, number, applicant_id)
        seat = held[applicant_id]
        if u < scenario.withdraw or (seat and u < scenario.withdraw + scenario.cancel):
            event[applicant_id] = "withdraw"
            lines.append(f"withdraw,{applicant_id},{seat},,")
        elif seat and u < scenario.withdraw + scenario.cancel + scenario.decline:
            event[applicant_id] = "decline"
            lines.append(f"decline,{applicant_id},{seat},,")
    late = city.late[number - 2] if scenario.late else []
    for applicant_id in late:
        event[applicant_id] = "new_applicant"
    lines += [f"new_applicant,{a},,,late application" for a in sorted(late)]

    programs = _read(previous_inputs / "programs.csv")
    staying = [a for a, seat in held.items() if seat and a not in event]
    holders = pd.Series([held[a] for a in staying], dtype=object).value_counts()
    reserved: dict[str, int] = {}
    if (previous_inputs / "reserves.csv").is_file():
        for r in _rows(previous_inputs / "reserves.csv"):
            if r["seats"]:
                reserved[r["program_id"]] = reserved.get(r["program_id"], 0) + int(r["seats"])
    rng = np.random.default_rng([summer_seed, number])
    chosen = rng.choice(len(programs), min(scenario.seat_changes, len(programs)), replace=False)
    grow = rng.integers(1, 4, len(chosen))
    cut = rng.integers(1, 3, len(chosen))
    changed: dict[str, int] = {}
    for i, row in enumerate(sorted(chosen.tolist())):
        program_id = programs["program_id"].iloc[row]
        seats = int(programs["seats"].iloc[row])
        delta = int(grow[i]) if i % 2 == 0 else -int(cut[i])
        floor = max(int(holders.get(program_id, 0)), reserved.get(program_id, 0))
        changed[program_id] = max(seats + delta, floor)
    lines += [f"seat_change,,{p},{v}," for p, v in sorted(changed.items())]

    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "changes.csv").write_text(
        CHANGES_HEADER + "".join(line + "\n" for line in lines), encoding="utf-8"
    )
    ids = set(late)
    _write(
        city.late_applicants[city.late_applicants["applicant_id"].isin(ids)],
        folder / "applicants.csv",
    )
    _write(city.late_choices[city.late_choices["applicant_id"].isin(ids)], folder / "choices.csv")
    return RoundChanges(event, changed)


# ----------------------------------------------------------------------------- the summer


@dataclass
class Round:
    """One round of one option: its folders, its changes and its figures."""

    number: int
    out: Path
    inputs: Path
    changes: RoundChanges | None
    seconds: float = 0.0
    figures: dict = field(default_factory=dict)


def figures(out: Path, city: SummerCity) -> dict:
    """The round's figures, from its output folder."""
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    moves = manifest.get("round", {}).get("moves", {})
    held = seats_held(out)
    first = sum(1 for a, p in held.items() if p and city.first_choice.get(a) == p)
    return {
        "applicants": counts["applicants"],
        "moved": moves.get("improved", 0) + moves.get("transfer", 0),
        "new_placements": moves.get("new placement", 0),
        "released": moves.get("declined", 0) + moves.get("withdrawn", 0),
        "placed": counts["placed"],
        "first_choice": first / counts["applicants"],
        "offers": manifest.get("round", {}).get("offers", counts["placed"]),
    }


def timed_run(run, out: Path, repeats: int) -> float:
    """Median seconds of ``repeats`` runs of ``run`` (each writes ``out``, forced); every
    run must write the same manifest."""
    times, manifests = [], set()
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
        manifests.add(hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest())
    if len(manifests) != 1:
        raise AssertionError(f"reruns of {out} differ")
    return statistics.median(times)


def run_summer(
    city: SummerCity,
    option: str,
    work: Path,
    rounds: int = ROUNDS,
    repeats: int = 1,
    summer_seed: int = 0,
    scenario: Scenario = SUMMER,
    lottery_only: bool = False,
) -> list[Round]:
    """Round 1 and ``rounds - 1`` later rounds of one option, in ``work/option``."""
    base = Path(work) / option
    base.mkdir(parents=True, exist_ok=True)
    inputs = option_inputs(city, option, base / "inputs", lottery_only)
    out = base / "round-1"
    first = Round(1, out, inputs, None)
    first.seconds = timed_run(lambda: run_lottery(inputs, out, SEED, force=True), out, repeats)
    first.figures = figures(out, city)
    done = [first]
    for number in range(2, rounds + 1):
        previous = done[-1]
        changes_dir = base / f"changes-{number}"
        changes = write_changes(
            city, previous.out, previous.inputs, number, changes_dir, summer_seed, scenario
        )
        out = base / f"round-{number}"
        given = inputs if number == 2 else None

        def run(previous=previous, changes_dir=changes_dir, out=out, given=given):
            return run_round(previous.out, changes_dir, out, inputs_dir=given, force=True)

        this = Round(number, out, out / "round-inputs", changes)
        this.seconds = timed_run(run, out, repeats)
        this.figures = figures(out, city)
        done.append(this)
    return done


# ----------------------------------------------------------------------------- the report

Results = dict[tuple[int, str], list[Round]]
"""(round-1 applicants, option) -> the rounds of that summer."""


def _ratio(moved: int, released: int) -> str:
    return f"{moved / released:.2f}" if released else "-"


def _change(same: int, reversed_: int) -> str:
    return f"{(reversed_ - same) / same:+.0%}" if same else "-"


def write_report(main: Results, variants: dict[tuple[int, str, str], Results], args) -> str:
    from run import machine_description  # benchmarks/run.py, beside this file

    sizes = sorted({size for size, _ in main})
    lines = [
        "# Later rounds: tie-break `same` against `reversed`",
        "",
        f"Machine: {machine_description()}.",
        "",
        "A synthetic summer (`benchmarks/rounds.py`; regenerate with `make bench-rounds`): "
        "a city from `lottery synth` (generator seed 7, one school per 250 applicants, 12 "
        "choices, the seat policy) with the example city's `policy.toml`, round 1 with "
        f"`lottery run` (seed `{SEED}`), then two rounds with `lottery round`. Before each "
        f"later round {SUMMER.decline:.0%} of the seats held are declined (the decliner keeps "
        f"waiting for the programs ranked above the seat), {SUMMER.withdraw:.0%} of the "
        f"applicants withdraw, late applicants equal to {LATE:.0%} of round 1's arrive "
        "(drawn by the generator with everybody else, then held out of round 1), and "
        f"{SUMMER.seat_changes} programs gain 1-3 seats or lose 1-2. Both options see the "
        f"same draws (summer seed {args.summer_seed}): round 2's changes folder is the same "
        "file; round 3's decisions are the same, applied to each option's round 2. "
        f"Seconds: median of {args.repeats} runs of the round in one process (round 1: "
        "`run_lottery`; later rounds: `run_round`, which also reads and checks the previous "
        "round and writes `round-inputs/`); every rerun gave the same manifest.",
        "",
        "- *released*: seats given up before the round (declined, or withdrawn with a seat).",
        "- *moved*: applicants who held a seat and were moved to one they ranked higher "
        "(`improved` in `moves.csv`). Each gets a new offer and gives up a seat, which goes "
        "to the next: one released seat starts a chain of moves.",
        "- *new*: applicants without a seat who got one (`new placement`); a chain ends there "
        "(or at a seat nobody wants).",
        "- *offers*: rows of `offers.csv` (moved, new, and decliners placed higher): the "
        "letters and calls the office must make.",
        "- *placed*: applicants holding a seat (decliners who got nothing better and late "
        "applicants without a seat count as unplaced).",
        "- *1st choice*: share of the round's applicants holding a seat at the program "
        "they ranked first on their original list.",
        "",
        "| applicants (round 1) | tie-break | round | applicants | released | moved "
        "| moved per released seat | new | offers | placed | 1st choice | seconds |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (size, option), rounds in main.items():
        for r in rounds:
            f = r.figures
            later = (
                f"{f['released']:,} | {f['moved']:,} | {_ratio(f['moved'], f['released'])} "
                f"| {f['new_placements']:,}"
                if r.number > 1
                else "- | - | - | -"
            )
            lines.append(
                f"| {size:,} | {option} | {r.number} | {f['applicants']:,} | {later} "
                f"| {f['offers']:,} | {f['placed']:,} | {f['first_choice']:.1%} "
                f"| {r.seconds:.2f} |"
            )
    lines += [
        "",
        "Students moved, `same` against `reversed`, in this summer and in variants of it on "
        "the same cities (one run each; in brackets, reversed against same): *summer "
        "without late applicants* is the summer above where nobody arrives; *cancellations "
        "only* is the setting of Feigenbaum "
        f"et al.: before each later round {CANCELLATIONS.cancel:.0%} of the seats held are "
        "given up by students who leave, nobody arrives and nothing else changes; "
        "*lottery only* runs without priority tiers or reserves (guarantees, families and "
        "the zone guarantee stay), so that the lottery orders every program.",
        "",
        "| applicants (round 1) | changes | policy | round 2 moved: same / reversed "
        "| round 3 moved: same / reversed | rounds 2+3: same / reversed |",
        "|---:|---|---|---:|---:|---:|",
    ]
    for (size, scenario, policy), results in variants.items():
        same, rev = results[size, "same"], results[size, "reversed"]
        pairs = [(same[n].figures["moved"], rev[n].figures["moved"]) for n in (1, 2)]
        pairs.append((sum(p[0] for p in pairs), sum(p[1] for p in pairs)))
        cells = [f"{a:,} / {b:,} ({_change(a, b)})" for a, b in pairs]
        lines.append(f"| {size:,} | {scenario} | {policy} | " + " | ".join(cells) + " |")
    if all((size, s.name, p) in variants for size in sizes for s in VARIANTS for p in POLICIES):
        lines += ["", *reading(variants, sizes)]
    return "\n".join(lines) + "\n"


POLICIES = ("example city", "lottery only")
VARIANTS = (SUMMER, NO_LATE, CANCELLATIONS)
PAPER = (
    'Feigenbaum, Kanoria, Lo and Sethuraman, "Dynamic Matching in School Choice: Efficient '
    'Seat Reassignment After Late Cancellations", *Management Science* 2020'
)


def reading(variants: dict[tuple[int, str, str], Results], sizes: list[int]) -> list[str]:
    """The reading of the tables, with their figures (every scenario and policy was run)."""
    example, lottery = POLICIES

    def total(size, scenario, policy, option, key, rounds=(1, 2)):
        summer_rounds = variants[size, scenario.name, policy][size, option]
        return sum(summer_rounds[n].figures[key] for n in rounds)

    def change(scenario, policy, key="moved", rounds=(1, 2)) -> str:
        """reversed against same, per size: '-33% and -43%'."""
        return " and ".join(
            _change(*(total(n, scenario, policy, o, key, rounds) for o in OPTIONS)) for n in sizes
        )

    def taken(scenario) -> str:
        """New placements per released seat, rounds 2 and 3, both options (example policy)."""
        values = [
            total(n, scenario, example, o, "new_placements")
            / total(n, scenario, example, o, "released")
            for n in sizes
            for o in OPTIONS
        ]
        return f"{min(values):.0%}-{max(values):.0%}"

    def per_released(scenario) -> str:
        values = [
            total(n, scenario, example, o, "moved") / total(n, scenario, example, o, "released")
            for n in sizes
            for o in OPTIONS
        ]
        return f"{min(values):.2f}-{max(values):.2f}"

    last = {k: [results[k[0], o][-1].figures for o in OPTIONS] for k, results in variants.items()}
    placed = max(abs(s["placed"] - r["placed"]) / s["placed"] for s, r in last.values())
    first = max(abs(s["first_choice"] - r["first_choice"]) for s, r in last.values())
    lower = all(r["first_choice"] <= s["first_choice"] for s, r in last.values())
    cities = " and ".join(f"{n:,}" for n in sizes)
    return [
        "## Reading",
        "",
        f"Changes are `reversed` against `same`, for the cities of {cities} applicants in "
        "that order.",
        "",
        "**What reversing does.** Every later round reruns deferred acceptance with each "
        "seat holder's seat as a guaranteed last resort. With the same order, a seat that "
        "opens goes first, within a priority tier, to the best number among those waiting "
        "for it: typically someone who just missed that program in round 1 and holds a "
        "seat a step down their list, which opens in turn for the next, and so on. "
        "Reversed, it goes to the worst number among them, more often someone without a "
        "seat, and the chain ends there. This is the permuted-lottery deferred acceptance "
        f"of {PAPER}: among reruns with a permutation of the first lottery, they show that "
        "the reversed one reassigns the fewest students, in a model with one reassignment "
        "round after cancellations and the lottery breaking ties.",
        "",
        "**In that setting the benchmark agrees.** With cancellations only and the lottery "
        "ordering every program, reversing changed the number of students moved in round 2 "
        f"by {change(CANCELLATIONS, lottery, rounds=(1,))}, and the number of offers by "
        f"{change(CANCELLATIONS, lottery, 'offers', (1,))}. With the example city's policy, "
        "where continuing, sibling and zone priority and the reserves decide much of each "
        "program's order and the lottery only breaks ties within a tier, the saving is "
        f"smaller: {change(CANCELLATIONS, example, rounds=(1,))}.",
        "",
        "**The next round saves less.** In round 3 reversing changed the "
        f"moves by {change(CANCELLATIONS, example, rounds=(2,))} with the example policy and "
        f"by {change(CANCELLATIONS, lottery, rounds=(2,))} lottery only. A likely reason: "
        "round 2 under `reversed` gave the open seats to the waiting applicants with the "
        "worst numbers, many of them without a seat, who ended the chains; in round 3 the "
        "worst numbers among those still waiting more often belong to applicants who hold "
        f"a seat. Over rounds 2 and 3: {change(CANCELLATIONS, example)} with the example "
        f"policy, {change(CANCELLATIONS, lottery)} lottery only.",
        "",
        "**Late applicants erase most of the difference.** In the summer of issue 8 the "
        "late applicants take many of the seats released, under either order: new "
        f"placements come to {taken(SUMMER)} of the seats released in rounds 2 and 3, "
        f"against {taken(NO_LATE)} in the same summer without late applicants (example "
        f"policy), and moves to {per_released(SUMMER)} per seat released, against "
        f"{per_released(NO_LATE)}. And they favour `same`, presumably because "
        "with it a late applicant whose number beats a "
        "program's round-1 cutoff stands ahead of every on-time applicant still waiting "
        "for it (they all drew worse) and takes the seat at the head of the chain; "
        "reversed, late applicants rarely come before the on-time waiters with the worst "
        f"numbers. Over rounds 2 and 3 reversing changed the moves by {change(SUMMER, example)} "
        f"with the example policy and by {change(SUMMER, lottery)} lottery only (without "
        f"late applicants: {change(NO_LATE, example)}, and {change(NO_LATE, lottery)}).",
        "",
        "**Who gets what barely changes.** After round 3 the two orders differ by at most "
        f"{placed:.1%} in applicants placed and {first * 100:.1f} points in the first-choice "
        "share" + (", never higher with `reversed`" if lower else "") + ", as the paper's "
        "finding leads one to expect that, under natural conditions on demand, every "
        "permuted lottery gives the same allocative welfare.",
        "",
        "**The trade-off.** `reversed` saves moves (new offers, families changing school, "
        "seats handed back) in the first round after the main match, when that round is "
        "mostly cancellations and the lottery decides much of each program's order; the "
        "saving shrinks with priorities, does not repeat in the next round, and all but "
        "disappears, or turns into more moves, when late applicants arrive. Its cost is "
        "explaining to families that a good number in round 1 is a bad one afterwards. "
        "`same` keeps one order all year, the easiest rule to explain and to check, and "
        "moves somewhat more students in the first later round. A city can measure its "
        "own case with `make bench-rounds` (`--sizes`), or from the `round.moves` counts "
        "in its manifests.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--summer-seed", type=int, default=0)
    parser.add_argument("--no-variants", action="store_true", help="the summer alone")
    parser.add_argument("--output", type=Path, default=HERE / "ROUNDS.md")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    main_results: Results = {}
    variants: dict[tuple[int, str, str], Results] = {}
    for size in sorted(args.sizes):
        folder = WORK / f"summer-{size}"
        city = make_city(folder, size)
        runs = [(SUMMER, False, args.repeats)]
        if not args.no_variants:
            runs += [
                (scenario, policy == POLICIES[1], 1)
                for scenario in VARIANTS
                for policy in POLICIES
                if (scenario, policy) != (SUMMER, POLICIES[0])
            ]
        for scenario, lottery_only, repeats in runs:
            policy = POLICIES[1] if lottery_only else POLICIES[0]
            results: Results = {}
            for option in OPTIONS:
                results[size, option] = run_summer(
                    city,
                    option,
                    folder / "runs",
                    repeats=repeats,
                    summer_seed=args.summer_seed,
                    scenario=scenario,
                    lottery_only=lottery_only,
                )
                for r in results[size, option]:
                    record = {"size": size, "scenario": scenario.name, "policy": policy}
                    record |= {"option": option, "round": r.number, "seconds": r.seconds}
                    print(json.dumps(record | r.figures), file=sys.stderr)
            if scenario is SUMMER and not lottery_only:
                main_results.update(results)
            variants[size, scenario.name, policy] = results
    text = write_report(main_results, variants, args)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
