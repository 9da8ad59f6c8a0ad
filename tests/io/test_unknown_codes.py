"""Typos that would silently cost a family a priority, and IDs that are not IDs.

Codes that refer to something another file defines (zones, schools, tags) are checked
row by row: a warning names the file, line, applicant and a "did you mean", and
``--strict`` or policy.toml ``[checks] unknown_codes = "error"`` turns the warnings into
problems. Unknown program and applicant IDs were always problems; they get the same
suggestions. The default city of ``conftest.py`` is the starting point throughout.
"""

from __future__ import annotations

import json

import pytest
from support.random_rounds import Chain

from lottery.io.input_cells import MAX_SUGGESTED, Suggestions

APPLICANT_HEADER = (
    "applicant_id,first_name,last_name,grade,zone,current_school_id,sibling_school_ids,"
    "staff_school_id,language,guardian_name,address,tags,guaranteed_program_id"
)
SEED = "2026-spring"


def warnings_of(result) -> list[str]:
    """The warnings ``lottery validate`` printed, without their ``warning: ``."""
    return [
        line.removeprefix("warning: ")
        for line in result.stdout.splitlines()
        if line.startswith("warning: ")
    ]


def problems_of(result) -> list[str]:
    """The problem lines ``lottery validate`` printed, without the closing count."""
    return [line for line in result.stderr.splitlines() if not line.startswith("Found ")]


# ----------------------------------------------------------------------------- codes


def test_a_zone_in_the_wrong_case_is_a_warning_naming_the_applicant_and_the_fix(invoke, city):
    city.edit("applicants", "A3,Cara,Jones,K,N,", "A3,Cara,Jones,K,n,")
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    assert warnings_of(result)[0] == (
        'applicants.csv:4: zone: applicant "A3": zone "n" is served by no program '
        '(did you mean "N"?); this applicant gets no zone priority'
    )


def test_codes_no_priority_uses_cost_nothing_and_are_not_noticed(invoke, city):
    # Without zone, staff or continuing tiers (and no zone guarantee), zones and current
    # and staff schools decide nothing: a typo there costs no family anything.
    city.write("policy", '[priority]\norder = ["sibling"]\n')
    city.edit("applicants", "A3,Cara,Jones,K,N,", "A3,Cara,Jones,K,nowhere,")
    city.edit("applicants", "A5,Eli,Brown,1,S,RIV,", "A5,Eli,Brown,1,S,RVI,")
    city.edit("applicants", "A6,Fox,Green,1,N,,,ELM,", "A6,Fox,Green,1,N,,,elm,")
    result = invoke("validate", city.path, "--strict")
    assert result.exit_code == 0, result.stderr
    assert not [w for w in warnings_of(result) if "applicants.csv" in w]


def test_a_zone_guarantee_makes_zones_count_without_a_zone_tier(invoke, city):
    city.write("policy", '[priority]\norder = ["sibling"]\n')
    city.edit("programs", "zones\n", "zones,administrative_zones\n")
    city.edit(
        "programs",
        "ELM-K,ELM,Elm Elementary,district,K,2,N;E",
        "ELM-K,ELM,Elm Elementary,district,K,2,N;E,N",
    )
    city.edit("applicants", "A3,Cara,Jones,K,N,", "A3,Cara,Jones,K,n,")
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    assert warnings_of(result)[0] == (
        'applicants.csv:4: zone: applicant "A3": zone "n" is served by no program '
        '(did you mean "N"?); this applicant gets no seat from the zone guarantee'
    )


def test_school_typos_are_warnings_with_the_priority_they_cost(invoke, city):
    city.write("policy", '[priority]\norder = ["continuing", "staff", "sibling", "zone"]\n')
    city.edit("applicants", "A1,Ana,Lopez,K,N,,ELM,", "A1,Ana,Lopez,K,N,,Elm;OKA;Maple,")
    city.edit("applicants", "A5,Eli,Brown,1,S,RIV,", "A5,Eli,Brown,1,S,RVI,")
    city.edit("applicants", "A6,Fox,Green,1,N,,,ELM,", "A6,Fox,Green,1,N,,,elm,")
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    assert warnings_of(result)[:3] == [
        'applicants.csv:6: current_school_id: applicant "A5": school "RVI" has no program in '
        'programs.csv (did you mean "RIV"?); this applicant gets no continuing-student '
        "priority",
        'applicants.csv:7: staff_school_id: applicant "A6": school "elm" has no program in '
        'programs.csv (did you mean "ELM"?); this applicant gets no staff priority',
        'applicants.csv:2: sibling_school_ids: applicant "A1": sibling schools "Elm" (did you '
        'mean "ELM"?), "Maple", "OKA" (did you mean "OAK"?) have no program in programs.csv; '
        "this applicant gets no sibling priority there",
    ]


