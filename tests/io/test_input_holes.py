"""Holes in input reading found by the fuzzer (``tests/io/test_fuzz.py``), one test each.

Each test breaks the default city (``conftest.py``) the way a fuzzing case did, and
checks the exact problem lines: exit status 2, nothing written, no traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.small_city import City

SEED = "2026-spring"
PROGRAMS_HEADER = "program_id,school_id,school_name,sector,grade,seats,zones\n"


def problems(invoke, city: City, tmp_path: Path) -> list[str]:
    """The problem lines of ``run`` (checked equal to those of ``validate``)."""
    out = tmp_path / "results"
    ran = invoke("run", city.path, "--seed", SEED, "--out", out)
    validated = invoke("validate", city.path)
    assert ran.exit_code == validated.exit_code == 2, ran.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city"]
    lines = [line for line in ran.stderr.splitlines() if not line.startswith("... ")]
    assert lines == validated.stderr.splitlines()
    return lines[:-1]


def test_reserves_for_a_programs_file_without_rows(invoke, city, tmp_path):
    """A header-only programs.csv with a reserves.csv row was an IndexError."""
    city.write("programs", PROGRAMS_HEADER)
    city.write("choices", "applicant_id,rank,program_id\n")
    city.write("reserves", "program_id,category,seats\nELM-K,zone,1\n")
    assert problems(invoke, city, tmp_path) == [
        "programs.csv: the file has a header row but no programs",
        'reserves.csv:2: program_id: unknown program "ELM-K"',
    ]


@pytest.mark.parametrize(
    ("character", "shown"),
    [
        ("\x00", "\\x00"),
        ("\x1b", "\\x1b"),
        ("\x7f", "\\x7f"),
        ("\x85", "\\x85"),
        ("\u2028", "\\u2028"),
    ],
)
def test_a_control_character_in_a_name_is_refused_and_shown_escaped(
    invoke, city, tmp_path, character, shown
):
    city.replace_line("applicants", 3, f"A2,Be{character}n,Smith,K,S,,,,,Carol Smith,3 River Rd")
    assert problems(invoke, city, tmp_path) == [
        f"applicants.csv:3: first_name: contains a control character ({shown}), which cannot "
        "be printed; delete it (it often comes with text copied from another program)"
    ]


def test_a_control_character_in_an_id_is_shown_escaped_in_every_message(invoke, city, tmp_path):
    city.replace_line("choices", 3, "A1,2,OAK-K\x00")
    control = (
        "contains a control character (\\x00), which cannot be printed; delete it "
        "(it often comes with text copied from another program)"
    )
    assert problems(invoke, city, tmp_path) == [
        f"choices.csv:3: program_id: {control}",
        'choices.csv:3: program_id: unknown program "OAK-K\\x00" (did you mean "OAK-K"?)',
    ]


def test_a_line_break_is_allowed_in_an_address_but_not_in_an_id(invoke, city, tmp_path):
    city.replace_line("applicants", 2, 'A1,Ana,Lopez,K,N,,ELM,,es,Maria Lopez,"12 Elm St\nApt 3"')
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    city.replace_line("choices", 2, 'A1,1,"ELM\n-K"')
    assert problems(invoke, city, tmp_path) == [
        "choices.csv:2: program_id: contains a line break (\\n); only names, addresses and "
        "notes may hold line breaks",
        'choices.csv:2: program_id: unknown program "ELM\\n-K" (did you mean "ELM-K"?)',
    ]


def test_a_tab_inside_a_name_is_allowed(invoke, city, tmp_path):
    city.replace_line("applicants", 3, "A2,Be\tn,Smith,K,S,,,,,Carol Smith,3 River Rd")
    assert invoke("validate", city.path).exit_code == 0


def test_a_control_character_in_the_header_row_is_shown_escaped(invoke, city, tmp_path):
    city.replace_line("programs", 1, "\x00rogram_id,school_id,school_name,sector,grade,seats,zones")
    lines = problems(invoke, city, tmp_path)
    assert lines[0].startswith(
        'programs.csv:1: \\x00rogram_id: unknown column "\\x00rogram_id" '
        '(did you mean "program_id"? expected: '
    )
    assert lines[1] == "programs.csv:1: program_id: required column is missing from the header row"


# ----------------------------------------------------------------------------- policy.toml


@pytest.mark.parametrize(
    "order",
    ['["\\u0000"]', '["a\\nb"]', '["zone+\\u001b"]', '["tag:a\\u0000b"]', '["proximity:\\u0000"]'],
)
def test_a_control_character_in_a_policy_criterion_is_shown_escaped(invoke, city, tmp_path, order):
    city.write("policy", f"[priority]\norder = {order}\n")
    for line in problems(invoke, city, tmp_path):
        assert line.startswith("policy.toml:") and line.isprintable(), line


def test_a_control_character_in_respond_by_is_refused(invoke, city, tmp_path):
    city.write("policy", '[rounds]\nrespond_by = "2026\\u0000-06\\u001b[31m"\n')
    lines = problems(invoke, city, tmp_path)
    assert lines == [
        'policy.toml:2: rounds.respond_by: "2026\\x00-06\\x1b[31m" contains a control '
        "character; write the date as plain text"
    ]


def test_a_control_character_in_a_policy_key_is_shown_escaped(invoke, city, tmp_path):
    city.write("policy", '[priority]\n"\\u0000" = 1\n')
    for line in problems(invoke, city, tmp_path):
        assert line.startswith("policy.toml:") and line.isprintable(), line


def test_a_control_character_at_the_end_of_a_cell_is_refused_in_every_file(invoke, city, tmp_path):
    """str.strip() drops U+001F: it was refused only in files that were not stripped."""
    control = (
        "applicants.csv:3: applicant_id: contains a control character (\\x1f), which cannot "
        "be printed; delete it (it often comes with text copied from another program)"
    )
    city.replace_line("applicants", 3, "A2\x1f,Ben,Smith,K,S,,,,,Carol Smith,3 River Rd")
    plain = problems(invoke, city, tmp_path)
    city.replace_line("applicants", 3, "A2\x1f,Ben,Smith,K,S,,,,,Carol Smith,3 River Rd ")
    assert problems(invoke, city, tmp_path) == plain
    assert control in plain
