"""The synthetic-city generator (``lottery synth``): deterministic, valid, realistic in shape.

Cities here are small (a few thousand applicants at most) so the whole file runs in a
few seconds; the calibration against the real engine at 10k-1M applicants is recorded
in the docstring of :mod:`lottery.synth`.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd
import pytest

from lottery.engine import run_lottery, validate_input
from lottery.errors import UsageError
from lottery.io.readers import GRADES
from lottery.synth import generate_city

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "city"
CSV_FILES = ("programs.csv", "applicants.csv", "choices.csv")


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def file_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in CSV_FILES}


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    """A 3,000-applicant, 30-school city with lists of up to 8 programs."""
    folder = tmp_path_factory.mktemp("synth") / "city"
    generate_city(folder, applicants=3000, schools=30, max_choices=8, seed=11)
    return folder


@pytest.fixture(scope="module")
def tables(city: Path) -> dict[str, pd.DataFrame]:
    return {name.removesuffix(".csv"): read(city, name) for name in CSV_FILES}


# ----------------------------------------------------------------------------- determinism


def test_same_seed_gives_byte_identical_files(tmp_path):
    for name in ("one", "two"):
        generate_city(tmp_path / name, applicants=400, schools=12, max_choices=5, seed=3)
    assert file_bytes(tmp_path / "one") == file_bytes(tmp_path / "two")


def test_different_seed_gives_a_different_city(tmp_path):
    generate_city(tmp_path / "one", applicants=400, schools=12, seed=3)
    generate_city(tmp_path / "two", applicants=400, schools=12, seed=4)
    one, two = file_bytes(tmp_path / "one"), file_bytes(tmp_path / "two")
    assert all(one[name] != two[name] for name in CSV_FILES)


def test_example_city_is_what_its_readme_command_writes(tmp_path, invoke):
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    command = re.search(r"^lottery synth examples/city (.*)$", readme, re.M)
    assert command, "examples/city/README.md shows no `lottery synth examples/city` command"
    options = [arg for arg in shlex.split(command.group(1)) if arg != "--force"]
    result = invoke("synth", tmp_path / "city", *options)
    assert result.exit_code == 0, result.stderr
    assert file_bytes(tmp_path / "city") == file_bytes(EXAMPLE)


# ----------------------------------------------------------------------------- validity


def test_output_passes_validation_and_matches_the_summary(tmp_path):
    summary = generate_city(tmp_path / "city", applicants=1500, schools=20, max_choices=12, seed=5)
    report = validate_input(tmp_path / "city")
    assert report.counts == {
        "programs": summary.programs,
        "schools": summary.schools,
        "seats": summary.seats,
        "applicants": summary.applicants,
        "choices": summary.choices,
    }


def test_tiny_cities_are_valid(tmp_path):
    for schools, applicants in ((1, 1), (1, 5), (2, 30), (5, 3)):
        folder = tmp_path / f"city-{schools}-{applicants}"
        generate_city(folder, applicants=applicants, schools=schools, seed=1)
        assert validate_input(folder).counts["applicants"] == applicants


def test_ids_have_the_documented_form(tables):
    assert tables["applicants"]["applicant_id"].str.fullmatch(r"A\d{6}").all()
    assert tables["programs"]["school_id"].str.fullmatch(r"S\d{3}").all()
    programs = tables["programs"]
    expected = programs["school_id"] + "-" + programs["grade"]
    is_strand = programs["program_id"].str.endswith("-DL")
    assert (programs["program_id"] == expected.where(~is_strand, expected + "-DL")).all()


# ----------------------------------------------------------------------------- shape


def test_about_a_third_of_schools_are_charters(tables):
    sector = tables["programs"].drop_duplicates("school_id")["sector"]
    assert set(sector) == {"charter", "district"}
    assert (sector == "charter").sum() == 10  # round(30 / 3)


def test_district_schools_serve_their_zone_and_charters_the_whole_city(tables):
    programs = tables["programs"]
    charter = programs["sector"] == "charter"
    assert (programs.loc[charter, "zones"] == "").all()
    assert programs.loc[~charter, "zones"].str.fullmatch(r"Z\d{2}").all()
    assert programs.loc[~charter, "zones"].nunique() == 5  # round(sqrt(30))
    # One zone per school, whatever its grades.
    assert (programs.loc[~charter].groupby("school_id")["zones"].nunique() == 1).all()


def test_schools_teach_several_grades_and_some_run_a_dual_language_strand(tables):
    programs = tables["programs"]
    grades_per_school = programs.groupby("school_id")["grade"].nunique()
    assert grades_per_school.min() >= 3
    assert set(programs["grade"]) == set(GRADES)
    strands = programs[programs["program_id"].str.endswith("-DL")]
    assert 1 <= strands["school_id"].nunique() <= 6
    assert not strands["grade"].isin(["9", "10", "11", "12"]).any()


def test_about_a_fifth_of_applicants_have_a_sibling(tables):
    applicants = tables["applicants"]
    share = (applicants["sibling_school_ids"] != "").mean()
    assert 0.17 <= share <= 0.23
    two = applicants["sibling_school_ids"].str.contains(";")
    assert two.any()
    pairs = applicants.loc[two, "sibling_school_ids"].str.split(";")
    assert all(len(set(pair)) == 2 and pair == sorted(pair) for pair in pairs)


def test_continuing_students_mostly_rank_their_school(tables):
    applicants, choices, programs = tables["applicants"], tables["choices"], tables["programs"]
    offered = programs[["school_id", "grade"]].drop_duplicates()
    continuing = applicants.merge(
        offered, left_on=["current_school_id", "grade"], right_on=["school_id", "grade"]
    )
    assert 0.2 <= len(continuing) / len(applicants) <= 0.5
    ranked = choices.merge(programs[["program_id", "school_id"]], on="program_id")
    own_school = ranked.merge(continuing, on=["applicant_id", "school_id"])
    assert own_school["applicant_id"].nunique() >= 0.5 * len(continuing)


def test_applicants_rank_only_programs_of_their_own_grade(tables):
    choices = tables["choices"].merge(tables["programs"][["program_id", "grade"]], on="program_id")
    choices = choices.merge(tables["applicants"][["applicant_id", "grade"]], on="applicant_id")
    assert (choices["grade_x"] == choices["grade_y"]).all()


def test_list_lengths_vary_up_to_the_maximum(tables):
    applicants, choices = tables["applicants"], tables["choices"]
    length = choices.groupby("applicant_id").size()
    length = length.reindex(applicants["applicant_id"], fill_value=0)
    assert length.max() == 8
    assert set(range(1, 9)) <= set(length)
    assert 0.005 <= (length == 0).mean() <= 0.05  # a few rank nothing
    ranks = choices.groupby("applicant_id")["rank"].apply(lambda r: sorted(map(int, r)))
    assert all(r == list(range(1, len(r) + 1)) for r in ranks)


def test_home_languages_are_mostly_english_with_names_to_match(tables):
    applicants = tables["applicants"]
    share = applicants["language"].value_counts(normalize=True)
    assert set(share.index) == {"en", "es", "pt", "vi"}
    assert 0.7 <= share["en"] <= 0.85
    guardian_last = applicants["guardian_name"].str.split(" ").str[-1]
    assert (guardian_last == applicants["last_name"].str.split(" ").str[-1]).all()
    # Plain cells: nothing that needs quoting, so the fast CSV reader can take the files.
    assert not applicants.apply(lambda row: any(c in "".join(row) for c in '",'), axis=1).any()


def test_seats_give_about_half_their_first_choice_and_leave_some_unplaced(city, tmp_path):
    counts = run_lottery(city, tmp_path / "out", "test").counts
    first = counts["placed_first_choice"] / counts["applicants"]
    unplaced = counts["unplaced"] / counts["applicants"]
    assert 0.4 <= first <= 0.7
    assert 0.05 <= unplaced <= 0.2


def test_only_the_chosen_grades_get_programs_and_applicants(tmp_path):
    generate_city(tmp_path / "city", applicants=300, schools=12, grades=["k", "9"], seed=2)
    assert set(read(tmp_path / "city", "programs.csv")["grade"]) == {"K", "9"}
    applicants = read(tmp_path / "city", "applicants.csv")
    assert set(applicants["grade"]) == {"K", "9"}
    # Kindergartners can still come from a school's pre-K program, which holds no lottery.
    assert (applicants.loc[applicants["grade"] == "K", "current_school_id"] != "").any()
    validate_input(tmp_path / "city")


def test_progress_counts_up_to_the_number_of_applicants(tmp_path):
    calls = []
    generate_city(
        tmp_path / "city",
        applicants=120_000,
        schools=12,
        max_choices=2,
        seed=1,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(50_000, 120_000), (100_000, 120_000), (120_000, 120_000)]


# ----------------------------------------------------------------------------- output folder


def test_a_folder_with_files_is_refused_and_left_alone(tmp_path):
    folder = tmp_path / "city"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="already has files in it"):
        generate_city(folder, applicants=10, schools=3)
    assert [p.name for p in tmp_path.iterdir()] == ["city"]  # no staging folder left
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_force_replaces_the_city_and_keeps_the_policy(tmp_path):
    folder = tmp_path / "city"
    generate_city(folder, applicants=50, schools=6, seed=1)
    (folder / "policy.toml").write_text('[lottery]\ntiebreak = "multiple"\n')
    (folder / "lottery.csv").write_text("applicant_id,lottery_number\nA000001,5\n")
    generate_city(folder, applicants=80, schools=6, seed=2, force=True)
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == ["applicants.csv", "choices.csv", "policy.toml", "programs.csv"]
    assert len(read(folder, "applicants.csv")) == 80
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city"]


# ----------------------------------------------------------------------------- command line


def test_synth_command_writes_a_city_and_summarises_it(invoke, tmp_path):
    result = invoke(
        "synth", tmp_path / "city", "--applicants", 200, "--schools", 9, "--choices", 4, "--seed", 8
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"Synthetic city written to {tmp_path / 'city'}"
    assert "  schools:     9 (3 charter) in 3 zones" in result.stdout
    assert re.search(r"^  applicants:  200 \(\d+ with a sibling", result.stdout, re.M)
    assert result.stderr == ""
    assert invoke("validate", tmp_path / "city").exit_code == 0
    lengths = read(tmp_path / "city", "choices.csv").groupby("applicant_id").size()
    assert lengths.max() == 4


def test_synth_command_refuses_a_folder_with_files(invoke, tmp_path):
    folder = tmp_path / "city"
    assert invoke("synth", folder, "--applicants", 20, "--schools", 3).exit_code == 0
    before = file_bytes(folder)
    result = invoke("synth", folder, "--applicants", 30, "--schools", 3, "--seed", 1)
    assert result.exit_code == 2
    assert result.stderr == (
        f"The folder {folder} already has files in it. Choose a new folder, or add --force "
        "to replace its programs.csv, applicants.csv and choices.csv.\n"
    )
    assert file_bytes(folder) == before
    forced = invoke("synth", folder, "--applicants", 30, "--schools", 3, "--seed", 1, "--force")
    assert forced.exit_code == 0
    assert file_bytes(folder) != before


def test_synth_command_rejects_an_unknown_grade(invoke, tmp_path):
    folder = tmp_path / "city"
    result = invoke("synth", folder, "--applicants", 20, "--schools", 3, "--grades", "K,13")
    assert result.exit_code == 2
    assert result.stderr == '"13" is not a grade: use PK, K or 1 to 12, separated by commas.\n'
    assert not folder.exists()
