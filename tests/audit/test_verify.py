"""``lottery.audit.verify``: the independent checker passes every engine output and catches
every tampering.

The engine's results are checked on the bundled example city and on random cities
(single and multiple tie-break, several policies, ``priorities.csv`` and ``lottery.csv``),
and on the seat-policy example of docs/outputs.md and random cities with reserves,
guarantees, required tags, held seats, the zone guarantee and linked families.
The mutation tests then change one thing in a results or input folder, as a careless
clerk or a forger might, and assert that ``verify`` names the rule that catches it.
Output files are re-hashed into ``manifest.json`` after a mutation (a forger would do
that), so that the checksum alone does not catch it; one test shows that it would.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import seat_policy_city
from support.strategies import ZONES, cities, write_city

from lottery.audit.rerun import audit_results
from lottery.audit.verify import (
    RULES,
    VERIFICATION_FILE,
    certificate_lines,
    verify_outputs,
    write_verification,
)
from lottery.engine import run_lottery

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city"
SEED = "2026-spring"
FEW = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class Run:
    """A results folder and its input folder, with helpers to tamper with them."""

    def __init__(self, out: Path, inputs: Path):
        self.out, self.inputs = out, inputs

    def rows(self, name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO((self.out / name).read_text(encoding="utf-8"))))

    def write_rows(self, name: str, rows: list[dict[str, str]], rehash: bool = True) -> None:
        """Rewrite an output CSV; with ``rehash`` also record its new SHA-256 in the manifest."""
        header = next(csv.reader(io.StringIO((self.out / name).read_text(encoding="utf-8"))))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        data = text.getvalue().encode("utf-8")
        (self.out / name).write_bytes(data)
        if rehash:
            manifest = self.manifest()
            manifest["outputs"][name] = hashlib.sha256(data).hexdigest()
            self.write_manifest(manifest)

    def manifest(self) -> dict:
        return json.loads((self.out / "manifest.json").read_text(encoding="utf-8"))

    def write_manifest(self, manifest: dict) -> None:
        text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        (self.out / "manifest.json").write_text(text, encoding="utf-8")

    def placements(self) -> dict[str, dict[str, str]]:
        return {row["applicant_id"]: row for row in self.rows("placements.csv")}

    def ranked(self) -> dict[str, list[str]]:
        """applicant -> programs, best first, from the input folder's choices.csv."""
        text = (self.inputs / "choices.csv").read_text(encoding="utf-8")
        out: dict[str, list[tuple[int, str]]] = {}
        for row in csv.DictReader(io.StringIO(text)):
            out.setdefault(row["applicant_id"], []).append((int(row["rank"]), row["program_id"]))
        return {a: [p for _, p in sorted(pairs)] for a, pairs in out.items()}

    def edit_placement(self, applicant_id: str, **cells: str) -> None:
        rows = self.rows("placements.csv")
        for row in rows:
            if row["applicant_id"] == applicant_id:
                row.update(cells)
        self.write_rows("placements.csv", rows)

    def verify(self):
        return verify_outputs(self.out, self.inputs)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> Run:
    base = tmp_path_factory.mktemp("example")
    run_lottery(EXAMPLE, base / "out", SEED)
    return Run(base / "out", EXAMPLE)


@pytest.fixture
def run(example_run: Run, tmp_path: Path) -> Run:
    """A private copy of the example city's results and inputs, free to tamper with."""
    shutil.copytree(example_run.out, tmp_path / "out")
    shutil.copytree(example_run.inputs, tmp_path / "in")
    return Run(tmp_path / "out", tmp_path / "in")


def rules(report) -> set[str]:
    return {violation.rule for violation in report.violations}


# ----------------------------------------------------------------------------- passing


def input_rows(run: Run, name: str) -> int:
    """How many data rows an input file has."""
    text = (run.inputs / name).read_text(encoding="utf-8")
    return len(list(csv.DictReader(io.StringIO(text))))


def test_engine_results_for_the_example_city_pass(example_run: Run):
    report = example_run.verify()
    assert report.passed, certificate_lines(report)
    manifest = example_run.manifest()
    assert report.checks["applicants"] == input_rows(example_run, "applicants.csv")
    # every output (reserve_report.csv included) and every input file
    assert report.checks["files_hashed"] == len(manifest["outputs"]) + len(manifest["inputs"])
    waitlist_rows = len(example_run.rows("waitlists.csv"))
    assert report.checks["preferred_pairs"] == report.checks["waitlist_rows"] == waitlist_rows
    assert report.checks["choice_rows"] == input_rows(example_run, "choices.csv")


def test_certificate_names_every_check(example_run: Run):
    lines = certificate_lines(example_run.verify())
    assert lines[0] == "Verification passed."
    text = "\n".join(lines)
    assert f"All {input_rows(example_run, 'applicants.csv')} applicants were checked" in text
    assert 'recomputed from the seed "2026-spring" (single tie-break)' in text
    assert "No applicant lost a seat to someone with lower priority" in text
    assert "No seat was wasted" in text
    choices = input_rows(example_run, "choices.csv")
    assert f"Every ranked choice in choice_results.csv ({choices} rows)" in text


def test_verification_json_is_stable_and_ignored_by_verify(run: Run):
    report = run.verify()
    write_verification(report, run.out / VERIFICATION_FILE)
    first = (run.out / VERIFICATION_FILE).read_bytes()
    again = run.verify()
    assert again.passed  # verification.json is not in the manifest and is not an error
    write_verification(again, run.out / VERIFICATION_FILE)
    assert (run.out / VERIFICATION_FILE).read_bytes() == first
    data = json.loads(first)
    assert data["passed"] is True and data["violations"] == []
    assert list(data) == sorted(data)
    assert str(run.out) not in first.decode("utf-8")


POLICIES = st.sampled_from(
    [
        None,
        '[lottery]\ntiebreak = "multiple"\n',
        '[priority]\norder = ["staff", "sibling", "zone"]\n[lottery]\ntiebreak = "multiple"\n',
        '[priority]\norder = ["zone+sibling", "continuing"]\n',
        "[priority]\norder = []\n",
    ]
)


