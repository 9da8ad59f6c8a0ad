"""What one letter says, as plain data: built from a run's outputs and its input files.

Nothing here is recomputed: results, priorities, waitlist positions, cutoffs, lottery
numbers and ranks are read from the results folder (``choice_results.csv``,
``placements.csv``, ``waitlists.csv``, ``programs_summary.csv``, ``manifest.json``); names,
guardians, addresses, zones, languages and family IDs from ``applicants.csv``. The
templates and the PDF layout only word and place these values.

An applicant's ``status`` is the one ``placements.csv`` records (see docs/outputs.md):

``placed``
    placed by the match at a program they ranked;
``guaranteed``
    placed at their guaranteed program, which they did not rank, because nothing they
    ranked worked out;
``administrative``
    given a seat by the zone guarantee after the match (at a program they may or may
    not have ranked);
``unplaced``
    no seat.

Every status but ``unplaced`` holds a seat: :attr:`Letter.offer` names it.

The letters of a later round (``lottery round``) also carry :attr:`Letter.round`: what
happened to the applicant in that round (:mod:`~lottery.publish.letters.round_events`).
An applicant who withdrew in the round is in none of its tables: their letter is built
from the round-1 ``applicants.csv``, with no seat, choices or lottery number.
"""

from __future__ import annotations

import itertools
import shlex
from dataclasses import dataclass

from lottery.city import Applicants
from lottery.io.csv_tables import original_text
from lottery.io.outputs import SEED_SOURCE, UNPLACED
from lottery.io.results_folder import ResultsFolder
from lottery.publish.letters.round_events import (
    OFFER_DECLINED,
    WITHDREW,
    RoundTables,
    restored_list,
)


@dataclass(frozen=True)
class Choice:
    """One ranked program and what became of it (a row of choice_results.csv)."""

    rank: int
    program_id: str
    school_id: str
    school_name: str
    result: str
    priority: str
    waitlist_position: int | None
    cutoff_priority: str
    cutoff_lottery_rank: int | None
    lottery_rank: int | None
    """The applicant's lottery rank at this program, where the outputs show it."""
    reserved_seats: int = 0
    """Seats the program reserves for categories of applicants (programs_summary.csv);
    its cutoff is then that of its open seats."""


@dataclass(frozen=True)
class Offer:
    """The seat an applicant holds, however they got it (placements.csv)."""

    program_id: str
    school_id: str
    school_name: str
    rank: int | None
    """The rank the applicant gave the program, or ``None`` if they did not rank it."""


@dataclass(frozen=True)
class Lottery:
    """The applicant's lottery number and how to check it (docs/lottery-numbers.md).

    ``number``, ``hex`` and ``rank`` are blank or ``None`` when the outputs do not show
    one number for the applicant (multiple tie-break, not placed). ``text`` is what is
    hashed; ``shell_command`` a command that prints its SHA-256.
    """

    source: str
    tiebreak: str
    seed: str
    number: str
    hex: str
    rank: int | None
    applicants: int
    program_id: str
    text: str
    shell_command: str
    family_id: str = ""
    """The applicant's family, when they apply together with linked family members
    (their programs then order them by the family's number first); else blank."""
    family_number: str = ""
    family_hex: str = ""
    family_text: str = ""
    family_shell_command: str = ""


@dataclass(frozen=True)
class RoundEvent:
    """What happened to the applicant in a later round (see ``round_events.EVENTS``)."""

    number: int | None
    """The round's number (2 for the first round after the main lottery)."""
    kind: str
    """``new_offer``, ``improved``, ``transfer``, ``declined``, ``withdrawn`` or
    ``unchanged``."""
    previous: Offer | None
    """The seat held after the previous round, for an applicant in ``moves.csv`` who had
    one (the seat declined, given up or left for a better one)."""
    offered: bool
    """Whether the applicant has a new offer to answer (a row of ``offers.csv``)."""
    respond_by: str
    """``respond_by`` of that offer, as written in ``offers.csv`` (may be blank)."""
    request: str = ""
    """``update_choices`` (a new list) or ``new_applicant`` (a late application) when the
    round's ``changes.csv`` has one for the applicant, else blank: the letter says it
    was received."""


@dataclass(frozen=True)
class Letter:
    """Everything one applicant's letter says."""

    applicant_id: str
    first_name: str
    last_name: str
    guardian_name: str
    address: str
    zone: str
    grade: str
    language: str
    status: str
    """``placed``, ``guaranteed``, ``administrative`` or ``unplaced`` (see the module)."""
    offer: Offer | None
    """The seat the applicant holds (every status but ``unplaced``)."""
    placed: Choice | None
    """The ranked choice the seat is at, if the applicant ranked it."""
    choices: tuple[Choice, ...]
    lottery: Lottery
    round: RoundEvent | None = None
    """For the letters of a later round: what happened in it; ``None`` for round 1."""

    @property
    def waitlisted(self) -> int:
        return sum(c.result == "waitlisted" for c in self.choices)

    @property
    def reserves(self) -> bool:
        """Whether a program the applicant ranked reserves seats for some applicants."""
        return any(c.reserved_seats for c in self.choices)

    @property
    def ineligible(self) -> int:
        """How many ranked programs the applicant was not eligible for (not considered)."""
        return sum(c.result == "ineligible" for c in self.choices)

    @property
    def mailing_key(self) -> tuple[str, str, str]:
        """Sort key of the merged PDF: zone, then address, then applicant ID."""
        return (self.zone, self.address, self.applicant_id)


