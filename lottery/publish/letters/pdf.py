"""The PDF letter: fonts, and the page layout drawn directly with fpdf2.

No HTML is converted: :func:`layout_letter` places the texts of the letter's wording
(:func:`lottery.publish.letters.html.letter_texts`) on the page, so the PDF says what the
HTML letter says. fpdf2 spends most of its time on fonts, once per document, so the font
is cut down once per run to the characters the letters use (:func:`write_font_subsets`)
and letters are drawn in chunks, one document per chunk, later cut into one PDF per
applicant (:mod:`~lottery.publish.letters.pdf_files`: pages are copied, not redrawn).
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset as font_subset
from fpdf import FPDF
from fpdf.enums import TextMode

from lottery.publish.letters.html import Wording, letter_texts
from lottery.publish.letters.model import Letter
from lottery.publish.letters.scripts import (
    CJK_FONT,
    arabic_forms,
    is_arabic,
    is_cjk,
    shape_arabic,
    visual_order,
)

FONT_FAMILY = "DejaVu"
CJK_FAMILY = "NoteCJK"  # the Chinese translation note (scripts.CJK_FONT)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# Always in the font subset, whatever the letters hold: Latin letters with accents and
# the usual punctuation, so that an edited template can use them.
BASE_CHARACTERS = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0xA0, 0x250)]
    + list("‐–—‘’‚“”„•…‹›€№™·")
)
PAPER = {"letter": (215.9, 279.4), "a4": (210.0, 297.0)}


# ----------------------------------------------------------------------------- fonts


def font_folder() -> Path:
    """The DejaVu fonts that matplotlib ships (they cover every Latin-script language)."""
    import matplotlib  # here: the processes that draw letters get the fonts' paths

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def write_font_subsets(characters: set[str], folder: Path) -> tuple[dict[str, str], set[str]]:
    """Cut DejaVu Sans down to ``characters`` (plus the Latin alphabet) once per run.

    A small font makes each chunk's fpdf2 document fast to build. Returns the font file
    for each style and the characters DejaVu Sans cannot show.
    """
    characters = characters | arabic_forms(characters)  # how Arabic notes are drawn
    wanted = sorted(ord(c) for c in characters | BASE_CHARACTERS if c.isprintable())
    paths, missing = {}, set()
    options = font_subset.Options()
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "FFTM", "hdmx", "kern"]
    for style, name in FONT_FILES.items():
        font = font_subset.load_font(str(font_folder() / name), options)
        covered = set(font.getBestCmap())
        if style == "":
            missing = {chr(c) for c in wanted if c not in covered}
        subsetter = font_subset.Subsetter(options)
        subsetter.populate(unicodes=[c for c in wanted if c in covered])
        subsetter.subset(font)
        path = folder / f"subset-{style or 'R'}-{name}"
        font_subset.save_font(font, str(path), options)
        paths[style] = str(path)
    if CJK_FONT.is_file():
        # Drawn with their own font in the Chinese note; elsewhere they are still missing.
        cjk = font_subset.load_font(str(CJK_FONT), options)
        covered = set(cjk.getBestCmap())
        cjk.close()
        missing = {c for c in missing if ord(c) not in covered}
    return paths, missing


# ----------------------------------------------------------------------------- documents


def new_document(paper: str, fonts: dict[str, str]) -> FPDF:
    """An empty fpdf2 document on ``paper`` (``letter`` or ``a4``) with the font subsets."""
    pdf = LetterDocument(unit="mm", format=PAPER[paper])
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    for style, path in fonts.items():
        pdf.add_font(FONT_FAMILY, style, path)
    if CJK_FONT.is_file():
        pdf.add_font(CJK_FAMILY, "", str(CJK_FONT))
    return pdf


class _Codes(dict):
    """A font's code for each character, as ``str.translate`` takes them: asked of
    fpdf2's subset the first time (which adds the glyph to the document's font), in
    the order of the text, as fpdf2 itself does; ``None`` for a character with no glyph
    (left out, as fpdf2 does)."""

    def __init__(self, font):
        super().__init__()
        self.font = font

    def __missing__(self, character: int) -> str | None:
        code = self.font.subset.pick(character)
        self[character] = None if code is None else chr(code)
        return self[character]


class LetterDocument(FPDF):
    """fpdf2's document, drawing the letters' lines of text faster, with the same bytes.

    A letter is hundreds of short lines, many the same in every letter (headings, table
    headers, school names): :meth:`text` keeps each line's encoded text for the
    document, and encodes a new one a character code at a time from a table
    (:class:`_Codes`) instead of fpdf2's loop. What the letters never use (underline,
    strike-through, other text modes, core fonts) goes to fpdf2's own ``text``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._encoded: dict[tuple[int, str], str] = {}
        self._codes: dict[int, _Codes] = {}
        self._colors: dict[object, str] = {}

    def text(self, x: float, y: float, text: str = "") -> None:
        """Print ``text`` with its baseline starting at (``x``, ``y``), as ``FPDF.text``."""
        font = self.current_font
        if (
            font is None
            or not self.page
            or not self.is_ttf_font
            or font.is_symbol
            or self.text_mode != TextMode.FILL
            or self.underline
            or self.strikethrough
            or self._record_text_quad_points
        ):
            super().text(x, y, text)
            return
        if not self.current_font_is_set_on_page:
            self._out(self._set_font_for_page(font, self.font_size_pt))
        key = (font.i, text)
        encoded = self._encoded.get(key)
        if encoded is None:
            codes = self._codes.get(font.i)
            if codes is None:
                codes = self._codes[font.i] = _Codes(font)
            encoded = f"({font.escape_text(text.translate(codes))}) Tj"
            self._encoded[key] = encoded
        line = f"BT {x * self.k:.2f} {(self.h - y) * self.k:.2f} Td {encoded} ET"
        color = self.text_color
        if self.fill_color != color:
            operator = self._colors.get(color)
            if operator is None:
                operator = self._colors[color] = color.serialize().lower()
            line = f"q {operator} {line} Q"
        self._out(line)


