"""A round's changes folder is read as round 1 reads its files: the same warnings (a
file separated by semicolons, a column that is not ours, a code that matches nothing),
errors where round 1 would refuse them (``[checks]`` in policy.toml, ``--strict``), each
naming the changes folder's file and line; rows carried over from the previous round are
not warned about again.

Round 1 is the default city of ``conftest.py`` (zones N, E and S), run with the seed
``2026-spring``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.random_rounds import Chain, choice_rows, new_applicant, write_changes
from support.small_city import City

from lottery.cli import cli
from lottery.errors import InputError
from lottery.rounds import run_round

LATE = "new_applicant,L1,,,"
LATE_CHOICES = choice_rows("L1,1,OAK-K")

ZONE_TYPO = (
    'zone: applicant "L1": zone "n" is served by no program (did you mean "N"?); this '
    "applicant gets no zone priority"
)
CASE_WORKER = "case_worker: not a column the lottery reads"
SEMICOLONS = "applicants.csv: read as separated by semicolons"


def semicolons(text: str) -> str:
    return text.replace(",", ";")


def late_applicant(**extra: str) -> dict[str, str]:
    """The changes files of a late applicant L1 in zone "n" (a typo for "N")."""
    return {"applicants": new_applicant("L1", zone="n", **extra), "choices": LATE_CHOICES}


def round_2(chain: Chain, *events: str, strict: bool = False, **files: str):
    changes = write_changes(chain.tmp / "changes-2", *events, **files)
    return run_round(
        chain.last, changes, chain.tmp / "round-2", inputs_dir=chain.city.path, strict=strict
    )


def problems_of(chain: Chain, *events: str, strict: bool = False, **files: str) -> list[str]:
    with pytest.raises(InputError) as error:
        round_2(chain, *events, strict=strict, **files)
    assert not (chain.tmp / "round-2").exists()
    assert "in the changes folder" in error.value.summary()
    return [p.render() for p in error.value.problems]


def starts(lines: list[str], *prefixes: str) -> None:
    """Each line starts with its prefix, in order (the wording after it is the readers')."""
    assert len(lines) == len(prefixes), lines
    for line, prefix in zip(lines, prefixes, strict=True):
        assert line.startswith(prefix), (line, prefix)


# ----------------------------------------------------------------------------- warnings


def test_warnings_name_the_changes_folder_and_reach_the_manifest(chain: Chain):
    applicants = semicolons(new_applicant("L1", zone="n", case_worker="Ms B"))
    summary = round_2(chain, LATE, applicants=applicants, choices=LATE_CHOICES)
    starts(
        list(summary.warnings),
        f"changes/{SEMICOLONS}",
        f"changes/applicants.csv:1: {CASE_WORKER}",
        f"changes/applicants.csv:2: {ZONE_TYPO}",
    )
    manifest = json.loads((summary.out_dir / "manifest.json").read_text())
    assert manifest["warnings"] == list(summary.warnings)
    # The line numbers are those of the copy the round keeps.
    kept = (summary.out_dir / "changes" / "applicants.csv").read_text().splitlines()
    assert kept[1].startswith("L1;") and "case_worker" in kept[0]
    # The round's own input files hold our columns only; the late row is not warned
    # about again under round-inputs' line number.
    assert "case_worker" not in (summary.out_dir / "round-inputs" / "applicants.csv").read_text()
    assert not any(w.startswith("applicants.csv:") for w in summary.warnings)


def test_a_wide_choice_list_in_the_changes_folder_is_read_and_said(chain: Chain):
    wide = "applicant_id,choice_1,choice_2\nL1,OAK-K,ELM-K\n"
    summary = round_2(chain, LATE, applicants=new_applicant("L1"), choices=wide)
    assert [w for w in summary.warnings if w.startswith("changes/choices.csv")], summary.warnings
    lists = (summary.out_dir / "round-inputs" / "choices.csv").read_text()
    assert "L1,1,OAK-K\nL1,2,ELM-K\n" in lists


def test_a_row_carried_over_is_not_warned_about_again(tmp_path: Path, city: City):
    city.replace_line("applicants", 4, "A3,Cara,Jones,K,n,,,,,Dan Jones,")
    chain = Chain(tmp_path, city)
    round_1 = json.loads((chain.last / "manifest.json").read_text())
    assert [w for w in round_1["warnings"] if w.startswith("applicants.csv:4: zone:")]
    summary = round_2(chain, "accept,A1,ELM-K,,")
    assert not [w for w in summary.warnings if "zone" in w], summary.warnings


def test_without_warnings_the_manifest_records_none(chain: Chain):
    summary = round_2(chain, LATE, applicants=new_applicant("L1"), choices=LATE_CHOICES)
    assert summary.warnings == ()
    assert json.loads((summary.out_dir / "manifest.json").read_text())["warnings"] == []


# ----------------------------------------------------------------------------- errors


def test_checks_in_policy_make_the_changes_folder_warnings_errors(tmp_path: Path, city: City):
    city.write("policy", '[checks]\nunknown_codes = "error"\nunknown_columns = "error"\n')
    chain = Chain(tmp_path, city)
    problems = problems_of(chain, LATE, **late_applicant(case_worker="Ms B"))
    starts(problems, f"applicants.csv:1: {CASE_WORKER}", f"applicants.csv:2: {ZONE_TYPO}")


def test_checks_for_columns_only(tmp_path: Path, city: City):
    city.write("policy", '[checks]\nunknown_columns = "error"\n')
    chain = Chain(tmp_path, city)
    problems = problems_of(chain, LATE, **late_applicant(case_worker="Ms B"))
    starts(problems, f"applicants.csv:1: {CASE_WORKER}")


def test_strict_makes_them_errors(chain: Chain):
    applicants = semicolons(new_applicant("L1", zone="n", case_worker="Ms B"))
    problems = problems_of(chain, LATE, strict=True, applicants=applicants, choices=LATE_CHOICES)
    starts(problems, f"applicants.csv:1: {CASE_WORKER}", f"applicants.csv:2: {ZONE_TYPO}")


def test_round_strict_on_the_command_line(runner, chain: Chain):
    changes = write_changes(chain.tmp / "changes-2", LATE, **late_applicant())
    out = chain.tmp / "round-2"
    args = ["round", str(chain.last), "--inputs", str(chain.city.path)]
    args += ["--changes", str(changes), "--out", str(out)]
    refused = runner.invoke(cli, [*args, "--strict"])
    assert refused.exit_code == 2, refused.output
    assert f"applicants.csv:2: {ZONE_TYPO}" in refused.stderr
    assert f"Found 1 problem in the changes folder {changes}; nothing was written." in (
        refused.stderr
    )
    assert not out.exists()
    accepted = runner.invoke(cli, args)
    assert accepted.exit_code == 0, accepted.output
    assert f"warning: changes/applicants.csv:2: {ZONE_TYPO}" in accepted.stderr


# ----------------------------------------------------------------------------- --inputs


def test_a_round_1_folder_that_cannot_be_checked_is_said(tmp_path: Path, chain: Chain):
    chain.round("accept,A1,ELM-K,,")
    apart = tmp_path / "elsewhere"
    apart.mkdir()
    previous = Path(shutil.move(chain.last, apart / "round-2"))
    said: list[str] = []
    changes = write_changes(tmp_path / "changes-3", "accept,A5,RIV-1,,")
    run_round(
        previous, changes, tmp_path / "round-3", inputs_dir=chain.city.path, progress=said.append
    )
    assert any("could not be checked against round 1" in s for s in said), said


def test_a_zone_no_priority_uses_is_not_warned_about(tmp_path: Path, city: City):
    # As in round 1: an unknown zone costs nothing when no tier names zones.
    city.write("policy", '[priority]\norder = ["continuing", "sibling"]\n')
    chain = Chain(tmp_path, city)
    summary = round_2(chain, LATE, **late_applicant())
    assert summary.warnings == ()


def test_a_tag_nobody_holds_after_withdrawals_does_not_block_a_strict_round(
    tmp_path: Path, city: City
):
    # The only applicant with the tag the policy names withdraws: round 2's own input
    # files then name a tag nobody has, which is no typo of the office's.
    lines = city.lines("applicants")
    lines[0] += ",tags"
    lines[1:] = [line + (",iep" if line.startswith("A8,") else ",") for line in lines[1:] if line]
    city.write("applicants", "\n".join(lines) + "\n")
    city.write(
        "policy",
        '[priority]\norder = ["continuing", "tag:iep", "sibling+zone", "sibling", "zone"]\n'
        '[checks]\nunknown_codes = "error"\n',
    )
    chain = Chain(tmp_path, city)
    summary = round_2(chain, "withdraw,A8,,,", strict=True)
    assert summary.number == 2
