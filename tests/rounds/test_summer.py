"""A synthetic summer (issue 8): three rounds on a synthetic city with about 10% declines,
2% withdrawals, 5% late applicants and a few seat changes, under both later-round
tie-breaks, checked by the rules of docs/rounds.md.

The summer is the one ``benchmarks/rounds.py`` measures (its city, changes and rounds),
at 1,500 applicants: ``lottery.audit.verify`` passes on every round folder with its input
files, no program holds more than its capacity nor leaves a seat open that someone waits
for, nobody who stays loses a seat or ends at a program ranked below it, a decliner gets
nothing or a program ranked above the declined seat, withdrawn applicants leave and late
ones join, ``moves.csv`` lists exactly the seats that changed, and the whole summer
(city, changes and rounds) regenerated from scratch is byte for byte the same.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from support.random_rounds import folder_bytes, lists_of, rows
from support.random_rounds import offered_seats as capacity_of

from lottery.audit.verify import verify_outputs

ROOT = Path(__file__).resolve().parents[2]
APPLICANTS = 1_500


def _load_benchmark():
    spec = importlib.util.spec_from_file_location(
        "summer_benchmark", ROOT / "benchmarks" / "rounds.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


summer = _load_benchmark()


@pytest.fixture(scope="module")
def summers(tmp_path_factory):
    """The summer under each option: option -> its three rounds."""
    work = tmp_path_factory.mktemp("summer")
    city = summer.make_city(work / "city", APPLICANTS)
    return (
        city,
        work,
        {option: summer.run_summer(city, option, work / "runs") for option in summer.OPTIONS},
    )


@pytest.mark.parametrize("option", ["same", "reversed"])
def test_every_round_passes_verify(summers, option):
    _, _, by_option = summers
    for r in by_option[option]:
        report = verify_outputs(r.out, r.inputs)
        assert report.passed, (r.number, [v.render() for v in report.violations[:10]])


@pytest.mark.parametrize("option", ["same", "reversed"])
def test_no_program_holds_more_than_its_capacity_nor_leaves_a_wanted_seat_open(summers, option):
    """Capacity, and no waste: a program with an applicant on its waitlist has no seat
    left open (a declined, withdrawn or added seat is reoffered down its order)."""
    _, _, by_option = summers
    for r in by_option[option]:
        capacity = capacity_of(r.inputs)
        held: dict[str, int] = {}
        for program in summer.seats_held(r.out).values():
            if program:
                held[program] = held.get(program, 0) + 1
        over = {p: (n, capacity[p]) for p, n in held.items() if n > capacity[p]}
        assert over == {}, r.number
        waiting = {w["program_id"] for w in rows(r.out / "waitlists.csv")}
        open_ = {p: (held.get(p, 0), capacity[p]) for p in waiting if held.get(p, 0) < capacity[p]}
        assert open_ == {}, r.number


@pytest.mark.parametrize("option", ["same", "reversed"])
def test_nobody_who_stays_ends_at_a_program_ranked_lower(summers, option):
    """Monotonicity, guarantees, declines, withdrawals and late applicants, round by round,
    and moves.csv: exactly the applicants whose seat changed."""
    city, _, by_option = summers
    rounds = by_option[option]
    for previous, r in zip(rounds, rounds[1:], strict=False):
        before, after = summer.seats_held(previous.out), summer.seats_held(r.out)
        old_lists = lists_of(previous.inputs)
        event = r.changes.event
        late = set(city.late[r.number - 2])
        assert set(after) == {a for a in before if event.get(a) != "withdraw"} | late
        for a, seat in before.items():
            ranked = old_lists.get(a, [])
            above = ranked[: ranked.index(seat)] if seat in ranked else ranked
            if event.get(a) == "withdraw":
                continue
            if event.get(a) == "decline":
                assert after[a] == "" or after[a] in above, (r.number, a)
            elif seat:
                assert after[a] == seat or after[a] in above, (r.number, a, seat, after[a])
        changed = {
            a: (before.get(a, ""), after.get(a, ""))
            for a in set(before) | set(after)
            if before.get(a, "") != after.get(a, "")
        }
        moves = {
            m["applicant_id"]: (m["from_program_id"], m["to_program_id"])
            for m in rows(r.out / "moves.csv")
        }
        assert moves == changed


def test_the_summer_has_the_shape_it_promises(summers):
    """About 10% of the seats held declined, 2% withdrawals, 5% late applicants per round,
    seat changes, and the same draws for both options."""
    city, _, by_option = summers
    for option, rounds in by_option.items():
        for previous, r in zip(rounds, rounds[1:], strict=False):
            held = [a for a, p in summer.seats_held(previous.out).items() if p]
            events = list(r.changes.event.values())
            assert 0.07 < events.count("decline") / len(held) < 0.13, option
            assert 0 < events.count("withdraw") < 0.05 * len(held)
            assert events.count("new_applicant") == round(0.05 * APPLICANTS)
            assert 1 <= len(r.changes.seats) <= 6
            figures = r.figures
            assert figures["moved"] > 0 and figures["new_placements"] > 0
    same, reversed_ = by_option["same"], by_option["reversed"]
    changes = [r.out / "changes" / "changes.csv" for r in (same[1], reversed_[1])]
    assert changes[0].read_bytes() == changes[1].read_bytes()
    # Round 1 does not depend on the option: the same placements.
    first = [r.out / "placements.csv" for r in (same[0], reversed_[0])]
    assert first[0].read_bytes() == first[1].read_bytes()


def test_the_same_summer_again_gives_the_same_bytes(summers, tmp_path):
    """City, changes and every round, regenerated from scratch: byte-identical."""
    _, work, by_option = summers
    city = summer.make_city(tmp_path / "city", APPLICANTS)
    again = summer.run_summer(city, "same", tmp_path / "runs")
    for one, other in zip(by_option["same"], again, strict=True):
        assert folder_bytes(one.out) == folder_bytes(other.out), one.number
    for name in ("applicants.csv", "choices.csv", "programs.csv", "reserves.csv"):
        assert (work / "city" / "inputs" / name).read_bytes() == (
            tmp_path / "city" / "inputs" / name
        ).read_bytes()
