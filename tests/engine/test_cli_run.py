"""``lottery run`` driven as an enrollment office would: files in a folder, one command.

The default city (see ``conftest.py``) gives the same placements for every seed, because
priorities alone decide every contested seat: A2 (no priority) is the one kindergartner
left without a seat, A3 gets her second choice, everyone else their first.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

from support.files import rows, sha256

from lottery import __version__
from lottery.cli import cli
from lottery.io import writers

SEED = "2026-spring"

HEADERS = {
    "placements.csv": "applicant_id,grade,status,program_id,school_id,choice_rank,priority,"
    "seat,lottery_number,family_lottery_number,lottery_rank",
    "waitlists.csv": "program_id,position,applicant_id,choice_rank,priority,lottery_rank",
    "programs_summary.csv": "program_id,school_id,school_name,sector,grade,seats,held_seats,"
    "offered_seats,applicants,first_choice_applicants,placed,administrative,open_seats,"
    "waitlisted,reserved_seats,reserved_filled,cutoff_priority,cutoff_lottery_rank",
    "choice_results.csv": "applicant_id,rank,program_id,result,priority,waitlist_position,"
    "cutoff_priority,cutoff_lottery_rank",
    "reserve_report.csv": "program_id,school_id,category,reserved_seats,filled_by_category,"
    "category_applicants,category_admitted,category_admitted_without_reserves,"
    "admitted_only_with_reserves,admitted_only_without_reserves",
}
OUTPUT_FILES = {*HEADERS, "manifest.json"}


def by_applicant(out: Path) -> dict[str, dict[str, str]]:
    return {row["applicant_id"]: row for row in rows(out / "placements.csv")}


def seeded_number(*parts: str) -> int:
    """The published formula, written out independently of the engine."""
    return int.from_bytes(hashlib.sha256("|".join(parts).encode("utf-8")).digest()[:8], "big")


def leftovers(folder: Path) -> list[str]:
    """Hidden staging folders (``.NAME.partial-*``) left next to an output folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ----------------------------------------------------------------------------- happy path


def test_run_prints_where_results_are_and_a_five_line_summary(invoke, city, tmp_path):
    out = tmp_path / "results"
    result = invoke("run", city.path, "--seed", SEED, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"Results written to {out}\n"
        "  applicants:        8\n"
        "  placed:            7 (6 at their first choice)\n"
        "  unplaced:          1\n"
        "  ranked no program: 0\n"
        "  seats:             7 in 4 programs\n"
        "  waitlist entries:  3\n"
    )
    assert "Traceback" not in result.stderr


def test_run_writes_every_output_file_with_its_documented_header(invoke, city, tmp_path):
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", SEED, "--out", out).exit_code == 0
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES
    for name, header in HEADERS.items():
        assert (out / name).read_text(encoding="utf-8").split("\n")[0] == header
    assert leftovers(tmp_path) == []


def test_run_places_applicants_by_priority_then_lottery(invoke, city, tmp_path):
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", SEED, "--out", out).exit_code == 0
    placed = {
        a: (r["status"], r["program_id"], r["choice_rank"], r["priority"])
        for a, r in by_applicant(out).items()
    }
    assert placed == {
        "A1": ("placed", "ELM-K", "1", "sibling+zone"),
        "A2": ("unplaced", "", "", ""),
        "A3": ("placed", "ELM-K", "2", "zone"),
        "A4": ("placed", "OAK-K", "1", "sibling"),
        "A5": ("placed", "RIV-1", "1", "continuing"),
        "A6": ("placed", "ELM-1", "1", "zone"),
        "A7": ("placed", "ELM-1", "1", "sibling+zone"),
        "A8": ("placed", "RIV-1", "1", "zone"),
    }
    waitlists = [
        (r["program_id"], r["position"], r["applicant_id"], r["priority"])
        for r in rows(out / "waitlists.csv")
    ]
    # At OAK-K both are "general": the lower lottery number goes first.
    first, second = sorted(["A2", "A3"], key=lambda a: seeded_number(SEED, a))
    assert waitlists == [
        ("ELM-K", "1", "A2", "general"),
        ("OAK-K", "1", first, "general"),
        ("OAK-K", "2", second, "general"),
    ]


