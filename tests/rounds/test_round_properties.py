"""The rules of docs/rounds.md on random chains of three rounds (hypothesis, and the
example city's "summer"): stability of each round against its own input files
(``lottery.audit.verify`` on the round folder with ``round-inputs/`` as the input folder,
the reversed lottery included, and an independent check), capacity, guarantees (nobody
who stays loses a seat), monotonicity (no active applicant gets a program ranked below
their previous seat in their previous list), no waste of a vacated seat, the moves and
offers files, reproducibility (same chain, same bytes) and charter/district relabelling.

The random changes come from ``support.random_rounds.random_changes``.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.random_rounds import (
    SEED,
    capacity_of,
    folder_bytes,
    independent_violations,
    lists_of,
    moves,
    offers,
    random_changes,
    rows,
    seats,
)
from support.strategies import cities
from support.strategies import write_city as write_random_city

from lottery.audit.verify import verify_outputs
from lottery.engine import run_lottery
from lottery.rounds import run_round

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city"


def check_round(
    previous: Path, previous_inputs: Path, out: Path, decided: dict, transfers: dict, verify: bool
) -> None:
    """Every rule of docs/rounds.md for the round ``out`` after ``previous``."""
    assert independent_violations(out) == []
    if verify:
        report = verify_outputs(out, out / "round-inputs")
        assert report.passed, [v.render() for v in report.violations]
    before, after = seats(previous), seats(out)
    old_lists = lists_of(previous_inputs)
    capacity = capacity_of(out)
    for a, seat in before.items():
        event = decided.get(a)
        if event == "withdraw":
            assert a not in after
            continue
        if event == "decline":
            ranked = old_lists.get(a, [])
            above = ranked[: ranked.index(seat)] if seat in ranked else ranked
            assert after[a] == "" or after[a] in above
            continue
        if seat:  # a guaranteed last resort
            assert after[a], a
        if event == "update_choices" or not seat:
            continue
        # Monotonicity: the same seat, one ranked above it, or a requested transfer.
        ranked = old_lists.get(a, [])
        above = ranked[: ranked.index(seat)] if seat in ranked else ranked
        assert after[a] == seat or after[a] in above or after[a] in transfers.get(a, []), a
    # No waste: a program left with a free seat has nobody waiting for it.
    count: dict[str, int] = {}
    for p in after.values():
        if p:
            count[p] = count.get(p, 0) + 1
    for r in rows(out / "waitlists.csv"):
        assert count.get(r["program_id"], 0) >= capacity[r["program_id"]], r
    # moves.csv: exactly the applicants whose seat changed; offers.csv: their new seats.
    expected_moves = {
        a: (before.get(a, ""), after.get(a, ""))
        for a in set(before) | set(after)
        if before.get(a, "") != after.get(a, "")
    }
    got = {m[0]: (m[1], m[2]) for m in moves(out)}
    assert got == expected_moves
    reasons = {m[0]: m[3] for m in moves(out)}
    for a, reason in reasons.items():
        event = decided.get(a)
        expected = {"withdraw": "withdrawn", "decline": "declined"}.get(event)
        if expected is None:
            if not before.get(a):
                expected = "new placement"
            elif after[a] in transfers.get(a, []):
                expected = "transfer"
            else:
                expected = "improved"
        assert reason == expected, (a, reason)
    offered = [(o[0], o[1]) for o in offers(out)]
    assert sorted(offered) == sorted((a, p) for a, (_, p) in expected_moves.items() if p)


SUMMER = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SUMMER
@given(
    city=cities(max_schools=4, max_applicants=20),
    seed=st.integers(0, 2**32),
    reversed_=st.booleans(),
)
def test_three_random_rounds_keep_every_rule(city, seed, reversed_):
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inputs = write_random_city(city, tmp / "city")
        if reversed_:
            (inputs / "policy.toml").write_text('[rounds]\ntiebreak = "reversed"\n')
        outs = [tmp / "round-1"]
        run_lottery(inputs, outs[0], SEED)
        previous_inputs = inputs
        for number in (2, 3, 4):
            changes = tmp / f"changes-{number}"
            decided = random_changes(rng, outs[-1], previous_inputs, number, changes)
            out = tmp / f"round-{number}"
            run_round(outs[-1], changes, out, inputs_dir=inputs if number == 2 else None)
            check_round(outs[-1], previous_inputs, out, **decided, verify=True)
            outs.append(out)
            previous_inputs = out / "round-inputs"


def test_a_summer_on_the_example_city(tmp_path):
    """The example city (reserves, guarantees, required tags, families with
    sibling_offered, the zone guarantee, held seats): three rounds with about 10%
    declines and 5% late applicants, verified; the same chain again gives the same bytes,
    and so does the chain with every charter relabelled district and back."""
    swapped = tmp_path / "swapped-city"
    shutil.copytree(EXAMPLE, swapped)
    programs = (swapped / "programs.csv").read_text()
    swap = {"district": "charter", "charter": "district"}
    lines = programs.split("\n")
    header = lines[0].split(",")
    sector = header.index("sector")
    relabelled = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if len(cells) > sector:
            cells[sector] = swap[cells[sector]]
        relabelled.append(",".join(cells))
    (swapped / "programs.csv").write_text("\n".join(relabelled))
    runs = {}
    for name, inputs in (("first", EXAMPLE), ("again", EXAMPLE), ("swapped", swapped)):
        rng = random.Random(2026)
        base = tmp_path / name
        outs = [base / "round-1"]
        run_lottery(inputs, outs[0], SEED)
        previous_inputs = inputs
        for number in (2, 3, 4):
            changes = base / f"changes-{number}"
            decided = random_changes(rng, outs[-1], previous_inputs, number, changes)
            out = base / f"round-{number}"
            run_round(outs[-1], changes, out, inputs_dir=inputs if number == 2 else None)
            if name == "first":
                report = verify_outputs(out, out / "round-inputs")
                assert report.passed, [v.render() for v in report.violations]
                check_guarantees_and_monotonicity(outs[-1], previous_inputs, out, **decided)
            outs.append(out)
            previous_inputs = out / "round-inputs"
        runs[name] = outs
    for one, again in zip(runs["first"], runs["again"], strict=True):
        assert folder_bytes(one) == folder_bytes(again)
    same = ("placements.csv", "moves.csv", "offers.csv", "waitlists.csv", "choice_results.csv")
    for one, other in zip(runs["first"][1:], runs["swapped"][1:], strict=True):
        for name in same:
            assert (one / name).read_bytes() == (other / name).read_bytes(), name
    last = runs["first"][-1]
    counts = json.loads((last / "manifest.json").read_text())["round"]["moves"]
    assert counts["declined"] > 0 and counts["new placement"] > 0


def check_guarantees_and_monotonicity(previous, previous_inputs, out, decided, transfers):
    before, after = seats(previous), seats(out)
    old_lists = lists_of(previous_inputs)
    for a, seat in before.items():
        event = decided.get(a)
        if event in ("withdraw", "decline", "update_choices") or not seat:
            continue
        ranked = old_lists.get(a, [])
        above = ranked[: ranked.index(seat)] if seat in ranked else ranked
        assert after[a] == seat or after[a] in above or after[a] in transfers.get(a, []), a
