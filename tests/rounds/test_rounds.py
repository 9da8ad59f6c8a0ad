"""Later rounds (``lottery.rounds.run_round``): every event on hand-built examples, every
problem a changes folder can have (exact messages), and the rules of docs/rounds.md on
random chains of three rounds.

The hand-built examples start from the default city of ``conftest.py`` run with the seed
``2026-spring``. Round 1 places A1 and A3 at ELM-K, A4 at OAK-K, A5 and A8 at RIV-1, A6
and A7 at ELM-1, and leaves A2 unplaced. Lottery ranks (single tie-break): A2 1, A7 2,
A1 3, A6 4, A4 5, A8 6, A3 7, A5 8. At OAK-K (no zones) every applicant is general, so
there the lottery decides.

The rules checked on random chains (hypothesis, and the example city's "summer"):
stability of each round against its own input files (``lottery.audit.verify`` on the round
folder with ``round-inputs/`` as the input folder, the reversed lottery included, and an
independent check), capacity, guarantees (nobody who stays loses a seat),
monotonicity (no active applicant gets a program ranked below their previous seat in
their previous list), no waste of a vacated seat, the moves and offers files,
reproducibility (same chain, same bytes) and charter/district relabelling.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.small_city import CHOICES, City
from support.strategies import cities
from support.strategies import write_city as write_random_city

from lottery.audit.verify import verify_outputs
from lottery.engine import run_lottery
from lottery.errors import InputError, UsageError
from lottery.numbers import lottery_number
from lottery.policy import Policy
from lottery.rounds import run_round

SEED = "2026-spring"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city"
HEADER = "event,applicant_id,program_id,value,note"
APPLICANT_HEADER = "applicant_id,first_name,last_name,grade,guardian_name,zone"
HOLDS = ("placed", "guaranteed", "administrative")


# ----------------------------------------------------------------------------- helpers


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def seats(out: Path) -> dict[str, str]:
    """Applicant -> program where they hold a seat ('' for none)."""
    return {
        r["applicant_id"]: r["program_id"] if r["status"] in HOLDS else ""
        for r in rows(out / "placements.csv")
    }


def moves(out: Path) -> list[tuple[str, str, str, str]]:
    return [tuple(r.values()) for r in rows(out / "moves.csv")]


def offers(out: Path) -> list[tuple[str, str, str, str, str]]:
    return [tuple(r.values()) for r in rows(out / "offers.csv")]


def waitlisted(out: Path, program: str) -> list[str]:
    return [r["applicant_id"] for r in rows(out / "waitlists.csv") if r["program_id"] == program]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_changes(folder: Path, *events: str, **files: str) -> Path:
    """A changes folder: ``changes.csv`` with ``events`` (rows after the header) and
    other files by name (``applicants=``, ``choices=``, ``lottery=``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "changes.csv").write_text(HEADER + "\n" + "".join(e + "\n" for e in events))
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


def new_applicant(applicant_id: str, grade: str = "K", zone: str = "N", **extra: str) -> str:
    """applicants.csv text with one new applicant (extra columns by keyword)."""
    header = APPLICANT_HEADER + "".join(f",{c}" for c in extra)
    row = f"{applicant_id},New,Kid,{grade},Guardian,{zone}" + "".join(
        f",{v}" for v in extra.values()
    )
    return f"{header}\n{row}\n"


def choice_rows(*rows_: str) -> str:
    return "applicant_id,rank,program_id\n" + "".join(r + "\n" for r in rows_)


class Chain:
    """Round 1 of a city, then rounds with changes, in ``tmp``."""

    def __init__(self, tmp: Path, city: City, seed: str | None = SEED):
        self.tmp, self.city = tmp, city
        self.outs = [tmp / "round-1"]
        run_lottery(city.path, self.outs[0], seed)

    @property
    def last(self) -> Path:
        return self.outs[-1]

    def round(self, *events: str, **files: str) -> Path:
        number = len(self.outs) + 1
        changes = write_changes(self.tmp / f"changes-{number}", *events, **files)
        out = self.tmp / f"round-{number}"
        inputs = self.city.path if number == 2 else None
        run_round(self.last, changes, out, inputs_dir=inputs)
        self.outs.append(out)
        return out

    def problems(self, *events: str, **files: str) -> list[str]:
        """The problems a round with these changes reports (nothing may be written)."""
        changes = write_changes(self.tmp / "bad-changes", *events, **files)
        out = self.tmp / "bad-round"
        inputs = self.city.path if len(self.outs) == 1 else None
        with pytest.raises(InputError) as error:
            run_round(self.last, changes, out, inputs_dir=inputs)
        assert not out.exists()
        shutil.rmtree(changes)
        return [p.render() for p in error.value.problems]


@pytest.fixture
def chain(tmp_path: Path, city: City) -> Chain:
    return Chain(tmp_path, city)


ROUND_1 = {
    "A1": "ELM-K",
    "A2": "",
    "A3": "ELM-K",
    "A4": "OAK-K",
    "A5": "RIV-1",
    "A6": "ELM-1",
    "A7": "ELM-1",
    "A8": "RIV-1",
}


def test_round_one_is_as_described(chain):
    assert seats(chain.last) == ROUND_1


# ----------------------------------------------------------------------------- events


def test_a_declined_seat_is_reoffered_and_starts_a_chain(chain):
    out = chain.round("decline,A4,OAK-K,,moved away")
    # A3 was waiting for OAK-K (her first choice) and takes it; her seat at ELM-K goes to
    # A2, who ranked ELM-K first.
    assert seats(out) == {**ROUND_1, "A4": "", "A3": "OAK-K", "A2": "ELM-K"}
    assert moves(out) == [
        ("A2", "", "ELM-K", "new placement"),
        ("A3", "ELM-K", "OAK-K", "improved"),
        ("A4", "OAK-K", "", "declined"),
    ]
    assert offers(out) == [("A2", "ELM-K", "ELM", "1", ""), ("A3", "OAK-K", "OAK", "1", "")]
    # A4 ranked nothing above OAK-K: no list left, no guarantee, no zone guarantee.
    inputs = {r["applicant_id"]: r for r in rows(out / "round-inputs" / "applicants.csv")}
    assert inputs["A4"]["guaranteed_program_id"] == ""
    assert inputs["A4"]["accepts_administrative"] == "false"
    assert inputs["A1"]["guaranteed_program_id"] == "ELM-K"
    assert "A4" not in {r["applicant_id"] for r in rows(out / "round-inputs" / "choices.csv")}


def test_a_decliner_keeps_waiting_only_above_the_declined_seat(chain):
    out = chain.round("decline,A3,ELM-K,,")
    assert seats(out) == {**ROUND_1, "A3": "", "A2": "ELM-K"}
    lists = [
        (r["applicant_id"], r["rank"], r["program_id"])
        for r in rows(out / "round-inputs" / "choices.csv")
    ]
    assert [c for c in lists if c[0] == "A3"] == [("A3", "1", "OAK-K")]
    assert waitlisted(out, "OAK-K") == ["A3"]
    assert moves(out) == [("A2", "", "ELM-K", "new placement"), ("A3", "ELM-K", "", "declined")]


