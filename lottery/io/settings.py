"""Reading TOML settings files (policy.toml, letters.toml) with plain-English problems.

Both files are read the same way: UTF-8 text, valid TOML, then a pydantic model with
unknown keys forbidden. Every problem points at the file and, where it can be found, the
line of the setting.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

from lottery.errors import InputError, Problem


def read_toml(path: Path, name: str) -> tuple[str, dict]:
    """The file's text and parsed contents; InputError if it is not UTF-8 TOML."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = f"the file is not UTF-8 text (byte {error.start + 1}); save it as UTF-8"
        raise InputError([Problem(name, None, None, message)]) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        line = int(found.group(1)) if found else None
        raise InputError([Problem(name, line, None, f"not valid TOML: {error}")]) from None


def validation_problems(name: str, text: str, error: ValidationError) -> list[Problem]:
    """One Problem per pydantic error, worded for people rather than programmers."""
    return [_problem(name, text, issue) for issue in error.errors()]


def _problem(name: str, text: str, issue: dict) -> Problem:
    keys = [str(part) for part in issue["loc"] if not isinstance(part, int)]
    column = ".".join(keys) or None
    kind = issue["type"]
    if kind == "extra_forbidden":
        message = f'unknown setting "{keys[-1]}"'
    elif kind == "string_type" and issue["loc"] and isinstance(issue["loc"][-1], int):
        item = issue["loc"][-1] + 1
        message = f"item {item} of the list must be text in quotes, not {issue['input']!r}"
    elif kind == "literal_error":
        message = f"must be one of {issue['ctx']['expected']}, not {issue['input']!r}"
    elif kind in ("string_type", "model_type", "dict_type"):
        expected = "text in quotes" if kind == "string_type" else "a table"
        message = f"must be {expected}, not {issue['input']!r}"
    else:
        message = issue["msg"].removeprefix("Value error, ")
    return Problem(name, line_of(text, keys[-1] if keys else ""), column, message)


def line_of(text: str, key: str) -> int | None:
    """Line where ``key`` is set or opened as a table, for pointing at a setting."""
    pattern = re.compile(rf"^\s*(\[\s*)?([\w.]*\.)?{re.escape(key)}\s*(=|\])")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None
