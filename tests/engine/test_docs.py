"""The documentation is tested: its examples run, and it matches the code.

- Every ``python``, ``javascript`` and ``sh`` block in docs/lottery-numbers.md prints the
  worked example's lottery number, and every number, hash and rank quoted on that page
  is what :mod:`lottery.numbers` computes.
- Every ``python`` and ``javascript`` block in docs/audit.md prints the worked example's
  seed commitment and lottery number, and every hash quoted there is one of them.
- Every command has help text with an example and a section in docs/cli.md, and
  docs/cli.md is exactly what docs/make_cli_reference.py generates from the live help.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lottery.cli import cli
from lottery.numbers import lottery_key, lottery_number, seed_commitment

DOCS = Path(__file__).resolve().parents[2] / "docs"
NUMBERS_DOC = DOCS / "lottery-numbers.md"
CLI_DOC = DOCS / "cli.md"
AUDIT_DOC = DOCS / "audit.md"

# The worked example of docs/lottery-numbers.md.
SEED = "2026-spring"
APPLICANT = "A0193"
PROGRAM = "HILL-K"
EXPECTED = str(lottery_number(SEED, APPLICANT))


def code_blocks(path: Path, language: str) -> list[str]:
    """The text of every fenced block tagged ``language`` in a Markdown file."""
    fence = re.compile(rf"^```{re.escape(language)}[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
    return fence.findall(path.read_text(encoding="utf-8"))


def run_snippet(command: list[str], code: str) -> str:
    done = subprocess.run([*command, code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def load_cli_reference_script():
    spec = importlib.util.spec_from_file_location(
        "make_cli_reference", DOCS / "make_cli_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def all_commands(group: click.Group = cli, prefix: str = "lottery"):
    """(full name, command) for every command below ``group``, groups excluded."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from all_commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", command


# ----------------------------------------------------------------- lottery-numbers.md


def test_worked_example_is_the_engines_number():
    assert EXPECTED == "14057704904941945055"


def test_python_snippets_print_the_worked_example():
    blocks = code_blocks(NUMBERS_DOC, "python")
    assert blocks, "docs/lottery-numbers.md has no ```python block"
    for code in blocks:
        assert run_snippet([sys.executable, "-c"], code) == EXPECTED


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_javascript_snippets_print_the_worked_example():
    blocks = code_blocks(NUMBERS_DOC, "javascript")
    assert blocks, "docs/lottery-numbers.md has no ```javascript block"
    for code in blocks:
        assert run_snippet(["node", "-e"], code) == EXPECTED


@pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("sh", "sha256sum", "bc")),
    reason="needs sh, sha256sum and bc",
)
def test_shell_snippets_print_the_worked_example():
    blocks = code_blocks(NUMBERS_DOC, "sh")
    assert blocks, "docs/lottery-numbers.md has no ```sh block"
    for code in blocks:
        assert run_snippet(["sh", "-c"], code) == EXPECTED


def test_every_number_and_hash_quoted_in_lottery_numbers_doc_is_right():
    text = NUMBERS_DOC.read_text(encoding="utf-8")
    keys = [lottery_key(SEED, a) for a in sorted(set(re.findall(r"\bA\d{4}\b", text)))]
    keys.append(lottery_key(SEED, APPLICANT, PROGRAM))
    digests = [hashlib.sha256(key.encode("utf-8")).hexdigest() for key in keys]
    numbers = {str(int(d[:16], 16)) for d in digests}
    limits = {str(2**53 - 1), str(2**63 - 1), str(2**64 - 1)}
    for number in re.findall(r"\b\d{16,20}\b", text):
        assert number in numbers | limits, f"{number} is not a lottery number of the example"
    for digest in re.findall(r"\b[0-9a-f]{64}\b", text):
        assert digest in digests, f"{digest} is not the hash of an example's text"
    for prefix in re.findall(r"`([0-9a-f]{16})`", text):
        assert prefix in {d[:16] for d in digests}, f"{prefix} does not start an example's hash"
    assert str(lottery_number(SEED, APPLICANT, PROGRAM)) in text


def test_rank_table_in_lottery_numbers_doc_orders_by_number():
    text = NUMBERS_DOC.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (A\d{4}) \| (\d+) \| (\d+) \|$", text, re.M)
    assert rows, "the table of example applicants is missing"
    for applicant, number, _ in rows:
        assert int(number) == lottery_number(SEED, applicant)
    by_number = sorted(rows, key=lambda row: (int(row[1]), row[0]))
    assert [int(rank) for *_, rank in by_number] == list(range(1, len(rows) + 1))


# ----------------------------------------------------------------- audit.md

AUDIT_OUTPUT = f"{seed_commitment(SEED)}\n{EXPECTED}"


def test_python_snippets_of_audit_doc_print_commitment_and_number():
    blocks = code_blocks(AUDIT_DOC, "python")
    assert blocks, "docs/audit.md has no ```python block"
    for code in blocks:
        assert run_snippet([sys.executable, "-c"], code) == AUDIT_OUTPUT


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_javascript_snippets_of_audit_doc_print_commitment_and_number():
    blocks = code_blocks(AUDIT_DOC, "javascript")
    assert blocks, "docs/audit.md has no ```javascript block"
    for code in blocks:
        assert run_snippet(["node", "-e"], code) == AUDIT_OUTPUT


def test_every_hash_and_number_quoted_in_audit_doc_is_right():
    text = AUDIT_DOC.read_text(encoding="utf-8")
    key_digest = hashlib.sha256(lottery_key(SEED, APPLICANT).encode("utf-8")).hexdigest()
    for digest in re.findall(r"\b[0-9a-f]{64}\b", text):
        assert digest in {seed_commitment(SEED), key_digest}, f"{digest} is not an example's hash"
    assert f"first 16 digits:  {key_digest[:16]}" in text
    assert f"Lottery number of {APPLICANT}: {EXPECTED}" in text


def test_lookup_output_quoted_in_audit_doc_is_what_the_command_prints():
    text = AUDIT_DOC.read_text(encoding="utf-8")
    quoted = re.search(r"^\$ lottery lookup --seed (\S+) (\S+)\n(.*?)^```", text, re.M | re.S)
    assert quoted, "docs/audit.md does not show `lottery lookup` output"
    result = CliRunner().invoke(cli, ["lookup", "--seed", quoted[1], quoted[2]])
    assert result.exit_code == 0
    assert result.output.startswith(quoted[3])


# ----------------------------------------------------------------- commands and cli.md


COMMANDS = dict(all_commands())


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(invoke, name):
    command = COMMANDS[name]
    assert command.help, f"{name} has no help text"
    assert "Example" in command.help, f"the help of {name} shows no Example"
    result = invoke(*name.split()[1:], "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: {name} ")
    assert "Example" in result.stdout
    assert f"{name} " in result.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_in_the_cli_reference(name):
    assert f"## `{name}`" in CLI_DOC.read_text(encoding="utf-8")


def test_cli_reference_matches_the_live_help():
    script = load_cli_reference_script()
    assert CLI_DOC.read_text(encoding="utf-8") == script.render(), (
        f"docs/cli.md is out of date with the commands' --help; regenerate it with:\n"
        f"    {script.REGENERATE}"
    )
