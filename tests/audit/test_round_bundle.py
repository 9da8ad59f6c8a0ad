"""``lottery audit-bundle`` of a later round carries the whole chain, and ``lottery audit``
on the unpacked bundle reruns every round and reproduces it (issue 14).

The chain is the default city's: round 2 with a decline, round 3 with a late applicant
(whose row in changes/applicants.csv holds a name and an address to redact).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from support.random_rounds import run_rounds
from support.small_city import write_city

from lottery.audit.bundle import redact_applicants, write_audit_bundle
from lottery.audit.rerun import audit_results
from lottery.engine import run_lottery
from lottery.errors import UsageError

SEED = "2026-spring"
HEADER = "event,applicant_id,program_id,value,note\n"
CHANGES = (
    {"changes.csv": HEADER + "decline,A4,OAK-K,,moving away\n"},
    {
        "changes.csv": HEADER + "new_applicant,A9,,,\n",
        "applicants.csv": "applicant_id,first_name,last_name,grade,guardian_name,zone,address\n"
        "A9,Late,Kid,K,Pat Kid,N,1 Main St\n",
        "choices.csv": "applicant_id,rank,program_id\nA9,1,OAK-K\nA9,2,ELM-K\n",
    },
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("chain")
    city = write_city(base / "city")
    run_lottery(city.path, base / "round-1", SEED)
    run_rounds(base, city.path, CHANGES)
    return base


@pytest.fixture(scope="module")
def unpacked(built, tmp_path_factory) -> Path:
    """The bundle of round 3, unpacked."""
    work = tmp_path_factory.mktemp("bundle")
    write_audit_bundle(built / "round-3", built / "city", work / "b.zip")
    with zipfile.ZipFile(work / "b.zip") as archive:
        archive.extractall(work / "b")
    return work / "b"


def test_the_bundle_carries_every_round(unpacked):
    rounds = sorted(p.name for p in (unpacked / "rounds").iterdir())
    assert rounds == ["round-1", "round-2", "round-3"]
    assert (unpacked / "rounds/round-3/changes/changes.csv").is_file()
    record = json.loads((unpacked / "bundle.json").read_text())
    assert [r["folder"] for r in record["rounds"]] == [f"rounds/round-{n}" for n in (1, 2, 3)]
    assert set(record["rounds"][2]["redacted"]) == {
        "round-inputs/applicants.csv",
        "changes/applicants.csv",
    }
    late = (unpacked / "rounds/round-3/changes/applicants.csv").read_text()
    assert "Late" not in late and "Main St" not in late and "A9,-,-,K,-,N,-" in late
    assert "Late" not in (unpacked / "rounds/round-3/round-inputs/applicants.csv").read_text()


def test_audit_of_the_unpacked_bundle_reproduces_every_round(unpacked):
    summary = audit_results(unpacked)
    assert summary.reproduced, "\n".join(summary.lines())
    assert [r.number for r in summary.rounds] == [1, 2, 3]
    assert audit_results(unpacked / "rounds" / "round-2").reproduced


def test_audit_of_the_bundle_finds_an_edited_round(unpacked, tmp_path):
    copy = Path(shutil.copytree(unpacked, tmp_path / "b"))
    placements = copy / "rounds/round-2/placements.csv"
    placements.write_text(placements.read_text().replace("A3,", "A3 ,", 1))
    summary = audit_results(copy)
    assert not summary.reproduced
    assert {(f.round, f.file) for f in summary.findings} >= {(2, "placements.csv")}


def test_a_round_bundle_needs_round_one_inputs(built, tmp_path):
    for given in (None, built / "round-3" / "round-inputs"):
        with pytest.raises(UsageError, match="input folder of round 1"):
            write_audit_bundle(built / "round-3", given, tmp_path / "b.zip")


def test_a_round_bundle_needs_the_whole_chain(built, tmp_path):
    alone = Path(shutil.copytree(built / "round-3", tmp_path / "alone" / "round-3"))
    with pytest.raises(UsageError, match="chain of rounds is not complete"):
        write_audit_bundle(alone, built / "city", tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()


def test_columns_the_engine_does_not_read_are_redacted():
    original = b"applicant_id,grade,case_worker,Guardian Name\nA1,K,Ms Jones: custody note,Pat\n"
    data, rows, columns = redact_applicants(original)
    assert data == b"applicant_id,grade,case_worker,Guardian Name\nA1,K,-,-\n"
    assert (rows, columns) == (1, ("case_worker", "Guardian Name"))


def test_a_semicolon_file_is_redacted_as_it_is_separated():
    data, _, _ = redact_applicants(b"applicant_id;first_name;grade\nA1;Ana;K\n")
    assert data == b"applicant_id;first_name;grade\nA1;-;K\n"


def test_wrong_input_folder_is_named_once(built, tmp_path):
    other = write_city(tmp_path / "other", programs=None)
    (other.path / "choices.csv").write_text("applicant_id,rank,program_id\nA1,1,ELM-K\n")
    (other.path / "applicants.csv").write_text(
        "applicant_id,first_name,last_name,grade,guardian_name\nZ1,A,B,K,C\n"
    )
    summary = audit_results(built / "round-1", other.path)
    assert [f.kind for f in summary.findings] == ["inputs-not-this-run"]
    assert "is not the input folder of this run" in summary.findings[0].message
    assert summary.rerun.startswith("not rerun")


def test_one_edited_input_file_keeps_its_own_finding(built, tmp_path):
    edited = Path(shutil.copytree(built / "city", tmp_path / "edited"))
    (edited / "choices.csv").write_text((edited / "choices.csv").read_text() + "\n")
    summary = audit_results(built / "round-1", edited)
    assert ("choices.csv", "input-changed") in {(f.file, f.kind) for f in summary.findings}
