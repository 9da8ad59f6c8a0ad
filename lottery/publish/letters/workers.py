"""Rendering the letters in chunks, in parallel processes when it pays.

Letters are rendered in chunks of 50 to 500, in mailing order: each chunk is one fpdf2
document (fpdf2 spends most of its time on fonts, once per document), cut into one PDF
per applicant, and the merged PDF is the chunks put end to end. Chunks are independent,
so several processes render them (:func:`render_chunk`); each loads the templates once
(:func:`init_worker`).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from lottery.errors import InputError, Problem
from lottery.io.outputs import MERGED_LETTERS
from lottery.publish.letters.config import LettersConfig
from lottery.publish.letters.html import render_with, status_problem
from lottery.publish.letters.model import Letter
from lottery.publish.letters.pdf import layout_letter, new_document
from lottery.publish.letters.pdf_files import ChunkPdf, PdfFile, write_pdf
from lottery.publish.letters.templates import make_environment, template_languages, template_problem

Progress = Callable[[int, int], None]


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
        lines={},
        unsupported=str.maketrans({c: "?" for c in settings.missing_characters}),
    )


def render_chunk(job: tuple[int, list[Letter]]) -> ChunkResult:
    """Write the HTML and PDF of each letter in the chunk; return the chunk's PDF."""
    index, letters = job
    settings: RenderSettings = _worker["settings"]
    environment = _worker["environment"]
    folder = Path(settings.letters_dir)
    pdf = new_document(settings.config.paper, settings.fonts)
    pages = []
    for letter in letters:
        try:
            wording, html, fallback = render_with(
                environment, _worker["languages"], _worker["templates"], settings.config, letter
            )
            problem = status_problem(letter, wording)
            if problem is not None:
                return ChunkResult(index, b"", (), (problem.file, problem.line, problem.message))
            first = pdf.pages_count
            layout_letter(
                pdf,
                wording,
                letter,
                fallback,
                _worker["unsupported"],
                _worker["widths"],
                _worker["lines"],
            )
        except InputError as error:
            problem = error.problems[0]
            return ChunkResult(index, b"", (), (problem.file, problem.line, problem.message))
        except Exception as error:  # whatever an edited template raises
            # The problem goes back as plain data: an exception from a worker process
            # would arrive as a traceback, and Jinja's errors do not all pickle.
            problem = template_problem(error, f"{letter.language}.html", letter, environment.loader)
            return ChunkResult(index, b"", (), (problem.file, problem.line, problem.message))
        (folder / f"{letter.applicant_id}.html").write_text(html, encoding="utf-8")
        pages.append(pdf.pages_count - first)
    data = bytes(pdf.output())
    chunk = ChunkPdf(data)
    start = 0
    for letter, count in zip(letters, pages, strict=True):
        write_pdf(folder / f"{letter.applicant_id}.pdf", chunk, range(start, start + count))
        start += count
    return ChunkResult(index, data, tuple(pages))


def render_letters(
    letters: list[Letter],
    settings: RenderSettings,
    staging: Path,
    progress: Progress | None,
    workers: int | None,
) -> int:
    """Render every chunk (in worker processes when it pays) into ``staging`` and write
    the merged PDF; the number of pages. A letter its template fails on raises
    :class:`~lottery.errors.InputError`."""
    total = len(letters)
    if workers is None:
        workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 4)
    workers = max(1, min(workers, total // 100 or 1))  # a process pays from ~100 letters
    size = max(50, min(500, -(-total // (workers * 8)) if total else 1))
    jobs = [(k, letters[start : start + size]) for k, start in enumerate(range(0, total, size))]
    pages = done = 0
    if progress is not None:
        progress(0, total)
    with open(staging / MERGED_LETTERS, "wb") as handle:
        merged = PdfFile(handle)
        for result in _results(jobs, settings, workers):
            if result.problem is not None:
                raise InputError([Problem(*result.problem[:2], None, result.problem[2])])
            chunk = ChunkPdf(result.pdf)
            merged.add_pages(chunk, range(len(chunk.pages)))
            pages += len(chunk.pages)
            done += len(result.pages)
            if progress is not None:
                progress(done, total)
        merged.close()
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
