"""Each program's order from plain lottery numbers, for tests that build markets by hand.

The engine turns lottery numbers into positions itself (``market.py``) and calls
:func:`lottery.matching.program_order_by_position`; tests that write down a priority
and a lottery number per pair use this three-key form instead.
"""

from __future__ import annotations

import numpy as np

from lottery.matching import program_order_by_position


def program_order(
    choice_program: np.ndarray,
    choice_priority: np.ndarray,
    choice_lottery: np.ndarray,
    choice_applicant: np.ndarray,
    n_programs: int,
) -> np.ndarray:
    """Position of every pair in its program's order (0 = the program's favourite):
    priority (lower value first), then lottery number (lower first), then applicant
    index. One entry per pair in each argument; returns int64 positions ``0..k-1``
    within a program ranked by ``k`` applicants."""
    by_lottery = np.lexsort((choice_applicant, choice_lottery))
    position = np.empty(len(by_lottery), dtype=np.int64)
    position[by_lottery] = np.arange(len(by_lottery), dtype=np.int64)
    return program_order_by_position(choice_program, choice_priority, position, n_programs)
