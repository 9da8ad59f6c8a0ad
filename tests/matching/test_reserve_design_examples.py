"""Worked examples of reserve design: how precedence and unfilled seats change who is
admitted.

After Dur, U., Kominers, S. D., Pathak, P. A. & Sonmez, T. (2018), "Reserve Design:
Unintended Consequences and the Demise of Boston's Walk Zones", Journal of Political
Economy 126(6), 2457-2479. The examples are built by hand in the paper's spirit (not
copied from it); each docstring works out the admissions by hand. Programs choose with
slot-specific priorities as in docs/seat-policy.md, "Reserved seats" (Kominers, S. D. &
Sonmez, T. (2016), "Matching with slot-specific priorities: Theory", Theoretical
Economics 11(2), 683-710).

:func:`match` runs the engine's matcher on a market given by names and checks it against
the plain-Python reference (``tests/support/reference.py``), so every example pins both.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from support.program_orders import program_order
from support.reference import (
    all_stable_matchings,
    is_stable_with_choice,
    reference_deferred_acceptance,
    slot_choice,
)

from lottery.matching import OPEN_SLOT, UNPLACED, SlotPlan, deferred_acceptance

Named = dict[str, list[str]]


def _is_member(members: dict[str, set[str]], applicant: str, category: str) -> bool:
    return applicant in members.get(category, set())


def reserve_runs(
    seats: int, reserved: dict[str, int], precedence: str
) -> list[tuple[str | None, int]]:
    """A program's runs as docs/seat-policy.md lays them out: ``reserved_first`` puts the
    reserved runs (categories in alphabetical order) before the open run, ``open_first``
    after it. ``None`` is the open run."""
    categories = [(c, reserved[c]) for c in sorted(reserved)]
    open_run = [(None, seats - sum(reserved.values()))]
    return categories + open_run if precedence == "reserved_first" else open_run + categories


def match(
    preferences: Named,
    order: Named,
    seats: dict[str, int],
    runs: dict[str, list[tuple[str | None, int]]] | None = None,
    members: dict[str, dict[str, set[str]]] | None = None,
    unfilled: str = "open",
    ineligible: frozenset[tuple[str, str]] = frozenset(),
) -> dict[str, str | None]:
    """Placements by the kernel, checked against the reference.

    ``order[p]`` is program ``p``'s normal order (priority, then lottery), best first;
    ``runs[p]`` its runs of slots, ``(category, count)`` with ``None`` for open slots (a
    program missing from ``runs`` has no reserves); ``members[p][c]`` the applicants in
    category ``c`` at ``p``; ``unfilled`` is ``"open"`` or ``"empty"``; ``ineligible``
    holds (applicant, program) pairs the match must skip.
    """
    runs = runs or {}
    members = members or {}
    applicants = sorted(preferences)
    programs = sorted(seats)
    index = {p: i for i, p in enumerate(programs)}
    categories = {c for m in members.values() for c in m}
    categories |= {c for rs in runs.values() for c, _ in rs if c is not None}
    bit = {c: b for b, c in enumerate(sorted(categories))}  # category name -> member bit

    pairs = [(a, p) for a in applicants for p in preferences[a]]
    offsets = np.cumsum([0] + [len(preferences[a]) for a in applicants], dtype=np.int64)
    program = np.array([index[p] for _, p in pairs], dtype=np.int64)
    applicant = np.array([applicants.index(a) for a, _ in pairs], dtype=np.int64)
    priority = np.array([order[p].index(a) + 1 for a, p in pairs], dtype=np.int64)
    rank = program_order(program, priority, np.zeros(len(pairs), np.uint64), applicant, len(index))
    capacity = np.array([seats[p] for p in programs], dtype=np.int64)
    eligible = np.array([pair not in ineligible for pair in pairs], dtype=np.bool_)
    member = np.array(
        [
            sum(1 << bit[c] for c, names in members.get(p, {}).items() if a in names)
            for a, p in pairs
        ],
        dtype=np.int64,
    )
    flat = [(p, c, n) for p in programs for c, n in runs.get(p, [])]
    slots = SlotPlan(
        run_offsets=np.cumsum([0] + [len(runs.get(p, [])) for p in programs], dtype=np.int64),
        run_category=np.array([OPEN_SLOT if c is None else bit[c] for _, c, _ in flat], np.int64),
        run_count=np.array([n for _, _, n in flat], dtype=np.int64),
        unfilled_open=unfilled == "open",
    )
    placed = deferred_acceptance(offsets, program, rank, capacity, eligible, slots, member)
    result = {
        a: None if pair == UNPLACED else programs[program[pair]]
        for a, pair in zip(applicants, placed.tolist(), strict=True)
    }

    reference = reference_inputs(preferences, order, seats, runs, members, unfilled, ineligible)
    assert result == reference_deferred_acceptance(*reference)
    assert is_stable_with_choice(result, *reference)
    return result


def reference_inputs(preferences, order, seats, runs, members, unfilled, ineligible):
    """``(preferences, program_ranking, capacity, choice)`` for ``tests/support/reference.py``:
    ineligible pairs are left out of the program's order."""
    ranking = {p: [a for a in order[p] if (a, p) not in ineligible] for p in seats}
    choice = {
        p: slot_choice(
            [c for c, n in program_runs for _ in range(n)],
            partial(_is_member, members.get(p, {})),
            unfilled == "open",
        )
        for p, program_runs in runs.items()
    }
    return preferences, ranking, seats, choice


