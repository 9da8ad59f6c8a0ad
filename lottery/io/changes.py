"""Read and check a round's changes folder (``lottery round``; see docs/rounds.md).

The folder holds ``changes.csv`` (one row per event) and, where events need them,
``applicants.csv``, ``choices.csv`` and ``lottery.csv`` in the round-1 formats with only
the new or changed rows. Every row is checked against the state the round starts from
(the previous round's input files and placements), and every problem is collected, with
its file, line and column, before one :class:`~lottery.errors.InputError` is raised.
Problems name the files of the changes folder (``changes.csv:4: event: ...``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lottery.city import CityInput
from lottery.errors import InputError, Problem, UsageError, shown
from lottery.io.csv_tables import ProblemLog, Table, read_table
from lottery.io.inputs import (
    APPLICANT_COLUMNS,
    APPLICANTS_FILE,
    CHOICE_COLUMNS,
    CHOICES_FILE,
    GRADES,
    LOTTERY_COLUMNS,
    LOTTERY_FILE,
    MAX_LOTTERY_NUMBER,
    PRIORITIES_FILE,
    PROGRAMS_FILE,
    RESERVES_FILE,
    _applicants,
    _choices,
)
from lottery.policy import POLICY_FILE

CHANGES_FILE = "changes.csv"
CHANGES_COLUMNS = (("event", "applicant_id", "program_id"), ("value", "note"))
CHANGE_FILES = (CHANGES_FILE, APPLICANTS_FILE, CHOICES_FILE, LOTTERY_FILE)
"""The files a changes folder may hold, in the order they are read."""

ACCEPT = "accept"
DECLINE = "decline"
WITHDRAW = "withdraw"
NEW_APPLICANT = "new_applicant"
UPDATE_CHOICES = "update_choices"
SEAT_CHANGE = "seat_change"
TRANSFER_REQUEST = "transfer_request"
EVENTS = (
    ACCEPT,
    DECLINE,
    WITHDRAW,
    NEW_APPLICANT,
    UPDATE_CHOICES,
    SEAT_CHANGE,
    TRANSFER_REQUEST,
)
NEW_LISTS = (NEW_APPLICANT, UPDATE_CHOICES)
"""Events whose applicant's whole list is given in the changes folder's choices.csv."""

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
    """

    event: dict[str, str]
    transfers: dict[str, tuple[str, ...]]
    seats: dict[str, int]
    applicants: pd.DataFrame
    choices: pd.DataFrame
    lottery: pd.DataFrame | None
    files: dict[str, bytes] = field(default_factory=dict)

    def having(self, *events: str) -> set[str]:
        """The applicants whose event is one of ``events``."""
        return {a for a, e in self.event.items() if e in events}


@dataclass(frozen=True, eq=False)
class _Roster:
    """The applicants a row of the changes folder may name: ID and grade (what the
    choices reader looks up)."""

    id: np.ndarray
    grade: np.ndarray


