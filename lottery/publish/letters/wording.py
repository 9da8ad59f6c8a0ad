"""Wording files (``en.toml``, ``es.toml``, ...): every sentence of the letter in one
language, and how they become the first part of the letter's Jinja2 template.

A wording file has two tables. ``[values]`` holds plain texts (and lists and tables of
texts), such as ``title`` or the names of the months; ``[macros]`` holds Jinja2 texts,
worded for each letter, such as ``outcome``; a macro written with parameters
(``"date(d)"``) is given them. Both the HTML layout (``letter.html``) and the PDF layout
use these names, so each file must define every name of :data:`WORDING`.

:func:`join_letter` writes the whole letter as one template: a ``set`` for each value,
a ``macro`` for each macro, then the layout. It records the file and line each of its
lines comes from, so that an error is reported where the office can fix it
(``en.toml:88: template error: ...``), not at a line of a file nobody wrote.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lottery.errors import InputError, Problem, shown
from lottery.io.toml_files import as_toml, read_toml

CHOICE_COLUMNS = (
    "column_rank",
    "column_school",
    "column_result",
    "column_priority",
    "column_lottery_rank",
    "column_cutoff",
)
"""The headings of the table of choices, in the order its columns are drawn."""
WORDING = (
    "title",
    "heading_choices",
    "heading_lottery",
    "heading_next",
    *CHOICE_COLUMNS,
    "office_name",
    "contact_line",
    "translation_note",
    "subject",
    "greeting",
    "intro",
    "outcome",
    "school",
    "result",
    "priority",
    "lottery_rank",
    "cutoff",
    "choices_explained",
    "lottery",
    "lottery_check",
    "next_steps",
    "waitlist_note",
    "questions",
    "closing",
    "page",
)
"""Every value and macro a letter's wording must define: the PDF is laid out from these."""
ROUND_WORDING = ("round_outcome",)
"""What the wording must also define for the letters of a later round (a wording file
written before rounds had letters is still used for round 1)."""
TEXT_NAMES = WORDING[: 4 + len(CHOICE_COLUMNS)]
"""The names of :data:`WORDING` that the layouts use as plain text, not as macros."""
TABLES = ("values", "macros")
ONLY_TABLES = "a wording file holds [values] and [macros]"
NOT_A_NAME = "is not a name: use letters, digits and _, and start with a letter"
TEXTS = "text in quotes, or a list or table of texts"

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MACRO = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:\(\s*(?P<parameters>[A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)?\s*\))?"
)
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # how Jinja counts lines
END_MACRO = "{%- endmacro -%}"


@dataclass(frozen=True)
class Entry:
    """One value or macro of a wording file."""

    name: str
    parameters: str | None
    """The macro's parameters (``"n, total"``, or ``""``); ``None`` for a value."""
    value: object
    line: int | None
    """The line of the file that names it."""
    first_line: int | None = None
    """For a text that starts on a line of its own (``'''``), that line."""


@dataclass(frozen=True)
class WordingFile:
    """A checked wording file: its name (``en.toml``) and its values and macros, in order."""

    name: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class JoinedLetter:
    """The whole letter as one template, and the file and line each of its lines is from."""

    source: str
    origins: tuple[tuple[str, int | None], ...]


def read_wording(path: Path) -> WordingFile:
    """Read and check the wording file at ``path``.

    Raises :class:`~lottery.errors.InputError` with every problem, each at its line: not
    UTF-8 TOML, a table other than ``[values]`` and ``[macros]``, a name that is not one,
    a value of the wrong type, a name defined twice, names of :data:`WORDING` missing.
    """
    name = Path(path).name
    text, data = read_toml(path, name)
    places = _places(text)
    problems: list[Problem] = []
    entries: list[Entry] = []

    def problem(table: str, key: str, message: str) -> None:
        line = places.get((table, key), (None,))[0]
        setting = f"{table}.{key}" if table else key
        problems.append(Problem(name, line, shown(setting), message))

    for key, table in data.items():
        if key not in TABLES:
            problem("", key, f'unknown setting "{shown(key)}": {ONLY_TABLES}')
        elif not isinstance(table, dict):
            problem("", key, f"must be a table of settings, not {as_toml(table)}")
    values = data.get("values") if isinstance(data.get("values"), dict) else {}
    macros = data.get("macros") if isinstance(data.get("macros"), dict) else {}
    for key, value in values.items():
        if not NAME.fullmatch(key):
            problem("values", key, NOT_A_NAME)
        elif key in TEXT_NAMES and not isinstance(value, str):
            problem("values", key, f"must be text in quotes, not {as_toml(value)}")
        elif not _is_texts(value):
            problem("values", key, f"must be {TEXTS}, not {as_toml(value)}")
        else:
            line = places.get(("values", key), (None,))[0]
            entries.append(Entry(key, None, value, line))
    for key, value in macros.items():
        found = MACRO.fullmatch(key)
        if found is None:
            problem("macros", key, 'is not a name, or a name with its parameters such as "date(d)"')
        elif not isinstance(value, str):
            problem("macros", key, f"must be text in quotes, not {as_toml(value)}")
        elif found["name"] in values:
            problem("macros", key, f'"{found["name"]}" is also a value: give it one name only')
        else:
            line, first_line = places.get(("macros", key), (None, None))
            parameters = ", ".join(re.split(r"\s*,\s*", found["parameters"] or ""))
            entries.append(Entry(found["name"], parameters.strip(", "), value, line, first_line))
    defined = set(values) | {found["name"] for key in macros if (found := MACRO.fullmatch(key))}
    missing = [word for word in WORDING if word not in defined]
    if missing:
        problems.append(
            Problem(
                name,
                None,
                None,
                f"the wording does not define {', '.join(missing)}: a wording file must keep "
                "every value and macro of the shipped one",
            )
        )
    if problems:
        raise InputError(problems)
    return WordingFile(name, tuple(entries))


