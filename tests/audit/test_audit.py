"""Anyone can check a lottery: seed commitments, lookups, audits and audit bundles.

Most tests run the bundled example city (``examples/city``, 360 applicants) once, copy
its results, change one thing and check that ``lottery audit`` names exactly that
thing. The report is compared as ``(file, kind, line)`` lists, so a test reads like the
expected report.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from support.seat_policy_city import write_seat_policy_city

from lottery.audit.bundle import KEPT_COLUMNS, kept_columns, redact_applicants, write_audit_bundle
from lottery.audit.compare import first_difference
from lottery.audit.rerun import audit_results
from lottery.engine import run_lottery
from lottery.io.inputs import INPUT_FILES
from lottery.numbers import look_up_lottery_number, lottery_number, seed_commitment

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city"
SEED = "2026-spring"
COMMITMENT = hashlib.sha256(SEED.encode("utf-8")).hexdigest()
REPRODUCED = "Reproduced byte for byte"
OUTPUTS = (
    "choice_results.csv",
    "placements.csv",
    "programs_summary.csv",
    "reserve_report.csv",
    "waitlists.csv",
)


def example_inputs() -> list[str]:
    """The input files of the example city, in name order (reserves.csv when it has one)."""
    return sorted(name for name in INPUT_FILES if (EXAMPLE / name).is_file())


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> Path:
    """The example city's results with SEED (read-only: copy before changing anything)."""
    out = tmp_path_factory.mktemp("example") / "results"
    run_lottery(EXAMPLE, out, SEED)
    return out


@pytest.fixture
def inputs(tmp_path) -> Path:
    """A copy of the example city's input folder, free to edit."""
    return Path(shutil.copytree(EXAMPLE, tmp_path / "inputs"))


@pytest.fixture
def results(tmp_path, example_run) -> Path:
    """A copy of the example city's results, free to edit."""
    return Path(shutil.copytree(example_run, tmp_path / "results"))


def findings(report) -> list[tuple]:
    return [(f.file, f.kind, f.line) for f in report.findings]


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


# ----------------------------------------------------------------------------- audit


def test_audit_reproduces_the_example_city_byte_for_byte(invoke, example_run):
    result = invoke("audit", example_run, "--inputs", EXAMPLE)
    assert result.exit_code == 0, result.stdout
    assert REPRODUCED in result.stdout
    assert (
        "  outputs compared:  choice_results.csv, manifest.json, placements.csv, "
        "programs_summary.csv, reserve_report.csv, waitlists.csv" in result.stdout
    )
    assert f"  inputs checked:    {', '.join(example_inputs())}" in result.stdout


def test_audit_reproduces_a_run_with_a_default_policy(invoke, city, tmp_path):
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", SEED, "--out", out).exit_code == 0
    assert invoke("audit", out, "--inputs", city.path).exit_code == 0


def test_audit_reproduces_a_run_with_numbers_from_lottery_csv(invoke, city, tmp_path):
    city.write(
        "lottery",
        "applicant_id,lottery_number\n" + "".join(f"A{i},{i * 10}\n" for i in range(1, 9)),
    )
    out = tmp_path / "results"
    assert invoke("run", city.path, "--out", out).exit_code == 0
    result = invoke("audit", out, "--inputs", city.path)
    assert result.exit_code == 0, result.stdout
    assert "  rerun:             numbers from lottery.csv" in result.stdout


def test_one_changed_input_byte_names_the_file(invoke, results, inputs):
    original = hashlib.sha256((inputs / "applicants.csv").read_bytes()).hexdigest()
    data = (inputs / "applicants.csv").read_bytes().replace(b"Ethan", b"Ethen", 1)
    (inputs / "applicants.csv").write_bytes(data)
    changed = hashlib.sha256(data).hexdigest()

    report = audit_results(results, inputs)
    # A first name changes no placement: only the recorded checksum differs.
    line = lines_of(results / "manifest.json").index(f'    "applicants.csv": "{original}",') + 1
    assert findings(report) == [
        ("applicants.csv", "input-changed", None),
        ("manifest.json", "output-differs", line),
    ]
    result = invoke("audit", results, "--inputs", inputs)
    assert result.exit_code == 1
    assert (
        f"applicants.csv: this file has changed: its SHA-256 is {changed}, "
        f"but manifest.json records {original}"
    ) in result.stdout.split("\n")
    assert "NOT reproduced: 2 differences found." in result.stdout


