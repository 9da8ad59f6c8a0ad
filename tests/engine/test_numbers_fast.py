"""The lottery numbers of many applicants at once are those of one at a time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lottery.numbers import lottery_number, lottery_numbers

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(TEXT.filter(str.strip), st.lists(TEXT, max_size=20))
def test_lottery_numbers_hash_each_seed_and_name_as_lottery_number_does(seed, names):
    numbers = lottery_numbers(seed, names)
    assert numbers.tolist() == [lottery_number(seed, name) for name in names]
    assert numbers.dtype.name == "uint64"


def test_a_program_id_is_hashed_after_the_applicant_id():
    assert lottery_numbers("2026-spring", ["A1|P1"])[0] == lottery_number("2026-spring", "A1", "P1")