@st.composite
def input_folders(draw):
    """A random city with a random policy, sometimes priorities.csv and lottery.csv."""
    city = draw(cities())
    extra: dict[str, str] = {}
    policy = draw(POLICIES)
    if policy is not None:
        extra["policy.toml"] = policy
    pairs = [(row["applicant_id"], row["program_id"]) for row in city.choices]
    if pairs and draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=6))
        lines = [f"{a},{p},{draw(st.integers(1, 6))}" for a, p in chosen]
        extra["priorities.csv"] = "applicant_id,program_id,priority\n" + "".join(
            line + "\n" for line in lines
        )
    lottery = draw(st.sampled_from([None, "single", "per-program"]))
    numbers = st.one_of(st.integers(0, 3), st.integers(0, 2**64 - 1))  # ties happen
    ids = [row["applicant_id"] for row in city.applicants]
    if lottery == "single":
        lines = [f"{a},{draw(numbers)}" for a in ids]
        extra["lottery.csv"] = "applicant_id,lottery_number\n" + "".join(x + "\n" for x in lines)
    elif lottery == "per-program":
        lines = []
        with_fallback = set(draw(st.lists(st.sampled_from(ids), unique=True)))
        for a in sorted(with_fallback):
            lines.append(f"{a},,{draw(numbers)}")
        for a, p in pairs:
            if a not in with_fallback or draw(st.booleans()):
                lines.append(f"{a},{p},{draw(numbers)}")
        if not any(",," not in line for line in lines):  # no per-program row: then one each
            lines = [f"{a},,{draw(numbers)}" for a in ids]
        extra["lottery.csv"] = "applicant_id,program_id,lottery_number\n" + "".join(
            x + "\n" for x in lines
        )
    return city, extra


def write_inputs(folder: Path, city, extra: dict[str, str]) -> Path:
    write_city(city, folder)
    for name, text in extra.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@FEW
@given(drawn=input_folders(), seed=st.text("abc-|é ", min_size=1, max_size=8))
def test_engine_results_pass_verify_and_audit_for_random_cities(tmp_path_factory, drawn, seed):
    city, extra = drawn
    base = tmp_path_factory.mktemp("random")
    inputs = write_inputs(base / "in", city, extra)
    external = "lottery.csv" in extra
    run_lottery(inputs, base / "out", None if external else seed.strip() or "s")
    report = verify_outputs(base / "out", inputs)
    assert report.passed, certificate_lines(report)
    audit = audit_results(base / "out", inputs)
    assert audit.reproduced, audit.lines()


@FEW
@given(city=cities(), data=st.data())
def test_moving_any_one_applicant_is_caught(tmp_path_factory, city, data):
    """A stable matching changed for one applicant wastes a seat or overfills a program."""
    base = tmp_path_factory.mktemp("move")
    inputs = write_city(city, base / "in")
    run_lottery(inputs, base / "out", SEED)
    results = Run(base / "out", inputs)
    ranked = results.ranked()
    placements = results.placements()
    movable = sorted(a for a in ranked if ranked[a])
    assume(movable)
    applicant = data.draw(st.sampled_from(movable))
    current = placements[applicant]["program_id"]
    options = [p for p in ranked[applicant] if p != current] + ([""] if current else [])
    assume(options)
    target = data.draw(st.sampled_from(options))
    if target:
        cells = {
            "status": "placed",
            "program_id": target,
            "school_id": target.split("-")[0],
            "choice_rank": str(ranked[applicant].index(target) + 1),
        }
    else:
        cells = {"status": "unplaced", "program_id": "", "school_id": "", "choice_rank": ""}
    results.edit_placement(applicant, **cells)
    assert rules(results.verify()) & {"capacity", "waste"}


# ----------------------------------------------------------------------------- mutations


def test_changed_output_without_new_checksum_breaks_manifest_hash(run: Run):
    rows = run.rows("placements.csv")
    rows[0]["grade"] = "12"
    run.write_rows("placements.csv", rows, rehash=False)
    report = run.verify()
    assert "manifest-hash" in rules(report)
    assert any("placements.csv in the results folder" in v.message for v in report.violations)


def test_moving_an_applicant_to_a_program_they_did_not_rank_is_caught(run: Run):
    placements, ranked = run.placements(), run.ranked()
    grade_of = {r["program_id"]: r["grade"] for r in run.rows("programs_summary.csv")}
    applicant, other = next(
        (a, p)
        for a, row in placements.items()
        if row["status"] == "placed"
        for p, grade in sorted(grade_of.items())
        if grade == row["grade"] and p not in ranked[a]
    )
    run.edit_placement(applicant, program_id=other, school_id=other.split("-")[0])
    report = run.verify()
    assert "unranked-placement" in rules(report)
    assert any(
        v.rule == "unranked-placement" and v.applicant_id == applicant and v.program_id == other
        for v in report.violations
    )


def test_moving_an_applicant_down_their_list_wastes_a_seat(run: Run):
    placements, ranked = run.placements(), run.ranked()
    applicant, got = next(
        (a, row["program_id"])
        for a, row in placements.items()
        if row["status"] == "placed" and ranked[a][-1] != row["program_id"]
    )
    lower = ranked[applicant][ranked[applicant].index(got) + 1]
    run.edit_placement(
        applicant,
        program_id=lower,
        school_id=lower.split("-")[0],
        choice_rank=str(ranked[applicant].index(lower) + 1),
    )
    report = run.verify()
    assert any(
        v.rule == "waste" and v.applicant_id == applicant and v.program_id == got
        for v in report.violations
    )


def test_swapping_two_applicants_gives_justified_envy(run: Run):
    """b waits for X while a holds it; both rank X above Y. After the swap a holds Y and
    X holds b, whom X orders below a (that is why b was turned away)."""
    placements, ranked = run.placements(), run.ranked()
    a = b = x = y = None
    for row in run.rows("waitlists.csv"):
        b, x = row["applicant_id"], row["program_id"]
        y = placements[b]["program_id"]
        if not y:
            continue
        a = next(
            (
                other
                for other, p in placements.items()
                if p["program_id"] == x and y in ranked[other][ranked[other].index(x) + 1 :]
            ),
            None,
        )
        if a:
            break
    assert a, "the example city has no such pair"
    rows = run.rows("placements.csv")
    for row in rows:
        if row["applicant_id"] in (a, b):
            new = y if row["applicant_id"] == a else x
            applicant = row["applicant_id"]
            row.update(
                program_id=new,
                school_id=new.split("-")[0],
                choice_rank=str(ranked[applicant].index(new) + 1),
            )
    run.write_rows("placements.csv", rows)
    report = run.verify()
    envy = [v for v in report.violations if v.rule == "justified-envy" and v.applicant_id == a]
    at_x = next(v for v in envy if v.program_id == x)
    assert at_x.other_applicant_id == b
    assert at_x.key < at_x.other_key
    assert at_x.to_dict()["other_key"]["applicant_id"] == b


