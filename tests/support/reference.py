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

Programs may also choose with a **choice function** instead of "the best ``capacity``":
``choice`` (optional everywhere it appears) maps a program to a function that gets the
candidates the program ranks, best first, and returns the ones it chooses. Programs
missing from ``choice`` keep the plain rule. :func:`choose_with_slots` is the choice of a
program with reserves (slot-specific priorities, docs/seat-policy.md "Reserved seats"),
and :func:`blocking_pairs_with_choice` / :func:`is_stable_with_choice` check stability
for any choice functions.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from functools import partial
from itertools import product

Applicant = Hashable
Program = Hashable
Preferences = Mapping[Applicant, Sequence[Program]]
Ranking = Mapping[Program, Sequence[Applicant]]
Capacity = Mapping[Program, int]
Matching = dict[Applicant, Program | None]
Category = Hashable
ChoiceFunction = Callable[[Sequence[Applicant]], Sequence[Applicant]]
Choices = Mapping[Program, ChoiceFunction]


def reference_deferred_acceptance(
    preferences: Preferences,
    program_ranking: Ranking,
    capacity: Capacity,
    choice: Choices | None = None,
) -> Matching:
    """Student-proposing deferred acceptance, round by round (Gale & Shapley 1962).

    1. Every applicant who holds no seat and has a program left on their list applies
       to the best such program, and crosses it off.
    2. Every program puts its new applicants together with those it already holds and
       keeps the best ``capacity`` of them by its ranking (or, if it has a choice
       function in ``choice``, the ones that function chooses from them); it rejects
       the others (and anyone it does not rank).
    3. Repeat until a round has no applications.

    Invariant: after each round, every program holds the best applicants (by its
    ranking) among all who ever applied to it, at most ``capacity`` of them. With
    choice functions that are substitutable and never choose fewer from more (as the
    slot-specific ones are; Kominers & Sonmez 2016), it holds its choice among all who
    ever applied to it.
    """
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
            pool = held.get(program, []) + applicants
            keep = choose(program, pool, program_ranking, capacity, choice)
            for applicant in pool:
                holder[applicant] = program if applicant in keep else None
            held[program] = keep


def choose(
    program: Program,
    candidates: Sequence[Applicant],
    program_ranking: Ranking,
    capacity: Capacity,
    choice: Choices | None = None,
) -> list[Applicant]:
    """The applicants ``program`` chooses from ``candidates`` (a list, best first).

    Candidates the program does not rank are never chosen. The others go, best first,
    to the program's choice function if ``choice`` has one, else the best ``capacity``
    are chosen.
    """
    ranks = {a: i for i, a in enumerate(program_ranking.get(program, ()))}
    ranked = sorted((a for a in set(candidates) if a in ranks), key=lambda a: ranks[a])
    if choice is not None and program in choice:
        chosen = list(choice[program](ranked))
        assert len(set(chosen)) == len(chosen) and set(chosen) <= set(ranked), chosen
        return sorted(chosen, key=lambda a: ranks[a])
    return ranked[: capacity.get(program, 0)]


# ----------------------------------------------------------------------------- reserves

OPEN = None  # the category of an open slot in a list of slots


def assign_slots(
    candidates_best_first: Sequence[Applicant],
    slots: Sequence[Category | None],
    is_member: Callable[[Applicant, Category], bool],
    unfilled_open: bool,
) -> list[tuple[Category | None, Applicant | None]]:
    """Fill ``slots`` one after another; ``(category, taker or None)`` per slot.

    ``slots`` lists each slot's category in precedence order, ``OPEN`` (``None``) for an
    open slot. An open slot takes the best candidate not yet given a slot. A reserved
    slot of category ``c`` takes the best such candidate with ``is_member(candidate, c)``;
    if there is none, then with ``unfilled_open`` it takes the best candidate left of
    any kind, and otherwise it stays empty (``None``).
    """
    left = list(candidates_best_first)
    filled: list[tuple[Category | None, Applicant | None]] = []
    for category in slots:
        if category is OPEN:
            takers = left
        else:
            takers = [a for a in left if is_member(a, category)]
            if not takers and unfilled_open:
                takers = left
        taker = takers[0] if takers else None
        if taker is not None:
            left.remove(taker)
        filled.append((category, taker))
    return filled