# ----------------------------------------------------------------------------- layout

MARGIN = 18.0
FOOTER = 5.0  # space kept above the footer line
LINE = 0.43  # line height per point of font size, in mm
GRAY = (90, 90, 90)
RULE = (170, 170, 170)
SHADE = (235, 235, 235)
# Table columns as shares of the text width: rank, school, result, priority, rank, cutoff.
COLUMNS = (0.08, 0.26, 0.2, 0.15, 0.09, 0.22)


class _Page:
    """A cursor over the letter's pages: wraps and draws text, breaks pages."""

    def __init__(self, pdf: FPDF, unsupported: dict, widths: dict, lines: dict | None = None):
        # Words measured and texts wrapped once per process: names, schools and the
        # template's sentences repeat.
        self.pdf = pdf
        self.unsupported = unsupported
        self.widths = widths
        self.lines = lines if lines is not None else {}
        self.left = MARGIN
        self.width = pdf.w - 2 * MARGIN
        self.bottom = pdf.h - MARGIN - FOOTER
        self.style = ("", 10.0)
        self.family = FONT_FAMILY

    def new_page(self) -> None:
        self.pdf.add_page()
        self.y = MARGIN

    def font(self, style: str, size: float, family: str = FONT_FAMILY) -> None:
        if (family, style, size) != (self.family, *self.style):
            self.pdf.set_font(family, style, size)
            self.style = (style, size)
            self.family = family

    def width_of(self, text: str) -> float:
        key = (self.family, self.style, text)
        width = self.widths.get(key)
        if width is None:
            width = self.pdf.get_string_width(text)
            if len(self.widths) < 200_000:
                self.widths[key] = width
        return width

    def wrap(self, text: str, width: float) -> tuple[str, ...]:
        """Greedy word wrap; a word wider than the line starts a new line and is cut where
        it must be."""
        text = text.translate(self.unsupported)
        key = (self.family, self.style, width, text)
        wrapped = self.lines.get(key)
        if wrapped is None:
            wrapped = tuple(self._wrap(text, width))
            if len(self.lines) < 100_000:
                self.lines[key] = wrapped
        return wrapped

    def _wrap(self, text: str, width: float) -> list[str]:
        lines, line, used = [], [], 0.0
        space = self.width_of(" ")
        for word in text.split():
            w = self.width_of(word)
            if w > width:
                if line:
                    lines.append(" ".join(line))
                    line, used = [], 0.0
                cut = self.fitting_length(word, width)
                while cut < len(word):
                    lines.append(word[:cut])
                    word = word[cut:]
                    cut = self.fitting_length(word, width)
                w = self.width_of(word)
            if line and used + space + w > width:
                lines.append(" ".join(line))
                line, used = [], 0.0
            used = w if not line else used + space + w
            line.append(word)
        if line:
            lines.append(" ".join(line))
        return lines

    def fitting_length(self, word: str, width: float) -> int:
        """How many characters of ``word`` fit in ``width`` (at least one, so that a cut
        word always moves on).

        Found by doubling, then halving, the length tried: a few measurements of short
        starts of the word. (Trying one character less at a time measured the whole
        word once per character: minutes for a word of 10,000 characters.)
        """

        def fits(length: int) -> bool:
            return self.width_of(word[:length]) <= width

        fitting, too_long = 0, len(word) + 1
        length = 1
        while length < len(word):
            if not fits(length):
                too_long = length
                break
            fitting, length = length, 2 * length
        else:
            if fits(len(word)):
                return len(word)
            too_long = len(word)
        while too_long - fitting > 1:
            middle = (fitting + too_long) // 2
            if fits(middle):
                fitting = middle
            else:
                too_long = middle
        return max(fitting, 1)

    def paragraph(
        self,
        text: str,
        size: float = 9.5,
        style: str = "",
        before: float = 0.0,
        after: float = 2.5,
        color: tuple[int, int, int] | None = None,
        shade: bool = False,
    ) -> None:
        if not text:
            return
        self.font(style, size)
        height = size * LINE
        pad = 2.0 if shade else 0.0
        lines = self.wrap(text, self.width - 2 * pad)
        self.y += before
        if len(lines) <= 5:  # a short paragraph is not split across pages
            self.keep(len(lines) * height + 2 * pad)
        if shade:
            self.keep(len(lines) * height + 2 * pad)
            self.pdf.set_fill_color(*SHADE)
            self.pdf.rect(self.left, self.y, self.width, len(lines) * height + 2 * pad, "F")
            self.y += pad
        if color:
            self.pdf.set_text_color(*color)
        for line in lines:
            self.keep(height)
            self.pdf.text(self.left + pad, self.y + size * 0.353, line)
            self.y += height
        if color:
            self.pdf.set_text_color(0, 0, 0)
        self.y += after + pad

    def note(self, text: str, size: float = 9.0, after: float = 1.5) -> None:
        """A note in the family's language: Chinese in the CJK font, Arabic shaped and
        right to left; other scripts as any paragraph. Without the CJK font the
        Chinese note is left out (the English note follows; the HTML letter has it)."""
        if not text:
            return
        if is_cjk(text):
            if not CJK_FONT.is_file():
                return
            self.font("", size, CJK_FAMILY)
            lines = self.wrap_unchanged(text, self.width)
            self.draw_lines(lines, size, after, right_to_left=False)
            self.font("", size)
        elif is_arabic(text):
            self.font("", size)
            lines = [visual_order(line) for line in self.wrap(shape_arabic(text), self.width)]
            self.draw_lines(lines, size, after, right_to_left=True)
        else:
            self.paragraph(text, size=size, after=after)

    def wrap_unchanged(self, text: str, width: float) -> list[str]:
        """Wrap without replacing the characters DejaVu lacks (the CJK font has them)."""
        unsupported, self.unsupported = self.unsupported, {}
        try:
            return self.wrap(text, width)
        finally:
            self.unsupported = unsupported

    def draw_lines(self, lines: list[str], size: float, after: float, right_to_left: bool):
        height = size * LINE
        self.keep(len(lines) * height)
        for line in lines:
            x = self.left + (self.width - self.width_of(line) if right_to_left else 0.0)
            self.pdf.text(x, self.y + size * 0.353, line)
            self.y += height
        self.y += after

    def height_of(self, text: str, size: float = 9.5, style: str = "") -> float:
        """The height a paragraph will take (without the space after it)."""
        self.font(style, size)
        return len(self.wrap(text, self.width)) * size * LINE

    def keep(self, height: float) -> bool:
        """Start a new page unless ``height`` fits; True if it did."""
        if self.y + height > self.bottom:
            self.new_page()
            return True
        return False

    def rule(self, color=RULE) -> None:
        self.pdf.set_draw_color(*color)
        self.pdf.line(self.left, self.y, self.left + self.width, self.y)

    def table(self, header: list[str], rows: list[list[str]], size: float = 8.5) -> None:
        widths = [share * self.width for share in COLUMNS]
        height = size * LINE
        pad = 1.0

        def cells(texts: list[str]) -> list[list[str]]:
            return [self.wrap(t, w - 2 * pad) for t, w in zip(texts, widths, strict=True)]

        def draw(wrapped: list[list[str]], style: str) -> None:
            self.font(style, size)
            rows_high = max(len(c) for c in wrapped) * height + 2 * pad
            if style == "B":
                self.pdf.set_fill_color(*SHADE)
                self.pdf.rect(self.left, self.y, self.width, rows_high, "F")
            x = self.left
            for lines, w in zip(wrapped, widths, strict=True):
                for k, line in enumerate(lines):
                    self.pdf.text(x + pad, self.y + pad + k * height + size * 0.353, line)
                x += w
            self.y += rows_high
            self.rule()

        self.font("B", size)
        head = cells(header)
        head_high = max(len(c) for c in head) * height + 2 * pad
        for row in rows:
            self.font("", size)
            body = cells(row)
            high = max(len(c) for c in body) * height + 2 * pad
            if self.keep(head_high + high) or row is rows[0]:
                draw(head, "B")
            draw(body, "")
        self.y += 2.0