def test_adding_a_seat_in_the_summary_is_caught(run: Run):
    rows = run.rows("programs_summary.csv")
    rows[1]["seats"] = str(int(rows[1]["seats"]) + 1)
    rows[1]["open_seats"] = str(int(rows[1]["open_seats"]) + 1)
    run.write_rows("programs_summary.csv", rows)
    report = run.verify()
    assert rules(report) == {"summary-counts"}
    assert {v.program_id for v in report.violations} == {rows[1]["program_id"]}


def test_adding_a_seat_in_the_input_is_caught(run: Run):
    text = (run.inputs / "programs.csv").read_text(encoding="utf-8")
    summary = run.rows("programs_summary.csv")[1]
    line = next(x for x in text.splitlines() if x.startswith(summary["program_id"] + ","))
    cells = line.split(",")
    cells[5] = str(int(cells[5]) + 1)
    (run.inputs / "programs.csv").write_text(text.replace(line, ",".join(cells)), "utf-8")
    report = run.verify()
    assert {"manifest-hash", "summary-counts"} <= rules(report)


def test_dropping_a_waitlist_row_is_caught(run: Run):
    rows = run.rows("waitlists.csv")
    dropped = rows.pop(0)
    run.write_rows("waitlists.csv", rows)
    report = run.verify()
    assert any(
        v.rule == "waitlist-complete"
        and (v.applicant_id, v.program_id) == (dropped["applicant_id"], dropped["program_id"])
        for v in report.violations
    )


def test_swapping_two_waitlist_rows_is_caught(run: Run):
    rows = run.rows("waitlists.csv")
    i = next(k for k in range(len(rows) - 1) if rows[k]["program_id"] == rows[k + 1]["program_id"])
    rows[i]["position"], rows[i + 1]["position"] = rows[i + 1]["position"], rows[i]["position"]
    rows[i], rows[i + 1] = rows[i + 1], rows[i]
    run.write_rows("waitlists.csv", rows)
    report = run.verify()
    assert rules(report) == {"waitlist-order"}
    order = next(v for v in report.violations if v.key is not None)
    assert order.applicant_id == rows[i + 1]["applicant_id"]
    assert order.other_applicant_id == rows[i]["applicant_id"]


def test_changing_one_lottery_number_is_caught(run: Run):
    rows = run.rows("placements.csv")
    rows[5]["lottery_number"] = str(int(rows[5]["lottery_number"]) + 1)
    run.write_rows("placements.csv", rows)
    report = run.verify()
    assert [(v.rule, v.applicant_id) for v in report.violations] == [
        ("lottery-number", rows[5]["applicant_id"])
    ]


def test_changing_the_seed_in_the_manifest_is_caught(run: Run):
    manifest = run.manifest()
    manifest["seed"] = "2026-spring2"
    run.write_manifest(manifest)
    report = run.verify()
    assert "lottery-number" in rules(report)
    assert report.checks["lottery_numbers"] > 0


def test_changing_one_byte_of_an_input_file_is_caught(run: Run):
    path = run.inputs / "applicants.csv"
    data = bytearray(path.read_bytes())
    data[data.index(b"\n") + 20] ^= 0x01  # a letter of the first applicant's name
    path.write_bytes(bytes(data))
    report = run.verify()
    assert rules(report) == {"manifest-hash"}
    assert "applicants.csv" in report.violations[0].message


def test_an_input_file_added_after_the_run_is_caught(run: Run):
    (run.inputs / "priorities.csv").write_text("applicant_id,program_id,priority\n", "utf-8")
    assert "manifest-hash" in rules(run.verify())


def test_unplacing_a_placed_applicant_wastes_a_seat(run: Run):
    applicant, row = next((a, r) for a, r in run.placements().items() if r["status"] == "placed")
    run.edit_placement(
        applicant, status="unplaced", program_id="", school_id="", choice_rank="", priority=""
    )
    report = run.verify()
    assert any(
        v.rule == "waste" and v.applicant_id == applicant and v.program_id == row["program_id"]
        for v in report.violations
    )


def test_placing_an_applicant_over_capacity_is_caught(run: Run):
    ranked, summary = run.ranked(), {r["program_id"]: r for r in run.rows("programs_summary.csv")}
    applicant, program = next(
        (a, p)
        for a, r in run.placements().items()
        if r["status"] == "unplaced"
        for p in ranked.get(a, [])
        if summary[p]["open_seats"] == "0" and summary[p]["seats"] != "0"
    )
    run.edit_placement(
        applicant,
        status="placed",
        program_id=program,
        school_id=program.split("-")[0],
        choice_rank=str(ranked[applicant].index(program) + 1),
    )
    report = run.verify()
    assert any(v.rule == "capacity" and v.program_id == program for v in report.violations)


def test_deleting_a_placement_row_is_caught(run: Run):
    rows = run.rows("placements.csv")
    gone = rows.pop(3)
    run.write_rows("placements.csv", rows)
    report = run.verify()
    assert ("each-applicant-once", gone["applicant_id"]) in {
        (v.rule, v.applicant_id) for v in report.violations
    }


def test_a_wrong_priority_label_is_caught(run: Run):
    applicant = next(a for a, r in run.placements().items() if r["priority"] == "general")
    run.edit_placement(applicant, priority="sibling")
    report = run.verify()
    assert [(v.rule, v.applicant_id) for v in report.violations] == [("priority-label", applicant)]


def test_a_wrong_cutoff_is_caught(run: Run):
    rows = run.rows("programs_summary.csv")
    row = next(r for r in rows if r["cutoff_lottery_rank"])
    row["cutoff_lottery_rank"] = str(int(row["cutoff_lottery_rank"]) + 1)
    run.write_rows("programs_summary.csv", rows)
    report = run.verify()
    assert [(v.rule, v.program_id) for v in report.violations] == [("cutoff", row["program_id"])]


def choice_rows(run: Run, applicant: str) -> list[dict[str, str]]:
    return [r for r in run.rows("choice_results.csv") if r["applicant_id"] == applicant]


