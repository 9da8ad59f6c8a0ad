"""Bad input is reported as ``file:line: column: message``, all of it, and nothing is written.

Each case below breaks the default city (``conftest.py``) in one way and lists the exact
lines the office must see. Both ``lottery run`` and ``lottery validate`` are checked on
every case: exit status 2, those lines and the closing summary on standard error, no
traceback, and no output folder (nor a hidden ``.NAME.partial-*`` staging folder).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.small_city import City

SEED = "2026-spring"
PROGRESS = re.compile(r"^\.\.\. [A-Z]")  # "... Reading and checking the input files"
PROGRAM_COLUMNS = (
    "program_id, school_id, school_name, sector, grade, seats, zones, held_seats, "
    "offer_target, requires_tags, administrative_zones, latitude, longitude"
)
KNOWN_CRITERIA = "continuing, sibling, staff, zone, sibling_offered, tag:NAME, proximity:MILES"


def summary(count: int) -> str:
    noun = "problem" if count == 1 else "problems"
    return f"Found {count} {noun} in the input files; nothing was written."


def problem_lines(stderr: str) -> list[str]:
    """Standard error without the progress lines of ``lottery run``."""
    return [line for line in stderr.splitlines() if not PROGRESS.match(line)]


def assert_nothing_written(tmp_path: Path) -> None:
    """No results folder and no hidden staging folder next to where it would be."""
    assert not (tmp_path / "results").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city"]


def invoke_command(invoke, command: str, city: City, tmp_path: Path):
    if command == "run":
        # With lottery.csv the seed must not be given (refused before reading anything).
        seed = [] if (city.path / "lottery.csv").exists() else ["--seed", SEED]
        return invoke("run", city.path, *seed, "--out", tmp_path / "results")
    return invoke("validate", city.path)


@dataclass(frozen=True)
class Case:
    """One way to break the city, and the problem lines it must produce."""

    id: str
    breaks: Callable[[City], object]
    lines: Callable[[City], list[str]] | list[str]

    def expected(self, city: City) -> list[str]:
        return self.lines(city) if callable(self.lines) else self.lines


CASES = [
    Case(
        "duplicate-applicant-id",
        lambda c: c.append("applicants", "A1,Zoe,Lopez,K,N,,,,,Maria Lopez,"),
        ['applicants.csv:10: applicant_id: duplicate applicant_id "A1" (first on line 2)'],
    ),
    Case(
        "duplicate-program-id",
        lambda c: c.append("programs", "ELM-K,ELM,Elm Elementary,district,K,1,N"),
        ['programs.csv:6: program_id: duplicate program_id "ELM-K" (first on line 2)'],
    ),
    Case(
        "unknown-program-in-choice",
        lambda c: c.replace_line("choices", 3, "A1,2,OAK-1"),
        ['choices.csv:3: program_id: unknown program "OAK-1" (did you mean "OAK-K"?)'],
    ),
    Case(
        # The unknown first choice must not also be reported as a gap in A1's ranks.
        "unknown-program-as-first-choice",
        lambda c: c.replace_line("choices", 2, "A1,1,ELM-PK"),
        ['choices.csv:2: program_id: unknown program "ELM-PK" (did you mean "ELM-K"?)'],
    ),
    Case(
        "unknown-applicant-in-choice",
        lambda c: c.append("choices", "A9,1,ELM-K"),
        ['choices.csv:16: applicant_id: unknown applicant "A9"'],
    ),
    Case(
        "rank-gap",
        lambda c: (
            c.append("programs", "OAK-1,OAK,Oak Charter Academy,charter,1,1,"),
            c.append("choices", "A5,4,OAK-1"),
        ),
        [
            'choices.csv:9: rank: applicant "A5" has ranks 1, 2, 4; '
            "ranks must run 1, 2, 3, ... without gaps"
        ],
    ),
    Case(
        # Only the repeat is reported: ranks 1, 1 have no gap.
        "repeated-rank",
        lambda c: c.replace_line("choices", 3, "A1,1,OAK-K"),
        ['choices.csv:3: rank: applicant "A1" uses rank 1 twice'],
    ),
    Case(
        "program-ranked-twice",
        lambda c: c.replace_line("choices", 3, "A1,2,ELM-K"),
        ['choices.csv:3: program_id: applicant "A1" ranks program "ELM-K" twice'],
    ),
    Case(
        "rank-zero",
        lambda c: c.replace_line("choices", 2, "A1,0,ELM-K"),
        ['choices.csv:2: rank: "0" is not a rank (1 = most preferred)'],
    ),
    Case(
        "wrong-grade",
        lambda c: c.replace_line("choices", 8, "A4,1,RIV-1"),
        [
            'choices.csv:8: program_id: program "RIV-1" is for grade 1 but applicant "A4" '
            "applies for grade K"
        ],
    ),
    Case(
        "negative-seats",
        lambda c: c.replace_line("programs", 3, "OAK-K,OAK,Oak Charter Academy,charter,K,-1,"),
        ['programs.csv:3: seats: "-1" is not a whole number of seats (0 or more)'],
    ),
    Case(
        "non-integer-seats",
        lambda c: (
            c.replace_line("programs", 3, "OAK-K,OAK,Oak Charter Academy,charter,K,two,"),
            c.replace_line("programs", 5, "RIV-1,RIV,River School,charter,1,1.5,S"),
        ),
        [
            'programs.csv:3: seats: "two" is not a whole number of seats (0 or more)',
            'programs.csv:5: seats: "1.5" is not a whole number of seats (0 or more)',
        ],
    ),
    Case(
        "bad-grade-value",
        lambda c: (
            c.append("applicants", "A9,Ivo,Ruiz,KG,N,,,,,Ana Ruiz,"),
            c.append("programs", "ELM-13,ELM,Elm Elementary,district,13,1,"),
        ),
        [
            'applicants.csv:10: grade: "KG" is not a grade (use PK, K or 1 to 12)',
            'programs.csv:6: grade: "13" is not a grade (use PK, K or 1 to 12)',
        ],
    ),
    Case(
        "blank-required-cell",
        lambda c: (
            c.replace_line("applicants", 3, "A2,,Smith,K,S,,,,,Carol Smith,3 River Rd"),
            c.replace_line("choices", 4, "A2,1,"),
        ),
        [
            "applicants.csv:3: first_name: this cell must not be blank",
            "choices.csv:4: program_id: this cell must not be blank",
        ],
    ),
    Case(
        "unknown-column-typo",
        lambda c: c.edit("programs", "school_name", "shcool_name"),
        [
            "programs.csv:1: school_name: required column is missing from the header row",
            f'programs.csv:1: shcool_name: unknown column "shcool_name" '
            f'(did you mean "school_name"? expected: {PROGRAM_COLUMNS})',
        ],
    ),
    Case(
        # A typo in an optional column would otherwise silently drop zone priority.
        "unknown-column-typo-in-optional-column",
        lambda c: c.edit("programs", "seats,zones", "seats,zone"),
        [
            'programs.csv:1: zone: unknown column "zone" '
            f'(did you mean "zones"? expected: {PROGRAM_COLUMNS})'
        ],
    ),
    Case(
        "missing-required-column",
        lambda c: c.drop_column("programs", "sector"),
        ["programs.csv:1: sector: required column is missing from the header row"],
    ),
    Case(
        "repeated-column",
        lambda c: c.edit("choices", "rank,program_id\n", "rank,program_id,rank\n"),
        ["choices.csv:1: rank: this column appears twice in the header row"],
    ),
    Case(
        "missing-required-file",
        lambda c: c.write("choices", None),
        lambda c: [f"choices.csv: required file is missing from {c.path}"],
    ),
    Case(
        "unknown-policy-criterion",
        lambda c: c.write("policy", '[priority]\norder = ["continuing", "sibling+zoen"]\n'),
        [
            'policy.toml:2: priority.order: unknown priority criterion "zoen" in tier '
            f'"sibling+zoen" (known criteria: {KNOWN_CRITERIA}; join them with + )'
        ],
    ),
    Case(
        "invalid-policy-toml",
        lambda c: c.write("policy", "[priority]\norder = [continuing]\n"),
        ["policy.toml:2: not valid TOML: Invalid value (at line 2, column 10)"],
    ),
    Case(
        "unknown-policy-setting",
        lambda c: c.write("policy", '[lottery]\ntiebreak = "single"\nseed = "2026"\n'),
        ['policy.toml:3: lottery.seed: unknown setting "seed"'],
    ),
    Case(
        "unknown-policy-tiebreak",
        lambda c: c.write("policy", '[lottery]\ntiebreak = "double"\n'),
        ['policy.toml:2: lottery.tiebreak: must be "single" or "multiple", not "double"'],
    ),
    Case(
        "row-with-too-many-cells",
        lambda c: c.replace_line(
            "applicants", 3, "A2,Ben,Smith,K,S,,,,,Carol Smith,3 River Rd, Apt 4"
        ),
        [
            "applicants.csv:3: this row has 12 cells but the header has 11 columns "
            "(a stray comma, or a cell that needs quotes?)"
        ],
    ),
    Case(
        # The reader only notices at the end of the file; the report points at the opening.
        "unclosed-quote",
        lambda c: c.replace_line(
            "applicants", 3, 'A2,Ben,Smith,K,S,,,,,Carol Smith,"3 River Rd, Apt 4'
        ),
        ['applicants.csv:3: a quoted cell starts on this line but is never closed (a missing ")'],
    ),
    Case(
        "latin-1-encoding",
        lambda c: c.write(
            "applicants", c.read("applicants").replace("Ana", "José").encode("windows-1252")
        ),
        [
            "applicants.csv:2: this line is not UTF-8 text (byte 0xE9 at position 7); "
            'save the file as "CSV UTF-8"'
        ],
    ),
    Case(
        "empty-file",
        lambda c: c.write("choices", ""),
        ["choices.csv: the file is empty; it needs a header row and data rows"],
    ),
    Case(
        "file-of-blank-lines",
        lambda c: c.write("programs", "\r\n\r\n  \r\n"),
        ["programs.csv: the file is empty; it needs a header row and data rows"],
    ),
    Case(
        "bad-priority-value",
        lambda c: c.write("priorities", "applicant_id,program_id,priority\nA2,ELM-K,0\n"),
        ['priorities.csv:2: priority: "0" is not a priority (a whole number, 1 = highest)'],
    ),
    Case(
        "priority-for-unknown-program",
        lambda c: c.write("priorities", "applicant_id,program_id,priority\nA2,ELM-PK,1\n"),
        ['priorities.csv:2: program_id: unknown program "ELM-PK" (did you mean "ELM-K"?)'],
    ),
    Case(
        "bad-lottery-number",
        lambda c: c.write(
            "lottery",
            "applicant_id,lottery_number\n"
            + "".join(f"A{i},{i}\n" for i in range(1, 8))
            + "A8,-5\n",
        ),
        [
            'lottery.csv:9: lottery_number: "-5" is not a lottery number '
            "(a whole number from 0 to 18446744073709551615)"
        ],
    ),
    Case(
        "applicant-missing-from-lottery-file",
        lambda c: c.write(
            "lottery", "applicant_id,lottery_number\n" + "".join(f"A{i},{i}\n" for i in range(1, 8))
        ),
        ['applicants.csv:9: applicant_id: applicant "A8" has no row in lottery.csv'],
    ),
]


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_reported_exactly_and_nothing_is_written(
    invoke, city, tmp_path, case, command
):
    case.breaks(city)
    result = invoke_command(invoke, command, city, tmp_path)
    expected = case.expected(city)
    assert result.exit_code == 2, result.output
    assert problem_lines(result.stderr) == [*expected, summary(len(expected))]
    assert result.stdout == ""
    assert_nothing_written(tmp_path)


def test_missing_input_folder_is_reported(invoke, tmp_path):
    result = invoke("run", tmp_path / "nowhere", "--seed", SEED, "--out", tmp_path / "results")
    assert result.exit_code == 2
    assert problem_lines(result.stderr) == [
        f"{tmp_path / 'nowhere'}: this input folder does not exist",
        summary(1),
    ]
    assert not (tmp_path / "results").exists()


def test_all_problems_in_all_files_are_reported_in_one_run_sorted_by_file_and_line(
    invoke, city, tmp_path
):
    city.write("policy", '[priority]\norder = ["sibilng"]\n')
    city.replace_line("programs", 3, "OAK-K,OAK,Oak Charter Academy,charter,K,-1,")
    city.replace_line("choices", 12, "A6,2,RIV-9")
    city.replace_line("choices", 3, "A1,2,OAK-1")
    city.append("applicants", "A1,Zoe,Lopez,K,N,,,,,Maria Lopez,")
    city.replace_line("applicants", 4, "A3,,Jones,K,N,,,,,Dan Jones,")
    expected = [
        "applicants.csv:4: first_name: this cell must not be blank",
        'applicants.csv:10: applicant_id: duplicate applicant_id "A1" (first on line 2)',
        'choices.csv:3: program_id: unknown program "OAK-1" (did you mean "OAK-K"?)',
        'choices.csv:12: program_id: unknown program "RIV-9" (did you mean "RIV-1"?)',
        'policy.toml:2: priority.order: unknown priority criterion "sibilng" in tier '
        f'"sibilng" (known criteria: {KNOWN_CRITERIA}; join them with + )',
        'programs.csv:3: seats: "-1" is not a whole number of seats (0 or more)',
    ]
    for command in ("run", "validate"):
        result = invoke_command(invoke, command, city, tmp_path)
        assert result.exit_code == 2
        assert problem_lines(result.stderr) == [*expected, summary(6)]
    assert_nothing_written(tmp_path)


def test_a_long_report_is_capped_and_says_how_many_more_there_are(invoke, city, tmp_path):
    city.append("choices", *(f"X{i:03},1,ELM-K" for i in range(250)))
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    lines = problem_lines(result.stderr)
    shown = [line for line in lines if line.startswith("choices.csv:")]
    assert shown[0] == 'choices.csv:16: applicant_id: unknown applicant "X000"'
    assert len(shown) == 50
    assert lines[-2:] == ["... and 200 more problems not shown.", summary(250)]


def test_missing_out_option_is_a_usage_error(invoke, city):
    result = invoke("run", city.path, "--seed", SEED)
    assert result.exit_code == 2
    assert "Missing option '--out'" in result.stderr


# ----------------------------------------------------------------------------- validate, good input


def test_validate_prints_counts_and_grade_table_for_a_good_folder(invoke, city):
    before = {p.name: p.read_bytes() for p in city.path.iterdir()}
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{city.path}: the input files are valid.",
        "  programs:    4",
        "  schools:     3",
        "  seats:       7",
        "  applicants:  8",
        "  choices:     14",
        "  grade  applicants  seats",
        "  K               4      3",
        "  1               4      4",
        "warning: grade K is over-subscribed: 4 applicants for 3 seats "
        "(at least 1 will not be placed)",
    ]
    assert {p.name: p.read_bytes() for p in city.path.iterdir()} == before


def test_validate_warns_about_unranked_programs_and_applicants_without_choices(invoke, city):
    city.append("programs", "OAK-1,OAK,Oak Charter Academy,charter,1,1,")
    city.append("applicants", "A9,Ivo,Ruiz,1,S,,,,,Ana Ruiz,")
    result = invoke("validate", city.path)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: 1 program(s) were ranked by nobody: OAK-1",
        "warning: 1 applicant(s) ranked no program and will not be placed: A9",
        "warning: grade K is over-subscribed: 4 applicants for 3 seats "
        "(at least 1 will not be placed)",
    ]
    assert "  1               5      5" in result.stdout.splitlines()


def test_programs_file_without_rows_is_reported_not_a_traceback(invoke, city, tmp_path):
    city.write("programs", "program_id,school_id,school_name,sector,grade,seats\n")
    city.write("choices", "applicant_id,rank,program_id\n")
    result = invoke("run", city.path, "--seed", SEED, "--out", tmp_path / "results")
    assert result.exit_code == 2
    assert (
        problem_lines(result.stderr)[0] == "programs.csv: the file has a header row but no programs"
    )


def test_choices_file_without_rows_places_nobody(invoke, city, tmp_path):
    city.write("choices", "applicant_id,rank,program_id\n")
    result = invoke("run", city.path, "--seed", SEED, "--out", tmp_path / "results")
    assert result.exit_code == 0, result.stderr
    placements = (tmp_path / "results" / "placements.csv").read_text().splitlines()
    assert all(",unplaced," in line for line in placements[1:])
