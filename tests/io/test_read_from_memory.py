"""``read_input_files`` (files in memory) reads exactly what ``read_input_folder`` reads.

Both must give equal cities, equal warnings and equal problems: a round reads its inputs
from memory, the main run from a folder, and the two may never disagree.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from lottery.errors import InputError
from lottery.io.csv_tables import ProblemLog, read_table
from lottery.io.inputs import (
    APPLICANTS_FILE,
    CHOICES_FILE,
    LOTTERY_FILE,
    POLICY_FILE,
    PROGRAMS_FILE,
    read_input_files,
    read_input_folder,
)

EXAMPLE_CITY = Path(__file__).parents[2] / "examples" / "city"


def folder_contents(folder: Path) -> dict[str, bytes]:
    """Every file of ``folder`` (a README and letters.toml too: they must be ignored)."""
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


def assert_same(left: object, right: object, where: str = "city") -> None:
    """Equal field by field, arrays element by element (NaN equal to NaN)."""
    if dataclasses.is_dataclass(left):
        assert type(left) is type(right), where
        for field in dataclasses.fields(left):
            name = field.name
            assert_same(getattr(left, name), getattr(right, name), f"{where}.{name}")
    elif isinstance(left, np.ndarray):
        assert isinstance(right, np.ndarray), where
        assert left.dtype == right.dtype, where
        if left.dtype.kind == "f":
            assert np.array_equal(left, right, equal_nan=True), where
        else:
            assert np.array_equal(left, right), where
    else:
        assert left == right, where


def problems_of(read, source) -> tuple[int, list[tuple]]:
    with pytest.raises(InputError) as raised:
        read(source)
    return raised.value.total, [dataclasses.astuple(p) for p in raised.value.problems]


def test_the_example_city_reads_the_same_from_memory():
    from_folder = read_input_folder(EXAMPLE_CITY)
    from_memory = read_input_files(folder_contents(EXAMPLE_CITY))
    assert_same(from_folder, from_memory)
    assert from_memory.warnings == from_folder.warnings
    assert set(from_memory.input_sha256) == {
        "applicants.csv",
        "choices.csv",
        "policy.toml",
        "programs.csv",
        "reserves.csv",
    }


def test_per_program_lottery_numbers_read_the_same_from_memory(tmp_path):
    """lottery.csv and its warnings (a number at an unranked program) go the same way."""
    folder = tmp_path / "city"
    shutil.copytree(EXAMPLE_CITY, folder)
    choices = (folder / CHOICES_FILE).read_text().splitlines()[1:]
    rows = [
        f"{a},{number},{p}" for number, (a, _rank, p) in enumerate(r.split(",") for r in choices)
    ]
    first = choices[0].split(",")[0]
    rows.append(f"{first},7,S001-9")  # a program this applicant did not rank
    (folder / LOTTERY_FILE).write_text("applicant_id,lottery_number,program_id\n" + "\n".join(rows))
    from_folder = read_input_folder(folder)
    from_memory = read_input_files(folder_contents(folder))
    assert_same(from_folder, from_memory)
    assert any(LOTTERY_FILE in warning for warning in from_memory.warnings)


def test_a_broken_city_has_the_same_problems_from_memory(tmp_path):
    folder = tmp_path / "city"
    shutil.copytree(EXAMPLE_CITY, folder)
    applicants = (folder / APPLICANTS_FILE).read_text().splitlines(keepends=True)
    applicants[2] = applicants[2].replace(",9,", ",99,", 1)
    (folder / APPLICANTS_FILE).write_text("".join(applicants))
    with (folder / CHOICES_FILE).open("a") as handle:
        handle.write("X1,,,,\n")
    with (folder / PROGRAMS_FILE).open("a") as handle:
        handle.write("S999-K,S999,New School,district,K,many,,,,,,\n")
    (folder / POLICY_FILE).write_text('[lottery]\ntiebreak = "sometimes"\n')
    total, problems = problems_of(read_input_folder, folder)
    assert (total, problems) == problems_of(read_input_files, folder_contents(folder))
    assert {problem[0] for problem in problems} == {
        APPLICANTS_FILE,
        CHOICES_FILE,
        PROGRAMS_FILE,
        POLICY_FILE,
    }


def test_a_missing_file_is_named_with_its_folder_only_when_read_from_one(tmp_path):
    folder = tmp_path / "city"
    shutil.copytree(EXAMPLE_CITY, folder)
    (folder / CHOICES_FILE).unlink()
    assert problems_of(read_input_folder, folder)[1] == [
        (CHOICES_FILE, None, None, f"required file is missing from {folder}")
    ]
    assert problems_of(read_input_files, folder_contents(folder))[1] == [
        (CHOICES_FILE, None, None, "required file is missing")
    ]


def test_a_missing_folder_is_still_reported_as_such(tmp_path):
    folder = tmp_path / "nowhere"
    assert problems_of(read_input_folder, folder)[1] == [
        (str(folder), None, None, "this input folder does not exist")
    ]


def test_a_table_read_from_bytes_needs_its_file_name():
    with pytest.raises(TypeError):
        read_table(b"applicant_id\nA1\n", ("applicant_id",), (), ProblemLog())
    table = read_table(b"applicant_id\nA1\n", ("applicant_id",), (), ProblemLog(), name="x.csv")
    assert table is not None and table.name == "x.csv" and table.column("applicant_id") == ["A1"]