def test_a_choice_result_that_disagrees_with_the_placement_is_caught(run: Run):
    """A waitlisted choice relabelled placed: the applicant is placed elsewhere."""
    rows = run.rows("choice_results.csv")
    row = next(r for r in rows if r["result"] == "waitlisted")
    row.update(result="placed", waitlist_position="")
    run.write_rows("choice_results.csv", rows)
    report = run.verify()
    assert [(v.rule, v.applicant_id, v.program_id) for v in report.violations] == [
        ("choice-results", row["applicant_id"], row["program_id"])
    ] * 2
    assert [v.message.split(" for rank")[0] for v in report.violations] == [
        "choice_results.csv shows result 'placed'",
        "choice_results.csv shows waitlist_position ''",
    ]


def test_a_wrong_waitlist_position_in_choice_results_is_caught(run: Run):
    rows = run.rows("choice_results.csv")
    row = next(r for r in rows if r["waitlist_position"] == "2")
    row["waitlist_position"] = "1"
    run.write_rows("choice_results.csv", rows)
    report = run.verify()
    assert [v.render() for v in report.violations] == [
        f"[choice-results] applicant {row['applicant_id']}, program {row['program_id']}: "
        f"choice_results.csv shows waitlist_position '1' for rank {row['rank']}; expected '2'"
    ]


def test_a_wrong_cutoff_or_priority_in_choice_results_is_caught(run: Run):
    rows = run.rows("choice_results.csv")
    with_cutoff = next(r for r in rows if r["cutoff_lottery_rank"])
    with_cutoff["cutoff_lottery_rank"] = str(int(with_cutoff["cutoff_lottery_rank"]) + 1)
    general = next(r for r in rows if r["priority"] == "general" and r is not with_cutoff)
    general["priority"] = "sibling"
    run.write_rows("choice_results.csv", rows)
    report = run.verify()
    assert {(v.rule, v.applicant_id, v.message.split(" ")[2]) for v in report.violations} == {
        ("choice-results", with_cutoff["applicant_id"], "cutoff_lottery_rank"),
        ("choice-results", general["applicant_id"], "priority"),
    }


def test_a_dropped_or_reordered_choice_result_row_is_caught(run: Run):
    rows = run.rows("choice_results.csv")
    dropped = rows.pop(0)
    rows[0], rows[1] = rows[1], rows[0]
    run.write_rows("choice_results.csv", rows)
    report = run.verify()
    assert rules(report) == {"choice-results", "row-order"}
    assert any(
        v.rule == "choice-results"
        and v.message == f"choice_results.csv has no row for rank {dropped['rank']}"
        and v.applicant_id == dropped["applicant_id"]
        for v in report.violations
    )


def test_moving_an_applicant_makes_choice_results_disagree(run: Run):
    """Placements tampered with, choice_results.csv left alone: the two disagree."""
    applicant, row = next((a, r) for a, r in run.placements().items() if r["status"] == "placed")
    run.edit_placement(
        applicant, status="unplaced", program_id="", school_id="", choice_rank="", priority=""
    )
    report = run.verify()
    assert any(
        v.rule == "choice-results"
        and (v.applicant_id, v.program_id) == (applicant, row["program_id"])
        and "result 'placed'" in v.message
        for v in report.violations
    )


def test_a_missing_output_file_is_reported_not_raised(run: Run):
    (run.out / "waitlists.csv").unlink()
    report = run.verify()
    assert {"output-file", "manifest-hash"} <= rules(report)


def test_unreadable_inputs_are_reported_not_raised(run: Run):
    (run.inputs / "programs.csv").write_text("program_id\n", "utf-8")
    report = run.verify()
    assert "input-file" in rules(report)


def test_failed_certificate_lists_every_violation(run: Run):
    rows = run.rows("waitlists.csv")
    rows.pop(0)
    run.write_rows("waitlists.csv", rows)
    report = run.verify()
    lines = certificate_lines(report)
    assert lines[0] == f"Verification FAILED: {len(report.violations)} violations found."
    assert lines[1:] == [v.render() for v in report.violations]
    assert all(v.rule in RULES for v in report.violations)


def test_an_unpacked_audit_bundle_verifies_like_the_results(run: Run, tmp_path: Path):
    """Names removed from applicants.csv: checked against bundle.json's checksums."""
    bundle = tmp_path / "bundle"
    shutil.copytree(run.out, bundle / "outputs")
    shutil.copytree(run.inputs, bundle / "inputs")
    applicants = bundle / "inputs" / "applicants.csv"
    rows = list(csv.DictReader(io.StringIO(applicants.read_text(encoding="utf-8"))))
    for row in rows:
        row.update(first_name="-", last_name="-", guardian_name="-", address="")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    applicants.write_text(text.getvalue(), encoding="utf-8")
    record = {
        "redacted": {
            "applicants.csv": {
                "original_sha256": run.manifest()["inputs"]["applicants.csv"],
                "sha256": hashlib.sha256(applicants.read_bytes()).hexdigest(),
            }
        }
    }
    (bundle / "bundle.json").write_text(json.dumps(record), encoding="utf-8")
    report = verify_outputs(bundle / "outputs", bundle / "inputs")
    assert report.passed, certificate_lines(report)
    assert report.to_dict() == run.verify().to_dict()

    applicants.write_bytes(applicants.read_bytes().replace(b"-", b"+", 1))
    assert rules(verify_outputs(bundle / "outputs", bundle / "inputs")) == {"manifest-hash"}


# ----------------------------------------------------------------------------- seat policy

TAGS = ("frl", "iep")
CATEGORIES = ("tag:frl", "zone", "sibling", "proximity:1", "sibling_offered", "continuing")
TIERS = ("continuing", "sibling_offered", "tag:iep", "sibling", "zone", "proximity:1")


