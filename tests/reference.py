"""A small reference deferred acceptance, and checks of any matching, in plain Python.

Written to be read, not to be fast, and sharing no code with ``lottery.matching``: the
property tests compare the numpy kernel with :func:`reference_deferred_acceptance` and
check the kernel's placements with :func:`blocking_pairs` and friends.

A market here is three dicts:

``preferences``      applicant -> list of programs, most preferred first (no repeats).
``program_ranking``  program -> list of applicants, best first. An applicant missing
                     from a program's list is unacceptable to it (never happens in the
                     lottery, where every applicant who ranks a program is ranked by it).
``capacity``         program -> number of seats (>= 0).

A matching is a dict applicant -> program, or ``None`` for an unplaced applicant.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from itertools import product

Applicant = Hashable
Program = Hashable
Preferences = Mapping[Applicant, Sequence[Program]]
Ranking = Mapping[Program, Sequence[Applicant]]
Capacity = Mapping[Program, int]
Matching = dict[Applicant, Program | None]


def reference_deferred_acceptance(
    preferences: Preferences, program_ranking: Ranking, capacity: Capacity
) -> Matching:
    """Student-proposing deferred acceptance, round by round (Gale & Shapley 1962).

    1. Every applicant who holds no seat and has a program left on their list applies
       to the best such program, and crosses it off.
    2. Every program puts its new applicants together with those it already holds and
       keeps the best ``capacity`` of them by its ranking; it rejects the others (and
       anyone it does not rank).
    3. Repeat until a round has no applications.

    Invariant: after each round, every program holds the best applicants (by its
    ranking) among all who ever applied to it, at most ``capacity`` of them.
    """
    position = {p: {a: i for i, a in enumerate(ranking)} for p, ranking in program_ranking.items()}
    still_to_try = {a: list(programs) for a, programs in preferences.items()}
    held: dict[Program, list[Applicant]] = {p: [] for p in capacity}
    holder: Matching = {a: None for a in preferences}

    while True:
        applications: dict[Program, list[Applicant]] = {}
        for applicant, programs in still_to_try.items():
            if holder[applicant] is None and programs:
                applications.setdefault(programs.pop(0), []).append(applicant)
        if not applications:
            return holder
        for program, applicants in applications.items():
            ranks = position.get(program, {})
            pool = held.get(program, []) + [a for a in applicants if a in ranks]
            pool.sort(key=lambda a: ranks[a])
            keep = pool[: capacity.get(program, 0)]
            for applicant in held.get(program, []) + applicants:
                holder[applicant] = program if applicant in keep else None
            held[program] = keep


def prefers(
    preferences: Preferences, applicant: Applicant, better: Program, than: Program | None
) -> bool:
    """Whether ``applicant`` ranks ``better`` above ``than`` (``None``: being unplaced)."""
    ranked = list(preferences[applicant])
    if better not in ranked:
        return False
    return than is None or ranked.index(better) < ranked.index(than)


def assigned(matching: Mapping[Applicant, Program | None], program: Program) -> list[Applicant]:
    """Applicants placed at ``program``."""
    return [a for a, p in matching.items() if p == program]


def wasted_seats(
    matching: Mapping[Applicant, Program | None],
    preferences: Preferences,
    program_ranking: Ranking,
    capacity: Capacity,
) -> list[tuple[Applicant, Program]]:
    """Pairs (a, p): ``a`` prefers ``p`` to their placement and ``p`` has an empty seat
    that ``p`` would give ``a`` (``p`` ranks ``a``)."""
    found = []
    for applicant, placement in matching.items():
        for program in preferences[applicant]:
            if not prefers(preferences, applicant, program, placement):
                continue
            acceptable = applicant in program_ranking.get(program, ())
            if acceptable and len(assigned(matching, program)) < capacity.get(program, 0):
                found.append((applicant, program))
    return found


def justified_envy(
    matching: Mapping[Applicant, Program | None],
    preferences: Preferences,
    program_ranking: Ranking,
) -> list[tuple[Applicant, Program]]:
    """Pairs (a, p): ``a`` prefers ``p`` to their placement and ``p`` holds someone it
    ranks below ``a``."""
    found = []
    for applicant, placement in matching.items():
        for program in preferences[applicant]:
            if not prefers(preferences, applicant, program, placement):
                continue
            ranking = list(program_ranking.get(program, ()))
            if applicant not in ranking:
                continue
            mine = ranking.index(applicant)
            if any(ranking.index(other) > mine for other in assigned(matching, program)):
                found.append((applicant, program))
    return found


def blocking_pairs(
    matching: Mapping[Applicant, Program | None],
    preferences: Preferences,
    program_ranking: Ranking,
    capacity: Capacity,
) -> list[tuple[Applicant, Program]]:
    """Every pair that blocks ``matching``: a wasted seat or justified envy."""
    return sorted(
        set(wasted_seats(matching, preferences, program_ranking, capacity))
        | set(justified_envy(matching, preferences, program_ranking)),
        key=repr,
    )


def over_capacity(
    matching: Mapping[Applicant, Program | None], capacity: Capacity
) -> dict[Program, int]:
    """Programs holding more applicants than seats: program -> number placed there."""
    counts: dict[Program, int] = {}
    for program in matching.values():
        if program is not None:
            counts[program] = counts.get(program, 0) + 1
    return {p: n for p, n in counts.items() if n > capacity.get(p, 0)}


def unranked_placements(
    matching: Mapping[Applicant, Program | None], preferences: Preferences
) -> dict[Applicant, Program]:
    """Applicants placed at a program they did not rank: applicant -> program."""
    return {a: p for a, p in matching.items() if p is not None and p not in preferences[a]}


def is_stable(
    matching: Mapping[Applicant, Program | None],
    preferences: Preferences,
    program_ranking: Ranking,
    capacity: Capacity,
) -> bool:
    """Feasible (capacities, ranked programs only) and without blocking pairs."""
    return (
        not over_capacity(matching, capacity)
        and not unranked_placements(matching, preferences)
        and not blocking_pairs(matching, preferences, program_ranking, capacity)
    )


def all_stable_matchings(
    preferences: Preferences, program_ranking: Ranking, capacity: Capacity
) -> Iterator[Matching]:
    """Every stable matching, by brute force over all placements (tiny markets only)."""
    applicants = list(preferences)
    options = [[None, *preferences[a]] for a in applicants]
    for choice in product(*options):
        matching = dict(zip(applicants, choice, strict=True))
        if is_stable(matching, preferences, program_ranking, capacity):
            yield matching