def test_a_withdrawn_applicant_leaves_and_their_seat_is_reoffered(chain):
    out = chain.round("withdraw,A1,ELM-K,,")
    placed = seats(out)
    assert "A1" not in placed
    assert placed == {**{a: p for a, p in ROUND_1.items() if a != "A1"}, "A2": "ELM-K"}
    assert moves(out) == [("A1", "ELM-K", "", "withdrawn"), ("A2", "", "ELM-K", "new placement")]
    names = {r["applicant_id"] for r in rows(out / "round-inputs" / "applicants.csv")}
    assert "A1" not in names


def test_an_unplaced_applicant_may_withdraw_without_a_program(chain):
    out = chain.round("withdraw,A2,,,")
    assert "A2" not in seats(out)
    assert moves(out) == []  # nobody's seat changed


def test_accepting_keeps_the_seat_and_the_waitlists_above_it(chain):
    out = chain.round("accept,A3,ELM-K,,")
    assert seats(out) == ROUND_1
    assert waitlisted(out, "OAK-K") == ["A2", "A3"]
    assert moves(out) == [] and offers(out) == []
    # Next round A4 declines OAK-K: A3, still waiting for it, moves up.
    out = chain.round("decline,A4,OAK-K,,")
    assert (seats(out)["A3"], seats(out)["A2"]) == ("OAK-K", "ELM-K")


def test_with_accept_ends_waiting_an_accepted_seat_is_final(make_city, tmp_path):
    city = make_city(policy="[rounds]\naccept_ends_waiting = true\n")
    chain = Chain(tmp_path, city)
    out = chain.round("accept,A3,ELM-K,,")
    assert waitlisted(out, "OAK-K") == ["A2"]
    lists = [
        (r["applicant_id"], r["rank"], r["program_id"])
        for r in rows(out / "round-inputs" / "choices.csv")
    ]
    assert [c for c in lists if c[0] == "A3"] == [("A3", "1", "ELM-K")]
    out = chain.round("decline,A4,OAK-K,,")
    assert (seats(out)["A3"], seats(out)["A2"]) == ("ELM-K", "OAK-K")


def test_a_new_applicant_joins_with_a_number_from_the_same_seed(chain):
    out = chain.round(
        "new_applicant,A9,,,late",
        "seat_change,,ELM-K,3,",
        applicants=new_applicant("A9"),
        choices=choice_rows("A9,1,ELM-K"),
    )
    # A9 lives in zone N (zone priority at ELM-K), A2 does not: the added seat is A9's.
    assert seats(out) == {**ROUND_1, "A9": "ELM-K"}
    placements = {r["applicant_id"]: r for r in rows(out / "placements.csv")}
    assert placements["A9"]["lottery_number"] == str(lottery_number(SEED, "A9"))
    before = {
        r["applicant_id"]: r["lottery_number"] for r in rows(chain.outs[0] / "placements.csv")
    }
    assert all(placements[a]["lottery_number"] == n for a, n in before.items())
    assert moves(out) == [("A9", "", "ELM-K", "new placement")]


def test_update_choices_replaces_the_list_and_keeps_the_seat(chain):
    out = chain.round(
        "update_choices,A2,,,",
        "update_choices,A6,,,",
        choices=choice_rows("A2,1,OAK-K", "A6,1,RIV-1", "A6,2,ELM-1"),
    )
    assert seats(out) == ROUND_1  # RIV-1 is full of guaranteed holders
    lists = [
        (r["applicant_id"], r["rank"], r["program_id"])
        for r in rows(out / "round-inputs" / "choices.csv")
    ]
    assert [c for c in lists if c[0] in ("A2", "A6")] == [
        ("A2", "1", "OAK-K"),
        ("A6", "1", "RIV-1"),
        ("A6", "2", "ELM-1"),
    ]
    assert waitlisted(out, "ELM-K") == []
    assert waitlisted(out, "RIV-1") == ["A6"]


def test_a_seat_left_off_a_new_list_is_still_guaranteed(chain):
    out = chain.round("update_choices,A6,,,", choices=choice_rows("A6,1,RIV-1"))
    placements = {r["applicant_id"]: r for r in rows(out / "placements.csv")}
    assert (placements["A6"]["status"], placements["A6"]["program_id"]) == ("guaranteed", "ELM-1")
    assert moves(out) == []


def test_a_changed_row_replaces_the_applicants_details(chain):
    late = {"choices": choice_rows("A9,1,OAK-K")}
    header = APPLICANT_HEADER + ",sibling_school_ids\n"
    events = ("seat_change,,OAK-K,2,", "new_applicant,A9,,,")
    unchanged = chain.round(*events, applicants=header + "A9,New,Kid,K,Guardian,N,\n", **late)
    # At OAK-K everyone is general: A2 (lottery rank 1) gets the added seat.
    assert seats(unchanged) == {**ROUND_1, "A2": "OAK-K", "A9": ""}
    chain.outs.pop()
    shutil.rmtree(unchanged)
    out = chain.round(
        *events,
        applicants=header + "A9,New,Kid,K,Guardian,N,\nA3,Cara,Jones,K,Dan Jones,N,OAK\n",
        **late,
    )
    # With a sibling at Oak, A3 comes first at OAK-K; her ELM-K seat goes to A2.
    assert seats(out) == {**ROUND_1, "A3": "OAK-K", "A2": "ELM-K", "A9": ""}
    inputs = {r["applicant_id"]: r for r in rows(out / "round-inputs" / "applicants.csv")}
    assert (inputs["A3"]["sibling_school_ids"], inputs["A3"]["address"]) == ("OAK", "")
    assert inputs["A3"]["guaranteed_program_id"] == "ELM-K"


def test_seat_changes_add_seats_filled_from_the_programs_order(chain):
    out = chain.round("seat_change,,ELM-K,3,new classroom", "seat_change,,RIV-1,2,")
    assert seats(out) == {**ROUND_1, "A2": "ELM-K"}
    programs = {r["program_id"]: r for r in rows(out / "round-inputs" / "programs.csv")}
    assert programs["ELM-K"]["seats"] == "3"
    assert offers(out) == [("A2", "ELM-K", "ELM", "1", "")]


def test_held_seats_are_offered_in_the_next_round(make_city, tmp_path):
    city = make_city()
    city.write(
        "programs",
        city.read("programs")
        .replace("seats,zones", "seats,zones,held_seats")
        .replace(
            "ELM-K,ELM,Elm Elementary,district,K,2,N;E",
            "ELM-K,ELM,Elm Elementary,district,K,2,N;E,1",
        ),
    )
    chain = Chain(tmp_path, city)
    assert seats(chain.last)["A3"] == ""  # one seat of ELM-K was held back
    out = chain.round()
    assert seats(out)["A3"] == "ELM-K"
    assert "held_seats" not in rows(out / "round-inputs" / "programs.csv")[0]
    assert moves(out) == [("A3", "", "ELM-K", "new placement")]


