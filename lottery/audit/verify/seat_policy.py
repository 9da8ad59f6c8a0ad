"""Reserved seats, recomputed: the slots a program fills and the seat each admitted holds.

A program with reserves chooses slot by slot (:func:`fill_slots`): its slots, in
precedence order, each take the best applicant left that the slot accepts (an open slot
anyone, a reserved slot a member of its category, or anyone if none is left and
``unfilled = "open"``); an applicant guaranteed the program is a member of every category
there. An applicant's ``seat`` is the category of the slot they get if they belong to it,
else ``open``.

If linked families did not settle, whether the engine counted a member in a
``sibling_offered`` reserve may show in no priority: :func:`settle_memberships` then takes
the first reading under which the program's seats and choices agree with the results.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from lottery.audit.verify.evidence import Inputs, Rows
from lottery.audit.verify.findings import Findings
from lottery.audit.verify.order import ProgramOrder
from lottery.audit.verify.placements import Placement, admitted_pairs
from lottery.io.outputs import MATCHED, OPEN_SEAT, PLACEMENTS
from lottery.policy import SIBLING_OFFERED


class _Everything:
    """The reserve categories of an applicant guaranteed the program: all of them."""

    def __contains__(self, category: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "every category"


EVERY_CATEGORY = _Everything()


class Memberships:
    """Who belongs to which reserve category at a program. ``readings`` holds, for
    members of unsettled families, the ``sibling_offered`` reading settled on."""

    def __init__(
        self, inputs: Inputs, order: ProgramOrder, readings: Mapping[tuple[str, str], bool]
    ):
        self.inputs = inputs
        self.order = order
        self.readings = readings

    def member(self, aid: str, pid: str, category: str) -> bool:
        """Whether the applicant belongs to a reserve category at the program (for
        ``sibling_offered`` of an unsettled family, the reading settled on, if any)."""
        if category == SIBLING_OFFERED and (aid, pid) in self.readings:
            return self.readings[aid, pid]
        return self.order.meets(aid, pid, category)

    def categories(self, aid: str, pid: str):
        """The reserve categories at the program whose slots take the applicant as a
        member: all of them for an applicant guaranteed the program."""
        if self.inputs.applicants[aid]["guarantee"] == pid:
            return EVERY_CATEGORY
        return frozenset(c for c, _ in self.inputs.reserves[pid] if self.member(aid, pid, c))

    def pair_categories(self, k: int):
        """:meth:`categories` of pair ``k`` of ``order.pairs``, from the arrays (the
        per-pair code for members of unsettled families)."""
        order = self.order
        pairs = order.pairs
        i, j = int(pairs.applicant[k]), int(pairs.program[k])
        aid, pid = pairs.applicant_ids[i], pairs.program_ids[j]
        if aid in order.unsettled:
            return self.categories(aid, pid)
        if self.inputs.choices.guarantee[i] == j:
            return EVERY_CATEGORY
        return frozenset(c for c, _ in self.inputs.reserves[pid] if order.met_at_pairs(c)[k])

    def pair_member(self, k: int, category: str) -> bool:
        """:meth:`member` of pair ``k`` of ``order.pairs``, from the arrays."""
        pairs = self.order.pairs
        aid = pairs.applicant_ids[pairs.applicant[k]]
        if aid in self.order.unsettled:
            return self.member(aid, pairs.program_ids[pairs.program[k]], category)
        return bool(self.order.met_at_pairs(category)[k])

    def unknown(self, aid: str, pid: str) -> bool:
        """Whether nothing settles if the engine counted a member of an unsettled family
        in the program's sibling_offered reserve (no priority shows it, no reading taken)."""
        return self.unshown(aid, pid) and (aid, pid) not in self.readings

    def unshown(self, aid: str, pid: str) -> bool:
        """Whether no priority shows if the engine counted a member of an unsettled family
        in the program's sibling_offered reserve. A reading taken for the program's seats
        is one that agrees with them, not proof: where the seats do not depend on it
        (a reserve of no seats, say), either reading agrees."""
        if aid not in self.order.unsettled:
            return False
        self.order.offered(aid, pid)  # notes whether a priority shows the reading
        return (aid, pid) in self.order.unknown_offers


@dataclass(frozen=True)
class Seats:
    """The recomputed seat (category or open) of every applicant the match admitted
    where known, and each program's seats still free after the match."""

    seat_of: dict[str, str]
    free: dict[str, int]


def admitted_in_order(placement: Placement, order: ProgramOrder) -> dict[str, list[int]]:
    """Each program's admitted pairs (indices into ``order.pairs``) in the program's
    order (by ``order.position``); programs that admitted no one are left out."""
    pairs = order.pairs
    admitted = admitted_pairs(placement, pairs)
    admitted = admitted[np.lexsort((order.position[admitted], pairs.program[admitted]))]
    groups: dict[str, list[int]] = {}
    for k, j in zip(admitted.tolist(), pairs.program[admitted].tolist(), strict=True):
        groups.setdefault(pairs.program_ids[j], []).append(k)
    return groups


