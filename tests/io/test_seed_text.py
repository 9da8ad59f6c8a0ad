"""A seed (or ID) that is not readable text is refused with a plain message, never a
traceback.

A shell passes ``--seed $'\\xff\\xfe'`` as raw bytes; Python (and click) turn the bytes
that are not UTF-8 into lone surrogates, which cannot be hashed as UTF-8. A seed with a
NUL, a tab or a line break could never be typed again by an auditor. The strings below
are built the way Python builds them from such bytes (``surrogateescape``).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from lottery.cli import cli

NOT_UTF8 = b"\xff\xfe2026".decode("utf-8", "surrogateescape")


def invoke(*args: str):
    """Run ``lottery ARGS``; a traceback (any exception but SystemExit) fails the test."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def run_with_seed(city, tmp_path, seed: str):
    return invoke("run", city.path, "--seed", seed, "--out", tmp_path / "out")


def test_run_refuses_a_seed_that_is_not_utf8(city, tmp_path):
    result = run_with_seed(city, tmp_path, NOT_UTF8)
    assert result.exit_code == 2
    assert "The seed must be text (valid UTF-8)" in result.stderr
    assert "\\xff\\xfe2026" in result.stderr
    assert not (tmp_path / "out").exists()


def test_seed_commit_refuses_a_seed_that_is_not_utf8():
    result = invoke("seed", "commit", NOT_UTF8)
    assert result.exit_code == 2
    assert "The seed must be text (valid UTF-8)" in result.stderr


def test_lookup_refuses_a_seed_that_is_not_utf8():
    result = invoke("lookup", "--seed", NOT_UTF8, "A1")
    assert result.exit_code == 2
    assert "The seed must be text (valid UTF-8)" in result.stderr


def test_lookup_refuses_an_applicant_id_that_is_not_utf8_and_shows_its_bytes():
    result = invoke("lookup", "--seed", "2026-spring", "A\udcff1")
    assert result.exit_code == 2
    assert '"A\\xff1" is not an applicant ID' in result.stderr


def test_lookup_shows_a_nul_in_an_applicant_id():
    result = invoke("lookup", "--seed", "2026-spring", "\x00A1")
    assert result.exit_code == 2
    assert '"\\x00A1" is not an applicant ID' in result.stderr


@pytest.mark.parametrize(
    ("seed", "escaped"),
    [("2026\x00spring", "\\x00"), ("2026\tspring", "\\t"), ("2026-spring\n", "\\n")],
)
def test_run_refuses_a_seed_with_a_control_character(city, tmp_path, seed, escaped):
    result = run_with_seed(city, tmp_path, seed)
    assert result.exit_code == 2
    assert f"control or invisible character ({escaped})" in result.stderr
    assert not (tmp_path / "out").exists()


def test_seed_commit_refuses_a_seed_with_a_control_character():
    result = invoke("seed", "commit", "2026\x1bspring")
    assert result.exit_code == 2
    assert "(\\x1b)" in result.stderr


def test_a_commitment_that_is_not_utf8_is_refused_plainly(city, tmp_path):
    result = invoke(
        "run", city.path, "--seed", "s", "--seed-commitment", NOT_UTF8, "--out", tmp_path / "o"
    )
    assert result.exit_code == 2
    assert "\\xff\\xfe2026" in result.stderr


def test_an_ordinary_seed_with_spaces_and_accents_still_works(city, tmp_path):
    result = run_with_seed(city, tmp_path, " Primavera de 2026, año escolar ")
    assert result.exit_code == 0, result.stderr
