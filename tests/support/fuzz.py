"""Shared by the fuzz tests (tests/io/test_fuzz.py, tests/publish/test_fuzz_letters.py):
the hypothesis profiles, the promise every command keeps whatever its input, and byte
mutations of a file.

The default profile (``make test``) runs a few dozen derandomized examples per test;
``LOTTERY_FUZZ=long`` (``make fuzz``) runs thousands with a random seed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from lottery.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city"
SEED = "2026-spring"

settings.register_profile(
    "fuzz-default",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz-long",
    max_examples=3000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile(
    "fuzz-long" if os.environ.get("LOTTERY_FUZZ") == "long" else "fuzz-default"
)

PROGRESS = re.compile(r"^\.\.\. [A-Z]")  # "... Reading and checking the input files"
SUMMARY = re.compile(
    r"^Found \d+ problems? in the ((input|results|results and input) files|changes folder .+); "
    r"nothing was written\.$"
)
MORE = re.compile(r"^\.\.\. and \d+ more problems not shown\.$")
PROBLEM = re.compile(r"^(round-inputs/)?[\w.\-]+(:\d+)?: \S.*$")
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def assert_promise_kept(result: Result, out: Path) -> None:
    """Exit 0 with a results folder, or exit 2 with well-shaped problems and nothing left."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the bug itself, shown by pytest
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 0:
        if out is not None:
            assert (out / "manifest.json").is_file()
        return
    lines = [line for line in result.stderr.split("\n") if line and not PROGRESS.match(line)]
    assert lines, "exit status 2 without a message"
    assert SUMMARY.match(lines[-1]), lines[-1]
    for line in lines[:-1]:
        assert PROBLEM.match(line) or MORE.match(line), f"badly shaped line: {line!r}"
        assert not UNPRINTABLE.search(line), f"unprintable character in: {line!r}"
    if out is not None:
        assert list(out.parent.iterdir()) == [], "a failed command left files behind"


def invoke(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="lottery")


ODD_BYTES = (
    b"\x00",
    b"\r",
    b"\n",
    b"\r\n",
    b'"',
    b",",
    b";",
    b"\t",
    b"\xef\xbb\xbf",  # a byte-order mark in the middle of the file
    b"\xff\xfe",
    b"\xc3",  # half of a two-byte UTF-8 character
    b"\xe2\x80\xa8",  # U+2028 LINE SEPARATOR
    b"\xc2\x85",  # U+0085 NEXT LINE
    b"\x1a",  # DOS end of file
)


@st.composite
def byte_mutations(draw, content: bytes) -> bytes:
    """Flip, replace, cut, insert or re-encode bytes of a file."""
    kind = draw(
        st.sampled_from(["flip", "set", "truncate", "insert", "delete", "encoding", "repeat"])
    )
    if kind == "encoding":
        text = content.decode("utf-8-sig")
        encoding = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252"]))
        if encoding in ("latin-1", "cp1252"):
            text = re.sub(r"\b(Emma|Liam|Mia|Daniel|Lucas)\b", "Zoë Müller", text) + "Éé,\n"
        return text.encode(encoding, errors="replace")
    if not content:
        return draw(st.binary(max_size=20))
    position = draw(st.integers(0, len(content) - 1))
    if kind == "flip":
        bit = 1 << draw(st.integers(0, 7))
        return content[:position] + bytes([content[position] ^ bit]) + content[position + 1 :]
    if kind == "set":
        return content[:position] + bytes([draw(st.integers(0, 255))]) + content[position + 1 :]
    if kind == "truncate":
        return content[:position]
    if kind == "delete":
        return content[:position] + content[position + draw(st.integers(1, 40)) :]
    if kind == "repeat":
        return content[:position] + content[position : position + 60] * 2 + content[position:]
    inserted = draw(st.one_of(st.sampled_from(ODD_BYTES), st.binary(min_size=1, max_size=8)))
    return content[:position] + inserted * draw(st.integers(1, 3)) + content[position:]