def test_an_over_offered_program_keeps_its_holders_but_is_not_refilled(make_city, tmp_path):
    city = make_city()
    city.write(
        "programs",
        city.read("programs")
        .replace("seats,zones", "seats,zones,offer_target")
        .replace(
            "ELM-K,ELM,Elm Elementary,district,K,2,N;E",
            "ELM-K,ELM,Elm Elementary,district,K,2,N;E,3",
        ),
    )
    chain = Chain(tmp_path, city)
    assert seats(chain.last)["A2"] == "ELM-K"  # three offers for two seats
    out = chain.round()
    assert seats(out) == seats(chain.outs[0])
    programs = {r["program_id"]: r for r in rows(out / "round-inputs" / "programs.csv")}
    assert programs["ELM-K"]["offer_target"] == "3"
    # One of them withdraws: back to two holders for two seats; the late A9 waits.
    out = chain.round(
        "withdraw,A1,,,",
        "new_applicant,A9,,,",
        applicants=new_applicant("A9"),
        choices=choice_rows("A9,1,ELM-K"),
    )
    assert seats(out)["A9"] == ""
    assert "offer_target" not in rows(out / "round-inputs" / "programs.csv")[0]


def test_a_transfer_waits_for_an_open_seat(chain):
    out = chain.round("transfer_request,A8,ELM-1,,mid-year")
    assert seats(out) == ROUND_1  # ELM-1 is full
    assert waitlisted(out, "ELM-1") == ["A8"]
    lists = [
        (r["applicant_id"], r["rank"], r["program_id"])
        for r in rows(out / "round-inputs" / "choices.csv")
    ]
    assert [c for c in lists if c[0] == "A8"] == [("A8", "1", "ELM-1"), ("A8", "2", "RIV-1")]
    out = chain.round("seat_change,,ELM-1,3,")
    assert seats(out)["A8"] == "ELM-1"
    assert moves(out) == [("A8", "RIV-1", "ELM-1", "improved")]


def test_a_transfer_is_placed_in_the_programs_order_and_releases_the_seat(chain):
    out = chain.round(
        "transfer_request,A8,ELM-1,,",
        "transfer_request,A5,ELM-1,,",
        "seat_change,,ELM-1,3,",
        "new_applicant,A9,,,",
        applicants=new_applicant("A9", grade="1", zone="S"),
        choices=choice_rows("A9,1,RIV-1"),
    )
    # At ELM-1 both are general; A8's lottery rank (6) is before A5's (8). A8's seat at
    # RIV-1 is released to the late A9 (zone S).
    placed = seats(out)
    assert (placed["A8"], placed["A5"], placed["A9"]) == ("ELM-1", "RIV-1", "RIV-1")
    assert moves(out) == [
        ("A8", "RIV-1", "ELM-1", "transfer"),
        ("A9", "", "RIV-1", "new placement"),
    ]
    assert offers(out) == [("A8", "ELM-1", "ELM", "1", ""), ("A9", "RIV-1", "RIV", "1", "")]


def test_several_transfer_requests_go_above_the_seat_in_file_order(chain):
    out = chain.round(
        "transfer_request,A5,ELM-1,,",  # A5 ranked RIV-1 then ELM-1: ELM-1 moves up
        "transfer_request,A4,ELM-K,,",
    )
    lists = [
        (r["applicant_id"], r["rank"], r["program_id"])
        for r in rows(out / "round-inputs" / "choices.csv")
    ]
    assert [c for c in lists if c[0] in ("A4", "A5")] == [
        ("A4", "1", "ELM-K"),
        ("A4", "2", "OAK-K"),
        ("A5", "1", "ELM-1"),
        ("A5", "2", "RIV-1"),
    ]


def test_offers_follow_the_programs_order_with_the_response_date(make_city, tmp_path):
    city = make_city(policy='[rounds]\nrespond_by = "2026-06-30"\n')
    chain = Chain(tmp_path, city)
    out = chain.round(
        "seat_change,,ELM-K,4,",
        "new_applicant,A9,,,",
        applicants=new_applicant("A9"),
        choices=choice_rows("A9,1,ELM-K"),
    )
    assert offers(out) == [
        ("A9", "ELM-K", "ELM", "1", "2026-06-30"),  # zone N before the general A2
        ("A2", "ELM-K", "ELM", "2", "2026-06-30"),
    ]


def test_the_reversed_lottery_reverses_every_rank_in_later_rounds(make_city, tmp_path):
    late = {
        "applicants": new_applicant("A9"),
        "choices": choice_rows("A9,1,OAK-K"),
    }
    results = {}
    for tiebreak in ("same", "reversed"):
        city = make_city(tiebreak, policy=f'[rounds]\ntiebreak = "{tiebreak}"\n')
        chain = Chain(tmp_path / tiebreak, city)
        out = chain.round("decline,A4,OAK-K,,", "new_applicant,A9,,,", **late)
        results[tiebreak] = out
        assert independent_violations(out) == []
        report = verify_outputs(out, out / "round-inputs")
        assert report.passed, [v.render() for v in report.violations]
    same, reversed_ = results["same"], results["reversed"]
    ranks = {r["applicant_id"]: int(r["lottery_rank"]) for r in rows(same / "placements.csv")}
    flipped = {
        r["applicant_id"]: int(r["lottery_rank"]) for r in rows(reversed_ / "placements.csv")
    }
    assert flipped == {a: 10 - rank for a, rank in ranks.items()}
    # Same order at OAK-K: A2 (rank 1), A9 (6), A3 (8); reversed: A3 (2), A9 (4), A2 (9).
    assert moves(same) == [("A2", "", "OAK-K", "new placement"), ("A4", "OAK-K", "", "declined")]
    assert moves(reversed_) == [
        ("A2", "", "ELM-K", "new placement"),
        ("A3", "ELM-K", "OAK-K", "improved"),
        ("A4", "OAK-K", "", "declined"),
    ]
    assert json.loads((reversed_ / "manifest.json").read_text())["round"]["lottery_reversed"]
    assert not json.loads((same / "manifest.json").read_text())["round"]["lottery_reversed"]


ZONE_GUARANTEE_PROGRAMS = (
    "program_id,school_id,school_name,sector,grade,seats,zones,administrative_zones\n"
    "ELM-K,ELM,Elm Elementary,district,K,2,N;E,\n"
    "OAK-K,OAK,Oak Charter Academy,charter,K,1,,\n"
    "PINE-K,PINE,Pine Elementary,district,K,0,,N;S\n"
    "ELM-1,ELM,Elm Elementary,district,1,2,N;E,\n"
    "RIV-1,RIV,River School,charter,1,2,S,\n"
)


