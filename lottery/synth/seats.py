"""Seats of every program (step 4) and the seat policy's own seats: the zone guarantee's,
held seats and ``reserves.csv`` (step 5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lottery.io.inputs import GRADES
from lottery.synth.applicants import Applicants
from lottery.synth.parameters import (
    ADMINISTRATIVE_GRADES,
    DUAL_LANGUAGE_SEATS,
    ELL_RESERVE,
    FIRST_CHOICE_FIT,
    FRL_RESERVE,
    FRL_RESERVE_SCHOOLS,
    HELD_MIN_SEATS,
    HELD_SHARE,
    PROXIMITY_MILES,
    PROXIMITY_RESERVE,
    PROXIMITY_RESERVE_SCHOOLS,
    RESERVE_MIN_CAPACITY,
    SEAT_RATIO,
    SPECIAL_EDUCATION_CLASS,
    ZONE_GUARANTEE_COVER,
)
from lottery.synth.schools import Programs, Schools


def program_seats(
    rng: np.random.Generator,
    city: Schools,
    programs: Programs,
    people: Applicants,
    first_demand: np.ndarray,
    stays: np.ndarray,
) -> np.ndarray:
    """Seats per program: a grade's open seats shared by school size, tilted by demand.

    Each grade gets ``SEAT_RATIO`` open seats per applicant, shared in proportion to
    ``size * (first-choice demand + 1) ** tilt``. How concentrated demand is depends on
    how many programs compete in a neighbourhood, so a fixed rule would give small
    cities far more first choices than large ones. The tilt is therefore set per grade
    (by bisection, between -1 and 1) so that ``FIRST_CHOICE_FIT`` of the first choices
    fit in the seats. Deferred acceptance places somewhat fewer at their first choice,
    as applicants with priority who ranked a program lower take some of its seats.
    A program never has fewer seats than the continuing students who ranked it.
    """
    grade = programs.grade
    size = city.size[programs.school] * np.where(programs.dual_language, DUAL_LANGUAGE_SEATS, 1.0)
    # A special-education program is one class, outside the grade's shared seats.
    size *= np.where(programs.special, 0.0, 1.0)
    demand = np.where(programs.special, 0, first_demand).astype(float)
    grade_demand = np.bincount(grade, weights=demand, minlength=len(GRADES))
    open_seats = SEAT_RATIO * np.bincount(people.grade, minlength=len(GRADES))[grade]

    def share(tilt: np.ndarray) -> np.ndarray:
        weight = size * (demand + 1.0) ** tilt[grade]
        total = np.bincount(grade, weights=weight, minlength=len(GRADES))
        return open_seats * weight / total[grade]

    low, high = np.full(len(GRADES), -1.0), np.ones(len(GRADES))
    for _ in range(30):  # more tilt, more first choices fit: bisect every grade at once
        middle = (low + high) / 2
        fit = np.bincount(grade, weights=np.minimum(demand, share(middle)), minlength=len(GRADES))
        short = fit < FIRST_CHOICE_FIT * grade_demand
        low, high = np.where(short, middle, low), np.where(short, high, middle)
    exact = share(high)
    # Random rounding keeps each grade's total right on average, even for tiny programs.
    seats = np.maximum(np.floor(exact + rng.random(len(exact))).astype(np.int64), stays)
    seats[programs.special] = SPECIAL_EDUCATION_CLASS
    return seats


def administrative_programs(city: Schools, programs: Programs) -> np.ndarray:
    """Mask of the programs that promise a seat to their zone: district main programs of
    ADMINISTRATIVE_GRADES."""
    return (
        programs.main
        & ~city.charter[programs.school]
        & np.isin(programs.grade, [GRADES.index(g) for g in ADMINISTRATIVE_GRADES])
    )


def zone_guarantee_seats(
    city: Schools, programs: Programs, seats: np.ndarray, people: Applicants
) -> np.ndarray:
    """Seats with room, in each zone and grade with a zone guarantee, for
    ZONE_GUARANTEE_COVER of the applicants of that zone and grade: a district that
    promises seats builds them. A zone's programs short of that grow in proportion to
    their seats (rounded up)."""
    promised = administrative_programs(city, programs)
    cells = len(city.zone_codes) * len(GRADES)
    key = city.zone[programs.school] * len(GRADES) + programs.grade
    have = np.bincount(key[promised], weights=seats[promised], minlength=cells)
    lives = people.zone >= 0
    need = ZONE_GUARANTEE_COVER * np.bincount(
        people.zone[lives] * len(GRADES) + people.grade[lives], minlength=cells
    )
    factor = np.where(have > 0, need / np.maximum(have, 1.0), 1.0)
    grown = np.ceil(seats * np.maximum(factor[key], 1.0) - 1e-9).astype(np.int64)
    # A zone whose programs have no seats at all shares the need equally instead.
    count = np.bincount(key[promised], minlength=cells)
    empty = promised & (have[key] == 0)
    grown[empty] = np.ceil(need[key[empty]] / count[key[empty]]).astype(np.int64)
    return np.where(promised, np.maximum(grown, seats), seats)


def held_seats(
    rng: np.random.Generator, programs: Programs, seats: np.ndarray, people: Applicants
) -> np.ndarray:
    """Seats a few main programs keep back, never the seats guaranteed to applicants."""
    guaranteed = np.bincount(people.guaranteed[people.guaranteed >= 0], minlength=len(seats))
    eligible = np.flatnonzero(programs.main & programs.in_lottery & (seats >= HELD_MIN_SEATS))
    count = max(int(len(eligible) >= 10), round(len(eligible) * HELD_SHARE))
    held = np.zeros(len(seats), dtype=np.int64)
    chosen = rng.permutation(eligible)[:count]
    held[chosen] = np.minimum(rng.integers(1, 4, len(chosen)), seats[chosen] - guaranteed[chosen])
    return held


def reserves_table(
    rng: np.random.Generator, city: Schools, programs: Programs, capacity: np.ndarray
) -> pd.DataFrame:
    """reserves.csv: a share for tag:frl at some schools' main programs, some seats for
    proximity at some district schools' main programs, a share for tag:ell in
    dual-language strands; only at programs offering RESERVE_MIN_CAPACITY seats or more."""

    def some(schools: np.ndarray, share: float) -> np.ndarray:
        """Per program: whether its school is among ``share`` of ``schools``."""
        chosen = np.zeros(len(city.id), dtype=bool)
        chosen[rng.permutation(schools)[: round(len(schools) * share)]] = True
        return chosen[programs.school]

    frl = some(np.arange(len(city.id)), FRL_RESERVE_SCHOOLS)
    near = some(np.flatnonzero(~city.charter), PROXIMITY_RESERVE_SCHOOLS)
    room = programs.in_lottery & (capacity >= RESERVE_MIN_CAPACITY)
    near_seats = np.floor(capacity * PROXIMITY_RESERVE).astype(np.int64).astype(str)
    blank = np.full(len(programs.id), "", dtype=object)
    parts = []
    for category, where, seats, share in (
        ("tag:ell", room & programs.dual_language, blank, ELL_RESERVE),
        ("tag:frl", room & programs.main & frl, blank, FRL_RESERVE),
        (f"proximity:{PROXIMITY_MILES}", room & programs.main & near, near_seats, ""),
    ):
        index = np.flatnonzero(where)
        parts.append(
            pd.DataFrame(
                {
                    "index": index,
                    "program_id": programs.id[index],
                    "category": category,
                    "seats": seats[index],
                    "share": share,
                }
            )
        )
    # Sorted by program (in the order of programs.csv), then category.
    rows = pd.concat(parts).sort_values(["index", "category"], kind="stable")
    return rows.drop(columns="index").reset_index(drop=True)