def test_a_changed_choice_changes_the_placements(results, inputs):
    choices = lines_of(inputs / "choices.csv")
    assert choices[1] == "A000001,1,S003-PK"
    choices[1], choices[2] = "A000001,1,S009-PK", "A000001,2,S003-PK"
    (inputs / "choices.csv").write_text("\n".join(choices), encoding="utf-8")
    report = audit_results(results, inputs)
    kinds = findings(report)
    assert kinds[0] == ("choices.csv", "input-changed", None)
    assert ("placements.csv", "output-differs", 2) in kinds


def test_a_missing_and_an_unused_input_file_are_reported(results, inputs):
    (inputs / "policy.toml").unlink()
    (inputs / "priorities.csv").write_text("applicant_id,program_id,priority\n")
    report = audit_results(results, inputs)
    assert findings(report)[:2] == [
        ("policy.toml", "input-missing", None),
        ("priorities.csv", "input-unused", None),
    ]


def test_a_changed_seed_in_the_manifest_reports_the_first_differing_rows(results, inputs, tmp_path):
    manifest = json.loads((results / "manifest.json").read_text(encoding="utf-8"))
    manifest["seed"] = "2026-fall"
    (results / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    other = tmp_path / "fall"
    run_lottery(EXAMPLE, other, "2026-fall")

    report = audit_results(results, inputs)
    assert report.rerun == 'seed "2026-fall"'
    by_file = {f.file: f for f in report.findings}
    changed = [n for n in OUTPUTS if (results / n).read_bytes() != (other / n).read_bytes()]
    assert {"choice_results.csv", "placements.csv", "waitlists.csv"} <= set(changed)
    assert set(by_file) == {"manifest.json", *changed}
    for name in changed:
        recorded, rerun = lines_of(results / name), lines_of(other / name)
        line = next(i for i, (a, b) in enumerate(zip(recorded, rerun, strict=True), 1) if a != b)
        finding = by_file[name]
        assert (finding.kind, finding.line) == ("output-differs", line)
        assert (finding.recorded, finding.rerun) == (recorded[line - 1], rerun[line - 1])


def test_an_edited_placement_row_is_reported_with_its_line(invoke, results, inputs):
    rows = lines_of(results / "placements.csv")
    original = rows[4]
    rows[4] = original.replace(",unplaced,", ",placed,")
    assert rows[4] != original
    (results / "placements.csv").write_text("\n".join(rows), encoding="utf-8")

    result = invoke("audit", results, "--inputs", inputs)
    assert result.exit_code == 1
    assert result.stdout.split("\n")[-5:] == [
        "NOT reproduced: 1 difference found.",
        "placements.csv:5: the first line that differs from the rerun's file",
        f"    recorded: {rows[4]}",
        f"    rerun:    {original}",
        "",
    ]


def test_a_dropped_waitlist_row_and_a_missing_file_are_reported(results, inputs):
    rows = lines_of(results / "waitlists.csv")
    del rows[3]
    (results / "waitlists.csv").write_text("\n".join(rows), encoding="utf-8")
    (results / "programs_summary.csv").unlink()
    assert findings(audit_results(results, inputs)) == [
        ("programs_summary.csv", "output-missing", None),
        ("waitlists.csv", "output-differs", 4),
    ]


def test_a_file_the_run_did_not_write_is_reported_but_verification_json_is_not(results, inputs):
    (results / "verification.json").write_text("{}\n")
    (results / "notes.txt").write_text("mine\n")
    assert findings(audit_results(results, inputs)) == [("notes.txt", "output-unexpected", None)]


def test_inputs_that_cannot_be_rerun_are_reported_not_raised(results, inputs):
    (inputs / "programs.csv").write_text("program_id\n")
    report = audit_results(results, inputs)
    assert findings(report) == [
        ("programs.csv", "input-changed", None),
        ("(rerun)", "rerun-failed", None),
    ]
    assert "Found" in report.findings[-1].message


def test_audit_needs_the_input_folder(invoke, example_run):
    result = invoke("audit", example_run)
    assert result.exit_code == 2
    assert result.stderr == (
        "Which input files made these results? Pass --inputs INPUT_DIR "
        "(only an unpacked audit bundle knows its own inputs).\n"
    )


def test_audit_refuses_a_folder_without_manifest(invoke, tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke("audit", tmp_path / "empty", "--inputs", EXAMPLE)
    assert result.exit_code == 2
    assert "has no manifest.json, so it is not a folder of lottery results." in result.stderr


def test_first_difference_names_the_line_and_the_end_of_a_file():
    assert first_difference(b"h\na\nb\n", b"h\na\nc\n") == (3, "b", "c")
    assert first_difference(b"h\na\n", b"h\na\nb\n") == (3, None, "b")
    assert first_difference(b"h\na\n", b"h\na") == (
        2,
        "(ends with a line break)",
        "(no final line break)",
    )


# ----------------------------------------------------------------------- seed commitment


def test_seed_commit_prints_the_sha256_of_the_seed(invoke):
    result = invoke("seed", "commit", SEED)
    assert result.exit_code == 0
    assert result.stdout == COMMITMENT + "\n"
    assert "Publish this SHA-256 of the seed before the lottery" in result.stderr
    assert seed_commitment(SEED) == COMMITMENT


def test_run_with_the_matching_commitment_records_it(invoke, city, tmp_path):
    out = tmp_path / "results"
    result = invoke(
        "run", city.path, "--seed", SEED, "--out", out, "--seed-commitment", COMMITMENT.upper()
    )
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed_commitment"] == COMMITMENT
    audit = invoke("audit", out, "--inputs", city.path)
    assert audit.exit_code == 0, audit.stdout


def test_run_without_commitment_records_null(invoke, city, tmp_path):
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", SEED, "--out", out).exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["seed_commitment"] is None


def test_run_with_another_seed_than_committed_is_refused_before_any_work(invoke, city, tmp_path):
    out = tmp_path / "results"
    options = ["--seed", "2026-Spring", "--out", out, "--seed-commitment", COMMITMENT]
    result = invoke("run", city.path, *options)
    assert result.exit_code == 2
    actual = hashlib.sha256(b"2026-Spring").hexdigest()
    assert result.stderr == (
        f"The seed does not match the published commitment: the SHA-256 of the seed "
        f'"2026-Spring" is {actual}, but the commitment is {COMMITMENT}. Check the seed for '
        "typing mistakes (capital letters, spaces); nothing was run.\n"
    )
    assert not out.exists()


def test_a_malformed_commitment_is_a_usage_error(invoke, city, tmp_path):
    options = ["--seed", SEED, "--out", tmp_path / "r", "--seed-commitment", "abc"]
    result = invoke("run", city.path, *options)
    assert result.exit_code == 2
    assert (
        "Invalid value for '--seed-commitment': \"abc\" is not a seed commitment" in result.stderr
    )


def test_a_commitment_without_a_seed_is_refused(invoke, city, tmp_path):
    numbers = "".join(f"A{i},{i}\n" for i in range(1, 9))
    city.write("lottery", "applicant_id,lottery_number\n" + numbers)
    result = invoke("run", city.path, "--out", tmp_path / "r", "--seed-commitment", COMMITMENT)
    assert result.exit_code == 2
    assert "this lottery has no seed (its numbers come from lottery.csv)" in result.stderr


def test_a_changed_commitment_in_the_manifest_fails_the_rerun(results, inputs):
    manifest = json.loads((results / "manifest.json").read_text(encoding="utf-8"))
    manifest["seed_commitment"] = "0" * 64
    (results / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = audit_results(results, inputs)
    assert findings(report) == [("(rerun)", "rerun-failed", None)]
    assert "does not match the published commitment" in report.findings[0].message


# ----------------------------------------------------------------------------- lookup


@pytest.mark.parametrize("program", [None, "HILL-K"])
def test_lookup_gives_the_engines_lottery_number(invoke, program):
    args = ["lookup", "--seed", SEED, "A0193"] + (["--program", program] if program else [])
    result = invoke(*args)
    assert result.exit_code == 0
    number = lottery_number(SEED, "A0193", program)
    text = f"{SEED}|A0193" + (f"|{program}" if program else "")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    at = f" at {program}" if program else ""
    assert result.stdout.split("\n")[:6] == [
        f"Lottery number of A0193{at}: {number}",
        f"  tie-break:        {'multiple' if program else 'single'}",
        f"  text hashed:      {text}",
        f"  SHA-256:          {digest}",
        f"  first 16 digits:  {digest[:16]}",
        f"  as a decimal:     {number}",
    ]
    assert f"  printf '%s' '{text}' | sha256sum" in result.stdout


def test_lookup_matches_every_number_in_a_run(example_run):
    with (example_run / "placements.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found = look_up_lottery_number(SEED, row["applicant_id"])
            assert str(found.number) == row["lottery_number"]


def test_lookup_refuses_an_impossible_applicant_id(invoke):
    result = invoke("lookup", "--seed", SEED, "A0193 ")
    assert result.exit_code == 2
    assert result.stderr == (
        '"A0193 " is not an applicant ID (letters, digits, "-" and "_" only, as in '
        "applicants.csv).\n"
    )


# ----------------------------------------------------------------------------- bundle


def personal_data(folder: Path) -> dict[str, set[str]]:
    """Every non-blank name, guardian and address in a folder's applicants.csv."""
    with (folder / "applicants.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = ("first_name", "last_name", "guardian_name", "address")
    return {c: {row[c] for row in rows if row[c]} for c in columns}


@pytest.fixture
def bundle(tmp_path, example_run) -> Path:
    path = tmp_path / "audit.zip"
    write_audit_bundle(example_run, EXAMPLE, path)
    return path


def unpack(bundle: Path, folder: Path) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    return folder


def test_bundle_holds_inputs_outputs_and_its_record(bundle):
    with zipfile.ZipFile(bundle) as archive:
        assert archive.namelist() == [
            "README.txt",
            "bundle.json",
            *(f"inputs/{name}" for name in example_inputs()),
            "outputs/choice_results.csv",
            "outputs/manifest.json",
            "outputs/placements.csv",
            "outputs/programs_summary.csv",
            "outputs/reserve_report.csv",
            "outputs/waitlists.csv",
        ]


def test_bundle_contains_no_names_guardians_or_addresses(bundle):
    people = personal_data(EXAMPLE)
    with zipfile.ZipFile(bundle) as archive:
        texts = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    for name, text in texts.items():
        for column in ("guardian_name", "address"):
            leaked = [value for value in people[column] if value in text]
            assert not leaked, f"{name} holds {column} values such as {leaked[:3]}"
    rows = list(csv.DictReader(io.StringIO(texts["inputs/applicants.csv"])))
    for column in ("first_name", "last_name", "guardian_name", "address"):
        assert {row[column] for row in rows} <= {"-", ""}, column


def test_audit_on_the_unpacked_bundle_reproduces_the_results(invoke, bundle, tmp_path):
    folder = unpack(bundle, tmp_path / "unpacked")
    result = invoke("audit", folder)
    assert result.exit_code == 0, result.stdout
    assert REPRODUCED in result.stdout
    assert "applicants.csv is a redacted copy from an audit bundle" in result.stdout
    # The usual form works too, on the bundle's two folders.
    result = invoke("audit", folder / "outputs", "--inputs", folder / "inputs")
    assert result.exit_code == 0, result.stdout


def test_redacted_inputs_give_the_same_placements(bundle, tmp_path, example_run):
    folder = unpack(bundle, tmp_path / "unpacked")
    run_lottery(folder / "inputs", tmp_path / "again", SEED)
    for name in ("placements.csv", "waitlists.csv", "programs_summary.csv", "choice_results.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (example_run / name).read_bytes()


def test_bundle_records_the_original_manifest_and_both_checksums(bundle, tmp_path, example_run):
    folder = unpack(bundle, tmp_path / "unpacked")
    record = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    assert record["manifest"] == json.loads((example_run / "manifest.json").read_text())
    redacted = (folder / "inputs" / "applicants.csv").read_bytes()
    kept = kept_columns(redacted)  # coordinates and tags, if the example city has them
    assert record["redacted"] == {
        "applicants.csv": {
            "columns": ["first_name", "last_name", "guardian_name", "address"],
            "placeholder": "-",
            "original_sha256": hashlib.sha256(
                (EXAMPLE / "applicants.csv").read_bytes()
            ).hexdigest(),
            "sha256": hashlib.sha256(redacted).hexdigest(),
            **({"kept": {column: KEPT_COLUMNS[column] for column in kept}} if kept else {}),
        }
    }


def test_a_tampered_bundle_fails_its_audit(bundle, tmp_path):
    folder = unpack(bundle, tmp_path / "unpacked")
    rows = lines_of(folder / "outputs" / "placements.csv")
    rows[1], rows[2] = rows[2], rows[1]
    (folder / "outputs" / "placements.csv").write_text("\n".join(rows), encoding="utf-8")
    report = audit_results(folder)
    assert findings(report) == [("placements.csv", "output-differs", 2)]


def test_bundle_is_the_same_bytes_every_time(bundle, example_run, tmp_path):
    again = tmp_path / "again.zip"
    write_audit_bundle(example_run, EXAMPLE, again)
    assert again.read_bytes() == bundle.read_bytes()


def test_bundle_refuses_inputs_that_did_not_make_the_results(invoke, example_run, inputs, tmp_path):
    (inputs / "choices.csv").write_bytes((inputs / "choices.csv").read_bytes() + b"\n")
    result = invoke("audit-bundle", example_run, "--inputs", inputs, tmp_path / "b.zip")
    assert result.exit_code == 2
    assert result.stderr.startswith("choices.csv: this file has changed: its SHA-256 is ")
    assert "manifest.json: these inputs did not make these results" in result.stderr
    assert not (tmp_path / "b.zip").exists()


def test_bundle_never_overwrites_a_file(invoke, example_run, tmp_path):
    (tmp_path / "b.zip").write_text("keep me")
    result = invoke("audit-bundle", example_run, "--inputs", EXAMPLE, tmp_path / "b.zip")
    assert result.exit_code == 2
    assert (tmp_path / "b.zip").read_text() == "keep me"


def test_bundle_command_reports_what_it_wrote(invoke, example_run, tmp_path):
    result = invoke("audit-bundle", example_run, "--inputs", EXAMPLE, tmp_path / "b.zip")
    assert result.exit_code == 0, result.stderr
    applicants = len(lines_of(EXAMPLE / "applicants.csv")) - 2  # a header and a final ""
    files = 2 + len(example_inputs()) + 1 + len(OUTPUTS)  # README, bundle.json, manifest
    assert result.stdout.split("\n")[1:3] == [
        f"  files:     {files}",
        "  redacted:  first_name, last_name, guardian_name, address in "
        f"{applicants} rows of applicants.csv",
    ]


def test_redaction_keeps_every_other_cell_of_a_spreadsheet_export():
    original = (
        "\ufeffApplicant_ID,First_Name,last_name,grade,guardian_name,address\r\n"
        'A1,Ana,Lopez,K,Maria Lopez,"12 Elm St, Apt 3"\r\n'
        "A2,Ben,Smith, 1 ,Carol Smith,\r\n"
    ).encode()
    data, rows, columns = redact_applicants(original)
    assert data.decode("utf-8") == (
        "Applicant_ID,First_Name,last_name,grade,guardian_name,address\n"
        "A1,-,-,K,-,-\n"
        "A2,-,-, 1 ,-,\n"
    )
    assert (rows, columns) == (2, ("First_Name", "last_name", "guardian_name", "address"))


def test_a_manifest_naming_a_foreign_file_is_refused(invoke, results, inputs):
    manifest = json.loads((results / "manifest.json").read_text(encoding="utf-8"))
    manifest["inputs"]["../secret.txt"] = "0" * 64
    (results / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = invoke("audit", results, "--inputs", inputs)
    assert result.exit_code == 2
    assert "lists files that no lottery run writes or reads: ['../secret.txt']" in result.stderr


# ----------------------------------------------------------------------------- seat policy


@pytest.fixture
def policy_run(tmp_path):
    """The seat-policy example (support/seat_policy_city.py: reserves.csv, held seats, an
    offer target, eligibility, a guarantee, a linked family, coordinates and the zone
    guarantee), run with SEED."""
    city = write_seat_policy_city(tmp_path / "policy-city")
    out = tmp_path / "policy-results"
    run_lottery(city.path, out, SEED)
    return city, out


def test_audit_reproduces_a_run_with_reserves_and_compares_the_reserve_report(policy_run):
    city, out = policy_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "reserves.csv" in manifest["inputs"] and "reserve_report.csv" in manifest["outputs"]
    assert len(lines_of(out / "reserve_report.csv")) > 2  # a header, rows, a final ""
    report = audit_results(out, city.path)
    assert report.reproduced, report.lines()
    assert "reserves.csv" in report.inputs_checked
    assert "reserve_report.csv" in report.outputs_compared


def test_a_changed_reserve_report_row_is_reported_with_its_line(policy_run):
    city, out = policy_run
    rows = lines_of(out / "reserve_report.csv")
    original = rows[1]
    cells = original.split(",")
    cells[4] = str(int(cells[4]) + 1)  # filled_by_category
    rows[1] = ",".join(cells)
    (out / "reserve_report.csv").write_text("\n".join(rows), encoding="utf-8")
    report = audit_results(out, city.path)
    assert findings(report) == [("reserve_report.csv", "output-differs", 2)]
    assert (report.findings[0].recorded, report.findings[0].rerun) == (rows[1], original)


def test_a_changed_reserves_csv_is_an_input_change(policy_run):
    city, out = policy_run
    city.write("reserves.csv", "program_id,category,seats,share\nP2,tag:frl,2,\n")
    kinds = findings(audit_results(out, city.path))
    assert kinds[0] == ("reserves.csv", "input-changed", None)
    assert ("reserve_report.csv", "output-differs", 2) in kinds


def test_bundle_of_a_reserve_run_keeps_coordinates_and_tags_and_says_why(policy_run, tmp_path):
    city, out = policy_run
    path = tmp_path / "policy.zip"
    report = write_audit_bundle(out, city.path, path)
    assert report.kept_columns == ("tags", "latitude", "longitude")
    assert "inputs/reserves.csv" in report.entries
    assert "outputs/reserve_report.csv" in report.entries
    folder = unpack(path, tmp_path / "unpacked")
    rows = list(csv.DictReader(io.StringIO((folder / "inputs/applicants.csv").read_text())))
    original = list(csv.DictReader(io.StringIO(city.read("applicants"))))
    for column in ("latitude", "longitude", "tags", "family_id", "guaranteed_program_id"):
        assert [r[column] for r in rows] == [r[column] for r in original], column
    assert {r["guardian_name"] for r in rows} == {"-"}
    record = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    kept = record["redacted"]["applicants.csv"]["kept"]
    assert list(kept) == ["latitude", "longitude", "tags"]  # JSON keys are sorted
    assert "proximity priority" in kept["latitude"] and "eligibility" in kept["tags"]
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    assert "Kept although personal, because placements depend on them" in readme
    assert "tags, latitude, longitude" in readme
    audit = audit_results(folder)
    assert audit.reproduced, audit.lines()
    assert "latitude, longitude, tags were kept although personal" in " ".join(audit.notes)


def test_bundle_of_a_run_without_coordinates_or_tags_records_nothing_kept(city, tmp_path):
    out = tmp_path / "results"
    run_lottery(city.path, out, SEED)
    path = tmp_path / "plain.zip"
    assert write_audit_bundle(out, city.path, path).kept_columns == ()
    folder = unpack(path, tmp_path / "unpacked")
    record = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    assert "kept" not in record["redacted"]["applicants.csv"]
    assert "Kept although personal" not in (folder / "README.txt").read_text(encoding="utf-8")
