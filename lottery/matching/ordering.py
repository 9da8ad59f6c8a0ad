"""Each program's strict order over the applicants who ranked it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lottery.matching._compile import njit


def program_order_by_position(
    choice_program: np.ndarray,
    choice_priority: np.ndarray,
    choice_position: np.ndarray,
    n_programs: int,
) -> np.ndarray:
    """Position of every pair in its program's order (0 = the program's favourite).

    A program orders the applicants who ranked it by priority (lower value first), then
    by ``choice_position`` (int64 >= 0): their lottery number with the applicant-index
    fallback folded in, so that no two applicants of a program share a position (for a
    single tie-break, the applicant's lottery rank). Returns int64 per pair, ``0..k-1``
    within a program ranked by ``k`` applicants.
    Sorting one packed integer key is about twice as fast as a three-key lexsort, which
    matters with millions of pairs.
    """
    programs = np.asarray(choice_program, dtype=np.int64)
    position = np.asarray(choice_position, dtype=np.int64)
    priority_level, n_levels = _dense_levels(np.asarray(choice_priority, dtype=np.int64))
    n_positions = int(position.max()) + 1 if len(position) else 1
    if n_programs * n_levels * n_positions < 2**63:
        key = (programs * n_levels + priority_level.astype(np.int64)) * n_positions + position
        sorted_pairs = np.argsort(key)
    else:
        sorted_pairs = np.lexsort((position, priority_level, programs))
    first_pair_of_program = np.zeros(n_programs + 1, dtype=np.int64)
    np.cumsum(np.bincount(programs, minlength=n_programs), out=first_pair_of_program[1:])
    ranks = np.empty(len(programs), dtype=np.int64)
    ranks[sorted_pairs] = (
        np.arange(len(programs), dtype=np.int64) - first_pair_of_program[programs[sorted_pairs]]
    )
    return ranks


def _dense_levels(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Replace values by their rank among the distinct values (0, 1, ...); and how many."""
    if len(values) and values.min() >= 0 and values.max() < 1 << 16:
        present = np.bincount(values) > 0
        level_of = np.cumsum(present) - 1
        return level_of[values], max(int(present.sum()), 1)
    levels, inverse = np.unique(values, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), max(len(levels), 1)


@dataclass(frozen=True, eq=False)
class ProgramOrders:
    """Every program's order as one sorted array, so that a few pairs can change
    priority without sorting everything again (the reruns for linked families).

    ``sorted_pairs`` lists the pairs program by program, each program's best first:
    program ``p``'s are ``sorted_pairs[first_pair[p]:first_pair[p + 1]]``. ``key`` packs
    (program, priority level, position) into one int64 per pair, ordered as the pairs
    are, and ``sorted_keys`` is ``key[sorted_pairs]``; ``levels`` are the priority values
    it can encode, in order. ``ranks`` is what :func:`program_order_by_position` returns
    for the same priorities.
    """

    choice_program: np.ndarray
    choice_position: np.ndarray
    levels: np.ndarray
    n_positions: int
    key: np.ndarray
    sorted_pairs: np.ndarray
    sorted_keys: np.ndarray
    first_pair: np.ndarray
    ranks: np.ndarray

    @classmethod
    def from_ranks(
        cls,
        choice_program: np.ndarray,
        choice_priority: np.ndarray,
        choice_position: np.ndarray,
        ranks: np.ndarray,
        n_programs: int,
        possible_priorities: np.ndarray,
    ) -> ProgramOrders | None:
        """The orders ``ranks`` describes (from :func:`program_order_by_position`), ready
        for pairs to move to any of ``possible_priorities``; None if the packed keys
        would not fit in an int64."""
        programs = np.asarray(choice_program, dtype=np.int64)
        position = np.asarray(choice_position, dtype=np.int64)
        levels = np.unique(np.concatenate([choice_priority, possible_priorities]))
        n_positions = int(position.max()) + 1 if len(position) else 1
        if n_programs * len(levels) * n_positions >= 2**63:
            return None
        level = np.searchsorted(levels, np.asarray(choice_priority, dtype=np.int64))
        key = (programs * len(levels) + level) * n_positions + position
        first_pair = np.zeros(n_programs + 1, dtype=np.int64)
        np.cumsum(np.bincount(programs, minlength=n_programs), out=first_pair[1:])
        sorted_pairs = np.empty(len(programs), dtype=np.int64)
        sorted_pairs[first_pair[programs] + ranks] = np.arange(len(programs), dtype=np.int64)
        return cls(
            programs,
            position,
            levels,
            n_positions,
            key,
            sorted_pairs,
            key[sorted_pairs],
            first_pair,
            np.asarray(ranks, dtype=np.int64),
        )

    def with_priorities(self, pairs: np.ndarray, priority: np.ndarray) -> ProgramOrders:
        """The orders after ``pairs`` (unique pair indices) take the values ``priority``
        (each one of the possible priorities).

        Only the programs of the pairs that move are ordered again, by merging those
        pairs (sorted) into the others (sorted already): linear in those programs' pairs.
        """
        pairs = np.asarray(pairs, dtype=np.int64)
        priority = np.asarray(priority, dtype=np.int64)
        level = np.searchsorted(self.levels, priority)
        if (
            len(pairs)
            and not (self.levels[np.minimum(level, len(self.levels) - 1)] == priority).all()
        ):
            raise ValueError("a priority the orders were not prepared for")
        programs = self.choice_program[pairs]
        new_key = (programs * len(self.levels) + level) * self.n_positions
        new_key += self.choice_position[pairs]
        moves = new_key != self.key[pairs]
        if not moves.any():
            return self
        moved, moved_key = pairs[moves], new_key[moves]
        by_key = np.argsort(moved_key)
        moved, moved_key = moved[by_key], moved_key[by_key]
        key = self.key.copy()
        key[moved] = moved_key
        sorted_pairs, sorted_keys, ranks = (
            self.sorted_pairs.copy(),
            self.sorted_keys.copy(),
            self.ranks.copy(),
        )
        was_moved = np.zeros(len(key), dtype=np.bool_)
        was_moved[moved] = True
        _merge_moved(
            sorted_pairs,
            sorted_keys,
            ranks,
            self.first_pair,
            self.choice_program[moved],
            moved,
            moved_key,
            was_moved,
        )
        return replace(
            self, key=key, sorted_pairs=sorted_pairs, sorted_keys=sorted_keys, ranks=ranks
        )


@njit(cache=True, nogil=True)
def _merge_moved(
    sorted_pairs, sorted_keys, ranks, first_pair, moved_program, moved, moved_key, was_moved
):
    """Put the ``moved`` pairs (sorted by their new ``moved_key``, hence by program) in
    their places: program by program, the pairs that stayed, in order, merged with the
    program's moved ones; ``ranks`` follow. In place."""
    largest = 0
    for p in range(len(first_pair) - 1):
        largest = max(largest, first_pair[p + 1] - first_pair[p])
    stayed_pairs = np.empty(largest, dtype=np.int64)
    stayed_keys = np.empty(largest, dtype=np.int64)
    m = 0
    while m < len(moved):
        program = moved_program[m]
        end_moved = m
        while end_moved < len(moved) and moved_program[end_moved] == program:
            end_moved += 1
        start, end = first_pair[program], first_pair[program + 1]
        count = 0
        for i in range(start, end):
            if not was_moved[sorted_pairs[i]]:
                stayed_pairs[count] = sorted_pairs[i]
                stayed_keys[count] = sorted_keys[i]
                count += 1
        s = 0
        for i in range(start, end):
            if s < count and (end_moved == m or stayed_keys[s] < moved_key[m]):
                sorted_pairs[i] = stayed_pairs[s]
                sorted_keys[i] = stayed_keys[s]
                s += 1
            else:
                sorted_pairs[i] = moved[m]
                sorted_keys[i] = moved_key[m]
                m += 1
            ranks[sorted_pairs[i]] = i - start
