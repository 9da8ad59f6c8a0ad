"""Placement letters: one per applicant, in their language, as PDF and HTML.

:func:`generate_letters` is what ``lottery letters`` runs:

1. Read the results folder (checked against its manifest) and the run's input folder
   (checked against the checksums the manifest records), see
   :func:`lottery.io.results_folder.read_run_outputs`.
2. Build one :class:`~lottery.publish.letters.model.Letter` per applicant, in mailing order
   (zone, then address, then applicant ID).
3. Render each letter from its language's Jinja2 template (English, with a note that
   translations are available, when there is none) to ``letters/<applicant_id>.html``,
   and lay the same wording out as ``letters/<applicant_id>.pdf``.
4. Join every PDF, in mailing order, into ``letters/all-letters.pdf`` for printing.

``letters/`` is written into a hidden folder first and moved into place when complete,
replacing the letters of an earlier ``lottery letters`` on the same results.
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from io import BytesIO
from multiprocessing import get_context
from pathlib import Path

import jinja2
from pypdf import PdfReader, PdfWriter

from lottery.audit.verify import require_verified
from lottery.errors import InputError, Problem, UsageError
from lottery.io.atomic import (
    Say,
    check_can_write,
    is_hidden_work,
    name_some,
    say_nothing,
    staged_folder,
)
from lottery.io.inputs import read_input_folder
from lottery.io.outputs import LETTERS, MERGED_LETTERS
from lottery.io.results_folder import is_letter, read_run_outputs
from lottery.publish.letters.config import CONFIG_FILE, LettersConfig, load_letters_config
from lottery.publish.letters.model import Letter, build_letters
from lottery.publish.letters.render import (
    WORDING,
    ChunkResult,
    RenderSettings,
    TemplateNotReadable,
    check_letter,
    init_worker,
    make_environment,
    pick_language,
    render_chunk,
    template_languages,
    template_problem,
    write_font_subsets,
)

__all__ = ["LETTERS_DIR", "MERGED_FILE", "LettersSummary", "generate_letters"]

LETTERS_DIR = LETTERS
MERGED_FILE = MERGED_LETTERS
Progress = Callable[[int, int], None]


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
    ``templates_dir`` holds edited templates (``en.html``, ``es.html``, ...); languages it
    lacks use the shipped templates. ``progress(done, total)`` is called as letters are
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
    outputs = read_run_outputs(out_dir, input_dir)
    require_verified(out_dir, input_dir, "lottery letters")
    city = read_input_folder(input_dir)
    letters = build_letters(city.applicants, outputs)
    _check_file_names(letters)
    environment = make_environment(templates_dir)
    available = template_languages(environment)
    used = Counter(pick_language(letter.language, available)[0] for letter in letters)
    fallback = Counter(
        letter.language for letter in letters if pick_language(letter.language, available)[1]
    )
    _check_templates(environment, used, letters, config)

    warnings = []
    if config_path is None:
        warnings.append(
            f"no {CONFIG_FILE} (in {input_dir} or given with --config): the letters name no "
            "office, contact details, response deadline or way to accept"
        )
    final = Path(letters_dir) if letters_dir is not None else out_dir / LETTERS_DIR

    def check_replaceable(folder: Path) -> None:
        _check_letters_folder(folder, letters)

    if final.exists():
        check_replaceable(final)
    check_can_write(final, option="--letters-dir")
    staged = staged_folder(final, check_replaceable, say)
    with staged as staging, tempfile.TemporaryDirectory() as scratch:
        fonts, missing = write_font_subsets(
            _characters(letters, config, environment), Path(scratch)
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
        pages = _render(letters, settings, staging, progress, workers)
    return LettersSummary(
        letters_dir=final,
        letters=len(letters),
        pages=pages,
        languages=dict(sorted(used.items())),
        fallback=dict(sorted(fallback.items())),
        config_file=Path(config_path) if config_path else None,
        warnings=tuple(warnings),
    )


def _start_worker(settings: RenderSettings, lottery_pid: int) -> None:
    """Set up a letter-rendering process, which ends when the lottery process ends.

    After ``kill -9`` nothing else would tell the workers: they would wait forever. On
    Linux the kernel ends them (``PR_SET_PDEATHSIG``); a worker whose lottery process
    died before that was set finds itself with another parent and ends at once.
    """
    if sys.platform.startswith("linux"):
        with suppress(OSError, AttributeError):
            set_parent_death_signal = 1  # PR_SET_PDEATHSIG in <linux/prctl.h>
            ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, signal.SIGKILL)
    if os.getppid() != lottery_pid:
        os._exit(1)
    # Ctrl-C in a terminal reaches every process; the lottery process stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    init_worker(settings)


def _render(
    letters: list[Letter],
    settings: RenderSettings,
    staging: Path,
    progress: Progress | None,
    workers: int | None,
) -> int:
    """Render every chunk (in worker processes when it pays) and write the merged PDF."""
    total = len(letters)
    if workers is None:
        workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 4)
    workers = max(1, min(workers, total // 100 or 1))  # a process pays from ~100 letters
    size = max(50, min(500, -(-total // (workers * 8)) if total else 1))
    jobs = [(k, letters[start : start + size]) for k, start in enumerate(range(0, total, size))]
    merged = PdfWriter()
    pages = done = 0
    if progress is not None:
        progress(0, total)
    for result in _results(jobs, settings, workers):
        if result.problem is not None:
            raise InputError([Problem(*result.problem[:2], None, result.problem[2])])
        reader = PdfReader(BytesIO(result.pdf))
        for page in reader.pages:
            merged.add_page(page)
        pages += len(reader.pages)
        done += len(result.pages)
        if progress is not None:
            progress(done, total)
    with open(staging / MERGED_FILE, "wb") as handle:
        merged.write(handle)
    return pages


def _results(
    jobs: list[tuple[int, list[Letter]]], settings: RenderSettings, workers: int
) -> Iterator[ChunkResult]:
    if workers == 1:
        init_worker(settings)
        yield from map(render_chunk, jobs)
        return
    with ProcessPoolExecutor(
        workers,
        mp_context=get_context("spawn"),
        initializer=_start_worker,
        initargs=(settings, os.getpid()),
    ) as pool:
        yield from pool.map(render_chunk, jobs)


def _check_templates(
    environment, used: Counter, letters: list[Letter], config: LettersConfig
) -> None:
    """Load every template that will be used, check it defines all the wording, and word
    a sample of the letters with it: a template that fails should fail before minutes
    of rendering, and before any file is written."""
    problems = []
    for language in sorted(used):
        name = f"{language}.html"
        try:
            environment.get_template(name)
        except (jinja2.TemplateError, RecursionError) as error:
            problems.append(template_problem(error, name))
            continue
        source = environment.loader.get_source(environment, name)[0]
        missing = [w for w in WORDING if not _defines(source, w)]
        if missing:
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    f"the template does not define {', '.join(missing)}: a letter template "
                    "must keep every value and macro of the shipped one",
                )
            )
    if problems:
        raise InputError(problems)
    languages = template_languages(environment)
    failed: dict[str, Problem] = {}  # the first problem of each template is enough
    loaded: dict = {}
    for letter in _samples(letters, languages):
        language = pick_language(letter.language, languages)[0]
        if language not in failed:
            problem = check_letter(environment, languages, loaded, config, letter)
            if problem is not None:
                failed[language] = problem
    if failed:
        raise InputError(list(failed.values()))


def _samples(letters: list[Letter], languages: set[str]) -> list[Letter]:
    """The first letter of each kind a template words differently: by template (and
    whether it stands in for a language without one), status, results of the choices,
    linked family and reserved seats."""
    first: dict[tuple, Letter] = {}
    for letter in letters:
        kind = (
            pick_language(letter.language, languages),
            letter.status,
            frozenset(choice.result for choice in letter.choices),
            bool(letter.lottery.family_id),
            any(choice.reserved_seats for choice in letter.choices),
        )
        first.setdefault(kind, letter)
    return list(first.values())


def _defines(source: str, name: str) -> bool:
    return bool(re.search(rf"{{%-?\s*(set|macro)\s+{re.escape(name)}\b", source))


def _characters(letters: list[Letter], config: LettersConfig, environment) -> set[str]:
    """Every character a letter may contain: the data, the office's texts, the templates."""
    texts = [
        text
        for letter in letters
        for text in (letter.first_name, letter.last_name, letter.guardian_name, letter.address)
    ]
    texts += sorted({c.school_name for letter in letters for c in letter.choices})
    texts += sorted({letter.offer.school_name for letter in letters if letter.offer})
    texts.append(config.model_dump_json())
    texts += [letter.lottery.seed for letter in letters[:1]]
    for name in environment.list_templates():
        # A file that is not text is no template (an image, say); one a letter uses has
        # been refused by _check_templates.
        with suppress(TemplateNotReadable):
            texts.append(environment.loader.get_source(environment, name)[0])
    return set("".join(texts))


def _check_file_names(letters: list[Letter]) -> None:
    if any(letter.applicant_id == Path(MERGED_FILE).stem for letter in letters):
        raise UsageError(
            f'An applicant has the ID "{Path(MERGED_FILE).stem}", the name of the merged PDF; '
            "letters cannot be written for this run."
        )


def _check_letters_folder(folder: Path, letters: list[Letter]) -> None:
    """Refuse to replace ``folder`` unless it holds only this run's letters."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is a file, not a folder of letters; move it away first.")
    applicants = {letter.applicant_id for letter in letters}
    foreign = sorted(
        entry.name
        for entry in folder.iterdir()
        if not is_letter(entry.name, applicants) and not is_hidden_work(entry)
    )
    if foreign:
        raise UsageError(
            f"{folder} holds files that are not letters of this run, which would be lost: "
            f"{name_some(foreign)}. Nothing was replaced: move them out of {folder} first."
        )
