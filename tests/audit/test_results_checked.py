"""Letters, report and round refuse results that ``lottery verify`` does not certify.

Checksums catch a file changed by accident; they do not catch a placements.csv edited
by hand with its checksum in manifest.json updated to match. Such results must never
reach families, so every command that works from a finished results folder runs the
independent checker first (or takes a passing verification.json for the same manifest).
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from lottery.audit.verify import certificate as verify
from lottery.audit.verify import require_verified

SEED = "2026-spring"


def edit_placements_and_update_the_checksum(results: Path) -> None:
    """Move one placed applicant to another program, as a hand edit would."""
    path = results / "placements.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    status, program = header.index("status"), header.index("program_id")
    placed = [row for row in rows[1:] if row[status] == "placed"]
    other = next(row[program] for row in placed if row[program] != placed[0][program])
    placed[0][program] = other
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    manifest = json.loads((results / "manifest.json").read_text(encoding="utf-8"))
    manifest["outputs"]["placements.csv"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (results / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))


@pytest.fixture
def results(invoke, city, tmp_path) -> Path:
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", SEED, "--out", out).exit_code == 0
    return out


def round_args(city, results, tmp_path) -> list[object]:
    changes = tmp_path / "changes"
    changes.mkdir()
    (changes / "changes.csv").write_text("event,applicant_id,program_id,value,note\n")
    return ["round", results, "--inputs", city.path, "--changes", changes, "--out", "r2"]


@pytest.mark.parametrize("command", ["letters", "report", "round"])
def test_hand_edited_results_are_refused(invoke, city, results, tmp_path, command):
    edit_placements_and_update_the_checksum(results)
    before = sorted(p.name for p in results.iterdir())
    if command == "round":
        args = round_args(city, results, tmp_path)
    else:
        args = [command, results, "--inputs", city.path]
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert "do not pass `lottery verify` (" in result.stderr
    assert f"so `lottery {command}` will not use them:" in result.stderr
    assert any(line.startswith("  [") for line in lines)
    assert lines[-1].startswith("Run the lottery again into a new folder, or run `lottery verify")
    assert sorted(p.name for p in results.iterdir()) == before


def test_a_passing_certificate_for_the_same_manifest_is_taken_as_it_is(
    invoke, city, results, monkeypatch
):
    assert invoke("verify", results, "--inputs", city.path).exit_code == 0
    checked = []
    monkeypatch.setattr(verify, "verify_outputs", lambda *args: checked.append(args))
    require_verified(results, city.path, "lottery report")
    assert checked == []


def test_checks_that_pass_leave_their_certificate_for_the_next_command(invoke, city, results):
    assert invoke("report", results, "--inputs", city.path).exit_code == 0
    record = json.loads((results / "verification.json").read_text(encoding="utf-8"))
    assert record["passed"] is True
    verified = invoke("verify", results, "--inputs", city.path)
    assert (results / "verification.json").read_text(encoding="utf-8") == json.dumps(
        record, indent=2, sort_keys=True, ensure_ascii=False
    ) + "\n"
    assert verified.exit_code == 0


def test_a_certificate_for_another_manifest_is_not_trusted(invoke, city, results):
    assert invoke("verify", results, "--inputs", city.path).exit_code == 0
    edit_placements_and_update_the_checksum(results)
    result = invoke("report", results, "--inputs", city.path)
    assert result.exit_code == 2
    assert "do not pass `lottery verify`" in result.stderr


def test_the_certificate_records_the_manifest_it_checked(invoke, city, results):
    assert invoke("verify", results, "--inputs", city.path).exit_code == 0
    record = json.loads((results / "verification.json").read_text(encoding="utf-8"))
    manifest = (results / "manifest.json").read_bytes()
    assert record["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
