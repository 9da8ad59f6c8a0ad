"""Files as Excel and Google Sheets save them give exactly the results of clean files.

Each test writes the default city twice (``conftest.py``): once clean, once the way a
spreadsheet might save it, runs the lottery on both with the same seed and compares
the output files byte for byte. Only the input hashes in the manifest may differ.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support.small_city import City

SEED = "2026-spring"
CSV_FILES = ("programs.csv", "applicants.csv", "choices.csv")
RESULT_FILES = ("placements.csv", "waitlists.csv", "programs_summary.csv")


def run_city(invoke, city: City, out: Path) -> dict[str, object]:
    """Run the lottery; return the result files' bytes and the manifest minus input hashes."""
    result = invoke("run", city.path, "--seed", SEED, "--out", out)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del manifest["inputs"]
    return {**{name: (out / name).read_bytes() for name in RESULT_FILES}, "manifest": manifest}


def assert_same_results(invoke, clean: City, messy: City) -> None:
    expected = run_city(invoke, clean, clean.path.parent / f"{clean.path.name}-out")
    actual = run_city(invoke, messy, messy.path.parent / f"{messy.path.name}-out")
    for name in expected:
        assert actual[name] == expected[name], name


def rewrite(text: str, cell: Callable[[str], str] = str, quoting=csv.QUOTE_MINIMAL) -> str:
    """Parse a CSV text and write it again, passing every cell (header too) through ``cell``."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting, lineterminator="\n")
    for row in csv.reader(io.StringIO(text)):
        writer.writerow([cell(value) for value in row])
    return out.getvalue()


def map_column(text: str, column: str, change: Callable[[str], str]) -> str:
    """Rewrite one column's cells (not its header) with ``change``."""
    rows = list(csv.reader(io.StringIO(text)))
    position = rows[0].index(column)
    for row in rows[1:]:
        row[position] = change(row[position])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def padded(text: str) -> str:
    """Spaces around every cell and header name (never outside quotes)."""
    return rewrite(text, lambda value: f"  {value} ")


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def header_case(change: Callable[[str], str]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        header, rest = text.split("\n", 1)
        return change(header) + "\n" + rest

    return apply


def reversed_columns(text: str) -> str:
    return "".join(",".join(reversed(line.split(","))) + "\n" for line in text.splitlines())


def comma_row(text: str) -> str:
    """A last row of only commas, as spreadsheets write a row that once held data."""
    return text + "," * text.split("\n", 1)[0].count(",") + "\n"


def excel_export(text: str) -> bytes:
    """Everything at once: BOM, quoted and padded cells, CRLF, comma row, blank lines."""
    body = crlf(comma_row(rewrite(text, lambda v: f" {v} ", quoting=csv.QUOTE_ALL)))
    return b"\xef\xbb\xbf" + (body + "\r\n\r\n").encode("utf-8")


SAVED_AS = {
    "utf-8-bom": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    "crlf-line-endings": crlf,
    "trailing-blank-lines": lambda text: text + "\n\n\n",
    "trailing-blank-lines-crlf": lambda text: crlf(text + "\n\n"),
    "no-final-newline": lambda text: text.rstrip("\n"),
    "spaces-around-cells-and-headers": padded,
    "every-cell-quoted": lambda text: rewrite(text, quoting=csv.QUOTE_ALL),
    "upper-case-headers": header_case(str.upper),
    "title-case-headers": header_case(str.title),
    "columns-in-reverse-order": reversed_columns,
    "trailing-row-of-commas": comma_row,
    "trailing-row-of-commas-crlf": lambda text: crlf(comma_row(text)),
    "blank-line-in-the-middle": lambda text: text.replace("\n", "\n\n", 2),
    "excel-export": excel_export,
}


@pytest.mark.parametrize("save", SAVED_AS.values(), ids=SAVED_AS.keys())
def test_spreadsheet_saved_files_give_identical_results(invoke, make_city, save):
    clean = make_city("clean")
    messy = make_city("messy", **{name: save(clean.read(name)) for name in CSV_FILES})
    assert_same_results(invoke, clean, messy)


def test_quoted_addresses_with_commas_and_line_breaks_are_read(invoke, make_city):
    clean = make_city("clean")
    messy = make_city("messy")
    messy.edit("applicants", "12 Elm St", '"12 Elm St, Apt 2"')
    messy.edit("applicants", "3 River Rd", '"3 River Rd\nUnit 5, rear entrance"')
    messy.edit("applicants", "Dan Jones,", '"Jones, Dan",')
    assert_same_results(invoke, clean, messy)
    result = invoke("validate", messy.path)
    assert result.exit_code == 0, result.stderr
    assert "  applicants:  8" in result.stdout.splitlines()


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_problems_after_a_multi_line_cell_point_at_the_right_file_line(
    invoke, city, tmp_path, newline
):
    # A2's address spans file lines 3-4, so A6 (row 7 of data) is on file line 8 and A7
    # on line 9. Excel writes CRLF between rows and a bare LF inside a cell.
    city.edit("applicants", "3 River Rd", '"3 River Rd\nUnit 5"')
    city.edit("applicants", "A6,Fox,Green", "A6,,Green")
    city.edit(
        "applicants",
        "A7,Gia,White,1,E,,RIV;ELM,,,Hal White,",
        "A7,Gia,White,1,E,,RIV;ELM,,,Hal White,,extra",
    )
    text = city.read("applicants").replace("\n", newline).replace(f"Rd{newline}Unit", "Rd\nUnit")
    city.write("applicants", text)
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "applicants.csv:9: this row has 12 cells but the header has 11 columns "
        "(a stray comma, or a cell that needs quotes?)",
        "Found 1 problem in the input files; nothing was written.",
    ]
    city.edit("applicants", ",,extra", ",")
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "applicants.csv:8: first_name: this cell must not be blank",
        "Found 1 problem in the input files; nothing was written.",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city"]


