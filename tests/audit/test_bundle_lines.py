"""An audit bundle reproduces when applicants.csv has cells on several lines.

Warnings name the line of the row they are about (``applicants.csv:13: zone: ...``) and
manifest.json keeps them, so the redacted copy must keep every row on its line: a
redacted cell keeps its line breaks (``"-\\n"``), in the free-text columns the engine reads
and in the office's own columns it ignores. The bundle finds the separator and the
column names as the engine does (``lottery.io.csv_tables``), so a semicolon file with
an ``Applicant ID`` header is redacted and audited too.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from support.small_city import APPLICANTS, write_city

from lottery.audit.bundle import redact_applicants, write_audit_bundle
from lottery.audit.rerun import audit_results
from lottery.engine import run_lottery
from lottery.io.csv_tables import ProblemLog, column_key, detect_delimiter, read_table
from lottery.io.inputs import APPLICANT_COLUMNS
from lottery.rounds import run_round

SEED = "2026-spring"


def _with_case_worker(text: str, delimiter: str = ",") -> str:
    """The default applicants.csv with a case_worker column, cells on several lines (A1's
    address, A2's and A5's notes) and a zone typo on A8's row."""
    rows = list(csv.reader(io.StringIO(text.replace("A8,Hui,Chen,1,S,", "A8,Hui,Chen,1,s,"))))
    rows[0].append("case_worker")
    for row in rows[1:]:
        row.append("")
    rows[1][rows[0].index("address")] = "12 Elm St\nApt 4"
    rows[2][-1] = "Ms Jones:\r\ncustody note"
    rows[5][-1] = "call back\n\nafter 5pm"
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _unpacked(out_dir: Path, input_dir: Path, work: Path) -> Path:
    write_audit_bundle(out_dir, input_dir, work / "b.zip")
    with zipfile.ZipFile(work / "b.zip") as archive:
        archive.extractall(work / "b")
    return work / "b"


def _warnings(folder: Path) -> list[str]:
    return json.loads((folder / "manifest.json").read_text())["warnings"]


def test_redacted_cells_keep_their_line_breaks():
    original = (
        b'applicant_id,first_name,grade,case_worker\r\nA1,"Ana\r\nMaria",K,"a\nb\rc"\r\n'
        b"A2,Ben,K,\r\n"
    )
    data, rows, columns = redact_applicants(original)
    assert data == b'applicant_id,first_name,grade,case_worker\nA1,"-\n",K,"-\n\n"\nA2,-,K,\n'
    assert (rows, columns) == (2, ("first_name", "case_worker"))


def test_a_run_bundle_with_cells_on_several_lines_reproduces(tmp_path):
    city = write_city(tmp_path / "city", applicants=_with_case_worker(APPLICANTS))
    run_lottery(city.path, tmp_path / "out", SEED)
    # A8 is on line 9 of the default file; cells on several lines move it to line 13.
    assert any(w.startswith("applicants.csv:13: zone:") for w in _warnings(tmp_path / "out"))
    unpacked = _unpacked(tmp_path / "out", city.path, tmp_path)
    redacted = (unpacked / "inputs/applicants.csv").read_text()
    assert "Elm St" not in redacted and "Jones" not in redacted and "5pm" not in redacted
    assert redacted.count("\n") == city.read("applicants").count("\n")
    summary = audit_results(unpacked)
    assert summary.reproduced, "\n".join(summary.lines())


def test_a_round_bundle_with_cells_on_several_lines_reproduces(tmp_path):
    city = write_city(tmp_path / "city", applicants=_with_case_worker(APPLICANTS))
    run_lottery(city.path, tmp_path / "round-1", SEED)
    changes = tmp_path / "changes"
    changes.mkdir()
    (changes / "changes.csv").write_text(
        "event,applicant_id,program_id,value,note\nnew_applicant,A9,,,\nnew_applicant,A10,,,\n"
    )
    (changes / "applicants.csv").write_text(
        "applicant_id,first_name,last_name,grade,guardian_name,zone,address,case_worker\n"
        'A9,Late,Kid,K,Pat Kid,N,"1 Main St\nBack door","moved in\nlast week"\n'
        "A10,Later,Kid,1,Sam Kid,s,,\n"
    )
    (changes / "choices.csv").write_text("applicant_id,rank,program_id\nA9,1,OAK-K\nA10,1,RIV-1\n")
    run_round(tmp_path / "round-1", changes, tmp_path / "round-2", inputs_dir=city.path)
    assert any("applicants.csv:5: zone:" in w for w in _warnings(tmp_path / "round-2"))
    unpacked = _unpacked(tmp_path / "round-2", city.path, tmp_path)
    late = (unpacked / "rounds/round-2/changes/applicants.csv").read_text()
    assert "Main St" not in late and "last week" not in late
    assert "Elm St" not in (unpacked / "rounds/round-2/round-inputs/applicants.csv").read_text()
    summary = audit_results(unpacked)
    assert summary.reproduced, "\n".join(summary.lines())


def test_a_semicolon_file_with_written_column_names_bundles_and_audits(tmp_path):
    text = _with_case_worker(APPLICANTS, delimiter=";").replace(
        "applicant_id;first_name", "Applicant ID;First Name", 1
    )
    city = write_city(tmp_path / "city", applicants=text)
    run_lottery(city.path, tmp_path / "out", SEED)
    unpacked = _unpacked(tmp_path / "out", city.path, tmp_path)
    redacted = (unpacked / "inputs/applicants.csv").read_text()
    assert redacted.startswith("Applicant ID;First Name;last_name;grade;")
    assert "\nA2;-;-;K;S;;;;;-;-;" in redacted
    record = json.loads((unpacked / "bundle.json").read_text())
    redacted_columns = record["redacted"]["applicants.csv"]["columns"]
    assert redacted_columns == [
        "First Name",
        "last_name",
        "guardian_name",
        "address",
        "case_worker",
    ]
    summary = audit_results(unpacked)
    assert summary.reproduced, "\n".join(summary.lines())


def test_the_bundle_finds_separators_and_columns_as_the_engine_does():
    columns = APPLICANT_COLUMNS[0] + APPLICANT_COLUMNS[1]
    assert column_key(" \ufeffApplicant ID ") == "applicant_id"
    assert column_key("Guardian-Name") == "guardian_name"
    assert detect_delimiter("applicant_id;first_name;address, city", columns) == ";"
    assert detect_delimiter("applicant_id,note;1", columns) == ","
    assert detect_delimiter("Applicant ID\tGrade", columns) == "\t"


def test_a_tab_separated_file_strips_padding_only_where_there_is_some():
    log = ProblemLog()
    plain = read_table(b"a\tb\nx\ty\n", ("a", "b"), (), log, name="t.csv")
    padded = read_table(b'a\tb\n" x\t"\t y\n', ("a", "b"), (), log, name="t.csv")
    assert not log.problems
    assert plain.frame.to_dict("list") == {"a": ["x"], "b": ["y"]}
    assert padded.frame.to_dict("list") == {"a": ["x"], "b": ["y"]}
