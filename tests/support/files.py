"""Readers the tests use on input and results files: CSV rows and SHA-256 checksums."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path


def rows(path: Path) -> list[dict[str, str]]:
    """The rows of a UTF-8 CSV file, as dicts keyed by its header."""
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex (as manifest.json records it)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
