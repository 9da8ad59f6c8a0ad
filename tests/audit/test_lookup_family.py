"""`lottery lookup --family`: the family number that orders twins, as the run used it."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from lottery.engine import run_lottery
from lottery.numbers import look_up_family_number

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city"
SEED = "2026-spring"


@pytest.fixture(scope="module")
def linked_members(tmp_path_factory) -> list[dict[str, str]]:
    """placements.csv rows of the example city's applicants in a linked family, with
    their family_id."""
    out = tmp_path_factory.mktemp("family") / "results"
    run_lottery(EXAMPLE, out, SEED)
    with (EXAMPLE / "applicants.csv").open(encoding="utf-8", newline="") as handle:
        family = {row["applicant_id"]: row["family_id"] for row in csv.DictReader(handle)}
    with (out / "placements.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["family_lottery_number"]]
    assert rows, "the example city has linked families"
    return [dict(row, family_id=family[row["applicant_id"]]) for row in rows]


def test_lookup_family_gives_the_family_number_of_placements(linked_members):
    for row in linked_members:
        found = look_up_family_number(SEED, row["family_id"])
        assert str(found.number) == row["family_lottery_number"]
        assert found.text == f"{SEED}|family:{row['family_id']}"


def test_lookup_prints_both_numbers_and_how_to_check_them(invoke, linked_members):
    row = linked_members[0]
    applicant, family = row["applicant_id"], row["family_id"]
    result = invoke("lookup", "--seed", SEED, applicant, "--family", family)
    assert result.exit_code == 0, result.stderr
    text = f"{SEED}|family:{family}"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    lines = result.stdout.split("\n")
    assert lines[0] == f"Lottery number of {applicant}: {row['lottery_number']}"
    start = lines.index(f"Family lottery number of {family}: {row['family_lottery_number']}")
    assert lines[start + 1 : start + 3] == [
        f"  text hashed:      {text}",
        f"  SHA-256:          {digest}",
    ]
    assert f"  printf '%s' '{text}' | sha256sum" in result.stdout


def test_lookup_refuses_an_impossible_family_id(invoke):
    result = invoke("lookup", "--seed", SEED, "A0193", "--family", "F 1")
    assert result.exit_code == 2
    assert result.stderr.startswith('"F 1" is not a family ID')
