"""Every problem a changes folder can have (``lottery round``), with its exact message,
and the files a round refuses; the default city of ``conftest.py`` run with the seed
``2026-spring`` (see test_rounds.py) is round 1.
"""

from __future__ import annotations

import pytest
from support.random_rounds import (
    APPLICANT_HEADER,
    Chain,
    choice_rows,
    new_applicant,
    rows,
    seats,
    write_changes,
)
from support.small_city import CHOICES

from lottery.audit.verify import verify_outputs
from lottery.errors import InputError
from lottery.rounds import run_round

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
