"""``lottery report`` and ``lottery verify`` on a later round's folder (issue 14): the same
``--inputs`` rule as every command, and a section with the round's moves and offers."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from support.small_city import write_city

from lottery.engine import run_lottery
from lottery.rounds import run_round

SEED = "2026-spring"
CHANGES = "event,applicant_id,program_id,value,note\ndecline,A4,OAK-K,,moving away\n"


@pytest.fixture
def season(tmp_path) -> Path:
    city = write_city(tmp_path / "city")
    run_lottery(city.path, tmp_path / "round-1", SEED)
    (tmp_path / "changes").mkdir()
    (tmp_path / "changes" / "changes.csv").write_text(CHANGES)
    run_round(tmp_path / "round-1", tmp_path / "changes", tmp_path / "round-2", city.path)
    return tmp_path


def text_of(path: Path) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", path.read_text())))


@pytest.mark.parametrize("inputs", [None, "city", "round-2/round-inputs"])
def test_report_of_a_round_takes_any_form_of_inputs(invoke, season, inputs):
    args = ["report", season / "round-2"] + (
        [] if inputs is None else ["--inputs", season / inputs]
    )
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    if inputs == "round-2/round-inputs":
        assert "note:" not in result.stderr
    else:
        assert "note: Using the input files of round 2" in result.stderr
    page = text_of(season / "round-2" / "report.html")
    assert "Round 2: moves and offers" in page
    assert re.search(r"Declined their seat 1 ", page)
    assert "A3" in page  # the office version names the applicants offered a seat


def test_public_report_of_a_round_only_counts(invoke, season):
    result = invoke("report", season / "round-2", "--public")
    assert result.exit_code == 0, result.stderr
    page = text_of(season / "round-2" / "report-public.html")
    assert "Round 2: moves and offers" in page
    assert "Declined their seat <10" in page
    assert "A3" not in page


def test_report_of_round_one_needs_inputs(invoke, season):
    result = invoke("report", season / "round-1")
    assert result.exit_code == 2
    assert "pass --inputs with the input folder" in result.stderr
    assert "moves and offers" not in text_of(
        Path(invoke("report", season / "round-1", "--inputs", season / "city").stdout.split()[-1])
    )


def test_verify_of_a_round_without_inputs(invoke, season):
    result = invoke("verify", season / "round-2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Verification passed.")


def test_verify_refuses_another_folder_for_round_one(invoke, season):
    other = write_city(season / "other")
    (other.path / "choices.csv").write_text("applicant_id,rank,program_id\nA1,1,ELM-K\n")
    result = invoke("verify", season / "round-2", "--inputs", other.path)
    assert result.exit_code == 2
    assert "is not the input folder of round 1" in result.stderr


def test_report_help_names_both_files(invoke):
    help_text = invoke("report", "--help").stdout
    assert "report.html" in help_text and "report-public.html" in help_text
