"""The quick reruns for linked families give exactly what rebuilding everything gives.

``match_with_families`` reorders only the linked applicants' pairs and lets them propose
from where everyone else's proposals left off (``FamilyOffers``,
``deferred_acceptance_from``). Here the plain way, every run's priorities, membership and
program orders rebuilt (``with_family_offers``) and every run matched from scratch, is
run beside it on random cities with families, and every array must be equal.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from support.family_reruns import rebuilding_every_run

from lottery.io.inputs import read_input_files
from lottery.market import build_market
from lottery.policy import SIBLING_OFFERED
from lottery.seat_policy import match_with_families


def family_city(rng: random.Random) -> dict[str, bytes]:
    """A crowded random city where many applicants come in linked families, so that
    sibling_offered moves people from run to run."""
    n_schools = rng.randint(2, 6)
    grades = ["K", "1"]
    programs = []
    for s in range(n_schools):
        for grade in grades:
            lat = f"40.0{rng.randint(0, 9)}" if rng.random() < 0.7 else ""
            programs.append(
                f"P{s}-{grade},S{s},School {s},district,{grade},{rng.randint(0, 3)},"
                f"Z{rng.randint(1, 2)},{rng.choice(['', 'frl', '']) if rng.random() < 0.2 else ''},"
                f"{lat},{'-75.0' if lat else ''}"
            )
    program_ids = [p.split(",")[0] for p in programs]
    applicants, choices = [], []
    n_families = rng.randint(1, 8)
    for a in range(rng.randint(2, 30)):
        grade = rng.choice(grades)
        mine = [p for p in program_ids if p.endswith(f"-{grade}")]
        ranked = rng.sample(mine, rng.randint(0, len(mine)))
        family = f"F{rng.randint(1, n_families)}" if rng.random() < 0.7 else ""
        link = rng.choice(["", "", "", "false"])
        tags = "frl" if rng.random() < 0.4 else ""
        applicants.append(
            f"A{a:02d},F,L,{grade},G,Z{rng.randint(1, 2)},"
            f"{rng.choice(['', 'S0', 'S1'])},{tags},{family},{link},"
            f"40.0{rng.randint(0, 9)},-75.0"
        )
        choices += [f"A{a:02d},{r},{p}" for r, p in enumerate(ranked, start=1)]
    tiers = rng.choice(
        [
            '"sibling_offered", "zone"',
            '"zone", "sibling_offered"',
            '"sibling", "sibling_offered", "tag:frl"',
            '"sibling_offered"',
        ]
    )
    policy = (
        f"[priority]\norder = [{tiers}]\n"
        f'[lottery]\ntiebreak = "{rng.choice(["single", "multiple"])}"\n'
        f"[families]\nmax_iterations = {rng.randint(2, 10)}\n"
        f'[reserves]\nprecedence = "{rng.choice(["reserved_first", "open_first"])}"\n'
        f'unfilled = "{rng.choice(["open", "empty"])}"\n'
    )
    files = {
        "programs.csv": "program_id,school_id,school_name,sector,grade,seats,zones,"
        "requires_tags,latitude,longitude\n" + "\n".join(programs) + "\n",
        "applicants.csv": "applicant_id,first_name,last_name,grade,guardian_name,zone,"
        "sibling_school_ids,tags,family_id,link_family,latitude,longitude\n"
        + "\n".join(applicants)
        + "\n",
        "choices.csv": "applicant_id,rank,program_id\n" + "\n".join(choices) + "\n",
        "policy.toml": policy,
    }
    reserves = []
    for p in rng.sample(programs, rng.randint(0, len(programs))):
        program_id, seats = p.split(",")[0], int(p.split(",")[5])
        for category in rng.sample(["tag:frl", SIBLING_OFFERED, "proximity:1"], rng.randint(1, 2)):
            reserves.append(f"{program_id},{category},{rng.randint(0, seats)}")
            seats = 0
    if reserves:
        files["reserves.csv"] = "program_id,category,seats\n" + "\n".join(reserves) + "\n"
    return {name: text.encode("utf-8") for name, text in files.items()}


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_family_reruns_equal_rebuilding_every_run(seed):
    city = read_input_files(family_city(random.Random(seed)))
    market = build_market(city, str(seed))
    quick_market, quick_placed, quick_outcome = match_with_families(city, market)
    plain_market, plain_placed, plain_outcome = rebuilding_every_run(city, market)
    assert quick_outcome == plain_outcome
    assert (quick_placed == plain_placed).all()
    for name in ("choice_priority", "choice_explicit", "choice_rank", "choice_member"):
        assert (getattr(quick_market, name) == getattr(plain_market, name)).all(), name
