"""``lottery.verify``: the independent checker passes every engine output and catches
every tampering.

The engine's results are checked on the bundled example city and on random cities
(single and multiple tie-break, several policies, ``priorities.csv`` and ``lottery.csv``).
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
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import cities, write_city

from lottery.audit import audit_results
from lottery.engine import run_lottery
from lottery.verify import (
    RULES,
    VERIFICATION_FILE,
    certificate_lines,
    verify_outputs,
    write_verification,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "city"
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


def test_engine_results_for_the_example_city_pass(example_run: Run):
    report = example_run.verify()
    assert report.passed, certificate_lines(report)
    assert report.checks["applicants"] == 360
    assert report.checks["files_hashed"] == 8  # 4 outputs, 4 inputs (with policy.toml)
    assert report.checks["preferred_pairs"] == report.checks["waitlist_rows"] == 243
    assert report.checks["choice_rows"] == 1103  # every row of choices.csv


def test_certificate_names_every_check(example_run: Run):
    lines = certificate_lines(example_run.verify())
    assert lines[0] == "Verification passed."
    text = "\n".join(lines)
    assert "All 360 applicants were checked" in text
    assert 'recomputed from the seed "2026-spring" (single tie-break)' in text
    assert "No applicant lost a seat to someone with lower priority" in text
    assert "No seat was wasted" in text
    assert "Every ranked choice in choice_results.csv (1103 rows)" in text


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