def test_choice_results_explain_every_ranked_choice(invoke, city, tmp_path):
    """The example of docs/outputs.md: one row per row of choices.csv, with its result,
    the applicant's priority, the waitlist position and the program's cutoff."""
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", SEED, "--out", out).exit_code == 0
    assert (out / "choice_results.csv").read_text(encoding="utf-8") == (
        "applicant_id,rank,program_id,result,priority,waitlist_position,cutoff_priority,"
        "cutoff_lottery_rank\n"
        "A1,1,ELM-K,placed,sibling+zone,,zone,7\n"
        "A1,2,OAK-K,not_considered,general,,sibling,5\n"
        "A2,1,ELM-K,waitlisted,general,1,zone,7\n"
        "A2,2,OAK-K,waitlisted,general,1,sibling,5\n"
        "A3,1,OAK-K,waitlisted,general,2,sibling,5\n"
        "A3,2,ELM-K,placed,zone,,zone,7\n"
        "A4,1,OAK-K,placed,sibling,,sibling,5\n"
        "A5,1,RIV-1,placed,continuing,,zone,6\n"
        "A5,2,ELM-1,not_considered,general,,zone,4\n"
        "A6,1,ELM-1,placed,zone,,zone,4\n"
        "A6,2,RIV-1,not_considered,general,,zone,6\n"
        "A7,1,ELM-1,placed,sibling+zone,,zone,4\n"
        "A7,2,RIV-1,not_considered,sibling,,zone,6\n"
        "A8,1,RIV-1,placed,zone,,zone,6\n"
    )
    documented = (Path(__file__).parents[2] / "docs" / "outputs.md").read_text(encoding="utf-8")
    example = documented.split("## `choice_results.csv`")[1].split("```csv\n")[1].split("```")[0]
    assert (out / "choice_results.csv").read_text(encoding="utf-8").startswith(example)


def test_lottery_numbers_follow_the_published_formula(invoke, city, tmp_path):
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", SEED, "--out", out).exit_code == 0
    placements = by_applicant(out)
    numbers = {a: seeded_number(SEED, a) for a in placements}
    assert {a: int(r["lottery_number"]) for a, r in placements.items()} == numbers
    in_order = sorted(numbers, key=lambda a: (numbers[a], a))
    assert {a: int(r["lottery_rank"]) for a, r in placements.items()} == {
        a: in_order.index(a) + 1 for a in numbers
    }


def test_manifest_records_seed_policy_and_hashes_without_timestamps(invoke, city, tmp_path):
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", SEED, "--out", out).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == SEED
    assert manifest["lottery"]["tiebreak"] == "single"
    assert manifest["lottery"]["source"] == "seed"
    assert manifest["policy"] == {
        "priority": {"order": ["continuing", "sibling+zone", "sibling", "zone"]},
        "lottery": {"tiebreak": "single"},
        "reserves": {"precedence": "reserved_first", "unfilled": "open"},
        "families": {"max_iterations": 10},
        "rounds": {"tiebreak": "same", "accept_ends_waiting": False, "respond_by": ""},
    }
    assert manifest["engine"]["version"] == __version__
    assert manifest["inputs"] == {
        name: sha256(city.path / name) for name in ("applicants.csv", "choices.csv", "programs.csv")
    }
    assert manifest["outputs"] == {name: sha256(out / name) for name in HEADERS}
    assert manifest["counts"]["applicants"] == 8
    assert manifest["counts"]["placed"] == 7
    text = (out / "manifest.json").read_text(encoding="utf-8")
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", text)
    assert not re.search(r'"[^"]*(time|date|created|generated)[^"]*":', text, re.IGNORECASE)