def admitted(placements: dict[str, str | None], program: str) -> list[str]:
    return sorted(a for a, p in placements.items() if p == program)


def test_seat_policy_two_seat_example_precedence_decides_who_is_admitted():
    """The example of docs/seat-policy.md ("Reserved seats"), after Dur et al. (2018),
    Section II: a program with 2 seats, 1 reserved for ``zone``; in the program's normal
    order A (zone), B, C (zone); all three rank only this program.

    - ``reserved_first``: the zone slot takes the best zone applicant, A; the open slot
      the best one left, B. Admitted A, B; C is rejected.
    - ``open_first``: the open slot takes A; the zone slot the best zone applicant left,
      C. Admitted A, C; B is rejected.
    - No reserve: the best two, A and B -- the same as ``reserved_first``.
    """
    preferences = {"A": ["P"], "B": ["P"], "C": ["P"]}
    order = {"P": ["A", "B", "C"]}
    seats = {"P": 2}
    members = {"P": {"zone": {"A", "C"}}}

    def run(precedence):
        runs = {"P": reserve_runs(2, {"zone": 1}, precedence)}
        return match(preferences, order, seats, runs, members)

    assert run("reserved_first") == {"A": "P", "B": "P", "C": None}
    assert run("open_first") == {"A": "P", "B": None, "C": "P"}
    assert match(preferences, order, seats) == run("reserved_first")


