"""Chains of later rounds for the tests: round 1 of a city, then rounds whose changes
folders are written by hand (:class:`Chain`) or drawn at random (:func:`random_changes`),
readers of the files a round writes, and :func:`independent_violations`, a check of a
round's stability, capacity and guarantees from those files alone.

``Chain`` runs every round with :func:`lottery.rounds.run_round`, the seed ``SEED`` and
the changes given as rows of changes.csv (and other files by name); ``random_changes``
writes a changes folder of random events after a round, for the rules that must hold
whatever the office sends (tests/rounds/test_round_properties.py).
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from lottery.engine import run_lottery
from lottery.errors import InputError
from lottery.numbers import lottery_number
from lottery.policy import Policy
from lottery.rounds import run_round
from support.files import rows
from support.small_city import City

SEED = "2026-spring"
HEADER = "event,applicant_id,program_id,value,note"
APPLICANT_HEADER = "applicant_id,first_name,last_name,grade,guardian_name,zone"
HOLDS = ("placed", "guaranteed", "administrative")


# ----------------------------------------------------------------------------- files


def seats(out: Path) -> dict[str, str]:
    """Applicant -> program where they hold a seat ('' for none)."""
    return {
        r["applicant_id"]: r["program_id"] if r["status"] in HOLDS else ""
        for r in rows(out / "placements.csv")
    }


def moves(out: Path) -> list[tuple[str, str, str, str]]:
    return [tuple(r.values()) for r in rows(out / "moves.csv")]


def offers(out: Path) -> list[tuple[str, str, str, str, str]]:
    return [tuple(r.values()) for r in rows(out / "offers.csv")]


def lists_of(inputs: Path) -> dict[str, list[str]]:
    lists: dict[str, list[tuple[int, str]]] = {}
    for r in rows(inputs / "choices.csv"):
        lists.setdefault(r["applicant_id"], []).append((int(r["rank"]), r["program_id"]))
    return {a: [p for _, p in sorted(ranked)] for a, ranked in lists.items()}


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# ----------------------------------------------------------------------------- rules


def policy_values(out: Path) -> dict[str, int]:
    """Priority label -> value (lower is better), from the policy the round used."""
    manifest = json.loads((out / "manifest.json").read_text())
    order = Policy.model_validate(manifest["policy"]).priority.order
    return {
        "guaranteed": 0,
        **{t: i for i, t in enumerate(order, start=1)},
        "general": len(order) + 1,
    }


def capacity_of(out: Path) -> dict[str, int]:
    """Seats offered in the round written to ``out``."""
    return offered_seats(out / "round-inputs")


def offered_seats(inputs: Path) -> dict[str, int]:
    """Seats offered in the round whose input folder is ``inputs``."""
    return {
        r["program_id"]: int(r.get("offer_target") or r["seats"]) - int(r.get("held_seats") or 0)
        for r in rows(inputs / "programs.csv")
    }


def independent_violations(out: Path) -> list[str]:
    """Stability, capacity and guarantees of a round without reserves, families or
    required tags, from its files alone. A program orders applicants by (priority shown
    in choice_results.csv, lottery_rank shown in placements.csv, which is checked against
    the seeded numbers and the reversal first)."""
    problems = []
    manifest = json.loads((out / "manifest.json").read_text())
    placements = {r["applicant_id"]: r for r in rows(out / "placements.csv")}
    ordered = sorted(placements, key=lambda a: (lottery_number(SEED, a), a))
    reversed_ = manifest.get("round", {}).get("lottery_reversed", False)
    n = len(ordered)
    for position, applicant in enumerate(ordered, start=1):
        expected = n + 1 - position if reversed_ else position
        if placements[applicant]["lottery_rank"] != str(expected):
            problems.append(f"{applicant}: lottery rank {placements[applicant]['lottery_rank']}")
    value = policy_values(out)
    priority = {
        (r["applicant_id"], r["program_id"]): value[r["priority"]]
        for r in rows(out / "choice_results.csv")
    }
    inputs = out / "round-inputs"
    guarantee = {
        r["applicant_id"]: r.get("guaranteed_program_id", "")
        for r in rows(inputs / "applicants.csv")
    }
    lists = lists_of(inputs)
    capacity = capacity_of(out)
    seat = {a: r["program_id"] if r["status"] in HOLDS else "" for a, r in placements.items()}
    held_by: dict[str, list[str]] = {}
    for a, p in seat.items():
        if p:
            held_by.setdefault(p, []).append(a)

    def key(a: str, p: str) -> tuple[int, int]:
        rank = int(placements[a]["lottery_rank"])
        return (0 if guarantee.get(a) == p else priority[a, p], rank)

    for p, holders in held_by.items():
        if len(holders) > capacity[p]:
            problems.append(f"{p}: {len(holders)} placed, capacity {capacity[p]}")
    for a, g in guarantee.items():
        ranked = lists.get(a, [])
        better = ranked[: ranked.index(g)] if g in ranked else ranked
        if g and seat[a] != g and seat[a] not in better:
            problems.append(f"{a}: guaranteed {g} but placed at {seat[a] or 'nothing'}")
    for a, ranked in lists.items():
        above = ranked[: ranked.index(seat[a])] if seat[a] in ranked else ranked
        if seat[a] and seat[a] not in ranked and seat[a] != guarantee.get(a):
            continue  # the zone guarantee: every ranked program turned them away
        for p in above:
            admitted = held_by.get(p, [])
            if len(admitted) < capacity[p]:
                problems.append(f"{a}: wastes a seat at {p}")
            elif any(key(b, p) > key(a, p) for b in admitted):
                problems.append(f"{a}: justified envy at {p}")
    return problems


# ----------------------------------------------------------------------------- changes


def write_changes(folder: Path, *events: str, **files: str) -> Path:
    """A changes folder: ``changes.csv`` with ``events`` (rows after the header) and
    other files by name (``applicants=``, ``choices=``, ``lottery=``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "changes.csv").write_text(HEADER + "\n" + "".join(e + "\n" for e in events))
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


