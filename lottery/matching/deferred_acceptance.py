"""Student-proposing deferred acceptance on dense arrays.

The market arrives in compressed form, one entry per ranked choice ("pair"):

``choice_offsets``  int64, length ``n_applicants + 1``: applicant ``a`` ranked the pairs
                    ``choice_offsets[a]:choice_offsets[a + 1]``, most preferred first.
``choice_program``  int64 per pair: the program ranked.
``choice_rank``     int64 per pair: the applicant's position in that program's strict
                    order (0 is the program's favourite). Positions are unique within a
                    program; :func:`lottery.matching.ordering.program_order` builds them
                    from priorities and lottery numbers.
``capacity``        int64 per program: seats (>= 0).

Nothing here reads files, prints, draws random numbers or mutates its inputs.
"""

from __future__ import annotations

import numpy as np

from lottery.errors import MatchingError
from lottery.matching._compile import njit

UNPLACED = -1


def deferred_acceptance(
    choice_offsets: np.ndarray,
    choice_program: np.ndarray,
    choice_rank: np.ndarray,
    capacity: np.ndarray,
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

    Invariant of the loop: every program holds the best applicants (by its order)
    among those who have applied to it so far, at most ``capacity`` of them.

    Parameters
    ----------
    choice_offsets, choice_program, choice_rank, capacity
        The market, as described in the module docstring.

    Returns
    -------
    numpy.ndarray
        int64 per applicant: the index of the pair (into ``choice_program``) the
        applicant is placed through, or ``-1`` (``UNPLACED``).
    """
    offsets, programs, ranks, seats = _checked(
        choice_offsets, choice_program, choice_rank, capacity
    )
    return _propose_until_stable(offsets, programs, ranks, seats)


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


def _propose_until_stable(offsets, programs, ranks, seats):
    n_programs = len(seats)
    # A program never holds more applicants than ranked it: size heaps by that.
    demand = np.bincount(programs, minlength=n_programs)
    heap_capacity = np.minimum(seats, demand).astype(np.int64)
    heap_start = np.zeros(n_programs + 1, dtype=np.int64)
    np.cumsum(heap_capacity, out=heap_start[1:])
    placed = np.full(len(offsets) - 1, UNPLACED, dtype=np.int64)
    _proposal_loop(offsets, programs, ranks, heap_capacity, heap_start, placed)
    return placed


@njit(cache=True, nogil=True)
def _proposal_loop(offsets, programs, ranks, heap_capacity, heap_start, placed):
    """The hot loop: fills ``placed`` (all -1 on entry) with each applicant's held pair.

    Each program's heap stores (rank, applicant) side by side in two flat arrays, so
    comparisons read the heap's own memory rather than jumping to ``ranks``.
    """
    n_applicants = len(offsets) - 1
    heap_rank = np.empty(heap_start[-1], dtype=np.int64)
    heap_applicant = np.empty(heap_start[-1], dtype=np.int64)
    heap_size = np.zeros(len(heap_capacity), dtype=np.int64)
    for first in range(n_applicants):
        applicant = first
        pair = offsets[applicant]
        while applicant != -1 and pair < offsets[applicant + 1]:
            program = programs[pair]
            limit = heap_capacity[program]
            rank = ranks[pair]
            base = heap_start[program]
            size = heap_size[program]
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