def csv_text(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    columns = columns or list(dict.fromkeys(c for row in rows for c in row))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


@st.composite
def seat_policy_folders(draw) -> dict[str, str]:
    """A random small city using the seat policy (docs/seat-policy.md): held seats, offer
    targets, required tags, tags, coordinates, guarantees, reserves (seats or shares),
    zone guarantees, linked families, tag/proximity/sibling_offered tiers, either
    precedence and either way of filling unused reserved seats, sometimes a multiple
    tie-break or lottery.csv. Returns file name -> text."""
    city = draw(cities(max_schools=4, max_applicants=18))
    coordinate = st.one_of(st.just(None), st.integers(-20, 20))

    def place(row: dict[str, str]) -> None:
        dy, dx = draw(coordinate), draw(coordinate)
        if dy is None or dx is None:
            row.update(latitude="", longitude="")
        else:
            row.update(latitude=f"{40 + dy / 1000:.3f}", longitude=f"{-75 + dx / 1000:.3f}")

    programs, capacity = [], {}
    for original in city.programs:
        row, seats = dict(original), int(original["seats"])
        held = draw(st.integers(0, seats))
        target = seats + draw(st.integers(0, 2))
        row["held_seats"] = str(held) if held or draw(st.booleans()) else ""
        row["offer_target"] = str(target) if target > seats or draw(st.booleans()) else ""
        row["requires_tags"] = draw(st.sampled_from(["", "", "", "iep"]))
        zones = draw(st.lists(st.sampled_from(ZONES), max_size=2, unique=True))
        row["administrative_zones"] = ";".join(zones)
        place(row)
        capacity[row["program_id"]] = target - held
        programs.append(row)
    by_id = {row["program_id"]: row for row in programs}
    applicants, guaranteed = [], Counter()
    ranked = Counter(row["program_id"] for row in city.choices)
    for original in city.applicants:
        row = dict(original)
        tags = draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))
        row["tags"] = ";".join(tags)
        row["family_id"] = draw(st.sampled_from(["", "", "F1", "F2", "F3"]))
        row["link_family"] = draw(st.sampled_from(["", "", "", "false"]))
        row["accepts_administrative"] = draw(st.sampled_from(["", "", "false"]))
        place(row)
        options = [
            pid
            for pid, program in sorted(by_id.items())
            if program["grade"] == row["grade"]
            and set(program["requires_tags"].split(";")) - {""} <= set(tags)
            and guaranteed[pid] < capacity[pid]
        ]
        row["guaranteed_program_id"] = ""
        if options and draw(st.integers(0, 4)) == 0:
            pid = draw(st.sampled_from(options))
            row["guaranteed_program_id"] = pid
            guaranteed[pid] += 1
        applicants.append(row)
    files = {
        "programs.csv": csv_text(programs),
        "applicants.csv": csv_text(applicants),
        "choices.csv": csv_text(list(city.choices), ["applicant_id", "rank", "program_id"]),
    }
    reserves = []
    for pid in sorted(by_id):
        if not ranked[pid] or draw(st.integers(0, 2)) == 0:
            continue
        left = capacity[pid]
        for category in draw(st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True)):
            if draw(st.booleans()):
                seats = draw(st.integers(0, left))
                reserves.append({"program_id": pid, "category": category, "seats": str(seats)})
            else:
                share = draw(st.sampled_from(["0", "0.25", "0.5", "0.34", "1"]))
                seats = int(Decimal(share) * capacity[pid])
                if seats > left:
                    continue
                reserves.append({"program_id": pid, "category": category, "share": share})
            left -= seats
    if reserves:
        files["reserves.csv"] = csv_text(reserves, ["program_id", "category", "seats", "share"])
    order = draw(st.lists(st.sampled_from(TIERS), max_size=4, unique=True))
    tiebreak = draw(st.sampled_from(["single", "single", "multiple"]))
    policy = (
        f"[priority]\norder = {json.dumps(order)}\n"
        f'[lottery]\ntiebreak = "{tiebreak}"\n'
        f'[reserves]\nprecedence = "{draw(st.sampled_from(["reserved_first", "open_first"]))}"\n'
        f'unfilled = "{draw(st.sampled_from(["open", "empty"]))}"\n'
        f"[families]\nmax_iterations = {draw(st.integers(2, 4))}\n"
    )
    files["policy.toml"] = policy
    if draw(st.integers(0, 3)) == 0:
        numbers = st.one_of(st.integers(0, 3), st.integers(0, 2**64 - 1))
        ids = [row["applicant_id"] for row in applicants]
        if tiebreak == "single":
            lines = [f"{a},{draw(numbers)}\n" for a in ids]
            files["lottery.csv"] = "applicant_id,lottery_number\n" + "".join(lines)
        else:
            lines = [f"{a},,{draw(numbers)}\n" for a in ids]
            lines += [
                f"{r['applicant_id']},{r['program_id']},{draw(numbers)}\n" for r in city.choices
            ]
            files["lottery.csv"] = "applicant_id,program_id,lottery_number\n" + "".join(lines)
    return files


def run_city(base: Path, files: dict[str, str], seed: str | None = "s") -> Run:
    """Write an input folder from file texts, run the engine on it, return the run."""
    inputs = base / "in"
    inputs.mkdir(parents=True)
    for name, text in files.items():
        (inputs / name).write_text(text, encoding="utf-8")
    run_lottery(inputs, base / "out", None if "lottery.csv" in files else seed)
    return Run(base / "out", inputs)


@pytest.fixture(scope="module")
def seat_example(tmp_path_factory) -> Run:
    """The seat-policy example of docs/outputs.md (support/seat_policy_city.py, whose
    docstring draws the city and says who gets which seat), run with the seed s."""
    return run_city(
        tmp_path_factory.mktemp("seat"), seat_policy_city.CITY_FILES, seat_policy_city.SEED
    )


@pytest.fixture
def seat_run(seat_example: Run, tmp_path: Path) -> Run:
    """A private copy of the seat-policy example's results and inputs."""
    shutil.copytree(seat_example.out, tmp_path / "out")
    shutil.copytree(seat_example.inputs, tmp_path / "in")
    return Run(tmp_path / "out", tmp_path / "in")


UNPLACE = {
    "status": "unplaced",
    "program_id": "",
    "school_id": "",
    "choice_rank": "",
    "priority": "",
    "seat": "",
}


def found(report) -> set[tuple[str, str | None, str | None]]:
    return {(v.rule, v.applicant_id, v.program_id) for v in report.violations}


