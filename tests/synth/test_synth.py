"""The synthetic-city generator (``lottery synth``): deterministic, valid, realistic in shape.

Cities here are small (a few thousand applicants at most) so the whole file runs in a
few seconds; the calibration against the real engine at 10k-1M applicants is recorded
in the docstring of :mod:`lottery.synth`. Cities have the seat policy of
docs/seat-policy.md (tags, coordinates, families, guarantees, the zone guarantee,
special-education programs, held seats, reserves.csv) unless made with
``seat_policy=False``, which gives the plain city of earlier versions byte for byte.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lottery.engine import run_lottery, validate_input
from lottery.errors import UsageError
from lottery.io.inputs import GRADES
from lottery.synth import (
    ADMINISTRATIVE_GRADES,
    SPECIAL_EDUCATION_CLASS,
    ZONE_GUARANTEE_COVER,
    generate_city,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city"
PLAIN_FILES = ("programs.csv", "applicants.csv", "choices.csv")
RECORD = ".synthetic-city.json"  # what --force checks before replacing a city
CSV_FILES = (*PLAIN_FILES, "reserves.csv")
PLAIN_APPLICANT_COLUMNS = [
    "applicant_id",
    "first_name",
    "last_name",
    "grade",
    "zone",
    "current_school_id",
    "sibling_school_ids",
    "staff_school_id",
    "language",
    "guardian_name",
    "address",
]
PLAIN_PROGRAM_COLUMNS = [
    "program_id",
    "school_id",
    "school_name",
    "sector",
    "grade",
    "seats",
    "zones",
]


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def file_bytes(folder: Path, names=CSV_FILES) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in names}


def in_families(applicants: pd.DataFrame) -> pd.Series:
    return applicants["family_id"] != ""


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    """A 3,000-applicant, 30-school city with lists of up to 8 programs."""
    folder = tmp_path_factory.mktemp("synth") / "city"
    generate_city(folder, applicants=3000, schools=30, max_choices=8, seed=11)
    return folder


@pytest.fixture(scope="module")
def tables(city: Path) -> dict[str, pd.DataFrame]:
    return {name.removesuffix(".csv"): read(city, name) for name in CSV_FILES}


@pytest.fixture(scope="module")
def outcome(city: Path, tmp_path_factory) -> tuple[dict[str, int], dict[str, pd.DataFrame]]:
    """The engine's counts and output tables for the module's city."""
    out = tmp_path_factory.mktemp("synth-run") / "out"
    counts = run_lottery(city, out, "test").counts
    names = ("placements", "choice_results", "reserve_report")
    return counts, {name: read(out, f"{name}.csv") for name in names}


# ----------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("seat_policy", [True, False])
def test_same_seed_gives_byte_identical_files(tmp_path, seat_policy):
    for name in ("one", "two"):
        generate_city(
            tmp_path / name,
            applicants=400,
            schools=12,
            max_choices=5,
            seed=3,
            seat_policy=seat_policy,
        )
    names = CSV_FILES if seat_policy else PLAIN_FILES
    assert file_bytes(tmp_path / "one", names) == file_bytes(tmp_path / "two", names)


def test_different_seed_gives_a_different_city(tmp_path):
    generate_city(tmp_path / "one", applicants=400, schools=12, seed=3)
    generate_city(tmp_path / "two", applicants=400, schools=12, seed=4)
    one, two = file_bytes(tmp_path / "one"), file_bytes(tmp_path / "two")
    assert all(one[name] != two[name] for name in CSV_FILES)


def test_without_seat_policy_the_city_is_the_plain_city_of_earlier_versions(tmp_path):
    folder = tmp_path / "city"
    generate_city(folder, applicants=400, schools=12, max_choices=5, seed=3, seat_policy=False)
    assert sorted(p.name for p in folder.iterdir()) == sorted((*PLAIN_FILES, RECORD))
    digest = hashlib.sha256(b"".join(file_bytes(folder, PLAIN_FILES).values())).hexdigest()
    # The three files as the generator wrote them before it had a seat policy.
    assert digest == "35cf906981cafa1e4af26814d9adeb28c0fccc3d5cd4a05bf8684df4be86028b"


def test_the_seat_policy_leaves_the_plain_draws_alone(tmp_path):
    """Its draws come from a second stream: applicants outside families are the same
    people, and the same schools are in the same places, with or without it."""
    generate_city(tmp_path / "plain", applicants=800, schools=12, seed=6, seat_policy=False)
    generate_city(tmp_path / "policy", applicants=800, schools=12, seed=6)
    plain, policy = (
        read(tmp_path / "plain", "applicants.csv"),
        read(tmp_path / "policy", "applicants.csv"),
    )
    alone = ~in_families(policy)
    assert 0.9 <= alone.mean() < 1
    assert policy.loc[alone, PLAIN_APPLICANT_COLUMNS].equals(
        plain.loc[alone, PLAIN_APPLICANT_COLUMNS]
    )
    plain_programs = read(tmp_path / "plain", "programs.csv")
    policy_programs = read(tmp_path / "policy", "programs.csv").set_index("program_id")
    same = policy_programs.loc[plain_programs["program_id"], ["school_id", "school_name", "zones"]]
    assert (
        same.to_numpy() == plain_programs[["school_id", "school_name", "zones"]].to_numpy()
    ).all()


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
    expected = {
        "programs": summary.programs,
        "schools": summary.schools,
        "seats": summary.seats,
        "applicants": summary.applicants,
        "choices": summary.choices,
    }
    assert {name: report.counts[name] for name in expected} == expected
    assert summary.guaranteed == report.counts["guaranteed"] > 0
    assert summary.reserves == len(read(tmp_path / "city", "reserves.csv")) > 0
    applicants = read(tmp_path / "city", "applicants.csv")
    assert summary.families == applicants.loc[in_families(applicants), "family_id"].nunique() > 0
    # synth and validate count families the same way (they once said 2,451 and 2,219).
    assert summary.families == report.counts["families"]
    assert summary.linked_families == report.counts["linked"] < summary.families


def test_plain_output_passes_validation_and_matches_the_summary(tmp_path):
    summary = generate_city(
        tmp_path / "city", applicants=1500, schools=20, max_choices=12, seed=5, seat_policy=False
    )
    report = validate_input(tmp_path / "city")
    assert report.counts == {
        "programs": summary.programs,
        "schools": summary.schools,
        "seats": summary.seats,
        "applicants": summary.applicants,
        "choices": summary.choices,
    }
    assert (summary.families, summary.guaranteed, summary.reserves) == (0, 0, 0)


@pytest.mark.parametrize("seat_policy", [True, False])
def test_tiny_cities_are_valid(tmp_path, seat_policy):
    for schools, applicants in ((1, 1), (1, 5), (2, 30), (5, 3)):
        folder = tmp_path / f"city-{schools}-{applicants}"
        generate_city(
            folder, applicants=applicants, schools=schools, seed=1, seat_policy=seat_policy
        )
        assert validate_input(folder).counts["applicants"] == applicants


def test_ids_have_the_documented_form(tables):
    assert tables["applicants"]["applicant_id"].str.fullmatch(r"A\d{6}").all()
    assert tables["programs"]["school_id"].str.fullmatch(r"S\d{3}").all()
    programs = tables["programs"]
    expected = programs["school_id"] + "-" + programs["grade"]
    suffix = pd.Series(
        [i.removeprefix(e) for i, e in zip(programs["program_id"], expected, strict=True)]
    )
    assert (programs["program_id"] == expected + suffix).all()
    assert set(suffix) == {"", "-DL", "-SE"}
    assert tables["applicants"]["family_id"].str.fullmatch(r"(F\d{6})?").all()


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


# ----------------------------------------------------------------------------- seat policy


def has_tag(applicants: pd.DataFrame, tag: str) -> pd.Series:
    return applicants["tags"].str.split(";").apply(lambda tags: tag in tags)


def offered_seats(programs: pd.DataFrame) -> pd.Series:
    held = programs["held_seats"].replace("", "0").astype(int)
    return (programs["seats"].astype(int) - held).set_axis(programs["program_id"])


def test_applicants_carry_tags_in_about_the_documented_shares(tables):
    applicants = tables["applicants"]
    frl, ell, iep = (has_tag(applicants, tag) for tag in ("frl", "ell", "iep"))
    assert 0.38 <= frl.mean() <= 0.52
    assert 0.11 <= ell.mean() <= 0.19
    assert 0.09 <= iep.mean() <= 0.15
    english = applicants["language"] == "en"
    assert ell[~english].mean() > 10 * ell[english].mean()  # English learners
    tags = ("ell", "frl", "iep")
    written = {";".join(t for i, t in enumerate(tags) if bits >> i & 1) for bits in range(8)}
    assert set(applicants["tags"]) == written  # every combination, each in sorted order


def test_schools_and_homes_lie_in_a_city_about_ten_miles_across(tables):
    programs, applicants = tables["programs"], tables["applicants"]
    for table in (programs, applicants):
        for column in ("latitude", "longitude"):
            assert table[column].str.fullmatch(r"-?\d+\.\d{5}").all()
    north = applicants["latitude"].astype(float)
    east = applicants["longitude"].astype(float) * np.cos(np.radians(north.mean()))
    assert 7 <= (north.max() - north.min()) * 69 <= 10.5
    assert 7 <= (east.max() - east.min()) * 69 <= 10.5
    # A school's programs are in one place.
    assert (programs.groupby("school_id")[["latitude", "longitude"]].nunique() == 1).all().all()

    def middle(table, zone_column):
        places = pd.DataFrame(
            {
                "zone": table[zone_column],
                "north": table["latitude"].astype(float),
                "east": table["longitude"].astype(float) * np.cos(np.radians(north.mean())),
            }
        )
        return places[places["zone"] != ""].groupby("zone")[["north", "east"]].mean()

    # Homes are near their zone: the middle of a zone's homes is nearest the middle of
    # that zone's (district) schools.
    homes, schools = middle(applicants, "zone"), middle(programs, "zones")
    for zone, home in homes.loc[homes.index.isin(schools.index)].iterrows():
        distance = ((schools - home) ** 2).sum(axis=1)
        assert distance.idxmin() == zone


def test_about_one_applicant_in_twenty_applies_with_a_twin_or_sibling(tables):
    applicants = tables["applicants"]
    members = applicants[in_families(applicants)]
    assert 0.03 <= len(members) / len(applicants) <= 0.07
    sizes = members.groupby("family_id").size()
    assert sizes.min() >= 2
    # One household, applying together: consecutive IDs, one guardian, one home.
    for column in ("last_name", "guardian_name", "address", "zone", "latitude", "longitude"):
        assert (members.groupby("family_id")[column].nunique() == 1).all(), column
    rows = members.index.to_series().groupby(members["family_id"])
    assert ((rows.max() - rows.min() + 1) == sizes).all()
    # A few families are not linked, always as a whole.
    link = members.groupby("family_id")["link_family"].agg(
        lambda cells: "".join(sorted(set(cells)))
    )
    assert set(link) == {"", "false"}
    assert 0 < (link == "false").mean() <= 0.25
    assert (applicants.loc[~in_families(applicants), "link_family"] == "").all()


def test_twins_rank_the_same_list_and_siblings_the_same_schools(tables):
    applicants, choices, programs = tables["applicants"], tables["choices"], tables["programs"]
    members = applicants[in_families(applicants)]
    lists = choices.groupby("applicant_id")["program_id"].agg(tuple)
    one_grade = members.groupby("family_id")["grade"].transform("nunique") == 1
    same_list = (
        members[one_grade]
        .groupby("family_id")["applicant_id"]
        .agg(lambda ids: len({lists.get(a, ()) for a in ids}) == 1)
    )
    assert same_list.mean() >= 0.6  # twins; siblings may share a grade by chance
    school_of = programs.set_index("program_id")["school_id"]
    schools = choices.assign(school=school_of.loc[choices["program_id"]].to_numpy())
    schools = schools.groupby("applicant_id")["school"].agg(set)
    several = members[~one_grade]
    shared = several.groupby("family_id")["applicant_id"].agg(
        lambda ids: bool(set.intersection(*(schools.get(a, set()) for a in ids)))
    )
    assert shared.mean() >= 0.3


def test_some_continuing_students_are_guaranteed_their_schools_next_grade(tables):
    applicants, programs = tables["applicants"], tables["programs"]
    guaranteed = applicants[applicants["guaranteed_program_id"] != ""]
    program = programs.set_index("program_id").loc[guaranteed["guaranteed_program_id"]]
    assert (program["school_id"].to_numpy() == guaranteed["current_school_id"].to_numpy()).all()
    assert (program["grade"].to_numpy() == guaranteed["grade"].to_numpy()).all()
    assert not program.index.str.endswith(("-DL", "-SE")).any()
    main = programs[~programs["program_id"].str.endswith(("-DL", "-SE"))]
    continuing = applicants.merge(
        main, left_on=["current_school_id", "grade"], right_on=["school_id", "grade"]
    )
    assert 0.2 <= len(guaranteed) / len(continuing) <= 0.4
    # Never more guarantees than the program offers seats (the reader refuses that).
    count = guaranteed["guaranteed_program_id"].value_counts()
    assert (count <= offered_seats(programs).loc[count.index]).all()


def test_district_programs_of_grades_k_to_5_promise_their_zone_a_seat(tables):
    programs, applicants = tables["programs"], tables["applicants"]
    promised = programs["administrative_zones"] != ""
    expected = (
        (programs["sector"] == "district")
        & programs["grade"].isin(ADMINISTRATIVE_GRADES)
        & ~programs["program_id"].str.endswith(("-DL", "-SE"))
    )
    assert promised.any() and (promised == expected).all()
    assert (programs.loc[promised, "administrative_zones"] == programs.loc[promised, "zones"]).all()
    # ... with seats for nine in ten applicants of the zone and grade.
    seats = programs[promised].astype({"seats": int}).groupby(["zones", "grade"])["seats"].sum()
    people = applicants[applicants["zone"] != ""].groupby(["zone", "grade"]).size()
    people = people[people.index.isin(seats.index)]
    assert (seats.loc[people.index].to_numpy() >= ZONE_GUARANTEE_COVER * people.to_numpy()).all()
    declines = applicants["accepts_administrative"] == "false"
    assert set(applicants["accepts_administrative"]) == {"", "false"}
    assert applicants.loc[declines, "grade"].isin(ADMINISTRATIVE_GRADES).all()
    assert 0.02 <= declines[applicants["grade"].isin(ADMINISTRATIVE_GRADES)].mean() <= 0.1


def test_small_special_education_programs_require_iep_and_applicants_with_it_rank_them(tables):
    programs, applicants, choices = tables["programs"], tables["applicants"], tables["choices"]
    special = programs["program_id"].str.endswith("-SE")
    assert special.any()
    assert (programs.loc[special, "requires_tags"] == "iep").all()
    assert (programs.loc[~special, "requires_tags"] == "").all()
    assert (programs.loc[special, "seats"].astype(int) == SPECIAL_EDUCATION_CLASS).all()
    assert (programs.loc[special, "sector"] == "district").all()
    ranked = choices[choices["program_id"].str.endswith("-SE")]
    iep = has_tag(applicants.set_index("applicant_id").loc[ranked["applicant_id"]], "iep")
    assert iep.mean() >= 0.6 and not iep.all()  # a few rank it without the tag


def test_a_few_programs_hold_seats_back(tables):
    programs = tables["programs"]
    held = programs.loc[programs["held_seats"] != "", "held_seats"].astype(int)
    assert 1 <= len(held) <= 0.1 * len(programs)
    assert held.between(1, 3).all()


def test_reserves_set_seats_aside_for_frl_english_learners_and_neighbours(tables):
    reserves, programs = tables["reserves"], tables["programs"]
    assert set(reserves["category"]) == {"tag:frl", "tag:ell", "proximity:0.5"}
    assert ((reserves["seats"] == "") != (reserves["share"] == "")).all()
    rows = reserves.rename(columns={"seats": "reserved"}).merge(
        programs, on="program_id", validate="many_to_one"
    )
    frl, ell = rows["category"] == "tag:frl", rows["category"] == "tag:ell"
    near = rows["category"] == "proximity:0.5"
    assert set(rows.loc[frl, "share"]) == {"0.3"} and set(rows.loc[ell, "share"]) == {"0.4"}
    assert rows.loc[ell, "program_id"].str.endswith("-DL").all()
    assert (rows.loc[near, "sector"] == "district").all()
    near_seats = rows.loc[near, "reserved"].astype(int)
    offered = offered_seats(programs).loc[rows.loc[near, "program_id"]].to_numpy()
    assert ((near_seats >= 1) & (near_seats <= 0.2 * offered)).all()
    # In the order of programs.csv, then by category.
    position = pd.Series(range(len(programs)), index=programs["program_id"])
    keys = list(zip(position.loc[reserves["program_id"]], reserves["category"], strict=True))
    assert keys == sorted(keys)


def test_the_engine_uses_every_seat_policy_feature(outcome):
    counts, out = outcome
    assert counts["placed_by_guarantee"] > 0
    assert counts["administrative"] > 0
    assert counts["ineligible_choices"] > 0
    assert counts["held_seats"] > 0
    placements = out["placements"]
    assert set(placements["status"]) == {"placed", "unplaced", "guaranteed", "administrative"}
    assert set(placements["seat"]) == {"", "open", "tag:frl", "tag:ell", "proximity:0.5"}
    assert (out["choice_results"]["result"] == "ineligible").any()
    report = out["reserve_report"]
    assert set(report["category"]) == {"tag:frl", "tag:ell", "proximity:0.5"}
    assert report["filled_by_category"].astype(int).sum() > 0


def test_example_city_shows_the_seat_policy(tmp_path):
    report = validate_input(EXAMPLE)  # policy.toml included
    assert report.counts["guaranteed"] > 0 and report.counts["families"] > 0
    applicants, programs = read(EXAMPLE, "applicants.csv"), read(EXAMPLE, "programs.csv")
    assert (applicants["tags"] != "").any()
    assert (programs["administrative_zones"] != "").any()
    assert (programs["requires_tags"] == "iep").any()
    assert (programs["held_seats"] != "").any()
    assert len(read(EXAMPLE, "reserves.csv")) > 0
    policy = tomllib.loads((EXAMPLE / "policy.toml").read_text(encoding="utf-8"))
    assert "tag:frl" in policy["priority"]["order"]
    assert "sibling_offered" in policy["priority"]["order"]
    assert set(policy["reserves"]) == {"precedence", "unfilled"}
    run_lottery(EXAMPLE, tmp_path / "out", "2026-spring")
    status = set(read(tmp_path / "out", "placements.csv")["status"])
    assert status == {"placed", "unplaced", "guaranteed", "administrative"}
    assert len(read(tmp_path / "out", "reserve_report.csv")) == len(read(EXAMPLE, "reserves.csv"))


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
    assert kept == [
        RECORD,
        "applicants.csv",
        "choices.csv",
        "policy.toml",
        "programs.csv",
        "reserves.csv",
    ]
    assert len(read(folder, "applicants.csv")) == 80
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city"]


def test_force_with_a_plain_city_removes_the_old_reserves(tmp_path):
    folder = tmp_path / "city"
    generate_city(folder, applicants=300, schools=12, seed=1)
    assert (folder / "reserves.csv").is_file()
    generate_city(folder, applicants=300, schools=12, seed=1, force=True, seat_policy=False)
    assert sorted(p.name for p in folder.iterdir()) == sorted((*PLAIN_FILES, RECORD))
    validate_input(folder)


def test_force_never_replaces_files_synth_did_not_write(tmp_path):
    """An office's real input folder, named by mistake: its applicants must survive."""
    folder = tmp_path / "my-city"
    folder.mkdir()
    (folder / "applicants.csv").write_text("applicant_id,first_name\nA1,Ava\n")
    with pytest.raises(UsageError, match="applicants.csv was not written by it"):
        generate_city(folder, applicants=10, schools=3, force=True)
    assert (folder / "applicants.csv").read_text() == "applicant_id,first_name\nA1,Ava\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my-city"]


def test_force_refuses_a_synthetic_city_edited_since(tmp_path):
    folder = tmp_path / "city"
    generate_city(folder, applicants=20, schools=3, seed=1)
    with (folder / "choices.csv").open("a") as handle:
        handle.write("A000001,9,S001-K\n")
    with pytest.raises(UsageError, match="choices.csv was not written by it"):
        generate_city(folder, applicants=20, schools=3, seed=2, force=True)


def test_the_example_city_is_still_exactly_what_synth_wrote():
    """Its README regenerates it with --force, which needs the record to match."""
    from lottery.synth.folder import check_synthetic

    check_synthetic(Path(__file__).resolve().parents[2] / "examples" / "city")


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
