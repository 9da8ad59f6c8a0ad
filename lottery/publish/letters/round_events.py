"""What happened to each applicant in a later round, for their letter.

A later round's results folder (``lottery round``) adds ``moves.csv`` (whose seat
changed, and why) and ``offers.csv`` (the seats newly offered, with ``respond_by``) to
the tables of a run, and keeps the office's ``changes/changes.csv``; see docs/rounds.md.
Only seat moves are in ``moves.csv``, so a waitlisted applicant's withdrawal, a new
list and a late application are read from ``changes.csv``. A round letter states the
round's event for its applicant (:data:`EVENTS`) and shows the family's ranked list as
far as the round's files allow: a decliner's list is cut above the declined seat in
the round's ``choices.csv``, so the declined program (and, when the round-1 input
folder is given and its list agrees, the programs ranked below it) are added back with
results of their own (:data:`DECLINED`, :data:`BELOW_DECLINED`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lottery.io import outputs
from lottery.io.change_events import (
    CHANGES_COLUMNS,
    CHANGES_FILE,
    NEW_APPLICANT,
    UPDATE_CHOICES,
    WITHDRAW,
)
from lottery.io.csv_tables import ProblemLog, read_table
from lottery.io.outputs import CHANGES_FOLDER, COLUMNS, MOVES, OFFERS

NEW_OFFER = "new_offer"
"""Had no seat after the previous round (or is a new applicant), and has one now."""
IMPROVED_OFFER = "improved"
"""Moved to a program ranked above the seat held."""
TRANSFERRED = "transfer"
"""Moved to a program asked for with ``transfer_request``."""
OFFER_DECLINED = "declined"
"""Declined the seat held (and may have been offered one ranked above it)."""
WITHDREW = "withdrawn"
"""Left the process."""
UNCHANGED = "unchanged"
"""Not in ``moves.csv`` and did not withdraw: holds the same seat, or still has none."""
EVENTS = (NEW_OFFER, IMPROVED_OFFER, TRANSFERRED, OFFER_DECLINED, WITHDREW, UNCHANGED)
"""The events a round letter words (``letter.round.kind``)."""
REQUESTS = (UPDATE_CHOICES, NEW_APPLICANT)
"""Events of ``changes.csv`` a round letter acknowledges (``letter.round.request``) even
when they moved no seat: a new list, a late application."""
_EVENT_OF_REASON = {
    outputs.NEW_PLACEMENT: NEW_OFFER,
    outputs.IMPROVED: IMPROVED_OFFER,
    outputs.TRANSFER: TRANSFERRED,
    outputs.DECLINED: OFFER_DECLINED,
    outputs.WITHDRAWN: WITHDREW,
}

DECLINED = "declined"
"""Result of a choice in a round letter: the seat the family declined there."""
BELOW_DECLINED = "below_declined"
"""Result of a choice in a round letter: ranked below a declined seat, so no longer
considered."""


@dataclass(frozen=True)
class Move:
    """One row of ``moves.csv``."""

    from_program_id: str
    to_program_id: str
    reason: str


@dataclass(frozen=True)
class RoundTables:
    """What a later round's folder says about each applicant beyond a run's tables."""

    number: int | None
    moves: dict[str, Move]
    respond_by: dict[str, str]
    """``offers.csv``: applicant -> ``respond_by`` of the seat offered (may be blank)."""
    requests: dict[str, str] = field(default_factory=dict)
    """``changes.csv``: applicant -> their event there (``withdraw``, ``update_choices``,
    ...), lower case as the round read it."""

    @property
    def changed(self) -> set[str]:
        """The applicants whose situation the round changed: in ``moves.csv`` or
        ``offers.csv``, withdrawn, or with a new list or a late application."""
        return (
            set(self.moves)
            | set(self.respond_by)
            | {a for a, e in self.requests.items() if e == WITHDRAW or e in REQUESTS}
        )

    def event(self, applicant_id: str) -> str:
        """The applicant's event in this round (one of :data:`EVENTS`)."""
        move = self.moves.get(applicant_id)
        if move is not None:
            return _EVENT_OF_REASON.get(move.reason, UNCHANGED)
        # A withdrawal without a seat moves nothing, so only changes.csv records it.
        return WITHDREW if self.requests.get(applicant_id) == WITHDRAW else UNCHANGED

    def request(self, applicant_id: str) -> str:
        """The applicant's event in ``changes.csv`` if it is one of :data:`REQUESTS`, else ''."""
        event = self.requests.get(applicant_id, "")
        return event if event in REQUESTS else ""


def read_round_tables(folder: Path, number: int | None) -> RoundTables:
    """``moves.csv``, ``offers.csv`` and ``changes/changes.csv`` of the round in
    ``folder`` (already checked against its manifest by
    :func:`lottery.io.results_folder.read_results_folder`)."""
    moves = _table(folder / MOVES)
    offers = _table(folder / OFFERS)
    return RoundTables(
        number=number,
        moves={
            a: Move(f, t, r)
            for a, f, t, r in zip(
                moves["applicant_id"],
                moves["from_program_id"],
                moves["to_program_id"],
                moves["reason"],
                strict=True,
            )
        },
        respond_by=dict(zip(offers["applicant_id"], offers["respond_by"], strict=True)),
        requests=_requests(folder / CHANGES_FOLDER / CHANGES_FILE),
    )


def _requests(path: Path) -> dict[str, str]:
    """Applicant -> their event in the round's copy of ``changes.csv``, read as the round
    read it (spreadsheet exports too); empty for a round folder that has no copy."""
    table = read_table(path, *CHANGES_COLUMNS, ProblemLog()) if path.is_file() else None
    if table is None:
        return {}
    requests: dict[str, str] = {}
    for event, applicant_id in zip(
        table.column("event"), table.column("applicant_id"), strict=True
    ):
        if applicant_id:
            requests.setdefault(applicant_id, event.lower())
    return requests


def _table(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return table.reindex(columns=list(COLUMNS[path.name]), fill_value="")


def restored_list(
    round_list: list[str], original: list[str] | None, declined_program: str | None
) -> list[tuple[str, str]]:
    """The programs a decliner's round list lost, with the result each gets in the
    letter: ``(program_id, DECLINED | BELOW_DECLINED)``, in the family's order.

    ``round_list`` is the round's (cut) list; ``original`` the family's list in the
    round-1 input folder, used only when the round's list is the start of it and the
    declined program comes next (it may have been replaced since, with
    ``update_choices``); otherwise only the declined program is added back.
    """
    if not declined_program or declined_program in round_list:
        return []
    cut = len(round_list)
    if (
        original is not None
        and original[:cut] == round_list
        and len(original) > cut
        and original[cut] == declined_program
    ):
        return [(declined_program, DECLINED)] + [(p, BELOW_DECLINED) for p in original[cut + 1 :]]
    return [(declined_program, DECLINED)]