def build_letters(
    applicants: Applicants,
    outputs: ResultsFolder,
    round_tables: RoundTables | None = None,
    original_lists: dict[str, list[str]] | None = None,
    first_round: Applicants | None = None,
) -> list[Letter]:
    """One letter per applicant of the run, in mailing order (zone, address, ID).

    For a later round, ``round_tables`` are its moves and offers: each letter gets its
    :class:`RoundEvent`. ``original_lists`` (applicant -> program IDs in rank order) and
    ``first_round`` (the applicants) come from the round-1 input folder, when it was
    given: the lists a declined seat was cut from, and the applicants who withdrew
    (their letter confirms it). Withdrawn applicants missing from ``first_round`` get no
    letter.
    """
    manifest = outputs.manifest
    lottery = manifest.lottery
    source = (lottery and lottery.source) or SEED_SOURCE
    tiebreak = (lottery and lottery.tiebreak) or "single"
    seed = "" if source != SEED_SOURCE else (manifest.seed or "")

    summary = outputs.programs_summary
    schools = dict(
        zip(
            summary["program_id"],
            # Names as the office wrote them (the CSV guards some against spreadsheets).
            zip(summary["school_id"], map(original_text, summary["school_name"]), strict=True),
            strict=True,
        )
    )
    reserved = dict(zip(summary["program_id"], summary["reserved_seats"], strict=True))
    # Columns as lists: a pandas column yields its cells one Python call at a time.
    placements = {
        row[0]: row
        for row in zip(
            outputs.placements["applicant_id"].tolist(),
            outputs.placements["program_id"].tolist(),
            outputs.placements["lottery_number"].tolist(),
            outputs.placements["lottery_rank"].tolist(),
            outputs.placements["status"].tolist(),
            outputs.placements["choice_rank"].tolist(),
            outputs.placements["family_lottery_number"].tolist(),
            strict=True,
        )
    }
    # With a multiple tie-break, ranks are per program: a waitlisted choice shows its own.
    waitlist_rank = (
        {
            (a, p): int(r)
            for a, p, r in zip(
                outputs.waitlists["applicant_id"].tolist(),
                outputs.waitlists["program_id"].tolist(),
                outputs.waitlists["lottery_rank"].tolist(),
                strict=True,
            )
        }
        if tiebreak == "multiple"
        else {}
    )
    results = outputs.choice_results
    rows = zip(
        results["applicant_id"].tolist(),
        results["rank"].tolist(),
        results["program_id"].tolist(),
        results["result"].tolist(),
        results["priority"].tolist(),
        results["waitlist_position"].tolist(),
        results["cutoff_priority"].tolist(),
        results["cutoff_lottery_rank"].tolist(),
        strict=True,
    )
    choice_rows = {aid: list(group) for aid, group in itertools.groupby(rows, key=lambda r: r[0])}
    n_applicants = len(applicants)
    original_lists = original_lists or {}

    def program_offer(program_id: str, rank: int | None) -> Offer:
        school_id, school_name = schools[program_id]
        return Offer(program_id, school_id, school_name, rank)

    def added_choice(rank: int, program_id: str, result: str) -> Choice:
        school_id, school_name = schools[program_id]
        return Choice(
            rank=rank,
            program_id=program_id,
            school_id=school_id,
            school_name=school_name,
            result=result,
            priority="",
            waitlist_position=None,
            cutoff_priority="",
            cutoff_lottery_rank=None,
            lottery_rank=None,
            reserved_seats=_int(reserved[program_id]) or 0,
        )

    def round_event(aid: str, choices: tuple[Choice, ...]) -> RoundEvent | None:
        if round_tables is None:
            return None
        move = round_tables.moves.get(aid)
        previous = None
        if move is not None and move.from_program_id in schools:
            ranks = [c.rank for c in choices if c.program_id == move.from_program_id]
            original = original_lists.get(aid, [])
            if not ranks and move.from_program_id in original:
                ranks = [original.index(move.from_program_id) + 1]
            previous = program_offer(move.from_program_id, ranks[0] if ranks else None)
        return RoundEvent(
            number=round_tables.number,
            kind=round_tables.event(aid),
            previous=previous,
            offered=aid in round_tables.respond_by,
            respond_by=round_tables.respond_by.get(aid, ""),
            request=round_tables.request(aid),
        )

    letters = []
    for aid, first, last, guardian, address, zone, grade, language, family_id in zip(
        applicants.id.tolist(),
        applicants.first_name.tolist(),
        applicants.last_name.tolist(),
        applicants.guardian_name.tolist(),
        applicants.address.tolist(),
        applicants.zone.tolist(),
        applicants.grade.tolist(),
        applicants.language.tolist(),
        applicants.family_id.tolist(),
        strict=True,
    ):
        _, placed_program, number, rank, status, choice_rank, family_number = placements[aid]
        choices = tuple(
            Choice(
                rank=int(r[1]),
                program_id=r[2],
                school_id=schools[r[2]][0],
                school_name=schools[r[2]][1],
                result=r[3],
                priority=r[4],
                waitlist_position=_int(r[5]),
                cutoff_priority=r[6],
                cutoff_lottery_rank=_int(r[7]),
                lottery_rank=_own_rank(tiebreak, rank, r[3], waitlist_rank.get((aid, r[2]))),
                reserved_seats=_int(reserved[r[2]]) or 0,
            )
            for r in choice_rows.get(aid, ())
        )
        if round_tables is not None and round_tables.event(aid) == OFFER_DECLINED:
            declined = round_tables.moves[aid].from_program_id
            restored = restored_list(
                [c.program_id for c in choices], original_lists.get(aid), declined
            )
            choices += tuple(
                added_choice(len(choices) + k, program_id, result)
                for k, (program_id, result) in enumerate(restored, start=1)
                if program_id in schools
            )
        placed = next((c for c in choices if c.result == "placed"), None)
        offer = (
            program_offer(placed_program, _int(choice_rank))
            if status != UNPLACED and placed_program
            else None
        )
        suffix = ""
        if tiebreak == "multiple":  # the number at the seat's program, where there is one
            suffix = f"|{placed_program if number else 'PROGRAM_ID'}"
        text = f"{seed}|{aid}{suffix}"
        family_text = f"{seed}|family:{family_id}{suffix}" if family_number else ""
        letters.append(
            Letter(
                applicant_id=aid,
                first_name=first,
                last_name=last,
                guardian_name=guardian,
                address=address,
                zone=zone,
                grade=grade,
                language=language,
                status=status,
                offer=offer,
                placed=placed,
                choices=choices,
                lottery=Lottery(
                    source=source,
                    tiebreak=tiebreak,
                    seed=seed,
                    number=number,
                    hex=format(int(number), "016x") if number else "",
                    rank=_int(rank),
                    applicants=n_applicants,
                    program_id=placed_program if tiebreak == "multiple" else "",
                    text=text if source == "seed" else "",
                    shell_command=_command(text) if source == "seed" else "",
                    family_id=family_id if family_number else "",
                    family_number=family_number,
                    family_hex=format(int(family_number), "016x") if family_number else "",
                    family_text=family_text if source == "seed" else "",
                    family_shell_command=_command(family_text)
                    if source == "seed" and family_text
                    else "",
                ),
                round=round_event(aid, choices),
            )
        )
    if round_tables is not None and first_round is not None:
        letters += _withdrawal_letters(round_tables, first_round, placements, round_event, source)
    letters.sort(key=lambda letter: letter.mailing_key)
    return letters


