"""Turning letters into HTML and PDF: the templates, the fonts and the page layout.

One source of wording per language: the Jinja2 template ``<language>.html``. Its first
part defines every sentence as a ``set`` value or a macro; its second part is the HTML
letter. :class:`Wording` reads the same values and macros for the PDF, which
:func:`layout_letter` places on the page directly with fpdf2 (no HTML conversion), so the
PDF and the HTML always say the same thing.

Speed: fpdf2 spends most of its time on fonts, once per document. So letters are laid
out in chunks, each chunk one fpdf2 document in mailing order, and each chunk is then
cut into one PDF per applicant with pypdf (pages are copied, not redrawn). The merged
PDF is the chunks put end to end. Chunks are independent, so several processes can
render them (:func:`render_chunk`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import jinja2
import matplotlib
from fontTools import subset as font_subset
from fpdf import FPDF
from markupsafe import Markup
from pypdf import PdfReader, PdfWriter

from lottery.errors import InputError, Problem
from lottery.io.outputs import ADMINISTRATIVE, GUARANTEED
from lottery.publish.letters.config import LettersConfig
from lottery.publish.letters.model import Letter

SHIPPED_TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_LANGUAGE = "en"
TEMPLATE_NAME = re.compile(r"([a-z]{2,3}(?:-[a-z0-9]{2,8})*)\.html")
FONT_FAMILY = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# Always in the font subset, whatever the letters hold: Latin letters with accents and
# the usual punctuation, so that an edited template can use them.
BASE_CHARACTERS = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0xA0, 0x250)]
    + list("‐–—‘’‚“”„•…‹›€№™·")
)
PAPER = {"letter": (215.9, 279.4), "a4": (210.0, 297.0)}
CHOICE_COLUMNS = (
    "column_rank",
    "column_school",
    "column_result",
    "column_priority",
    "column_lottery_rank",
    "column_cutoff",
)
"""The headings of the table of choices, in the order its columns are drawn."""
WORDING = (
    "title",
    "heading_choices",
    "heading_lottery",
    "heading_next",
    *CHOICE_COLUMNS,
    "office_name",
    "contact_line",
    "translation_note",
    "subject",
    "greeting",
    "intro",
    "outcome",
    "school",
    "result",
    "priority",
    "lottery_rank",
    "cutoff",
    "choices_explained",
    "lottery",
    "lottery_check",
    "next_steps",
    "waitlist_note",
    "questions",
    "closing",
    "page",
)
"""Every value and macro a template must define: the PDF is laid out from these."""
WORDED_STATUSES = (GUARANTEED, ADMINISTRATIVE)
"""Statuses whose letters must name the school offered in their outcome (see
:func:`status_problem`)."""


# ----------------------------------------------------------------------------- templates


class TemplateNotReadable(jinja2.TemplateError):
    """A template file that cannot be read as text (not UTF-8, or not readable at all)."""

    def __init__(self, filename: str, message: str):
        super().__init__(message)
        self.filename = filename
        self.lineno = None


class _TextLoader(jinja2.FileSystemLoader):
    """Templates as UTF-8 text (a byte-order mark is allowed); anything else is a
    :class:`TemplateNotReadable`, so that the person who saved it learns how to fix it."""

    def __init__(self, folder: Path):
        super().__init__(str(folder), encoding="utf-8-sig")

    def get_source(self, environment, template):
        try:
            return super().get_source(environment, template)
        except jinja2.TemplateNotFound:
            raise  # an OSError too, but the next folder may have it
        except UnicodeDecodeError as error:
            message = f"the file is not UTF-8 text (byte {error.start + 1}); save it as UTF-8"
            raise TemplateNotReadable(template, message) from None
        except OSError as error:
            message = f"the file cannot be read ({error.strerror or error})"
            raise TemplateNotReadable(template, message) from None


def make_environment(templates_dir: Path | None) -> jinja2.Environment:
    """Templates from ``templates_dir`` first, then the shipped ones."""
    loaders = [_TextLoader(SHIPPED_TEMPLATES)]
    if templates_dir is not None:
        loaders.insert(0, _TextLoader(Path(templates_dir)))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.do"],
        keep_trailing_newline=True,
    )


def template_languages(environment: jinja2.Environment) -> set[str]:
    """The languages that have a template (``en`` always does)."""
    return {
        found.group(1)
        for name in environment.list_templates()
        if (found := TEMPLATE_NAME.fullmatch(name))
    }


def pick_language(requested: str, available: set[str]) -> tuple[str, bool]:
    """The template language for a family, and whether it is the English fallback.

    ``pt-br`` uses ``pt-br.html`` if there is one, else ``pt.html``.
    """
    if requested in available:
        return requested, False
    base = requested.split("-")[0]
    if base in available:
        return base, False
    return DEFAULT_LANGUAGE, True


class Wording:
    """The sentences of one rendered template, as plain text for the PDF."""

    def __init__(self, module, template_file: str):
        self._module = module
        self._file = template_file

    @property
    def file(self) -> str:
        """The template file the wording comes from (``en.html``, ...)."""
        return self._file

    def __call__(self, name: str, *args) -> str:
        try:
            value = getattr(self._module, name)
        except AttributeError:
            raise InputError(
                [
                    Problem(
                        self._file,
                        None,
                        None,
                        f'"{name}" is missing: a letter template must keep every value and '
                        "macro of the shipped one (the PDF is laid out from them)",
                    )
                ]
            ) from None
        if callable(value):
            value = value(*args)
        text = value.unescape() if isinstance(value, Markup) else str(value)
        return " ".join(text.split())


def template_problem(error: Exception, fallback_file: str, letter: Letter | None = None) -> Problem:
    """An error raised by a template, as ``file:line: message``.

    Syntax errors know their file and line; errors while rendering (an undefined name,
    a division by zero) are placed at the innermost template line of their traceback,
    and a template that calls itself without end at the lines that repeat. ``letter``
    names the letter being written.
    """
    if isinstance(error, TemplateNotReadable):
        return Problem(Path(error.filename).name, None, None, str(error))
    file = getattr(error, "filename", None) or fallback_file
    line = getattr(error, "lineno", None)
    places = _template_places(error.__traceback__)
    counts = Counter(places)
    repeated = max(counts.values(), default=0)
    if isinstance(error, RecursionError) and repeated > 1:
        cycle = sorted(place for place, count in counts.items() if count == repeated)
        file, line = cycle[0]
        message = (
            "the template calls itself without end (a template that includes or extends "
            "itself, or a macro that calls itself)"
        )
        if len(cycle) > 1:
            message += ", going round " + " and ".join(
                f"{Path(name).name} line {number}" for name, number in cycle
            )
    elif isinstance(error, RecursionError):  # Jinja reads blocks within blocks recursively
        if places:
            file, line = places[-1]
        message = "the template has blocks nested too deeply (hundreds of levels) to be read"
    else:
        if line is None and places:
            file, line = places[-1]
        if isinstance(error, jinja2.TemplateNotFound):
            message = f'there is no template "{error.name}"'
        elif isinstance(error, jinja2.TemplateError):
            message = str(error.message or error)
        else:
            message = str(error) or type(error).__name__
    if letter is not None:
        message += f" (in the letter of {letter.applicant_id})"
    return Problem(Path(file).name, line, None, f"template error: {message}")


def _template_places(trace) -> list[tuple[str, int]]:
    """The template file and line of each template frame of a traceback, outermost first."""
    places = []
    while trace is not None:
        names = trace.tb_frame.f_globals
        template = names.get("__jinja_template__")
        if template is not None and template.filename:
            places.append((template.filename, template.get_corresponding_lineno(trace.tb_lineno)))
        elif "__jinja_exception__" in names:  # a frame Jinja has already rewritten
            places.append((trace.tb_frame.f_code.co_filename, trace.tb_lineno))
        trace = trace.tb_next
    return places


# ----------------------------------------------------------------------------- fonts


def font_folder() -> Path:
    """The DejaVu fonts that matplotlib ships (they cover every Latin-script language)."""
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def write_font_subsets(characters: set[str], folder: Path) -> tuple[dict[str, str], set[str]]:
    """Cut DejaVu Sans down to ``characters`` (plus the Latin alphabet) once per run.

    A small font makes each chunk's fpdf2 document fast to build. Returns the font file
    for each style and the characters DejaVu Sans cannot show.
    """
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
    return paths, missing


# ----------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class RenderSettings:
    """What every chunk needs, picklable for worker processes."""

    templates_dir: str | None
    fonts: dict[str, str]
    missing_characters: frozenset[str]
    config: LettersConfig
    letters_dir: str


@dataclass(frozen=True)
class ChunkResult:
    """A rendered chunk: its PDF (the letters in order) and each letter's page count."""

    index: int
    pdf: bytes
    pages: tuple[int, ...]
    problem: tuple[str, int | None, str] | None = None