def fill_slots(inputs: Inputs, pid: str, members: list) -> list[str | None]:
    """A program with reserves chooses from applicants listed best first, with the
    categories each belongs to there (docs/seat-policy.md): its slots, in precedence
    order, each go to the best applicant left that the slot takes. Returns the slot
    each applicant gets (a category, or ``open``), None for those it does not take.

    Within a run of ``n`` slots for category ``c`` that is: the first ``n`` members
    of ``c`` left, and if fewer are left, the best others left (``unfilled = "open"``)
    or nobody (``"empty"``); a run of open slots takes the first ``n`` left.
    """
    left = list(range(len(members)))
    slot: list[str | None] = [None] * len(members)
    for category, count in inputs.slot_runs[pid]:
        if not left:
            break
        if category == OPEN_SEAT:
            takers = left[:count]
        else:
            takers = [i for i in left if category in members[i]][:count]
            if len(takers) < count and inputs.unfilled == "open":
                chosen = set(takers)
                takers += [i for i in left if i not in chosen][: count - len(takers)]
        for i in takers:
            slot[i] = category
        taken = set(takers)
        left = [i for i in left if i not in taken]
    return slot


def settle_memberships(
    inputs: Inputs,
    placement: Placement,
    order: ProgramOrder,
    rows: Rows,
    findings: Findings,
) -> Memberships:
    """Members of unsettled families at a program with a ``sibling_offered`` reserve,
    where no priority shows whether the engine's last run counted them in it: take
    the first reading (starting from the final placements') under which the program's
    seats and choices agree with the results; if none does, the final placements'."""
    seat_shown: dict[str, str] = {}
    for row in rows:
        seat_shown.setdefault(row["applicant_id"], row["seat"])
    readings: dict[tuple[str, str], bool] = {}
    for pid, runs in inputs.reserves.items():
        if SIBLING_OFFERED not in {category for category, _ in runs}:
            continue
        involved = placement.admitted[pid] + placement.waitlist[pid]
        settled = Memberships(inputs, order, readings)
        unknown = [aid for aid in involved if settled.unknown(aid, pid)]
        if not unknown:
            continue
        findings.checks["unsettled_memberships"] += len(unknown)
        final = [order.offered(aid, pid) for aid in unknown]
        # Every reading of up to 10 of them (the rest as the final placements say).
        for flips in itertools.product((False, True), repeat=min(len(unknown), 10)):
            reading = {
                (aid, pid): value != flip
                for aid, value, flip in zip(unknown, final, flips, strict=False)
            }
            trial = Memberships(inputs, order, {**readings, **reading})
            if _slots_agree(inputs, placement, trial, pid, seat_shown):
                readings.update(reading)
                break
    return Memberships(inputs, order, readings)


def _slots_agree(
    inputs: Inputs,
    placement: Placement,
    memberships: Memberships,
    pid: str,
    seat_shown: dict[str, str],
) -> bool:
    """Whether the program's slots, filled from its admitted applicants, take each of
    them with the seat shown, and would not take anyone on its waitlist."""
    order = memberships.order
    ordered = order.ordered(pid, placement.admitted[pid])
    members = [memberships.categories(aid, pid) for _, aid in ordered]
    slots = fill_slots(inputs, pid, members)
    for (_, aid), slot in zip(ordered, slots, strict=True):
        real = slot not in (None, OPEN_SEAT) and memberships.member(aid, pid, slot)
        if slot is None or seat_shown.get(aid) != (slot if real else OPEN_SEAT):
            return False
    keys = [key for key, _ in ordered]
    for aid in placement.waitlist[pid]:
        place = bisect.bisect_left(keys, order.key(aid, pid))
        chosen = [*members[:place], memberships.categories(aid, pid), *members[place:]]
        if fill_slots(inputs, pid, chosen)[place] is not None:
            return False
    return True


def check_seats(
    inputs: Inputs,
    placement: Placement,
    memberships: Memberships,
    rows: Rows,
    findings: Findings,
) -> Seats:
    """Recompute every match placement's seat: ``open`` at a program without reserves;
    at one with reserves, the category of the slot the program's choice from its
    admitted applicants gives them, if they belong to it, else ``open``."""
    seat_of: dict[str, str] = {}
    free = {
        pid: program["capacity"] - placement.match_count[pid]
        for pid, program in inputs.programs.items()
    }
    pairs = memberships.order.pairs
    in_order = admitted_in_order(placement, memberships.order)
    for pid, admitted in placement.admitted.items():
        if pid not in inputs.reserves:
            seat_of.update(dict.fromkeys(admitted, OPEN_SEAT))
            continue
        ordered_pairs = in_order.get(pid, [])
        ordered = [pairs.applicant_ids[pairs.applicant[k]] for k in ordered_pairs]
        slots = fill_slots(inputs, pid, [memberships.pair_categories(k) for k in ordered_pairs])
        if inputs.unfilled == "empty":  # reserved seats no member took stay empty
            open_seats = sum(n for category, n in inputs.slot_runs[pid] if category == OPEN_SEAT)
            free[pid] = open_seats - slots.count(OPEN_SEAT)
        for aid, k, slot in zip(ordered, ordered_pairs, slots, strict=True):
            if slot is None:
                if len(ordered) <= inputs.programs[pid]["capacity"]:
                    findings.fail(
                        "capacity",
                        "holds this applicant, but its reserved and open seats, filled in "
                        "precedence order from the applicants it admitted, would not take "
                        f'them (unfilled = "{inputs.unfilled}")',
                        aid,
                        pid,
                    )
                continue
            real = slot != OPEN_SEAT and memberships.pair_member(k, slot)
            seat_of[aid] = slot if real else OPEN_SEAT
    for row in rows:
        aid = row["applicant_id"]
        seat = seat_of.get(aid) if placement.status.get(aid) in MATCHED else None
        if seat is not None and row["seat"] != seat:
            findings.fail(
                "seat-label",
                f"{PLACEMENTS} shows seat {row['seat']!r}; recomputed: {seat!r}",
                aid,
                placement.matched_at.get(aid),
            )
    return Seats(seat_of, free)
