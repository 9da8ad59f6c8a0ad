"""Letters after a later round (``lottery round``): each says what happened in the round.

The small city of tests/support/small_city.py, then a round 2 in which A4 declines her
seat at OAK-K (the only program she ranked), A1 (Spanish) declines ELM-K (she ranked
ELM-K, then OAK-K) and A8 (Chinese, no wording shipped) withdraws. The round gives A3,
waiting for OAK-K, that seat (improved), and her seat at ELM-K to A2, who had none
(new placement); A5, A6 and A7 keep their seats. The letters are read as a family
would: the text pypdf extracts from each PDF.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from support.small_city import write_city

from lottery.cli import cli
from lottery.engine import run_lottery
from lottery.errors import UsageError
from lottery.io.outputs import ROUND_INPUTS
from lottery.publish.letters import LETTERS_DIR, MERGED_FILE, generate_letters
from lottery.rounds import run_round

SEED = "2026-spring"
CHANGES = """\
event,applicant_id,program_id,value,note
decline,A4,OAK-K,,
decline,A1,ELM-K,,
withdraw,A8,,,
"""


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def letter(folder: Path, applicant_id: str) -> str:
    return pdf_text(folder / LETTERS_DIR / f"{applicant_id}.pdf")


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """Round 1 and round 2 of the small city: (city, round 1, round 2)."""
    root = tmp_path_factory.mktemp("season")
    city = write_city(root / "city")
    run_lottery(city.path, root / "round-1", SEED)
    changes = root / "changes"
    changes.mkdir()
    (changes / "changes.csv").write_text(CHANGES, encoding="utf-8")
    run_round(root / "round-1", changes, root / "round-2", city.path)
    return city, root / "round-1", root / "round-2"


@pytest.fixture(scope="module")
def round_letters(season):
    city, _, round_2 = season
    summary = generate_letters(round_2, city.path, workers=1)
    return round_2, summary


def test_a_decline_letter_confirms_the_decline_and_shows_what_was_ranked(round_letters):
    out, _ = round_letters
    text = letter(out, "A4")
    assert "We have recorded that you declined the seat at Oak Charter Academy (OAK-K)" in text
    assert "no longer has a seat or a place on a waitlist" in text
    assert "did not rank any school" not in text
    assert re.search(r"1 Oak Charter Academy \(OAK-K\) Offer declined", text)


def test_a_spanish_decline_letter_restores_the_list_from_round_1(round_letters):
    """A1's round list is empty (cut above ELM-K); the round-1 folder has ELM-K, OAK-K."""
    out, _ = round_letters
    text = letter(out, "A1")
    assert "Hemos registrado que usted rechazó la plaza en Elm Elementary (ELM-K)" in text
    assert "Plaza rechazada" in text
    assert "No considerada: la eligió después de la plaza que rechazó" in text
    assert "no eligió ninguna escuela" not in text


def test_an_improved_offer_names_both_programs(round_letters):
    out, _ = round_letters
    text = letter(out, "A3")
    assert (
        "In round 2 of the lottery, Cara has been offered a seat at Oak Charter Academy "
        "(OAK-K), your 1st choice, in place of the seat at Elm Elementary (ELM-K), your 2nd "
        "choice, which Cara no longer holds."
    ) in text
    assert "To accept this seat" in text


def test_a_new_offer_and_an_unchanged_seat_are_worded_as_such(round_letters):
    out, _ = round_letters
    assert "In round 2 of the lottery, Ben has been offered a seat at Elm Elementary" in letter(
        out, "A2"
    )
    unchanged = letter(out, "A5")
    assert "Nothing changed for Eli in round 2 of the lottery: Eli keeps the seat at River" in (
        unchanged
    )
    assert "You do not need to do anything new" in unchanged


def test_a_withdrawal_is_confirmed_from_the_round_1_applicants(round_letters):
    """A8 is in none of round 2's tables; her letter comes from round 1's applicants.csv,
    in English with the Chinese note, and has no lottery number to show."""
    out, summary = round_letters
    text = letter(out, "A8")
    assert "We have recorded that you withdrew Hui's application and gave up the seat at" in text
    assert "Your lottery number" not in text
    assert summary.fallback == {"zh": 1}
    assert summary.letters == summary.applicants == 8
    assert summary.round == 2


def test_changed_only_writes_the_letters_of_the_moved_and_offered(season, tmp_path):
    city, _, round_2 = season
    target = tmp_path / "changed"
    summary = generate_letters(round_2, city.path, letters_dir=target, changed_only=True)
    written = sorted(p.stem for p in target.glob("A*.pdf"))
    assert written == ["A1", "A2", "A3", "A4", "A8"]
    assert summary.letters == 5 and summary.applicants == 8 and summary.changed_only
    assert len(PdfReader(target / MERGED_FILE).pages) == summary.pages


def test_changed_only_is_refused_for_round_1(season, tmp_path):
    city, round_1, _ = season
    with pytest.raises(UsageError, match="--changed-only is for the letters of a later round"):
        generate_letters(round_1, city.path, letters_dir=tmp_path / "x", changed_only=True)


def test_the_rounds_own_inputs_work_too_and_say_who_gets_no_letter(season, tmp_path):
    """With round-inputs/ the round-1 lists and applicants are not known: the declined
    program is still shown, and the withdrawn applicant's missing letter is a warning."""
    _, _, round_2 = season
    target = tmp_path / "own"
    summary = generate_letters(round_2, round_2 / ROUND_INPUTS, letters_dir=target)
    assert not (target / "A8.pdf").exists()
    assert any("who withdrew in this round get no letter (A8)" in w for w in summary.warnings)
    text = pdf_text(target / "A1.pdf")
    assert "Plaza rechazada" in text and "No considerada" not in text


def test_the_command_prints_the_round_and_how_many_letters(season, tmp_path):
    city, _, round_2 = season
    result = CliRunner().invoke(
        cli,
        [
            "letters",
            str(round_2),
            "--inputs",
            str(city.path),
            "--changed-only",
            "--letters-dir",
            str(tmp_path / "cli"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "round:      2: letters for the applicants in moves.csv or offers.csv (5 of 8)" in (
        result.output
    )