def test_walk_zone_reserve_processed_first_admits_the_same_students_as_no_reserve():
    """The Boston effect (Dur et al. 2018, Sections I-II): when the walk-zone seats are
    filled first, walk-zone students who would have won open seats on their own use up
    the reserve, and the reserve does nothing.

    School WALK has 4 seats, 2 reserved for walk-zone students; school OTHER has room
    for everyone. Every student ranks WALK, then OTHER. Walk-zone students W1..W4,
    others N1..N4; both schools order them by lottery number:
    W1, W2, N1, N2, W3, W4, N3, N4.

    - No reserve: WALK takes the best four, W1, W2, N1, N2 (2 walk-zone students);
      W3, W4, N3, N4 go to OTHER.
    - ``reserved_first``: walk slot 1 takes W1, walk slot 2 W2; open slots take the best
      two left, N1 and N2. Exactly the no-reserve admissions: still 2 walk-zone students.
    - ``open_first``: open slots take W1 and W2; walk slots take the best walk-zone
      students left, W3 and W4. WALK admits 4 walk-zone students; N1..N4 go to OTHER.
    """
    students = ["W1", "W2", "N1", "N2", "W3", "W4", "N3", "N4"]
    preferences = {s: ["WALK", "OTHER"] for s in students}
    order = {"WALK": students, "OTHER": students}
    seats = {"WALK": 4, "OTHER": 8}
    members = {"WALK": {"walk": {"W1", "W2", "W3", "W4"}}}

    def run(precedence):
        runs = {"WALK": reserve_runs(4, {"walk": 2}, precedence)}
        return match(preferences, order, seats, runs, members)

    no_reserve = match(preferences, order, seats)
    assert admitted(no_reserve, "WALK") == ["N1", "N2", "W1", "W2"]
    assert run("reserved_first") == no_reserve
    assert admitted(run("open_first"), "WALK") == ["W1", "W2", "W3", "W4"]
    assert admitted(run("open_first"), "OTHER") == ["N1", "N2", "N3", "N4"]


def test_walk_zone_reserve_processed_first_matters_only_when_walk_zone_students_are_scarce():
    """Dur et al. (2018): the reserve processed first binds only if fewer walk-zone
    students than reserved seats would win seats in open competition.

    Same schools as above, but the lottery order is N1, N2, N3, W1, N4, W2, W3, W4.

    - No reserve: WALK takes N1, N2, N3, W1 (1 walk-zone student).
    - ``reserved_first``: walk slots take W1 and W2; open slots N1, N2. WALK admits
      2 walk-zone students: one more than without the reserve, N3 goes to OTHER.
    - ``open_first``: open slots take N1, N2; walk slots W1, W2. The same set here.
    """
    students = ["N1", "N2", "N3", "W1", "N4", "W2", "W3", "W4"]
    preferences = {s: ["WALK", "OTHER"] for s in students}
    order = {"WALK": students, "OTHER": students}
    seats = {"WALK": 4, "OTHER": 8}
    members = {"WALK": {"walk": {"W1", "W2", "W3", "W4"}}}

    def run(precedence):
        runs = {"WALK": reserve_runs(4, {"walk": 2}, precedence)}
        return admitted(match(preferences, order, seats, runs, members), "WALK")

    assert admitted(match(preferences, order, seats), "WALK") == ["N1", "N2", "N3", "W1"]
    assert run("reserved_first") == ["N1", "N2", "W1", "W2"]
    assert run("open_first") == ["N1", "N2", "W1", "W2"]


def test_unfilled_reserved_seat_stays_empty_or_goes_to_the_next_applicant():
    """``unfilled`` decides what happens to a reserved seat no member claims (docs/
    seat-policy.md; Dur et al. 2018 discuss the same choice for Boston's walk seats).

    Program P has 2 seats, 1 reserved for ``frl``; program Q has 1 seat. A and B rank P
    then Q; P orders A, B; neither is an ``frl`` member.

    - ``unfilled = "empty"``: P's open slot takes A; the ``frl`` slot finds no member and
      stays empty, so B is rejected and goes to Q. (The same in either precedence.)
    - ``unfilled = "open"``: the ``frl`` slot goes to the best applicant left, B; both are
      admitted to P and Q stays empty.
    - Add Z, an ``frl`` member ordered after B who ranks only P: with ``"empty"`` Z takes
      the reserved seat (A and Z at P, B at Q); with ``"open"`` too, because a member
      comes before anyone else for the reserved slot.
    """
    preferences = {"A": ["P", "Q"], "B": ["P", "Q"]}
    order = {"P": ["A", "B"], "Q": ["A", "B"]}
    seats = {"P": 2, "Q": 1}
    members = {"P": {"frl": set()}}
    for precedence in ("reserved_first", "open_first"):
        runs = {"P": reserve_runs(2, {"frl": 1}, precedence)}
        empty = match(preferences, order, seats, runs, members, unfilled="empty")
        assert empty == {"A": "P", "B": "Q"}, precedence
        assert match(preferences, order, seats, runs, members, unfilled="open") == {
            "A": "P",
            "B": "P",
        }, precedence

        with_member = dict(preferences, Z=["P"])
        z_order = {"P": ["A", "B", "Z"], "Q": ["A", "B", "Z"]}
        z_members = {"P": {"frl": {"Z"}}}
        for unfilled in ("empty", "open"):
            result = match(with_member, z_order, seats, runs, z_members, unfilled=unfilled)
            assert result == {"A": "P", "B": "Q", "Z": "P"}, (precedence, unfilled)


