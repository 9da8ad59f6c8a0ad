"""Fuzzing the input files: whatever the office hands in, every command ends cleanly.

The promise (README, docs/file-formats.md): for any input, ``lottery validate``,
``lottery run`` and ``lottery round`` end with exit status 0, or with exit status 2 and
messages shaped ``file[:line]: [column: ]message`` followed by the summary line, never
with a traceback, and a failed command leaves nothing behind (no output folder, no
hidden ``.NAME.partial-*`` folder beside it).

Each case starts from the example city (``examples/city``: every seat-policy feature)
plus a small ``priorities.csv`` and ``lottery.csv``, or from a valid changes folder for
a round after it, and breaks ONE file: bytes (flips, truncation, NUL, CR, quotes, a
byte-order mark in the middle, other encodings), rows and columns (dropped, repeated,
swapped, header only, empty, stray delimiters, ``;`` or tab as delimiter), single cells
(digits of other scripts, huge numbers, formulas, control characters, repeated IDs) or
the settings of ``policy.toml``.

The default profile (``make test``) runs a few dozen derandomized examples per test, so
CI is reproducible and quick; ``LOTTERY_FUZZ=long`` (``make fuzz``) runs thousands with
a random seed and keeps failures in the local hypothesis database. Every failure found
so far is pinned below as an ``@example`` or in ``tests/io/test_input_holes.py``.
"""

from __future__ import annotations

import atexit
import csv
import functools
import io
import json
import os
import re
import shutil
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from support.fuzz import (
    EXAMPLE,
    FUZZ,
    SEED,
    assert_promise_kept,
    byte_mutations,
    invoke,
)

# ----------------------------------------------------------------------------- the promise


def check_validate_and_run(city: Path, work: Path) -> None:
    assert_promise_kept(invoke("validate", city), None)
    out = work / "results" / "out"
    out.parent.mkdir()
    seed = [] if (city / "lottery.csv").exists() else ["--seed", SEED]
    assert_promise_kept(invoke("run", city, *seed, "--out", out), out)


# ----------------------------------------------------------------------------- the base city


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def base_city_files() -> dict[str, bytes]:
    """The example city, with a priorities.csv; lottery.csv is kept aside (it replaces
    the seed, so it is only added when it is the file being broken)."""
    files = {
        p.name: p.read_bytes()
        for p in EXAMPLE.iterdir()
        if p.suffix in (".csv", ".toml") and p.name != "letters.toml"
    }
    choices = rows_of(files["choices.csv"].decode())[1:]
    priorities = [["applicant_id", "program_id", "priority"]]
    priorities += [[a, p, str(1 + i % 3)] for i, (a, _, p) in enumerate(choices[:40:4])]
    files["priorities.csv"] = csv_text(priorities).encode()
    return files


BASE = base_city_files()
APPLICANT_IDS = [row[0] for row in rows_of(BASE["applicants.csv"].decode())[1:]]
LOTTERY = csv_text(
    [["applicant_id", "lottery_number", "program_id"]]
    + [[a, str(7919 * i % 1000), ""] for i, a in enumerate(APPLICANT_IDS)]
).encode()
CSV_FILES = (
    "programs.csv",
    "applicants.csv",
    "choices.csv",
    "priorities.csv",
    "reserves.csv",
    "lottery.csv",
)


