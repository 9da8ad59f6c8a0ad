"""Worked examples from the matching and school-choice literature, with their published
outcomes pinned.

Each docstring cites the source and shows how the published outcome comes out of
deferred acceptance, so that a failure can be checked by hand. Programs rank applicants
strictly in these examples; :func:`match` feeds each strict order to the engine as a
priority value per pair (1 = first), so ``program_order`` and the kernel both take part.
The last test runs one example through the files and ``run_lottery``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from support.program_orders import program_order
from support.reference import all_stable_matchings, reference_deferred_acceptance

from lottery.engine import run_lottery
from lottery.matching import UNPLACED, deferred_acceptance

Named = dict[str, list[str]]


def match(preferences: Named, priorities: Named, seats: dict[str, int]) -> dict[str, str | None]:
    """Run the engine's matcher on a market given by names; also check it against the
    reference solver, so every example pins both."""
    applicants = sorted(preferences)
    programs = sorted(seats)
    program_index = {p: i for i, p in enumerate(programs)}
    pairs = [(a, p) for a in applicants for p in preferences[a]]
    offsets = np.cumsum([0] + [len(preferences[a]) for a in applicants], dtype=np.int64)
    program = np.array([program_index[p] for _, p in pairs], dtype=np.int64)
    applicant = np.array([applicants.index(a) for a, _ in pairs], dtype=np.int64)
    priority = np.array([priorities[p].index(a) + 1 for a, p in pairs], dtype=np.int64)
    no_ties = np.zeros(len(pairs), dtype=np.uint64)
    rank = program_order(program, priority, no_ties, applicant, len(programs))
    capacity = np.array([seats[p] for p in programs], dtype=np.int64)
    placed = deferred_acceptance(offsets, program, rank, capacity)
    result = {
        a: None if pair == UNPLACED else programs[program[pair]]
        for a, pair in zip(applicants, placed.tolist(), strict=True)
    }
    assert result == reference_deferred_acceptance(preferences, priorities, seats)
    return result


def test_gale_shapley_1962_example_1_men_get_their_first_choices():
    """Gale, D. & Shapley, L. S. (1962), "College Admissions and the Stability of
    Marriage", American Mathematical Monthly 69(1), 9-15, Example 1.

    Three men (alpha, beta, gamma) and three women (A, B, C). The paper's ranking matrix
    (entry = man's rank of the woman, woman's rank of the man)::

                 A     B     C
        alpha   1,3   2,2   3,1
        beta    3,1   1,3   2,2
        gamma   2,2   3,1   1,3

    Published outcome: three stable matchings -- every man gets his first choice, every
    woman gets her first choice, or everyone gets their second choice. Deferred
    acceptance with the men proposing ends in round 1: each man proposes to a different
    woman (alpha-A, beta-B, gamma-C) and nobody is rejected.
    """
    men = {"alpha": ["A", "B", "C"], "beta": ["B", "C", "A"], "gamma": ["C", "A", "B"]}
    women = {
        "A": ["beta", "gamma", "alpha"],
        "B": ["gamma", "alpha", "beta"],
        "C": ["alpha", "beta", "gamma"],
    }
    seats = {"A": 1, "B": 1, "C": 1}

    assert match(men, women, seats) == {"alpha": "A", "beta": "B", "gamma": "C"}
    stable = list(all_stable_matchings(men, women, seats))
    assert sorted(stable, key=lambda m: m["alpha"]) == [
        {"alpha": "A", "beta": "B", "gamma": "C"},  # men's first choices
        {"alpha": "B", "beta": "C", "gamma": "A"},  # everyone's second choice
        {"alpha": "C", "beta": "A", "gamma": "B"},  # women's first choices
    ]


def test_gale_shapley_1962_example_2_unique_stable_matching():
    """Gale & Shapley (1962), Example 2: four men and four women with a unique stable
    matching. Ranking matrix (man's rank of the woman, woman's rank of the man)::

                 A     B     C     D
        alpha   1,3   2,3   3,2   4,3
        beta    1,4   4,1   3,3   2,2
        gamma   2,2   1,4   3,4   4,1
        delta   4,1   2,2   3,1   1,4

    Published outcome: the only stable matching is alpha-C, beta-D, gamma-A, delta-B.
    By hand, men proposing: round 1 alpha, beta -> A, gamma -> B, delta -> D; A keeps
    alpha (rank 3 beats 4) and rejects beta. Then beta -> D displaces delta (2 beats 4),
    delta -> B displaces gamma (2 beats 4), gamma -> A displaces alpha (2 beats 3),
    alpha -> B is rejected (delta is 2, alpha 3), alpha -> C is accepted. Nobody is left
    rejected. A brute-force search over all matchings confirms there is no other.
    """
    men = {
        "alpha": ["A", "B", "C", "D"],
        "beta": ["A", "D", "C", "B"],
        "gamma": ["B", "A", "C", "D"],
        "delta": ["D", "B", "C", "A"],
    }
    women = {
        "A": ["delta", "gamma", "alpha", "beta"],
        "B": ["beta", "delta", "alpha", "gamma"],
        "C": ["delta", "alpha", "beta", "gamma"],
        "D": ["gamma", "beta", "alpha", "delta"],
    }
    seats = {"A": 1, "B": 1, "C": 1, "D": 1}
    published = {"alpha": "C", "beta": "D", "gamma": "A", "delta": "B"}

    assert match(men, women, seats) == published
    assert list(all_stable_matchings(men, women, seats)) == [published]


def test_abdulkadiroglu_sonmez_2003_student_optimal_stable_matching_is_not_efficient():
    """Abdulkadiroglu, A. & Sonmez, T. (2003), "School Choice: A Mechanism Design
    Approach", American Economic Review 93(3), 729-747, the example in the section on
    the Gale-Shapley student optimal stable mechanism showing that its outcome can be
    Pareto dominated (after Roth 1982).

    Three students and three schools with one seat each. Priorities: s1: i1, i3, i2;
    s2: i2, i1, i3; s3: i3 first (only i3 ever applies to s3, so the rest of s3's order
    cannot matter). Preferences: i1: s2, s1, s3; i2: s1, s2, s3; i3: s1, s2, s3.

    Published outcome: i1-s1, i2-s2, i3-s3 (Pareto dominated by i1-s2, i2-s1, i3-s3,
    which is not stable: i3 has higher priority than i2 at s1). By hand: round 1
    i1 -> s2, i2 and i3 -> s1, s1 keeps i3. Round 2 i2 -> s2 displaces i1. Round 3
    i1 -> s1 displaces i3. Round 4 i3 -> s2 is rejected (i2 ranks higher). Round 5
    i3 -> s3.
    """
    students = {"i1": ["s2", "s1", "s3"], "i2": ["s1", "s2", "s3"], "i3": ["s1", "s2", "s3"]}
    priorities = {"s1": ["i1", "i3", "i2"], "s2": ["i2", "i1", "i3"], "s3": ["i3", "i1", "i2"]}
    seats = {"s1": 1, "s2": 1, "s3": 1}

    assert match(students, priorities, seats) == {"i1": "s1", "i2": "s2", "i3": "s3"}
    swapped = {"i1": "s2", "i2": "s1", "i3": "s3"}
    assert swapped not in all_stable_matchings(students, priorities, seats)


# Haeringer & Klijn, "Constrained School Choice", Section 3.4: four students, three
# schools with capacities q = (1, 2, 1).
HK_PREFERENCES = {
    "i1": ["s2", "s1", "s3"],
    "i2": ["s1", "s2", "s3"],
    "i3": ["s1", "s2", "s3"],
    "i4": ["s2", "s3", "s1"],
}
HK_PRIORITIES = {
    "s1": ["i1", "i2", "i3", "i4"],
    "s2": ["i3", "i4", "i1", "i2"],
    "s3": ["i4", "i1", "i2", "i3"],
}
HK_SEATS = {"s1": 1, "s2": 2, "s3": 1}
HK_STUDENT_OPTIMAL = {"i1": "s1", "i2": "s3", "i3": "s2", "i4": "s2"}


def test_haeringer_klijn_illustrative_example_student_optimal_stable_matching():
    """Haeringer, G. & Klijn, F., "Constrained School Choice", preliminary version
    November 2006, Section 3.4 "An Illustrative Example", p. 12 (published in Journal of
    Economic Theory 144(5), 2009, 1921-1947).

    Students i1..i4, schools s1, s2, s3 with q = (1, 2, 1); preferences
    P_i1 = s2, s1, s3; P_i2 = s1, s2, s3; P_i3 = s1, s2, s3; P_i4 = s2, s3, s1; priorities
    f_s1 = i1, i2, i3, i4; f_s2 = i3, i4, i1, i2; f_s3 = i4, i1, i2, i3.

    Published outcome of the student-optimal stable mechanism:
    gamma(P) = {{s1, i1}, {s2, i3, i4}, {s3, i2}}. By hand: round 1 s1 keeps i2 (over
    i3), s2 holds i1 and i4. Round 2 i3 -> s2 displaces i1. Round 3 i1 -> s1 displaces
    i2. Round 4 i2 -> s2 is rejected. Round 5 i2 -> s3 is accepted.
    """
    assert match(HK_PREFERENCES, HK_PRIORITIES, HK_SEATS) == HK_STUDENT_OPTIMAL


def write_rows(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def test_haeringer_klijn_example_through_the_input_files(tmp_path):
    """The Haeringer & Klijn (2006) example above, run end to end from CSV files.

    The strict priority orders are written as coarse explicit priorities
    (``priorities.csv``) and the external lottery (``lottery.csv``) breaks the ties:
    lottery order i1, i2, i3, i4, where i1 and i2 share the number 7 so their tie falls
    back to ``applicant_id`` order. Then f_s1 = all priority 1; f_s2 = i3, i4 at 1 and
    i1, i2 at 2; f_s3 = i4 at 1 and i1, i2, i3 at 2 -- the paper's orders exactly.
    The published placements appear in ``placements.csv``, and ``waitlists.csv`` lists
    who ranked each program above their placement, in the program's order.
    """
    city = tmp_path / "city"
    city.mkdir()
    write_rows(
        city / "programs.csv",
        ["program_id", "school_id", "school_name", "sector", "grade", "seats", "zones"],
        [[s, s.upper(), f"School {s}", "district", "K", HK_SEATS[s], ""] for s in HK_SEATS],
    )
    write_rows(
        city / "applicants.csv",
        ["applicant_id", "first_name", "last_name", "grade", "guardian_name"],
        [[i, "First", "Last", "K", "Guardian"] for i in HK_PREFERENCES],
    )
    write_rows(
        city / "choices.csv",
        ["applicant_id", "rank", "program_id"],
        [[i, r, s] for i, ranked in HK_PREFERENCES.items() for r, s in enumerate(ranked, start=1)],
    )
    tiers = {
        "s1": {"i1": 1, "i2": 1, "i3": 1, "i4": 1},
        "s2": {"i3": 1, "i4": 1, "i1": 2, "i2": 2},
        "s3": {"i4": 1, "i1": 2, "i2": 2, "i3": 2},
    }
    write_rows(
        city / "priorities.csv",
        ["applicant_id", "program_id", "priority"],
        [[i, s, value] for s, values in tiers.items() for i, value in values.items()],
    )
    write_rows(
        city / "lottery.csv",
        ["applicant_id", "lottery_number"],
        [["i1", 7], ["i2", 7], ["i3", 30], ["i4", 40]],
    )

    run_lottery(city, tmp_path / "out", seed=None)

    assert (tmp_path / "out" / "placements.csv").read_text(encoding="utf-8") == (
        "applicant_id,grade,status,program_id,school_id,choice_rank,priority,seat,"
        "lottery_number,family_lottery_number,lottery_rank\n"
        "i1,K,placed,s1,S1,2,explicit:1,open,7,,1\n"
        "i2,K,placed,s3,S3,3,explicit:2,open,7,,2\n"
        "i3,K,placed,s2,S2,2,explicit:1,open,30,,3\n"
        "i4,K,placed,s2,S2,1,explicit:1,open,40,,4\n"
    )
    assert (tmp_path / "out" / "waitlists.csv").read_text(encoding="utf-8") == (
        "program_id,position,applicant_id,choice_rank,priority,lottery_rank\n"
        "s1,1,i2,1,explicit:1,2\n"
        "s1,2,i3,1,explicit:1,3\n"
        "s2,1,i1,1,explicit:2,1\n"
        "s2,2,i2,2,explicit:2,2\n"
    )