def new_applicant(applicant_id: str, grade: str = "K", zone: str = "N", **extra: str) -> str:
    """applicants.csv text with one new applicant (extra columns by keyword)."""
    header = APPLICANT_HEADER + "".join(f",{c}" for c in extra)
    row = f"{applicant_id},New,Kid,{grade},Guardian,{zone}" + "".join(
        f",{v}" for v in extra.values()
    )
    return f"{header}\n{row}\n"


def choice_rows(*rows_: str) -> str:
    return "applicant_id,rank,program_id\n" + "".join(r + "\n" for r in rows_)


class Chain:
    """Round 1 of a city, then rounds with changes, in ``tmp``."""

    def __init__(self, tmp: Path, city: City, seed: str | None = SEED):
        self.tmp, self.city = tmp, city
        self.outs = [tmp / "round-1"]
        run_lottery(city.path, self.outs[0], seed)

    @property
    def last(self) -> Path:
        return self.outs[-1]

    def round(self, *events: str, **files: str) -> Path:
        number = len(self.outs) + 1
        changes = write_changes(self.tmp / f"changes-{number}", *events, **files)
        out = self.tmp / f"round-{number}"
        inputs = self.city.path if number == 2 else None
        run_round(self.last, changes, out, inputs_dir=inputs)
        self.outs.append(out)
        return out

    def problems(self, *events: str, **files: str) -> list[str]:
        """The problems a round with these changes reports (nothing may be written)."""
        changes = write_changes(self.tmp / "bad-changes", *events, **files)
        out = self.tmp / "bad-round"
        inputs = self.city.path if len(self.outs) == 1 else None
        with pytest.raises(InputError) as error:
            run_round(self.last, changes, out, inputs_dir=inputs)
        assert not out.exists()
        shutil.rmtree(changes)
        return [p.render() for p in error.value.problems]