def withdrawn_applicants(round_tables: RoundTables) -> set[str]:
    """The applicants who withdrew in the round, with a seat (``moves.csv``) or without
    (``changes.csv``); they are in none of its other tables."""
    candidates = set(round_tables.moves) | set(round_tables.requests)
    return {aid for aid in candidates if round_tables.event(aid) == WITHDREW}


def _withdrawal_letters(round_tables, first_round: Applicants, placements, round_event, source):
    """The letters confirming a withdrawal, from the round-1 ``applicants.csv``."""
    wanted = withdrawn_applicants(round_tables) - set(placements)
    letters = []
    for aid, first, last, guardian, address, zone, grade, language in zip(
        first_round.id.tolist(),
        first_round.first_name.tolist(),
        first_round.last_name.tolist(),
        first_round.guardian_name.tolist(),
        first_round.address.tolist(),
        first_round.zone.tolist(),
        first_round.grade.tolist(),
        first_round.language.tolist(),
        strict=True,
    ):
        if aid not in wanted:
            continue
        letters.append(
            Letter(
                applicant_id=aid,
                first_name=first,
                last_name=last,
                guardian_name=guardian,
                address=address,
                zone=zone,
                grade=grade,
                language=language,
                status=UNPLACED,
                offer=None,
                placed=None,
                choices=(),
                lottery=Lottery(source, "", "", "", "", None, 0, "", "", ""),
                round=round_event(aid, ()),
            )
        )
    return letters


def _command(text: str) -> str:
    """A shell command that prints the SHA-256 of ``text``."""
    return f"printf '%s' {shlex.quote(text)} | sha256sum"


def _own_rank(tiebreak: str, placed_rank: str, result: str, waitlisted: int | None) -> int | None:
    """The applicant's lottery rank at one program: the same everywhere with a single
    tie-break; with a multiple one, shown only where placed or waitlisted."""
    if tiebreak == "single" or result == "placed":
        return _int(placed_rank)
    return waitlisted


def _int(cell: str) -> int | None:
    return int(cell) if cell else None
