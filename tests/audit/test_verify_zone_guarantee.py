"""``lottery verify`` recomputes the zone guarantee with a heap per (grade, zone), so that
each applicant's choice does not scan every program of their zone. These tests hold it to
the rule as written (docs/seat-policy.md), a scan of every program, on random cities.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lottery.audit.verify.zone_guarantee import zone_assignments

PROGRAMS = [f"P{i}" for i in range(6)]
WHERE = [("K", "north"), ("K", "south"), ("1", "north")]


def assignments_by_scan(owed, serving, open_seats, ranked, eligible):
    """The rule as written: scan the programs of the applicant's zone every time."""
    expected, unserved = {}, []
    for aid, where in owed:
        candidates = [p for p in serving[where] if open_seats[p] > 0 and eligible(aid, p)]
        if not candidates:
            unserved.append(aid)
            continue
        first = [p for p in ranked(aid) if p in candidates]
        if first:
            chosen, why = first[0], "the one they ranked highest"
        else:
            chosen = min(candidates, key=lambda p: (-open_seats[p], p))
            why = "the one with the most free seats left (ties: lowest program_id)"
        expected[aid] = (chosen, why)
        open_seats[chosen] -= 1
    return expected, unserved


@st.composite
def zone_cities(draw):
    # A program may serve several (grade, zone) groups, so one group's choice changes
    # another group's seats.
    serving = {
        where: sorted(draw(st.sets(st.sampled_from(PROGRAMS), min_size=1))) for where in WHERE
    }
    seats = {p: draw(st.integers(-1, 3)) for p in PROGRAMS}
    n = draw(st.integers(0, 25))
    owed = [(f"A{i:02d}", draw(st.sampled_from(WHERE))) for i in range(n)]
    ranked = {aid: draw(st.lists(st.sampled_from(PROGRAMS), unique=True)) for aid, _ in owed}
    barred = draw(
        st.sets(
            st.tuples(st.sampled_from([a for a, _ in owed] or ["A00"]), st.sampled_from(PROGRAMS))
        )
    )
    return owed, serving, seats, ranked, barred


@settings(max_examples=300, deadline=None)
@given(zone_cities())
def test_the_heap_assigns_as_the_scan_does(city):
    owed, serving, seats, ranked, barred = city

    def eligible(aid, pid):
        return (aid, pid) not in barred

    by_heap = zone_assignments(owed, serving, dict(seats), ranked.__getitem__, eligible)
    by_scan = assignments_by_scan(owed, serving, dict(seats), ranked.__getitem__, eligible)
    assert by_heap == by_scan
