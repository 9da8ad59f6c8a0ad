"""A whole season of a small city through the command line, as an office runs it
(docs/season.md): files as exported, validate, seed commitment, run, verify, report,
letters, round 2 (accept, decline, late applicant, added seats), round 3 (withdrawal,
transfer), letters per round, audit and audit bundle of the whole chain.

Every command is given the round-1 input folder as ``--inputs``, whatever the round,
and every round letter is checked against the round's events in moves.csv.

The city is the default small city (tests/support/small_city.py). Round 1: A2 is
unplaced, A3 gets her second choice (ELM-K), everyone else their first.
"""

from __future__ import annotations

import csv
import html
import re
import zipfile
from pathlib import Path

import pytest
from support.small_city import APPLICANTS, City, write_city

from lottery.numbers import seed_commitment

SEED = "2026-spring"

LETTERS_TOML = """\
[office]
name = "Springfield Enrollment Office"
phone = "555-0100"

[response]
deadline = 2026-06-30

[response.how_to_accept]
en = "Call 555-0100 or visit any school office."
es = "Llame al 555-0100 o visite cualquier oficina escolar."
pt = "Ligue para 555-0100 ou visite qualquer secretaria escolar."
"""

JUNE = """\
event,applicant_id,program_id,value,note
accept,A1,ELM-K,,
decline,A4,OAK-K,,moving away
new_applicant,A9,,,
seat_change,,RIV-1,3,new classroom
"""
LATE_APPLICANT = (
    "applicant_id,first_name,last_name,grade,zone,current_school_id,sibling_school_ids,"
    "staff_school_id,language,guardian_name,address\n"
    "A9,Ivo,Costa,1,S,,,,pt,Rita Costa,9 Sul St\n"
)
JULY = """\
event,applicant_id,program_id,value,note
withdraw,A6,,,
transfer_request,A5,ELM-1,,
"""


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def letter_text(folder: Path, applicant: str) -> str:
    """The words of one HTML letter, on one line."""
    page = (folder / "letters" / f"{applicant}.html").read_text(encoding="utf-8")
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def wide_choices(city: City) -> str:
    """choices.csv as portals export it: one row per applicant, choice_1, choice_2, ..."""
    lists: dict[str, list[str]] = {}
    for row in rows(city.file("choices")):
        lists.setdefault(row["applicant_id"], []).append(row["program_id"])
    width = max(len(programs) for programs in lists.values())
    header = ["Applicant ID"] + [f"choice_{rank}" for rank in range(1, width + 1)]
    lines = [",".join(header)]
    for applicant, programs in lists.items():
        lines.append(",".join([applicant, *programs, *[""] * (width - len(programs))]))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def season(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("spring-2026")


@pytest.fixture(scope="module")
def city(season: Path) -> City:
    """The office's files as its spreadsheets saved them: a column of its own, headers
    as people write them, choices one row per applicant, and a typo in a zone."""
    city = write_city(season / "city")
    applicants = APPLICANTS.replace("applicant_id,", "Applicant ID,", 1)
    applicants = applicants.replace(",address\n", ",address,case_worker\n", 1)
    applicants = re.sub(r"\n(A\d,[^\n]*)", r"\n\1,Ms. Rivera", applicants)
    city.write("applicants", applicants.replace("A3,Cara,Jones,K,N,", "A3,Cara,Jones,K,n,"))
    city.write("choices", wide_choices(city))
    city.write("policy", '[checks]\nunknown_codes = "error"\n')
    city.write("letters.toml", LETTERS_TOML)
    return city


def test_1_validate_finds_the_typo_and_reads_the_exports(invoke, city):
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert 'zone "n"' in result.stderr and 'did you mean "N"' in result.stderr
    assert "applicants.csv:4: zone:" in result.stderr
    city.edit("applicants", "A3,Cara,Jones,K,n,", "A3,Cara,Jones,K,N,")
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    said = result.stdout + result.stderr
    assert "case_worker" in said  # ignored, and said so once
    assert "choice_1" in said  # wide choices read as ranks


def test_2_run_with_a_seed_commitment(invoke, city, season):
    commitment = invoke("seed", "commit", SEED)
    assert commitment.stdout.strip() == seed_commitment(SEED)
    result = invoke(
        "run", city.path, "--seed", SEED, "--seed-commitment", seed_commitment(SEED),
        "--out", season / "round-1",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    placements = {row["applicant_id"]: row for row in rows(season / "round-1/placements.csv")}
    assert placements["A2"]["status"] == "unplaced"
    assert (placements["A3"]["program_id"], placements["A3"]["choice_rank"]) == ("ELM-K", "2")


def test_3_round_1_is_verified_reported_and_lettered(invoke, city, season):
    round_1 = season / "round-1"
    assert invoke("verify", round_1, "--inputs", city.path).exit_code == 0
    assert invoke("report", round_1, "--inputs", city.path).exit_code == 0
    assert invoke("report", round_1, "--inputs", city.path, "--public").exit_code == 0
    assert (round_1 / "report.html").is_file() and (round_1 / "report-public.html").is_file()
    result = invoke("letters", round_1, "--inputs", city.path)
    assert result.exit_code == 0, result.stderr
    assert len(list((round_1 / "letters").glob("A*.pdf"))) == 8
    assert "Springfield Enrollment Office" in letter_text(round_1, "A2")
    assert "555-0100" in letter_text(round_1, "A1")  # A1's letter is in Spanish
    assert "Llame" in letter_text(round_1, "A1")


def test_4_round_2(invoke, city, season):
    june = season / "june"
    june.mkdir()
    (june / "changes.csv").write_text(JUNE, encoding="utf-8")
    (june / "applicants.csv").write_text(LATE_APPLICANT, encoding="utf-8")
    (june / "choices.csv").write_text("applicant_id,rank,program_id\nA9,1,RIV-1\n")
    result = invoke(
        "round", season / "round-1", "--inputs", city.path, "--changes", june,
        "--out", season / "round-2",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    moves = {row["applicant_id"]: row["reason"] for row in rows(season / "round-2/moves.csv")}
    assert moves == {
        "A2": "new placement",
        "A3": "improved",
        "A4": "declined",
        "A9": "new placement",
    }


@pytest.mark.parametrize("round_name", ["round-2", "round-3"])
def test_5_a_round_folder_takes_the_round_1_inputs(invoke, city, season, round_name):
    if round_name == "round-3":
        july = season / "july"
        july.mkdir(exist_ok=True)
        (july / "changes.csv").write_text(JULY, encoding="utf-8")
        result = invoke("round", season / "round-2", "--changes", july, "--out", season / "round-3")
        assert result.exit_code == 0, result.stderr
    folder = season / round_name
    for command in (["verify"], ["report"], ["report", "--public"]):
        result = invoke(command[0], folder, "--inputs", city.path, *command[1:])
        assert result.exit_code == 0, (command, result.stderr)
    result = invoke("letters", folder, "--inputs", city.path, "--changed-only")
    assert result.exit_code == 0, result.stderr
    changed = {row["applicant_id"] for row in rows(folder / "moves.csv")}
    changed |= {row["applicant_id"] for row in rows(folder / "offers.csv")}
    written = {path.stem for path in (folder / "letters").glob("A*.pdf")}
    assert written == changed
    if round_name == "round-3":  # A6 withdrew: her letter is the round's, not someone's file
        assert "A6" in written
        result = invoke(
            "round", season / "round-2", "--changes", season / "july", "--out", folder, "--force"
        )
        assert result.exit_code == 0, result.stderr
        for command in (["report"], ["report", "--public"], ["letters", "--changed-only"]):
            result = invoke(command[0], folder, "--inputs", city.path, *command[1:])
            assert result.exit_code == 0, (command, result.stderr)
    report = (folder / "report.html").read_text(encoding="utf-8")
    number = round_name.removeprefix("round-")
    assert f"Round {number}: moves and offers" in report
    public = (folder / "report-public.html").read_text(encoding="utf-8")
    assert f"Round {number}: moves and offers" in public and "A6" not in public


def test_6_round_letters_say_what_happened(season):
    round_2, round_3 = season / "round-2", season / "round-3"
    improved = letter_text(round_2, "A3")
    assert "in round 2" in improved
    assert "Oak Charter Academy (OAK-K)" in improved and "Elm Elementary (ELM-K)" in improved
    declined = letter_text(round_2, "A4")
    assert "declined" in declined and "Oak Charter Academy (OAK-K)" in declined
    assert "did not rank any school" not in declined
    assert "River School (RIV-1)" in letter_text(round_2, "A9")  # in Portuguese
    assert "rodada 2" in letter_text(round_2, "A9")
    new = letter_text(round_2, "A2")
    assert "Elm Elementary (ELM-K)" in new and "did not rank any school" not in new
    withdrawn = letter_text(round_3, "A6")
    assert "withdr" in withdrawn and "in round 3" in withdrawn
    transfer = letter_text(round_3, "A5")
    assert "Elm Elementary (ELM-1)" in transfer and "River School (RIV-1)" in transfer


def test_7_the_whole_chain_is_audited_and_bundled(invoke, city, season, tmp_path):
    result = invoke("audit", season / "round-3", "--inputs", city.path)
    assert result.exit_code == 0, result.stdout + result.stderr
    bundle = tmp_path / "audit-2026.zip"
    result = invoke("audit-bundle", season / "round-3", bundle, "--inputs", city.path)
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(tmp_path / "unpacked")
        contents = "".join(
            archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
        )
    for personal in ("Maria Lopez", "12 Elm St", "Ms. Rivera", "Rita Costa"):
        assert personal not in contents
    result = invoke("audit", tmp_path / "unpacked")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_8_a_wrong_input_folder_is_named_as_such(invoke, season, tmp_path):
    other = write_city(tmp_path / "other")
    other.edit("programs", "ELM-K,ELM,Elm Elementary,district,K,2", "ELM-K,ELM,Elm,district,K,3")
    other.write("applicants", APPLICANTS.replace("Ana,Lopez", "Anna,Lopes"))
    other.write("choices", other.read("choices").replace("A8,1,RIV-1", "A8,1,ELM-1"))
    result = invoke("audit", season / "round-1", "--inputs", other.path)
    assert result.exit_code != 0
    assert "not the input folder of this run" in result.stdout + result.stderr