def test_problems_after_a_blank_line_point_at_the_right_file_line(invoke, city):
    city.write("choices", city.read("choices").replace("A2,1,ELM-K\n", "A2,1,ELM-K\n\n"))
    city.edit("choices", "A4,1,OAK-K", "A4,1,OAK-1")
    result = invoke("validate", city.path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        'choices.csv:9: program_id: unknown program "OAK-1" (did you mean "OAK-K"?)',
        "Found 1 problem in the input files; nothing was written.",
    ]


def test_optional_columns_may_be_left_out(invoke, make_city):
    # staff_school_id (unused by the default policy), language and address never change
    # a placement, so leaving them out gives the same results.
    clean = make_city("clean")
    lean = make_city("lean")
    for column in ("staff_school_id", "language", "address"):
        lean.drop_column("applicants", column)
    assert lean.read("applicants").startswith(
        "applicant_id,first_name,last_name,grade,zone,current_school_id,sibling_school_ids,"
        "guardian_name\n"
    )
    assert_same_results(invoke, clean, lean)


def test_absent_optional_columns_mean_the_same_as_blank_cells(invoke, make_city):
    optional = {
        "programs": ("zones",),
        "applicants": (
            "zone",
            "current_school_id",
            "sibling_school_ids",
            "staff_school_id",
            "language",
            "address",
        ),
    }
    blank = make_city("blank")
    absent = make_city("absent")
    for name, columns in optional.items():
        for column in columns:
            blank.write(name, map_column(blank.read(name), column, lambda _: ""))
            absent.drop_column(name, column)
    assert_same_results(invoke, blank, absent)
    placements = csv.DictReader(
        io.StringIO(
            (blank.path.parent / "blank-out" / "placements.csv").read_text(encoding="utf-8")
        )
    )
    assert {row["priority"] for row in placements} == {"general", ""}


def test_columns_in_any_order_give_identical_results(invoke, make_city):
    clean = make_city("clean")
    shuffled = make_city("shuffled")
    shuffled.select_columns("choices", "program_id", "applicant_id", "rank")
    shuffled.select_columns(
        "programs", "seats", "zones", "grade", "program_id", "sector", "school_name", "school_id"
    )
    shuffled.select_columns(
        "applicants",
        "address",
        "guardian_name",
        "last_name",
        "first_name",
        "applicant_id",
        "sibling_school_ids",
        "language",
        "grade",
        "zone",
        "staff_school_id",
        "current_school_id",
    )
    assert_same_results(invoke, clean, shuffled)


PK_PROGRAM = "ELM-PK,ELM,Elm Elementary,district,PK,1,N;E"
PK_APPLICANT = "A9,Ivo,Ruiz,PK,N,,ELM,,,Ana Ruiz,"


def test_grades_may_be_written_in_lower_case_or_with_leading_zeros(invoke, make_city):
    clean = make_city("clean")
    clean.append("programs", PK_PROGRAM).append("applicants", PK_APPLICANT)
    clean.append("choices", "A9,1,ELM-PK")
    spellings = {"K": "k", "PK": " pk ", "1": "01"}
    messy = make_city("messy")
    messy.append("programs", PK_PROGRAM).append("applicants", PK_APPLICANT)
    messy.append("choices", "A9,1,ELM-PK")
    for name in ("programs", "applicants"):
        messy.write(name, map_column(messy.read(name), "grade", spellings.__getitem__))
    assert ",k," in messy.read("programs") and ",01," in messy.read("applicants")
    assert_same_results(invoke, clean, messy)
    summary = (messy.path.parent / "messy-out" / "programs_summary.csv").read_text()
    assert ",PK," in summary and ",K," in summary and ",1," in summary
