"""The public report's small-count suppression, on its own: which counts it hides, how a
hidden count looks, and that nothing built from a hidden count shows it.

The pages it produces are checked end to end in test_report.py (no count below the
threshold anywhere, no small count as a difference).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lottery.publish.report import DEFAULT_THRESHOLD, Formatter, hidden_parts

PUBLIC = Formatter(public=True, threshold=10)
OFFICE = Formatter(public=False, threshold=10)


def test_one_hidden_part_of_a_total_hides_the_smallest_other_part():
    fmt = Formatter(public=True, threshold=10)
    assert hidden_parts([50, 3, 40], fmt) == [False, True, True]
    assert hidden_parts([50, 3, 4], fmt) == [False, True, True]
    assert hidden_parts([50, 30], fmt) == [False, False]
    assert hidden_parts([3, 4], Formatter(public=False, threshold=10)) == [False, False]
    assert fmt.count(40, hidden=True) == "*" and fmt.count(3) == "<10"


def test_the_default_threshold_is_ten():
    assert DEFAULT_THRESHOLD == 10


@pytest.mark.parametrize("n", [0, 1, 9])
def test_public_counts_below_the_threshold_are_written_as_below_it(n):
    assert PUBLIC.hides(n)
    assert PUBLIC.count(n) == "<10"
    assert PUBLIC.n(n).text == "<10" and PUBLIC.n(n).kind == "n"


@pytest.mark.parametrize("n", [10, 11, 1234])
def test_public_counts_at_or_above_the_threshold_are_shown(n):
    assert not PUBLIC.hides(n)
    assert PUBLIC.count(n) == f"{n:,}"


def test_the_office_report_hides_nothing():
    assert not OFFICE.hides(0) and not OFFICE.hides(9)
    assert OFFICE.count(3) == "3"
    assert OFFICE.share(3, 4) == "75%"


def test_a_count_hidden_to_protect_another_is_a_star_not_its_value():
    assert PUBLIC.count(40, hidden=True) == "*"
    assert PUBLIC.count(3, hidden=True) == "<10"
    assert PUBLIC.count(3, hidden=False) == "3"  # a section may show one on purpose


def test_a_share_of_a_hidden_count_is_hidden():
    assert PUBLIC.share(3, 100) == "–"
    assert PUBLIC.share(40, 100, hidden=True) == "–"
    assert PUBLIC.pct(3, 100).text == "–" and PUBLIC.pct(3, 100).kind == "pct"
    assert PUBLIC.share(40, 100) == "40%"
    assert PUBLIC.share(40, 0) == "–"


def test_shares_never_round_to_none_or_all():
    assert OFFICE.share(1, 1000) == "<1%"
    assert OFFICE.share(999, 1000) == ">99%"
    assert OFFICE.share(0, 1000) == "0%" and OFFICE.share(1000, 1000) == "100%"


def test_a_hidden_count_of_things_is_plural():
    assert PUBLIC.count_of(1, "program") == "<10 programs"
    assert PUBLIC.count_of(12, "program") == "12 programs"
    assert OFFICE.count_of(1, "program") == "1 program"


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=8))
def test_no_hidden_part_can_be_worked_out_from_the_total(parts):
    """Every part below the threshold is hidden, and a hidden part is never alone."""
    hidden = hidden_parts(parts, PUBLIC)
    assert all(h for n, h in zip(parts, hidden, strict=True) if n < 10)
    if len(parts) > 1:
        assert sum(hidden) != 1
    assert hidden_parts(parts, OFFICE) == [False] * len(parts)
