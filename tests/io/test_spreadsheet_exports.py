"""Files exported from spreadsheets and application portals read as they are.

- a column of the office's own (``case_worker``) is ignored, with one warning (an error
  with ``--strict``); a column that looks like one of ours stays an error;
- files separated by semicolons (Excel in much of Europe and Latin America) or tabs;
- wide lists of choices (``applicant_id, choice_1, choice_2, ...``);
- header names as people write them (``Applicant ID``).

Each gives the results of the clean file, byte for byte, and problems that point at the
right line and column.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from support.random_rounds import Chain, rows
from support.small_city import CHOICES

from lottery.io.applicants_file import APPLICANT_COLUMNS
from lottery.io.change_events import CHANGES_COLUMNS
from lottery.io.choices_file import CHOICE_COLUMNS
from lottery.io.csv_tables import IGNORED_COLUMNS, ProblemLog, Table, read_table
from lottery.io.lottery_file import LOTTERY_COLUMNS
from lottery.io.programs_file import PROGRAM_COLUMNS

SEED = "2026-spring"
RESULT_FILES = ("placements.csv", "waitlists.csv", "programs_summary.csv", "choice_results.csv")
SEMICOLONS = "read as separated by semicolons (;), as Excel saves CSV in some countries"
IGNORED = "not a column the lottery reads; it is ignored"
APPLICANTS_EXPECTED = ", ".join(APPLICANT_COLUMNS[0] + APPLICANT_COLUMNS[1])
PROGRAMS_EXPECTED = ", ".join(PROGRAM_COLUMNS[0] + PROGRAM_COLUMNS[1])


def read(
    text: str, columns=CHOICE_COLUMNS, name: str = "choices.csv", strict=frozenset()
) -> tuple[Table | None, ProblemLog]:
    log = ProblemLog(strict)
    table = read_table(text.encode("utf-8"), *columns, log, name=name)
    return table, log


def problems(log: ProblemLog) -> list[str]:
    return sorted(problem.render() for problem in log.problems)


def results(invoke, folder: Path, out: Path) -> dict[str, object]:
    """A run's result files, and its manifest without input hashes and warnings."""
    result = invoke("run", folder, "--seed", SEED, "--out", out)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del manifest["inputs"], manifest["warnings"]
    return {**{name: (out / name).read_bytes() for name in RESULT_FILES}, "manifest": manifest}


def with_columns(text: str, **extra: str) -> str:
    """A CSV text with more columns at the right: name=value (every row the same value)."""
    lines = text.rstrip("\n").split("\n")
    header = lines[0] + "".join(f",{name}" for name in extra)
    body = [line + "".join(f",{value}" for value in extra.values()) for line in lines[1:]]
    return "\n".join([header, *body]) + "\n"