def layout_letter(
    pdf: FPDF,
    t: Wording,
    letter: Letter,
    fallback: bool,
    unsupported: dict | None = None,
    widths: dict | None = None,
    lines: dict | None = None,
) -> None:
    """Lay one letter out on new pages of ``pdf``, from its wording ``t``.

    ``unsupported`` translates the characters the font lacks to ``?``; ``widths`` keeps
    the widths of words measured and ``lines`` the texts wrapped, for the next letters
    (drawn with the same ``unsupported``).
    """
    texts = letter_texts(t, letter, fallback)
    page = _Page(pdf, unsupported or {}, widths if widths is not None else {}, lines)
    page.new_page()
    first = pdf.page
    page.paragraph(texts["office_name"], size=13, style="B", after=1.0)
    page.paragraph(texts["contact_line"], size=8, color=GRAY, after=1.5)
    page.rule(GRAY)
    # The address sits where the window of a #10 or DL envelope shows it.
    page.y = max(page.y + 6.0, 40.0)
    page.paragraph(letter.guardian_name, after=0.3)
    page.paragraph(letter.address, after=0.3)
    page.y = max(page.y + 6.0, 56.0)
    if fallback:
        page.note(texts.get("native_note", ""))
        page.paragraph(texts["translation_note"], size=9, style="B", after=2.5)
    page.paragraph(texts["subject"], size=12, style="B", after=3.0)
    page.paragraph(texts["greeting"], after=2.0)
    page.paragraph(texts["intro"], after=2.5)
    page.paragraph(texts["outcome"], size=10.5, style="B", after=3.5, shade=True)
    if letter.choices:
        page.keep(30.0)
        page.paragraph(texts["heading_choices"], size=11, style="B", after=1.0)
        page.table(texts["header"], texts["rows"])
        page.paragraph(texts["choices_explained"], size=8, color=GRAY, after=2.0)
    questions = texts["questions"]
    closing = (
        page.height_of(questions)
        + 3.0
        + page.height_of(texts["closing"])
        + 1.0
        + page.height_of(texts["office_name"])
    )
    for heading, paragraphs in (
        ("heading_lottery", [("lottery", 9.5, None), ("lottery_check", 8.0, GRAY)]),
        ("heading_next", [("next_steps", 9.5, None), ("waitlist_note", 9.5, None)]),
    ):
        if not texts[paragraphs[0][0]]:  # a part the letter leaves out (a withdrawal's lottery)
            continue
        shown = [(name, size, color) for name, size, color in paragraphs if texts[name]]
        section = 11 * LINE + 2.0 + sum(page.height_of(texts[n], z) + 2.0 for n, z, _ in shown)
        if heading == "heading_next" and section + closing <= page.bottom - MARGIN:
            # The next steps and the sign-off start a page together rather than leave
            # the sign-off alone on the next one.
            page.keep(section + closing)
        page.keep(20.0)
        page.paragraph(texts[heading], size=11, style="B", before=1.0, after=1.0)
        for name, size, color in shown:
            if heading == "heading_next" and name == shown[-1][0]:
                # At the least, the last paragraph goes with the sign-off.
                page.keep(page.height_of(texts[name], size) + 2.0 + closing)
            page.paragraph(texts[name], size=size, color=color, after=2.0)
    # "Questions?", the closing and the office's name stay together.
    page.keep(closing)
    page.paragraph(questions, after=3.0)
    page.paragraph(texts["closing"], after=1.0)
    page.paragraph(texts["office_name"])
    last = pdf.page
    page.font("", 7.5)
    pdf.set_text_color(*GRAY)
    for number in range(first, last + 1):
        pdf.page = number
        pdf.text(MARGIN, pdf.h - MARGIN + 3.0, t("page", number - first + 1, last - first + 1))
    pdf.page = last
    pdf.set_text_color(0, 0, 0)