@pytest.mark.parametrize("lottery", ["single", "multiple"])
@pytest.mark.parametrize("tiebreak", ["same", "reversed"])
def test_verify_checks_the_reversed_order_and_the_zone_guarantee(
    make_city, tmp_path, lottery, tiebreak
):
    """Round 2 opens one seat at PINE-K, which nobody ranks, for the zone guarantee: A2
    (zone S) and the late A9 (zone N) are both without a seat, and the seat goes by the
    applicant-wide lottery order, reversed with tiebreak = "reversed" (also with a
    multiple tie-break). verify recomputes that order and every reversed rank."""
    city = make_city(
        f"{lottery}-{tiebreak}",
        programs=ZONE_GUARANTEE_PROGRAMS,
        policy=f'[lottery]\ntiebreak = "{lottery}"\n[rounds]\ntiebreak = "{tiebreak}"\n',
    )
    chain = Chain(tmp_path / f"{lottery}-{tiebreak}", city)
    out = chain.round(
        "new_applicant,A9,,,",
        "seat_change,,PINE-K,1,",
        applicants=new_applicant("A9"),
        choices=choice_rows("A9,1,OAK-K"),
    )
    first, second = sorted(("A2", "A9"), key=lambda a: lottery_number(SEED, a))
    served = second if tiebreak == "reversed" else first
    placements = {r["applicant_id"]: r for r in rows(out / "placements.csv")}
    assert placements[served]["status"] == "administrative"
    assert placements[served]["program_id"] == "PINE-K"
    assert {first, second} - {served} == {a for a, p in seats(out).items() if not p}
    report = verify_outputs(out, out / "round-inputs")
    assert report.passed, [v.render() for v in report.violations]
    assert report.checks["administrative_owed"] == 2
    order = ", the order reversed in this round" if tiebreak == "reversed" else ""
    assert report.lottery == f'seed "{SEED}" ({lottery} tie-break{order})'


@pytest.mark.parametrize("lottery", ["single", "multiple"])
def test_verify_passes_a_reversed_round_of_the_example_city(tmp_path, lottery):
    """Reserves, families, guarantees and required tags, with the lottery reversed."""
    inputs = Path(shutil.copytree(EXAMPLE, tmp_path / "city"))
    policy = (inputs / "policy.toml").read_text()
    policy = policy.replace('tiebreak = "single"', f'tiebreak = "{lottery}"')
    (inputs / "policy.toml").write_text(policy + '\n[rounds]\ntiebreak = "reversed"\n')
    run_lottery(inputs, tmp_path / "round-1", SEED)
    held = [r for r in rows(tmp_path / "round-1" / "placements.csv") if r["status"] == "placed"]
    declines = [f"decline,{r['applicant_id']},{r['program_id']},," for r in held[::12]]
    changes = write_changes(tmp_path / "changes", *declines)
    out = tmp_path / "round-2"
    run_round(tmp_path / "round-1", changes, out, inputs_dir=inputs)
    report = verify_outputs(out, out / "round-inputs")
    assert report.passed, [v.render() for v in report.violations]
    assert json.loads((out / "manifest.json").read_text())["round"]["moves"]["improved"] > 0


def test_verify_refuses_a_reversed_order_the_policy_does_not_give(make_city, tmp_path):
    """round.lottery_reversed must agree with [rounds] tiebreak; flipping it in the
    manifest is reported, and so are the ranks it would have explained."""
    city = make_city(policy='[rounds]\ntiebreak = "reversed"\n')
    chain = Chain(tmp_path, city)
    out = chain.round("decline,A4,OAK-K,,")
    manifest = out / "manifest.json"
    manifest.write_text(
        manifest.read_text().replace('"lottery_reversed": true', '"lottery_reversed": false')
    )
    report = verify_outputs(out, out / "round-inputs")
    assert {"manifest-record", "lottery-rank"} <= report.rules()
    assert (
        "manifest.json records round.lottery_reversed False; policy.toml gives [rounds] "
        "tiebreak 'reversed', so it must be true"
    ) in [v.message for v in report.violations]


def test_an_empty_changes_file_changes_nothing(chain):
    out = chain.round()
    assert seats(out) == ROUND_1
    assert moves(out) == [] and offers(out) == []


# ----------------------------------------------------------------------------- the chain


def test_the_manifest_chains_the_rounds_and_hashes_every_file(chain):
    out2 = chain.round("decline,A4,OAK-K,,")
    out3 = chain.round("withdraw,A1,,,")
    manifest = json.loads((out3 / "manifest.json").read_text())
    assert manifest["round"]["number"] == 3
    assert manifest["round"]["previous_manifest_sha256"] == sha256(out2 / "manifest.json")
    first = json.loads((out2 / "manifest.json").read_text())["round"]
    assert first["previous_manifest_sha256"] == sha256(chain.outs[0] / "manifest.json")
    assert manifest["round"]["changes"] == {
        "changes.csv": sha256(chain.tmp / "changes-3" / "changes.csv")
    }
    assert manifest["seed"] == SEED
    files = sorted(
        str(p.relative_to(out3))
        for p in out3.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    )
    assert sorted(manifest["outputs"]) == files
    assert all(manifest["outputs"][name] == sha256(out3 / name) for name in files)
    assert {f"round-inputs/{n}": h for n, h in manifest["inputs"].items()} == {
        n: h for n, h in manifest["outputs"].items() if n.startswith("round-inputs/")
    }
    assert files == [
        "changes/changes.csv",
        "choice_results.csv",
        "moves.csv",
        "offers.csv",
        "placements.csv",
        "programs_summary.csv",
        "reserve_report.csv",
        "round-inputs/applicants.csv",
        "round-inputs/choices.csv",
        "round-inputs/programs.csv",
        "waitlists.csv",
    ]


def test_a_round_folder_passes_verify_with_its_round_inputs(chain):
    chain.round(
        "decline,A4,OAK-K,,",
        "transfer_request,A8,ELM-1,,",
        "seat_change,,ELM-1,3,",
        "new_applicant,A9,,,",
        applicants=new_applicant("A9"),
        choices=choice_rows("A9,1,OAK-K", "A9,2,ELM-K"),
    )
    out = chain.round("withdraw,A1,ELM-K,,")
    report = verify_outputs(out, out / "round-inputs")
    assert report.passed, [v.render() for v in report.violations]


def test_round_two_needs_the_input_folder_of_round_one(chain, tmp_path):
    changes = write_changes(tmp_path / "changes")
    with pytest.raises(UsageError, match="give the input folder of that run too"):
        run_round(chain.last, changes, tmp_path / "out")
    chain.city.replace_line("choices", 3, "A1,2,OAK-K ")
    with pytest.raises(UsageError) as error:
        run_round(chain.last, changes, tmp_path / "out", inputs_dir=chain.city.path)
    assert str(error.value) == (
        f"The input folder {chain.city.path} is not the one the run in {chain.last} used: "
        "choices.csv differs from its manifest.json (a file added, missing or changed since "
        "the run). Pass the input folder of that run."
    )
    assert not (tmp_path / "out").exists()


def test_a_later_round_starts_from_its_round_inputs_only(chain, tmp_path):
    chain.round("decline,A4,OAK-K,,")
    changes = write_changes(tmp_path / "changes")
    with pytest.raises(UsageError, match="no input folder is needed"):
        run_round(chain.last, changes, tmp_path / "out", inputs_dir=chain.city.path)
    (chain.last / "round-inputs" / "choices.csv").write_text("applicant_id,rank,program_id\n")
    with pytest.raises(InputError) as error:
        run_round(chain.last, changes, tmp_path / "out")
    assert [p.render() for p in error.value.problems] == [
        "round-inputs/choices.csv: changed since the lottery ran (its SHA-256 differs from "
        "manifest.json); use the results exactly as the run wrote them"
    ]