def resave(text: str, delimiter: str, line_end: str = "\n") -> str:
    """The CSV text saved with another delimiter, quoting as Excel does."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=line_end).writerows(
        csv.reader(io.StringIO(text))
    )
    return out.getvalue()


def wide(long_text: str, header: str = "choice_{}") -> str:
    """The choices of a long choices.csv as a wide list, one row per applicant."""
    lists: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(long_text)):
        lists.setdefault(row["applicant_id"], []).append(row["program_id"])
    width = max(len(programs) for programs in lists.values())
    lines = [",".join(["applicant_id", *(header.format(n) for n in range(1, width + 1))])]
    for applicant, programs in lists.items():
        lines.append(",".join([applicant, *programs, *[""] * (width - len(programs))]))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ the office's own columns

OFFICE_COLUMNS = (
    "case_worker",
    "notes",
    "phone",
    "email",
    "date_submitted",
    "school_name_2",
    "Timestamp",
    "Parent Email",
    "status",
    "program_name",
    "comments",
)


@pytest.mark.parametrize("column", OFFICE_COLUMNS)
@pytest.mark.parametrize(
    ("name", "columns", "header"),
    [
        ("applicants.csv", APPLICANT_COLUMNS, ",".join(APPLICANT_COLUMNS[0])),
        ("programs.csv", PROGRAM_COLUMNS, ",".join(PROGRAM_COLUMNS[0])),
        ("choices.csv", CHOICE_COLUMNS, ",".join(CHOICE_COLUMNS[0])),
    ],
    ids=["applicants", "programs", "choices"],
)
def test_an_office_column_is_ignored_with_one_warning(column, name, columns, header):
    # Only the required columns: the office column is compared with every optional one.
    text = f"{header},{column}\n" + ",".join(["x"] * (header.count(",") + 2)) + "\n"
    table, log = read(text, columns, name)
    assert problems(log) == []
    assert log.warnings == [f"{name}:1: {column}: {IGNORED}"]
    assert list(table.frame.columns) == list(columns[0] + columns[1])


NEAR_MISSES = {
    # file, header cell -> the problem (the column it looks like is missing)
    "sibling_school_id": (
        "applicants.csv",
        'applicants.csv:1: sibling_school_id: unknown column "sibling_school_id" '
        f'(did you mean "sibling_school_ids"? expected: {APPLICANTS_EXPECTED})',
    ),
    "Sibling School ID": (
        "applicants.csv",
        'applicants.csv:1: sibling school id: unknown column "Sibling School ID" '
        f'(did you mean "sibling_school_ids"? expected: {APPLICANTS_EXPECTED})',
    ),
    "SiblingSchoolIDs": (
        "applicants.csv",
        'applicants.csv:1: siblingschoolids: unknown column "SiblingSchoolIDs" '
        f'(did you mean "sibling_school_ids"? expected: {APPLICANTS_EXPECTED})',
    ),
    "siblings": (
        "applicants.csv",
        'applicants.csv:1: siblings: unknown column "siblings" '
        f'(did you mean "sibling_school_ids"? expected: {APPLICANTS_EXPECTED})',
    ),
    "current_school": (
        "applicants.csv",
        'applicants.csv:1: current_school: unknown column "current_school" '
        f'(did you mean "current_school_id"? expected: {APPLICANTS_EXPECTED})',
    ),
    "staff_school": (
        "applicants.csv",
        'applicants.csv:1: staff_school: unknown column "staff_school" '
        f'(did you mean "staff_school_id"? expected: {APPLICANTS_EXPECTED})',
    ),
    "home_language": (  # the language of the letters, which would silently be English
        "applicants.csv",
        'applicants.csv:1: home_language: unknown column "home_language" '
        f'(did you mean "language"? expected: {APPLICANTS_EXPECTED})',
    ),
    "zone": (
        "programs.csv",
        f'programs.csv:1: zone: unknown column "zone" (did you mean "zones"? '
        f"expected: {PROGRAMS_EXPECTED})",
    ),
    "zones_served": (
        "programs.csv",
        'programs.csv:1: zones_served: unknown column "zones_served" (did you mean '
        f'"zones"? expected: {PROGRAMS_EXPECTED})',
    ),
    "requires_tag": (
        "programs.csv",
        'programs.csv:1: requires_tag: unknown column "requires_tag" (did you mean '
        f'"requires_tags"? expected: {PROGRAMS_EXPECTED})',
    ),
}


@pytest.mark.parametrize("column", NEAR_MISSES)
def test_a_column_that_looks_like_ours_stays_an_error(column):
    name, problem = NEAR_MISSES[column]
    columns = APPLICANT_COLUMNS if name == "applicants.csv" else PROGRAM_COLUMNS
    header = ",".join(columns[0])
    text = f"{header},{column}\n" + ",".join(["x"] * (header.count(",") + 2)) + "\n"
    table, log = read(text, columns, name)
    assert problems(log) == [problem]
    assert log.warnings == []


def test_a_misspelt_column_of_ours_is_an_error_in_every_file():
    cases = [
        ("lottery.csv", LOTTERY_COLUMNS, "applicant_id,lotery_number", "lottery_number"),
        ("changes.csv", CHANGES_COLUMNS, "event,applicant_id,program_id,notes", "note"),
        ("choices.csv", CHOICE_COLUMNS, "applicant_id,ranking,program_id", "rank"),
        ("choices.csv", CHOICE_COLUMNS, "applicant_id,rank,ProgramID", "program_id"),
    ]
    for name, columns, header, meant in cases:
        _table, log = read(header + "\n", columns, name)
        assert any(f'did you mean "{meant}"?' in line for line in problems(log)), name


def test_a_similar_column_beside_ours_is_the_offices_own():
    # school_name_2 is close to school_name, but school_name is there: nothing is lost.
    header = ",".join(PROGRAM_COLUMNS[0])
    _table, log = read(f"{header},school_name_2,zones,zone_notes\n", PROGRAM_COLUMNS, "p.csv")
    assert problems(log) == []
    assert log.warnings == [f"p.csv:1: school_name_2: {IGNORED}", f"p.csv:1: zone_notes: {IGNORED}"]


def test_an_ignored_column_is_refused_by_a_strict_check(invoke, city):
    city.write("applicants", with_columns(city.read("applicants"), case_worker="Ms Diaz"))
    result = invoke("validate", city.path, "--strict")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "applicants.csv:1: case_worker: not a column the lottery reads; delete it "
        "(this check refuses extra columns)",
        "Found 1 problem in the input files; nothing was written.",
    ]
    city.write("policy", '[checks]\nunknown_columns = "error"\n')
    assert invoke("validate", city.path).exit_code == 2


def test_office_columns_change_no_result(invoke, make_city, tmp_path):
    clean = make_city("clean")
    messy = make_city(
        "messy",
        applicants=with_columns(clean.read("applicants"), case_worker="Ms Diaz", Timestamp="x"),
        programs=with_columns(clean.read("programs"), phone="555-0100", school_name_2="Elm"),
        choices=with_columns(clean.read("choices"), date_submitted="2026-01-12"),
    )
    expected = results(invoke, clean.path, tmp_path / "clean-out")
    assert results(invoke, messy.path, tmp_path / "messy-out") == expected
    manifest = json.loads((tmp_path / "messy-out" / "manifest.json").read_text())
    assert [w for w in manifest["warnings"] if "lottery reads" in w] == [
        f"programs.csv:1: phone: {IGNORED}",
        f"programs.csv:1: school_name_2: {IGNORED}",
        f"applicants.csv:1: case_worker: {IGNORED}",
        f"applicants.csv:1: Timestamp: {IGNORED}",
        f"choices.csv:1: date_submitted: {IGNORED}",
    ]


def test_cells_of_an_ignored_column_are_not_checked():
    text = 'applicant_id,rank,program_id,notes\nA1,1,ELM-K,"call back\x00\nlater"\n'
    table, log = read(text)
    assert problems(log) == []
    assert table.frame.to_dict("list") == {
        "applicant_id": ["A1"],
        "rank": ["1"],
        "program_id": ["ELM-K"],
    }
    assert IGNORED_COLUMNS not in log.strict


# ------------------------------------------------------------------ semicolons and tabs


@pytest.mark.parametrize(
    ("delimiter", "line_end"),
    [(";", "\n"), (";", "\r\n"), ("\t", "\n"), ("\t", "\r\n")],
    ids=["semicolon", "semicolon-crlf", "tab", "tab-crlf"],
)
def test_semicolon_and_tab_files_give_the_same_results(
    invoke, make_city, tmp_path, delimiter, line_end
):
    clean = make_city("clean")
    saved = {
        name: b"\xef\xbb\xbf" + resave(clean.read(name), delimiter, line_end).encode()
        for name in ("programs", "applicants", "choices")
    }
    messy = make_city("messy", **saved)
    expected = results(invoke, clean.path, tmp_path / "clean-out")
    assert results(invoke, messy.path, tmp_path / "messy-out") == expected
    manifest = json.loads((tmp_path / "messy-out" / "manifest.json").read_text())
    said = SEMICOLONS if delimiter == ";" else "read as separated by tabs"
    assert manifest["warnings"][:3] == [
        f"programs.csv: {said}",
        f"applicants.csv: {said}",
        f"choices.csv: {said}",
    ]


def test_both_parsers_read_a_semicolon_file_alike():
    plain = "applicant_id;rank;program_id\nA1;1;ELM-K\nA1;2;OAK-K\n"  # pandas' fast parser
    quoted = 'applicant_id;rank;program_id\n"A1";1;ELM-K\nA1;2;"OAK-K"\n'  # the csv module
    for text in (plain, quoted):
        table, log = read(text)
        assert problems(log) == []
        assert log.warnings == [f"choices.csv: {SEMICOLONS}"]
        assert table.frame.to_dict("list") == {
            "applicant_id": ["A1", "A1"],
            "rank": ["1", "2"],
            "program_id": ["ELM-K", "OAK-K"],
        }
        assert table.lines.tolist() == [2, 3]


def test_lists_in_a_semicolon_file_are_quoted_cells():
    header = "applicant_id;first_name;last_name;grade;guardian_name;sibling_school_ids"
    text = f'{header}\nA1;Ana;Lopez;K;Maria;"ELM;OAK"\nA2;Ben;Smith;K;Carol;ELM;OAK\n'
    table, log = read(text, APPLICANT_COLUMNS, "applicants.csv")
    assert problems(log) == [
        "applicants.csv:3: this row has 7 cells but the header has 6 columns "
        "(a stray semicolon, or a cell that needs quotes?)"
    ]
    _table, log = read(text.rsplit("A2", 1)[0], APPLICANT_COLUMNS, "applicants.csv")
    assert problems(log) == []


def test_a_comma_file_with_lists_inside_cells_reads_as_today():
    text = 'program_id,zones,notes;misc\nELM-K,"N;E",\n'  # a header with ;
    table, log = read(text, (("program_id",), ("zones",)), "programs.csv")
    assert log.warnings == [f"programs.csv:1: notes;misc: {IGNORED}"]
    assert table.column("zones").tolist() == ["N;E"]
    header = "applicant_id,first_name,last_name,grade,guardian_name,sibling_school_ids"
    text = f"{header}\nA1,Ana,Lopez,K,Maria,ELM;OAK\nA2,Ben,Smith,K,Carol;Dan,\n"
    table, log = read(text, APPLICANT_COLUMNS, "applicants.csv")
    assert problems(log) == [] and log.warnings == []
    assert table.column("sibling_school_ids").tolist() == ["ELM;OAK", ""]
    assert table.column("guardian_name").tolist() == ["Maria", "Carol;Dan"]


def test_a_semicolon_header_holding_a_comma_is_still_semicolons():
    text = "applicant_id;rank;program_id;Name, first\nA1;1;ELM-K;Ana\n"
    table, log = read(text)
    assert log.warnings == [f"choices.csv: {SEMICOLONS}", f"choices.csv:1: Name, first: {IGNORED}"]
    assert table.column("program_id").tolist() == ["ELM-K"]


def test_problems_in_a_semicolon_file_keep_their_lines_and_columns(invoke, city):
    choices = resave(CHOICES, ";").replace("A4;1;OAK-K", "A4;1;NOPE").replace("A8;1", "A8;x")
    city.write("choices", choices)
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        'choices.csv:8: program_id: unknown program "NOPE"',
        'choices.csv:15: rank: "x" is not a rank (1 = most preferred)',
        "Found 2 problems in the input files; nothing was written.",
    ]


# ------------------------------------------------------------------ wide lists of choices


@pytest.mark.parametrize("header", ["choice_{}", "Choice {}", "choice{}", "CHOICE-{}"])
def test_a_wide_list_gives_the_results_of_the_long_list(invoke, make_city, tmp_path, header):
    long = make_city("long")
    wide_city = make_city("wide", choices=wide(CHOICES, header))
    expected = results(invoke, long.path, tmp_path / "long-out")
    assert results(invoke, wide_city.path, tmp_path / "wide-out") == expected
    manifest = json.loads((tmp_path / "wide-out" / "manifest.json").read_text())
    first, last = header.format(1), header.format(2)
    assert manifest["warnings"][0] == (
        f"choices.csv: read as a wide list of choices, one row per applicant: {first} is rank "
        f"1, and so on up to {last} (see the choices.csv section of docs/file-formats.md)"
    )


def test_a_wide_list_reads_as_the_long_rows():
    text = (
        "Timestamp,applicant_id,choice_2,choice_1,choice_3\n"
        "9:00,A1,OAK-K,ELM-K,\n"
        "9:05,A2,,,\n"
        "9:10,A3,RIV-1,ELM-1,OAK-K\n"
    )
    table, log = read(text)
    assert problems(log) == []
    assert table.frame.to_dict("list") == {
        "applicant_id": ["A1", "A1", "A3", "A3", "A3"],
        "rank": ["1", "2", "1", "2", "3"],
        "program_id": ["ELM-K", "OAK-K", "ELM-1", "RIV-1", "OAK-K"],
    }
    assert table.lines.tolist() == [2, 2, 4, 4, 4]


WIDE = (
    "applicant_id,choice_1,choice_2,choice_3\n"
    "A1,ELM-K,OAK-K,\n"  # line 2
    "A2,ELM-K,OAK-K,\n"
    "A3,OAK-K,ELM-K,\n"
    "A4,OAK-K,,\n"  # line 5
    "A5,RIV-1,ELM-1,\n"
    "A6,ELM-1,RIV-1,\n"
    "A7,ELM-1,RIV-1,\n"
    "A8,RIV-1,,\n"  # line 9
)


WIDE_PROBLEMS = {
    "unknown program in choice_3": (
        ("A6,ELM-1,RIV-1,", "A6,ELM-1,RIV-1,NOPE"),
        ['choices.csv:7: choice_3: unknown program "NOPE"'],
    ),
    "blank between two choices": (
        ("A5,RIV-1,ELM-1,", "A5,,RIV-1,ELM-1"),
        [
            "choices.csv:6: choice_1: this choice is blank but choice_2 after it is not; "
            "choices must run 1, 2, 3, ... without gaps"
        ],
    ),
    "a program twice": (
        ("A7,ELM-1,RIV-1,", "A7,ELM-1,RIV-1,ELM-1"),
        ['choices.csv:8: choice_3: applicant "A7" ranks program "ELM-1" twice'],
    ),
    "a program of another grade": (
        ("A4,OAK-K,,", "A4,OAK-K,RIV-1,"),
        [
            'choices.csv:5: choice_2: program "RIV-1" is for grade 1 but applicant "A4" '
            "applies for grade K"
        ],
    ),
    "blank applicant: one problem for the line": (
        ("A8,RIV-1,,", ",RIV-1,ELM-1,OAK-K"),
        ["choices.csv:9: applicant_id: this cell must not be blank"],
    ),
    "unknown applicant: one problem for the line": (
        ("A8,RIV-1,,", "A88,RIV-1,ELM-1,"),
        ['choices.csv:9: applicant_id: unknown applicant "A88"'],
    ),
    "a control character": (
        ("A8,RIV-1,,", "A8,RIV-1\x1b,,"),
        [
            "choices.csv:9: choice_1: contains a control character (\\x1b), which cannot be "
            "printed; delete it (it often comes with text copied from another program)",
            'choices.csv:9: choice_1: unknown program "RIV-1\\x1b"',
        ],
    ),
}


@pytest.mark.parametrize("case", WIDE_PROBLEMS)
def test_problems_in_a_wide_list_name_the_line_and_choice_column(invoke, city, case):
    (old, new), expected = WIDE_PROBLEMS[case]
    assert WIDE.count(old) == 1
    city.write("choices", WIDE.replace(old, new))
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    # What matters here is the place; a suggestion after a message is another test's.
    lines = [line.split(" (did you mean")[0] for line in result.stderr.splitlines()[:-1]]
    assert lines == expected


def test_the_choice_columns_must_run_without_gaps():
    _table, log = read("applicant_id,choice_1,choice_3,Choice 1\nA1,ELM-K,OAK-K,RIV-1\n")
    assert problems(log) == [
        "choices.csv:1: Choice 1: this column appears twice in the header row",
        "choices.csv:1: choice_2: this column is missing from the header row: the choice "
        "columns must be numbered 1, 2, 3, ... without gaps",
    ]


def test_choice_columns_beside_rank_and_program_id_are_ignored():
    table, log = read("applicant_id,rank,program_id,choice_1\nA1,1,ELM-K,OAK-K\n")
    assert problems(log) == []
    assert log.warnings == [f"choices.csv:1: choice_1: {IGNORED}"]
    assert table.column("program_id").tolist() == ["ELM-K"]


def test_a_rounds_new_lists_may_be_wide(city, tmp_path):
    chain = Chain(tmp_path, city)
    wide_lists = "applicant_id,Choice 1,Choice 2\nA2,OAK-K,\nA6,RIV-1,ELM-1\n"
    out = chain.round("update_choices,A2,,,", "update_choices,A6,,,", choices=wide_lists)
    lists = [
        (r["applicant_id"], r["rank"], r["program_id"])
        for r in rows(out / "round-inputs" / "choices.csv")
        if r["applicant_id"] in ("A2", "A6")
    ]
    assert lists == [("A2", "1", "OAK-K"), ("A6", "1", "RIV-1"), ("A6", "2", "ELM-1")]
    problem = chain.problems("update_choices,A6,,,", choices="applicant_id,choice_1\nA6,NOPE\n")
    assert problem == ['choices.csv:2: choice_1: unknown program "NOPE"']


# ------------------------------------------------------------------ header names


def test_headers_written_as_people_write_them_are_ours():
    text = "Applicant ID,  Rank ,program-ID\nA1,1,ELM-K\n"
    table, log = read(text)
    assert problems(log) == []
    assert log.warnings == [
        'choices.csv: column names read as ours: "Applicant ID" is applicant_id, '
        '"program-ID" is program_id'
    ]
    assert table.frame.to_dict("list") == {
        "applicant_id": ["A1"],
        "rank": ["1"],
        "program_id": ["ELM-K"],
    }


def test_case_and_surrounding_spaces_are_read_silently_as_before():
    table, log = read("APPLICANT_ID, program_id ,Rank\nA1,ELM-K,1\n")
    assert problems(log) == [] and log.warnings == []
    assert table.column("program_id").tolist() == ["ELM-K"]


def test_a_header_name_written_twice_in_two_ways_is_an_error():
    _table, log = read("applicant_id,Applicant ID,rank,program_id\n")
    assert problems(log) == [
        "choices.csv:1: applicant_id: this column appears twice in the header row"
    ]


def test_renamed_headers_give_the_same_results(invoke, make_city, tmp_path):
    clean = make_city("clean")
    header, rest = clean.read("applicants").split("\n", 1)
    spoken = header.replace("applicant_id", "Applicant ID").replace(
        "sibling_school_ids", "Sibling School IDs"
    )
    messy = make_city("messy", applicants=spoken + "\n" + rest)
    assert results(invoke, messy.path, tmp_path / "m") == results(
        invoke, clean.path, tmp_path / "c"
    )