def test_student_rejected_by_a_reserve_school_moves_down_their_list():
    """A market in which a reserve changes placements beyond the reserve school, in the
    spirit of Dur et al. (2018), Section III (the reserve's effect runs through deferred
    acceptance).

    School X has 2 seats, 1 reserved for ``zone`` (``open_first``); Y and W have 1 seat
    each. Orders: X: A, B, Z, C; Y: B, C, D; W: C, Z, D. Z is X's only zone member.
    Preferences: A: X; B: X, Y; Z: X, W; C: Y, W; D: Y, W.

    With the reserve, by rounds:

    1. A, B, Z apply to X: the open slot takes A, the zone slot Z; B is rejected although
       X orders B above Z. C and D apply to Y, which keeps C and rejects D.
    2. B applies to Y and displaces C (Y orders B first); D applies to W and is held.
    3. C applies to W and displaces D (W orders C first); D has no choice left.

    Result: A, Z at X; B at Y; C at W; D unplaced. Without the reserve X admits A and B;
    Z goes to W (over D), C stays at Y, and D is unplaced: B, Z and C all move.
    The kernel's answer is the applicant-optimal matching that is stable under the
    slot-specific choice (checked by brute force over all matchings).
    """
    preferences = {
        "A": ["X"],
        "B": ["X", "Y"],
        "Z": ["X", "W"],
        "C": ["Y", "W"],
        "D": ["Y", "W"],
    }
    order = {"X": ["A", "B", "Z", "C"], "Y": ["B", "C", "D"], "W": ["C", "Z", "D"]}
    seats = {"X": 2, "Y": 1, "W": 1}
    members = {"X": {"zone": {"Z"}}}
    runs = {"X": reserve_runs(2, {"zone": 1}, "open_first")}

    with_reserve = match(preferences, order, seats, runs, members)
    assert with_reserve == {"A": "X", "B": "Y", "Z": "X", "C": "W", "D": None}
    assert match(preferences, order, seats) == {
        "A": "X",
        "B": "X",
        "Z": "W",
        "C": "Y",
        "D": None,
    }
    # reserved_first gives the same here: A is no zone member, so the order of X's
    # slots does not change whom X admits.
    first = {"X": reserve_runs(2, {"zone": 1}, "reserved_first")}
    assert match(preferences, order, seats, first, members) == with_reserve

    reference = reference_inputs(preferences, order, seats, runs, members, "open", frozenset())
    stable = list(all_stable_matchings(*reference))
    assert with_reserve in stable
    for other in stable:
        for student, school in other.items():
            if school is not None and school != with_reserve[student]:
                ranked = preferences[student]
                placed = with_reserve[student]
                assert placed is not None and ranked.index(placed) < ranked.index(school)


