"""``lottery verify`` checks most rules on arrays of every (applicant, program) pair at
once; the per-pair code (``ProgramOrder.priority`` and ``ProgramOrder.key``) stays the
definition. These tests hold the arrays to it, pair by pair: every priority and label,
and every program's order, on the example cities and on random ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import seat_policy_city
from support.strategies import cities, write_city

import lottery.audit.verify.checker as checker
from lottery.audit.verify import verify_outputs
from lottery.audit.verify.order import ProgramOrder
from lottery.engine import run_lottery

EXAMPLE = Path(__file__).parents[2] / "examples" / "city"


def orders_of_a_verification(monkeypatch, out: Path, inputs: Path) -> ProgramOrder:
    """Verify a results folder and return the ProgramOrder its checks used."""
    made: list[ProgramOrder] = []

    class Recorded(ProgramOrder):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(checker, "ProgramOrder", Recorded)
    report = verify_outputs(out, inputs)
    assert report.passed, [v.render() for v in report.violations]
    assert len(made) == 1
    return made[0]


def assert_arrays_agree_with_each_pair(order: ProgramOrder) -> None:
    """Every pair's priority and place in its program's order, from the arrays, is the
    one the per-pair code gives."""
    pairs = order.pairs
    fresh = ProgramOrder(order.inputs, pairs, order.lottery, order.matched_at, order.unsettled, {})
    by_program: dict[str, list[tuple[object, int]]] = {}
    for k in range(len(pairs)):
        aid = pairs.applicant_ids[pairs.applicant[k]]
        pid = pairs.program_ids[pairs.program[k]]
        if aid in order.unsettled:
            continue  # theirs come from the per-pair code itself
        label = order.labels[order.priority_label[k]]
        assert (int(order.priority_value[k]), label) == fresh.priority(aid, pid), (aid, pid)
        if order.position is not None:
            by_program.setdefault(pid, []).append((fresh.key(aid, pid), k))
            rank = order.lottery.rank(aid, pid)
            assert order.lottery_rank[k] == rank, (aid, pid)
    for entries in by_program.values():
        positions = [order.position[k] for _, k in sorted(entries)]
        assert positions == sorted(positions)


def test_arrays_agree_with_each_pair_on_the_example_city(monkeypatch, tmp_path):
    run_lottery(EXAMPLE, tmp_path / "out", "example-seed")
    order = orders_of_a_verification(monkeypatch, tmp_path / "out", EXAMPLE)
    assert len(order.pairs) > 0
    assert_arrays_agree_with_each_pair(order)


def test_arrays_agree_with_each_pair_on_the_seat_policy_city(monkeypatch, tmp_path):
    inputs = tmp_path / "in"
    seat_policy_city.write_seat_policy_city(inputs)
    run_lottery(inputs, tmp_path / "out", seat_policy_city.SEED)
    order = orders_of_a_verification(monkeypatch, tmp_path / "out", inputs)
    assert_arrays_agree_with_each_pair(order)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(city=cities(), seed=st.sampled_from(["s", "another seed"]))
def test_arrays_agree_with_each_pair_on_random_cities(tmp_path_factory, city, seed):
    base = tmp_path_factory.mktemp("arrays")
    inputs = write_city(city, base / "in")
    run_lottery(inputs, base / "out", seed)
    with pytest.MonkeyPatch.context() as monkeypatch:
        order = orders_of_a_verification(monkeypatch, base / "out", inputs)
    assert_arrays_agree_with_each_pair(order)