def test_same_seed_gives_byte_identical_output_folders(invoke, city, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert invoke("run", city.path, "--seed", SEED, "--out", first).exit_code == 0
    assert invoke("run", city.path, "--seed", SEED, "--out", second).exit_code == 0
    for name in OUTPUT_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_a_different_seed_gives_different_lottery_numbers(invoke, city, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert invoke("run", city.path, "--seed", SEED, "--out", first).exit_code == 0
    assert invoke("run", city.path, "--seed", "another", "--out", second).exit_code == 0
    assert (first / "placements.csv").read_bytes() != (second / "placements.csv").read_bytes()
    assert json.loads((second / "manifest.json").read_text())["seed"] == "another"


# ----------------------------------------------------------------------------- output folder


def test_existing_output_folder_with_files_is_refused_and_left_untouched(invoke, city, tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "placements.csv").write_text("last year's results\n")
    (out / "notes.txt").write_text("keep me\n")
    result = invoke("run", city.path, "--seed", SEED, "--out", out)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"The output folder {out.resolve()} already has files in it. Results are never "
        "overwritten silently: choose a new folder, or add --force to replace it."
    ]
    assert result.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "placements.csv"]
    assert (out / "placements.csv").read_text() == "last year's results\n"
    assert leftovers(tmp_path) == []


def test_force_replaces_an_existing_output_folder(invoke, city, tmp_path):
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", "last year", "--out", out).exit_code == 0
    before = (out / "placements.csv").read_bytes()
    result = invoke("run", city.path, "--seed", SEED, "--out", out, "--force")
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES
    assert (out / "placements.csv").read_bytes() != before
    assert leftovers(tmp_path) == []


def test_force_refuses_a_folder_that_holds_no_lottery_results(invoke, city, tmp_path):
    documents = tmp_path / "Documents"
    documents.mkdir()
    (documents / "budget.xlsx").write_text("precious\n")
    result = invoke("run", city.path, "--seed", SEED, "--out", documents, "--force")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"--force replaces only a folder of lottery results, and {documents} has no "
        "manifest.json written by lottery. Nothing was replaced: choose a new folder for the "
        "results."
    ]
    assert sorted(p.name for p in documents.iterdir()) == ["budget.xlsx"]


def test_force_on_bad_input_keeps_the_old_results(invoke, city, tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "placements.csv").write_text("last year's results\n")
    city.replace_line("choices.csv", 3, "A1,2,NOPE-K")
    result = invoke("run", city.path, "--seed", SEED, "--out", out, "--force")
    assert result.exit_code == 2
    assert (out / "placements.csv").read_text() == "last year's results\n"
    assert leftovers(tmp_path) == []


def test_an_empty_existing_output_folder_is_accepted(invoke, city, tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    result = invoke("run", city.path, "--seed", SEED, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES


def test_output_folder_in_a_new_parent_is_created(invoke, city, tmp_path):
    out = tmp_path / "spring" / "round-1"
    assert invoke("run", city.path, "--seed", SEED, "--out", out).exit_code == 0
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES


def test_output_folder_equal_to_the_input_folder_is_refused(invoke, city):
    before = {p.name: p.read_bytes() for p in city.path.iterdir()}
    result = invoke("run", city.path, "--seed", SEED, "--out", city.path, "--force")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"The output folder {city.path.resolve()} is (or contains) the input folder; "
        "choose a separate folder for the results."
    ]
    assert {p.name: p.read_bytes() for p in city.path.iterdir()} == before
    assert leftovers(city.path.parent) == []


def test_output_folder_containing_the_input_folder_is_refused(invoke, city):
    result = invoke("run", city.path, "--seed", SEED, "--out", city.path.parent, "--force")
    assert result.exit_code == 2
    assert "is (or contains) the input folder" in result.stderr
    assert city.read("programs.csv").startswith("program_id,")


def test_output_path_that_is_a_file_is_refused(invoke, city, tmp_path):
    out = tmp_path / "results.csv"
    out.write_text("not a folder\n")
    result = invoke("run", city.path, "--seed", SEED, "--out", out, "--force")
    assert result.exit_code == 2
    assert out.read_text() == "not a folder\n"


def fail_on_second_file(monkeypatch) -> None:
    """Make writing the second output file fail, as a full disk would."""
    real = writers.write_csv
    written = []

    def write_csv(path, table):
        if written:
            raise OSError(28, "No space left on device")
        written.append(path)
        return real(path, table)

    monkeypatch.setattr(writers, "write_csv", write_csv)


def test_a_full_disk_is_a_plain_message_and_leaves_no_output_folder(
    invoke, city, tmp_path, monkeypatch
):
    fail_on_second_file(monkeypatch)
    out = tmp_path / "results"
    result = invoke("run", city.path, "--seed", SEED, "--out", out)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("The disk is full")
    assert "nothing was written" in result.stderr
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_a_failed_write_with_force_keeps_the_old_results(invoke, city, tmp_path, monkeypatch):
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", "last year", "--out", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    fail_on_second_file(monkeypatch)
    result = invoke("run", city.path, "--seed", SEED, "--out", out, "--force")
    assert result.exit_code == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- seed and lottery


def test_missing_seed_without_lottery_file_is_a_usage_error(invoke, city, tmp_path):
    out = tmp_path / "results"
    result = invoke("run", city.path, "--out", out)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "A lottery needs its published seed: pass --seed (or provide lottery.csv)."
    )
    assert not out.exists()
    assert leftovers(tmp_path) == []


