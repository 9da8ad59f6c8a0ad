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
    assert "round:      2: letters for the applicants whose situation changed (5 of 8)" in (
        result.output
    )


# Rounds from round 1 whose changes move no seat: A2 is the one applicant without one.
WAITLISTED_WITHDRAWS = "event,applicant_id,program_id,value,note\nwithdraw,A2,,,\n"
NEW_LISTS = """\
event,applicant_id,program_id,value,note
update_choices,A2,,,
update_choices,A5,,,
"""
NEW_LIST_CHOICES = "applicant_id,rank,program_id\nA2,1,OAK-K\nA5,1,RIV-1\n"
NOTHING_CHANGES = "event,applicant_id,program_id,value,note\naccept,A5,RIV-1,,\n"


def round_after_round_1(season, folder: Path, changes_csv: str, choices_csv: str = "") -> Path:
    """Round 2 from the season's round 1 with these changes, written into ``folder``."""
    city, round_1, _ = season
    changes = folder / "changes"
    changes.mkdir(parents=True)
    (changes / "changes.csv").write_text(changes_csv, encoding="utf-8")
    if choices_csv:
        (changes / "choices.csv").write_text(choices_csv, encoding="utf-8")
    run_round(round_1, changes, folder / "round-2", city.path)
    return folder / "round-2"


def test_a_waitlisted_applicant_who_withdraws_gets_the_withdrawal_letter(season, tmp_path):
    """A2 holds no seat, so moves.csv does not list her withdrawal: changes.csv does."""
    city, _, _ = season
    round_2 = round_after_round_1(season, tmp_path, WAITLISTED_WITHDRAWS)
    assert "A2" not in (round_2 / "moves.csv").read_text(encoding="utf-8")
    target = tmp_path / "changed"
    summary = generate_letters(round_2, city.path, letters_dir=target, changed_only=True)
    assert sorted(p.stem for p in target.glob("A*.pdf")) == ["A2"]
    assert summary.letters == 1 and summary.applicants == 8
    text = pdf_text(target / "A2.pdf")
    assert "We have recorded that you withdrew Ben's application. Ben no longer has a seat" in text
    assert "gave up the seat" not in text and "Your lottery number" not in text


def test_a_waitlisted_withdrawal_without_the_round_1_folder_is_a_warning(season, tmp_path):
    round_2 = round_after_round_1(season, tmp_path, WAITLISTED_WITHDRAWS)
    target = tmp_path / "own"
    summary = generate_letters(round_2, None, letters_dir=target, workers=1)
    assert not (target / "A2.pdf").exists()
    assert any("who withdrew in this round get no letter (A2)" in w for w in summary.warnings)


def test_a_new_list_that_moves_no_seat_is_acknowledged(season, tmp_path):
    """A2 (no seat) now ranks only OAK-K and still waits for it; A5 keeps her seat at
    RIV-1, now her only choice. Neither is in moves.csv, both get a letter."""
    city, _, _ = season
    round_2 = round_after_round_1(season, tmp_path, NEW_LISTS, NEW_LIST_CHOICES)
    target = tmp_path / "changed"
    summary = generate_letters(round_2, city.path, letters_dir=target, changed_only=True)
    assert sorted(p.stem for p in target.glob("A*.pdf")) == ["A2", "A5"]
    assert summary.letters == 2
    waiting = pdf_text(target / "A2.pdf")
    assert (
        "We have received the new list of schools you sent for Ben. After round 2 of the "
        "lottery, Ben does not have a seat yet. Ben is on the waitlist of Oak Charter Academy "
        "(OAK-K), position 1."
    ) in waiting
    kept = pdf_text(target / "A5.pdf")
    assert (
        "We have received the new list of schools you sent for Eli. After round 2 of the "
        "lottery, Eli keeps the seat at River School (RIV-1), your 1st choice."
    ) in kept
    assert "Nothing changed" not in kept


def test_changed_only_with_nothing_changed_writes_nothing(season, tmp_path):
    """An accepted seat changes no one's situation: no letters, and the letters folder
    of an earlier `lottery letters` stays as it was."""
    city, _, _ = season
    round_2 = round_after_round_1(season, tmp_path, NOTHING_CHANGES)
    generate_letters(round_2, city.path, workers=1)
    before = {p.name: p.read_bytes() for p in (round_2 / LETTERS_DIR).iterdir()}
    result = CliRunner().invoke(
        cli, ["letters", str(round_2), "--inputs", str(city.path), "--changed-only"]
    )
    assert result.exit_code == 0, result.output
    assert "No applicant's situation changed in round 2: no letters written." in result.output
    assert "languages:" not in result.output and "Letters written" not in result.output
    assert {p.name: p.read_bytes() for p in (round_2 / LETTERS_DIR).iterdir()} == before
    elsewhere = tmp_path / "elsewhere"
    summary = generate_letters(round_2, city.path, letters_dir=elsewhere, changed_only=True)
    assert summary.letters == 0 and not elsewhere.exists()


def test_without_inputs_a_later_round_points_to_the_round_1_folder_for_letters_toml(
    season, tmp_path
):
    _, _, round_2 = season
    summary = generate_letters(round_2, None, letters_dir=tmp_path / "x", workers=1)
    (warning,) = [w for w in summary.warnings if w.startswith("no letters.toml")]
    assert "pass --inputs with that folder (where letters.toml is)" in warning
    assert "round-inputs" not in warning