def write_files(folder: Path, files: dict[str, bytes | None]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if content is not None:
            (folder / name).write_bytes(content)
    return folder


def city_with(name: str, content: bytes | None) -> dict[str, bytes | None]:
    files: dict[str, bytes | None] = dict(BASE)
    if name == "lottery.csv":
        files["lottery.csv"] = LOTTERY
    files[name] = content
    return files


def original(name: str) -> bytes:
    return LOTTERY if name == "lottery.csv" else BASE[name]


# ----------------------------------------------------------------------------- mutations

NASTY_CELLS = (
    "",
    " ",
    "\t",
    "   \t ",
    "٣",  # ARABIC-INDIC DIGIT THREE: str.isdigit() says yes
    "３",  # FULLWIDTH DIGIT THREE
    "１２",
    "1٣",
    "①",
    "Ⅻ",
    "²",
    str(10**30),
    "1e308",
    "-1e308",
    "1e-400",
    "9" * 5000,
    "0" * 40 + "1",
    "-1",
    "-0",
    "+1",
    "0",
    "00",
    "1.5",
    "0.3",
    "1,000",
    "1_000",
    "0x10",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "None",
    "null",
    "TRUE",
    "maybe",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("x")',
    "@SUM(1+1)",
    "+1+1",
    "x" * 10_000,
    "\x00",
    "A\x00",
    "\x1b[31mred",
    "\x07",
    "\x7f",
    "\x85",
    "\x0b",
    "\x0c",
    "\r",
    "\n",
    "a\nb",
    "a\r\nb",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\u202e",
    "\u200b",
    '"',
    '""',
    "'",
    ";",
    ";;",
    "a;b;",
    " ; ",
    "é",
    "Zoë",
    "😀",
    "K",
    "PK",
    "pk",
    "13",
    "12",
    "tag:",
    "proximity:0",
    "proximity:99999",
    "zone+sibling",
    "sibling_offered",
    "\\",
    "%s%n",
    "{0}",
)


@st.composite
def row_mutations(draw, content: bytes) -> bytes:
    """Drop, repeat, swap rows or columns; header only; empty; stray or odd delimiters."""
    rows = rows_of(content.decode("utf-8-sig"))
    width = len(rows[0])
    kind = draw(
        st.sampled_from(
            [
                "drop-rows",
                "repeat-row",
                "swap-rows",
                "drop-column",
                "repeat-column",
                "swap-columns",
                "header-only",
                "empty",
                "blank-lines",
                "trailing-delimiters",
                "delimiter",
                "short-rows",
                "long-row",
            ]
        )
    )
    body = list(range(1, len(rows)))
    if kind == "drop-rows" and body:
        dropped = set(draw(st.lists(st.sampled_from(body), min_size=1, max_size=len(body))))
        rows = [row for i, row in enumerate(rows) if i not in dropped]
    elif kind == "repeat-row":
        i = draw(st.integers(0, len(rows) - 1))
        rows.insert(draw(st.integers(1, len(rows))), list(rows[i]))
    elif kind == "swap-rows":
        i, j = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(rows) - 1))
        rows[i], rows[j] = rows[j], rows[i]
    elif kind == "drop-column":
        c = draw(st.integers(0, width - 1))
        rows = [row[:c] + row[c + 1 :] for row in rows]
    elif kind == "repeat-column":
        c = draw(st.integers(0, width - 1))
        rows = [row + row[c : c + 1] for row in rows]
    elif kind == "swap-columns":
        c, d = draw(st.integers(0, width - 1)), draw(st.integers(0, width - 1))
        for row in rows:
            if max(c, d) < len(row):
                row[c], row[d] = row[d], row[c]
    elif kind == "header-only":
        rows = rows[:1]
    elif kind == "empty":
        return draw(st.sampled_from([b"", b"\n", b"\r\n", b"\xef\xbb\xbf", b" ,\n", b",,,\n"]))
    elif kind == "blank-lines":
        text = csv_text(rows).split("\n")
        for _ in range(draw(st.integers(1, 4))):
            text.insert(draw(st.integers(0, len(text))), draw(st.sampled_from(["", ",,", " "])))
        return "\n".join(text).encode()
    elif kind == "trailing-delimiters":
        extra = draw(st.sampled_from([",", ",,", ", ", ",x"]))
        lines = csv_text(rows).splitlines()
        chosen = set(draw(st.lists(st.integers(0, len(lines) - 1), min_size=1, max_size=5)))
        marked = (line + (extra if i in chosen else "") for i, line in enumerate(lines))
        return "".join(line + "\n" for line in marked).encode()
    elif kind == "delimiter":
        delimiter = draw(st.sampled_from([";", "\t", "|", " "]))
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
        return out.getvalue().encode()
    elif kind == "short-rows":
        i = draw(st.integers(0, len(rows) - 1))
        rows[i] = rows[i][: draw(st.integers(0, width))]
    elif kind == "long-row":
        i = draw(st.integers(0, len(rows) - 1))
        rows[i] = rows[i] + draw(st.lists(st.sampled_from(["", "x", "1"]), min_size=1, max_size=3))
    return csv_text(rows).encode()