APPLICANT_WIDE_LOTTERY = """\
applicant_id,lottery_number
A1,50
A2,10
A3,80
A4,20
A5,40
A6,70
A7,30
A8,60
"""


def test_seed_together_with_lottery_file_is_refused(invoke, city, tmp_path):
    city.write("lottery", APPLICANT_WIDE_LOTTERY)
    out = tmp_path / "results"
    result = invoke("run", city.path, "--seed", SEED, "--out", out)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "lottery.csv is present, so the lottery numbers come from that file; "
        "run again without --seed (or remove lottery.csv to draw numbers from the seed)."
    )
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_applicant_wide_lottery_file_replaces_the_seed(invoke, city, tmp_path):
    city.write("lottery", APPLICANT_WIDE_LOTTERY)
    out = tmp_path / "results"
    result = invoke("run", city.path, "--out", out)
    assert result.exit_code == 0, result.stderr
    placements = by_applicant(out)
    assert {a: r["lottery_number"] for a, r in placements.items()} == {
        "A1": "50",
        "A2": "10",
        "A3": "80",
        "A4": "20",
        "A5": "40",
        "A6": "70",
        "A7": "30",
        "A8": "60",
    }
    assert {a: r["lottery_rank"] for a, r in placements.items()} == {
        "A1": "5",
        "A2": "1",
        "A3": "8",
        "A4": "2",
        "A5": "4",
        "A6": "7",
        "A7": "3",
        "A8": "6",
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == "external lottery"
    assert manifest["lottery"]["source"] == "lottery.csv"
    assert manifest["lottery"]["tiebreak"] == "single"
    assert manifest["inputs"]["lottery.csv"] == sha256(city.file("lottery"))


def test_equal_external_numbers_fall_back_to_applicant_id(invoke, city, tmp_path):
    city.write(
        "lottery",
        "applicant_id,lottery_number\n" + "".join(f"A{i},7\n" for i in (8, 7, 6, 5, 4, 3, 2, 1)),
    )
    out = tmp_path / "results"
    assert invoke("run", city.path, "--out", out).exit_code == 0
    ranks = {a: r["lottery_rank"] for a, r in by_applicant(out).items()}
    assert ranks == {f"A{i}": str(i) for i in range(1, 9)}


# Nobody has staff priority in kindergarten, so the per-program numbers decide alone:
# A3 displaces A1 at ELM-K (20 < 30), A1 then displaces A4 at OAK-K (5 < 20).
PER_PROGRAM_POLICY = '[priority]\norder = ["staff"]\n'
PER_PROGRAM_LOTTERY = """\
applicant_id,program_id,lottery_number
A1,ELM-K,30
A1,OAK-K,5
A2,ELM-K,10
A2,OAK-K,40
A3,OAK-K,30
A3,ELM-K,20
A4,OAK-K,20
A5,RIV-1,1
A5,ELM-1,2
A6,ELM-1,3
A6,RIV-1,4
A7,ELM-1,5
A7,RIV-1,6
A8,RIV-1,7
"""


def test_per_program_lottery_numbers_are_used_at_each_program(invoke, city, tmp_path):
    city.write("policy", PER_PROGRAM_POLICY).write("lottery", PER_PROGRAM_LOTTERY)
    out = tmp_path / "results"
    result = invoke("run", city.path, "--out", out)
    assert result.exit_code == 0, result.stderr
    placed = {
        a: (r["status"], r["program_id"], r["lottery_number"])
        for a, r in by_applicant(out).items()
        if a in ("A1", "A2", "A3", "A4")
    }
    assert placed == {
        "A1": ("placed", "OAK-K", "5"),
        "A2": ("placed", "ELM-K", "10"),
        "A3": ("placed", "ELM-K", "20"),
        "A4": ("unplaced", "", ""),
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == "external lottery"
    assert manifest["lottery"]["tiebreak"] == "multiple"
    waitlist = [
        (r["program_id"], r["applicant_id"], r["lottery_rank"])
        for r in rows(out / "waitlists.csv")
        if r["program_id"] == "OAK-K"
    ]
    assert waitlist == [("OAK-K", "A4", "2"), ("OAK-K", "A3", "3")]


# ----------------------------------------------------------------------------- priorities, policy


def test_priorities_file_overrides_the_computed_priority(invoke, city, tmp_path):
    # A2 has no priority at ELM-K; an explicit 1 puts her ahead of A1 (sibling+zone = 2)
    # and A3 (zone = 4), so A3 loses her seat instead.
    city.write("priorities", "applicant_id,program_id,priority\nA2,ELM-K,1\n")
    out = tmp_path / "results"
    result = invoke("run", city.path, "--seed", SEED, "--out", out)
    assert result.exit_code == 0, result.stderr
    placements = by_applicant(out)
    assert placements["A2"]["program_id"] == "ELM-K"
    assert placements["A2"]["priority"] == "explicit:1"
    assert placements["A1"]["program_id"] == "ELM-K"
    assert placements["A1"]["priority"] == "sibling+zone"
    assert placements["A3"]["status"] == "unplaced"
    waitlist = [
        (r["applicant_id"], r["priority"])
        for r in rows(out / "waitlists.csv")
        if r["program_id"] == "ELM-K"
    ]
    assert waitlist == [("A3", "zone")]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["priorities.csv"] == sha256(city.file("priorities"))


def test_policy_file_sets_tiebreak_and_priority_order(invoke, city, tmp_path):
    city.write(
        "policy",
        '[priority]\norder = ["staff", "zone", "sibling"]\n\n[lottery]\ntiebreak = "multiple"\n',
    )
    out = tmp_path / "results"
    result = invoke("run", city.path, "--seed", SEED, "--out", out)
    assert result.exit_code == 0, result.stderr
    placements = by_applicant(out)
    labels = {a: r["priority"] for a, r in placements.items() if r["status"] == "placed"}
    assert labels["A6"] == "staff"  # staff child at ELM (zone N also holds; staff is first)
    assert labels["A7"] == "zone"  # zone E and a sibling at ELM: zone comes first now
    assert labels["A5"] == "zone"  # continuing is no longer a tier; zone S is
    assert labels["A4"] == "sibling"
    for applicant, row in placements.items():
        if row["status"] == "placed":
            expected = seeded_number(SEED, applicant, row["program_id"])
            assert int(row["lottery_number"]) == expected, applicant
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["policy"] == {
        "priority": {"order": ["staff", "zone", "sibling"]},
        "lottery": {"tiebreak": "multiple"},
        "reserves": {"precedence": "reserved_first", "unfilled": "open"},
        "families": {"max_iterations": 10},
        "rounds": {"tiebreak": "same", "accept_ends_waiting": False, "respond_by": ""},
    }
    assert manifest["lottery"]["tiebreak"] == "multiple"
    assert manifest["seed"] == SEED
    assert manifest["inputs"]["policy.toml"] == sha256(city.file("policy"))


def test_applicants_matching_no_tier_get_general_priority(invoke, city, tmp_path):
    city.write("policy", '[priority]\norder = ["continuing"]\n')
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", SEED, "--out", out).exit_code == 0
    labels = {a: r["priority"] for a, r in by_applicant(out).items() if r["status"] == "placed"}
    assert labels.pop("A5") == "continuing"
    assert set(labels.values()) == {"general"}


# ----------------------------------------------------------------------------- help and version


def test_python_dash_m_lottery_shows_help():
    result = subprocess.run(
        [sys.executable, "-m", "lottery", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: lottery ")
    assert "run" in result.stdout and "validate" in result.stdout


def test_top_level_help_lists_every_command(invoke):
    result = invoke("--help")
    assert result.exit_code == 0
    for command in cli.commands:
        assert command in result.stdout


def test_version_option_prints_the_engine_version(invoke):
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"lottery, version {__version__}\n"
