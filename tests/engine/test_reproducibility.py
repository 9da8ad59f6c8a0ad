"""Whole-pipeline properties on random small cities written as CSV files.

Each example writes a city from ``tests/support/strategies.py`` into a fresh folder, runs
``run_lottery`` and compares output files. The pipeline is slow next to the matcher,
so examples are few.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.reference import reference_deferred_acceptance
from support.strategies import City, cities, write_city

from lottery.engine import run_lottery

SEED = "2026-spring"
OUTPUT_CSVS = (
    "placements.csv",
    "waitlists.csv",
    "programs_summary.csv",
    "choice_results.csv",
    "reserve_report.csv",
)
FILE_LEVEL = settings(max_examples=20, deadline=None)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """``workspace()`` -> a new empty folder (hypothesis runs many examples per test)."""
    return lambda: tmp_path_factory.mktemp("run")


def run(city: City, folder: Path, seed: str | None = SEED, **shuffle) -> Path:
    """Write ``city`` into ``folder/in``, run the lottery into ``folder/out``."""
    input_dir = write_city(city, folder / "in", **shuffle)
    run_lottery(input_dir, folder / "out", seed)
    return folder / "out"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@FILE_LEVEL
@given(cities(), st.randoms(use_true_random=False))
def test_row_order_does_not_change_outputs(workspace, city, rng):
    plain = run(city, workspace())
    shuffled = run(city, workspace(), rows=rng)
    for name in OUTPUT_CSVS:
        assert (shuffled / name).read_bytes() == (plain / name).read_bytes(), name
    # Only the hashes of the (reordered) input files may differ, and the lines that
    # warnings point at (a warning about a row names the row's line).
    first, second = manifest(plain), manifest(shuffled)
    assert first.pop("inputs").keys() == second.pop("inputs").keys()
    assert without_lines(first.pop("warnings", [])) == without_lines(second.pop("warnings", []))
    assert first == second


def without_lines(warnings: list[str]) -> list[str]:
    """The warnings without the line they point at (``applicants.csv:4: zone: ...`` is
    ``applicants.csv: zone: ...``), sorted."""
    return sorted(re.sub(r"^([^:]+):[0-9]+:", r"\1:", warning) for warning in warnings)


@FILE_LEVEL
@given(cities(), st.randoms(use_true_random=False))
def test_column_order_does_not_change_outputs(workspace, city, rng):
    plain = run(city, workspace())
    shuffled = run(city, workspace(), columns=rng)
    for name in OUTPUT_CSVS:
        assert (shuffled / name).read_bytes() == (plain / name).read_bytes(), name
    first, second = manifest(plain), manifest(shuffled)
    del first["inputs"], second["inputs"]
    assert first == second


@FILE_LEVEL
@given(cities())
def test_same_seed_gives_identical_bytes(workspace, city):
    first = run(city, workspace())
    second = run(city, workspace())
    names = sorted(path.name for path in first.iterdir())
    assert names == sorted([*OUTPUT_CSVS, "manifest.json"])
    assert sorted(path.name for path in second.iterdir()) == names
    for name in names:
        assert (second / name).read_bytes() == (first / name).read_bytes(), name


@FILE_LEVEL
@given(cities())
def test_charter_district_relabeling_does_not_change_placements(workspace, city):
    original = run(city, workspace())
    relabeled = run(city.with_sectors_swapped(), workspace())
    for name in ("placements.csv", "waitlists.csv"):
        assert (relabeled / name).read_bytes() == (original / name).read_bytes(), name
    swap = {"district": "charter", "charter": "district"}
    expected = [
        {**row, "sector": swap[row["sector"]]}
        for row in read_csv(original / "programs_summary.csv")
    ]
    assert read_csv(relabeled / "programs_summary.csv") == expected


@FILE_LEVEL
@given(cities(), st.data())
def test_sibling_priority_never_hurts_applicant(workspace, city, data):
    """Under the default policy a sibling only raises the applicant's own priority at
    that school, and deferred acceptance respects improvements (Balinski & Sonmez 1999,
    "A Tale of Two Mechanisms", Journal of Economic Theory 84(1), 73-94)."""
    applicant = data.draw(st.sampled_from([row["applicant_id"] for row in city.applicants]))
    school = data.draw(st.sampled_from(sorted({row["school_id"] for row in city.programs})))
    before = run(city, workspace())
    after = run(city.with_sibling(applicant, school), workspace())

    def choice_rank(out: Path) -> float:
        row = next(r for r in read_csv(out / "placements.csv") if r["applicant_id"] == applicant)
        return int(row["choice_rank"]) if row["status"] == "placed" else float("inf")

    assert choice_rank(after) <= choice_rank(before)


@FILE_LEVEL
@given(cities())
def test_different_seed_changes_lottery_numbers(workspace, city):
    numbers = {}
    for seed in ("2026-spring", "2026-spring-redraw"):
        rows = read_csv(run(city, workspace(), seed=seed) / "placements.csv")
        numbers[seed] = {row["applicant_id"]: int(row["lottery_number"]) for row in rows}
        # The published formula, recomputed here.
        for applicant_id, number in numbers[seed].items():
            assert number == published_lottery_number(seed, applicant_id)
    first, second = numbers.values()
    assert first.keys() == second.keys()
    assert all(first[a] != second[a] for a in first)


def published_lottery_number(seed: str, applicant_id: str) -> int:
    digest = hashlib.sha256(f"{seed}|{applicant_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


DEFAULT_TIERS = ("continuing", "sibling+zone", "sibling", "zone")


def default_priority(applicant: dict[str, str], program: dict[str, str]) -> tuple[int, str]:
    """Priority value and label of a pair under the default policy, written out
    independently of ``lottery.market``."""
    school = program["school_id"]
    sibling = school in applicant["sibling_school_ids"].split(";")
    zone = applicant["zone"] != "" and applicant["zone"] in program["zones"].split(";")
    met = {
        "continuing": applicant["current_school_id"] == school,
        "sibling+zone": sibling and zone,
        "sibling": sibling,
        "zone": zone,
    }
    for value, tier in enumerate(DEFAULT_TIERS, start=1):
        if met[tier]:
            return value, tier
    return len(DEFAULT_TIERS) + 1, "general"


@FILE_LEVEL
@given(cities())
def test_outputs_agree_with_reference_computation(workspace, city):
    """Placements, waitlists and the program summary equal what the issue's rules give
    when computed by hand: default-policy priorities, the published lottery formula,
    each program's order by (priority, lottery number, applicant_id), and the reference
    deferred acceptance."""
    out = run(city, workspace())
    programs = {row["program_id"]: row for row in city.programs}
    applicants = {row["applicant_id"]: row for row in city.applicants}
    number = {a: published_lottery_number(SEED, a) for a in applicants}
    lottery_rank = {a: r for r, a in enumerate(sorted(applicants, key=lambda a: (number[a], a)), 1)}
    preferences: dict[str, list[str]] = {a: [] for a in applicants}
    for row in sorted(city.choices, key=lambda r: (r["applicant_id"], int(r["rank"]))):
        preferences[row["applicant_id"]].append(row["program_id"])
    priority = {
        (a, p): default_priority(applicants[a], programs[p])
        for a, ps in preferences.items()
        for p in ps
    }
    ranking = {
        p: sorted(
            (a for a, ps in preferences.items() if p in ps),
            key=lambda a, p=p: (priority[a, p][0], number[a], a),
        )
        for p in programs
    }
    seats = {p: int(row["seats"]) for p, row in programs.items()}
    placed = reference_deferred_acceptance(preferences, ranking, seats)

    expected_placements = []
    for a in sorted(applicants):
        p = placed[a]
        expected_placements.append(
            {
                "applicant_id": a,
                "grade": applicants[a]["grade"],
                "status": "unplaced" if p is None else "placed",
                "program_id": p or "",
                "school_id": "" if p is None else programs[p]["school_id"],
                "choice_rank": "" if p is None else str(preferences[a].index(p) + 1),
                "priority": "" if p is None else priority[a, p][1],
                "seat": "" if p is None else "open",
                "lottery_number": str(number[a]),
                "family_lottery_number": "",
                "lottery_rank": str(lottery_rank[a]),
            }
        )
    assert read_csv(out / "placements.csv") == expected_placements

    expected_waitlists = []
    for p in sorted(programs):
        waiting = [
            a
            for a in ranking[p]
            if placed[a] is None or preferences[a].index(p) < preferences[a].index(placed[a])
        ]
        for position, a in enumerate(waiting, start=1):
            expected_waitlists.append(
                {
                    "program_id": p,
                    "position": str(position),
                    "applicant_id": a,
                    "choice_rank": str(preferences[a].index(p) + 1),
                    "priority": priority[a, p][1],
                    "lottery_rank": str(lottery_rank[a]),
                }
            )
    assert read_csv(out / "waitlists.csv") == expected_waitlists

    expected_summary = []
    for p in sorted(programs):
        admitted = [a for a in ranking[p] if placed[a] == p]
        full = seats[p] > 0 and len(admitted) == seats[p]
        expected_summary.append(
            {
                "program_id": p,
                "school_id": programs[p]["school_id"],
                "school_name": programs[p]["school_name"],
                "sector": programs[p]["sector"],
                "grade": programs[p]["grade"],
                "seats": str(seats[p]),
                "held_seats": "0",
                "offered_seats": str(seats[p]),
                "applicants": str(len(ranking[p])),
                "first_choice_applicants": str(sum(ps[:1] == [p] for ps in preferences.values())),
                "placed": str(len(admitted)),
                "administrative": "0",
                "open_seats": str(seats[p] - len(admitted)),
                "waitlisted": str(sum(row["program_id"] == p for row in expected_waitlists)),
                "reserved_seats": "0",
                "reserved_filled": "0",
                "cutoff_priority": priority[admitted[-1], p][1] if full else "",
                "cutoff_lottery_rank": str(lottery_rank[admitted[-1]]) if full else "",
            }
        )
    assert read_csv(out / "programs_summary.csv") == expected_summary