_worker: dict = {}


def init_worker(settings: RenderSettings) -> None:
    """Load the templates once per process."""
    environment = make_environment(Path(settings.templates_dir) if settings.templates_dir else None)
    _worker.clear()
    _worker.update(
        settings=settings,
        environment=environment,
        languages=template_languages(environment),
        templates={},
        widths={},
        unsupported=str.maketrans({c: "?" for c in settings.missing_characters}),
    )


def render_chunk(job: tuple[int, list[Letter]]) -> ChunkResult:
    """Write the HTML and PDF of each letter in the chunk; return the chunk's PDF."""
    index, letters = job
    settings: RenderSettings = _worker["settings"]
    folder = Path(settings.letters_dir)
    pdf = new_document(settings)
    pages = []
    for letter in letters:
        try:
            wording, html, fallback = render_template(letter)
            problem = status_problem(letter, wording)
            if problem is not None:
                return ChunkResult(index, b"", (), (problem.file, problem.line, problem.message))
            first = pdf.pages_count
            layout_letter(pdf, wording, letter, fallback, _worker["unsupported"])
        except InputError as error:
            problem = error.problems[0]
            return ChunkResult(index, b"", (), (problem.file, problem.line, problem.message))
        except Exception as error:  # whatever an edited template raises
            # The problem goes back as plain data: an exception from a worker process
            # would arrive as a traceback, and Jinja's errors do not all pickle.
            problem = template_problem(error, f"{letter.language}.html", letter)
            return ChunkResult(index, b"", (), (problem.file, problem.line, problem.message))
        (folder / f"{letter.applicant_id}.html").write_text(html, encoding="utf-8")
        pages.append(pdf.pages_count - first)
    data = bytes(pdf.output())
    split_pdf(data, [letter.applicant_id for letter in letters], pages, folder)
    return ChunkResult(index, data, tuple(pages))


