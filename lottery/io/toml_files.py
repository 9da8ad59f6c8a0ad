"""Reading TOML settings files (policy.toml, letters.toml) with plain-English problems.

Both files are read the same way: UTF-8 text, valid TOML, then a pydantic model with
unknown keys forbidden. Every problem points at the file and, where it can be found, the
line of the setting.
"""

from __future__ import annotations

import ast
import datetime
import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

from lottery.errors import SHOWN_LENGTH, InputError, Problem, shown


def read_toml(source: Path | bytes, name: str) -> tuple[str, dict]:
    """The file's text and parsed contents, from its path or its contents; InputError
    (naming the file ``name``) if it is not UTF-8 TOML."""
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = f"the file is not UTF-8 text (byte {error.start + 1}); save it as UTF-8"
        raise InputError([Problem(name, None, None, message)]) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        line = int(found.group(1)) if found else None
        raise InputError([Problem(name, line, None, f"not valid TOML: {error}")]) from None
    except ValueError:  # Python refuses to read integers of more than 4,300 digits
        message = "holds a number too long to read (more than 4,300 digits)"
        raise InputError([Problem(name, None, None, message)]) from None


def validation_problems(name: str, text: str, error: ValidationError) -> list[Problem]:
    """One Problem per pydantic error, worded for people rather than programmers."""
    return [_problem(name, text, issue) for issue in error.errors()]


def _problem(name: str, text: str, issue: dict) -> Problem:
    keys = [str(part) for part in issue["loc"] if not isinstance(part, int)]
    column = ".".join(shown(key) for key in keys) or None
    return Problem(name, line_of(text, keys[-1] if keys else ""), column, _message(issue))


# What a setting must be, by pydantic error type. Settings models are strict, so a value
# of another type is never converted ("5" is not 5, "yes" is not true).
_MUST_BE = {
    "string_type": "text in quotes",
    "int_type": "a whole number, without quotes",
    "int_parsing": "a whole number, without quotes",
    "int_from_float": "a whole number, without quotes",
    "float_type": "a number, without quotes",
    "float_parsing": "a number, without quotes",
    "bool_type": "true or false, without quotes",
    "bool_parsing": "true or false, without quotes",
    "tuple_type": 'a list in brackets, such as ["a", "b"]',
    "list_type": 'a list in brackets, such as ["a", "b"]',
    "set_type": 'a list in brackets, such as ["a", "b"]',
    "dict_type": "a table of settings",
    "model_type": "a table of settings",
    "model_attributes_type": "a table of settings",
    "date_type": "a date written like 2026-06-30, without quotes",
    "date_parsing": "a date written like 2026-06-30, without quotes",
    "date_from_datetime_inexact": "a date written like 2026-06-30, without a time",
    "datetime_type": "a date and time written like 2026-06-30T17:00:00, without quotes",
    "datetime_parsing": "a date and time written like 2026-06-30T17:00:00, without quotes",
}

# Limits, by pydantic error type: the wording and the ctx key of the limit.
_LIMITS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
    "multiple_of": ("a multiple of", "multiple_of"),
}


def _message(issue: dict) -> str:
    """The plain-English message for one pydantic error (every type the settings models
    can raise has its own wording; values are shown as TOML writes them)."""
    kind, found, ctx = issue["type"], issue.get("input"), issue.get("ctx") or {}
    loc = issue["loc"]
    if kind == "extra_forbidden":
        return f'unknown setting "{shown(loc[-1])}"'
    if kind == "missing":
        return "this setting is required"
    if kind in _MUST_BE:
        what = f"item {loc[-1] + 1} of the list" if loc and isinstance(loc[-1], int) else ""
        subject = f"{what} must be" if what else "must be"
        return f"{subject} {_MUST_BE[kind]}, not {as_toml(found)}"
    if kind == "literal_error":
        choices = _literal_choices(ctx.get("expected", ""))
        return f"must be {_one_of(choices)}, not {as_toml(found)}"
    if kind in _LIMITS:
        words, key = _LIMITS[kind]
        return f"must be {words} {as_toml(ctx.get(key))}, not {as_toml(found)}"
    if kind in ("too_short", "string_too_short"):
        return f"must have at least {_count(ctx.get('min_length'), kind)}"
    if kind in ("too_long", "string_too_long"):
        return f"must have at most {_count(ctx.get('max_length'), kind)}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", issue["msg"])).removeprefix("Assertion failed, ")
    # Not raised by the settings models today; still no programmer's wording.
    return f"is not a value this setting can take: {as_toml(found)}"


def as_toml(value: object) -> str:
    """``value`` as a TOML file writes it (``"text"``, ``5``, ``true``, ``2026-06-30``,
    ``["a", "b"]``), with unprintable characters escaped and long values cut
    (:func:`lottery.errors.shown`)."""
    if isinstance(value, str):  # cut inside the quotes, and count the text's own length
        body = _toml(value[:SHOWN_LENGTH])[1:-1]
        if len(value) <= SHOWN_LENGTH:
            return f'"{shown(body, limit=None)}"'
        return f'"{shown(body, limit=None)}…" ({len(value):,} characters)'
    return shown(_toml(value))


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, datetime.date | datetime.time):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + "}"
    return str(value)


def _literal_choices(expected: str) -> list[object]:
    """The allowed values in pydantic's ``ctx["expected"]`` (``"'single' or 'multiple'"``:
    Python reprs joined by commas and "or")."""
    pieces = re.findall(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s,]+", expected)
    choices = []
    for piece in pieces:
        if piece == "or":
            continue
        try:
            choices.append(ast.literal_eval(piece))
        except (ValueError, SyntaxError):
            choices.append(piece)
    return choices


def _one_of(choices: list[object]) -> str:
    written = [as_toml(choice) for choice in choices]
    if len(written) <= 1:
        return "".join(written)
    return ", ".join(written[:-1]) + " or " + written[-1]


def _count(number: object, kind: str) -> str:
    noun = "character" if kind.startswith("string") else "item"
    return f"{number} {noun}" + ("" if number == 1 else "s")


def line_of(text: str, key: str) -> int | None:
    """Line where ``key`` is set or opened as a table, for pointing at a setting."""
    pattern = re.compile(rf"^\s*(\[\s*)?([\w.]*\.)?{re.escape(key)}\s*(=|\])")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None
