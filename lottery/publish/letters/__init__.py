"""Placement letters: one per applicant, in their language, as PDF and HTML.

:func:`generate_letters` is what ``lottery letters`` runs:

1. Read the results folder (checked against its manifest) and the run's input folder
   (checked against the checksums the manifest records), see
   :func:`lottery.io.results_folder.read_results_folder`. ``--inputs`` is the round-1
   input folder for every round; a later round's own input files are in its
   ``round-inputs/`` (:func:`lottery.io.results_folder.run_inputs` decides).
2. Build one :class:`~lottery.publish.letters.model.Letter` per applicant, in mailing order
   (zone, then address, then applicant ID). For a later round, each letter also states
   the round's event for its applicant (:mod:`~lottery.publish.letters.round_events`);
   ``changed_only`` keeps the letters of the applicants whose situation the round
   changed (``moves.csv``, ``offers.csv``, and withdrawals, new lists and late
   applications in the round's ``changes/changes.csv``); when there are none, nothing
   is written.
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
from lottery.io.outputs import LETTERS, MERGED_LETTERS, MOVES
from lottery.io.results_folder import read_results_folder, run_inputs
from lottery.publish.letters.config import CONFIG_FILE, load_letters_config, missing_translations
from lottery.publish.letters.model import build_letters, withdrawn_applicants
from lottery.publish.letters.pdf import write_font_subsets
from lottery.publish.letters.preflight import (
    check_file_names,
    check_letters_folder,
    check_templates,
    letter_characters,
)
from lottery.publish.letters.round_events import read_round_tables
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
    applicants: int = 0
    """Applicants of the run (with, for a later round, those who withdrew in it)."""
    round: int | None = None
    """The round's number, for the letters of a later round."""
    changed_only: bool = False
    """Whether only the applicants whose situation the round changed got a letter."""
    note: str | None = None
    """Which input folder was used, when it is not the one given (to print)."""


