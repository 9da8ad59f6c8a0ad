"""Drawing programs by weight, near home: the urn and the grid of zones that applicants'
current schools, siblings' schools and ranked lists are drawn from.
"""

from __future__ import annotations

import math

import numpy as np

from lottery.io.inputs import GRADES
from lottery.synth.schools import Programs


class Urn:
    """Weighted draws of programs within one grade, either citywide or within one zone.

    Programs are sorted by (grade, zone) so that each grade, and each zone within it, is
    a contiguous run of a cumulative-weight array; a draw is one binary search.
    """

    def __init__(self, programs: Programs, zone: np.ndarray, weight: np.ndarray, n_zones: int):
        keep = np.flatnonzero(weight > 0)
        order = keep[np.lexsort((zone[keep], programs.grade[keep]))]
        self.items = order
        self.cum = np.concatenate(([0.0], np.cumsum(weight[order])))
        self.n_zones = n_zones
        grade = programs.grade[order]
        key = grade * n_zones + zone[order]
        keys = np.arange(len(GRADES) * n_zones)
        self.zone_lo = np.searchsorted(key, keys, "left")
        self.zone_hi = np.searchsorted(key, keys, "right")
        grades = np.arange(len(GRADES))
        self.grade_lo = np.searchsorted(grade, grades, "left")
        self.grade_hi = np.searchsorted(grade, grades, "right")

    def draw(self, grade, zone, u) -> np.ndarray:
        """One program per cell (arrays broadcast), -1 where the grade has none.

        Draws from ``zone`` when it has programs of that grade, otherwise (or when
        ``zone`` is -1) citywide; ``u`` holds uniform numbers in [0, 1).
        """
        key = grade * self.n_zones + np.maximum(zone, 0)
        zone_lo, zone_hi = self.zone_lo[key], self.zone_hi[key]
        use_zone = (zone >= 0) & (zone_hi > zone_lo)
        lo = np.where(use_zone, zone_lo, self.grade_lo[grade])
        hi = np.where(use_zone, zone_hi, self.grade_hi[grade])
        base = self.cum[lo]
        position = np.searchsorted(self.cum, base + u * (self.cum[hi] - base), side="right") - 1
        position = np.clip(position, lo, np.maximum(hi - 1, lo))
        found = hi > lo
        return np.where(found, self.items[np.minimum(position, len(self.items) - 1)], -1)


def nearby_zone(rng: np.random.Generator, home: np.ndarray, n_zones: int, stay: np.ndarray):
    """``home`` where ``stay`` holds, else a random zone next to it (or itself).

    Zones lie on a square grid in the order of their codes; a neighbour is one step
    away in any of the eight directions, or the home zone itself. People without a
    home zone (-1) stay at -1, which draws citywide.
    """
    side = math.ceil(math.sqrt(n_zones))
    rows = math.ceil(n_zones / side)
    row = np.clip(home // side + rng.integers(-1, 2, home.shape), 0, rows - 1)
    column = np.clip(home % side + rng.integers(-1, 2, home.shape), 0, side - 1)
    neighbour = row * side + column
    neighbour = np.where(neighbour < n_zones, neighbour, home)  # the grid's last row may be short
    return np.where(stay | (home < 0), home, neighbour)
