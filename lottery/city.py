"""Validated input, column by column.

These are what the readers hand on: every value checked, every cross-reference
resolved to an integer index, rows sorted by ID so that the order of rows in the
office's files never changes a result. Columns are numpy arrays (lists of tuples for
list-valued cells), because a city can have a million applicants.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lottery.policy import Policy


@dataclass(frozen=True, eq=False)
class Programs:
    """One entry per program, sorted by ``id``."""

    id: np.ndarray
    school_id: np.ndarray
    school_name: np.ndarray
    sector: np.ndarray
    grade: np.ndarray
    seats: np.ndarray
    zones: list[tuple[str, ...]]
    line: np.ndarray
    held_seats: np.ndarray
    offer_target: np.ndarray
    requires_tags: list[tuple[str, ...]]
    administrative_zones: list[tuple[str, ...]]
    latitude: np.ndarray
    longitude: np.ndarray

    def __len__(self) -> int:
        return len(self.id)

    @property
    def capacity(self) -> np.ndarray:
        """Seats offered in this run: ``offer_target - held_seats`` (docs/seat-policy.md)."""
        return (self.offer_target - self.held_seats).astype(np.int64)


@dataclass(frozen=True, eq=False)
class Applicants:
    """One entry per applicant, sorted by ``id`` (so index order is ``applicant_id`` order).

    ``guaranteed_program`` is a program index or -1; coordinates are NaN where not given.
    """

    id: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    grade: np.ndarray
    zone: np.ndarray
    current_school_id: np.ndarray
    sibling_school_ids: list[tuple[str, ...]]
    staff_school_id: np.ndarray
    language: np.ndarray
    guardian_name: np.ndarray
    address: np.ndarray
    line: np.ndarray
    tags: list[tuple[str, ...]]
    guaranteed_program: np.ndarray
    accepts_administrative: np.ndarray
    family_id: np.ndarray
    link_family: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray

    def __len__(self) -> int:
        return len(self.id)


@dataclass(frozen=True, eq=False)
class Choices:
    """One entry per ranked choice, sorted by (applicant, rank); indices into the tables above."""

    applicant: np.ndarray
    rank: np.ndarray
    program: np.ndarray
    line: np.ndarray

    def __len__(self) -> int:
        return len(self.applicant)


@dataclass(frozen=True, eq=False)
class ExplicitPriorities:
    """Priorities computed outside the engine, sorted by (applicant, program)."""

    applicant: np.ndarray
    program: np.ndarray
    priority: np.ndarray
    line: np.ndarray


@dataclass(frozen=True, eq=False)
class ExternalLottery:
    """Lottery numbers drawn outside the engine; ``program`` is -1 for an applicant-wide number."""

    applicant: np.ndarray
    program: np.ndarray
    number: np.ndarray
    per_program: bool


@dataclass(frozen=True, eq=False)
class Reserves:
    """Reserved seats, one entry per (program, category), sorted by (program, category)."""

    program: np.ndarray
    category: np.ndarray
    seats: np.ndarray
    line: np.ndarray

    def __len__(self) -> int:
        return len(self.program)


@dataclass(frozen=True, eq=False)
class CityInput:
    """Everything in an input folder, validated."""

    programs: Programs
    applicants: Applicants
    choices: Choices
    policy: Policy
    explicit_priorities: ExplicitPriorities | None = None
    external_lottery: ExternalLottery | None = None
    reserves: Reserves | None = None
    lottery_reversed: bool = False  # a later round under [rounds] tiebreak = "reversed"
    input_sha256: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
