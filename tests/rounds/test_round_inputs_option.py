"""``--inputs`` means the round-1 input folder for every command (issue 14).

:func:`lottery.io.results_folder.run_inputs` resolves it: a later round's folder finds
its own ``round-inputs/``; the round-1 folder is accepted when it is round 1's (checked
through the chain beside the round), and anything else is refused, never used silently.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.small_city import write_city

from lottery.engine import run_lottery
from lottery.errors import UsageError
from lottery.io.results_folder import run_inputs
from lottery.rounds import run_round

SEED = "2026-spring"
CHANGES = "event,applicant_id,program_id,value,note\ndecline,A4,OAK-K,,moving away\n"


def build_season(base: Path) -> Path:
    """``city``, ``round-1`` and ``round-2`` (A4 declines OAK-K) in ``base``."""
    city = write_city(base / "city")
    run_lottery(city.path, base / "round-1", SEED)
    changes = base / "changes-2"
    changes.mkdir()
    (changes / "changes.csv").write_text(CHANGES)
    run_round(base / "round-1", changes, base / "round-2", inputs_dir=city.path)
    return base


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The season (read-only: tests that change it use ``season``)."""
    return build_season(tmp_path_factory.mktemp("season"))


@pytest.fixture
def season(tmp_path, built) -> Path:
    return Path(shutil.copytree(built, tmp_path / "season"))


def test_round_one_needs_its_input_folder(built):
    resolved = run_inputs(built / "round-1", built / "city")
    assert resolved.folder == built / "city"
    assert resolved.first_round == built / "city"
    assert resolved.note is None
    with pytest.raises(UsageError, match="pass --inputs with the input folder"):
        run_inputs(built / "round-1", None)


def test_later_round_without_inputs_uses_its_own(built):
    resolved = run_inputs(built / "round-2", None)
    assert resolved.folder == built / "round-2" / "round-inputs"
    assert resolved.first_round is None
    assert resolved.note == f"Using the input files of round 2 in {resolved.folder}."


def test_later_round_with_its_round_inputs(built):
    resolved = run_inputs(built / "round-2", built / "round-2" / "round-inputs")
    assert resolved.folder == built / "round-2" / "round-inputs"
    assert resolved.note is None


def test_later_round_with_round_one_inputs(built):
    resolved = run_inputs(built / "round-2", built / "city")
    assert resolved.folder == built / "round-2" / "round-inputs"
    assert resolved.first_round == built / "city"
    assert "round 1's were" in resolved.note


def test_later_round_refuses_a_wrong_first_round_folder(season):
    other = write_city(season / "other")  # the same files but one
    (other.path / "choices.csv").write_text("applicant_id,rank,program_id\n")
    with pytest.raises(UsageError, match="is not the input folder of round 1") as caught:
        run_inputs(season / "round-2", other.path)
    assert "(choices.csv)" in str(caught.value)
    with pytest.raises(UsageError, match="is not the input folder of round 1"):
        run_inputs(season / "round-2", season / "round-1")  # a results folder
    copy = shutil.copytree(season / "round-2", season / "round-2-copy")
    with pytest.raises(UsageError, match="input files of another round"):
        run_inputs(copy, season / "round-2" / "round-inputs")


def test_later_round_accepts_unchecked_inputs_with_a_note(season, tmp_path):
    alone = Path(shutil.copytree(season / "round-2", tmp_path / "alone" / "round-2"))
    resolved = run_inputs(alone, season / "city")
    assert resolved.folder == alone / "round-inputs"
    assert "could not be checked against round 1" in resolved.note
