"""Publicly checkable lottery numbers, the seed commitment and the lookup.

**Lottery numbers.**

An applicant's number is the first 8 bytes of a SHA-256 hash, read as a big-endian
unsigned integer::

    single tie-break:    sha256(f"{seed}|{applicant_id}")
    multiple tie-break:  sha256(f"{seed}|{applicant_id}|{program_id}")

Lower numbers win. Anyone who knows the published seed can recompute their own number
in any language (see docs/lottery-numbers.md).

A **seed commitment** is the SHA-256 of the seed's UTF-8 text, written as 64 lowercase
hexadecimal digits::

    seed_commitment("2026-spring") == sha256(b"2026-spring").hexdigest()

The office publishes the commitment before the lottery and reveals the seed after it;
anyone can then check that the revealed seed is the one committed to (``lottery seed
commit SEED``), and ``lottery run --seed-commitment HEX`` refuses any other seed. The
text is hashed exactly as given: no trimming, no change of case, no line break added.

A **lookup** shows how one lottery number is computed (see above and
docs/lottery-numbers.md): the exact text hashed, its SHA-256, the first 16 hexadecimal
digits and their value as a decimal number.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from lottery.errors import UNSEEN_CHARACTERS, UsageError, shown
from lottery.io.inputs import APPLICANT_ID, CODE

COMMITMENT = re.compile(r"[0-9a-f]{64}")


def lottery_key(seed: str, applicant_id: str, program_id: str | None = None) -> str:
    """The exact text that is hashed for an applicant (and program, for multiple tie-break)."""
    if program_id is None:
        return f"{seed}|{applicant_id}"
    return f"{seed}|{applicant_id}|{program_id}"


def lottery_number(seed: str, applicant_id: str, program_id: str | None = None) -> int:
    """The lottery number of one applicant (at one program, for multiple tie-break)."""
    digest = hashlib.sha256(lottery_key(seed, applicant_id, program_id).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def lottery_numbers(seed: str, names: Iterable[str]) -> np.ndarray:
    """Lottery numbers (uint64) of ``f"{seed}|{name}"`` for each of ``names``, in order:
    what :func:`lottery_number` gives one at a time (a name is an applicant ID, or
    ``applicant_id|program_id`` for multiple tie-break).

    The hash of ``seed|`` is computed once and copied for each name, which hashes the
    same bytes about a third faster than hashing every key whole (a million
    applicants, benchmarks/market.py --compare).
    """
    copy = hashlib.sha256(f"{seed}|".encode()).copy
    digests: list[bytes] = []
    append = digests.append
    for name in map(str.encode, names):
        state = copy()
        state.update(name)
        append(state.digest())
    # Each digest is four big-endian uint64s; the number is the first.
    return np.frombuffer(b"".join(digests), dtype=">u8")[::4].astype(np.uint64)


FAMILY_PREFIX = "family:"


def lottery_ranks_by(family: np.ndarray, own: np.ndarray) -> np.ndarray:
    """1-based rank of each applicant by family number, then own number, then index."""
    if family is own:
        return lottery_ranks(own)
    order = np.lexsort((np.arange(len(own)), own, family))
    ranks = np.empty(len(own), dtype=np.int64)
    ranks[order] = np.arange(1, len(own) + 1, dtype=np.int64)
    return ranks


def lottery_ranks(numbers: np.ndarray) -> np.ndarray:
    """1-based rank of each number (lowest first); ties keep index order.

    Indices follow sorted applicant IDs, so ties fall back to ``applicant_id`` order.
    """
    order = np.argsort(numbers, kind="stable")
    ranks = np.empty(len(numbers), dtype=np.int64)
    ranks[order] = np.arange(1, len(numbers) + 1, dtype=np.int64)
    return ranks


def seed_commitment(seed: str) -> str:
    """The SHA-256 of ``seed`` encoded as UTF-8, as 64 lowercase hexadecimal digits.

    >>> seed_commitment("2026-spring")[:16]
    '7b76738218424149'
    """
    check_seed_text(seed)
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def parse_commitment(text: str) -> str:
    """Check that ``text`` is a SHA-256 in hexadecimal; return it in lowercase.

    Surrounding spaces are ignored (a commitment is often pasted from a web page).
    """
    value = text.strip().lower()
    if not COMMITMENT.fullmatch(value):
        raise UsageError(
            f'"{shown(text)}" is not a seed commitment: it must be the 64 hexadecimal digits '
            "that `lottery seed commit SEED` printed."
        )
    return value


def check_seed_commitment(seed: str | None, commitment: str | None) -> str | None:
    """Refuse a seed that cannot be typed again (:func:`check_seed_text`), or whose SHA-256
    is not ``commitment``; return the commitment (lowercase).

    ``None`` (no commitment given) is allowed and returned. A commitment without a seed
    (the numbers come from lottery.csv) is refused, since there is nothing to check.
    """
    if seed is not None:
        check_seed_text(seed)
    if commitment is None:
        return None
    expected = parse_commitment(commitment)
    if seed is None:
        raise UsageError(
            "--seed-commitment checks the seed, but this lottery has no seed (its numbers "
            "come from lottery.csv); run again without --seed-commitment."
        )
    actual = seed_commitment(seed)
    if actual != expected:
        raise UsageError(
            f"The seed does not match the published commitment: the SHA-256 of the seed "
            f'"{shown(seed)}" is {actual}, but the commitment is {expected}. Check the seed for '
            "typing mistakes (capital letters, spaces); nothing was run."
        )
    return expected


@dataclass(frozen=True)
class LotteryNumberLookup:
    """How one lottery number comes from the seed: every intermediate value.

    ``text`` is what is hashed, ``digest`` its SHA-256 (64 hexadecimal digits),
    ``prefix`` the first 16 of them and ``number`` their value.
    """

    seed: str
    applicant_id: str
    program_id: str | None
    text: str
    digest: str
    prefix: str
    number: int

    @property
    def tiebreak(self) -> str:
        """``single`` (one number per applicant) or ``multiple`` (one per program)."""
        return "single" if self.program_id is None else "multiple"

    @property
    def shell_command(self) -> str:
        """A command line (Linux; ``shasum -a 256`` on macOS) that prints ``digest``."""
        return f"printf '%s' {shlex.quote(self.text)} | sha256sum"


def look_up_lottery_number(
    seed: str, applicant_id: str, program_id: str | None = None
) -> LotteryNumberLookup:
    """The lottery number of ``applicant_id`` (at ``program_id``: multiple tie-break).

    The number is the same as :func:`lottery.numbers.lottery_number`; the IDs must be
    spelled as the input files allow, so that a typing mistake is caught here rather
    than giving a number nobody has.
    """
    check_seed_text(seed)
    if not re.fullmatch(APPLICANT_ID, applicant_id):
        raise UsageError(
            f'"{shown(applicant_id)}" is not an applicant ID (letters, digits, "-" and "_" only, '
            "as in applicants.csv)."
        )
    found = _look_up(seed, applicant_id, program_id)
    assert found.number == lottery_number(seed, applicant_id, program_id)
    return found


def look_up_family_number(
    seed: str, family_id: str, program_id: str | None = None
) -> LotteryNumberLookup:
    """The lottery number of the linked family ``family_id`` (at ``program_id``: multiple
    tie-break): the number that orders a family's members before their own numbers. Its
    ``applicant_id`` is ``family:FAMILY_ID``, the text hashed in place of an applicant ID.
    """
    check_seed_text(seed)
    if not re.fullmatch(CODE, family_id):
        raise UsageError(
            f'"{shown(family_id)}" is not a family ID (letters, digits, "-", "_" and "." only, '
            "as in applicants.csv)."
        )
    return _look_up(seed, FAMILY_PREFIX + family_id, program_id)


def _look_up(seed: str, who: str, program_id: str | None) -> LotteryNumberLookup:
    """Every step from the seed to the number of ``who`` (an applicant ID, or
    ``family:FAMILY_ID``), once the program ID is checked."""
    if program_id is not None and not re.fullmatch(CODE, program_id):
        raise UsageError(f'"{shown(program_id)}" is not a program ID (as in programs.csv).')
    text = lottery_key(seed, who, program_id)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LotteryNumberLookup(
        seed, who, program_id, text, digest, digest[:16], int(digest[:16], 16)
    )


def check_seed_text(seed: str) -> None:
    """Refuse a seed that an auditor could not type again exactly (UsageError).

    Every command that takes a seed checks it here: ``run`` (through
    :func:`check_seed_commitment`), ``seed commit`` and ``lookup``. The seed must not be
    empty; it must be text, since its UTF-8 bytes are what is hashed (a terminal or
    script can pass bytes that are not UTF-8, which Python keeps as lone surrogates); and
    it must not hold control characters (NUL, tab, line breaks, ...) or invisible ones,
    which nobody can read off a published seed (docs/lottery-numbers.md).
    """
    if not seed.strip():
        raise UsageError("The seed must not be empty: pass the seed that was announced publicly.")
    try:
        seed.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f'The seed must be text (valid UTF-8), but "{shown(seed)}" holds bytes that are '
            "not: type the seed as letters, digits and punctuation, or check the encoding of "
            "the script that passes it."
        ) from None
    found = UNSEEN_CHARACTERS.search(seed)
    if found:
        raise UsageError(
            f'The seed "{shown(seed)}" holds a control or invisible character '
            f"({shown(found.group())}); a seed must be text that anyone can read and type "
            "again exactly, such as 2026-spring."
        )
