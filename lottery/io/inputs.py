"""Read and validate an input folder, or its files in memory, into
:class:`~lottery.city.CityInput`.

This module knows which files make a city and checks them against each other; each
file's own name, columns and checks live in its module (``programs_file``,
``applicants_file``, ``choices_file``, ``priorities_file``, ``lottery_file``,
``reserves_file``; ``policy_file`` for policy.toml), and the checks of single cells in
``input_cells``. Every problem is collected before anything is raised, so the office
sees all of them in one go. The file formats are documented in ``docs/file-formats.md``.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from lottery.city import Applicants, CityInput, Programs, Reserves
from lottery.errors import InputError, Problem, shown
from lottery.io.applicants_file import APPLICANT_COLUMNS, APPLICANTS_FILE, read_applicants
from lottery.io.choices_file import CHOICE_COLUMNS, CHOICES_FILE, read_choices
from lottery.io.csv_tables import (
    NOTICE_KINDS,
    UNKNOWN_CODES,
    ProblemLog,
    file_sha256,
    read_table,
)
from lottery.io.input_cells import APPLICANT_ID, CODE, GRADES, Suggestions
from lottery.io.lottery_file import (
    LOTTERY_COLUMNS,
    LOTTERY_FILE,
    MAX_LOTTERY_NUMBER,
    read_external_lottery,
)
from lottery.io.policy_file import load_policy
from lottery.io.priorities_file import (
    PRIORITIES_FILE,
    PRIORITY_COLUMNS,
    read_explicit_priorities,
)
from lottery.io.programs_file import PROGRAM_COLUMNS, PROGRAMS_FILE, read_programs
from lottery.io.reserves_file import RESERVE_COLUMNS, RESERVES_FILE, read_reserves
from lottery.policy import POLICY_FILE, TAG_PREFIX, Policy, tier_criteria
from lottery.sorted_pairs import contains_sorted, pair_keys

__all__ = [
    "APPLICANT_COLUMNS",
    "APPLICANT_ID",
    "APPLICANTS_FILE",
    "CHOICE_COLUMNS",
    "CHOICES_FILE",
    "CODE",
    "GRADES",
    "INPUT_FILES",
    "LOTTERY_COLUMNS",
    "LOTTERY_FILE",
    "MAX_LOTTERY_NUMBER",
    "POLICY_FILE",
    "PRIORITIES_FILE",
    "PRIORITY_COLUMNS",
    "PROGRAM_COLUMNS",
    "PROGRAMS_FILE",
    "REQUIRED_FILES",
    "RESERVE_COLUMNS",
    "RESERVES_FILE",
    "read_input_files",
    "read_input_folder",
]

INPUT_FILES = (
    PROGRAMS_FILE,
    APPLICANTS_FILE,
    CHOICES_FILE,
    PRIORITIES_FILE,
    LOTTERY_FILE,
    RESERVES_FILE,
    POLICY_FILE,
)
"""Every file a run reads from its input folder; other files there (a README) are ignored."""
REQUIRED_FILES = (PROGRAMS_FILE, APPLICANTS_FILE, CHOICES_FILE)


def read_input_folder(folder: Path, strict: bool = False) -> CityInput:
    """Read, validate and cross-check every input file in ``folder``.

    Warnings about single rows (unknown codes, ignored columns) are problems when
    ``strict`` (``lottery run --strict``) or when policy.toml's ``[checks]`` says so.

    Raises
    ------
    InputError
        With every problem found, if any file is missing or wrong.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, None, "this input folder does not exist")])
    # Paths, not contents: each file is read only when its turn comes, so that a
    # million-applicant city never holds every file's bytes at once.
    files = {name: folder / name for name in INPUT_FILES if (folder / name).is_file()}
    return _read_city(files, f"required file is missing from {folder}", strict)


def read_input_files(
    files: Mapping[str, bytes], strict: bool = False, row_notices: bool = True
) -> CityInput:
    """Read, validate and cross-check input files held in memory (file name -> contents).

    The same reading and checks as :func:`read_input_folder`; a file absent from
    ``files`` is a missing file, and names other than the input files are ignored.
    ``row_notices`` False leaves out the warnings about single rows (and ``[checks]``
    does not make them errors): for files the engine wrote itself, whose rows were
    checked where the office wrote them (a later round's input files).

    Raises
    ------
    InputError
        With every problem found, if any file is missing or wrong.
    """
    return _read_city(
        {name: files[name] for name in INPUT_FILES if name in files},
        "required file is missing",
        strict,
        row_notices,
    )


