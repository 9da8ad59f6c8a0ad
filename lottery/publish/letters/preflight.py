"""What ``lottery letters`` makes sure of before it writes anything: that every
template a letter will use loads and words a letter of each kind, that no applicant's
letter would be named like the merged PDF, and that an earlier letters folder holds
only letters; and which characters the PDF font must have.

A template that fails should fail within seconds, not after minutes of rendering, and
before any file is written.
"""

from __future__ import annotations

import re
from collections import Counter
from contextlib import suppress
from pathlib import Path

import jinja2

from lottery.errors import InputError, Problem, UsageError
from lottery.io.atomic import is_hidden_work, name_some
from lottery.io.outputs import MERGED_LETTERS
from lottery.io.results_folder import is_letter
from lottery.publish.letters.config import LettersConfig
from lottery.publish.letters.html import check_letter
from lottery.publish.letters.model import Letter
from lottery.publish.letters.templates import (
    TemplateNotReadable,
    pick_language,
    template_languages,
    template_problem,
)
from lottery.publish.letters.wording import ROUND_WORDING, WORDING


def check_templates(
    environment: jinja2.Environment, used: Counter, letters: list[Letter], config: LettersConfig
) -> None:
    """Load every template that will be used, check it defines all the wording, and word
    a sample of the letters with it; :class:`~lottery.errors.InputError` if one fails."""
    problems = []
    for language in sorted(used):
        name = f"{language}.html"
        try:
            environment.get_template(name)
        except (jinja2.TemplateError, RecursionError) as error:
            problems.append(template_problem(error, name, loader=environment.loader))
            continue
        except InputError as error:  # a wording file with problems
            problems.extend(error.problems)
            continue
        source = environment.loader.get_source(environment, name)[0]
        missing = [w for w in WORDING if not _defines(source, w)]
        round_missing = [w for w in ROUND_WORDING if not _defines(source, w)]
        if round_missing and any(letter.round for letter in letters):
            problems.append(
                Problem(
                    environment.loader.wording_file(name),
                    None,
                    None,
                    f"the wording does not define {', '.join(round_missing)}, which the "
                    "letters of a later round need (what happened in the round): copy it, "
                    "and the outcome, intro and next_steps of the shipped wording",
                )
            )
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
            letter.round and (letter.round.kind, letter.round.offered, bool(letter.offer)),
        )
        first.setdefault(kind, letter)
    return list(first.values())


def _defines(source: str, name: str) -> bool:
    return bool(re.search(rf"{{%-?\s*(set|macro)\s+{re.escape(name)}\b", source))


def letter_characters(
    letters: list[Letter], config: LettersConfig, environment: jinja2.Environment
) -> set[str]:
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
        # A file that is not text is no template (an image, say), and a wording file
        # with problems words nothing; one a letter uses has been refused by
        # check_templates.
        with suppress(TemplateNotReadable, InputError):
            texts.append(environment.loader.get_source(environment, name)[0])
    return set("".join(texts))


def check_file_names(letters: list[Letter]) -> None:
    """Refuse a run where an applicant's letter would be named like the merged PDF."""
    if any(letter.applicant_id == Path(MERGED_LETTERS).stem for letter in letters):
        raise UsageError(
            f'An applicant has the ID "{Path(MERGED_LETTERS).stem}", the name of the merged '
            "PDF; letters cannot be written for this run."
        )


def check_letters_folder(folder: Path, applicants: set[str]) -> None:
    """Refuse to replace ``folder`` unless it holds only letters of ``applicants`` (every
    applicant of the run, also when only some get a letter now)."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is a file, not a folder of letters; move it away first.")
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
