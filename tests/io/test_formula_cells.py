"""Free text copied into output CSV files cannot run as a spreadsheet formula.

A school named ``=HYPERLINK(...)`` used to land unchanged in programs_summary.csv, and
Excel runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula ("CSV
injection"). Free-text cells (school names, sectors, the response date of offers) that
start like a formula get a ``'`` in front, as OWASP recommends; IDs and numbers are
never changed. Every reader of a results folder must agree: ``verify`` applies the same
rule, and the report shows families and staff the name as the office wrote it.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lottery.audit.verify import verify_outputs
from lottery.engine import run_lottery
from lottery.io.csv_tables import original_text, spreadsheet_safe
from lottery.publish.report import write_report
from lottery.rounds import run_round

FORMULA = '=HYPERLINK("http://example.com/x","Elm")'

PROGRAMS = f"""\
program_id,school_id,school_name,sector,grade,seats,zones
ELM-K,ELM,"{FORMULA.replace('"', '""')}",+district,K,2,N;E
OAK-K,OAK,@Oak Charter Academy,-charter,K,1,
ELM-1,ELM,"{FORMULA.replace('"', '""')}",+district,1,2,N;E
RIV-1,RIV,River School,charter,1,2,S
"""


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_starts_like_a_formula_gets_a_quote_in_front(start):
    assert spreadsheet_safe(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize(
    "text", ["Elm Elementary", "", "district", "1+1", "O'Hara Academy", "'Ohana School", "A-1"]
)
def test_ordinary_text_is_written_as_it_is(text):
    assert spreadsheet_safe(text) == text


@given(st.text(alphabet="'=+-@\t\rab ", max_size=8))
def test_the_original_text_can_always_be_told_from_the_cell(text):
    cell = spreadsheet_safe(text)
    assert original_text(cell) == text
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.fixture
def formula_run(make_city, tmp_path) -> tuple[Path, Path]:
    """A run of the default city whose school names and sectors start like formulas."""
    city = make_city(programs=PROGRAMS)
    out = tmp_path / "results"
    run_lottery(city.path, out, "2026-spring")
    return city.path, out


def test_school_names_and_sectors_cannot_run_as_formulas(formula_run):
    _, out = formula_run
    summary = {r["program_id"]: r for r in rows(out / "programs_summary.csv")}
    assert summary["ELM-K"]["school_name"] == "'" + FORMULA
    assert summary["ELM-K"]["sector"] == "'+district"
    assert summary["OAK-K"]["school_name"] == "'@Oak Charter Academy"
    assert summary["OAK-K"]["sector"] == "'-charter"
    assert summary["RIV-1"]["school_name"] == "River School"
    assert summary["RIV-1"]["sector"] == "charter"


def test_verify_applies_the_same_rule(formula_run):
    inputs, out = formula_run
    report = verify_outputs(out, inputs)
    assert report.passed, [v.message for v in report.violations]


def test_the_report_shows_the_names_as_the_office_wrote_them(formula_run):
    inputs, out = formula_run
    page = html.unescape(write_report(out, inputs).read_text(encoding="utf-8"))
    assert FORMULA in page
    assert "'" + FORMULA not in page
    assert "@Oak Charter Academy" in page
    assert "'@Oak" not in page
    assert "'+district" not in page.lower()


def test_letters_show_the_names_as_the_office_wrote_them(formula_run):
    from lottery.publish.letters import generate_letters  # fpdf2 is slow to import

    inputs, out = formula_run
    generate_letters(out, inputs, workers=1)
    letters = [
        html.unescape(p.read_text(encoding="utf-8")) for p in (out / "letters").glob("*.html")
    ]
    assert any("@Oak Charter Academy" in letter for letter in letters)
    assert not any("'@Oak" in letter or "'=HYPERLINK" in letter for letter in letters)


def test_the_response_date_of_offers_cannot_run_as_a_formula(make_city, tmp_path):
    city = make_city(policy='[rounds]\nrespond_by = "=1+1"\n')
    first = tmp_path / "round-1"
    run_lottery(city.path, first, "2026-spring")
    changes = tmp_path / "changes"
    changes.mkdir()
    (changes / "changes.csv").write_text(
        "event,applicant_id,program_id,value,note\nseat_change,,ELM-K,4,\n"
    )
    out = tmp_path / "round-2"
    run_round(first, changes, out, inputs_dir=city.path)
    offers = rows(out / "offers.csv")
    assert offers
    assert {r["respond_by"] for r in offers} == {"'=1+1"}
