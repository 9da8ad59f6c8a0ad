"""``lottery.letters``: one letter per applicant, in their language, as PDF and HTML.

The letters are checked through what a family would read: the text pypdf extracts from
each PDF must name the school they were offered and, for every choice, the result and
waitlist position that ``choice_results.csv`` records, in the family's language and
with its accents. The example city has Spanish, Portuguese and Vietnamese families (no
Vietnamese template is shipped, so they get English with a note); the small city of
conftest.py pins the mailing order of the merged PDF.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import write_city
from pypdf import PdfReader

from lottery.engine import run_lottery
from lottery.errors import InputError, UsageError
from lottery.letters import LETTERS_DIR, MERGED_FILE, generate_letters
from lottery.letters.render import SHIPPED_TEMPLATES

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "city"
SEED = "2026-spring"
FOOTER = re.compile(r"(A\d+) · (?:page|página) (\d+)")


def pdf_text(path: Path) -> str:
    """All the text of a PDF, with runs of white space made single spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example city's results with letters (two worker processes), and the summary."""
    out = tmp_path_factory.mktemp("example") / "results"
    run_lottery(EXAMPLE, out, SEED)
    summary = generate_letters(out, EXAMPLE, workers=2)
    return out, summary


@pytest.fixture
def small(tmp_path):
    """The small city of conftest.py, run; letters not yet written."""
    city = write_city(tmp_path / "city")
    out = tmp_path / "results"
    run_lottery(city.path, out, SEED)
    return city, out


# ----------------------------------------------------------------------------- content

EXPECTED = {
    # language: (placed at choice N, result of a waitlisted choice, sentence with accents)
    "en": ("your {rank}{suffix} choice", "Waitlist, position {position}", "Dear "),
    "es": ("su {rank}.ª opción", "Lista de espera, puesto {position}", "Próximos pasos"),
    "pt": ("sua {rank}.ª opção", "Lista de espera, posição {position}", "Próximos passos"),
}


def sampled_applicants(out: Path) -> dict[str, list[str]]:
    """Per language, applicants placed at a lower choice (so waitlisted above it)."""
    languages = {r["applicant_id"]: r["language"] for r in rows(EXAMPLE / "applicants.csv")}
    placed_lower = {
        r["applicant_id"]
        for r in rows(out / "placements.csv")
        if r["status"] == "placed" and r["choice_rank"] != "1"
    }
    sample: dict[str, list[str]] = {}
    for aid in sorted(placed_lower):
        if len(sample.setdefault(languages[aid], [])) < 3:
            sample[languages[aid]].append(aid)
    return sample


def test_each_letter_shows_the_school_rank_and_waitlist_positions_in_its_language(example):
    out, _ = example
    sample = sampled_applicants(out)
    assert {"en", "es", "pt"} <= set(sample)
    placements = {r["applicant_id"]: r for r in rows(out / "placements.csv")}
    schools = {r["program_id"]: r["school_name"] for r in rows(out / "programs_summary.csv")}
    results = rows(out / "choice_results.csv")
    for language in ("en", "es", "pt"):
        placed_text, waitlist_text, _ = EXPECTED[language]
        for aid in sample[language]:
            text = pdf_text(out / LETTERS_DIR / f"{aid}.pdf")
            placed = placements[aid]
            rank = int(placed["choice_rank"])
            suffix = {1: "st", 2: "nd", 3: "rd"}.get(rank, "th")
            assert f"{schools[placed['program_id']]} ({placed['program_id']})" in text, aid
            assert placed_text.format(rank=rank, suffix=suffix) in text, aid
            waitlisted = [r for r in results if r["applicant_id"] == aid and r["waitlist_position"]]
            assert waitlisted, aid
            for row in waitlisted:
                assert waitlist_text.format(position=row["waitlist_position"]) in text, aid
            assert f"{placed['lottery_number']}" in text
            assert f"{SEED}|{aid}" in text