def render_template(letter: Letter) -> tuple[Wording, str, bool]:
    """Render one letter's template: its wording for the PDF, its HTML, and whether the
    family's language had no template (English is used)."""
    settings: RenderSettings = _worker["settings"]
    return render_with(
        _worker["environment"], _worker["languages"], _worker["templates"], settings.config, letter
    )


def render_with(
    environment: jinja2.Environment,
    languages: set[str],
    templates: dict,
    config: LettersConfig,
    letter: Letter,
) -> tuple[Wording, str, bool]:
    """:func:`render_template` with the environment, languages, cache of loaded templates
    and configuration given rather than those of the worker process."""
    language, fallback = pick_language(letter.language, languages)
    template = templates.get(language)
    if template is None:
        template = environment.get_template(f"{language}.html")
        templates[language] = template
    module = template.make_module(
        {
            "letter": letter,
            "office": config.office,
            "deadline": config.response.deadline,
            "how_to_accept": config.how_to_accept(language),
            "fallback": fallback,
        }
    )
    return Wording(module, f"{language}.html"), str(module), fallback


def status_problem(letter: Letter, wording: Wording) -> Problem | None:
    """A template that does not word the letter's status, or ``None``.

    A template written before the ``guaranteed`` and ``administrative`` statuses existed
    would tell those families that no seat could be offered: their letter's outcome must
    name the school they have a seat at.
    """
    if letter.status not in WORDED_STATUSES or letter.offer is None:
        return None
    school = " ".join(letter.offer.school_name.split())
    if school in wording("outcome"):
        return None
    return Problem(
        wording.file,
        None,
        None,
        f'the outcome of the letter of {letter.applicant_id} (status "{letter.status}") does '
        f"not name {school}, the school where {letter.applicant_id} has a seat: the template "
        "does not word this status; copy the outcome macro of the shipped template",
    )


def new_document(settings: RenderSettings) -> FPDF:
    pdf = FPDF(unit="mm", format=PAPER[settings.config.paper])
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    for style, path in settings.fonts.items():
        pdf.add_font(FONT_FAMILY, style, path)
    return pdf


