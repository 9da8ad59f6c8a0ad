"""lottery/io/outputs.py is the contract of a results folder, and docs/outputs.md and
docs/rounds.md document it to offices and auditors: the two must name the same columns,
in the same order, and every word a cell can hold must be documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lottery.io import outputs
from lottery.io.outputs import COLUMNS, MOVES, OFFERS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def documented_columns(page: str, file_name: str) -> list[str]:
    """The first cell of each row of the table under the heading for ``file_name``."""
    text = (DOCS / page).read_text(encoding="utf-8")
    section = re.split(rf"^#+ `{re.escape(file_name)}`\n", text, flags=re.M)[1]
    section = re.split(r"^#", section, flags=re.M)[0]
    columns = []
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            columns += re.findall(r"`([a-z_]+)`", first_cell)
    return columns


@pytest.mark.parametrize("file_name", sorted(COLUMNS))
def test_every_column_is_documented_in_order(file_name):
    page = "rounds.md" if file_name in (MOVES, OFFERS) else "outputs.md"
    assert documented_columns(page, file_name) == list(COLUMNS[file_name])


@pytest.mark.parametrize(
    "word",
    [
        *outputs.HOLDS_A_SEAT,
        outputs.UNPLACED,
        outputs.CHOICE_PLACED,
        outputs.CHOICE_WAITLISTED,
        outputs.CHOICE_NOT_CONSIDERED,
        outputs.CHOICE_INELIGIBLE,
        outputs.OPEN_SEAT,
        outputs.EXTERNAL_LOTTERY,
    ],
)
def test_every_status_and_result_word_is_documented(word):
    assert f"`{word}`" in (DOCS / "outputs.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("reason", outputs.REASONS)
def test_every_move_reason_is_documented(reason):
    assert f"`{reason}`" in (DOCS / "rounds.md").read_text(encoding="utf-8")


def test_run_and_round_tables_are_every_table():
    assert set(outputs.RUN_TABLES) | set(outputs.ROUND_TABLES) == set(COLUMNS)