def test_engine_results_for_the_seat_policy_example_pass(seat_example: Run):
    placements = seat_example.placements()
    assert {a: (r["status"], r["program_id"], r["seat"]) for a, r in placements.items()} == {
        "A1": ("placed", "P2", "open"),
        "A2": ("placed", "P2", "open"),
        "A3": ("guaranteed", "P1", "open"),
        "A4": ("administrative", "P1", "open"),
        "A5": ("placed", "P2", "tag:frl"),
        "A6": ("unplaced", "", ""),
        "A7": ("administrative", "P3", "open"),
        "A8": ("unplaced", "", ""),
    }
    report = seat_example.verify()
    assert report.passed, certificate_lines(report)
    c = report.checks
    assert (c["reserve_programs"], c["reserve_rows"], c["guarantees"]) == (2, 2, 1)
    assert (c["administrative_owed"], c["administrative"], c["administrative_unserved"]) == (
        4,
        2,
        2,
    )
    assert (c["ineligible_choices"], c["linked_applicants"]) == (1, 2)
    assert c["files_hashed"] == 10  # 5 outputs, 5 inputs (reserves.csv, policy.toml)
    text = "\n".join(certificate_lines(report))
    for phrase in (
        "seats it offers in this run (offer_target minus held_seats",
        "No applicant is placed or waitlisted at a program whose required tags they lack",
        "The 1 guaranteed applicant is placed at the guaranteed program or at a program they "
        "ranked above it",
        "family lottery numbers of the 2 applicants in linked families",
        "choosing slot by slot in precedence order",
        "reserve_report.csv (2 rows) agrees with the placements and with a match recomputed "
        "without reserves",
        "The zone guarantee was recomputed for the 4 applicants it was owed to: "
        "2 administrative assignments and 2 unserved",
    ):
        assert phrase in text


def test_giving_a_reserved_seat_to_a_non_member_is_justified_envy(seat_run: Run):
    """A5 (general priority, tagged frl) holds P2's frl seat. Given instead to A3 (tag:iep
    priority, not frl), who P2 orders before A5: a plain order check sees nothing wrong,
    but P2 choosing slot by slot from A1, A2, A3 and A5 gives the frl seat to A5."""
    seat_run.edit_placement("A5", **UNPLACE)
    seat_run.edit_placement(
        "A3",
        status="placed",
        program_id="P2",
        school_id="S2",
        choice_rank="1",
        priority="tag:iep",
        seat="open",
    )
    report = seat_run.verify()
    envy = [v for v in report.violations if v.rule == "justified-envy"]
    assert [(v.applicant_id, v.program_id, v.other_applicant_id) for v in envy] == [
        ("A5", "P2", "A3")
    ]
    assert envy[0].other_key < envy[0].key  # A3 comes first in P2's order
    assert "a seat reserved for tag:frl" in envy[0].message


def test_a_wrong_seat_label_is_caught(seat_run: Run):
    seat_run.edit_placement("A5", seat="open")
    seat_run.edit_placement("A1", seat="tag:frl")  # tagged frl, but holds an open seat
    report = seat_run.verify()
    assert found(report) == {("seat-label", "A5", "P2"), ("seat-label", "A1", "P2")}


def test_wrong_reserve_counts_in_the_summary_or_report_are_caught(seat_run: Run):
    rows = seat_run.rows("programs_summary.csv")
    rows[0]["reserved_filled"] = "1"  # P1: its proximity seat went to nobody in range
    seat_run.write_rows("programs_summary.csv", rows)
    rows = seat_run.rows("reserve_report.csv")
    rows[1]["category_admitted_without_reserves"] = "2"  # P2, tag:frl: 1 recomputed
    seat_run.write_rows("reserve_report.csv", rows)
    report = seat_run.verify()
    assert found(report) == {("summary-counts", None, "P1"), ("reserve-report", None, "P2")}


def test_placing_an_applicant_at_a_program_they_are_not_eligible_for_is_caught(seat_run: Run):
    """A4 ranked P3 second but lacks the tag iep that P3 requires."""
    seat_run.edit_placement(
        "A4", status="placed", program_id="P3", school_id="S3", choice_rank="2", priority="general"
    )
    report = seat_run.verify()
    assert ("eligibility", "A4", "P3") in found(report)
    assert any("requires the tag(s) iep" in v.message for v in report.violations)


def test_an_ineligible_applicant_on_a_waitlist_or_not_shown_ineligible_is_caught(seat_run: Run):
    rows = seat_run.rows("waitlists.csv")
    rows.append(
        {
            "program_id": "P3",
            "position": "1",
            "applicant_id": "A4",
            "choice_rank": "2",
            "priority": "general",
            "lottery_rank": "4",
        }
    )
    seat_run.write_rows("waitlists.csv", rows)
    rows = seat_run.rows("choice_results.csv")
    row = next(r for r in rows if r["result"] == "ineligible")
    row["result"] = "not_considered"
    seat_run.write_rows("choice_results.csv", rows)
    report = seat_run.verify()
    assert found(report) == {("eligibility", "A4", "P3"), ("choice-results", "A4", "P3")}


def test_breaking_a_guarantee_is_caught(seat_run: Run):
    seat_run.edit_placement("A3", **UNPLACE)
    report = seat_run.verify()
    guarantee = [v for v in report.violations if v.rule == "guarantee"]
    assert [(v.applicant_id, v.program_id) for v in guarantee] == [("A3", "P1")]
    assert guarantee[0].message == "is guaranteed program P1 but is unplaced"


def test_a_guaranteed_placement_shown_as_placed_is_caught(seat_run: Run):
    seat_run.edit_placement("A3", status="placed")  # A3 did not rank P1
    report = seat_run.verify()
    assert ("unranked-placement", "A3", "P1") in found(report)


def test_a_wrong_administrative_program_is_caught(seat_run: Run):
    """The zone guarantee goes in lottery order: A4 (rank 4) gets P1's last seat before
    A8 (rank 6). Giving it to A8 instead is caught for both."""
    seat_run.edit_placement("A4", **UNPLACE)
    seat_run.edit_placement(
        "A8", status="administrative", program_id="P1", school_id="S1", seat="open"
    )
    report = seat_run.verify()
    administrative = {(v.applicant_id, v.program_id) for v in report.violations}
    assert {("A4", "P1"), ("A8", "P1")} <= administrative
    assert {v.rule for v in report.violations} >= {"administrative"}
    assert all(
        v.rule in {"administrative", "choice-results", "summary-counts", "lottery-number"}
        for v in report.violations
    ), certificate_lines(report)


def test_a_wrong_unserved_list_in_the_manifest_is_caught(seat_run: Run):
    manifest = seat_run.manifest()
    assert manifest["administrative_unserved"] == ["A8", "A6"]  # lottery order
    manifest["administrative_unserved"] = ["A6", "A8"]
    seat_run.write_manifest(manifest)
    assert found(seat_run.verify()) == {("administrative", None, None)}


