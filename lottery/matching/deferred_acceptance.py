"""Student-proposing deferred acceptance on dense arrays.

The market arrives in compressed form, one entry per ranked choice ("pair"):

``choice_offsets``  int64, length ``n_applicants + 1``: applicant ``a`` ranked the pairs
                    ``choice_offsets[a]:choice_offsets[a + 1]``, most preferred first.
``choice_program``  int64 per pair: the program ranked.
``choice_rank``     int64 per pair: the applicant's position in that program's strict
                    order (0 is the program's favourite). Positions are unique within a
                    program; :func:`lottery.matching.ordering.program_order_by_position` builds them
                    from priorities and lottery numbers.
``capacity``        int64 per program: seats (>= 0).

Nothing here reads files, prints, draws random numbers or mutates its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lottery.errors import MatchingError
from lottery.matching._compile import njit

UNPLACED = -1
OPEN_SLOT = -1
NOT_CHOSEN = -2


@dataclass(frozen=True, eq=False)
class SlotPlan:
    """Reserved and open seats of the programs that have reserves, as runs of slots.

    Program ``p`` fills its slots in the order of its runs
    ``run_offsets[p]:run_offsets[p + 1]``; run ``r`` is ``run_count[r]`` slots of category
    ``run_category[r]`` (``OPEN_SLOT`` for open slots, else a bit number 0..62 tested in
    ``choice_member``). A program with no runs is filled in its normal order. For a
    program with runs, ``capacity`` must equal the sum of its run counts.
    ``unfilled_open``: a reserved slot no category member takes goes to the best other
    applicant (else it stays empty).
    """

    run_offsets: np.ndarray
    run_category: np.ndarray
    run_count: np.ndarray
    unfilled_open: bool


def deferred_acceptance(
    choice_offsets: np.ndarray,
    choice_program: np.ndarray,
    choice_rank: np.ndarray,
    capacity: np.ndarray,
    choice_eligible: np.ndarray | None = None,
    slots: SlotPlan | None = None,
    choice_member: np.ndarray | None = None,
) -> np.ndarray:
    """Compute the applicant-optimal stable matching.

    Gale & Shapley (1962), "College Admissions and the Stability of Marriage", in the
    school-choice form of Abdulkadiroglu & Sonmez (2003), "School Choice: A Mechanism
    Design Approach":

    1. Every applicant applies to their most preferred program not yet tried.
    2. Each program tentatively holds its best applicants up to its seats and rejects
       the rest; a held applicant may be displaced later by a better one.
    3. Rejected applicants apply to their next choice; repeat until nobody who is
       rejected has a choice left.

    The outcome does not depend on the order in which applicants propose, so
    applicants propose one at a time: a displaced applicant continues at once with
    their next choice. Each program keeps its held applicants in a max-heap keyed by
    ``choice_rank``, so the worst held applicant is found in O(1) and replaced in
    O(log seats).

    Programs with reserves (``slots``) choose with slot-specific priorities instead
    (Kominers & Sonmez 2016; docs/seat-policy.md): they keep their held applicants
    sorted by ``choice_rank`` and, on each application, give their slots in order to
    the best remaining applicant each slot accepts. These choices are substitutable and
    never choose fewer applicants from a larger set, so one application displaces at
    most one applicant and deferred acceptance keeps its properties.

    Invariant of the loop: every program holds its choice among the applicants who
    have applied to it so far.

    Parameters
    ----------
    choice_offsets, choice_program, choice_rank, capacity
        The market, as described in the module docstring.
    choice_eligible
        bool per pair, optional: ``False`` pairs are skipped (the applicant may not be
        considered there).
    slots, choice_member
        Reserves, optional: a :class:`SlotPlan`, and per pair an int64 bit mask of the
        categories whose reserved slots accept the applicant there.

    Returns
    -------
    numpy.ndarray
        int64 per applicant: the index of the pair (into ``choice_program``) the
        applicant is placed through, or ``-1`` (``UNPLACED``).
    """
    return deferred_acceptance_from(
        None,
        choice_offsets,
        choice_program,
        choice_rank,
        capacity,
        choice_eligible=choice_eligible,
        slots=slots,
        choice_member=choice_member,
    ).placed


@dataclass(frozen=True, eq=False)
class PartialMatch:
    """Deferred acceptance part of the way: some applicants have proposed, and every
    rejection chain they started has ended.

    ``placed`` is the held pair per applicant (``UNPLACED`` also for those who have not
    proposed yet) and ``proposed`` who has. The rest is what each program holds, in the
    layout of :func:`_proposal_loop`. Once every applicant has proposed, ``placed`` is
    the matching :func:`deferred_acceptance` returns.
    """

    placed: np.ndarray
    proposed: np.ndarray
    heap_start: np.ndarray
    heap_capacity: np.ndarray
    heap_applicant: np.ndarray
    heap_size: np.ndarray
    has_slots: np.ndarray


def deferred_acceptance_from(
    start: PartialMatch | None,
    choice_offsets: np.ndarray,
    choice_program: np.ndarray,
    choice_rank: np.ndarray,
    capacity: np.ndarray,
    choice_eligible: np.ndarray | None = None,
    slots: SlotPlan | None = None,
    choice_member: np.ndarray | None = None,
    proposers: np.ndarray | None = None,
) -> PartialMatch:
    """Let ``proposers`` (applicant indices; None: everyone who has not proposed yet)
    propose, from ``start`` (None: nobody has proposed), and return the new state.

    The outcome of deferred acceptance does not depend on the order in which applicants
    propose (McVitie & Wilson 1971; for the slot choice of programs with reserves, which
    is substitutable and never chooses fewer from more, Hatfield & Milgrom 2005). So the
    applicants may propose in groups: the matching after everyone has is the same as
    :func:`deferred_acceptance` gives. This lets linked families be matched again without
    redoing the work of everyone else (``lottery.seat_policy``).

    ``start`` must come from the same market, except that the pairs of applicants who
    have not proposed yet may have changed rank and membership, provided each program
    orders the pairs of those who have proposed as before (their relative order is
    what the held applicants were chosen by). ``start`` is not changed.
    """
    offsets, programs, ranks, seats = _checked(
        choice_offsets, choice_program, choice_rank, capacity
    )
    n_applicants, n_pairs, n_programs = len(offsets) - 1, len(programs), len(seats)
    eligible = (
        np.ones(n_pairs, dtype=np.bool_)
        if choice_eligible is None
        else np.ascontiguousarray(choice_eligible, dtype=np.bool_)
    )
    if slots is None:
        run_offsets = np.zeros(n_programs + 1, dtype=np.int64)
        run_category = run_count = np.zeros(0, dtype=np.int64)
        unfilled_open = True
    else:
        run_offsets = np.ascontiguousarray(slots.run_offsets, dtype=np.int64)
        run_category = np.ascontiguousarray(slots.run_category, dtype=np.int64)
        run_count = np.ascontiguousarray(slots.run_count, dtype=np.int64)
        unfilled_open = bool(slots.unfilled_open)
        _check_slots(run_offsets, run_category, run_count, seats)
    if choice_member is None:
        # Nobody is a member of any category; read only at programs with slots.
        member = np.zeros(n_pairs if len(run_category) else 0, dtype=np.int64)
    else:
        member = np.ascontiguousarray(choice_member, dtype=np.int64)
        if len(member) != n_pairs:
            raise MatchingError("choice_member needs one entry per choice")
    if len(eligible) != n_pairs:
        raise MatchingError("choice_eligible needs one entry per choice")
    state = _empty_state(offsets, programs, seats, run_offsets) if start is None else start
    if len(state.placed) != n_applicants or len(state.heap_size) != n_programs:
        raise MatchingError("the partial match belongs to a market of another size")
    if proposers is None:
        proposers = np.flatnonzero(~state.proposed)
    proposers = np.ascontiguousarray(proposers, dtype=np.int64)
    if len(proposers) and (
        proposers.min() < 0
        or proposers.max() >= n_applicants
        or state.proposed[proposers].any()
        or _repeats_any(proposers, n_applicants)
    ):
        raise MatchingError("each proposer must be an applicant who has not proposed yet")
    placed = state.placed.copy()
    heap_applicant = state.heap_applicant.copy()
    heap_size = state.heap_size.copy()
    # Held pairs keep their order, but their ranks may have new values: read them again.
    heap_rank = np.empty(len(heap_applicant), dtype=np.int64)
    _read_heap_ranks(
        heap_rank, heap_applicant, heap_size, state.heap_start, state.has_slots, placed, ranks
    )
    _proposal_loop(
        offsets,
        programs,
        ranks,
        state.heap_capacity,
        state.heap_start,
        placed,
        eligible,
        state.has_slots,
        run_offsets,
        run_category,
        run_count,
        unfilled_open,
        member,
        proposers,
        heap_rank,
        heap_applicant,
        heap_size,
    )
    proposed = state.proposed.copy()
    proposed[proposers] = True
    return PartialMatch(
        placed=placed,
        proposed=proposed,
        heap_start=state.heap_start,
        heap_capacity=state.heap_capacity,
        heap_applicant=heap_applicant,
        heap_size=heap_size,
        has_slots=state.has_slots,
    )


def _check_slots(run_offsets, run_category, run_count, seats) -> None:
    if len(run_offsets) != len(seats) + 1 or run_offsets[0] != 0:
        raise MatchingError("slots.run_offsets needs one entry per program plus one, from 0")
    if np.any(np.diff(run_offsets) < 0) or run_offsets[-1] != len(run_category):
        raise MatchingError("slots.run_offsets must not decrease and must end at the run count")
    if np.any(run_count < 0) or np.any(run_category < OPEN_SLOT) or np.any(run_category > 62):
        raise MatchingError("slot runs need counts >= 0 and categories from -1 to 62")
    has_runs = np.diff(run_offsets) > 0
    totals = np.add.reduceat(run_count, run_offsets[:-1][has_runs]) if has_runs.any() else []
    if np.any(np.asarray(totals) != seats[has_runs]):
        raise MatchingError("a program's slot runs must add up to its capacity")


def _checked(choice_offsets, choice_program, choice_rank, capacity):
    offsets = np.ascontiguousarray(choice_offsets, dtype=np.int64)
    programs = np.ascontiguousarray(choice_program, dtype=np.int64)
    ranks = np.ascontiguousarray(choice_rank, dtype=np.int64)
    seats = np.ascontiguousarray(capacity, dtype=np.int64)
    if offsets.ndim != 1 or len(offsets) < 1 or offsets[0] != 0:
        raise MatchingError("choice_offsets must be a 1-d array starting at 0")
    if np.any(np.diff(offsets) < 0):
        raise MatchingError("choice_offsets must not decrease")
    n_pairs = int(offsets[-1])
    if len(programs) != n_pairs or len(ranks) != n_pairs:
        raise MatchingError(
            f"choice_offsets describe {n_pairs} choices but choice_program has "
            f"{len(programs)} and choice_rank has {len(ranks)}"
        )
    if np.any(seats < 0):
        raise MatchingError("capacity must be >= 0 for every program")
    if n_pairs and (programs.min() < 0 or programs.max() >= len(seats)):
        raise MatchingError("choice_program refers to a program with no capacity entry")
    return offsets, programs, ranks, seats


def _repeats_any(indices: np.ndarray, n: int) -> bool:
    """Whether an index in ``0..n-1`` appears twice (marks, not np.unique: hashing a
    million indices took 0.6 s, more than half the kernel's own time)."""
    marks = np.zeros(n, dtype=np.bool_)
    marks[indices] = True
    return int(np.count_nonzero(marks)) != len(indices)


def _empty_state(offsets, programs, seats, run_offsets) -> PartialMatch:
    """Nobody has proposed: every program holds nobody."""
    n_programs = len(seats)
    # A program never holds more applicants than ranked it: size heaps by that. A
    # program with reserves needs one more place, for the newcomer it chooses among.
    demand = np.bincount(programs, minlength=n_programs)
    has_slots = (np.diff(run_offsets) > 0).astype(np.bool_)
    heap_capacity = np.minimum(seats, demand).astype(np.int64)
    heap_start = np.zeros(n_programs + 1, dtype=np.int64)
    np.cumsum(heap_capacity + has_slots, out=heap_start[1:])
    n_applicants = len(offsets) - 1
    return PartialMatch(
        placed=np.full(n_applicants, UNPLACED, dtype=np.int64),
        proposed=np.zeros(n_applicants, dtype=np.bool_),
        heap_start=heap_start,
        heap_capacity=heap_capacity,
        heap_applicant=np.empty(heap_start[-1], dtype=np.int64),
        heap_size=np.zeros(n_programs, dtype=np.int64),
        has_slots=has_slots,
    )


@njit(cache=True, nogil=True)
def _read_heap_ranks(heap_rank, heap_applicant, heap_size, heap_start, has_slots, placed, ranks):
    """The rank of every applicant held in a heap (programs with slots compare ranks
    directly and keep none)."""
    for program in range(len(heap_size)):
        if has_slots[program]:
            continue
        base = heap_start[program]
        for i in range(base, base + heap_size[program]):
            heap_rank[i] = ranks[placed[heap_applicant[i]]]


@njit(cache=True, nogil=True)
def _proposal_loop(
    offsets,
    programs,
    ranks,
    heap_capacity,
    heap_start,
    placed,
    eligible,
    has_slots,
    run_offsets,
    run_category,
    run_count,
    unfilled_open,
    member,
    proposers,
    heap_rank,
    heap_applicant,
    heap_size,
):
    """The hot loop: each of ``proposers`` proposes until every rejection chain ends;
    ``placed`` and the heaps hold what the programs hold (on entry too).

    Each program's heap stores (rank, applicant) side by side in two flat arrays, so
    comparisons read the heap's own memory rather than jumping to ``ranks``. A program
    with slots keeps its held pairs sorted by rank in ``heap_applicant`` instead.
    """
    regions = heap_start[1:] - heap_start[:-1]
    largest = 0
    for program in range(len(has_slots)):
        if has_slots[program] and regions[program] > largest:
            largest = regions[program]
    chosen = np.zeros(largest, dtype=np.int64)
    # The categories whose reserved slots each program has.
    category_mask = np.zeros(len(has_slots), dtype=np.int64)
    for program in range(len(has_slots)):
        for run in range(run_offsets[program], run_offsets[program + 1]):
            if run_category[run] != OPEN_SLOT:
                category_mask[program] |= np.int64(1) << run_category[run]
    for first in proposers:
        applicant = first
        pair = offsets[applicant]
        while applicant != -1 and pair < offsets[applicant + 1]:
            if not eligible[pair]:
                pair += 1
                continue
            program = programs[pair]
            base = heap_start[program]
            size = heap_size[program]
            if has_slots[program]:
                if (
                    size > 0
                    and size == heap_capacity[program]
                    and ranks[pair] > ranks[heap_applicant[base + size - 1]]
                    and member[pair] & category_mask[program] == 0
                ):
                    # Every slot is taken by someone ranked higher, and no reserved
                    # slot would prefer the newcomer: the choice rejects them.
                    pair += 1
                    continue
                rejected = _choose_with_slots(
                    heap_applicant,
                    chosen,
                    base,
                    size,
                    pair,
                    ranks,
                    member,
                    run_offsets[program],
                    run_offsets[program + 1],
                    run_category,
                    run_count,
                    unfilled_open,
                )
                if rejected == pair:
                    pair += 1
                    continue
                placed[applicant] = pair
                if rejected == -1:
                    heap_size[program] = size + 1
                    applicant = -1
                else:
                    applicant = _applicant_of(offsets, rejected)
                    pair = rejected + 1
                    placed[applicant] = -1
                continue
            limit = heap_capacity[program]
            rank = ranks[pair]
            if size < limit:
                _heap_push(heap_rank, heap_applicant, base, size, rank, applicant)
                heap_size[program] = size + 1
                placed[applicant] = pair
                applicant = -1
            elif limit > 0 and rank < heap_rank[base]:
                displaced = heap_applicant[base]
                _heap_replace_top(heap_rank, heap_applicant, base, size, rank, applicant)
                placed[applicant] = pair
                applicant = displaced
                # The displaced applicant goes on from the choice after the one they lost.
                pair = placed[displaced] + 1
                placed[displaced] = -1
            else:
                pair += 1


@njit(cache=True, nogil=True)
def _applicant_of(offsets, pair):
    """The applicant whose choices include ``pair`` (binary search of ``offsets``)."""
    return np.searchsorted(offsets, pair, side="right") - 1


@njit(cache=True, nogil=True)
def _choose_with_slots(
    held,
    chosen,
    base,
    size,
    pair,
    ranks,
    member,
    first_run,
    end_run,
    run_category,
    run_count,
    unfilled_open,
):
    """Add ``pair`` to the program's held pairs (sorted by rank) and let it choose.

    Returns the pair it rejects (``pair`` itself, or one it held), or -1 if it keeps
    everyone. The held pairs stay sorted, without the rejected one.
    """
    position = size
    rank = ranks[pair]
    while position > 0 and ranks[held[base + position - 1]] > rank:
        held[base + position] = held[base + position - 1]
        position -= 1
    held[base + position] = pair
    count = size + 1
    fill_slots(
        held[base : base + count],
        member,
        first_run,
        end_run,
        run_category,
        run_count,
        unfilled_open,
        chosen[:count],
    )
    rejected = -1
    kept = 0
    for i in range(count):
        if chosen[i] == NOT_CHOSEN:
            if rejected != -1:
                raise ValueError("a program with reserves rejected two applicants at once")
            rejected = held[base + i]
        else:
            held[base + kept] = held[base + i]
            kept += 1
    return rejected


@njit(cache=True, nogil=True)
def fill_slots(
    candidates, member, first_run, end_run, run_category, run_count, unfilled_open, slot_of
):
    """Give a program's slots, in order, to ``candidates`` (pairs sorted best first).

    Writes into ``slot_of`` the category of the run whose slot each candidate gets
    (``OPEN_SLOT`` for an open slot) or ``NOT_CHOSEN``. A reserved slot takes the best
    candidate whose ``member`` mask has its bit; if none is left and ``unfilled_open``,
    the best candidate left of any kind.
    """
    count = len(candidates)
    for i in range(count):
        slot_of[i] = NOT_CHOSEN
    best_left = 0  # every candidate before it has a slot
    for run in range(first_run, end_run):
        category = run_category[run]
        bit = np.int64(1) << max(category, 0)
        cursor = 0
        for _ in range(run_count[run]):
            while best_left < count and slot_of[best_left] != NOT_CHOSEN:
                best_left += 1
            if best_left >= count:
                return
            taker = -1
            if category == OPEN_SLOT:
                taker = best_left
            else:
                cursor = max(cursor, best_left)
                while cursor < count and (
                    slot_of[cursor] != NOT_CHOSEN or (member[candidates[cursor]] & bit) == 0
                ):
                    cursor += 1
                if cursor < count:
                    taker = cursor
                elif unfilled_open:
                    taker = best_left
            if taker == -1:
                break
            slot_of[taker] = category


@njit(cache=True, nogil=True)
def _heap_push(heap_rank, heap_applicant, base, size, rank, applicant):
    """Insert (rank, applicant) into the max-heap at ``base`` that holds ``size`` entries."""
    child = size
    while child > 0:
        parent = (child - 1) >> 1
        if heap_rank[base + parent] >= rank:
            break
        heap_rank[base + child] = heap_rank[base + parent]
        heap_applicant[base + child] = heap_applicant[base + parent]
        child = parent
    heap_rank[base + child] = rank
    heap_applicant[base + child] = applicant


@njit(cache=True, nogil=True)
def _heap_replace_top(heap_rank, heap_applicant, base, size, rank, applicant):
    """Replace the worst entry (the root) of a full max-heap and restore heap order."""
    parent = 0
    while True:
        child = 2 * parent + 1
        if child >= size:
            break
        if child + 1 < size and heap_rank[base + child + 1] > heap_rank[base + child]:
            child += 1
        if heap_rank[base + child] <= rank:
            break
        heap_rank[base + parent] = heap_rank[base + child]
        heap_applicant[base + parent] = heap_applicant[base + child]
        parent = child
    heap_rank[base + parent] = rank
    heap_applicant[base + parent] = applicant