def random_changes(rng: random.Random, out: Path, inputs: Path, number: int, folder: Path) -> dict:
    """Random changes after ``out`` (whose input folder is ``inputs``): about 10% of seat
    holders decline, 5% withdraw, 5% accept, 5% ask for a transfer; some unplaced
    applicants withdraw or change their lists; about 5% late applicants; seat changes at
    two programs. Returns what was decided, for the checks."""
    placed = seats(out)
    lists = lists_of(inputs)
    programs = rows(inputs / "programs.csv")
    grade_of_program = {r["program_id"]: r["grade"] for r in programs}
    applicants = {r["applicant_id"]: r for r in rows(inputs / "applicants.csv")}
    events, choice_lines, new_rows = [], [], []
    decided: dict[str, str] = {}
    transfers: dict[str, list[str]] = {}
    for a in sorted(placed):
        roll = rng.random()
        seat = placed[a]
        of_grade = sorted(p for p, g in grade_of_program.items() if g == applicants[a]["grade"])
        if seat:
            above = (
                lists.get(a, [])[: lists.get(a, []).index(seat)]
                if seat in lists.get(a, [])
                else lists.get(a, [])
            )
            if roll < 0.10:
                events.append(f"decline,{a},{seat},,")
                decided[a] = "decline"
            elif roll < 0.15:
                events.append(f"withdraw,{a},{seat},,")
                decided[a] = "withdraw"
            elif roll < 0.20:
                events.append(f"accept,{a},{seat},,")
                decided[a] = "accept"
            elif roll < 0.25:
                wanted = [p for p in of_grade if p != seat and p not in above]
                if wanted:
                    asked = rng.sample(wanted, min(len(wanted), rng.randint(1, 2)))
                    events += [f"transfer_request,{a},{p},," for p in asked]
                    decided[a] = "transfer_request"
                    transfers[a] = asked
        elif roll < 0.05:
            events.append(f"withdraw,{a},,,")
            decided[a] = "withdraw"
        elif roll < 0.12 and of_grade:
            events.append(f"update_choices,{a},,,")
            decided[a] = "update_choices"
            new = rng.sample(of_grade, rng.randint(1, min(3, len(of_grade))))
            choice_lines += [f"{a},{r},{p}" for r, p in enumerate(new, start=1)]
    grades = sorted(set(grade_of_program.values()))
    for i in range(max(1, len(placed) // 20)):
        a = f"N{number}x{i}"
        grade = rng.choice(grades)
        of_grade = sorted(p for p, g in grade_of_program.items() if g == grade)
        events.append(f"new_applicant,{a},,,")
        decided[a] = "new_applicant"
        new_rows.append(f"{a},Late,Kid,{grade},Guardian,{rng.choice(['N', 'S', 'E', 'W', ''])}")
        new = rng.sample(of_grade, rng.randint(1, min(3, len(of_grade))))
        choice_lines += [f"{a},{r},{p}" for r, p in enumerate(new, start=1)]
    staying = [a for a in placed if decided.get(a) not in ("decline", "withdraw")]
    holders = {p: sum(placed[a] == p for a in staying) for p in grade_of_program}
    reserved: dict[str, int] = {}  # seat changes may not go below reserved seats
    if (inputs / "reserves.csv").is_file():
        for r in rows(inputs / "reserves.csv"):
            reserved[r["program_id"]] = reserved.get(r["program_id"], 0) + int(r["seats"] or 0)
    for p in rng.sample(sorted(grade_of_program), min(2, len(grade_of_program))):
        value = max(holders[p] + rng.randint(0, 2), reserved.get(p, 0))
        events.append(f"seat_change,,{p},{value},")
    files = {}
    if new_rows:
        files["applicants"] = APPLICANT_HEADER + "\n" + "".join(r + "\n" for r in new_rows)
    if choice_lines:
        files["choices"] = choice_rows(*choice_lines)
    write_changes(folder, *events, **files)
    return {"decided": decided, "transfers": transfers}


def run_rounds(base: Path, city: Path, changes: list[dict[str, str]] | tuple) -> None:
    """Rounds 2, 3, ... after ``base / "round-1"``: the changes folder of each round
    (``base / "changes-N"``) holds the files of one entry of ``changes`` (name -> text);
    round 2 is given the round-1 input folder ``city``."""
    for number, files in enumerate(changes, start=2):
        folder = base / f"changes-{number}"
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text)
        run_round(
            base / f"round-{number - 1}",
            folder,
            base / f"round-{number}",
            inputs_dir=city if number == 2 else None,
        )