def test_placing_more_applicants_than_the_offered_seats_is_caught(seat_run: Run):
    """P2 offers 3 seats (offer_target), all taken; A7 is added as a fourth."""
    seat_run.edit_placement(
        "A7", status="placed", program_id="P2", school_id="S2", choice_rank="1", priority="tag:iep"
    )
    report = seat_run.verify()
    capacity = [v for v in report.violations if v.rule == "capacity"]
    assert [(v.program_id, v.message) for v in capacity] == [
        (
            "P2",
            "4 applicants are placed here but it offers 3 seats in this run (offer_target "
            "minus held_seats)",
        )
    ]


def test_offered_seats_in_the_summary_must_leave_out_held_seats(seat_run: Run):
    rows = seat_run.rows("programs_summary.csv")
    p3 = rows[2]
    p3.update(offered_seats="3", open_seats="2")  # P3 has 3 seats, 1 of them held back
    seat_run.write_rows("programs_summary.csv", rows)
    report = seat_run.verify()
    assert {(v.rule, v.program_id) for v in report.violations} == {("summary-counts", "P3")}
    assert len(report.violations) == 2


def test_a_wrong_family_lottery_number_is_caught(seat_run: Run):
    placements = seat_run.placements()
    own = placements["A2"]["lottery_number"]
    seat_run.edit_placement("A2", family_lottery_number=own)  # not the family's number
    report = seat_run.verify()
    assert found(report) == {("lottery-number", "A2", "P2")}
    assert "family_lottery_number" in report.violations[0].message


def test_a_sibling_offered_priority_is_recomputed_from_the_placements(seat_run: Run):
    rows = seat_run.rows("choice_results.csv")
    row = next(r for r in rows if (r["applicant_id"], r["program_id"]) == ("A1", "P1"))
    assert row["priority"] == "zone"  # A2, A1's family, is placed at S2, not S1
    row["priority"] = "sibling_offered"
    seat_run.write_rows("choice_results.csv", rows)
    assert found(seat_run.verify()) == {("choice-results", "A1", "P1")}


def test_unsettled_families_sibling_offered_priorities_are_accepted_with_a_note(seat_run: Run):
    """The manifest says the family reruns stopped at the limit with F1 still changing:
    A1's sibling_offered priority came from the engine's previous run, which the results
    do not hold, so either reading is accepted, and the certificate says so."""
    rows = seat_run.rows("choice_results.csv")
    row = next(r for r in rows if (r["applicant_id"], r["program_id"]) == ("A1", "P1"))
    row["priority"] = "sibling_offered"
    seat_run.write_rows("choice_results.csv", rows)
    manifest = seat_run.manifest()
    manifest["families"] = {"converged": False, "iterations": 10, "unsettled": ["F1"]}
    seat_run.write_manifest(manifest)
    report = seat_run.verify()
    assert report.passed, certificate_lines(report)
    assert report.checks["unsettled_priorities"] >= 1
    note = certificate_lines(report)[-1]
    assert note.startswith("Note: manifest.json says linked families did not settle")
    assert "unsettled: F1" in note

    manifest["families"] = {"converged": False, "iterations": 3, "unsettled": ["F1", "F9"]}
    seat_run.write_manifest(manifest)
    assert rules(seat_run.verify()) == {"manifest-record"}


def test_an_unknown_status_is_caught(seat_run: Run):
    seat_run.edit_placement("A6", status="waitlisted")
    report = seat_run.verify()
    assert ("placement-details", "A6", None) in found(report)


@pytest.mark.parametrize(
    ("precedence", "admitted", "tampered", "envious", "other"),
    [
        ("reserved_first", {"A", "B"}, {"A", "C"}, "B", "C"),
        ("open_first", {"A", "C"}, {"A", "B"}, "C", "B"),
    ],
)
def test_precedence_decides_who_a_program_with_reserves_would_take(
    tmp_path, precedence, admitted, tampered, envious, other
):
    """docs/seat-policy.md: 2 seats, 1 reserved for zone, A (zone), B, C (zone) in that
    order. Each precedence's outcome, claimed under the other, is unstable."""
    files = {
        "programs.csv": "program_id,school_id,school_name,sector,grade,seats,zones\n"
        "P,S,School,district,K,2,Z\n",
        "applicants.csv": "applicant_id,first_name,last_name,grade,guardian_name,zone\n"
        "A,a,a,K,g,Z\nB,b,b,K,g,\nC,c,c,K,g,Z\n",
        "choices.csv": "applicant_id,rank,program_id\nA,1,P\nB,1,P\nC,1,P\n",
        "reserves.csv": "program_id,category,seats\nP,zone,1\n",
        "lottery.csv": "applicant_id,lottery_number\nA,1\nB,2\nC,3\n",
        "policy.toml": f'[priority]\norder = []\n[reserves]\nprecedence = "{precedence}"\n',
    }
    results = run_city(tmp_path, files)
    placed = {a for a, row in results.placements().items() if row["status"] == "placed"}
    assert placed == admitted
    assert results.verify().passed
    (out,) = admitted - tampered
    (into,) = tampered - admitted
    results.edit_placement(out, **UNPLACE)
    results.edit_placement(
        into, status="placed", program_id="P", school_id="S", choice_rank="1", priority="general"
    )
    envy = [v for v in results.verify().violations if v.rule == "justified-envy"]
    assert [(v.applicant_id, v.other_applicant_id) for v in envy] == [(envious, other)]


def test_family_members_stand_together_in_a_waitlist(tmp_path):
    """With lottery.csv a family stands at its lowest member's number: X1 (10) and X2 (50)
    of family FX both come before Z (30) in Q's order. A waitlist that puts Z between the
    twins is caught."""
    files = {
        "programs.csv": "program_id,school_id,school_name,sector,grade,seats,zones\n"
        "Q,S,School,district,K,1,Z\n",
        "applicants.csv": "applicant_id,first_name,last_name,grade,guardian_name,zone,family_id\n"
        "W,w,w,K,g,Z,\nX1,x,x,K,g,,FX\nX2,x,x,K,g,,FX\nZ,z,z,K,g,,\n",
        "choices.csv": "applicant_id,rank,program_id\nW,1,Q\nX1,1,Q\nX2,1,Q\nZ,1,Q\n",
        "lottery.csv": "applicant_id,lottery_number\nW,5\nX1,10\nX2,50\nZ,30\n",
    }
    results = run_city(tmp_path, files)
    assert results.verify().passed
    rows = results.rows("waitlists.csv")
    assert [r["applicant_id"] for r in rows] == ["X1", "X2", "Z"]
    assert [r["lottery_rank"] for r in rows] == ["2", "3", "4"]
    assert results.placements()["X2"]["family_lottery_number"] == "10"
    rows[1], rows[2] = rows[2], rows[1]
    rows[1]["position"], rows[2]["position"] = "2", "3"
    results.write_rows("waitlists.csv", rows)
    report = results.verify()
    assert [(v.rule, v.applicant_id, v.other_applicant_id) for v in report.violations] == [
        ("waitlist-order", "X2", "Z")
    ]
    assert "family lottery number 10" in report.violations[0].message