def _read_city(
    files: Mapping[str, Path | bytes], missing: str, strict: bool, row_notices: bool = True
) -> CityInput:
    """The one reading of a city, from each file's path or contents; ``missing`` is the
    problem of a required file that is not there."""
    log = ProblemLog(notices=row_notices)
    for name in REQUIRED_FILES:
        if name not in files:
            log.add(name, None, None, missing)
    policy_source = files.get(POLICY_FILE)
    try:
        policy = load_policy(policy_source) if policy_source is not None else Policy()
    except InputError as error:
        for problem in error.problems:
            log.add(problem.file, problem.line, problem.column, problem.message)
        policy = None
    log.strict = frozenset(NOTICE_KINDS) if strict else (policy or Policy()).checks.strict_kinds()

    def load(name, columns):
        return read_table(files[name], *columns, log, name=name) if name in files else None

    programs_table = load(PROGRAMS_FILE, PROGRAM_COLUMNS)
    applicants_table = load(APPLICANTS_FILE, APPLICANT_COLUMNS)
    choices_table = load(CHOICES_FILE, CHOICE_COLUMNS)
    priorities_table = load(PRIORITIES_FILE, PRIORITY_COLUMNS)
    lottery_table = load(LOTTERY_FILE, LOTTERY_COLUMNS)
    reserves_table = load(RESERVES_FILE, RESERVE_COLUMNS)

    programs = read_programs(programs_table, log) if programs_table is not None else None
    applicants = (
        read_applicants(applicants_table, programs, log, _criteria_used(policy, reserves_table))
        if applicants_table is not None
        else None
    )
    choices = explicit = external = reserves = None
    if programs is not None and reserves_table is not None:
        reserves = read_reserves(reserves_table, programs, log)
    if programs is not None and applicants is not None:
        _check_guarantees(programs, applicants, log)
        if choices_table is not None:
            choices = read_choices(choices_table, programs, applicants, log)
        if priorities_table is not None:
            explicit = read_explicit_priorities(priorities_table, programs, applicants, log)
        if lottery_table is not None and choices is not None:
            external = read_external_lottery(lottery_table, programs, applicants, choices, log)
    if policy is not None and programs is not None and applicants is not None:
        _notice_unknown_tags(policy, policy_source, programs, applicants, reserves, log)
    log.raise_if_any()
    assert programs is not None and applicants is not None and choices is not None
    assert policy is not None
    if explicit is not None:
        _warn_unranked_priorities(explicit, choices, programs, log)
    if external is not None:
        _warn_tiebreak_mismatch(policy, external, log)
    log.finish_notices()
    hashes = {
        name: table.sha256
        for name, table in (
            (PROGRAMS_FILE, programs_table),
            (APPLICANTS_FILE, applicants_table),
            (CHOICES_FILE, choices_table),
            (PRIORITIES_FILE, priorities_table),
            (LOTTERY_FILE, lottery_table),
            (RESERVES_FILE, reserves_table),
        )
        if table is not None
    }
    if policy_source is not None:
        hashes[POLICY_FILE] = (
            hashlib.sha256(policy_source).hexdigest()
            if isinstance(policy_source, bytes)
            else file_sha256(policy_source)
        )
    return CityInput(
        programs=programs,
        applicants=applicants,
        choices=choices,
        policy=policy,
        explicit_priorities=explicit,
        external_lottery=external,
        reserves=reserves,
        input_sha256=dict(sorted(hashes.items())),
        warnings=tuple(log.warnings),
    )


# ----------------------------------------------------------------------------- across files


def _criteria_used(policy: Policy | None, reserves_table) -> frozenset[str] | None:
    """The criteria the city's priority tiers and reserve categories name (None: a policy
    that cannot be read, so every criterion counts)."""
    if policy is None:
        return None
    used = set(policy.criteria())
    if reserves_table is not None:
        for category in set(reserves_table.column("category").tolist()):
            used |= set(tier_criteria(category))
    return frozenset(used)


def _check_guarantees(programs: Programs, applicants: Applicants, log: ProblemLog) -> None:
    """A guaranteed program must suit the applicant, and have a seat for every guarantee."""
    guaranteed = applicants.guaranteed_program
    has = np.flatnonzero(guaranteed >= 0)
    program = guaranteed[has]
    wrong_grade = programs.grade[program] != applicants.grade[has]
    log.add_each(
        APPLICANTS_FILE,
        applicants.line[has[wrong_grade]],
        "guaranteed_program_id",
        lambda i: (
            f'program "{programs.id[program[wrong_grade][i]]}" is for grade '
            f"{programs.grade[program[wrong_grade][i]]}, not grade "
            f"{applicants.grade[has[wrong_grade][i]]}"
        ),
    )
    lacking = np.array(
        [
            not set(programs.requires_tags[p]) <= set(applicants.tags[a])
            for a, p in zip(has.tolist(), program.tolist(), strict=True)
        ],
        dtype=bool,
    )
    log.add_each(
        APPLICANTS_FILE,
        applicants.line[has[lacking]],
        "guaranteed_program_id",
        lambda i: (
            f'program "{programs.id[program[lacking][i]]}" requires the tag(s) '
            f"{', '.join(programs.requires_tags[program[lacking][i]])}, which this applicant "
            "does not have, so it cannot be guaranteed"
        ),
    )
    count = np.bincount(program, minlength=len(programs))
    capacity = programs.capacity
    over = np.flatnonzero((count > 0) & (count > capacity))
    log.add_each(
        PROGRAMS_FILE,
        programs.line[over],
        "seats",
        lambda i: (
            f'{count[over[i]]} applicants are guaranteed program "{programs.id[over[i]]}" '
            f"but it offers only {capacity[over[i]]} seats in this run"
        ),
    )


