"""Read and check a round's changes folder (``lottery round``; see docs/rounds.md).

The folder holds ``changes.csv`` (one row per event) and, where events need them,
``applicants.csv``, ``choices.csv`` and ``lottery.csv`` in the round-1 formats with only
the new or changed rows. Every row is checked against the state the round starts from
(the previous round's input files and placements), and every problem is collected, with
its file, line and column, before one :class:`~lottery.errors.InputError` is raised.
Problems name the files of the changes folder (``changes.csv:4: event: ...``).

The rows are read as round 1 reads them, warnings included: codes that match nothing
(a zone no program serves), columns that are not ours, files separated by semicolons.
A warning about a single row is an error where round 1 would make it one (``[checks]``
in the policy.toml of the chain, or ``lottery round --strict``).

:mod:`lottery.io.change_events` checks the events of changes.csv and
:mod:`lottery.io.change_rows` the rows of the other files; this module reads the folder,
runs those checks and the ones that need every file (seats, lists, lottery numbers), and
returns what the folder says as :class:`Changes`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lottery.city import CityInput
from lottery.errors import InputError, Problem, UsageError
from lottery.io.change_events import (
    ACCEPT,
    CHANGES_COLUMNS,
    CHANGES_FILE,
    DECLINE,
    EVENTS,
    NEW_APPLICANT,
    NEW_LISTS,
    SEAT_CHANGE,
    TRANSFER_REQUEST,
    UPDATE_CHOICES,
    WITHDRAW,
    EventChecks,
    PreviousRound,
)
from lottery.io.change_rows import (
    ApplicantRows,
    ChoiceRows,
    LotteryRows,
    check_numbers_per_program,
    read_choices,
    read_lottery,
)
from lottery.io.csv_tables import NOTICE_KINDS, ProblemLog, Table, read_table
from lottery.io.inputs import (
    APPLICANT_COLUMNS,
    APPLICANTS_FILE,
    CHOICE_COLUMNS,
    CHOICES_FILE,
    LOTTERY_COLUMNS,
    LOTTERY_FILE,
    PRIORITIES_FILE,
    PROGRAMS_FILE,
    RESERVES_FILE,
)
from lottery.policy import POLICY_FILE

__all__ = [
    "ACCEPT",
    "CHANGE_FILES",
    "CHANGES_COLUMNS",
    "CHANGES_FILE",
    "DECLINE",
    "EVENTS",
    "NEW_APPLICANT",
    "NEW_LISTS",
    "SEAT_CHANGE",
    "TRANSFER_REQUEST",
    "UNCHANGEABLE",
    "UPDATE_CHOICES",
    "WITHDRAW",
    "Changes",
    "read_changes",
]

CHANGE_FILES = (CHANGES_FILE, APPLICANTS_FILE, CHOICES_FILE, LOTTERY_FILE)
"""The files a changes folder may hold, in the order they are read."""

UNCHANGEABLE = {
    PROGRAMS_FILE: "programs cannot be replaced in a round; change seats with seat_change "
    "events in changes.csv",
    POLICY_FILE: "the policy stays the same in every round of the year; remove this file",
    PRIORITIES_FILE: "priorities cannot be changed after round 1; remove this file",
    RESERVES_FILE: "reserved seats cannot be changed after round 1; remove this file",
}


@dataclass(frozen=True, eq=False)
class Changes:
    """A checked changes folder.

    ``event``: applicant ID -> its event (one per applicant; ``transfer_request`` may
    repeat, its programs are in ``transfers`` in file order). ``seats``: program ID ->
    its new number of seats. ``applicants``: the new and changed rows of applicants.csv
    as read (stripped text, every column). ``choices``: the rows of choices.csv
    (``applicant_id``, ``rank`` as an integer, ``program_id``). ``lottery``: the rows of
    lottery.csv (or None). ``files``: the bytes of every file read, by name.
    ``warnings``: what reading the files found that is not an error, naming the files
    of the changes folder (``applicants.csv:2: zone: ...``).
    """

    event: dict[str, str]
    transfers: dict[str, tuple[str, ...]]
    seats: dict[str, int]
    applicants: pd.DataFrame
    choices: pd.DataFrame
    lottery: pd.DataFrame | None
    files: dict[str, bytes] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def having(self, *events: str) -> set[str]:
        """The applicants whose event is one of ``events``."""
        return {a for a, e in self.event.items() if e in events}


def read_changes(
    folder: Path,
    city: CityInput,
    held: np.ndarray,
    fixed_reserved: np.ndarray | None = None,
    strict: bool = False,
) -> Changes:
    """Read and check the changes folder ``folder`` against the state a round starts from.

    ``city`` is the previous round's input (validated), ``held`` the program index of
    the seat each of its applicants holds after the previous round (-1 for none), and
    ``fixed_reserved`` the seats per program that reserves.csv reserves as a number of
    seats (not a share), if any. Warnings about single rows are problems when ``strict``
    (``lottery round --strict``) or when the policy's ``[checks]`` says so, as in round 1.

    Raises :class:`~lottery.errors.InputError` with every problem found.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, None, "this changes folder does not exist")])
    log = ProblemLog(NOTICE_KINDS if strict else city.policy.checks.strict_kinds())
    for name, why in UNCHANGEABLE.items():
        if (folder / name).is_file():
            log.add(name, None, None, why)
    if not (folder / CHANGES_FILE).is_file():
        log.add(CHANGES_FILE, None, None, f"required file is missing from {folder}")

    def load(name, columns) -> Table | None:
        path = folder / name
        return read_table(path, *columns, log) if path.is_file() else None

    tables = {
        CHANGES_FILE: load(CHANGES_FILE, CHANGES_COLUMNS),
        APPLICANTS_FILE: load(APPLICANTS_FILE, APPLICANT_COLUMNS),
        CHOICES_FILE: load(CHOICES_FILE, CHOICE_COLUMNS),
        LOTTERY_FILE: load(LOTTERY_FILE, LOTTERY_COLUMNS),
    }
    previous = PreviousRound(city, held)
    rows = ApplicantRows(previous, log)
    rows.read(tables[APPLICANTS_FILE])
    events = EventChecks(previous, rows.line, log)
    if tables[CHANGES_FILE] is not None:
        events.read(tables[CHANGES_FILE])
    rows.check(events)
    choices = read_choices(tables[CHOICES_FILE], rows, events, log)
    lottery = read_lottery(tables[LOTTERY_FILE], rows, events, log)
    check_numbers_per_program(previous, choices, lottery, events, log)
    _check_seats(previous, events, rows, fixed_reserved, log)
    if tables[CHANGES_FILE] is not None:
        _check_lists_and_numbers(previous, events, rows, choices, lottery, log)
    try:
        log.raise_if_any()
    except InputError as error:
        raise InputError(
            error.problems, error.total, files=f"the changes folder {folder}"
        ) from None
    log.finish_notices()
    files = {}
    for name in CHANGE_FILES:
        table = tables[name]
        if table is not None:
            files[name] = (folder / name).read_bytes()
            if hashlib.sha256(files[name]).hexdigest() != table.sha256:
                raise UsageError(
                    f"{folder / name} changed while the round was running; run it again."
                )
    return Changes(
        event={a: e for a, (e, _) in events.first.items()},
        transfers={a: tuple(p) for a, p in events.transfers.items()},
        seats={p: v for p, (v, _) in events.seats.items()},
        applicants=rows.frame,
        choices=choices.frame,
        lottery=lottery.frame,
        files=files,
        warnings=tuple(log.warnings),
    )


