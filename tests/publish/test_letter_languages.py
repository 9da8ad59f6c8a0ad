"""Letters in the family's language, all of it: the office's texts per language, the
translation note in languages without wording, and a PDF that keeps its sign-off with
the next steps.

The small city of tests/support/small_city.py has one Spanish family (A1) and one
Chinese (A8); its other families write no language (English). Families are moved to
other languages by editing applicants.csv.
"""

from __future__ import annotations

import pytest
from pypdf import PdfReader
from support.small_city import write_city

from lottery.engine import run_lottery
from lottery.publish.letters import LETTERS_DIR, generate_letters
from lottery.publish.letters.scripts import shape_arabic, visual_order

SEED = "2026-spring"
NEXT_STEPS_ES = "Próximos pasos"
LANGUAGES = {"A2": "vi", "A3": "ar", "A4": "fr", "A5": "ht", "A6": "so", "A7": "es"}


def pdf_pages(path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


@pytest.fixture
def city(tmp_path):
    """The small city with families in many languages, run; letters not yet written."""
    city = write_city(tmp_path / "city")
    lines = city.path.joinpath("applicants.csv").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        cells = line.split(",")
        if cells[0] in LANGUAGES:
            cells[8] = LANGUAGES[cells[0]]
            lines[number] = ",".join(cells)
    city.path.joinpath("applicants.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "results"
    run_lottery(city.path, out, SEED)
    return city, out


def config(city, text: str):
    path = city.path / "letters.toml"
    path.write_text('[office]\nname = "Enrollment Office"\n' + text, encoding="utf-8")
    return path


def test_a_single_how_to_accept_warns_for_each_language_that_lacks_one(city):
    city, out = city
    config(city, '[response]\nhow_to_accept = "call us"\n')
    summary = generate_letters(out, city.path)
    assert summary.warnings == (
        "letters.toml: how_to_accept has no Spanish (es) text; 2 Spanish letter(s) use the "
        "English text",
    )


def test_office_texts_are_read_per_language(city):
    city, out = city
    config(
        city,
        'phone = "555"\n[office.address]\nen = "1 Main St"\nes = "Calle Mayor 1"\n'
        '[response.how_to_accept]\nen = "call us"\nes = "llámenos"\n',
    )
    path = city.path / "letters.toml"
    text = path.read_text(encoding="utf-8").replace(
        'name = "Enrollment Office"', 'name = { en = "Enrollment Office", es = "Oficina" }'
    )
    path.write_text(text, encoding="utf-8")
    summary = generate_letters(out, city.path)
    assert summary.warnings == ()
    spanish = " ".join(pdf_pages(out / LETTERS_DIR / "A1.pdf"))
    assert "Oficina" in spanish and "Calle Mayor 1" in spanish and "llámenos" in spanish
    english = " ".join(pdf_pages(out / LETTERS_DIR / "A3.pdf"))
    assert "1 Main St" in english and "Enrollment Office" in english


def test_letters_without_wording_open_with_a_note_in_their_language(city):
    city, out = city
    summary = generate_letters(out, city.path)
    assert summary.fallback == {"ar": 1, "fr": 1, "ht": 1, "so": 1, "vi": 1, "zh": 1}
    assert not any("no glyph" in warning for warning in summary.warnings)
    first = {a: pdf_pages(out / LETTERS_DIR / f"{a}.pdf")[0] for a in ("A2", "A4", "A5", "A6")}
    assert "Quý vị có thể yêu cầu chúng tôi dịch thư này sang tiếng Việt" in first["A2"]
    assert "Vous pouvez nous en demander une traduction en français" in first["A4"]
    assert "tradui l an kreyòl ayisyen" in first["A5"]
    assert "Af-Soomaali" in first["A6"]
    # pypdf reads the two-byte codes of the Chinese font with NULs between characters.
    chinese = pdf_pages(out / LETTERS_DIR / "A8.pdf")[0].replace("\x00", "")
    assert "您可以请我们把它翻译成中文" in chinese
    html = (out / LETTERS_DIR / "A3.html").read_text(encoding="utf-8")
    assert '<p class="note" lang="ar" dir="auto">هذه الرسالة مكتوبة باللغة الإنجليزية.' in html


def test_the_pdf_draws_arabic_joined_and_right_to_left():
    """What the PDF holds is the shaped note in the order it is seen."""
    assert [hex(ord(c)) for c in shape_arabic("الرسالة")] == [
        "0xfe8d",  # alef, alone (it joins only to the letter before it)
        "0xfedf",  # lam, initial
        "0xfeae",  # reh, final
        "0xfeb3",  # seen, initial
        "0xfe8e",  # alef, final
        "0xfedf",  # lam, initial
        "0xfe94",  # teh marbuta, final
    ]
    assert [hex(ord(c)) for c in shape_arabic("الاتصال")][1] == "0xfefb"  # lam-alef, alone
    assert visual_order(shape_arabic("(كلمة)")) == "(" + shape_arabic("كلمة")[::-1] + ")"


@pytest.mark.parametrize("length", range(100, 2001, 150))
def test_the_sign_off_never_stands_alone_on_a_page(city, length):
    """However long the office's texts make a letter, the page with the closing also
    has the next steps."""
    city, out = city
    words = ("sign in to the family portal and answer the questions " * 60)[:length]
    config(
        city,
        'address = """' + "100 Main Street, Springfield, Room 12 " * 7 + '"""\n'
        f'[response]\nhow_to_accept = "{words.strip()}"\n',
    )
    generate_letters(out, city.path)
    for path in sorted((out / LETTERS_DIR).glob("A*.pdf")):
        pages = pdf_pages(path)
        closing = [page for page in pages if "Sincerely," in page or "Atentamente," in page]
        assert len(closing) == 1, path.name
        assert "Next steps" in closing[0] or NEXT_STEPS_ES in closing[0], (path.name, len(pages))
