"""Ranked lists: step 3 of a city, drawn one chunk of applicants at a time.

Keeping the first occurrences of weighted draws with replacement is sampling without
replacement, so each list is a Plackett-Luce ranking (Luce 1959; Plackett 1975).
"""

from __future__ import annotations

import numpy as np

from lottery.synth.applicants import Applicants
from lottery.synth.draws import Urn, nearby_zone
from lottery.synth.parameters import (
    DUAL_LANGUAGE_APPEAL,
    SPECIAL_EDUCATION_APPEAL,
    SPECIAL_EDUCATION_TAG,
    TAGS,
    ZONE_PULL,
)
from lottery.synth.schools import Programs, Schools


def _first_occurrences(matrix: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each non-negative value in each row."""
    order = np.argsort(matrix, axis=1, kind="stable")
    ordered = np.take_along_axis(matrix, order, axis=1)
    first_sorted = np.ones(ordered.shape, dtype=bool)
    first_sorted[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.empty_like(first_sorted)
    np.put_along_axis(first, order, first_sorted, axis=1)
    return first & (matrix >= 0)


def choice_urns(city: Schools, programs: Programs) -> dict[tuple[bool, bool], Urn]:
    """Popularity-weighted urns by (home language other than English, has tag ``iep``).

    Without special-education programs the tag changes nothing, and there are only the
    two urns ``(False, False)`` and ``(True, False)``.
    """
    program_zone = city.zone[programs.school]
    popularity = city.popularity[programs.school] * programs.in_lottery
    needs = (False, True) if programs.special.any() else (False,)
    return {
        (speaks_other, iep): Urn(
            programs,
            program_zone,
            popularity
            * np.where(programs.dual_language, DUAL_LANGUAGE_APPEAL[speaks_other], 1.0)
            * np.where(programs.special, SPECIAL_EDUCATION_APPEAL[iep], 1.0),
            len(city.zone_codes),
        )
        for speaks_other in (False, True)
        for iep in needs
    }


def rank_lists(
    rng: np.random.Generator,
    people: Applicants,
    rows: np.ndarray,
    urns: dict[tuple[bool, bool], Urn],
    n_zones: int,
    max_choices: int,
    programs: Programs,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranked lists of applicants ``rows`` as (applicant, rank, program), sorted by both.

    Forced first choices (staying, a sibling's school) come first, then the distinct
    programs of the weighted draws up to the list length, then a continuing student's
    fallback if it is not already on the list. ``rows`` is one chunk (consecutive).
    """
    draws = 3 * max_choices + 12  # enough distinct programs for nearly every list
    shape = (len(rows), draws)
    grade = people.grade[rows, None]
    home = np.broadcast_to(people.zone[rows, None], shape)
    zone = nearby_zone(rng, home, n_zones, rng.random(shape) < ZONE_PULL)
    u = rng.random(shape)
    drawn = np.full(shape, -1, dtype=np.int64)
    other_language = people.language[rows] != 0
    iep = np.zeros(len(rows), dtype=bool)
    if people.tags is not None:
        iep = (people.tags[rows] >> TAGS.index(SPECIAL_EDUCATION_TAG)) & 1 == 1
    for (speaks_other, needs), urn in urns.items():
        mine = (other_language == speaks_other) & (iep == needs)
        drawn[mine] = urn.draw(grade[mine], zone[mine], u[mine])
    if people.head is not None:
        _family_draws(people, rows, drawn, programs)

    candidates = np.column_stack([people.first_program[rows], drawn])
    last = people.last_program[rows]
    room = people.length[rows] - (last >= 0)
    keep = _first_occurrences(candidates)
    count = np.cumsum(keep, axis=1)
    keep &= count <= room[:, None]
    kept = np.minimum(count[:, -1], room)
    add_last = (last >= 0) & ~((candidates == last[:, None]) & keep).any(axis=1)

    who, column = np.nonzero(keep)
    extra = np.flatnonzero(add_last)
    applicant = np.concatenate([rows[who], rows[extra]])
    rank = np.concatenate([count[who, column], kept[extra] + 1])
    program = np.concatenate([candidates[who, column], last[extra]])
    order = np.lexsort((rank, applicant))
    return applicant[order], rank[order], program[order]


def _family_draws(
    people: Applicants, rows: np.ndarray, drawn: np.ndarray, programs: Programs
) -> None:
    """Families choose together: a twin takes the first member's draws (and so, with the
    same forced choices and length, the same list); a sibling in another grade takes the
    first member's schools where they teach the sibling's grade, and keeps their own
    draws elsewhere."""
    head = people.head[rows] - rows[0]  # a family never crosses a chunk
    follower = np.flatnonzero(head != np.arange(len(rows)))
    if not len(follower):
        return
    twin = people.twin[rows[follower]]
    drawn[follower[twin]] = drawn[head[follower[twin]]]
    other = follower[~twin]
    theirs = drawn[head[other]]
    school = programs.school[np.maximum(theirs, 0)]
    same_school = programs.regular_of[school, people.grade[rows[other], None]]
    same_school[theirs < 0] = -1
    drawn[other] = np.where(same_school >= 0, same_school, drawn[other])