def test_accents_survive_in_the_pdf_and_the_html(example):
    out, _ = example
    text = pdf_text(out / LETTERS_DIR / "A000016.pdf")  # José González, Spanish
    assert "Estimado/a José González:" in text
    assert "Asignación escolar de Alejandro González" in text
    assert "Próximos pasos" in text
    text = pdf_text(out / LETTERS_DIR / "A000010.pdf")  # Adriana Lima, Portuguese
    assert "Não foi possível oferecer a Lucas uma vaga" in text
    assert "jardim de infância" in text
    assert "posição" in text
    html = (out / LETTERS_DIR / "A000016.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in html and "José González" in html


def test_unknown_language_falls_back_to_english_with_a_note(example):
    out, summary = example
    vietnamese = [
        r["applicant_id"] for r in rows(EXAMPLE / "applicants.csv") if r["language"] == "vi"
    ]
    assert summary.fallback == {"vi": len(vietnamese)}
    assert summary.languages == {"en": 277 + 15, "es": 53, "pt": 15}  # 277 ask for en
    text = pdf_text(out / LETTERS_DIR / f"{vietnamese[0]}.pdf")
    assert "Translations of this letter are available on request" in text
    assert "Dear " in text
    english = [r["applicant_id"] for r in rows(EXAMPLE / "applicants.csv") if r["language"] == "en"]
    assert "Translations of this letter" not in pdf_text(out / LETTERS_DIR / f"{english[0]}.pdf")
    html = (out / LETTERS_DIR / f"{vietnamese[0]}.html").read_text(encoding="utf-8")
    assert "Translations of this letter are available on request" in html


def test_office_details_come_from_letters_toml(example):
    out, summary = example
    assert summary.config_file == EXAMPLE / "letters.toml"
    text = pdf_text(out / LETTERS_DIR / "A000016.pdf")
    assert "Springfield Public Schools, Office of Enrollment" in text
    assert "antes del 15 de abril de 2026" in text
    assert "entre en el portal para familias" in text


def test_every_applicant_has_a_pdf_and_an_html_letter(example):
    out, summary = example
    ids = {r["applicant_id"] for r in rows(out / "placements.csv")}
    names = {p.name for p in (out / LETTERS_DIR).iterdir()}
    assert names == {f"{a}.pdf" for a in ids} | {f"{a}.html" for a in ids} | {MERGED_FILE}
    assert summary.letters == len(ids) == 360
    assert len(PdfReader(out / LETTERS_DIR / MERGED_FILE).pages) == summary.pages


def test_merged_pdf_is_sorted_by_zone_then_address(small):
    city, out = small
    summary = generate_letters(out, city.path)
    merged = PdfReader(out / LETTERS_DIR / MERGED_FILE)
    first_pages = []
    for page in merged.pages:
        aid, number = FOOTER.search(" ".join(page.extract_text().split())).groups()
        if number == "1":
            first_pages.append(aid)
    # zone E: A4, A7 (no address); N: A3, A6 (none), A1 "12 Elm St"; S: A5, A8, A2 "3 River Rd"
    assert first_pages == ["A4", "A7", "A3", "A6", "A1", "A5", "A8", "A2"]
    assert summary.pages == len(merged.pages)
    assert summary.fallback == {"zh": 1}  # A8
    assert summary.warnings == (
        f"no letters.toml (in {city.path} or given with --config): the letters name no "
        "office, contact details, response deadline or way to accept",
    )


def test_letters_are_the_same_bytes_every_time(small):
    city, out = small
    generate_letters(out, city.path)
    first = {p.name: p.read_bytes() for p in (out / LETTERS_DIR).iterdir()}
    generate_letters(out, city.path)  # replaces the letters folder
    again = {p.name: p.read_bytes() for p in (out / LETTERS_DIR).iterdir()}
    assert first == again
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_multiple_tiebreak_letters_explain_numbers_per_school(make_city, tmp_path):
    city = make_city(policy='[lottery]\ntiebreak = "multiple"\n')
    out = tmp_path / "results"
    run_lottery(city.path, out, SEED)
    generate_letters(out, city.path)
    placed = {r["applicant_id"]: r for r in rows(out / "placements.csv")}
    text = pdf_text(out / LETTERS_DIR / "A3.pdf")
    assert "Each school you ranked used a separate lottery number for you" in text
    assert f"your number is {placed['A3']['lottery_number']}" in text
    assert f"{SEED}|A3|ELM-K" in text


# ----------------------------------------------------------------------------- templates


def test_a_custom_template_folder_is_used_and_other_languages_keep_the_shipped_ones(small):
    city, out = small
    custom = out.parent / "my-templates"
    custom.mkdir()
    english = (SHIPPED_TEMPLATES / "en.html").read_text(encoding="utf-8")
    edited = english.replace(
        'Dear {{ letter.guardian_name or "parent or guardian" }},',
        "Hello {{ letter.guardian_name }}!",
    )
    assert edited != english
    (custom / "en.html").write_text(edited, encoding="utf-8")
    generate_letters(out, city.path, templates_dir=custom)
    assert "Hello Carol Smith!" in pdf_text(out / LETTERS_DIR / "A2.pdf")
    assert "Hello Carol Smith!" in (out / LETTERS_DIR / "A2.html").read_text(encoding="utf-8")
    assert "Estimado/a Maria Lopez:" in pdf_text(out / LETTERS_DIR / "A1.pdf")  # es shipped


def test_a_template_without_some_wording_is_refused(small):
    city, out = small
    custom = out.parent / "my-templates"
    custom.mkdir()
    english = (SHIPPED_TEMPLATES / "en.html").read_text(encoding="utf-8")
    edited = english.replace("{%- macro closing() -%}Sincerely,{%- endmacro -%}", "")
    (custom / "en.html").write_text(edited, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        generate_letters(out, city.path, templates_dir=custom)
    assert caught.value.lines()[0] == (
        "en.html: the template does not define closing: a letter template must keep every "
        "value and macro of the shipped one"
    )
    assert not (out / LETTERS_DIR).exists()


def test_a_template_syntax_error_names_the_file_and_line(small):
    city, out = small
    custom = out.parent / "my-templates"
    custom.mkdir()
    english = (SHIPPED_TEMPLATES / "en.html").read_text(encoding="utf-8")
    (custom / "en.html").write_text(english.replace("{{ lang }}", "{{ lang }"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        generate_letters(out, city.path, templates_dir=custom)
    line = english.split("{{ lang }}")[0].count("\n") + 1
    assert caught.value.lines()[0].startswith(f"en.html:{line}: template error: ")


# ----------------------------------------------------------------------------- letters.toml


def test_a_bad_letters_toml_is_a_clear_input_error(small):
    city, out = small
    config = out.parent / "letters.toml"
    config.write_text(
        "[office]\n"
        'name = "Office of Enrollment"\n'
        'email = "enroll at city"\n'
        "colour = 3\n"
        "[response]\n"
        'deadline = "April 15"\n'
        'how_to_accept = { es = "Llame" }\n'
        'paper = "A5"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        generate_letters(out, city.path, config_path=config)
    assert caught.value.lines() == [
        'letters.toml:3: office.email: "enroll at city" is not an email address such as '
        "enroll@city.example",
        'letters.toml:4: office.colour: unknown setting "colour"',
        "letters.toml:6: response.deadline: must be a date written like 2026-04-15, without quotes",
        "letters.toml:7: response.how_to_accept: the table of translations needs an English "
        "text (en = ...)",
        'letters.toml:8: response.paper: unknown setting "paper"',
        "Found 5 problems in the input files; nothing was written.",
    ]
    assert not (out / LETTERS_DIR).exists()


def test_letters_toml_needs_the_office_name(small):
    city, out = small
    city.write("letters.toml", "[response]\ndeadline = 2026-04-15\n")
    with pytest.raises(InputError) as caught:
        generate_letters(out, city.path)
    assert caught.value.lines()[0] == "letters.toml: office.name: the office's name is required"


# ----------------------------------------------------------------------------- refusals


def test_changed_results_are_refused(small):
    city, out = small
    placements = out / "placements.csv"
    placements.write_text(placements.read_text().replace(",placed,", ",unplaced,", 1))
    with pytest.raises(InputError) as caught:
        generate_letters(out, city.path)
    assert caught.value.lines()[0] == (
        "placements.csv: changed since the lottery ran (its SHA-256 differs from "
        "manifest.json); use the results exactly as the run wrote them"
    )


def test_inputs_of_another_run_are_refused(small, make_city):
    _, out = small
    other = make_city("other")
    other.edit("applicants", "Maria Lopez", "Mary Lopez")
    with pytest.raises(InputError) as caught:
        generate_letters(out, other.path)
    assert caught.value.lines()[0] == (
        f"applicants.csv: the file in {other.path} is not the one this run used (its SHA-256 "
        "differs from manifest.json); pass the input folder of the run"
    )


def test_a_folder_without_results_is_refused(small, tmp_path):
    city, _ = small
    with pytest.raises(UsageError, match="is not a results folder"):
        generate_letters(tmp_path, city.path)


# ----------------------------------------------------------------------------- rendering


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler) not installed")
def test_letters_render_with_poppler(example, tmp_path):
    out, _ = example
    done = subprocess.run(
        [
            "pdftoppm",
            "-r",
            "30",
            "-png",
            "-f",
            "1",
            "-l",
            "2",
            out / LETTERS_DIR / "A000016.pdf",
            tmp_path / "page",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir())[:1] == ["page-1.png"]
