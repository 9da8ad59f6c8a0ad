"""Later rounds (``lottery.rounds.run_round``): every event on hand-built examples, the
manifest that chains the rounds, and the folders a round accepts.

The hand-built examples start from the default city of ``conftest.py`` run with the seed
``2026-spring``. Round 1 places A1 and A3 at ELM-K, A4 at OAK-K, A5 and A8 at RIV-1, A6
and A7 at ELM-1, and leaves A2 unplaced. Lottery ranks (single tie-break): A2 1, A7 2,
A1 3, A6 4, A4 5, A8 6, A3 7, A5 8. At OAK-K (no zones) every applicant is general, so
there the lottery decides.

Every problem a changes folder can have is in test_round_changes.py; the rules of
docs/rounds.md on random chains of rounds in test_round_properties.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.files import sha256
from support.random_rounds import (
    APPLICANT_HEADER,
    SEED,
    Chain,
    choice_rows,
    folder_bytes,
    independent_violations,
    moves,
    new_applicant,
    offers,
    rows,
    seats,
    write_changes,
)

from lottery.audit.verify import verify_outputs
from lottery.engine import run_lottery
from lottery.errors import InputError, UsageError
from lottery.numbers import lottery_number
from lottery.rounds import run_round

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city"


# ----------------------------------------------------------------------------- helpers


def waitlisted(out: Path, program: str) -> list[str]:
    return [r["applicant_id"] for r in rows(out / "waitlists.csv") if r["program_id"] == program]


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
    # --inputs means round 1's input folder for every command: accepted, and the round
    # still starts from the previous round's round-inputs/.
    run_round(chain.last, changes, tmp_path / "given", inputs_dir=chain.city.path)
    run_round(chain.last, changes, tmp_path / "left-out")
    for name in ("placements.csv", "moves.csv", "manifest.json"):
        given, left_out = tmp_path / "given" / name, tmp_path / "left-out" / name
        assert given.read_bytes() == left_out.read_bytes()
    with pytest.raises(UsageError, match="is not the input folder of round 1"):
        run_round(chain.last, changes, tmp_path / "out", inputs_dir=chain.outs[0])
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