def _warn_unranked_priorities(explicit, choices, programs, log) -> None:
    """A priority at a program the applicant did not rank has no effect."""
    n_programs = len(programs.id)
    ranked = np.sort(pair_keys(choices.applicant, choices.program, n_programs))
    given = pair_keys(explicit.applicant, explicit.program, n_programs)
    unused = int((~contains_sorted(ranked, given)).sum())
    if unused:
        log.warn(
            f"{PRIORITIES_FILE}: {unused} row(s) give a priority at a program the applicant "
            "did not rank; they have no effect"
        )


def _notice_unknown_tags(
    policy: Policy,
    policy_source: Path | bytes | None,
    programs: Programs,
    applicants: Applicants,
    reserves: Reserves | None,
    log: ProblemLog,
) -> None:
    """A tag that no applicant has is usually a typo in a policy or file: a notice where
    it is named (an error with ``--strict``), with a "did you mean" among the tags held."""
    if not _names_a_tag(policy, programs, reserves):
        return
    held = Suggestions(itertools.chain.from_iterable(applicants.tags))
    for criterion in sorted(policy.criteria()):
        tag = criterion.removeprefix(TAG_PREFIX)
        if criterion.startswith(TAG_PREFIX) and tag not in held.known:
            log.notice(
                UNKNOWN_CODES,
                POLICY_FILE,
                _policy_line(policy_source, criterion),
                "priority.order",
                f'no applicant has the tag "{shown(tag)}"{held.hint(tag)}; the criterion '
                f'"{shown(criterion)}" gives nobody priority',
            )
    for p, tags in enumerate(programs.requires_tags):
        for tag in tags:
            if tag not in held.known:
                log.notice(
                    UNKNOWN_CODES,
                    PROGRAMS_FILE,
                    int(programs.line[p]),
                    "requires_tags",
                    f'program "{programs.id[p]}" requires the tag "{shown(tag)}", which no '
                    f"applicant has{held.hint(tag)}; nobody can be placed at this program",
                )
    if reserves is None:
        return
    unfilled = (
        "its seats go to other applicants"
        if policy.reserves.unfilled == "open"
        else "its seats stay empty"
    )
    for category, line in zip(reserves.category.tolist(), reserves.line.tolist(), strict=True):
        tag = category.removeprefix(TAG_PREFIX)
        if category.startswith(TAG_PREFIX) and tag not in held.known:
            log.notice(
                UNKNOWN_CODES,
                RESERVES_FILE,
                int(line),
                "category",
                f'no applicant has the tag "{shown(tag)}"{held.hint(tag)}, so nobody is in '
                f"this reserve's category; {unfilled}",
            )


def _names_a_tag(policy: Policy, programs: Programs, reserves: Reserves | None) -> bool:
    """Whether the policy, a program or a reserve names a tag (the check's usual answer
    is no, and then the applicants' tags need not be gathered)."""
    return (
        any(c.startswith(TAG_PREFIX) for c in policy.criteria())
        or any(programs.requires_tags)
        or (reserves is not None and any(c.startswith(TAG_PREFIX) for c in reserves.category))
    )


def _policy_line(source: Path | bytes | None, criterion: str) -> int | None:
    """The first line of policy.toml that names ``criterion``, if it can be found."""
    if source is None:
        return None
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    named = re.compile(rf"{re.escape(criterion)}(?![A-Za-z0-9_.-])")
    text = raw.decode("utf-8-sig", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if named.search(line.split("#", 1)[0]):
            return number
    return None


def _warn_tiebreak_mismatch(policy: Policy, external, log: ProblemLog) -> None:
    """lottery.csv decides single or multiple tie-break, whatever the policy says."""
    given = "multiple" if external.per_program else "single"
    if policy.lottery.tiebreak != given:
        log.warn(
            f"the policy's tie-break setting ({policy.lottery.tiebreak}) does not match "
            f"{LOTTERY_FILE}, which gives "
            f"{'numbers per program' if external.per_program else 'one number per applicant'}; "
            f"the numbers in {LOTTERY_FILE} are used as given ({given} tie-break)"
        )