def generate_letters(
    out_dir: Path,
    input_dir: Path | None,
    config_path: Path | None = None,
    templates_dir: Path | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    letters_dir: Path | None = None,
    say: Say = say_nothing,
    changed_only: bool = False,
) -> LettersSummary:
    """Write a letter for every applicant of the run in ``out_dir`` into ``out_dir/letters``.

    ``input_dir`` is the round-1 input folder (for a later round it may also be the
    round's ``round-inputs/``, or ``None``). ``config_path`` defaults to
    ``letters.toml`` in the round-1 input folder, else in the run's input folder, if
    there is one. ``templates_dir`` holds edited templates: the layout ``letter.html``,
    wording files (``en.toml``, ``es.toml``, ...) or whole letters (``en.html``); what it
    lacks is shipped. ``progress(done, total)`` is called as letters are
    finished. ``workers`` processes render them (default: the CPUs available, at most 4;
    small runs use one). ``letters_dir`` writes the letters elsewhere than
    ``out_dir/letters`` (for a read-only results folder); ``say`` is told when an
    unfinished letters folder left by a stopped run is removed. ``changed_only`` writes
    letters only for the applicants whose situation a later round changed (refused
    for round 1, where every applicant's letter is new); if there are none, it writes
    nothing and returns a summary of 0 letters.

    Raises :class:`~lottery.errors.InputError` for a bad ``letters.toml`` or template and
    :class:`~lottery.errors.UsageError` for a results folder that is not complete and
    unchanged or an input folder that is not the run's; nothing is written then.
    """
    out_dir = Path(out_dir)
    inputs = run_inputs(out_dir, Path(input_dir) if input_dir is not None else None)
    input_dir = inputs.folder
    if config_path is None:
        config_path = next(
            (
                folder / CONFIG_FILE
                for folder in (inputs.first_round, inputs.folder)
                if folder is not None and (folder / CONFIG_FILE).is_file()
            ),
            None,
        )
    config = load_letters_config(config_path)
    if templates_dir is not None and not Path(templates_dir).is_dir():
        raise UsageError(f"The templates folder {templates_dir} does not exist.")
    outputs = read_results_folder(out_dir, input_dir)
    require_verified(out_dir, input_dir, "lottery letters")
    city = read_input_folder(input_dir)
    round_tables = None
    later_round = outputs.manifest.is_later_round or (out_dir / MOVES).is_file()
    warnings = []
    if later_round:
        number = outputs.manifest.round.number if outputs.manifest.round else None
        round_tables = read_round_tables(out_dir, number)
    elif changed_only:
        raise UsageError(
            f"--changed-only is for the letters of a later round (`lottery round`), and "
            f"{out_dir} holds the results of round 1, where every applicant's letter is new: "
            "leave --changed-only out."
        )
    original_lists, first_round = None, None
    if round_tables is not None and inputs.first_round is not None:
        first = read_input_folder(inputs.first_round)
        first_round = first.applicants
        original_lists = {}
        for applicant, program in zip(first.choices.applicant, first.choices.program, strict=True):
            original_lists.setdefault(str(first.applicants.id[applicant]), []).append(
                str(first.programs.id[program])
            )
    letters = build_letters(city.applicants, outputs, round_tables, original_lists, first_round)
    every_applicant = {letter.applicant_id for letter in letters}
    if round_tables is not None:
        unknown = sorted(withdrawn_applicants(round_tables) - every_applicant)
        if unknown:
            warnings.append(
                f"{len(unknown)} applicant(s) who withdrew in this round get no letter "
                f"({', '.join(unknown[:5])}{', ...' if len(unknown) > 5 else ''}): their "
                "names and addresses are not in this round's files"
                + (
                    " nor in the round-1 input folder"
                    if first_round is not None
                    else "; pass --inputs with the round-1 input folder"
                )
            )
    unanswered = [
        letter
        for letter in letters
        if letter.round and letter.round.offered and not letter.round.respond_by.strip()
    ]
    if unanswered and config.response.deadline is not None:
        warnings.append(
            f"offers.csv gives no respond_by date for this round's {len(unanswered)} new "
            f"offer(s), so their letters give the deadline of {CONFIG_FILE}, "
            f"{config.response.deadline.isoformat()}: check that it is this round's (set "
            "[rounds] respond_by in policy.toml, or give a letters.toml with --config)"
        )
    if changed_only and round_tables is not None:
        changed = round_tables.changed
        letters = [letter for letter in letters if letter.applicant_id in changed]
        if not letters:  # nothing to send: leave any letters folder as it is
            return LettersSummary(
                letters_dir=Path(letters_dir) if letters_dir is not None else out_dir / LETTERS_DIR,
                letters=0,
                pages=0,
                languages={},
                fallback={},
                config_file=Path(config_path) if config_path else None,
                warnings=tuple(warnings),
                applicants=len(every_applicant),
                round=round_tables.number,
                changed_only=True,
                note=inputs.note,
            )
    check_file_names(letters)
    environment = make_environment(templates_dir)
    available = template_languages(environment)
    used = Counter(pick_language(letter.language, available)[0] for letter in letters)
    fallback = Counter(
        letter.language for letter in letters if pick_language(letter.language, available)[1]
    )
    check_templates(environment, used, letters, config)
    warnings += missing_translations(config, config_path, used)
    if config_path is None:
        unnamed = "the letters name no office, contact details, response deadline or way to accept"
        if later_round and inputs.first_round is None:
            # letters.toml stays in the round-1 folder: a round does not copy it.
            warnings.append(
                f"no {CONFIG_FILE}: {unnamed}. It is kept in the round-1 input folder; pass "
                f"--inputs with that folder (where {CONFIG_FILE} is), or give it with --config"
            )
        else:
            warnings.append(
                f"no {CONFIG_FILE} (in {inputs.first_round or input_dir} or given with "
                f"--config): {unnamed}"
            )
    final = Path(letters_dir) if letters_dir is not None else out_dir / LETTERS_DIR

    def check_replaceable(folder: Path) -> None:
        check_letters_folder(folder, every_applicant)

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
        applicants=len(every_applicant),
        round=round_tables.number if round_tables is not None else None,
        changed_only=changed_only,
        note=inputs.note,
    )