def _check_seats(
    previous: PreviousRound,
    events: EventChecks,
    rows: ApplicantRows,
    fixed_reserved: np.ndarray | None,
    log: ProblemLog,
) -> None:
    """A seat change leaves room for every applicant who still holds a seat there and
    for the seats reserves.csv reserves; a new guarantee finds a seat beside them."""
    seat = events.keeps_seat()
    holders = np.bincount(seat[seat >= 0], minlength=len(previous.programs))
    seats = previous.programs.seats.copy()
    for program_id, (value, line) in events.seats.items():
        p = previous.program(program_id)
        seats[p] = value
        if value < holders[p]:
            log.add(
                CHANGES_FILE,
                line,
                "value",
                f'program "{program_id}" cannot have {value} seats: {holders[p]} applicants '
                "still hold seats there",
            )
        elif fixed_reserved is not None and value < fixed_reserved[p]:
            log.add(
                CHANGES_FILE,
                line,
                "value",
                f'program "{program_id}" cannot have {value} seats: {RESERVES_FILE} '
                f"reserves {fixed_reserved[p]} of them",
            )
    rows.check_guarantees(events, np.maximum(seats, holders), holders, seat)


def _check_lists_and_numbers(
    previous: PreviousRound,
    events: EventChecks,
    rows: ApplicantRows,
    choices: ChoiceRows,
    lottery: LotteryRows,
    log: ProblemLog,
) -> None:
    """An update_choices event comes with the whole new list; a new applicant of a
    lottery with one number per applicant from lottery.csv comes with that number."""
    external = previous.city.external_lottery
    for applicant_id, (event, line) in events.first.items():
        if event == UPDATE_CHOICES and applicant_id not in choices.listed:
            log.add(
                CHANGES_FILE,
                line,
                "applicant_id",
                f'applicant "{applicant_id}" has no rows in {CHOICES_FILE} of the changes '
                "folder (give their whole new list)",
            )
        if (
            event == NEW_APPLICANT
            and external is not None
            and not external.per_program
            and applicant_id in rows.line
            and applicant_id not in lottery.numbered
        ):
            log.add(
                CHANGES_FILE,
                line,
                "applicant_id",
                f'applicant "{applicant_id}" has no row in {LOTTERY_FILE} of the changes '
                f"folder (this lottery's numbers come from {LOTTERY_FILE})",
            )
