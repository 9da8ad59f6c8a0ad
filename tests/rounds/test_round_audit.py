"""``lottery audit`` on the folder of a later round walks the chain of rounds (issue 8).

A chain of three rounds of the default city of ``conftest.py`` is built once per module
(round 2: A4 declines OAK-K and A9 applies late; round 3: A8 asks to move to ELM-1,
ELM-1 gets a third seat and A1 withdraws). Each test copies the folders, changes one
thing and checks that the audit names exactly that thing, with the round it is in:
findings are compared as ``(round, file, kind, line)`` lists.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.random_rounds import run_rounds
from support.small_city import write_city

from lottery.audit.chain import ChainAuditSummary
from lottery.audit.rerun import audit_results
from lottery.engine import run_lottery
from lottery.errors import UsageError

SEED = "2026-spring"
REPRODUCED = "Reproduced byte for byte: the 3 rounds form an unbroken chain"
HEADER = "event,applicant_id,program_id,value,note\n"
CHANGES = (
    {
        "changes.csv": HEADER + "decline,A4,OAK-K,,moving away\nnew_applicant,A9,,,\n",
        "applicants.csv": "applicant_id,first_name,last_name,grade,guardian_name,zone\n"
        "A9,New,Kid,K,Guardian,N\n",
        "choices.csv": "applicant_id,rank,program_id\nA9,1,OAK-K\nA9,2,ELM-K\n",
    },
    {
        "changes.csv": HEADER
        + "transfer_request,A8,ELM-1,,\nseat_change,,ELM-1,3,\nwithdraw,A1,,,\n",
    },
)
ROUND_FILES = [
    "changes/changes.csv",
    "choice_results.csv",
    "manifest.json",
    "moves.csv",
    "offers.csv",
    "placements.csv",
    "programs_summary.csv",
    "reserve_report.csv",
    "round-inputs/applicants.csv",
    "round-inputs/choices.csv",
    "round-inputs/programs.csv",
    "waitlists.csv",
]


def build_chain(base: Path, policy: str | None = None, lottery: str | None = None) -> Path:
    """round-1, round-2 and round-3 of the default city in ``base`` (input folder ``city``)."""
    city = write_city(base / "city", policy=policy, lottery=lottery)
    run_lottery(city.path, base / "round-1", None if lottery else SEED)
    changes = list(CHANGES)
    if lottery:  # the late applicant's number comes with the changes
        changes[0] = {**changes[0], "lottery.csv": "applicant_id,lottery_number\nA9,5\n"}
    run_rounds(base, city.path, changes)
    return base


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The chain (read-only: tests change a copy, see ``chain``)."""
    return build_chain(tmp_path_factory.mktemp("chain"))


@pytest.fixture
def chain(tmp_path, built) -> Path:
    """A copy of the chain, free to edit: ``chain / "round-2"`` and so on."""
    return Path(shutil.copytree(built, tmp_path / "chain"))


def findings(report) -> list[tuple]:
    return [(f.round, f.file, f.kind, f.line) for f in report.findings]


