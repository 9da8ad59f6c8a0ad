"""The PDF machinery under the letters: the faster text drawing and the page copying.

Both exist for speed only, so both are held to what they replace: the document draws
the bytes fpdf2's own ``text`` draws, and a letter's PDF file shows its chunk's pages,
with the same content streams and fonts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from lottery.publish.letters.pdf import (
    CJK_FAMILY,
    FONT_FAMILY,
    FONT_FILES,
    LetterDocument,
    font_folder,
    new_document,
)
from lottery.publish.letters.pdf_files import ChunkPdf, PdfFile, write_pdf
from lottery.publish.letters.scripts import CJK_FONT

LINES = [
    "Dear Maria López,",
    "Escuela (Norte) \\ 100% — “quoted” ‘text’ … €",
    "Dear Maria López,",  # the same line again: drawn from what was kept
    "Ünïcødé ñ ç ß ø å æ œ",
    "",
    "A glyph the font lacks: \u0e01 and one it has: é",
]


def draw(pdf: FPDF) -> bytes:
    """Draw the same lines on two pages, in both fonts, in two colours."""
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    for path, style in (
        (font_folder() / FONT_FILES[""], ""),
        (font_folder() / FONT_FILES["B"], "B"),
    ):
        pdf.add_font(FONT_FAMILY, style, str(path))
    for page in range(2):
        pdf.add_page()
        for k, line in enumerate(LINES):
            pdf.set_font(FONT_FAMILY, "B" if k % 2 else "", 9.5 + page)
            if k == 3:
                pdf.set_text_color(90, 90, 90)
            pdf.text(18.0, 20.0 + 6 * k, line)
            pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT_FAMILY, "", 9)
    pdf.set_stretching(90)  # not the letters' own drawing: fpdf2 draws it
    pdf.cell(text="stretched (cell)")
    pdf.text(18.0, 200.0, "after a cell")
    return bytes(pdf.output())


def test_the_letter_document_draws_the_bytes_fpdf2_draws():
    assert draw(LetterDocument(unit="mm")) == draw(FPDF(unit="mm"))


def test_underlined_text_is_left_to_fpdf2():
    def underlined(pdf: FPDF) -> bytes:
        pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
        pdf.add_font(FONT_FAMILY, "", str(font_folder() / FONT_FILES[""]))
        pdf.add_page()
        pdf.set_font(FONT_FAMILY, "U", 10)
        pdf.text(10, 10, "underlined")
        return bytes(pdf.output())

    assert underlined(LetterDocument(unit="mm")) == underlined(FPDF(unit="mm"))


def chunk_of_letters(pages_per_letter: list[int]) -> ChunkPdf:
    """A chunk like the workers draw: letters of a few pages, each page naming itself;
    only some letters use the bold font, one the CJK font."""
    pdf = new_document("letter", {"": str(font_folder() / FONT_FILES[""])})
    pdf.add_font(FONT_FAMILY, "B", str(font_folder() / FONT_FILES["B"]))
    for letter, count in enumerate(pages_per_letter):
        for page in range(count):
            pdf.add_page()
            pdf.set_font(FONT_FAMILY, "", 10)
            pdf.text(20, 20, f"letter {letter} page {page + 1} (of {count})")
            if letter % 2:
                pdf.set_font(FONT_FAMILY, "B", 10)
                pdf.text(20, 30, f"bold in letter {letter}")
            if letter == 2 and CJK_FONT.is_file():
                pdf.set_font(CJK_FAMILY, "", 10)
                pdf.text(20, 40, "中文")
    return ChunkPdf(bytes(pdf.output()))


def page_texts(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages]


def fonts_of(data: bytes) -> set[str]:
    reader = PdfReader(BytesIO(data))
    return {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


def test_a_letter_file_has_its_pages_and_only_the_fonts_they_use(tmp_path):
    counts = [1, 2, 3, 1]
    chunk = chunk_of_letters(counts)
    source = PdfReader(BytesIO(chunk.data))
    start = 0
    for letter, count in enumerate(counts):
        path = tmp_path / f"L{letter}.pdf"
        write_pdf(path, chunk, range(start, start + count))
        data = path.read_bytes()
        reader = PdfReader(path, strict=True)
        assert len(reader.pages) == count
        assert page_texts(data) == [
            " ".join(p.extract_text().split()) for p in source.pages[start : start + count]
        ]
        for page, original in zip(reader.pages, source.pages[start : start + count], strict=True):
            assert page.get_contents().get_data() == original.get_contents().get_data()
            assert page.mediabox == original.mediabox
        used = {"MPDFAA+DejaVuSansBook"} | ({"MPDFAA+DejaVuSansBold"} if letter % 2 else set())
        if letter == 2 and CJK_FONT.is_file():
            used.add("MPDFAA+LotteryNoteCJK")
        assert {name.lstrip("/") for name in fonts_of(data)} == used
        start += count


def test_the_merged_file_has_every_page_of_every_chunk_in_order(tmp_path):
    chunks = [chunk_of_letters([1, 2]), chunk_of_letters([3]), chunk_of_letters([1, 1, 1])]
    path = tmp_path / "merged.pdf"
    with open(path, "wb") as handle:
        merged = PdfFile(handle)
        for chunk in chunks:
            merged.add_pages(chunk, range(len(chunk.pages)))
        merged.close()
    reader = PdfReader(path, strict=True)
    assert len(reader.pages) == 1 + 2 + 3 + 3
    assert page_texts(path.read_bytes()) == [
        text for chunk in chunks for text in page_texts(chunk.data)
    ]


def test_a_document_not_written_by_fpdf2_is_refused():
    with pytest.raises(ValueError):
        ChunkPdf(b"%PDF-1.4\n%%EOF\n")
