"""The made-up names of synthetic cities: the lists in ``names/*.txt``, read once.

Each file holds one name a line after a ``#`` header line. A list keeps the order of its
file, because a city's random draws pick names by position: reordering, adding or
removing a line changes every city generated afterwards, seed for seed.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from lottery.synth.parameters import LANGUAGES


@cache
def name_list(name: str) -> tuple[str, ...]:
    """The names in ``names/{name}.txt``, in the order of the file."""
    text = resources.files(__package__).joinpath("names", f"{name}.txt").read_text("utf-8")
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


@cache
def names_by_language(kind: str) -> dict[str, tuple[str, ...]]:
    """The lists ``names/{kind}_{language}.txt`` by home language, for every language."""
    return {code: name_list(f"{kind}_{code}") for code in LANGUAGES}
