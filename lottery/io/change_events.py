"""The events of a round's changes folder: ``changes.csv``, its words and its checks.

Each row of ``changes.csv`` is one event: an applicant accepts, declines or gives up a
seat, joins late, changes their list or asks for a transfer, or a program's number of
seats changes. :class:`EventChecks` checks every row against :class:`PreviousRound`, the
state the round starts from, and keeps what the rows say for the checks of the other
files (:mod:`lottery.io.change_rows`) and for :func:`lottery.io.changes.read_changes`.
"""

from __future__ import annotations

import re
from collections.abc import Container

import numpy as np
import pandas as pd

from lottery.city import CityInput
from lottery.errors import shown
from lottery.io.applicants_file import APPLICANTS_FILE
from lottery.io.csv_tables import ProblemLog, Table
from lottery.io.input_cells import Suggestions

CHANGES_FILE = "changes.csv"
CHANGES_COLUMNS = (("event", "applicant_id", "program_id"), ("value", "note"))

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


class PreviousRound:
    """The state a round starts from, as the checks of its changes folder look it up.

    ``city`` is the previous round's input (validated) and ``held`` the program index of
    the seat each of its applicants holds after that round (-1 for none).
    """

    def __init__(self, city: CityInput, held: np.ndarray):
        self.city = city
        self.programs = city.programs
        self.held = np.asarray(held, dtype=np.int64)
        self.applicant_index = pd.Index(city.applicants.id)
        # One dict lookup per event: a pandas lookup per event costs seconds at 50k.
        self._applicant_position = {a: i for i, a in enumerate(city.applicants.id.tolist())}
        self._program_position = {p: i for i, p in enumerate(self.programs.id.tolist())}

    def applicant(self, applicant_id: str) -> int:
        """Index of an applicant of the previous round, or -1."""
        return self._applicant_position.get(applicant_id, -1)

    def program(self, program_id: str) -> int:
        """Index of a program, or -1."""
        return self._program_position.get(program_id, -1)

    def held_id(self, a: int) -> str:
        """The program ID of the seat applicant ``a`` holds."""
        return self.programs.id[self.held[a]]

    def ranked_above_seat(self, a: int) -> list[int]:
        """Programs applicant ``a`` ranked above the seat they hold (all, if not ranked)."""
        choices = self.city.choices
        start, end = np.searchsorted(choices.applicant, [a, a + 1])
        ranked = choices.program[start:end].tolist()
        seat = self.held[a]
        return ranked[: ranked.index(seat)] if seat in ranked else ranked

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