def test_a_zone_served_only_by_the_zone_guarantee_is_known(invoke, city):
    city.edit("programs", "RIV-1,RIV,River School,charter,1,2,S", "RIV-1,RIV,River,charter,1,2,S")
    city.write(
        "programs",
        city.read("programs")
        .replace("seats,zones\n", "seats,zones,administrative_zones\n")
        .replace("\nRIV-1,RIV,River,charter,1,2,S\n", "\nRIV-1,RIV,River,charter,1,2,S,W\n"),
    )
    city.edit("applicants", "A8,Hui,Chen,1,S,", "A8,Hui,Chen,1,W,")
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    assert not [w for w in warnings_of(result) if "zone:" in w]


def test_an_invalid_code_is_reported_once_as_a_problem_not_again_as_unknown(invoke, city):
    city.edit("applicants", "A3,Cara,Jones,K,N,", "A3,Cara,Jones,K,North Zone,")
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert problems_of(result) == [
        'applicants.csv:4: zone: "North Zone" is not a valid zone code: codes have no spaces'
    ]


TAGGED_APPLICANTS = f"""\
{APPLICANT_HEADER}
A1,Ana,Lopez,K,N,,ELM,,es,Maria Lopez,12 Elm St,frl,
A2,Ben,Smith,K,S,,,,,Carol Smith,3 River Rd,ell,
A3,Cara,Jones,K,N,,,,,Dan Jones,,,
A4,Dev,Patel,K,E,,OAK,,,Raj Patel,,,
A5,Eli,Brown,1,S,RIV,,,,Fay Brown,,,
A6,Fox,Green,1,N,,,ELM,,Gil Green,,,
A7,Gia,White,1,E,,RIV;ELM,,,Hal White,,,
A8,Hui,Chen,1,S,,,,zh,Ivy Chen,,,
"""
TAG_POLICY = """\
[priority]
# frl: free or reduced-price lunch
order = ["continuing", "sibling", "zone", "tag:FRL"]
"""


def test_tags_nobody_has_are_warnings_where_they_are_named(invoke, city):
    city.write("applicants", TAGGED_APPLICANTS)
    city.write("policy", TAG_POLICY)
    city.write(
        "programs",
        city.read("programs")
        .replace("seats,zones\n", "seats,zones,requires_tags\n")
        .replace("RIV-1,RIV,River School,charter,1,2,S", "RIV-1,RIV,River School,charter,1,2,S,el"),
    )
    city.write("reserves", "program_id,category,seats,share\nELM-K,tag:fr,1,\n")
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    assert warnings_of(result)[:3] == [
        'policy.toml:3: priority.order: no applicant has the tag "FRL" (did you mean "frl"?); '
        'the criterion "tag:FRL" gives nobody priority',
        'programs.csv:5: requires_tags: program "RIV-1" requires the tag "el", which no '
        'applicant has (did you mean "ell"?); nobody can be placed at this program',
        'reserves.csv:2: category: no applicant has the tag "fr" (did you mean "frl"?), so '
        "nobody is in this reserve's category; its seats go to other applicants",
    ]


# ----------------------------------------------------------------------------- strict


def test_strict_validate_and_run_refuse_unknown_codes(invoke, city, tmp_path):
    city.edit("applicants", "A3,Cara,Jones,K,N,", "A3,Cara,Jones,K,n,")
    expected = [
        'applicants.csv:4: zone: applicant "A3": zone "n" is served by no program '
        '(did you mean "N"?); this applicant gets no zone priority'
    ]
    result = invoke("validate", city.path, "--strict")
    assert result.exit_code == 2
    assert problems_of(result) == expected
    out = tmp_path / "results"
    result = invoke("run", city.path, "--seed", SEED, "--out", out, "--strict")
    assert result.exit_code == 2
    assert expected[0] in result.stderr
    assert not out.exists()


def test_policy_checks_unknown_codes_error_refuses_them_without_strict(invoke, city, tmp_path):
    city.write("applicants", TAGGED_APPLICANTS)
    city.write("policy", TAG_POLICY + '\n[checks]\nunknown_codes = "error"\n')
    city.edit("applicants", "A3,Cara,Jones,K,N,", "A3,Cara,Jones,K,n,")
    expected = [
        'applicants.csv:4: zone: applicant "A3": zone "n" is served by no program '
        '(did you mean "N"?); this applicant gets no zone priority',
        'policy.toml:3: priority.order: no applicant has the tag "FRL" (did you mean "frl"?); '
        'the criterion "tag:FRL" gives nobody priority',
    ]
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert problems_of(result) == expected
    out = tmp_path / "results"
    result = invoke("run", city.path, "--seed", SEED, "--out", out)
    assert result.exit_code == 2
    assert not out.exists()


