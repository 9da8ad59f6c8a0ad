"""Packed integer keys for (applicant, program)-style pairs, and lookups among them.

Sets of Python tuples cost seconds and gigabytes at a million applicants; one int64 per
pair, sorted once and searched with ``searchsorted``, costs a fraction of that.
"""

from __future__ import annotations

import numpy as np


def pair_keys(first: np.ndarray, second: np.ndarray, n_second: int) -> np.ndarray:
    """One int64 per pair: ``first * n_second + second`` (unique while 0 <= second < n_second)."""
    return np.asarray(first, dtype=np.int64) * max(n_second, 1) + np.asarray(second, dtype=np.int64)


def find_sorted(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``keys`` sits in ``sorted_keys`` (ascending, unique), and whether found."""
    keys = np.asarray(keys, dtype=np.int64)
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=bool)
    position = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return position, sorted_keys[position] == keys


def contains_sorted(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Whether each of ``keys`` is in ``sorted_keys`` (ascending, unique)."""
    return find_sorted(sorted_keys, keys)[1]