class EventChecks:
    """The rows of changes.csv, checked one by one; problems go to ``log``.

    ``new_rows`` are the applicants with a row in the changes folder's applicants.csv
    (a new applicant needs one). After :meth:`read`: ``first`` maps each applicant to
    their event and its line, ``transfers`` each transfer request's applicant to the
    programs asked for (file order) and ``transfer_line`` each (applicant, program) to its
    line, ``seats`` each program with a seat change to its new seats and the line.
    """

    def __init__(self, previous: PreviousRound, new_rows: Container[str], log: ProblemLog):
        self.previous = previous
        self.programs = previous.programs
        self.held = previous.held
        self.new_rows = new_rows
        self.log = log
        self.first: dict[str, tuple[str, int]] = {}  # applicant -> (event, line)
        self.transfers: dict[str, list[str]] = {}
        self.transfer_line: dict[tuple[str, str], int] = {}
        self.seats: dict[str, tuple[int, int]] = {}  # program -> (seats, line)
        # The "did you mean" of an unknown applicant or program (built at the first one).
        self.guess_applicant = Suggestions(previous.city.applicants.id, close_matches=False)
        self.guess_program = Suggestions(previous.programs.id)

    def event_of(self, applicant_id: str) -> str:
        """The applicant's event, or '' for none."""
        return self.first.get(applicant_id, ("", 0))[0]

    def keeps_seat(self) -> np.ndarray:
        """Per applicant of the previous round: the seat they still hold after this
        round's declines and withdrawals (-1 for none)."""
        gone = [a for a, (e, _) in self.first.items() if e in (DECLINE, WITHDRAW)]
        seat = self.held.copy()
        found = (
            self.previous.applicant_index.get_indexer(gone) if gone else np.zeros(0, dtype=np.int64)
        )
        seat[found[found >= 0]] = -1
        return seat

    def add(self, line: int, column: str, message: str) -> None:
        self.log.add(CHANGES_FILE, line, column, message)

    def read(self, table: Table) -> None:
        """Check every row of changes.csv and keep what the valid ones say."""
        events, applicant_ids = table.column("event"), table.column("applicant_id")
        program_ids, values = table.column("program_id"), table.column("value")
        for row in range(len(table)):
            line = int(table.lines[row])
            raw, applicant_id = events[row], applicant_ids[row]
            program_id, value = program_ids[row], values[row]
            event = raw.lower()
            if not event:
                self.add(line, "event", "this cell must not be blank")
                continue
            if event not in EVENTS:
                self.add(
                    line,
                    "event",
                    f'unknown event "{shown(raw)}" (events: {", ".join(EVENTS)})',
                )
                continue
            if event != SEAT_CHANGE and value:
                self.add(line, "value", f"leave value blank for {event} (only seat_change uses it)")
            if event == SEAT_CHANGE:
                self.seat_change(line, applicant_id, program_id, value)
                continue
            if not applicant_id:
                self.add(line, "applicant_id", "this cell must not be blank")
                continue
            if applicant_id in self.first:
                earlier, earlier_line = self.first[applicant_id]
                if not event == earlier == TRANSFER_REQUEST:
                    self.add(
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
        a = self.previous.applicant(applicant_id)
        if event == NEW_APPLICANT:
            if a >= 0:
                self.add(
                    line,
                    "applicant_id",
                    f'applicant "{applicant_id}" is already in the lottery; new_applicant is '
                    "for applicants who are not",
                )
            elif applicant_id not in self.new_rows:
                self.add(
                    line,
                    "applicant_id",
                    f'applicant "{shown(applicant_id)}" has no row in {APPLICANTS_FILE} of the '
                    "changes folder",
                )
            self.blank_program(line, event, program_id)
            return
        if a < 0:
            hint = self.guess_applicant.hint(applicant_id)
            self.add(line, "applicant_id", f'unknown applicant "{shown(applicant_id)}"{hint}')
            return
        holds = self.held[a] >= 0
        if event in (ACCEPT, DECLINE):
            if not holds:
                self.add(
                    line,
                    "applicant_id",
                    f'applicant "{applicant_id}" holds no seat, so there is no seat to {event}',
                )
            elif not program_id:
                self.add(
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
            self.add(line, "program_id", f"leave program_id blank for {event}")

    def known_program(self, line: int, program_id: str) -> int:
        p = self.previous.program(program_id)
        if p < 0:
            hint = self.guess_program.hint(program_id)
            self.add(line, "program_id", f'unknown program "{shown(program_id)}"{hint}')
        return p

    def is_held(self, line: int, a: int, applicant_id: str, program_id: str) -> None:
        p = self.known_program(line, program_id)
        if p >= 0 and p != self.held[a]:
            self.add(
                line,
                "program_id",
                f'applicant "{applicant_id}" holds a seat at "{self.previous.held_id(a)}", '
                f'not at "{program_id}"',
            )

    def transfer_request(self, line: int, a: int, applicant_id: str, program_id: str) -> None:
        if self.held[a] < 0:
            self.add(
                line,
                "applicant_id",
                f'applicant "{applicant_id}" holds no seat; a transfer_request is for an '
                "applicant who holds one (use update_choices for the others)",
            )
            return
        if not program_id:
            self.add(
                line,
                "program_id",
                "this cell must not be blank (the program the applicant asks to move to)",
            )
            return
        p = self.known_program(line, program_id)
        if p < 0:
            return
        grade = self.previous.city.applicants.grade[a]
        earlier = self.transfer_line.get((applicant_id, program_id))
        if p == self.held[a]:
            message = f'applicant "{applicant_id}" already holds a seat at "{program_id}"'
        elif self.programs.grade[p] != grade:
            message = (
                f'program "{program_id}" is for grade {self.programs.grade[p]} but applicant '
                f'"{applicant_id}" applies for grade {grade}'
            )
        elif p in self.previous.ranked_above_seat(a):
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
        self.add(line, "program_id", message)

    def seat_change(self, line: int, applicant_id: str, program_id: str, value: str) -> None:
        if applicant_id:
            self.add(line, "applicant_id", "leave applicant_id blank for seat_change")
        if not program_id:
            self.add(line, "program_id", "this cell must not be blank")
            return
        if self.known_program(line, program_id) < 0:
            return
        if program_id in self.seats:
            self.add(
                line,
                "program_id",
                f'program "{program_id}" already has a seat_change on line '
                f"{self.seats[program_id][1]}",
            )
        elif not value:
            self.add(
                line,
                "value",
                "this cell must not be blank (the program's new number of seats)",
            )
        elif not re.fullmatch(r"[0-9]{1,9}", value):
            self.add(
                line,
                "value",
                f'"{shown(value)}" is not a whole number of seats (0 or more)',
            )
        else:
            self.seats[program_id] = (int(value), line)
