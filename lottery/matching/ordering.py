"""Each program's strict order over the applicants who ranked it."""

from __future__ import annotations

import numpy as np


def program_order(
    choice_program: np.ndarray,
    choice_priority: np.ndarray,
    choice_lottery: np.ndarray,
    choice_applicant: np.ndarray,
    n_programs: int,
) -> np.ndarray:
    """Position of every pair in its program's order (0 = the program's favourite).

    A program orders the applicants who ranked it by priority (lower value first), then
    lottery number (lower first), then applicant index. Applicant indices follow sorted
    applicant IDs, so the last key is the documented ``applicant_id`` fallback.

    Parameters
    ----------
    choice_program, choice_priority, choice_lottery, choice_applicant
        One entry per pair: the program ranked, the applicant's priority value there,
        the lottery number used there (uint64), and the applicant's index.
    n_programs
        Number of programs.

    Returns
    -------
    numpy.ndarray
        int64 per pair, unique within each program, ``0..k-1`` for a program ranked by
        ``k`` applicants.
    """
    programs = np.asarray(choice_program, dtype=np.int64)
    sorted_pairs = np.lexsort((choice_applicant, choice_lottery, choice_priority, programs))
    first_pair_of_program = np.zeros(n_programs + 1, dtype=np.int64)
    np.cumsum(np.bincount(programs, minlength=n_programs), out=first_pair_of_program[1:])
    ranks = np.empty(len(programs), dtype=np.int64)
    ranks[sorted_pairs] = (
        np.arange(len(programs), dtype=np.int64) - first_pair_of_program[programs[sorted_pairs]]
    )
    return ranks