def line_of(path: Path, text: str) -> int:
    """The 1-based line of ``path`` that contains ``text``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(n for n, line in enumerate(lines, start=1) if text in line)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (old, text)
    path.write_text(text.replace(old, new), encoding="utf-8")


# ----------------------------------------------------------------------------- a clean chain


def test_a_chain_of_three_rounds_audits_clean(invoke, chain):
    result = invoke("audit", chain / "round-3", "--inputs", chain / "city")
    assert result.exit_code == 0, result.stdout
    out = result.stdout
    assert out.startswith(
        "Audit of a chain of 3 rounds (round 1 to round 3), each round rerun from the one before\n"
    )
    for number in (1, 2, 3):
        assert f"Round {number}: {chain / f'round-{number}'}\n" in out
    assert f"  input files:       {chain / 'city'}\n" in out
    assert f"  previous round:    {chain / 'round-2'}\n" in out
    assert "  changes checked:   changes/changes.csv\n" in out
    assert out.count("  Reproduced byte for byte.\n") == 3
    assert REPRODUCED in out.replace("\n  ", " ")


def test_every_file_of_every_round_is_compared_byte_for_byte(chain):
    report = audit_results(chain / "round-3", chain / "city")
    assert isinstance(report, ChainAuditSummary) and report.reproduced
    one, two, three = report.rounds
    assert (one.number, two.number, three.number) == (1, 2, 3)
    assert one.checked == ("applicants.csv", "choices.csv", "programs.csv")
    assert two.checked == (
        "changes/applicants.csv",
        "changes/changes.csv",
        "changes/choices.csv",
    )
    assert three.outputs_compared == tuple(ROUND_FILES)
    listed = json.loads((chain / "round-3" / "manifest.json").read_text())["outputs"]
    assert sorted([*listed, "manifest.json"]) == ROUND_FILES
    assert two.previous == chain / "round-1" and three.previous == chain / "round-2"


@pytest.mark.parametrize(
    "variant",
    [
        {"policy": '[rounds]\ntiebreak = "reversed"\n'},
        {"policy": '[lottery]\ntiebreak = "multiple"\n[rounds]\ntiebreak = "reversed"\n'},
        {
            "lottery": "applicant_id,lottery_number\n"
            + "".join(f"A{i},{i * 10}\n" for i in range(1, 9))
        },
    ],
    ids=["reversed", "multiple-reversed", "lottery-csv"],
)
def test_chains_with_a_reversed_or_external_lottery_audit_clean(tmp_path, variant):
    base = build_chain(tmp_path, **variant)
    report = audit_results(base / "round-3", base / "city")
    assert report.reproduced, report.lines()
    reversed_ = "policy" in variant
    assert report.rounds[2].rerun.endswith(", the lottery order reversed") == reversed_


def test_the_rounds_are_found_by_checksum_under_any_names(chain, tmp_path):
    """Folders may have any names; another round-1 folder beside them is not taken."""
    folder = tmp_path / "published"
    folder.mkdir()
    for old, new in (("round-1", "spring"), ("round-2", "june"), ("round-3", "august")):
        shutil.move(chain / old, folder / new)
    run_lottery(chain / "city", folder / "a-trial-run", "another seed")
    report = audit_results(folder / "august", chain / "city")
    assert report.reproduced, report.lines()
    assert [r.folder.name for r in report.rounds] == ["spring", "june", "august"]
    # Auditing round 2 audits rounds 1 and 2 only.
    assert [r.number for r in audit_results(folder / "june", chain / "city").rounds] == [1, 2]


# ----------------------------------------------------------------------------- tampering


def test_an_edited_placement_in_round_2_is_caught(invoke, chain):
    placements = chain / "round-2" / "placements.csv"
    edit(placements, "A2,K,placed,OAK-K", "A2,K,unplaced,OAK-K")
    report = audit_results(chain / "round-3", chain / "city")
    assert findings(report) == [
        (2, "placements.csv", "output-differs", line_of(placements, "A2,K,unplaced")),
        # Round 3 starts from round 2's folder, which no longer matches its manifest.
        (3, "(rerun)", "rerun-failed", None),
    ]
    assert report.findings[0].recorded.startswith("A2,K,unplaced,OAK-K")
    assert report.findings[0].rerun.startswith("A2,K,placed,OAK-K")
    assert "placements.csv: changed since the lottery ran" in report.findings[1].message
    result = invoke("audit", chain / "round-3", "--inputs", chain / "city")
    assert result.exit_code == 1
    assert "NOT reproduced: 2 differences found, in rounds 2 and 3.\n" in result.stdout


def test_an_edited_round_1_manifest_breaks_the_chain_at_round_2(invoke, chain):
    manifest = chain / "round-1" / "manifest.json"
    edit(manifest, '"max_iterations": 10', '"max_iterations": 11')
    report = audit_results(chain / "round-3", chain / "city")
    previous = line_of(chain / "round-2" / "manifest.json", "previous_manifest_sha256")
    assert findings(report) == [
        (1, "manifest.json", "output-differs", line_of(manifest, "max_iterations")),
        (2, "manifest.json", "chain-broken", None),
        (2, "manifest.json", "output-differs", previous),
    ]
    assert report.broken_at == 2
    message = report.findings[1].message
    assert message.startswith("the chain is broken at round 2: this manifest.json records ")
    assert f"but {manifest}, the manifest of round 1, has SHA-256 " in message
    assert "round 1 has changed since round 2 was run" in message
    result = invoke("audit", chain / "round-3", "--inputs", chain / "city")
    assert result.exit_code == 1
    assert result.stdout.rstrip().endswith(
        "NOT reproduced: 3 differences found, in rounds 1 and 2. The chain is broken at round 2."
    )


def test_a_changed_changes_file_is_caught(chain):
    """A note changes no placement: only the checksums show the edit."""
    changes = chain / "round-2" / "changes" / "changes.csv"
    edit(changes, "moving away", "moving far away")
    report = audit_results(chain / "round-3", chain / "city")
    manifest = chain / "round-2" / "manifest.json"
    assert findings(report) == [
        (2, "changes/changes.csv", "input-changed", None),
        (2, "manifest.json", "output-differs", line_of(manifest, '"changes/changes.csv": ')),
        (3, "(rerun)", "rerun-failed", None),
    ]
    assert "this copy of the round's changes has changed" in report.findings[0].message


def test_a_changed_event_changes_the_rerun(chain):
    changes = chain / "round-3" / "changes" / "changes.csv"
    edit(changes, "withdraw,A1,,,", "withdraw,A3,,,")
    report = audit_results(chain / "round-3", chain / "city")
    kinds = findings(report)
    assert kinds[0] == (3, "changes/changes.csv", "input-changed", None)
    assert {(f[1], f[2]) for f in kinds[1:]} >= {
        ("placements.csv", "output-differs"),
        ("moves.csv", "output-differs"),
        ("round-inputs/applicants.csv", "output-differs"),
    }
    assert all(f[0] == 3 for f in kinds)


def test_round_inputs_and_changes_files_are_compared_too(chain):
    round_3 = chain / "round-3"
    edit(
        round_3 / "round-inputs" / "programs.csv",
        "ELM-1,ELM,Elm Elementary,district,1,3",
        "ELM-1,ELM,Elm Elementary,district,1,4",
    )
    (round_3 / "round-inputs" / "choices.csv").unlink()
    (round_3 / "changes" / "README.txt").write_text("notes of the office\n")
    report = audit_results(round_3, chain / "city")
    assert findings(report) == [
        (3, "changes/README.txt", "output-unexpected", None),
        (3, "round-inputs/choices.csv", "output-missing", None),
        (3, "round-inputs/programs.csv", "output-differs", 2),
    ]


def test_a_round_without_the_folder_before_it_breaks_the_chain(chain, tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    for name in ("round-2", "round-3"):
        shutil.copytree(chain / name, alone / name)
    report = audit_results(alone / "round-3", chain / "city")
    assert findings(report) == [(2, "manifest.json", "chain-missing", None)]
    assert report.rounds[0].rerun == "not rerun: the folder of the round before was not found"
    assert "no folder beside it" in report.findings[0].message
    assert report.rounds[1].reproduced


# ----------------------------------------------------------------------------- usage


def test_a_round_audit_needs_the_input_folder_of_round_1(invoke, chain):
    result = invoke("audit", chain / "round-3")
    assert result.exit_code == 2
    assert "Pass --inputs with the input folder of round 1" in result.stderr
    with pytest.raises(UsageError, match="holds the input files of a later round"):
        audit_results(chain / "round-3", chain / "round-3" / "round-inputs")


def test_a_round_manifest_naming_a_foreign_file_is_refused(chain):
    path = chain / "round-2" / "manifest.json"
    edit(path, '"changes.csv": ', '"../../etc/passwd": ')
    with pytest.raises(UsageError, match="lists files that no lottery run writes or reads"):
        audit_results(chain / "round-2", chain / "city")
