"""Golden files: the exact bytes of every output of a set of lotteries, recorded once.

An auditor who reruns a 2026 lottery with a later version of lottery must get the same
files. These cases hold the engine to that across rewrites (issue 15: faster reading,
writing and matching): the example city and a 10,000-applicant synthetic city, with the
seat policy and without, single and multiple tie-break, and a round 2. Every file of
every results folder (CSV files, manifest.json, a round's ``round-inputs/`` and
``changes/``) must have the SHA-256 recorded in ``golden.json``; the one difference
allowed is the version of lottery in manifest.json.

The inputs are checked first: a synthetic city comes from ``lottery synth``, so a change
to the generator changes the inputs, and the outputs cannot be compared. Recording again
is a deliberate act, for a documented reason only::

    LOTTERY_GOLDEN=record python -m pytest tests/golden

and the commit says why the bytes changed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from lottery import __version__
from lottery.engine import run_lottery
from lottery.io.inputs import INPUT_FILES
from lottery.rounds import run_round
from lottery.synth import generate_city

GOLDEN = Path(__file__).with_name("golden.json")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city"
RECORD = os.environ.get("LOTTERY_GOLDEN") == "record"
VERSION_LINE = f'"version": "{__version__}"'.encode()


def example_city(folder: Path) -> None:
    shutil.copytree(EXAMPLE, folder)


def synthetic_city(seat_policy: bool) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        generate_city(
            folder, applicants=10_000, schools=40, seed=1 if seat_policy else 2,
            seat_policy=seat_policy,
        )  # fmt: skip
        if seat_policy:  # every tier, families (sibling_offered) and tags included
            shutil.copy(EXAMPLE / "policy.toml", folder / "policy.toml")

    return write


def multiple_tiebreak(write: Callable[[Path], None]) -> Callable[[Path], None]:
    def write_multiple(folder: Path) -> None:
        write(folder)
        policy = folder / "policy.toml"
        text = policy.read_text(encoding="utf-8") if policy.is_file() else ""
        if 'tiebreak = "single"' in text:
            text = text.replace('tiebreak = "single"', 'tiebreak = "multiple"')
        else:
            text += '\n[lottery]\ntiebreak = "multiple"\n'
        policy.write_text(text, encoding="utf-8")

    return write_multiple


CASES = {
    "example": (example_city, "2026-spring"),
    "example-mtb": (multiple_tiebreak(example_city), "2026-spring"),
    "synth-10k": (synthetic_city(seat_policy=True), "golden-1"),
    "synth-10k-mtb": (multiple_tiebreak(synthetic_city(seat_policy=True)), "golden-1"),
    "synth-10k-plain": (synthetic_city(seat_policy=False), "golden-2"),
    "synth-10k-plain-mtb": (multiple_tiebreak(synthetic_city(seat_policy=False)), "golden-2"),
}
ROUNDS = ("example", "synth-10k")
"""Cases that also run a round 2: declines, withdrawals, a late list change and a seat
change, drawn from round 1's placements in applicant order."""


def round_2_changes(round_1: Path, folder: Path) -> Path:
    with (round_1 / "placements.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    placed = [row for row in rows if row["status"] == "placed"]
    unplaced = [row for row in rows if row["status"] == "unplaced"]
    events = [f"decline,{row['applicant_id']},{row['program_id']},," for row in placed[:15]]
    events += [f"accept,{row['applicant_id']},{row['program_id']},," for row in placed[15:20]]
    events += [f"withdraw,{row['applicant_id']},,," for row in unplaced[:3]]
    events.append(f"seat_change,,{placed[-1]['program_id']},{_seats(round_1, placed[-1]) + 2},")
    folder.mkdir(parents=True)
    (folder / "changes.csv").write_text(
        "event,applicant_id,program_id,value,note\n" + "".join(e + "\n" for e in events),
        encoding="utf-8",
    )
    return folder


def _seats(round_1: Path, row: dict[str, str]) -> int:
    with (round_1 / "programs_summary.csv").open(encoding="utf-8", newline="") as handle:
        for program in csv.DictReader(handle):
            if program["program_id"] == row["program_id"]:
                return int(program["seats"])
    raise AssertionError(f"no program {row['program_id']}")


def hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (the version of lottery in manifest.json
    replaced by VERSION)."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name == "manifest.json":
            assert data.count(VERSION_LINE) == 1, f"{path}: no version line to set aside"
            data = data.replace(VERSION_LINE, b'"version": "VERSION"')
        out[path.relative_to(folder).as_posix()] = hashlib.sha256(data).hexdigest()
    return out


def run_case(name: str, work: Path) -> dict[str, dict[str, str]]:
    write, seed = CASES[name]
    inputs = work / "inputs"
    write(inputs)
    run_lottery(inputs, work / "round-1", seed)
    manifest = json.loads((work / "round-1" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["lottery"]["tiebreak"] == ("multiple" if name.endswith("-mtb") else "single")
    given = {file: sha for file, sha in hashes(inputs).items() if file in INPUT_FILES}
    found = {"inputs": given, "round-1": hashes(work / "round-1")}
    if name in ROUNDS:
        changes = round_2_changes(work / "round-1", work / "changes")
        run_round(work / "round-1", changes, work / "round-2", inputs_dir=inputs)
        found["round-2"] = hashes(work / "round-2")
    return found


@pytest.fixture(scope="module")
def recorded() -> dict:
    if RECORD:
        return {}
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def recording():
    found: dict = {}
    yield found
    if RECORD and found:
        data = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.is_file() else {}
        data.update(found)
        text = json.dumps(dict(sorted(data.items())), indent=1, sort_keys=True) + "\n"
        GOLDEN.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_are_byte_for_byte_the_recorded_ones(name, recorded, recording, tmp_path):
    found = run_case(name, tmp_path)
    if RECORD:
        recording[name] = found
        return
    assert name in recorded, f"no golden files for {name}: record them (see the docstring)"
    golden = recorded[name]
    assert found["inputs"] == golden["inputs"], (
        f"{name}: the input files are not those the golden files were recorded from "
        "(did the synthetic city generator change?); the outputs cannot be compared"
    )
    for folder in sorted(set(golden) - {"inputs"}):
        changed = sorted(
            file
            for file in set(golden[folder]) | set(found[folder])
            if golden[folder].get(file) != found[folder].get(file)
        )
        assert not changed, (
            f"{name}/{folder}: these files are not byte for byte the recorded ones: "
            f"{', '.join(changed)}"
        )