def test_policy_checks_warning_is_the_default_and_strict_overrides_it(invoke, city):
    city.write("policy", '[checks]\nunknown_codes = "warning"\n')
    city.edit("applicants", "A3,Cara,Jones,K,N,", "A3,Cara,Jones,K,n,")
    assert invoke("validate", city.path).exit_code == 0
    assert invoke("validate", city.path, "--strict").exit_code == 2


def test_a_run_with_a_typo_records_the_warning_in_its_manifest(invoke, city, tmp_path):
    city.edit("applicants", "A3,Cara,Jones,K,N,", "A3,Cara,Jones,K,n,")
    out = tmp_path / "results"
    result = invoke("run", city.path, "--seed", SEED, "--out", out)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (
        'applicants.csv:4: zone: applicant "A3": zone "n" is served by no program '
        '(did you mean "N"?); this applicant gets no zone priority'
    ) in manifest["warnings"]


def test_many_unknown_codes_list_fifty_and_count_the_rest(invoke, city):
    city.append("applicants", *(f"B{i:02},Kim,Lee,K,Q,,,,,Sam Lee," for i in range(60)))
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    zone_warnings = [w for w in warnings_of(result) if w.startswith("applicants.csv")]
    assert len(zone_warnings) == 51
    assert zone_warnings[0] == (
        'applicants.csv:10: zone: applicant "B00": zone "Q" is served by no program; this '
        "applicant gets no zone priority"
    )
    assert zone_warnings[-1] == "applicants.csv: zone: ... and 10 more warnings like these"


# ----------------------------------------------------------------------------- unknown IDs


def test_unknown_programs_get_a_did_you_mean(invoke, city):
    city.replace_line("choices", 3, "A1,2,oak-k")
    city.replace_line("choices", 9, "A5,1,RIV-2")
    city.replace_line("choices", 15, "A8,1,HILL-1")
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert problems_of(result) == [
        'choices.csv:3: program_id: unknown program "oak-k" (did you mean "OAK-K"?)',
        'choices.csv:9: program_id: unknown program "RIV-2" (did you mean "RIV-1"?)',
        'choices.csv:15: program_id: unknown program "HILL-1"',
    ]


def test_unknown_applicants_get_a_did_you_mean_only_for_case(invoke, city):
    city.replace_line("choices", 8, "a4,1,OAK-K")
    city.replace_line("choices", 15, "A18,1,RIV-1")  # near "A1" and "A8", but numbered
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert problems_of(result) == [
        'choices.csv:8: applicant_id: unknown applicant "a4" (did you mean "A4"?)',
        'choices.csv:15: applicant_id: unknown applicant "A18"',
    ]


def test_an_unknown_guaranteed_or_reserved_program_gets_a_did_you_mean(invoke, city):
    city.write("applicants", TAGGED_APPLICANTS.replace(",frl,\n", ",frl,elm-k\n"))
    city.write("reserves", "program_id,category,seats,share\nELM_K,tag:frl,1,\n")
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert problems_of(result) == [
        'applicants.csv:2: guaranteed_program_id: unknown program "elm-k" (did you mean "ELM-K"?)',
        'reserves.csv:2: program_id: unknown program "ELM_K" (did you mean "ELM-K"?)',
    ]


def test_unknown_programs_and_applicants_of_a_later_round_get_a_did_you_mean(city, tmp_path):
    chain = Chain(tmp_path, city)
    assert chain.problems("decline,a1,ELM-K,,", "accept,A1,elm-k,,") == [
        'changes.csv:2: applicant_id: unknown applicant "a1" (did you mean "A1"?)',
        'changes.csv:3: program_id: unknown program "elm-k" (did you mean "ELM-K"?)',
    ]


# ----------------------------------------------------------------------------- invalid IDs


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("CEDAR Elementary", '"CEDAR Elementary" is not a valid school ID: IDs have no spaces'),
        (
            "MAPLE/K",
            '"MAPLE/K" is not a valid school ID: "/" is not allowed (letters, digits, - _ .)',
        ),
        (
            "ÉCOLE",
            '"ÉCOLE" is not a valid school ID: "É" is not allowed (letters without accents, '
            "digits, - _ .)",
        ),
        (
            "S" * 70,
            f'"{"S" * 60}… (70 characters)" is not a valid school ID: IDs have at most 64 '
            "characters (this one has 70)",
        ),
    ],
)
def test_an_invalid_id_says_why(invoke, city, cell, message):
    city.edit("programs", "OAK-K,OAK,", f"OAK-K,{cell},")
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert problems_of(result) == [f"programs.csv:3: school_id: {message}"]