def test_an_ineligible_member_does_not_take_the_reserved_seat():
    """Eligibility comes before reserves: a choice the match must skip (docs/
    seat-policy.md, "Eligibility") is as if not ranked, so a member who may not be
    considered at the program cannot claim its reserved seat.

    Program P has 2 seats, 1 reserved for ``zone`` (``reserved_first``, ``unfilled =
    "empty"``); order Z, A, B; Z is the only zone member but is ineligible at P. The zone
    slot finds no eligible member and stays empty; the open slot takes A. Z and B are
    unplaced. If Z were eligible, Z would take the zone slot and A the open one.
    """
    preferences = {"Z": ["P"], "A": ["P"], "B": ["P"]}
    order = {"P": ["Z", "A", "B"]}
    seats = {"P": 2}
    members = {"P": {"zone": {"Z"}}}
    runs = {"P": reserve_runs(2, {"zone": 1}, "reserved_first")}
    skip = frozenset({("Z", "P")})
    result = match(preferences, order, seats, runs, members, unfilled="empty", ineligible=skip)
    assert result == {"Z": None, "A": "P", "B": None}
    assert match(preferences, order, seats, runs, members, unfilled="empty") == {
        "Z": "P",
        "A": "P",
        "B": None,
    }


def test_order_of_reserved_runs_matters_for_an_applicant_in_two_categories():
    """An applicant in two categories uses up the reserved slot that comes first, so the
    order of the reserved runs matters too (docs/seat-policy.md fixes it: alphabetical
    by category name).

    Program P has 3 seats: 1 ``ell``, 1 ``frl``, 1 open, reserved slots first. Order
    X (ell and frl), N, Y (frl), E (ell).

    - ``ell`` before ``frl`` (alphabetical): ell slot X, frl slot Y, open slot N.
    - ``frl`` before ``ell``: frl slot X, ell slot E, open slot N.
    """
    preferences = {a: ["P"] for a in ("X", "N", "Y", "E")}
    order = {"P": ["X", "N", "Y", "E"]}
    seats = {"P": 3}
    members = {"P": {"ell": {"X", "E"}, "frl": {"X", "Y"}}}
    alphabetical = {"P": reserve_runs(3, {"frl": 1, "ell": 1}, "reserved_first")}
    assert alphabetical["P"] == [("ell", 1), ("frl", 1), (None, 1)]
    assert admitted(match(preferences, order, seats, alphabetical, members), "P") == [
        "N",
        "X",
        "Y",
    ]
    frl_first = {"P": [("frl", 1), ("ell", 1), (None, 1)]}
    assert admitted(match(preferences, order, seats, frl_first, members), "P") == [
        "E",
        "N",
        "X",
    ]


@settings(max_examples=150, deadline=None)
@given(
    n_applicants=st.integers(0, 10),
    seats=st.integers(0, 5),
    data=st.data(),
)
def test_moving_reserved_seats_later_never_admits_fewer_members(n_applicants, seats, data):
    """Dur et al. (2018)'s comparative statics at one school: processing the reserved
    seats later (``open_first``) admits at least as many members as processing them
    first (``reserved_first``), which admits at least as many as no reserve at all --
    in either ``unfilled`` mode.

    By hand: with r reserved seats of q, ``reserved_first`` admits the best r members,
    then the best q - r of the rest, so it admits every member the best q contain (or
    the best r members, if that is more). ``open_first`` keeps every non-member among the
    best q - r, which ``reserved_first`` admits too, so ``reserved_first``'s open seats
    admit no more members than ``open_first``'s.
    """
    students = [f"S{i}" for i in range(n_applicants)]
    reserved = data.draw(st.integers(0, seats), label="reserved")
    in_zone = {s for s in students if data.draw(st.booleans(), label=f"{s} in zone")}
    unfilled = data.draw(st.sampled_from(["open", "empty"]), label="unfilled")
    preferences = {s: ["P"] for s in students}
    order = {"P": students}
    capacity = {"P": seats}
    members = {"P": {"zone": in_zone}}

    def zone_admitted(precedence):
        runs = {"P": reserve_runs(seats, {"zone": reserved}, precedence)}
        result = match(preferences, order, capacity, runs, members, unfilled=unfilled)
        return len(set(admitted(result, "P")) & in_zone)

    plain = len(set(admitted(match(preferences, order, capacity), "P")) & in_zone)
    assert zone_admitted("open_first") >= zone_admitted("reserved_first") >= plain