def read_changes(
    folder: Path,
    city: CityInput,
    held: np.ndarray,
    fixed_reserved: np.ndarray | None = None,
) -> Changes:
    """Read and check the changes folder ``folder`` against the state a round starts from.

    ``city`` is the previous round's input (validated), ``held`` the program index of
    the seat each of its applicants holds after the previous round (-1 for none), and
    ``fixed_reserved`` the seats per program that reserves.csv reserves as a number of
    seats (not a share), if any.

    Raises :class:`~lottery.errors.InputError` with every problem found.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, None, "this changes folder does not exist")])
    log = ProblemLog()
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
    checker = _Checker(city, held, fixed_reserved, log)
    checker.read_applicants(tables[APPLICANTS_FILE])
    if tables[CHANGES_FILE] is not None:
        checker.read_events(tables[CHANGES_FILE])
    checker.check_applicant_rows()
    choices = checker.read_choices(tables[CHOICES_FILE])
    lottery = checker.read_lottery(tables[LOTTERY_FILE])
    checker.check_numbers_per_program(choices)
    checker.check_after_reading(tables[CHANGES_FILE] is not None)
    log.raise_if_any()
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
        event={a: e for a, (e, _) in checker.first.items()},
        transfers={a: tuple(p) for a, p in checker.transfers.items()},
        seats={p: v for p, (v, _) in checker.seats.items()},
        applicants=checker.rows,
        choices=choices,
        lottery=lottery,
        files=files,
    )


class _Checker:
    """The checks of one changes folder; problems go to ``log``."""

    def __init__(self, city: CityInput, held, fixed_reserved, log: ProblemLog):
        self.city = city
        self.programs = city.programs
        self.held = np.asarray(held, dtype=np.int64)
        self.fixed_reserved = fixed_reserved
        self.log = log
        self.state_index = pd.Index(city.applicants.id)
        self.program_index = pd.Index(self.programs.id)
        # One dict lookup per event: a pandas lookup per event costs seconds at 50k.
        self._state_position = {a: i for i, a in enumerate(city.applicants.id.tolist())}
        self._program_position = {p: i for i, p in enumerate(self.programs.id.tolist())}
        self.first: dict[str, tuple[str, int]] = {}  # applicant -> (event, line)
        self.transfers: dict[str, list[str]] = {}
        self.transfer_line: dict[tuple[str, str], int] = {}
        self.seats: dict[str, tuple[int, int]] = {}  # program -> (seats, line)
        columns = APPLICANT_COLUMNS[0] + APPLICANT_COLUMNS[1]
        self.rows = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        self.row_line: dict[str, int] = {}
        self.row_grade: dict[str, str] = {}
        self.row_tags: dict[str, tuple[str, ...]] = {}
        self.row_guarantee: dict[str, int] = {}

    # ------------------------------------------------------------------ helpers

    def state(self, applicant_id: str) -> int:
        """Index of an applicant of the previous round, or -1."""
        return self._state_position.get(applicant_id, -1)

    def program(self, program_id: str) -> int:
        return self._program_position.get(program_id, -1)

    def add(self, name: str, line: int, column: str | None, message: str) -> None:
        self.log.add(name, line, column, message)

    def held_id(self, a: int) -> str:
        return self.programs.id[self.held[a]]

    def ranked_above_seat(self, a: int) -> list[int]:
        """Programs applicant ``a`` ranked above the seat they hold (all, if not ranked)."""
        choices = self.city.choices
        start, end = np.searchsorted(choices.applicant, [a, a + 1])
        ranked = choices.program[start:end].tolist()
        seat = self.held[a]
        return ranked[: ranked.index(seat)] if seat in ranked else ranked

    # ------------------------------------------------------------------ applicants.csv

    def read_applicants(self, table: Table | None) -> None:
        """New and changed rows: checked as in round 1, kept as read."""
        if table is None or not len(table):
            return
        records = _applicants(table, self.programs, self.log)
        self.rows = table.frame
        order = np.argsort(table.column("applicant_id"), kind="stable")
        for i, row in enumerate(order.tolist()):
            applicant_id = records.id[i]
            if not applicant_id or applicant_id in self.row_line:  # reported by the reader
                continue
            self.row_line[applicant_id] = int(table.lines[row])
            self.row_grade[applicant_id] = records.grade[i]
            self.row_tags[applicant_id] = records.tags[i]
            self.row_guarantee[applicant_id] = int(records.guaranteed_program[i])

    # ------------------------------------------------------------------ changes.csv

    def read_events(self, table: Table) -> None:
        events, applicant_ids = table.column("event"), table.column("applicant_id")
        program_ids, values = table.column("program_id"), table.column("value")
        for row in range(len(table)):
            line = int(table.lines[row])
            raw, applicant_id = events[row], applicant_ids[row]
            program_id, value = program_ids[row], values[row]
            event = raw.lower()
            if not event:
                self.add(CHANGES_FILE, line, "event", "this cell must not be blank")
                continue
            if event not in EVENTS:
                self.add(
                    CHANGES_FILE,
                    line,
                    "event",
                    f'unknown event "{shown(raw)}" (events: {", ".join(EVENTS)})',
                )
                continue
            if event != SEAT_CHANGE and value:
                self.add(
                    CHANGES_FILE,
                    line,
                    "value",
                    f"leave value blank for {event} (only seat_change uses it)",
                )
            if event == SEAT_CHANGE:
                self.seat_change(line, applicant_id, program_id, value)
                continue
            if not applicant_id:
                self.add(CHANGES_FILE, line, "applicant_id", "this cell must not be blank")
                continue
            if applicant_id in self.first:
                earlier, earlier_line = self.first[applicant_id]
                if not event == earlier == TRANSFER_REQUEST:
                    self.add(
                        CHANGES_FILE,
                        line,
                        "event",
                        f'applicant "{shown(applicant_id)}" already has an event on line '
                        f"{earlier_line} "
                        f"({earlier}); give each applicant one event (only transfer_request "
                        "may repeat)",
                    )
                    continue
            else:
                self.first[applicant_id] = (event, line)
            self.applicant_event(line, event, applicant_id, program_id)

    def applicant_event(self, line: int, event: str, applicant_id: str, program_id: str) -> None:
        a = self.state(applicant_id)
        if event == NEW_APPLICANT:
            if a >= 0:
                self.add(
                    CHANGES_FILE,
                    line,
                    "applicant_id",
                    f'applicant "{applicant_id}" is already in the lottery; new_applicant is '
                    "for applicants who are not",
                )
            elif applicant_id not in self.row_line:
                self.add(
                    CHANGES_FILE,
                    line,
                    "applicant_id",
                    f'applicant "{shown(applicant_id)}" has no row in {APPLICANTS_FILE} of the '
                    "changes folder",
                )
            self.blank_program(line, event, program_id)
            return
        if a < 0:
            self.add(
                CHANGES_FILE, line, "applicant_id", f'unknown applicant "{shown(applicant_id)}"'
            )
            return
        holds = self.held[a] >= 0
        if event in (ACCEPT, DECLINE):
            if not holds:
                self.add(
                    CHANGES_FILE,
                    line,
                    "applicant_id",
                    f'applicant "{applicant_id}" holds no seat, so there is no seat to {event}',
                )
            elif not program_id:
                self.add(
                    CHANGES_FILE,
                    line,
                    "program_id",
                    f"this cell must not be blank (the program of the seat to {event})",
                )
            else:
                self.is_held(line, a, applicant_id, program_id)
        elif event == WITHDRAW:
            if program_id and not holds:
                if self.known_program(line, program_id) >= 0:
                    self.add(
                        CHANGES_FILE,
                        line,
                        "program_id",
                        f'applicant "{applicant_id}" holds no seat; leave program_id blank',
                    )
            elif program_id:
                self.is_held(line, a, applicant_id, program_id)
        elif event == UPDATE_CHOICES:
            self.blank_program(line, event, program_id)
        elif event == TRANSFER_REQUEST:
            self.transfer_request(line, a, applicant_id, program_id)

    def blank_program(self, line: int, event: str, program_id: str) -> None:
        if program_id:
            self.add(CHANGES_FILE, line, "program_id", f"leave program_id blank for {event}")

    def known_program(self, line: int, program_id: str) -> int:
        p = self.program(program_id)
        if p < 0:
            self.add(CHANGES_FILE, line, "program_id", f'unknown program "{shown(program_id)}"')
        return p

    def is_held(self, line: int, a: int, applicant_id: str, program_id: str) -> None:
        p = self.known_program(line, program_id)
        if p >= 0 and p != self.held[a]:
            self.add(
                CHANGES_FILE,
                line,
                "program_id",
                f'applicant "{applicant_id}" holds a seat at "{self.held_id(a)}", '
                f'not at "{program_id}"',
            )

    def transfer_request(self, line: int, a: int, applicant_id: str, program_id: str) -> None:
        if self.held[a] < 0:
            self.add(
                CHANGES_FILE,
                line,
                "applicant_id",
                f'applicant "{applicant_id}" holds no seat; a transfer_request is for an '
                "applicant who holds one (use update_choices for the others)",
            )
            return
        if not program_id:
            self.add(
                CHANGES_FILE,
                line,
                "program_id",
                "this cell must not be blank (the program the applicant asks to move to)",
            )
            return
        p = self.known_program(line, program_id)
        if p < 0:
            return
        grade = self.city.applicants.grade[a]
        earlier = self.transfer_line.get((applicant_id, program_id))
        if p == self.held[a]:
            message = f'applicant "{applicant_id}" already holds a seat at "{program_id}"'
        elif self.programs.grade[p] != grade:
            message = (
                f'program "{program_id}" is for grade {self.programs.grade[p]} but applicant '
                f'"{applicant_id}" applies for grade {grade}'
            )
        elif p in self.ranked_above_seat(a):
            message = (
                f'applicant "{applicant_id}" already ranks "{program_id}" above the seat they '
                "hold, so they are already waiting for it"
            )
        elif earlier is not None:
            message = (
                f'applicant "{applicant_id}" already asks for "{program_id}" on line {earlier}'
            )
        else:
            self.transfers.setdefault(applicant_id, []).append(program_id)
            self.transfer_line[applicant_id, program_id] = line
            return
        self.add(CHANGES_FILE, line, "program_id", message)

    def seat_change(self, line: int, applicant_id: str, program_id: str, value: str) -> None:
        if applicant_id:
            self.add(CHANGES_FILE, line, "applicant_id", "leave applicant_id blank for seat_change")
        if not program_id:
            self.add(CHANGES_FILE, line, "program_id", "this cell must not be blank")
            return
        if self.known_program(line, program_id) < 0:
            return
        if program_id in self.seats:
            self.add(
                CHANGES_FILE,
                line,
                "program_id",
                f'program "{program_id}" already has a seat_change on line '
                f"{self.seats[program_id][1]}",
            )
        elif not value:
            self.add(
                CHANGES_FILE,
                line,
                "value",
                "this cell must not be blank (the program's new number of seats)",
            )
        elif not re.fullmatch(r"[0-9]{1,9}", value):
            self.add(
                CHANGES_FILE,
                line,
                "value",
                f'"{shown(value)}" is not a whole number of seats (0 or more)',
            )
        else:
            self.seats[program_id] = (int(value), line)

    # ------------------------------------------------------------------ cross-checks

    def keeps_seat(self) -> np.ndarray:
        """Per applicant of the previous round: the seat they still hold after this
        round's declines and withdrawals (-1 for none)."""
        gone = [a for a, (e, _) in self.first.items() if e in (DECLINE, WITHDRAW)]
        seat = self.held.copy()
        found = self.state_index.get_indexer(gone) if gone else np.zeros(0, dtype=np.int64)
        seat[found[found >= 0]] = -1
        return seat

    def check_applicant_rows(self) -> None:
        """Rows of applicants.csv: for a new applicant (with a new_applicant event) or an
        applicant of the lottery who stays in it, with the same grade."""
        for applicant_id, line in self.row_line.items():
            event, event_line = self.first.get(applicant_id, ("", 0))
            a = self.state(applicant_id)
            if a < 0:
                if event != NEW_APPLICANT:
                    self.add(
                        APPLICANTS_FILE,
                        line,
                        "applicant_id",
                        f'applicant "{applicant_id}" is not in the lottery; add a new_applicant '
                        f"event for them to {CHANGES_FILE}",
                    )
                continue
            if event == WITHDRAW:
                self.add(
                    APPLICANTS_FILE,
                    line,
                    "applicant_id",
                    f'applicant "{applicant_id}" withdraws ({CHANGES_FILE} line {event_line}); '
                    "remove this row",
                )
                continue
            if event == NEW_APPLICANT:
                continue  # reported on the event's line
            grade = self.city.applicants.grade[a]
            if self.row_grade[applicant_id] in GRADES and self.row_grade[applicant_id] != grade:
                self.add(
                    APPLICANTS_FILE,
                    line,
                    "grade",
                    f'applicant "{applicant_id}" applies for grade {grade}; a changed row cannot '
                    "change the grade",
                )
            seat = self.held[a]
            if seat < 0 or event == DECLINE:
                continue
            if self.row_guarantee[applicant_id] not in (-1, seat):
                self.add(
                    APPLICANTS_FILE,
                    line,
                    "guaranteed_program_id",
                    f'applicant "{applicant_id}" holds a seat at "{self.held_id(a)}", which '
                    "stays their guarantee; leave guaranteed_program_id blank",
                )
            required = self.programs.requires_tags[seat]
            if not set(required) <= set(self.row_tags[applicant_id]):
                self.add(
                    APPLICANTS_FILE,
                    line,
                    "tags",
                    f'applicant "{applicant_id}" holds a seat at "{self.held_id(a)}", which '
                    f"requires the tag(s) {', '.join(required)}; this row does not give them",
                )

    def check_after_reading(self, have_events: bool) -> None:
        seat = self.keeps_seat()
        holders = np.bincount(seat[seat >= 0], minlength=len(self.programs))
        seats = self.programs.seats.copy()
        for program_id, (value, line) in self.seats.items():
            p = self.program(program_id)
            seats[p] = value
            if value < holders[p]:
                self.add(
                    CHANGES_FILE,
                    line,
                    "value",
                    f'program "{program_id}" cannot have {value} seats: {holders[p]} applicants '
                    "still hold seats there",
                )
            elif self.fixed_reserved is not None and value < self.fixed_reserved[p]:
                self.add(
                    CHANGES_FILE,
                    line,
                    "value",
                    f'program "{program_id}" cannot have {value} seats: {RESERVES_FILE} '
                    f"reserves {self.fixed_reserved[p]} of them",
                )
        self.check_new_guarantees(np.maximum(seats, holders), holders, seat)
        if not have_events:
            return
        for applicant_id, (event, line) in self.first.items():
            if event == UPDATE_CHOICES and applicant_id not in self.listed:
                self.add(
                    CHANGES_FILE,
                    line,
                    "applicant_id",
                    f'applicant "{applicant_id}" has no rows in {CHOICES_FILE} of the changes '
                    "folder (give their whole new list)",
                )
            if (
                event == NEW_APPLICANT
                and self.city.external_lottery is not None
                and not self.city.external_lottery.per_program
                and applicant_id in self.row_line
                and applicant_id not in self.numbered
            ):
                self.add(
                    CHANGES_FILE,
                    line,
                    "applicant_id",
                    f'applicant "{applicant_id}" has no row in {LOTTERY_FILE} of the changes '
                    f"folder (this lottery's numbers come from {LOTTERY_FILE})",
                )

    def check_new_guarantees(self, capacity: np.ndarray, holders: np.ndarray, seat) -> None:
        """A guarantee in a new or changed row (of an applicant without a seat) must suit
        the applicant and find a seat beside those still held."""
        taken = holders.copy()
        for applicant_id, p in sorted(self.row_guarantee.items()):
            a = self.state(applicant_id)
            event = self.first.get(applicant_id, ("", 0))[0]
            if p < 0 or (a >= 0 and (seat[a] >= 0 or event == WITHDRAW)):
                continue
            line = self.row_line[applicant_id]
            if event == DECLINE:
                self.add(
                    APPLICANTS_FILE,
                    line,
                    "guaranteed_program_id",
                    f'applicant "{applicant_id}" declines their seat ({CHANGES_FILE} line '
                    f"{self.first[applicant_id][1]}); leave guaranteed_program_id blank",
                )
                continue
            program_id = self.programs.id[p]
            grade = self.row_grade[applicant_id]
            required = self.programs.requires_tags[p]
            if self.programs.grade[p] != grade:
                message = (
                    f'program "{program_id}" is for grade {self.programs.grade[p]}, not grade '
                    f"{grade}"
                )
            elif not set(required) <= set(self.row_tags[applicant_id]):
                message = (
                    f'program "{program_id}" requires the tag(s) {", ".join(required)}, which '
                    "this applicant does not have, so it cannot be guaranteed"
                )
            elif taken[p] >= capacity[p]:
                message = (
                    f'program "{program_id}" has no seat left to guarantee: its {capacity[p]} '
                    "seats are held or guaranteed already"
                )
            else:
                taken[p] += 1
                continue
            self.add(APPLICANTS_FILE, line, "guaranteed_program_id", message)

    # ------------------------------------------------------------------ choices.csv

    def roster(self) -> _Roster:
        """The applicants of the previous round who stay, and the new ones, with grades."""
        applicants = self.city.applicants
        new = sorted(a for a in self.row_line if self.state(a) < 0)
        ids = np.concatenate([applicants.id, np.array(new, dtype=object)])
        grades = np.concatenate(
            [applicants.grade, np.array([self.row_grade[a] for a in new], dtype=object)]
        )
        return _Roster(ids, grades)

    def read_choices(self, table: Table | None) -> pd.DataFrame:
        self.listed: set[str] = set()
        self.choice_lines = np.zeros(0, dtype=np.int64)
        empty = pd.DataFrame(
            {
                "applicant_id": pd.Series(dtype=object),
                "rank": pd.Series(dtype=np.int64),
                "program_id": pd.Series(dtype=object),
            }
        )
        if table is None or not len(table):
            return empty
        roster = self.roster()
        choices = _choices(table, self.programs, roster, self.log)
        known = choices.applicant >= 0
        applicant_ids = table.column("applicant_id")
        on_roster = pd.Index(roster.id).get_indexer(applicant_ids) >= 0
        seen: set[str] = set()
        for row in range(len(table)):
            applicant_id = applicant_ids[row]
            if applicant_id in seen or not on_roster[row]:
                continue
            seen.add(applicant_id)
            if self.first.get(applicant_id, ("", 0))[0] not in NEW_LISTS:
                self.add(
                    CHOICES_FILE,
                    int(table.lines[row]),
                    "applicant_id",
                    f'applicant "{applicant_id}" has no new_applicant or update_choices event in '
                    f"{CHANGES_FILE}, so their choices cannot change here",
                )
        self.listed = seen
        known &= choices.program >= 0
        self.choice_lines = choices.line[known]
        return pd.DataFrame(
            {
                "applicant_id": roster.id[choices.applicant[known]],
                "rank": choices.rank[known].astype(np.int64),
                "program_id": self.programs.id[choices.program[known]],
            }
        )

    # ------------------------------------------------------------------ lottery.csv

    def existing_numbers(self) -> set[tuple[str, str]]:
        """(applicant, program or '') of every number in the previous round's lottery.csv."""
        external = self.city.external_lottery
        return set(
            zip(
                self.city.applicants.id[external.applicant].tolist(),
                np.where(external.program >= 0, self.programs.id[external.program], "").tolist(),
                strict=True,
            )
        )

    def check_numbers_per_program(self, choices: pd.DataFrame) -> None:
        """With numbers per program from lottery.csv, a program newly on a list (a new
        list or a transfer request) needs a number, unless the applicant has one for
        every program."""
        external = self.city.external_lottery
        if external is None or not external.per_program:
            return
        numbered = self.existing_numbers() | self.new_numbers

        def missing(applicant_id: str, program_id: str) -> bool:
            return (applicant_id, program_id) not in numbered and (applicant_id, "") not in numbered

        message = (
            'no lottery number for applicant "{}" at program "{}": add a row to '
            f"{LOTTERY_FILE} of the changes folder (this lottery's numbers come from "
            f"{LOTTERY_FILE})"
        )
        for applicant_id, program_id, line in zip(
            choices["applicant_id"].tolist(),
            choices["program_id"].tolist(),
            self.choice_lines.tolist(),
            strict=True,
        ):
            if missing(applicant_id, program_id):
                self.add(CHOICES_FILE, line, "program_id", message.format(applicant_id, program_id))
        for (applicant_id, program_id), line in self.transfer_line.items():
            if missing(applicant_id, program_id):
                self.add(CHANGES_FILE, line, "program_id", message.format(applicant_id, program_id))

    def read_lottery(self, table: Table | None) -> pd.DataFrame | None:
        self.numbered: set[str] = set()
        self.new_numbers: set[tuple[str, str]] = set()
        if table is None:
            return None
        external = self.city.external_lottery
        if external is None:
            self.add(
                LOTTERY_FILE,
                None,
                None,
                "this lottery's numbers come from its published seed, so lottery.csv cannot be "
                "added in a later round",
            )
            return None
        existing = self.existing_numbers()
        roster = set(self.roster().id.tolist())
        applicant_ids, program_ids = table.column("applicant_id"), table.column("program_id")
        numbers = table.column("lottery_number")
        for row in range(len(table)):
            line = int(table.lines[row])
            applicant_id, program_id, number = applicant_ids[row], program_ids[row], numbers[row]
            if not applicant_id:
                self.add(LOTTERY_FILE, line, "applicant_id", "this cell must not be blank")
            elif applicant_id not in roster:
                self.add(
                    LOTTERY_FILE, line, "applicant_id", f'unknown applicant "{shown(applicant_id)}"'
                )
            elif self.first.get(applicant_id, ("", 0))[0] == WITHDRAW:
                self.add(
                    LOTTERY_FILE,
                    line,
                    "applicant_id",
                    f'applicant "{applicant_id}" withdraws ({CHANGES_FILE} line '
                    f"{self.first[applicant_id][1]}); remove this row",
                )
            elif (applicant_id, program_id) in existing:
                where = f' at program "{program_id}"' if program_id else ""
                self.add(
                    LOTTERY_FILE,
                    line,
                    "applicant_id",
                    f'applicant "{applicant_id}" already has a lottery number{where}; lottery '
                    "numbers never change",
                )
            else:
                self.numbered.add(applicant_id)
                self.new_numbers.add((applicant_id, program_id))
            if program_id and self.program(program_id) < 0:
                self.add(LOTTERY_FILE, line, "program_id", f'unknown program "{shown(program_id)}"')
            if not re.fullmatch(r"[0-9]{1,20}", number) or int(number) > MAX_LOTTERY_NUMBER:
                self.add(
                    LOTTERY_FILE,
                    line,
                    "lottery_number",
                    f'"{shown(number)}" is not a lottery number (a whole number from 0 to '
                    f"{MAX_LOTTERY_NUMBER})",
                )
        return table.frame