def choose_with_slots(
    candidates_best_first: Sequence[Applicant],
    slots: Sequence[Category | None],
    is_member: Callable[[Applicant, Category], bool],
    unfilled_open: bool,
) -> list[Applicant]:
    """The slot-specific choice (Kominers & Sonmez 2016; Dur, Kominers, Pathak & Sonmez
    2018): the candidates :func:`assign_slots` gives a slot, best first."""
    taken = {a for _, a in assign_slots(candidates_best_first, slots, is_member, unfilled_open)}
    return [a for a in candidates_best_first if a in taken]


def slot_choice(
    slots: Sequence[Category | None],
    is_member: Callable[[Applicant, Category], bool],
    unfilled_open: bool,
) -> ChoiceFunction:
    """:func:`choose_with_slots` with the program's slots fixed: a choice function."""
    return partial(
        _choose_with_fixed_slots, slots=list(slots), is_member=is_member, unfilled=unfilled_open
    )


def _choose_with_fixed_slots(candidates, *, slots, is_member, unfilled):
    return choose_with_slots(candidates, slots, is_member, unfilled)


def blocking_pairs_with_choice(
    matching: Mapping[Applicant, Program | None],
    preferences: Preferences,
    program_ranking: Ranking,
    capacity: Capacity,
    choice: Choices | None = None,
) -> list[tuple[Applicant, Program]]:
    """Pairs (i, p) that block ``matching`` when programs choose with ``choice``: ``i``
    prefers ``p`` to their placement (or is unplaced), ``p`` ranks ``i`` (``i`` is
    eligible there), and ``p`` chooses ``i`` from its placed applicants plus ``i``.

    This covers both justified envy and wasted seats: a slot that is free for ``i``
    (``p`` would choose all its placed applicants and ``i``) is a blocking pair too.
    """
    found = []
    for applicant, placement in matching.items():
        for program in preferences[applicant]:
            if not prefers(preferences, applicant, program, placement):
                continue
            if applicant not in program_ranking.get(program, ()):
                continue
            pool = assigned(matching, program) + [applicant]
            if applicant in choose(program, pool, program_ranking, capacity, choice):
                found.append((applicant, program))
    return sorted(found, key=repr)


def unchosen_placements(
    matching: Mapping[Applicant, Program | None],
    program_ranking: Ranking,
    capacity: Capacity,
    choice: Choices | None = None,
) -> dict[Program, list[Applicant]]:
    """Programs that would not choose everyone placed there from just those applicants
    (too many of them, one it does not rank, a reserved-only slot given to a
    non-member...): program -> the placed applicants it would drop."""
    dropped = {}
    for program in {p for p in matching.values() if p is not None}:
        placed = assigned(matching, program)
        kept = choose(program, placed, program_ranking, capacity, choice)
        if sorted(kept, key=repr) != sorted(placed, key=repr):
            dropped[program] = [a for a in placed if a not in kept]
    return dropped


def is_stable_with_choice(
    matching: Mapping[Applicant, Program | None],
    preferences: Preferences,
    program_ranking: Ranking,
    capacity: Capacity,
    choice: Choices | None = None,
) -> bool:
    """Placements only at ranked programs, every program chooses all it was given
    (individually rational), and no blocking pair."""
    return (
        not unranked_placements(matching, preferences)
        and not unchosen_placements(matching, program_ranking, capacity, choice)
        and not blocking_pairs_with_choice(matching, preferences, program_ranking, capacity, choice)
    )


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
    preferences: Preferences,
    program_ranking: Ranking,
    capacity: Capacity,
    choice: Choices | None = None,
) -> Iterator[Matching]:
    """Every stable matching, by brute force over all placements (tiny markets only).

    With ``choice``, stable in the sense of :func:`is_stable_with_choice`."""
    applicants = list(preferences)
    options = [[None, *preferences[a]] for a in applicants]
    for placement in product(*options):
        matching = dict(zip(applicants, placement, strict=True))
        if choice is None:
            if is_stable(matching, preferences, program_ranking, capacity):
                yield matching
        elif is_stable_with_choice(matching, preferences, program_ranking, capacity, choice):
            yield matching
