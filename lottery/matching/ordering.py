"""Each program's strict order over the applicants who ranked it."""

from __future__ import annotations

import numpy as np


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