def split_pdf(data: bytes, names: list[str], pages: list[int], folder: Path) -> None:
    """Cut a chunk's PDF into ``<name>.pdf`` files of ``pages`` pages each, in order."""
    reader = PdfReader(BytesIO(data))
    start = 0
    for name, count in zip(names, pages, strict=True):
        writer = PdfWriter()
        for number in range(start, start + count):
            writer.add_page(reader.pages[number])
        with open(folder / f"{name}.pdf", "wb") as handle:
            writer.write(handle)
        start += count


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

    def __init__(self, pdf: FPDF, unsupported: dict, widths: dict):
        # Words measured once per process: names, schools and the template's words repeat.
        self.pdf = pdf
        self.unsupported = unsupported
        self.widths = widths
        self.left = MARGIN
        self.width = pdf.w - 2 * MARGIN
        self.bottom = pdf.h - MARGIN - FOOTER
        self.style = ("", 10.0)

    def new_page(self) -> None:
        self.pdf.add_page()
        self.y = MARGIN

    def font(self, style: str, size: float) -> None:
        if (style, size) != self.style:
            self.pdf.set_font(FONT_FAMILY, style, size)
            self.style = (style, size)

    def width_of(self, text: str) -> float:
        key = (self.style, text)
        width = self.widths.get(key)
        if width is None:
            width = self.pdf.get_string_width(text)
            if len(self.widths) < 200_000:
                self.widths[key] = width
        return width

    def wrap(self, text: str, width: float) -> list[str]:
        """Greedy word wrap; a word wider than the line starts a new line and is cut where
        it must be."""
        text = text.translate(self.unsupported)
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


def letter_texts(t: Wording, letter: Letter, fallback: bool) -> dict:
    """Every text of the PDF letter but its page footers, from its wording ``t``.

    Worded before anything is drawn, so that :func:`check_letter` runs the very same
    wording as the layout.
    """
    texts = {
        name: t(name)
        for name in (
            "office_name",
            "contact_line",
            "subject",
            "greeting",
            "intro",
            "outcome",
            "heading_lottery",
            "lottery",
            "lottery_check",
            "heading_next",
            "next_steps",
            "waitlist_note",
            "questions",
            "closing",
        )
    }
    if fallback:
        texts["translation_note"] = t("translation_note")
    if letter.choices:
        texts["heading_choices"] = t("heading_choices")
        texts["header"] = [t(name) for name in CHOICE_COLUMNS]
        texts["rows"] = [
            [
                str(c.rank),
                t("school", c),
                t("result", c),
                t("priority", c.priority),
                t("lottery_rank", c),
                t("cutoff", c),
            ]
            for c in letter.choices
        ]
        texts["choices_explained"] = t("choices_explained")
    return texts


def check_letter(
    environment: jinja2.Environment,
    languages: set[str],
    templates: dict,
    config: LettersConfig,
    letter: Letter,
) -> Problem | None:
    """Word ``letter`` as :func:`render_chunk` would, without drawing it: the problem
    its template has, or ``None``. Run on a few letters before any file is written."""
    try:
        wording, _, fallback = render_with(environment, languages, templates, config, letter)
        problem = status_problem(letter, wording)
        if problem is None:
            letter_texts(wording, letter, fallback)
            wording("page", 1, 1)
        return problem
    except InputError as error:
        return error.problems[0]
    except Exception as error:  # whatever an edited template raises
        return template_problem(error, f"{letter.language}.html", letter)


def layout_letter(
    pdf: FPDF,
    t: Wording,
    letter: Letter,
    fallback: bool,
    unsupported: dict | None = None,
) -> None:
    """Lay one letter out on new pages of ``pdf``, from its wording ``t``."""
    texts = letter_texts(t, letter, fallback)
    page = _Page(pdf, unsupported or {}, _worker.setdefault("widths", {}))
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
    for heading, paragraphs in (
        ("heading_lottery", [("lottery", 9.5, None), ("lottery_check", 8.0, GRAY)]),
        ("heading_next", [("next_steps", 9.5, None), ("waitlist_note", 9.5, None)]),
    ):
        page.keep(20.0)
        page.paragraph(texts[heading], size=11, style="B", before=1.0, after=1.0)
        for name, size, color in paragraphs:
            page.paragraph(texts[name], size=size, color=color, after=2.0)
    # "Questions?", the closing and the office's name stay together.
    questions = texts["questions"]
    page.keep(page.height_of(questions) + 3.0 + 2 * 9.5 * LINE + 1.0)
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