def test_an_existing_output_folder_is_refused_unless_forced(chain):
    out = chain.round()
    changes = chain.tmp / "changes-2"
    with pytest.raises(UsageError, match="already has files in it"):
        run_round(chain.outs[0], changes, out, inputs_dir=chain.city.path)
    run_round(chain.outs[0], changes, out, inputs_dir=chain.city.path, force=True)
    with pytest.raises(UsageError, match="is \\(or contains\\) the input folder"):
        run_round(chain.outs[0], changes, chain.outs[0], inputs_dir=chain.city.path, force=True)


def test_the_same_chain_gives_byte_identical_rounds(tmp_path, make_city):
    events = [
        ("decline,A4,OAK-K,,", "new_applicant,A9,,,"),
        ("transfer_request,A8,ELM-1,,", "seat_change,,ELM-1,3,", "withdraw,A1,,,"),
    ]
    files = {"applicants": new_applicant("A9"), "choices": choice_rows("A9,1,OAK-K")}
    folders = []
    for name in ("first", "second"):
        chain = Chain(tmp_path / name, make_city(f"{name}-city"))
        chain.round(*events[0], **files)
        chain.round(*events[1])
        folders.append(chain.outs)
    for one, other in zip(*folders, strict=True):
        assert folder_bytes(one) == folder_bytes(other)


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# ----------------------------------------------------------------------------- problems


