"""Wording one letter with its template: the HTML letter, and the texts the PDF is
laid out from.

A letter's template (see :mod:`lottery.publish.letters.templates`) defines every
sentence as a value or a macro; rendered as a module for one letter, its output is the
HTML letter and its values and macros, read through :class:`Wording`, are the PDF's
texts, so the PDF and the HTML always say the same thing.
"""

from __future__ import annotations

from datetime import date

import jinja2
from markupsafe import Markup

from lottery.errors import InputError, Problem
from lottery.io.outputs import ADMINISTRATIVE, GUARANTEED
from lottery.publish.letters.config import LettersConfig
from lottery.publish.letters.model import Letter
from lottery.publish.letters.templates import pick_language, template_problem
from lottery.publish.letters.wording import CHOICE_COLUMNS

WORDED_STATUSES = (GUARANTEED, ADMINISTRATIVE)
"""Statuses whose letters must name the school offered in their outcome (see
:func:`status_problem`)."""
PDF_TEXTS = (
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
"""The texts every PDF letter has (besides its table of choices and page footers)."""


class Wording:
    """The sentences of one rendered template, as plain text for the PDF."""

    def __init__(self, module, wording_file: str):
        self._module = module
        self._file = wording_file

    @property
    def file(self) -> str:
        """The file the wording comes from (``en.toml``, or a whole letter ``en.html``)."""
        return self._file

    def defines(self, name: str) -> bool:
        """Whether the wording has the value or macro ``name``."""
        return hasattr(self._module, name)

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


def deadline(config: LettersConfig, letter: Letter) -> date | None:
    """The date by which the family must accept the seat the letter offers.

    Round 1: ``deadline`` of letters.toml. A later round: for a new offer, its
    ``respond_by`` in offers.csv when that is a date written like 2026-06-30 (other text
    is shown as written, ``letter.round.respond_by``), or letters.toml's ``deadline``
    when it is blank; a seat held since an earlier round has no new deadline.
    """
    event = letter.round
    if event is None:
        return config.response.deadline
    if not event.offered:
        return None
    if not event.respond_by.strip():
        return config.response.deadline
    try:
        return date.fromisoformat(event.respond_by.strip())
    except ValueError:
        return None


def render_with(
    environment: jinja2.Environment,
    languages: set[str],
    templates: dict,
    config: LettersConfig,
    letter: Letter,
) -> tuple[Wording, str, bool]:
    """Render one letter's template: its wording for the PDF, its HTML, and whether the
    family's language had no template (English is used). ``templates`` caches the
    templates loaded, by language."""
    language, fallback = pick_language(letter.language, languages)
    template = templates.get(language)
    if template is None:
        template = environment.get_template(f"{language}.html")
        templates[language] = template
    module = template.make_module(
        {
            "letter": letter,
            "office": config.office_in(language),
            "deadline": deadline(config, letter),
            "how_to_accept": config.how_to_accept(language),
            "fallback": fallback,
        }
    )
    wording = Wording(module, environment.loader.wording_file(template.filename))
    return wording, str(module), fallback


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


def letter_texts(t: Wording, letter: Letter, fallback: bool) -> dict:
    """Every text of the PDF letter but its page footers, from its wording ``t``.

    Worded before anything is drawn, so that :func:`check_letter` runs the very same
    wording as the layout.
    """
    texts = {name: t(name) for name in PDF_TEXTS}
    if fallback:
        texts["translation_note"] = t("translation_note")
        # Wording written before the notes in other languages has no native_note.
        texts["native_note"] = t("native_note") if t.defines("native_note") else ""
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
    """Word ``letter`` as the renderer would, without drawing it: the problem its
    template has, or ``None``. Run on a few letters before any file is written."""
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
        return template_problem(error, f"{letter.language}.html", letter, environment.loader)
