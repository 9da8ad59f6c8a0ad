"""Publicly checkable lottery numbers.

An applicant's number is the first 8 bytes of a SHA-256 hash, read as a big-endian
unsigned integer::

    single tie-break:    sha256(f"{seed}|{applicant_id}")
    multiple tie-break:  sha256(f"{seed}|{applicant_id}|{program_id}")

Lower numbers win. Anyone who knows the published seed can recompute their own number
in any language (see docs/lottery-numbers.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np


def lottery_key(seed: str, applicant_id: str, program_id: str | None = None) -> str:
    """The exact text that is hashed for an applicant (and program, for multiple tie-break)."""
    if program_id is None:
        return f"{seed}|{applicant_id}"
    return f"{seed}|{applicant_id}|{program_id}"


def lottery_number(seed: str, applicant_id: str, program_id: str | None = None) -> int:
    """The lottery number of one applicant (at one program, for multiple tie-break)."""
    digest = hashlib.sha256(lottery_key(seed, applicant_id, program_id).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def lottery_numbers(keys: Iterable[str]) -> np.ndarray:
    """Lottery numbers (uint64) for many already-built keys, in order."""
    sha256 = hashlib.sha256
    prefixes = b"".join([sha256(key.encode("utf-8")).digest()[:8] for key in keys])
    return np.frombuffer(prefixes, dtype=">u8").astype(np.uint64)


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