def join_letter(wording: WordingFile, layout: str, layout_file: str) -> JoinedLetter:
    """The whole letter as one Jinja2 template: ``wording`` as ``set`` values and macros,
    then ``layout`` (the text of ``layout_file``).

    Every generated tag trims the white space around it, so the template's output is the
    layout's alone.
    """
    lines: list[str] = []
    origins: list[tuple[str, int | None]] = []

    def add(text: str, file: str, line: int | None) -> None:
        lines.append(text)
        origins.append((file, line))

    for entry in wording.entries:
        if entry.parameters is None:
            add(f"{{%- set {entry.name} = {_literal(entry.value)} -%}}", wording.name, entry.line)
            continue
        head = f"{{%- macro {entry.name}({entry.parameters}) -%}}"
        body = LINE_BREAK.split(entry.value)
        if len(body) == 1:
            add(head + body[0] + END_MACRO, wording.name, entry.line)
            continue
        if body[-1] == "":
            body.pop()
        add(head, wording.name, entry.line)
        for offset, text in enumerate(body):
            add(text, wording.name, _line(entry, offset))
        add(END_MACRO, wording.name, _line(entry, len(body)))
    for number, text in enumerate(LINE_BREAK.split(layout), start=1):
        add(text, layout_file, number)
    return JoinedLetter("\n".join(lines), tuple(origins))


def _line(entry: Entry, offset: int) -> int | None:
    """The line of the file that line ``offset`` of a macro's text is on."""
    if entry.first_line is None:  # a text in single quotes, on its key's line
        return entry.line
    return entry.first_line + offset


def _is_texts(value: object) -> bool:
    """Text, or a list or table of texts."""
    if isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    if isinstance(value, dict):
        return all(isinstance(item, str) for item in value.values())
    return isinstance(value, str)


def _literal(value: object) -> str:
    """``value`` (text, or a list or table of texts) written as a Jinja2 literal on one line."""
    if isinstance(value, list):
        return "[" + ", ".join(map(_literal, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    # Jinja reads a literal's backslash escapes as Python does ("unicode-escape").
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _UNSEEN.sub(lambda found: f"\\u{ord(found.group()):04x}", escaped) + '"'


_UNSEEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

_TABLE_LINE = re.compile(r"\s*\[\s*(?P<table>[A-Za-z0-9_.\s-]+?)\s*\]\s*(#.*)?$")
_KEY_LINE = re.compile(
    r"""\s*(?P<key>[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')\s*=\s*(?P<value>.*)"""
)


def _places(text: str) -> dict[tuple[str, str], tuple[int, int | None]]:
    """Where each key of the file is: ``(table, key) -> (line, first line of its text)``.

    The first line of a text is known for one in triple quotes that starts on the line
    after its key; tables within tables (``[values.criteria]``) are at their heading.
    Lines inside texts in triple quotes are skipped, so that ``x = 1`` in a macro is not
    taken for a key.
    """
    places: dict[tuple[str, str], tuple[int, int | None]] = {}
    table, closing = "", None
    for number, line in enumerate(text.split("\n"), start=1):
        if closing is not None:
            if closing in line:
                closing = None
            continue
        if found := _TABLE_LINE.match(line):
            parts = [part.strip() for part in found["table"].split(".")]
            table = parts[0]
            if len(parts) == 2:
                places.setdefault((parts[0], parts[1]), (number, None))
            continue
        found = _KEY_LINE.match(line)
        if found is None:
            continue
        try:
            key = next(iter(tomllib.loads(f"{found['key']} = 0")))
        except (tomllib.TOMLDecodeError, StopIteration):
            continue
        value = found["value"].rstrip("\r")
        first_line = None
        for quotes in ("'''", '"""'):
            if value.startswith(quotes) and quotes not in value[3:]:
                closing = quotes
                first_line = number + 1 if value[3:].strip() == "" else number
        places.setdefault((table, key), (number, first_line))
    return places
