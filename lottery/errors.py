"""User-facing errors of the lottery engine.

Every error a person can cause (bad files, bad options) is a ``LotteryError``; the
command-line layer catches only this family and prints it as plain lines. Anything
else that escapes is a bug and keeps its traceback.

::

    LotteryError                 exit status 1 unless a subclass says otherwise
    ├── InputError               exit 2: one or more Problems in the input files
    │   └── ResultsError         exit 2: ... in the files of a finished results folder
    ├── UsageError               exit 2: options that cannot work together, refused output folder
    └── MatchingError            exit 1: the matcher was handed arrays that break its contract
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SHOWN_LENGTH = 60
"""A value quoted in a message is cut after this many characters."""

UNSEEN_CHARACTERS = re.compile(
    "[\x00-\x1f\x7f-\x9f"  # C0 and C1 control characters, with tab and line breaks
    "\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"  # invisible, or reorder text
    "\u2028\u2029"  # line and paragraph separators
    "\ud800-\udfff]"  # not text at all: bytes that were not valid UTF-8
)
"""Characters that do not show as themselves when printed: ``shown`` writes them as
escapes."""
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def shown(value: object, limit: int | None = SHOWN_LENGTH) -> str:
    r"""``value`` (from a file or the command line) as a message quotes it.

    Characters that would not show, or would show as something else, are written as
    escapes, so that ``\x00S001-6`` (a NUL, then ``S001-6``) does not pass for
    ``S001-6``: ``\t`` for a tab, ``\xff`` for a byte that is not UTF-8. A value longer
    than ``limit`` characters is cut, with its length, so that one bad cell cannot flood
    the screen: ``AAA…AAA… (10,485,760 characters)``; ``limit=None`` never cuts. Quotes
    around the value are the caller's.

    >>> print(shown("\x00S001-6"))
    \x00S001-6
    """
    text = value if isinstance(value, str) else str(value)
    head = text if limit is None else text[:limit]
    escaped = UNSEEN_CHARACTERS.sub(lambda found: _escape(found.group()), head)
    if len(head) < len(text):
        escaped += f"… ({len(text):,} characters)"
    return escaped


def _escape(character: str) -> str:
    if character in _NAMED:
        return _NAMED[character]
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # how Python keeps a byte that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in one input file.

    ``line`` is the 1-based line of the file (the header is line 1), or ``None`` for a
    problem with the whole file. ``column`` is the column name, or ``None``.
    """

    file: str
    line: int | None
    column: str | None
    message: str

    def render(self) -> str:
        """Format as ``file:line: column: message`` (parts that are unknown are left out)."""
        place = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.column:
            return f"{place}: {self.column}: {self.message}"
        return f"{place}: {self.message}"

    def sort_key(self) -> tuple:
        return (self.file, self.line or 0, self.column or "", self.message)


class LotteryError(Exception):
    """Base class of every error meant for the person running the lottery."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The plain-English lines the command line prints for this error."""
        return [str(self)]


class InputError(LotteryError):
    """The input files have problems; ``problems`` lists every one found.

    ``total`` may exceed ``len(problems)`` when the list was capped to keep the
    report readable. ``files`` names the files in the summary line when they are not
    (only) the input files.
    """

    exit_code = 2
    files = "the input files"

    def __init__(self, problems: list[Problem], total: int | None = None, files: str = ""):
        self.files = files or self.files
        self.problems = sorted(problems, key=Problem.sort_key)
        self.total = max(total or 0, len(self.problems))
        super().__init__(self.summary())

    def summary(self) -> str:
        noun = "problem" if self.total == 1 else "problems"
        return f"Found {self.total} {noun} in {self.files}; nothing was written."

    def lines(self) -> list[str]:
        out = [problem.render() for problem in self.problems]
        hidden = self.total - len(self.problems)
        if hidden > 0:
            out.append(f"... and {hidden} more problems not shown.")
        out.append(self.summary())
        return out


class ResultsError(InputError):
    """A finished results folder (read by letters, report or a later round) has problems."""

    files = "the results files"


class UsageError(LotteryError):
    """The command was asked to do something it must refuse (for example overwrite results)."""

    exit_code = 2


class MatchingError(LotteryError):
    """The matcher received arrays that break its contract (a bug upstream, or bad data)."""

    exit_code = 1
