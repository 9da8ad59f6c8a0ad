"""``lottery.publish.letters``: one letter per applicant, in their language, as PDF and HTML.

The letters are checked through what a family would read: the text pypdf extracts from
each PDF must name the school they were offered and, for every choice, the result and
waitlist position that ``choice_results.csv`` records, in the family's language and
with its accents. The example city has Spanish, Portuguese and Vietnamese families (no
Vietnamese template is shipped, so they get English with a note); the small city of
conftest.py pins the mailing order of the merged PDF.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader
from support.files import rows
from support.small_city import write_city

from lottery.engine import run_lottery
from lottery.errors import InputError, UsageError
from lottery.publish.letters import LETTERS_DIR, MERGED_FILE, generate_letters
from lottery.publish.letters.templates import SHIPPED_TEMPLATES, whole_letter

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city"
SEED = "2026-spring"
FOOTER = re.compile(r"(A\d+) · (?:page|página) (\d+)")


def pdf_text(path: Path) -> str:
    """All the text of a PDF, with runs of white space made single spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


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
    # A Portuguese family with a kindergarten choice on a waitlist.
    waitlisted = {
        r["applicant_id"] for r in rows(out / "choice_results.csv") if r["waitlist_position"]
    }
    portuguese = next(
        r
        for r in rows(EXAMPLE / "applicants.csv")
        if r["language"] == "pt" and r["grade"] == "K" and r["applicant_id"] in waitlisted
    )
    text = pdf_text(out / LETTERS_DIR / f"{portuguese['applicant_id']}.pdf")
    assert f"Prezado(a) {portuguese['guardian_name']}," in text
    assert "jardim de infância" in text
    assert "Lista de espera, posição" in text
    assert "Próximos passos" in text
    html = (out / LETTERS_DIR / "A000016.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in html and "José González" in html


def test_unknown_language_falls_back_to_english_with_a_note(example):
    out, summary = example
    vietnamese = [
        r["applicant_id"] for r in rows(EXAMPLE / "applicants.csv") if r["language"] == "vi"
    ]
    assert summary.fallback == {"vi": len(vietnamese)}
    asked = Counter(r["language"] for r in rows(EXAMPLE / "applicants.csv"))
    assert summary.languages == {
        "en": asked["en"] + len(vietnamese),
        "es": asked["es"],
        "pt": asked["pt"],
    }
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
    english = whole_letter("en")
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
    english = whole_letter("en")
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
    english = whole_letter("en")
    (custom / "en.html").write_text(english.replace("{{ lang }}", "{{ lang }"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        generate_letters(out, city.path, templates_dir=custom)
    line = english.split("{{ lang }}")[0].count("\n") + 1
    assert caught.value.lines()[0].startswith(f"en.html:{line}: template error: ")


def test_an_edited_layout_is_used_for_every_language(small):
    city, out = small
    custom = out.parent / "my-templates"
    custom.mkdir()
    layout = (SHIPPED_TEMPLATES / "letter.html").read_text(encoding="utf-8")
    edited = layout.replace('<h1 style="font-size: 13pt">', '<h1 class="subject">')
    assert edited != layout
    (custom / "letter.html").write_text(edited, encoding="utf-8")
    generate_letters(out, city.path, templates_dir=custom)
    for aid, subject in (("A2", "School placement for"), ("A1", "Asignación escolar de")):
        page = (out / LETTERS_DIR / f"{aid}.html").read_text(encoding="utf-8")
        assert f'<h1 class="subject">{subject}' in page


def test_an_edited_wording_file_is_used_and_other_languages_keep_the_shipped_ones(small):
    city, out = small
    custom = out.parent / "my-templates"
    custom.mkdir()
    wording = (SHIPPED_TEMPLATES / "en.toml").read_text(encoding="utf-8")
    edited = wording.replace(
        "greeting = 'Dear {{ letter.guardian_name or \"parent or guardian\" }},'",
        "greeting = 'Hello {{ letter.guardian_name }}!'",
    )
    assert edited != wording
    (custom / "en.toml").write_text(edited, encoding="utf-8")
    generate_letters(out, city.path, templates_dir=custom)
    assert "Hello Carol Smith!" in pdf_text(out / LETTERS_DIR / "A2.pdf")
    assert "Hello Carol Smith!" in (out / LETTERS_DIR / "A2.html").read_text(encoding="utf-8")
    assert "Estimado/a Maria Lopez:" in pdf_text(out / LETTERS_DIR / "A1.pdf")


def test_a_whole_letter_is_the_wording_in_the_layout():
    """The shipped letter as one template (an office's old-style en.html) words every
    value and macro of en.toml and holds the layout."""
    english = whole_letter("en")
    assert (
        '{%- macro greeting() -%}Dear {{ letter.guardian_name or "parent or guardian" }},'
        in english
    )
    assert english.endswith((SHIPPED_TEMPLATES / "letter.html").read_text(encoding="utf-8"))


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


# ----------------------------------------------------------------------------- seat policy

POLICY_PROGRAMS = """\
program_id,school_id,school_name,sector,grade,seats,zones,administrative_zones,requires_tags
ASH-K,ASH,Ash Academy,charter,K,2,,,gifted
ELM-K,ELM,Elm Elementary,district,K,1,N,N,
OAK-K,OAK,Oak Charter Academy,charter,K,1,,,
PINE-K,PINE,Pine School,district,K,2,N,N,
"""
POLICY_APPLICANTS = """\
applicant_id,first_name,last_name,grade,zone,sibling_school_ids,language,guardian_name,\
address,tags,guaranteed_program_id,family_id
D1,Ana,Lopez,K,S,OAK,es,Maria Lopez,12 Elm St,,,
D2,Ben,Smith,K,S,,en,Carol Smith,3 River Rd,,,
D3,Cara,Jones,K,S,,pt,Dan Jones,,,PINE-K,
D4,Dev,Patel,K,N,,en,Raj Patel,,,,
D5,Eli,Brown,K,N,,es,Fay Brown,,,,
D6,Fay,Green,K,S,,en,Gil Green,,gifted,,F1
D7,Gus,Green,K,S,,en,Gil Green,,,,F1
"""
POLICY_CHOICES = """\
applicant_id,rank,program_id
D1,1,OAK-K
D2,1,OAK-K
D2,2,ASH-K
D3,1,OAK-K
D4,1,OAK-K
D6,1,ASH-K
D7,1,ASH-K
D7,2,OAK-K
"""


@pytest.fixture
def policy_city(make_city, tmp_path):
    """A kindergarten with every status: D1 and D6 placed (D1 by sibling priority at the
    one-seat OAK-K), D3 guaranteed PINE-K (unranked), D4 (ranked only OAK-K) and D5 (ranked
    nothing) given seats in zone N by the zone guarantee, D2 and D7 unplaced. ASH-K is open
    only to tag "gifted", so D2's and D7's choices there are ineligible; D6 and D7 are a
    linked family (F1)."""
    city = make_city(
        "policy-city",
        programs=POLICY_PROGRAMS,
        applicants=POLICY_APPLICANTS,
        choices=POLICY_CHOICES,
        policy='[priority]\norder = ["sibling"]\n',
    )
    out = tmp_path / "policy-results"
    run_lottery(city.path, out, SEED)
    return city, out


def test_letters_word_every_status_in_every_language(policy_city):
    city, out = policy_city
    placements = {r["applicant_id"]: r for r in rows(out / "placements.csv")}
    assert {a: (r["status"], r["program_id"]) for a, r in placements.items()} == {
        "D1": ("placed", "OAK-K"),
        "D2": ("unplaced", ""),
        "D3": ("guaranteed", "PINE-K"),
        "D4": ("administrative", "PINE-K"),
        "D5": ("administrative", "ELM-K"),
        "D6": ("placed", "ASH-K"),
        "D7": ("unplaced", ""),
    }
    summary = generate_letters(out, city.path)
    assert summary.letters == 7 and summary.languages == {"en": 4, "es": 2, "pt": 1}
    expected = {
        "D3": [  # guaranteed, Portuguese
            "Cara tem uma vaga em Pine School (PINE-K), a escola garantida a Cara. Nenhuma das "
            "escolas que você escolheu tinha lugar para Cara, por isso Cara mantém esta vaga "
            "garantida.",
            "Para aceitar esta vaga",
            "Cara também continua na lista de espera da escola que você escolheu. Se",
        ],
        "D4": [  # administrative at a program not ranked, English
            "The district assigned Dev a seat at Pine School (PINE-K) in your zone because "
            "none of the schools you ranked had room.",
            "To accept this seat, contact us.",
            "Dev also stays on the waitlist of the school you ranked. If a seat opens there",
        ],
        "D5": [  # administrative, ranked nothing, Spanish
            "Usted no eligió ninguna escuela, así que el distrito asignó a Eli una plaza en Elm "
            "Elementary (ELM-K), en su zona.",
            "Para aceptar esta plaza, comuníquese con nosotros.",
        ],
        "D2": [  # unplaced: waitlisted at one choice, not eligible at the other
            "We could not offer Ben a seat at any of the schools you ranked. Ben is on the "
            "waitlist of one of them.",
            "Ash Academy (ASH-K) Not eligible",
            '"Not eligible": the program is open only to students who meet a requirement that '
            "Ben does not meet, so Ben was not considered there and is not on its waitlist.",
            "Ben stays on the waitlist shown above.",
        ],
        "D1": ["Ana ha recibido una plaza en Oak Charter Academy (OAK-K), su 1.ª opción."],
    }
    for aid, sentences in expected.items():
        text = pdf_text(out / LETTERS_DIR / f"{aid}.pdf")
        page = " ".join(
            html.unescape(
                re.sub(
                    r"<[^>]+>", " ", (out / LETTERS_DIR / f"{aid}.html").read_text(encoding="utf-8")
                )
            ).split()
        )
        for sentence in sentences:
            assert sentence in text, (aid, sentence, text)
            assert sentence in page, (aid, sentence)
    for aid in ("D3", "D4", "D5"):  # a seat is never worded as no seat
        text = pdf_text(out / LETTERS_DIR / f"{aid}.pdf")
        assert "could not offer" not in text and "No pudimos" not in text
        assert "Não foi possível" not in text


def test_a_family_letter_explains_the_family_lottery_number(policy_city):
    city, out = policy_city
    generate_letters(out, city.path)
    placed = {r["applicant_id"]: r for r in rows(out / "placements.csv")}
    family = placed["D7"]["family_lottery_number"]
    assert family and family == placed["D6"]["family_lottery_number"]
    digest = hashlib.sha256(f"{SEED}|family:F1".encode()).hexdigest()
    assert int(digest[:16], 16) == int(family)
    text = pdf_text(out / LETTERS_DIR / "D7.pdf")
    assert (
        f"Your lottery number is {placed['D7']['lottery_number']}. Gus applied together with "
        f"family members, so every school ordered your family by the family's lottery number, "
        f"{family}, and then by your own number: this gives you lottery rank "
        f"{placed['D7']['lottery_rank']} of 7." in text
    )
    assert f"{SEED}|family:F1 ({digest[:16]})" in text
    assert "family" not in pdf_text(out / LETTERS_DIR / "D2.pdf")


def test_a_letter_explains_reserved_seats_at_a_ranked_program(make_city, tmp_path):
    """P1 keeps one of its two seats for tag frl and leaves it empty when no member
    applies (unfilled = "empty"): one of B1 and B2 is turned away although a seat stays
    empty, so the program has no cutoff for its open seats."""
    city = make_city(
        "reserved",
        programs="program_id,school_id,school_name,sector,grade,seats,zones\n"
        "P1,S1,One,district,K,2,Z1\n",
        applicants="applicant_id,first_name,last_name,grade,guardian_name,zone\n"
        "B1,Bo,One,K,G1,Z1\nB2,Bea,Two,K,G2,Z1\n",
        choices="applicant_id,rank,program_id\nB1,1,P1\nB2,1,P1\n",
        reserves_csv="program_id,category,seats,share\nP1,tag:frl,1,\n",
        policy='[reserves]\nunfilled = "empty"\n',
    )
    out = tmp_path / "results"
    run_lottery(city.path, out, SEED)
    placed = {r["applicant_id"]: r for r in rows(out / "placements.csv")}
    unplaced = [a for a, r in placed.items() if r["status"] == "unplaced"]
    assert len(unplaced) == 1
    generate_letters(out, city.path)
    aid = unplaced[0]
    text = pdf_text(out / LETTERS_DIR / f"{aid}.pdf")
    assert "One (P1) Waitlist, position 1 lives in the zone" in text
    assert "nobody turned away" not in text  # no cutoff, but not "nobody turned away"
    assert (
        "Some of these schools keep some of their seats for particular groups of applicants: "
        "there, the last column is about the seats open to everyone, and a member of such a "
        "group may get a reserved seat after that applicant." in text
    )
    other = next(a for a in placed if a != aid)
    assert "Some of these schools keep" in pdf_text(out / LETTERS_DIR / f"{other}.pdf")


def test_a_template_that_does_not_word_the_new_statuses_is_refused(policy_city):
    """A template edited before guaranteed and administrative seats existed would tell
    these families that no seat could be offered."""
    city, out = policy_city
    custom = out.parent / "old-templates"
    custom.mkdir()
    english = whole_letter("en")
    old = english.replace('{%- elif letter.status == "guaranteed" -%}', "{%- elif false -%}")
    old = old.replace('{%- elif letter.status == "administrative" -%}', "{%- elif false -%}")
    old = old.replace("{%- elif o -%}", "{%- elif letter.placed -%}")
    assert old.count("{%- elif false -%}") == 2
    (custom / "en.html").write_text(old, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        generate_letters(out, city.path, templates_dir=custom)
    assert caught.value.lines()[0] == (
        'en.html: the outcome of the letter of D4 (status "administrative") does not name Pine '
        "School, the school where D4 has a seat: the template does not word this status; copy "
        "the outcome macro of the shipped template"
    )
    assert not (out / LETTERS_DIR).exists()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler) not installed")
def test_seat_policy_letters_render_with_poppler(policy_city, tmp_path):
    city, out = policy_city
    generate_letters(out, city.path)
    for aid in ("D2", "D3", "D4", "D5", "D7"):
        done = subprocess.run(
            ["pdftoppm", "-r", "30", "-png", out / LETTERS_DIR / f"{aid}.pdf", tmp_path / aid],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0 and not done.stderr, (aid, done.stderr)
        assert (tmp_path / f"{aid}-1.png").stat().st_size > 1000