def test_placed_first_choice_does_not_count_an_applicant_who_ranked_nothing(tmp_path):
    """An applicant who ranked nothing and got their guaranteed program (their implicit
    last choice) has no first choice: counts.placed_first_choice leaves them out."""
    files = {
        "programs.csv": "program_id,school_id,school_name,sector,grade,seats\n"
        "P1,S1,One,district,K,1\n",
        "applicants.csv": "applicant_id,first_name,last_name,grade,guardian_name,"
        "guaranteed_program_id\nA1,a,a,K,g,P1\n",
        "choices.csv": "applicant_id,rank,program_id\n",
    }
    results = run_city(tmp_path, files)
    assert results.placements()["A1"]["status"] == "guaranteed"
    assert results.manifest()["counts"]["placed_first_choice"] == 0
    assert results.verify().passed


@FEW
@given(files=seat_policy_folders(), seed=st.text("abc-|é ", min_size=1, max_size=6))
def test_engine_results_pass_verify_for_random_seat_policy_cities(tmp_path_factory, files, seed):
    base = tmp_path_factory.mktemp("seatpolicy")
    results = run_city(base, files, seed.strip() or "s")
    report = results.verify()
    assert report.passed, certificate_lines(report)


def test_unsettled_families_with_zero_share_reserves_pass_verify(tmp_path):
    """Found by the random seat-policy cities above. A0 and A2 (family F3) do not settle:
    the engine's last run counted A2 in the sibling_offered reserve (A0 was placed in the
    run before) but not A0. A reserve of no seats cannot tell which reading the engine
    took, so reserve_report.csv's counts are accepted over the range of readings."""
    applicant_rows = [
        "A0,First0,Last0,K,,,,,,Guardian 0,,,F3,,,,,S1-K",
        "A9,First9,Last9,K,,,,,,Guardian 9,,,,,,,,S1-K",
        "A3,First3,Last3,K,,,,,,Guardian 3,,,,,,,,S1-K",
        "A184,First184,Last184,K,,,,,,Guardian 184,,,,,,,,",
        "A2,First2,Last2,K,,,,,,Guardian 2,,,F3,,,,,",
        "A1,First1,Last1,K,,,,,,Guardian 1,,,,,,,,",
        *(f"A{n},First{n},Last{n},K,,,,,,Guardian {n},,,,,,,," for n in (5155, 713, 1597)),
        *(f"A{n},First{n},Last{n},K,,,,,,Guardian {n},,,,,,,," for n in (1680, 2281, 2447)),
        "A3754,First3754,Last3754,K,,,,,,Guardian 3754,,frl,,,,,,",
        "A6783,First6783,Last6783,K,,,,,,Guardian 6783,,frl;iep,,,,,,",
    ]
    files = {
        "programs.csv": "program_id,school_id,school_name,sector,grade,seats\n"
        "S1-K,S1,School S1,district,K,4\n",
        "applicants.csv": "applicant_id,first_name,last_name,grade,zone,current_school_id,"
        "sibling_school_ids,staff_school_id,language,guardian_name,address,tags,family_id,"
        "link_family,accepts_administrative,latitude,longitude,guaranteed_program_id\n"
        + "".join(row + "\n" for row in applicant_rows),
        "choices.csv": "applicant_id,rank,program_id\nA0,1,S1-K\nA184,1,S1-K\nA2,1,S1-K\n",
        "reserves.csv": "program_id,category,seats,share\n"
        "S1-K,tag:frl,,0\nS1-K,sibling_offered,,0\n",
        "policy.toml": '[priority]\norder = ["continuing", "sibling_offered"]\n'
        '[reserves]\nprecedence = "reserved_first"\n[families]\nmax_iterations = 2\n',
    }
    assert run_city(tmp_path, files, "a").verify().passed


PLACEMENT_RULES = {
    "capacity",
    "waste",
    "justified-envy",
    "guarantee",
    "administrative",
    "eligibility",
    "unranked-placement",
}


@FEW
@given(files=seat_policy_folders(), data=st.data())
def test_moving_any_one_applicant_in_a_seat_policy_city_is_caught(tmp_path_factory, files, data):
    """Moved to another of their choices or unplaced, with every other file left alone, a
    placement breaks a rule about placements themselves, not only the other files."""
    results = run_city(tmp_path_factory.mktemp("seatmove"), files)
    ranked, placements = results.ranked(), results.placements()
    movable = sorted(a for a in placements if ranked.get(a))
    assume(movable)
    applicant = data.draw(st.sampled_from(movable))
    current = placements[applicant]["program_id"]
    options = [p for p in ranked[applicant] if p != current] + ([""] if current else [])
    target = data.draw(st.sampled_from(options))
    if target:
        cells = {
            "status": "placed",
            "program_id": target,
            "school_id": target.split("-")[0],
            "choice_rank": str(ranked[applicant].index(target) + 1),
        }
    else:
        cells = UNPLACE
    results.edit_placement(applicant, **cells)
    assert rules(results.verify()) & PLACEMENT_RULES


# ----------------------------------------------------------------------------- command


def test_verify_command_certifies_good_results_and_fails_on_tampering(run: Run):
    from click.testing import CliRunner

    from lottery.cli import cli

    runner = CliRunner()
    good = runner.invoke(cli, ["verify", str(run.out), "--inputs", str(run.inputs)])
    assert good.exit_code == 0, good.output
    assert good.output.splitlines()[0] == "Verification passed."
    assert (run.out / "verification.json").is_file()

    placements = run.out / "placements.csv"
    placements.write_text(placements.read_text().replace(",placed,", ",unplaced,", 1))
    bad = runner.invoke(cli, ["verify", str(run.out), "--inputs", str(run.inputs)])
    assert bad.exit_code == 1
    assert bad.output.startswith("Verification FAILED:")