def test_an_invalid_applicant_id_names_the_characters_applicant_ids_allow(invoke, city):
    city.edit("applicants", "A8,Hui,", "A.8,Hui,")
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert problems_of(result)[0] == (
        'applicants.csv:9: applicant_id: "A.8" is not a valid applicant ID: "." is not allowed '
        "(letters, digits, - _)"
    )


def test_a_list_of_codes_says_which_item_is_wrong_and_why(invoke, city):
    city.edit("applicants", "A7,Gia,White,1,E,,RIV;ELM,", "A7,Gia,White,1,E,,RIV ELM,")
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert problems_of(result) == [
        "applicants.csv:8: sibling_school_ids: not a list of valid school IDs separated by ';' "
        '("RIV ELM": IDs have no spaces)'
    ]


# ----------------------------------------------------------------------------- validate counts


def test_validate_counts_applicants_without_choices_as_run_does(invoke, city, tmp_path):
    city.write("applicants", TAGGED_APPLICANTS.replace("Ivy Chen,,,\n", "Ivy Chen,,,RIV-1\n"))
    city.append("applicants", "A9,Ivo,Ruiz,1,S,,,,,Ana Ruiz,,,")
    city.delete_line("choices", 15)  # A8 ranks nothing, but is guaranteed RIV-1
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    assert (
        "2 applicant(s) ranked no program; 1 of them will be placed at their guaranteed "
        "program, the other 1 will not be placed: A9"
    ) in warnings_of(result)
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", SEED, "--out", out).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["applicants_without_choices"] == 2


def test_validate_says_when_everyone_without_choices_is_guaranteed(invoke, city):
    city.write("applicants", TAGGED_APPLICANTS.replace("Ivy Chen,,,\n", "Ivy Chen,,,RIV-1\n"))
    city.delete_line("choices", 15)
    result = invoke("validate", city.path)
    assert (
        "1 applicant(s) ranked no program; all of them will be placed at their guaranteed "
        "program: A8"
    ) in warnings_of(result)


def test_validate_shows_seats_and_seats_offered_when_seats_are_held(invoke, city):
    city.write(
        "programs",
        city.read("programs")
        .replace("seats,zones\n", "seats,zones,held_seats\n")
        .replace(
            "ELM-1,ELM,Elm Elementary,district,1,2,N;E",
            "ELM-1,ELM,Elm Elementary,district,1,2,N;E,1",
        ),
    )
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    table = lines[lines.index("  grade  applicants  seats  offered") :][:3]
    assert table == [
        "  grade  applicants  seats  offered",
        "  K               4      3        3",
        "  1               4      4        3",
    ]
    assert warnings_of(result) == [
        "grade K is over-subscribed: 4 applicants for 3 seats offered in this run "
        "(at least 1 will not be placed)",
        "grade 1 is over-subscribed: 4 applicants for 3 seats offered in this run "
        "(at least 1 will not be placed)",
    ]


# ----------------------------------------------------------------------------- suggestions


def test_a_suggestion_prefers_the_known_value_written_most_alike():
    guess = Suggestions(["FRL", "frl", "ell"])
    assert guess.match("frll") == "frl"
    assert guess.match("FRLL") == "FRL"
    assert guess.match("Ell") == "ell"
    assert guess.match("zzz") is None


def test_suggestions_stop_after_the_first_distinct_values():
    guess = Suggestions([f"P{i}" for i in range(10)])
    for i in range(MAX_SUGGESTED):
        guess.match(f"x{i}")
    assert guess.match("p1") is None  # nothing more is computed
    assert guess.match("x0") is None  # earlier answers are kept


def test_many_known_values_get_only_the_case_insensitive_match():
    guess = Suggestions([f"PROGRAM-{i:05}" for i in range(20000)])
    assert guess.match("program-00042") == "PROGRAM-00042"
    assert guess.match("PROGRAM-0004x") is None


def test_a_list_written_with_commas_says_which_separator_to_use(invoke, city):
    city.edit("applicants", "A1,Ana,Lopez,K,N,,ELM,", 'A1,Ana,Lopez,K,N,,"ELM, OAK",')
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert problems_of(result) == [
        "applicants.csv:2: sibling_school_ids: not a list of valid school IDs separated by "
        "';' (\"ELM, OAK\": separate the school IDs with ';', not ',')"
    ]


def test_each_school_column_gets_its_own_suggestions(invoke, city):
    # Many unknown current schools (private preschools, say) leave the sibling hints alone.
    rows = [f"P{n},Pat,Doe{n},K,N,PRE{n:03d},,,,Guardian,," for n in range(70)]
    city.append("applicants", *rows, "S1,Sam,Lee,K,N,,elm,,,Guardian,,")
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    sibling = [w for w in warnings_of(result) if "sibling_school_ids" in w]
    assert sibling and '(did you mean "ELM"?)' in sibling[0]