def nasty_values(column_values: list[str]):
    """A cell's new value: a known troublemaker, another row's value (repeated IDs),
    the old value with something stuck to it, or any text."""
    return st.one_of(
        st.sampled_from(NASTY_CELLS),
        st.sampled_from(column_values) if column_values else st.just(""),
        st.text(max_size=12),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
    )


@st.composite
def cell_mutations(draw, content: bytes) -> bytes:
    """Replace one to three cells (or a header name) with troublesome values."""
    rows = rows_of(content.decode("utf-8-sig"))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(rows) - 1)) if draw(st.integers(0, 9)) == 0 else None
        i = i if i is not None else draw(st.integers(min(1, len(rows) - 1), len(rows) - 1))
        c = draw(st.integers(0, len(rows[i]) - 1))
        column_values = [row[c] for row in rows[1:] if c < len(row)]
        value = draw(nasty_values(column_values))
        how = draw(st.sampled_from(["replace", "prefix", "suffix"]))
        old = rows[i][c]
        rows[i][c] = {"replace": value, "prefix": value + old, "suffix": old + value}[how]
    return csv_text(rows).encode()


def csv_file_mutations(content: bytes):
    return st.one_of(byte_mutations(content), row_mutations(content), cell_mutations(content))


# ----------------------------------------------------------------------------- policy.toml


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(str(value), repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def toml_text(policy: dict) -> str:
    lines = []
    for section, values in policy.items():
        if not isinstance(values, dict):
            lines.append(f"{toml_key(section)} = {toml_value(values)}")
    for section, values in policy.items():
        if isinstance(values, dict):
            lines.append(f"[{toml_key(section)}]")
            lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


POLICY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=10)
SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**30, -(10**30), 1e308, float("inf"), float("nan"), 0, 1, 2, 100, 101]),
    st.floats(),
    st.sampled_from(NASTY_CELLS),
    POLICY_TEXT,
)
TOML_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(POLICY_TEXT, inner, max_size=3)
    ),
    max_leaves=6,
)
POLICY_KEYS = {
    "priority": ["order"],
    "lottery": ["tiebreak"],
    "reserves": ["precedence", "unfilled"],
    "families": ["max_iterations"],
    "rounds": ["tiebreak", "accept_ends_waiting", "respond_by"],
}
TIER_WORDS = [
    "continuing",
    "sibling",
    "zone",
    "staff",
    "sibling_offered",
    "tag:frl",
    "proximity:0.5",
    "sibling+zone",
    "general",
    "zone+zone",
]


