"""The rows a round's changes folder adds: its applicants.csv, choices.csv and lottery.csv.

Each file has the round-1 format and only the new or changed rows. The rows are read
with the round-1 checks (:mod:`lottery.io.inputs`), then checked against the state the
round starts from (:class:`~lottery.io.change_events.PreviousRound`) and the events of
changes.csv (:class:`~lottery.io.change_events.EventChecks`): a row must belong to an
applicant whose event allows it, and must not change what a round cannot change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lottery.errors import shown
from lottery.io import choices_file
from lottery.io.applicants_file import APPLICANT_COLUMNS, APPLICANTS_FILE, read_applicants
from lottery.io.change_events import (
    CHANGES_FILE,
    DECLINE,
    NEW_APPLICANT,
    NEW_LISTS,
    WITHDRAW,
    EventChecks,
    PreviousRound,
)
from lottery.io.choices_file import CHOICES_FILE
from lottery.io.csv_tables import ProblemLog, Table
from lottery.io.input_cells import GRADES, Suggestions
from lottery.io.lottery_file import LOTTERY_FILE, MAX_LOTTERY_NUMBER
from lottery.policy import tier_criteria


@dataclass(frozen=True, eq=False)
class Roster:
    """The applicants a row of the changes folder may name: ID and grade (what the
    choices reader looks up)."""

    id: np.ndarray
    grade: np.ndarray


class ApplicantRows:
    """The rows of the changes folder's applicants.csv; problems go to ``log``.

    After :meth:`read`: ``frame`` holds the rows as read (stripped text, every column);
    ``line``, ``grade``, ``tags`` and ``guarantee`` (a program index, or -1) map each
    applicant with a row to what it says.
    """

    def __init__(self, previous: PreviousRound, log: ProblemLog):
        self.previous = previous
        self.programs = previous.programs
        self.held = previous.held
        self.log = log
        columns = APPLICANT_COLUMNS[0] + APPLICANT_COLUMNS[1]
        self.frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        self.line: dict[str, int] = {}
        self.grade: dict[str, str] = {}
        self.tags: dict[str, tuple[str, ...]] = {}
        self.guarantee: dict[str, int] = {}

    def add(self, line: int, column: str, message: str) -> None:
        self.log.add(APPLICANTS_FILE, line, column, message)

    def read(self, table: Table | None) -> None:
        """New and changed rows: checked as in round 1, kept as read."""
        if table is None or not len(table):
            return
        records = read_applicants(table, self.programs, self.log, self._criteria_used())
        self.frame = table.frame
        order = np.argsort(table.column("applicant_id"), kind="stable")
        for i, row in enumerate(order.tolist()):
            applicant_id = records.id[i]
            if not applicant_id or applicant_id in self.line:  # reported by the reader
                continue
            self.line[applicant_id] = int(table.lines[row])
            self.grade[applicant_id] = records.grade[i]
            self.tags[applicant_id] = records.tags[i]
            self.guarantee[applicant_id] = int(records.guaranteed_program[i])

    def _criteria_used(self) -> frozenset[str]:
        """The criteria the city's priority tiers and reserve categories name: as in
        round 1, a zone or school that matches nothing is noticed only where it costs a
        priority."""
        city = self.previous.city
        used = set(city.policy.criteria())
        if city.reserves is not None:
            for category in set(city.reserves.category.tolist()):
                used |= set(tier_criteria(category))
        return frozenset(used)

    def roster(self) -> Roster:
        """The applicants of the previous round who stay, and the new ones, with grades."""
        applicants = self.previous.city.applicants
        new = sorted(a for a in self.line if self.previous.applicant(a) < 0)
        ids = np.concatenate([applicants.id, np.array(new, dtype=object)])
        grades = np.concatenate(
            [applicants.grade, np.array([self.grade[a] for a in new], dtype=object)]
        )
        return Roster(ids, grades)

    def check(self, events: EventChecks) -> None:
        """Each row is for a new applicant (with a new_applicant event) or an applicant
        of the lottery who stays in it, with the same grade."""
        for applicant_id, line in self.line.items():
            event, event_line = events.first.get(applicant_id, ("", 0))
            a = self.previous.applicant(applicant_id)
            if a < 0:
                if event != NEW_APPLICANT:
                    self.add(
                        line,
                        "applicant_id",
                        f'applicant "{applicant_id}" is not in the lottery; add a new_applicant '
                        f"event for them to {CHANGES_FILE}",
                    )
                continue
            if event == WITHDRAW:
                self.add(
                    line,
                    "applicant_id",
                    f'applicant "{applicant_id}" withdraws ({CHANGES_FILE} line {event_line}); '
                    "remove this row",
                )
                continue
            if event == NEW_APPLICANT:
                continue  # reported on the event's line
            grade = self.previous.city.applicants.grade[a]
            if self.grade[applicant_id] in GRADES and self.grade[applicant_id] != grade:
                self.add(
                    line,
                    "grade",
                    f'applicant "{applicant_id}" applies for grade {grade}; a changed row cannot '
                    "change the grade",
                )
            seat = self.held[a]
            if seat < 0 or event == DECLINE:
                continue
            if self.guarantee[applicant_id] not in (-1, seat):
                self.add(
                    line,
                    "guaranteed_program_id",
                    f'applicant "{applicant_id}" holds a seat at "{self.previous.held_id(a)}", '
                    "which stays their guarantee; leave guaranteed_program_id blank",
                )
            required = self.programs.requires_tags[seat]
            if not set(required) <= set(self.tags[applicant_id]):
                self.add(
                    line,
                    "tags",
                    f'applicant "{applicant_id}" holds a seat at "{self.previous.held_id(a)}", '
                    f"which requires the tag(s) {', '.join(required)}; this row does not give "
                    "them",
                )

    def check_guarantees(
        self, events: EventChecks, capacity: np.ndarray, holders: np.ndarray, seat: np.ndarray
    ) -> None:
        """A guarantee in a new or changed row (of an applicant without a seat) must suit
        the applicant and find a seat beside those still held."""
        taken = holders.copy()
        for applicant_id, p in sorted(self.guarantee.items()):
            a = self.previous.applicant(applicant_id)
            event = events.event_of(applicant_id)
            if p < 0 or (a >= 0 and (seat[a] >= 0 or event == WITHDRAW)):
                continue
            line = self.line[applicant_id]
            if event == DECLINE:
                self.add(
                    line,
                    "guaranteed_program_id",
                    f'applicant "{applicant_id}" declines their seat ({CHANGES_FILE} line '
                    f"{events.first[applicant_id][1]}); leave guaranteed_program_id blank",
                )
                continue
            program_id = self.programs.id[p]
            grade = self.grade[applicant_id]
            required = self.programs.requires_tags[p]
            if self.programs.grade[p] != grade:
                message = (
                    f'program "{program_id}" is for grade {self.programs.grade[p]}, not grade '
                    f"{grade}"
                )
            elif not set(required) <= set(self.tags[applicant_id]):
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
            self.add(line, "guaranteed_program_id", message)


@dataclass(frozen=True, eq=False)
class ChoiceRows:
    """The valid rows of the changes folder's choices.csv: ``frame`` (``applicant_id``,
    ``rank`` as an integer, ``program_id``) and the ``lines`` they came from;
    ``listed`` are the applicants with rows."""

    frame: pd.DataFrame
    lines: np.ndarray
    listed: set[str]


def read_choices(
    table: Table | None, rows: ApplicantRows, events: EventChecks, log: ProblemLog
) -> ChoiceRows:
    """Whole new lists, checked as in round 1, each for an applicant whose event gives
    a new list (new_applicant or update_choices)."""
    empty = pd.DataFrame(
        {
            "applicant_id": pd.Series(dtype=object),
            "rank": pd.Series(dtype=np.int64),
            "program_id": pd.Series(dtype=object),
        }
    )
    if table is None or not len(table):
        return ChoiceRows(empty, np.zeros(0, dtype=np.int64), set())
    programs = rows.programs
    roster = rows.roster()
    choices = choices_file.read_choices(table, programs, roster, log)
    known = choices.applicant >= 0
    applicant_ids = table.column("applicant_id")
    on_roster = pd.Index(roster.id).get_indexer(applicant_ids) >= 0
    seen: set[str] = set()
    for row in range(len(table)):
        applicant_id = applicant_ids[row]
        if applicant_id in seen or not on_roster[row]:
            continue
        seen.add(applicant_id)
        if events.event_of(applicant_id) not in NEW_LISTS:
            log.add(
                CHOICES_FILE,
                int(table.lines[row]),
                "applicant_id",
                f'applicant "{applicant_id}" has no new_applicant or update_choices event in '
                f"{CHANGES_FILE}, so their choices cannot change here",
            )
    known &= choices.program >= 0
    frame = pd.DataFrame(
        {
            "applicant_id": roster.id[choices.applicant[known]],
            "rank": choices.rank[known].astype(np.int64),
            "program_id": programs.id[choices.program[known]],
        }
    )
    return ChoiceRows(frame, choices.line[known], seen)


@dataclass(frozen=True, eq=False)
class LotteryRows:
    """The changes folder's lottery.csv: ``frame`` as read (None without the file),
    ``numbered`` the applicants with a new number and ``new_numbers`` each new
    (applicant, program or '')."""

    frame: pd.DataFrame | None
    numbered: set[str]
    new_numbers: set[tuple[str, str]]


def read_lottery(
    table: Table | None, rows: ApplicantRows, events: EventChecks, log: ProblemLog
) -> LotteryRows:
    """New lottery numbers, for a lottery whose numbers come from lottery.csv: each for
    an applicant who stays, and never a number the applicant already has."""
    numbered: set[str] = set()
    new_numbers: set[tuple[str, str]] = set()
    if table is None:
        return LotteryRows(None, numbered, new_numbers)
    previous = rows.previous
    if previous.city.external_lottery is None:
        log.add(
            LOTTERY_FILE,
            None,
            None,
            "this lottery's numbers come from its published seed, so lottery.csv cannot be "
            "added in a later round",
        )
        return LotteryRows(None, numbered, new_numbers)
    existing = previous.existing_numbers()
    roster = set(rows.roster().id.tolist())
    applicant_guess = Suggestions(roster, close_matches=False)
    program_guess = Suggestions(previous.programs.id)
    applicant_ids, program_ids = table.column("applicant_id"), table.column("program_id")
    numbers = table.column("lottery_number")
    for row in range(len(table)):
        line = int(table.lines[row])
        applicant_id, program_id, number = applicant_ids[row], program_ids[row], numbers[row]
        if not applicant_id:
            log.add(LOTTERY_FILE, line, "applicant_id", "this cell must not be blank")
        elif applicant_id not in roster:
            log.add(
                LOTTERY_FILE,
                line,
                "applicant_id",
                f'unknown applicant "{shown(applicant_id)}"{applicant_guess.hint(applicant_id)}',
            )
        elif events.event_of(applicant_id) == WITHDRAW:
            log.add(
                LOTTERY_FILE,
                line,
                "applicant_id",
                f'applicant "{applicant_id}" withdraws ({CHANGES_FILE} line '
                f"{events.first[applicant_id][1]}); remove this row",
            )
        elif (applicant_id, program_id) in existing:
            where = f' at program "{program_id}"' if program_id else ""
            log.add(
                LOTTERY_FILE,
                line,
                "applicant_id",
                f'applicant "{applicant_id}" already has a lottery number{where}; lottery '
                "numbers never change",
            )
        else:
            numbered.add(applicant_id)
            new_numbers.add((applicant_id, program_id))
        if program_id and previous.program(program_id) < 0:
            log.add(
                LOTTERY_FILE,
                line,
                "program_id",
                f'unknown program "{shown(program_id)}"{program_guess.hint(program_id)}',
            )
        if not re.fullmatch(r"[0-9]{1,20}", number) or int(number) > MAX_LOTTERY_NUMBER:
            log.add(
                LOTTERY_FILE,
                line,
                "lottery_number",
                f'"{shown(number)}" is not a lottery number (a whole number from 0 to '
                f"{MAX_LOTTERY_NUMBER})",
            )
    return LotteryRows(table.frame, numbered, new_numbers)


def check_numbers_per_program(
    previous: PreviousRound,
    choices: ChoiceRows,
    lottery: LotteryRows,
    events: EventChecks,
    log: ProblemLog,
) -> None:
    """With numbers per program from lottery.csv, a program newly on a list (a new
    list or a transfer request) needs a number, unless the applicant has one for
    every program."""
    external = previous.city.external_lottery
    if external is None or not external.per_program:
        return
    numbered = previous.existing_numbers() | lottery.new_numbers

    def missing(applicant_id: str, program_id: str) -> bool:
        return (applicant_id, program_id) not in numbered and (applicant_id, "") not in numbered

    message = (
        'no lottery number for applicant "{}" at program "{}": add a row to '
        f"{LOTTERY_FILE} of the changes folder (this lottery's numbers come from "
        f"{LOTTERY_FILE})"
    )
    for applicant_id, program_id, line in zip(
        choices.frame["applicant_id"].tolist(),
        choices.frame["program_id"].tolist(),
        choices.lines.tolist(),
        strict=True,
    ):
        if missing(applicant_id, program_id):
            log.add(CHOICES_FILE, line, "program_id", message.format(applicant_id, program_id))
    for (applicant_id, program_id), line in events.transfer_line.items():
        if missing(applicant_id, program_id):
            log.add(CHANGES_FILE, line, "program_id", message.format(applicant_id, program_id))