PROBLEMS = {
    "unknown event": (
        ["acept,A1,ELM-K,,"],
        {},
        [
            'changes.csv:2: event: unknown event "acept" (events: accept, decline, withdraw, '
            "new_applicant, update_choices, seat_change, transfer_request)"
        ],
    ),
    "blank event and applicant": (
        [",A1,,,", "decline,,ELM-K,,"],
        {},
        [
            "changes.csv:2: event: this cell must not be blank",
            "changes.csv:3: applicant_id: this cell must not be blank",
        ],
    ),
    "unknown applicant and program": (
        ["decline,A99,ELM-K,,", "accept,A1,NOPE,,"],
        {},
        [
            'changes.csv:2: applicant_id: unknown applicant "A99"',
            'changes.csv:3: program_id: unknown program "NOPE"',
        ],
    ),
    "a seat not held": (
        ["decline,A2,ELM-K,,", "accept,A1,OAK-K,,", "withdraw,A3,OAK-K,,", "decline,A4,,,"],
        {},
        [
            'changes.csv:2: applicant_id: applicant "A2" holds no seat, so there is no seat to '
            "decline",
            'changes.csv:3: program_id: applicant "A1" holds a seat at "ELM-K", not at "OAK-K"',
            'changes.csv:4: program_id: applicant "A3" holds a seat at "ELM-K", not at "OAK-K"',
            "changes.csv:5: program_id: this cell must not be blank (the program of the seat to "
            "decline)",
        ],
    ),
    "withdrawing an unplaced applicant from a program": (
        ["withdraw,A2,ELM-K,,"],
        {},
        ['changes.csv:2: program_id: applicant "A2" holds no seat; leave program_id blank'],
    ),
    "conflicting events": (
        [
            "decline,A1,ELM-K,,",
            "withdraw,A1,,,",
            "transfer_request,A5,ELM-1,,",
            "accept,A5,RIV-1,,",
        ],
        {},
        [
            'changes.csv:3: event: applicant "A1" already has an event on line 2 (decline); '
            "give each applicant one event (only transfer_request may repeat)",
            'changes.csv:5: event: applicant "A5" already has an event on line 4 '
            "(transfer_request); give each applicant one event (only transfer_request may repeat)",
        ],
    ),
    "value and program where they do not belong": (
        ["accept,A1,ELM-K,3,", "update_choices,A2,OAK-K,,"],
        {"choices": choice_rows("A2,1,OAK-K")},
        [
            "changes.csv:2: value: leave value blank for accept (only seat_change uses it)",
            "changes.csv:3: program_id: leave program_id blank for update_choices",
        ],
    ),
    "seat changes": (
        [
            "seat_change,,RIV-1,1,",
            "seat_change,,ELM-K,two,",
            "seat_change,,OAK-K,,",
            "seat_change,A1,ELM-1,5,",
            "seat_change,,ELM-1,6,",
        ],
        {},
        [
            'changes.csv:2: value: program "RIV-1" cannot have 1 seats: 2 applicants still hold '
            "seats there",
            'changes.csv:3: value: "two" is not a whole number of seats (0 or more)',
            "changes.csv:4: value: this cell must not be blank (the program's new number of seats)",
            "changes.csv:5: applicant_id: leave applicant_id blank for seat_change",
            'changes.csv:6: program_id: program "ELM-1" already has a seat_change on line 5',
        ],
    ),
    "a seat change counts the seats given up in the same round": (
        ["seat_change,,RIV-1,1,", "decline,A8,RIV-1,,"],
        {},
        [],
    ),
    "new applicants": (
        ["new_applicant,A1,,,", "new_applicant,A9,,,", "new_applicant,A10,ELM-K,,"],
        {"applicants": new_applicant("A10")},
        [
            'changes.csv:2: applicant_id: applicant "A1" is already in the lottery; '
            "new_applicant is for applicants who are not",
            'changes.csv:3: applicant_id: applicant "A9" has no row in applicants.csv of the '
            "changes folder",
            "changes.csv:4: program_id: leave program_id blank for new_applicant",
        ],
    ),
    "rows of applicants.csv": (
        ["withdraw,A2,,,", "accept,A1,ELM-K,,"],
        {
            "applicants": APPLICANT_HEADER
            + ",guaranteed_program_id\n"
            + "A9,New,Kid,K,Guardian,N,\n"
            + "A2,Ben,Smith,K,Carol Smith,S,\n"
            + "A1,Ana,Lopez,1,Maria Lopez,N,\n"
            + "A3,Cara,Jones,K,Dan Jones,N,OAK-K\n"
            + "A5,Eli,Brown,1,Fay Brown,S,\n"
            + "A6,Fox,Green,one,Gil Green,N,\n"
        },
        [
            'applicants.csv:2: applicant_id: applicant "A9" is not in the lottery; add a '
            "new_applicant event for them to changes.csv",
            'applicants.csv:3: applicant_id: applicant "A2" withdraws (changes.csv line 2); '
            "remove this row",
            'applicants.csv:4: grade: applicant "A1" applies for grade K; a changed row cannot '
            "change the grade",
            'applicants.csv:5: guaranteed_program_id: applicant "A3" holds a seat at "ELM-K", '
            "which stays their guarantee; leave guaranteed_program_id blank",
            'applicants.csv:7: grade: "one" is not a grade (use PK, K or 1 to 12)',
        ],
    ),
    "guarantees of new applicants": (
        ["new_applicant,A9,,,", "new_applicant,B1,,,", "new_applicant,B2,,,"],
        {
            "applicants": APPLICANT_HEADER
            + ",guaranteed_program_id\n"
            + "A9,New,Kid,K,Guardian,N,ELM-1\n"
            + "B1,New,Kid,K,Guardian,N,OAK-K\n"
            + "B2,New,Kid,K,Guardian,N,NOPE\n"
        },
        [
            'applicants.csv:2: guaranteed_program_id: program "ELM-1" is for grade 1, not grade K',
            'applicants.csv:3: guaranteed_program_id: program "OAK-K" has no seat left to '
            "guarantee: its 1 seats are held or guaranteed already",
            'applicants.csv:4: guaranteed_program_id: unknown program "NOPE"',
        ],
    ),
    "rows of choices.csv": (
        ["update_choices,A2,,,", "update_choices,A3,,,"],
        {
            "choices": choice_rows(
                "A2,1,OAK-K", "A2,3,ELM-K", "A1,1,OAK-K", "A7,1,ELM-K", "A99,1,ELM-K"
            )
        },
        [
            'changes.csv:3: applicant_id: applicant "A3" has no rows in choices.csv of the '
            "changes folder (give their whole new list)",
            'choices.csv:2: rank: applicant "A2" has ranks 1, 3; ranks must run 1, 2, 3, ... '
            "without gaps",
            'choices.csv:4: applicant_id: applicant "A1" has no new_applicant or update_choices '
            "event in changes.csv, so their choices cannot change here",
            'choices.csv:5: applicant_id: applicant "A7" has no new_applicant or update_choices '
            "event in changes.csv, so their choices cannot change here",
            'choices.csv:5: program_id: program "ELM-K" is for grade K but applicant "A7" '
            "applies for grade 1",
            'choices.csv:6: applicant_id: unknown applicant "A99"',
        ],
    ),
    "transfer requests": (
        [
            "transfer_request,A2,OAK-K,,",
            "transfer_request,A1,ELM-K,,",
            "transfer_request,A3,OAK-K,,",
            "transfer_request,A5,ELM-K,,",
            "transfer_request,A8,ELM-1,,",
            "transfer_request,A8,ELM-1,,",
            "transfer_request,A6,,,",
        ],
        {},
        [
            'changes.csv:2: applicant_id: applicant "A2" holds no seat; a transfer_request is '
            "for an applicant who holds one (use update_choices for the others)",
            'changes.csv:3: program_id: applicant "A1" already holds a seat at "ELM-K"',
            'changes.csv:4: program_id: applicant "A3" already ranks "OAK-K" above the seat '
            "they hold, so they are already waiting for it",
            'changes.csv:5: program_id: program "ELM-K" is for grade K but applicant "A5" '
            "applies for grade 1",
            'changes.csv:7: program_id: applicant "A8" already asks for "ELM-1" on line 6',
            "changes.csv:8: program_id: this cell must not be blank (the program the applicant "
            "asks to move to)",
        ],
    ),
    "lottery.csv without an external lottery": (
        [],
        {"lottery": "applicant_id,lottery_number\nA1,5\n"},
        [
            "lottery.csv: this lottery's numbers come from its published seed, so lottery.csv "
            "cannot be added in a later round"
        ],
    ),
    "a misspelt column": (
        [],
        {"changes": "event,applicant,program_id\n"},
        [
            'changes.csv:1: applicant: unknown column "applicant" (did you mean '
            '"applicant_id"? expected: event, applicant_id, program_id, value, note)',
            "changes.csv:1: applicant_id: required column is missing from the header row",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(PROBLEMS))
def test_every_problem_in_the_changes_is_reported(chain, case):
    events, files, expected = PROBLEMS[case]
    if not expected:
        chain.round(*events, **files)
        return
    assert chain.problems(*events, **files) == expected


def test_files_that_cannot_change_in_a_round_are_refused(chain, tmp_path):
    changes = write_changes(tmp_path / "changes")
    (changes / "policy.toml").write_text("")
    (changes / "programs.csv").write_text("")
    (changes / "changes.csv").unlink()
    with pytest.raises(InputError) as error:
        run_round(chain.last, changes, tmp_path / "out", inputs_dir=chain.city.path)
    assert [p.render() for p in error.value.problems] == [
        f"changes.csv: required file is missing from {changes}",
        "policy.toml: the policy stays the same in every round of the year; remove this file",
        "programs.csv: programs cannot be replaced in a round; change seats with seat_change "
        "events in changes.csv",
    ]


def test_an_external_lottery_needs_numbers_for_new_applicants(make_city, tmp_path):
    numbers = "applicant_id,lottery_number\n" + "".join(f"A{i},{i * 10}\n" for i in range(1, 9))
    chain = Chain(tmp_path, make_city(lottery=numbers), seed=None)
    new = {"applicants": new_applicant("A9"), "choices": choice_rows("A9,1,ELM-K")}
    assert chain.problems("new_applicant,A9,,,", **new) == [
        'changes.csv:2: applicant_id: applicant "A9" has no row in lottery.csv of the changes '
        "folder (this lottery's numbers come from lottery.csv)"
    ]
    assert chain.problems(
        "new_applicant,A9,,,", **new, lottery="applicant_id,lottery_number\nA9,5\nA1,7\nA8,x\n"
    ) == [
        'lottery.csv:3: applicant_id: applicant "A1" already has a lottery number; lottery '
        "numbers never change",
        'lottery.csv:4: applicant_id: applicant "A8" already has a lottery number; lottery '
        "numbers never change",
        'lottery.csv:4: lottery_number: "x" is not a lottery number (a whole number from 0 to '
        "18446744073709551615)",
    ]
    out = chain.round(
        "new_applicant,A9,,,",
        "seat_change,,ELM-K,3,",
        **new,
        lottery="applicant_id,lottery_number\nA9,5\n",
    )
    placements = {r["applicant_id"]: r for r in rows(out / "placements.csv")}
    assert placements["A9"]["lottery_number"] == "5"
    assert seats(out)["A9"] == "ELM-K"


# ----------------------------------------------------------------------------- rules


def policy_values(out: Path) -> dict[str, int]:
    """Priority label -> value (lower is better), from the policy the round used."""
    manifest = json.loads((out / "manifest.json").read_text())
    order = Policy.model_validate(manifest["policy"]).priority.order
    return {
        "guaranteed": 0,
        **{t: i for i, t in enumerate(order, start=1)},
        "general": len(order) + 1,
    }


def capacity_of(out: Path) -> dict[str, int]:
    programs = rows(out / "round-inputs" / "programs.csv")
    return {
        r["program_id"]: int(r.get("offer_target") or r["seats"]) - int(r.get("held_seats") or 0)
        for r in programs
    }


def lists_of(inputs: Path) -> dict[str, list[str]]:
    lists: dict[str, list[tuple[int, str]]] = {}
    for r in rows(inputs / "choices.csv"):
        lists.setdefault(r["applicant_id"], []).append((int(r["rank"]), r["program_id"]))
    return {a: [p for _, p in sorted(ranked)] for a, ranked in lists.items()}


def independent_violations(out: Path) -> list[str]:
    """Stability, capacity and guarantees of a round without reserves, families or
    required tags, from its files alone. A program orders applicants by (priority shown
    in choice_results.csv, lottery_rank shown in placements.csv, which is checked against
    the seeded numbers and the reversal first)."""
    problems = []
    manifest = json.loads((out / "manifest.json").read_text())
    placements = {r["applicant_id"]: r for r in rows(out / "placements.csv")}
    ordered = sorted(placements, key=lambda a: (lottery_number(SEED, a), a))
    reversed_ = manifest.get("round", {}).get("lottery_reversed", False)
    n = len(ordered)
    for position, applicant in enumerate(ordered, start=1):
        expected = n + 1 - position if reversed_ else position
        if placements[applicant]["lottery_rank"] != str(expected):
            problems.append(f"{applicant}: lottery rank {placements[applicant]['lottery_rank']}")
    value = policy_values(out)
    priority = {
        (r["applicant_id"], r["program_id"]): value[r["priority"]]
        for r in rows(out / "choice_results.csv")
    }
    inputs = out / "round-inputs"
    guarantee = {
        r["applicant_id"]: r.get("guaranteed_program_id", "")
        for r in rows(inputs / "applicants.csv")
    }
    lists = lists_of(inputs)
    capacity = capacity_of(out)
    seat = {a: r["program_id"] if r["status"] in HOLDS else "" for a, r in placements.items()}
    held_by: dict[str, list[str]] = {}
    for a, p in seat.items():
        if p:
            held_by.setdefault(p, []).append(a)

    def key(a: str, p: str) -> tuple[int, int]:
        rank = int(placements[a]["lottery_rank"])
        return (0 if guarantee.get(a) == p else priority[a, p], rank)

    for p, holders in held_by.items():
        if len(holders) > capacity[p]:
            problems.append(f"{p}: {len(holders)} placed, capacity {capacity[p]}")
    for a, g in guarantee.items():
        ranked = lists.get(a, [])
        better = ranked[: ranked.index(g)] if g in ranked else ranked
        if g and seat[a] != g and seat[a] not in better:
            problems.append(f"{a}: guaranteed {g} but placed at {seat[a] or 'nothing'}")
    for a, ranked in lists.items():
        above = ranked[: ranked.index(seat[a])] if seat[a] in ranked else ranked
        if seat[a] and seat[a] not in ranked and seat[a] != guarantee.get(a):
            continue  # the zone guarantee: every ranked program turned them away
        for p in above:
            admitted = held_by.get(p, [])
            if len(admitted) < capacity[p]:
                problems.append(f"{a}: wastes a seat at {p}")
            elif any(key(b, p) > key(a, p) for b in admitted):
                problems.append(f"{a}: justified envy at {p}")
    return problems


def random_changes(rng: random.Random, out: Path, inputs: Path, number: int, folder: Path) -> dict:
    """Random changes after ``out`` (whose input folder is ``inputs``): about 10% of seat
    holders decline, 5% withdraw, 5% accept, 5% ask for a transfer; some unplaced
    applicants withdraw or change their lists; about 5% late applicants; seat changes at
    two programs. Returns what was decided, for the checks."""
    placed = seats(out)
    lists = lists_of(inputs)
    programs = rows(inputs / "programs.csv")
    grade_of_program = {r["program_id"]: r["grade"] for r in programs}
    applicants = {r["applicant_id"]: r for r in rows(inputs / "applicants.csv")}
    events, choice_lines, new_rows = [], [], []
    decided: dict[str, str] = {}
    transfers: dict[str, list[str]] = {}
    for a in sorted(placed):
        roll = rng.random()
        seat = placed[a]
        of_grade = sorted(p for p, g in grade_of_program.items() if g == applicants[a]["grade"])
        if seat:
            above = (
                lists.get(a, [])[: lists.get(a, []).index(seat)]
                if seat in lists.get(a, [])
                else lists.get(a, [])
            )
            if roll < 0.10:
                events.append(f"decline,{a},{seat},,")
                decided[a] = "decline"
            elif roll < 0.15:
                events.append(f"withdraw,{a},{seat},,")
                decided[a] = "withdraw"
            elif roll < 0.20:
                events.append(f"accept,{a},{seat},,")
                decided[a] = "accept"
            elif roll < 0.25:
                wanted = [p for p in of_grade if p != seat and p not in above]
                if wanted:
                    asked = rng.sample(wanted, min(len(wanted), rng.randint(1, 2)))
                    events += [f"transfer_request,{a},{p},," for p in asked]
                    decided[a] = "transfer_request"
                    transfers[a] = asked
        elif roll < 0.05:
            events.append(f"withdraw,{a},,,")
            decided[a] = "withdraw"
        elif roll < 0.12 and of_grade:
            events.append(f"update_choices,{a},,,")
            decided[a] = "update_choices"
            new = rng.sample(of_grade, rng.randint(1, min(3, len(of_grade))))
            choice_lines += [f"{a},{r},{p}" for r, p in enumerate(new, start=1)]
    grades = sorted(set(grade_of_program.values()))
    for i in range(max(1, len(placed) // 20)):
        a = f"N{number}x{i}"
        grade = rng.choice(grades)
        of_grade = sorted(p for p, g in grade_of_program.items() if g == grade)
        events.append(f"new_applicant,{a},,,")
        decided[a] = "new_applicant"
        new_rows.append(f"{a},Late,Kid,{grade},Guardian,{rng.choice(['N', 'S', 'E', 'W', ''])}")
        new = rng.sample(of_grade, rng.randint(1, min(3, len(of_grade))))
        choice_lines += [f"{a},{r},{p}" for r, p in enumerate(new, start=1)]
    staying = [a for a in placed if decided.get(a) not in ("decline", "withdraw")]
    holders = {p: sum(placed[a] == p for a in staying) for p in grade_of_program}
    reserved: dict[str, int] = {}  # seat changes may not go below reserved seats
    if (inputs / "reserves.csv").is_file():
        for r in rows(inputs / "reserves.csv"):
            reserved[r["program_id"]] = reserved.get(r["program_id"], 0) + int(r["seats"] or 0)
    for p in rng.sample(sorted(grade_of_program), min(2, len(grade_of_program))):
        value = max(holders[p] + rng.randint(0, 2), reserved.get(p, 0))
        events.append(f"seat_change,,{p},{value},")
    files = {}
    if new_rows:
        files["applicants"] = APPLICANT_HEADER + "\n" + "".join(r + "\n" for r in new_rows)
    if choice_lines:
        files["choices"] = choice_rows(*choice_lines)
    write_changes(folder, *events, **files)
    return {"decided": decided, "transfers": transfers}


def check_round(
    previous: Path, previous_inputs: Path, out: Path, decided: dict, transfers: dict, verify: bool
) -> None:
    """Every rule of docs/rounds.md for the round ``out`` after ``previous``."""
    assert independent_violations(out) == []
    if verify:
        report = verify_outputs(out, out / "round-inputs")
        assert report.passed, [v.render() for v in report.violations]
    before, after = seats(previous), seats(out)
    old_lists = lists_of(previous_inputs)
    capacity = capacity_of(out)
    for a, seat in before.items():
        event = decided.get(a)
        if event == "withdraw":
            assert a not in after
            continue
        if event == "decline":
            ranked = old_lists.get(a, [])
            above = ranked[: ranked.index(seat)] if seat in ranked else ranked
            assert after[a] == "" or after[a] in above
            continue
        if seat:  # a guaranteed last resort
            assert after[a], a
        if event == "update_choices" or not seat:
            continue
        # Monotonicity: the same seat, one ranked above it, or a requested transfer.
        ranked = old_lists.get(a, [])
        above = ranked[: ranked.index(seat)] if seat in ranked else ranked
        assert after[a] == seat or after[a] in above or after[a] in transfers.get(a, []), a
    # No waste: a program left with a free seat has nobody waiting for it.
    count: dict[str, int] = {}
    for p in after.values():
        if p:
            count[p] = count.get(p, 0) + 1
    for r in rows(out / "waitlists.csv"):
        assert count.get(r["program_id"], 0) >= capacity[r["program_id"]], r
    # moves.csv: exactly the applicants whose seat changed; offers.csv: their new seats.
    expected_moves = {
        a: (before.get(a, ""), after.get(a, ""))
        for a in set(before) | set(after)
        if before.get(a, "") != after.get(a, "")
    }
    got = {m[0]: (m[1], m[2]) for m in moves(out)}
    assert got == expected_moves
    reasons = {m[0]: m[3] for m in moves(out)}
    for a, reason in reasons.items():
        event = decided.get(a)
        expected = {"withdraw": "withdrawn", "decline": "declined"}.get(event)
        if expected is None:
            if not before.get(a):
                expected = "new placement"
            elif after[a] in transfers.get(a, []):
                expected = "transfer"
            else:
                expected = "improved"
        assert reason == expected, (a, reason)
    offered = [(o[0], o[1]) for o in offers(out)]
    assert sorted(offered) == sorted((a, p) for a, (_, p) in expected_moves.items() if p)


SUMMER = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SUMMER
@given(
    city=cities(max_schools=4, max_applicants=20),
    seed=st.integers(0, 2**32),
    reversed_=st.booleans(),
)
def test_three_random_rounds_keep_every_rule(city, seed, reversed_):
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inputs = write_random_city(city, tmp / "city")
        if reversed_:
            (inputs / "policy.toml").write_text('[rounds]\ntiebreak = "reversed"\n')
        outs = [tmp / "round-1"]
        run_lottery(inputs, outs[0], SEED)
        previous_inputs = inputs
        for number in (2, 3, 4):
            changes = tmp / f"changes-{number}"
            decided = random_changes(rng, outs[-1], previous_inputs, number, changes)
            out = tmp / f"round-{number}"
            run_round(outs[-1], changes, out, inputs_dir=inputs if number == 2 else None)
            check_round(outs[-1], previous_inputs, out, **decided, verify=True)
            outs.append(out)
            previous_inputs = out / "round-inputs"


def test_a_summer_on_the_example_city(tmp_path):
    """The example city (reserves, guarantees, required tags, families with
    sibling_offered, the zone guarantee, held seats): three rounds with about 10%
    declines and 5% late applicants, verified; the same chain again gives the same bytes,
    and so does the chain with every charter relabelled district and back."""
    swapped = tmp_path / "swapped-city"
    shutil.copytree(EXAMPLE, swapped)
    programs = (swapped / "programs.csv").read_text()
    swap = {"district": "charter", "charter": "district"}
    lines = programs.split("\n")
    header = lines[0].split(",")
    sector = header.index("sector")
    relabelled = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if len(cells) > sector:
            cells[sector] = swap[cells[sector]]
        relabelled.append(",".join(cells))
    (swapped / "programs.csv").write_text("\n".join(relabelled))
    runs = {}
    for name, inputs in (("first", EXAMPLE), ("again", EXAMPLE), ("swapped", swapped)):
        rng = random.Random(2026)
        base = tmp_path / name
        outs = [base / "round-1"]
        run_lottery(inputs, outs[0], SEED)
        previous_inputs = inputs
        for number in (2, 3, 4):
            changes = base / f"changes-{number}"
            decided = random_changes(rng, outs[-1], previous_inputs, number, changes)
            out = base / f"round-{number}"
            run_round(outs[-1], changes, out, inputs_dir=inputs if number == 2 else None)
            if name == "first":
                report = verify_outputs(out, out / "round-inputs")
                assert report.passed, [v.render() for v in report.violations]
                check_guarantees_and_monotonicity(outs[-1], previous_inputs, out, **decided)
            outs.append(out)
            previous_inputs = out / "round-inputs"
        runs[name] = outs
    for one, again in zip(runs["first"], runs["again"], strict=True):
        assert folder_bytes(one) == folder_bytes(again)
    same = ("placements.csv", "moves.csv", "offers.csv", "waitlists.csv", "choice_results.csv")
    for one, other in zip(runs["first"][1:], runs["swapped"][1:], strict=True):
        for name in same:
            assert (one / name).read_bytes() == (other / name).read_bytes(), name
    last = runs["first"][-1]
    counts = json.loads((last / "manifest.json").read_text())["round"]["moves"]
    assert counts["declined"] > 0 and counts["new placement"] > 0


def check_guarantees_and_monotonicity(previous, previous_inputs, out, decided, transfers):
    before, after = seats(previous), seats(out)
    old_lists = lists_of(previous_inputs)
    for a, seat in before.items():
        event = decided.get(a)
        if event in ("withdraw", "decline", "update_choices") or not seat:
            continue
        ranked = old_lists.get(a, [])
        above = ranked[: ranked.index(seat)] if seat in ranked else ranked
        assert after[a] == seat or after[a] in above or after[a] in transfers.get(a, []), a


def test_numbers_per_program_are_needed_for_programs_new_on_a_list(make_city, tmp_path):
    ranked = [line.split(",") for line in CHOICES.strip().split("\n")[1:]]
    numbers = "applicant_id,program_id,lottery_number\n" + "".join(
        f"{a},{p},{i * 7}\n" for i, (a, _, p) in enumerate(ranked)
    )
    city = make_city(lottery=numbers, policy='[lottery]\ntiebreak = "multiple"\n')
    chain = Chain(tmp_path, city, seed=None)
    new_list = {"choices": choice_rows("A4,1,ELM-K", "A4,2,OAK-K")}
    assert chain.problems("update_choices,A4,,,", "transfer_request,A8,ELM-1,,", **new_list) == [
        'changes.csv:3: program_id: no lottery number for applicant "A8" at program "ELM-1": '
        "add a row to lottery.csv of the changes folder (this lottery's numbers come from "
        "lottery.csv)",
        'choices.csv:2: program_id: no lottery number for applicant "A4" at program "ELM-K": '
        "add a row to lottery.csv of the changes folder (this lottery's numbers come from "
        "lottery.csv)",
    ]
    lottery = "applicant_id,program_id,lottery_number\nA4,ELM-K,3\nA8,ELM-1,4\n"
    out = chain.round(
        "update_choices,A4,,,", "transfer_request,A8,ELM-1,,", **new_list, lottery=lottery
    )
    numbers = rows(out / "round-inputs" / "lottery.csv")
    assert [r for r in numbers if r["lottery_number"] in ("3", "4")] == [
        {"applicant_id": "A4", "program_id": "ELM-K", "lottery_number": "3"},
        {"applicant_id": "A8", "program_id": "ELM-1", "lottery_number": "4"},
    ]
    report = verify_outputs(out, out / "round-inputs")
    assert report.passed, [v.render() for v in report.violations]