@st.composite
def policy_mutations(draw, content: bytes) -> bytes:
    """A policy with wrong types, unknown keys or sections, odd tiers, or broken TOML."""
    kind = draw(st.sampled_from(["value", "unknown-key", "tiers", "drop", "bytes", "truncate"]))
    if kind == "bytes":
        return draw(byte_mutations(content))
    if kind == "truncate":
        return content[: draw(st.integers(0, len(content)))]
    policy = tomllib.loads(content.decode())
    if kind == "value":
        section = draw(st.sampled_from(sorted(POLICY_KEYS)))
        key = draw(st.sampled_from(POLICY_KEYS[section]))
        policy.setdefault(section, {})[key] = draw(TOML_VALUES)
    elif kind == "unknown-key":
        section = draw(st.sampled_from([*sorted(POLICY_KEYS), "seed", "Priority", ""]))
        key = draw(st.sampled_from(["seed", "orders", "Order", "x", "", "a.b", "é"]))
        if draw(st.booleans()):
            policy.setdefault(section, {})
            if isinstance(policy[section], dict):
                policy[section][key] = draw(TOML_VALUES)
        else:
            policy[section] = draw(TOML_VALUES)
    elif kind == "tiers":
        words = st.one_of(st.sampled_from(TIER_WORDS), st.sampled_from(NASTY_CELLS))
        policy.setdefault("priority", {})["order"] = draw(st.lists(words, max_size=6))
    elif kind == "drop":
        section = draw(st.sampled_from(sorted(policy)))
        del policy[section]
    return toml_text(policy).encode()


# ----------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def fresh(work: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=work))


def check_city(work: Path, name: str, content: bytes | None) -> None:
    folder = fresh(work)
    try:
        city = write_files(folder / "city", city_with(name, content))
        check_validate_and_run(city, folder)
    finally:
        shutil.rmtree(folder)


def test_the_base_city_runs(work):
    for name in CSV_FILES:
        check_city(work, name, original(name))


@st.composite
def broken_city_files(draw) -> tuple[str, bytes]:
    """One CSV file of the city, and its broken content."""
    name = draw(st.sampled_from(CSV_FILES))
    return name, draw(csv_file_mutations(original(name)))


HEADER_ONLY_PROGRAMS = BASE["programs.csv"].split(b"\n", 1)[0] + b"\n"
BLANK_SEATS_WITH_HELD_SEATS = BASE["programs.csv"].replace(
    b"S006-6,S006,Clemente Middle School,district,6,17,Z01,1,",
    b"S006-6,S006,Clemente Middle School,district,6,,Z01,1,",
)
assert BASE["programs.csv"] != BLANK_SEATS_WITH_HELD_SEATS


@FUZZ
@given(case=broken_city_files())
@example(case=("programs.csv", HEADER_ONLY_PROGRAMS))  # reserves.csv named a program: IndexError
# A blank seats cell with held seats left a capacity below 0 at a program with no reserve:
# "reserves more than it offers" looked for that program's reserve row (IndexError).
@example(case=("programs.csv", BLANK_SEATS_WITH_HELD_SEATS))
@example(case=("programs.csv", b"\x00" + BASE["programs.csv"][1:]))  # NUL printed in a message
@example(case=("applicants.csv", BASE["applicants.csv"].replace(b"Emma", b"Em\x00ma", 1)))
def test_any_broken_csv_file_is_reported_cleanly(work, case):
    check_city(work, *case)


@FUZZ
@given(content=policy_mutations(BASE["policy.toml"]))
def test_any_broken_policy_is_reported_cleanly(work, content):
    check_city(work, "policy.toml", content)


# ----------------------------------------------------------------------------- rounds


def placements(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "placements.csv").read_text())))


def programs_by_grade() -> dict[str, list[str]]:
    grades: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(BASE["programs.csv"].decode())):
        if not row["requires_tags"]:
            grades.setdefault(row["grade"], []).append(row["program_id"])
    return grades


