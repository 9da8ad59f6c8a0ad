"""Placement letters: one per applicant, in their language, as PDF and HTML.

:func:`generate_letters` is what ``lottery letters`` runs:

1. Read the results folder (checked against its manifest) and the run's input folder
   (checked against the checksums the manifest records), see
   :func:`lottery.io.results_folder.read_results_folder`.
2. Build one :class:`~lottery.publish.letters.model.Letter` per applicant, in mailing order
   (zone, then address, then applicant ID).
3. Check the templates (:mod:`~lottery.publish.letters.preflight`): each language's
   wording file and the layout, joined into one template
   (:mod:`~lottery.publish.letters.templates`, :mod:`~lottery.publish.letters.wording`).
4. Render each letter from its language's template (English, with a note that
   translations are available, when there is none) to ``letters/<applicant_id>.html``
   (:mod:`~lottery.publish.letters.html`), and lay the same wording out as
   ``letters/<applicant_id>.pdf`` (:mod:`~lottery.publish.letters.pdf`), in parallel
   chunks (:mod:`~lottery.publish.letters.workers`).
5. Join every PDF, in mailing order, into ``letters/all-letters.pdf`` for printing.

``letters/`` is written into a hidden folder first and moved into place when complete,
replacing the letters of an earlier ``lottery letters`` on the same results.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lottery.audit.verify import require_verified
from lottery.errors import UsageError
from lottery.io.atomic import Say, check_can_write, say_nothing, staged_folder
from lottery.io.inputs import read_input_folder
from lottery.io.outputs import LETTERS, MERGED_LETTERS
from lottery.io.results_folder import read_results_folder
from lottery.publish.letters.config import CONFIG_FILE, load_letters_config
from lottery.publish.letters.model import build_letters
from lottery.publish.letters.pdf import write_font_subsets
from lottery.publish.letters.preflight import (
    check_file_names,
    check_letters_folder,
    check_templates,
    letter_characters,
)
from lottery.publish.letters.templates import make_environment, pick_language, template_languages
from lottery.publish.letters.workers import Progress, RenderSettings, render_letters

__all__ = ["LETTERS_DIR", "MERGED_FILE", "LettersSummary", "generate_letters"]

LETTERS_DIR = LETTERS
MERGED_FILE = MERGED_LETTERS


@dataclass(frozen=True)
class LettersSummary:
    """What ``lottery letters`` wrote."""

    letters_dir: Path
    letters: int
    pages: int
    languages: dict[str, int]
    """Letters per template language used."""
    fallback: dict[str, int]
    """Requested languages with no template (those letters are in English), and how many."""
    config_file: Path | None
    warnings: tuple[str, ...]


def generate_letters(
    out_dir: Path,
    input_dir: Path,
    config_path: Path | None = None,
    templates_dir: Path | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    letters_dir: Path | None = None,
    say: Say = say_nothing,
) -> LettersSummary:
    """Write a letter for every applicant of the run in ``out_dir`` into ``out_dir/letters``.

    ``config_path`` defaults to ``letters.toml`` in ``input_dir`` if there is one.
    ``templates_dir`` holds edited templates: the layout ``letter.html``, wording files
    (``en.toml``, ``es.toml``, ...) or whole letters (``en.html``); what it lacks is
    shipped. ``progress(done, total)`` is called as letters are
    finished. ``workers`` processes render them (default: the CPUs available, at most 4;
    small runs use one). ``letters_dir`` writes the letters elsewhere than
    ``out_dir/letters`` (for a read-only results folder); ``say`` is told when an
    unfinished letters folder left by a stopped run is removed.

    Raises :class:`~lottery.errors.InputError` for a bad ``letters.toml`` or template and
    :class:`~lottery.errors.UsageError` for a results folder that is not complete and
    unchanged or an input folder that is not the run's; nothing is written then.
    """
    out_dir, input_dir = Path(out_dir), Path(input_dir)
    if config_path is None and (input_dir / CONFIG_FILE).is_file():
        config_path = input_dir / CONFIG_FILE
    config = load_letters_config(config_path)
    if templates_dir is not None and not Path(templates_dir).is_dir():
        raise UsageError(f"The templates folder {templates_dir} does not exist.")
    outputs = read_results_folder(out_dir, input_dir)
    require_verified(out_dir, input_dir, "lottery letters")
    city = read_input_folder(input_dir)
    letters = build_letters(city.applicants, outputs)
    check_file_names(letters)
    environment = make_environment(templates_dir)
    available = template_languages(environment)
    used = Counter(pick_language(letter.language, available)[0] for letter in letters)
    fallback = Counter(
        letter.language for letter in letters if pick_language(letter.language, available)[1]
    )
    check_templates(environment, used, letters, config)

    warnings = []
    if config_path is None:
        warnings.append(
            f"no {CONFIG_FILE} (in {input_dir} or given with --config): the letters name no "
            "office, contact details, response deadline or way to accept"
        )
    final = Path(letters_dir) if letters_dir is not None else out_dir / LETTERS_DIR

    def check_replaceable(folder: Path) -> None:
        check_letters_folder(folder, letters)

    if final.exists():
        check_replaceable(final)
    check_can_write(final, option="--letters-dir")
    staged = staged_folder(final, check_replaceable, say)
    with staged as staging, tempfile.TemporaryDirectory() as scratch:
        fonts, missing = write_font_subsets(
            letter_characters(letters, config, environment), Path(scratch)
        )
        if missing:
            shown = " ".join(sorted(missing)[:10])
            warnings.append(
                f"the PDF font has no glyph for {len(missing)} character(s) in the letters "
                f"({shown}); the PDFs show ? instead (the HTML letters are not affected)"
            )
        settings = RenderSettings(
            templates_dir=str(templates_dir) if templates_dir else None,
            fonts=fonts,
            missing_characters=frozenset(missing),
            config=config,
            letters_dir=str(staging),
        )
        pages = render_letters(letters, settings, staging, progress, workers)
    return LettersSummary(
        letters_dir=final,
        letters=len(letters),
        pages=pages,
        languages=dict(sorted(used.items())),
        fallback=dict(sorted(fallback.items())),
        config_file=Path(config_path) if config_path else None,
        warnings=tuple(warnings),
    )
