"""``lottery letters`` with a bad letters.toml or bad templates: a clear problem, never a
traceback, and nothing written.

Every case here once ended in a traceback (UnicodeDecodeError, ZeroDivisionError,
TypeError, RecursionError) or in minutes of work (a 16,000-character office name). One
small city is run once for the whole module; each test writes its own templates or
letters.toml next to it.
"""

from __future__ import annotations

import random

import pytest
from fpdf import FPDF
from pypdf import PdfReader
from support.small_city import write_city

from lottery.engine import run_lottery
from lottery.errors import InputError
from lottery.publish.letters import LETTERS_DIR, generate_letters
from lottery.publish.letters.config import TEXT_LIMITS
from lottery.publish.letters.pdf import FONT_FAMILY, _Page, font_folder
from lottery.publish.letters.templates import SHIPPED_TEMPLATES, whole_letter

SEED = "2026-spring"
ENGLISH = whole_letter("en")
GREETING = 'Dear {{ letter.guardian_name or "parent or guardian" }},'


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The small city of conftest.py, run once; letters not yet written."""
    base = tmp_path_factory.mktemp("letters-input")
    city = write_city(base / "city")
    out = base / "results"
    run_lottery(city.path, out, SEED)
    return city, out


def refused(run, **options) -> list[str]:
    """The lines of the InputError that generate_letters raises; checks nothing was written."""
    city, out = run
    with pytest.raises(InputError) as caught:
        generate_letters(out, city.path, **options)
    assert not (out / LETTERS_DIR).exists()
    return caught.value.lines()


def templates(tmp_path, content: str | bytes, name: str = "en.html"):
    """A templates folder holding one edited template."""
    folder = tmp_path / "my-templates"
    folder.mkdir(exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return folder


def line_of(text: str, fragment: str) -> int:
    return text.split(fragment)[0].count("\n") + 1


# ----------------------------------------------------------------------------- encodings


def test_a_template_saved_as_utf16_is_refused(run, tmp_path):
    folder = templates(tmp_path, ENGLISH.encode("utf-16"))
    assert refused(run, templates_dir=folder)[0] == (
        "en.html: the file is not UTF-8 text (byte 1); save it as UTF-8"
    )


def test_a_template_with_a_byte_that_is_not_utf8_is_refused(run, tmp_path):
    data = ENGLISH.encode("utf-8")
    at = data.index(b"Sincerely")
    folder = templates(tmp_path, data[:at] + b"\xe9" + data[at:])  # Latin-1 "é"
    assert refused(run, templates_dir=folder)[0] == (
        f"en.html: the file is not UTF-8 text (byte {at + 1}); save it as UTF-8"
    )


def test_a_template_saved_with_a_utf8_byte_order_mark_is_used(run, tmp_path):
    city, out = run
    edited = ENGLISH.replace(GREETING, "Hello {{ letter.guardian_name }}!")
    folder = templates(tmp_path, edited.encode("utf-8-sig"))
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")  # not a template: ignored
    target = tmp_path / "letters"
    generate_letters(out, city.path, templates_dir=folder, letters_dir=target)
    assert "Hello Carol Smith!" in (target / "A2.html").read_text(encoding="utf-8")


def test_an_include_of_a_file_that_is_not_utf8_is_refused(run, tmp_path):
    folder = templates(tmp_path, "Sincerely,".encode("utf-16"), "closing.html")
    edited = ENGLISH.replace("Sincerely,", '{% include "closing.html" %}')
    templates(tmp_path, edited)
    assert refused(run, templates_dir=folder)[0] == (
        "closing.html: the file is not UTF-8 text (byte 1); save it as UTF-8"
    )


# ----------------------------------------------------------------------------- rendering

RUNTIME_ERRORS = {
    "division by zero": ("{{ 1 // 0 }}", "template error: integer division or modulo by zero"),
    "text added to a number": ('{{ 1 + "a" }}', "template error: unsupported operand type"),
    "undefined name": ("{{ no_such_name }}", "template error: 'no_such_name' is undefined"),
    "missing include": ('{% include "nowhere.html" %}', 'there is no template "nowhere.html"'),
    "template that includes itself": (
        '{% include "en.html" %}',
        "template error: the template calls itself without end",
    ),
    "macro that calls itself": (
        "{{ greeting() }}",
        "template error: the template calls itself without end",
    ),
}


@pytest.mark.parametrize("case", RUNTIME_ERRORS, ids=list(RUNTIME_ERRORS))
def test_a_template_that_fails_while_rendering_names_its_file_and_line(run, tmp_path, case):
    statement, message = RUNTIME_ERRORS[case]
    edited = ENGLISH.replace(GREETING, f"Dear{statement},")
    folder = templates(tmp_path, edited)
    first = refused(run, templates_dir=folder)[0]
    assert first.startswith(f"en.html:{line_of(edited, statement)}: ")
    assert message in first
    assert "(in the letter of A" in first


def test_a_template_that_extends_itself_is_refused(run, tmp_path):
    folder = templates(tmp_path, '{% extends "en.html" %}' + ENGLISH)
    first = refused(run, templates_dir=folder)[0]
    assert "template error: the template calls itself without end" in first


def test_a_template_nested_too_deeply_to_read_is_refused(run, tmp_path):
    nested = "{% if true %}" * 3000 + "x" + "{% endif %}" * 3000
    folder = templates(tmp_path, ENGLISH.replace(GREETING, nested))
    assert refused(run, templates_dir=folder)[0] == (
        "en.html: template error: the template has blocks nested too deeply (hundreds of "
        "levels) to be read"
    )


def test_a_template_that_fails_for_one_letter_only_is_caught_while_rendering(run, tmp_path):
    """The check before rendering words one letter of each kind; a template that fails
    for another letter is still reported by the renderer, the same way."""
    city, out = run
    statement = '{% if letter.applicant_id == "A6" %}{{ 1 // 0 }}{% endif %}'
    edited = ENGLISH.replace(GREETING, f"Dear{statement},")
    folder = templates(tmp_path, edited)
    assert refused(run, templates_dir=folder)[0] == (
        f"en.html:{line_of(edited, statement)}: template error: integer division or modulo "
        "by zero (in the letter of A6)"
    )


def test_a_failing_template_is_reported_by_the_command_line(run, tmp_path, invoke):
    city, out = run
    folder = templates(tmp_path, ENGLISH.replace(GREETING, "{{ 1 // 0 }}"))
    result = invoke("letters", out, "--inputs", city.path, "--templates", folder)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"en.html:{line_of(ENGLISH, GREETING)}: template error: ")
    assert "Traceback" not in result.stderr
    assert not (out / LETTERS_DIR).exists()


# ----------------------------------------------------------------------------- wording files

WORDING = (SHIPPED_TEMPLATES / "en.toml").read_text(encoding="utf-8")
CLOSING = "closing = 'Sincerely,'"


def test_a_wording_file_saved_as_utf16_is_refused(run, tmp_path):
    folder = templates(tmp_path, WORDING.encode("utf-16"), "en.toml")
    assert refused(run, templates_dir=folder)[0] == (
        "en.toml: the file is not UTF-8 text (byte 1); save it as UTF-8"
    )


def test_a_wording_file_that_is_not_toml_names_its_line(run, tmp_path):
    edited = WORDING.replace(CLOSING, "closing = Sincerely,")
    folder = templates(tmp_path, edited, "en.toml")
    line = line_of(edited, "closing = Sincerely,")
    assert refused(run, templates_dir=folder)[0].startswith(f"en.toml:{line}: not valid TOML: ")


def test_a_wording_file_without_some_wording_is_refused(run, tmp_path):
    folder = templates(tmp_path, WORDING.replace(CLOSING, ""), "en.toml")
    assert refused(run, templates_dir=folder)[:-1] == [
        "en.toml: the wording does not define closing: a wording file must keep every value "
        "and macro of the shipped one"
    ]


def test_a_wording_file_with_values_of_the_wrong_type_names_each(run, tmp_path):
    edited = WORDING.replace('title = "School placement letter"', "title = 5")
    edited = edited.replace(CLOSING, "closing = 2026-06-30")
    edited = edited.replace("\n[values]\n", "\ncolour = 'blue'\n\n[values]\n")
    folder = templates(tmp_path, edited, "en.toml")
    assert refused(run, templates_dir=folder)[:-1] == [
        f'en.toml:{line_of(edited, "colour")}: colour: unknown setting "colour": a wording '
        "file holds [values] and [macros]",
        f"en.toml:{line_of(edited, 'title = 5')}: values.title: must be text in quotes, not 5",
        f"en.toml:{line_of(edited, 'closing =')}: macros.closing: must be text in quotes, not "
        "2026-06-30",
    ]


@pytest.mark.parametrize("case", RUNTIME_ERRORS, ids=list(RUNTIME_ERRORS))
def test_a_wording_file_that_fails_while_rendering_names_its_line(run, tmp_path, case):
    statement, message = RUNTIME_ERRORS[case]
    if case == "template that includes itself":
        statement = '{% include "letter.html" %}'
    shipped = "greeting = 'Dear {{ letter.guardian_name or \"parent or guardian\" }},'"
    assert shipped in WORDING
    edited = WORDING.replace(shipped, f"greeting = '''\nDear\n{statement},'''")
    folder = templates(tmp_path, edited, "en.toml")
    first = refused(run, templates_dir=folder)[0]
    assert first.startswith(f"en.toml:{line_of(edited, statement)}: ") or (
        case == "template that includes itself" and first.startswith("letter.html:")
    )
    assert message in first
    assert "(in the letter of A" in first


def test_a_layout_error_names_the_layout_and_its_line(run, tmp_path):
    layout = (SHIPPED_TEMPLATES / "letter.html").read_text(encoding="utf-8")
    edited = layout.replace("<p>{{ greeting() }}</p>", "<p>{{ greeting() // 0 }}</p>")
    assert edited != layout
    folder = templates(tmp_path, edited, "letter.html")
    first = refused(run, templates_dir=folder)[0]
    assert first.startswith(f"letter.html:{line_of(edited, 'greeting() // 0')}: template error: ")
    folder = templates(tmp_path, layout.replace("{{ lang }}", "{{ lang }"), "letter.html")
    first = refused(run, templates_dir=folder)[0]
    assert first.startswith(f"letter.html:{line_of(layout, '{{ lang }}')}: template error: ")


# ----------------------------------------------------------------------------- letters.toml


def config(tmp_path, text: str):
    path = tmp_path / "letters.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_office_name_over_the_limit_is_refused(run, tmp_path):
    path = config(tmp_path, '[office]\nname = "' + "X" * 16_000 + '"\n')
    assert refused(run, config_path=path) == [
        "letters.toml:2: office.name: is 16000 characters long; the limit is 200",
        "Found 1 problem in the input files; nothing was written.",
    ]


@pytest.mark.parametrize("setting", TEXT_LIMITS)
def test_every_text_setting_has_a_limit(run, tmp_path, setting):
    table, key = setting.split(".")
    limit = TEXT_LIMITS[setting]
    text = "[office]\n" if setting == "office.name" else '[office]\nname = "Office"\n'
    if table != "office":
        text += f"[{table}]\n"
    text += f'{key} = "{"a" * (limit + 1)}"\n'
    assert refused(run, config_path=config(tmp_path, text))[0] == (
        f"letters.toml:{text.count(chr(10))}: {setting}: is {limit + 1} characters long; "
        f"the limit is {limit}"
    )


def test_texts_at_their_limits_make_letters_even_as_one_long_word(run, tmp_path):
    """Unbreakable words as long as allowed are cut to the page, not run off it."""
    city, out = run
    word = {setting: "W" * limit for setting, limit in TEXT_LIMITS.items()}
    path = config(
        tmp_path,
        "[office]\n"
        f'name = "{word["office.name"]}"\n'
        f'phone = "{word["office.phone"]}"\n'
        f'email = "a@b.{"c" * (TEXT_LIMITS["office.email"] - 4)}"\n'
        f'address = "12 Main St\\n{word["office.address"][:-11]}"\n'
        f'website = "https://{word["office.website"][:-8]}"\n'
        "[response]\n"
        f'how_to_accept = "call {word["response.how_to_accept"][:-5]}"\n',
    )
    target = tmp_path / "letters"
    generate_letters(out, city.path, config_path=path, letters_dir=target)
    assert (target / "A1.pdf").stat().st_size > 0


WRONG_TYPES = {
    "number for text": (
        "[office]\nname = 311\n",
        "2: office.name: must be text in quotes, not 311 (or a table of texts by language "
        'such as { en = "...", es = "..." })',
    ),
    "date for text": (
        '[office]\nname = "Office"\nphone = 2026-06-30\n',
        "3: office.phone: must be text in quotes, not 2026-06-30",
    ),
    "boolean for text": (
        '[office]\nname = "Office"\nwebsite = true\n',
        "3: office.website: must be text in quotes, not true",
    ),
    "list for text": (
        '[office]\nname = "Office"\nemail = ["a@b.org"]\n',
        "3: office.email: must be text in quotes, not a list",
    ),
    "text for a date": (
        '[office]\nname = "Office"\n[response]\ndeadline = "2026-06-30"\n',
        "4: response.deadline: must be a date written like 2026-04-15, without quotes",
    ),
    "date and time for a date": (
        '[office]\nname = "Office"\n[response]\ndeadline = 2026-06-30T17:00:00\n',
        "4: response.deadline: must be a date without a time of day, written like 2026-04-15",
    ),
    "boolean for a choice": (
        'paper = true\n[office]\nname = "Office"\n',
        '1: paper: must be "letter" or "a4", not true',
    ),
    "text for a table": (
        'office = "City"\n',
        '1: office: must be a table of settings, not "City"',
    ),
    "number in a table of translations": (
        '[office]\nname = "Office"\n[response]\nhow_to_accept = { en = 3 }\n',
        "4: response.how_to_accept.en: must be text in quotes, not 3",
    ),
}


@pytest.mark.parametrize("case", WRONG_TYPES, ids=list(WRONG_TYPES))
def test_a_value_of_the_wrong_type_is_refused_in_plain_english(run, tmp_path, case):
    text, message = WRONG_TYPES[case]
    assert refused(run, config_path=config(tmp_path, text))[0] == f"letters.toml:{message}"


CONTROL_CHARACTERS = {
    "NUL in the name": (
        '[office]\nname = "Office\\u0000"\n',
        "office.name: contains a control character (U+0000) at character 7; remove it",
    ),
    "bell in how to accept": (
        '[office]\nname = "Office"\n[response.how_to_accept]\nen = "call \\u0007us"\n',
        "response.how_to_accept.en: contains a control character (U+0007) at character 6; "
        "remove it",
    ),
    "line break in the phone": (
        '[office]\nname = "Office"\nphone = "555\\n0100"\n',
        "office.phone: must be one line of text (it has a line break at character 4)",
    ),
    "escape in a key": (
        '[office]\nname = "Office"\n"col\\u001bour" = 3\n',
        'office.col\\u001bour: unknown setting "col\\u001bour"',
    ),
}


@pytest.mark.parametrize("case", CONTROL_CHARACTERS, ids=list(CONTROL_CHARACTERS))
def test_control_characters_in_letters_toml_are_refused(run, tmp_path, case):
    text, message = CONTROL_CHARACTERS[case]
    path = config(tmp_path, text)
    first = refused(run, config_path=path)[0]
    assert first.endswith(message)


def test_line_breaks_are_allowed_in_the_address_and_how_to_accept(run, tmp_path):
    city, out = run
    path = config(
        tmp_path,
        '[office]\nname = "Office"\naddress = """100 Main Street\r\nSpringfield"""\n'
        '[response]\nhow_to_accept = """Call us.\n\tOr write."""\n',
    )
    target = tmp_path / "letters"
    generate_letters(out, city.path, config_path=path, letters_dir=target)
    assert "100 Main Street" in (target / "A2.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- layout


@pytest.fixture(scope="module")
def page():
    pdf = FPDF(unit="mm")
    pdf.add_font(FONT_FAMILY, "", str(font_folder() / "DejaVuSans.ttf"))
    page = _Page(pdf, {}, {})
    page.font("", 9.5)
    return page


def test_a_long_word_is_cut_where_cutting_one_character_at_a_time_would_cut_it(page):
    """The faster search for where to cut finds the same place, so letters keep their bytes."""
    shuffled = random.Random(7)
    for _ in range(200):
        word = "".join(shuffled.choices("iIlWwmM.éçñ0", k=shuffled.randint(1, 120)))
        width = shuffled.uniform(0.5, 60.0)
        cut = len(word)
        while cut > 1 and page.width_of(word[:cut]) > width:
            cut -= 1
        assert page.fitting_length(word, width) == cut


def test_a_word_wider_than_the_line_starts_a_new_line(page):
    word = "W" * 300
    lines = page.wrap(f"Call {word} now", 100.0)
    assert lines[0] == "Call"
    assert "".join(lines[1:]).replace(" ", "") == word + "now"
    assert all(page.width_of(line) <= 100.0 for line in lines)


def test_a_long_word_after_others_is_cut_to_the_page(run, tmp_path):
    """It used to be cut only at the start of a line: after "City" it ran off the page."""
    city, out = run
    path = config(tmp_path, '[office]\nname = "City ' + "W" * 190 + '"\n')
    target = tmp_path / "letters"
    generate_letters(out, city.path, config_path=path, letters_dir=target)
    lines = PdfReader(target / "A1.pdf").pages[0].extract_text().splitlines()
    assert lines[0] == "City"
    assert max(len(line) for line in lines if line.startswith("WWW")) < 50