def valid_changes(round_one: Path) -> dict[str, bytes]:
    """A changes folder with one event of each kind, valid after ``round_one``."""
    rows = placements(round_one)
    holders = [r for r in rows if r["status"] == "placed"]
    unplaced = [r for r in rows if r["status"] == "unplaced"]
    grades = programs_by_grade()
    mover = holders[3]
    ranked = {
        r[2] for r in rows_of(BASE["choices.csv"].decode())[1:] if r[0] == mover["applicant_id"]
    }
    target = next(p for p in grades[mover["grade"]] if p != mover["program_id"] and p not in ranked)
    growing = holders[4]["program_id"]
    seats = next(
        int(r["seats"])
        for r in csv.DictReader(io.StringIO(BASE["programs.csv"].decode()))
        if r["program_id"] == growing
    )
    changes = [
        ["event", "applicant_id", "program_id", "value", "note"],
        ["accept", holders[0]["applicant_id"], holders[0]["program_id"], "", "by phone"],
        ["decline", holders[1]["applicant_id"], holders[1]["program_id"], "", ""],
        ["withdraw", holders[2]["applicant_id"], "", "", "moved away"],
        ["transfer_request", mover["applicant_id"], target, "", ""],
        ["seat_change", "", growing, str(seats + 2), ""],
        ["new_applicant", "N000001", "", "", ""],
        ["update_choices", unplaced[0]["applicant_id"], "", "", ""],
    ]
    applicants = [
        ["applicant_id", "first_name", "last_name", "grade", "guardian_name", "zone", "tags"],
        ["N000001", "Noa", "Late", "K", "Sol Late", "Z01", "frl"],
    ]
    late_grade = unplaced[0]["grade"]
    choices = [
        ["applicant_id", "rank", "program_id"],
        ["N000001", "1", grades["K"][0]],
        ["N000001", "2", grades["K"][1]],
        [unplaced[0]["applicant_id"], "1", grades[late_grade][-1]],
    ]
    return {
        "changes.csv": csv_text(changes).encode(),
        "applicants.csv": csv_text(applicants).encode(),
        "choices.csv": csv_text(choices).encode(),
    }


@functools.cache
def round_one() -> tuple[Path, Path, dict[str, bytes]]:
    """Round 1 of the example city (with priorities.csv), and a valid changes folder.

    Made once per session, when the first case needs it (the strategies below read the
    changes files), in a folder removed at exit.
    """
    folder = Path(tempfile.mkdtemp(prefix="lottery-fuzz-round-1-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    inputs = write_files(folder / "inputs", dict(BASE))
    out = folder / "round-1"
    result = invoke("run", inputs, "--seed", SEED, "--out", out)
    assert result.exit_code == 0, result.output
    return out, inputs, valid_changes(out)


def check_round(previous: Path, inputs: Path, changes: Path, folder: Path) -> None:
    out = folder / "round" / "out"
    out.parent.mkdir()
    result = invoke("round", previous, "--inputs", inputs, "--changes", changes, "--out", out)
    assert_promise_kept(result, out)


CHANGE_FILES = ("changes.csv", "applicants.csv", "choices.csv", "lottery.csv")


@st.composite
def broken_change_files(draw) -> tuple[str, bytes]:
    """One file of the changes folder (lottery.csv is refused after a seeded round 1, but
    must be refused cleanly), and its broken content."""
    name = draw(st.sampled_from(CHANGE_FILES))
    content = LOTTERY if name == "lottery.csv" else round_one()[2][name]
    return name, draw(csv_file_mutations(content))


@FUZZ
@given(case=broken_change_files())
def test_any_broken_changes_folder_is_reported_cleanly(work, case):
    previous, inputs, changes = round_one()
    name, content = case
    folder = fresh(work)
    try:
        changed = write_files(folder / "changes", {**changes, name: content})
        check_round(previous, inputs, changed, folder)
    finally:
        shutil.rmtree(folder)


def test_the_base_changes_folder_runs(work):
    previous, inputs, changes = round_one()
    folder = fresh(work)
    try:
        check_round(previous, inputs, write_files(folder / "changes", changes), folder)
        assert (folder / "round" / "out" / "moves.csv").is_file()
    finally:
        shutil.rmtree(folder)


def test_the_fuzz_profile_is_bounded():
    """The default run stays small enough for every ``make test``."""
    if os.environ.get("LOTTERY_FUZZ") != "long":
        assert FUZZ.max_examples <= 60 and FUZZ.derandomize
