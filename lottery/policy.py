"""The lottery policy: priority tiers and tie-breaking, as ``policy.toml`` says them.

The same policy applies to every program, charter or district alike. The models are
strict: a value of the wrong type (``max_iterations = "5"``, ``accept_ends_waiting =
"yes"``) is a problem in policy.toml, never quietly converted. This module is the model
only; :mod:`lottery.io.policy_file` reads the file.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lottery.errors import shown

POLICY_FILE = "policy.toml"

CRITERIA = {
    "continuing": "the applicant's current school is the program's school",
    "sibling": "the program's school is in the applicant's sibling_school_ids",
    "zone": "the applicant's zone is one of the program's zones",
    "staff": "the applicant's staff_school_id is the program's school",
    "sibling_offered": "a linked family member is placed at the program's school in this run",
    "tag:NAME": "the applicant has the tag NAME (applicants.csv, tags)",
    "proximity:MILES": "the applicant lives at most MILES miles from the program",
}
KNOWN_CRITERIA = "continuing, sibling, staff, zone, sibling_offered, tag:NAME, proximity:MILES"
SIBLING_OFFERED = "sibling_offered"
TAG_PREFIX = "tag:"
PROXIMITY_PREFIX = "proximity:"
TAG = r"[A-Za-z0-9_.-]{1,64}"
_MILES = r"[0-9]{1,4}(\.[0-9]{1,4})?"


def criterion_problem(criterion: str, where: str = "", hint: str = "") -> str | None:
    """Why ``criterion`` is not a criterion the engine knows, or None if it is one.

    ``where`` (such as ``in tier "sibling+zoen"``) is put after the criterion's name and
    ``hint`` after the list of known criteria.
    """
    where = f" {where}" if where else ""
    quoted = shown(criterion)  # as typed, with any control character escaped
    if criterion.startswith(TAG_PREFIX):
        if re.fullmatch(TAG, criterion.removeprefix(TAG_PREFIX)):
            return None
        return (
            f'criterion "{quoted}"{where} needs a tag after "tag:" '
            "(letters, digits, - _ .), such as tag:frl"
        )
    if criterion.startswith(PROXIMITY_PREFIX):
        miles = criterion.removeprefix(PROXIMITY_PREFIX)
        if re.fullmatch(_MILES, miles) and float(miles) > 0:
            return None
        return (
            f'criterion "{quoted}"{where} needs a distance in miles after "proximity:", '
            "such as proximity:0.5"
        )
    if criterion in CRITERIA and ":" not in criterion:
        return None
    return f'unknown priority criterion "{quoted}"{where} (known criteria: {KNOWN_CRITERIA}{hint})'


def proximity_miles(criterion: str) -> float:
    """The distance in a ``proximity:MILES`` criterion."""
    return float(criterion.removeprefix(PROXIMITY_PREFIX))


DEFAULT_PRIORITY_ORDER = ("continuing", "sibling+zone", "sibling", "zone")
GENERAL = "general"
GUARANTEED = "guaranteed"
GUARANTEED_VALUE = 0  # above every tier (tiers count from 1)


def tier_criteria(tier: str) -> tuple[str, ...]:
    """The criteria a tier joins with ``+`` (all must hold), in written order."""
    return tuple(part.strip() for part in tier.split("+"))


class PriorityPolicy(BaseModel):
    """Priority tiers, highest first. A pair's priority is the first tier it satisfies."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    order: tuple[str, ...] = DEFAULT_PRIORITY_ORDER

    @field_validator("order", mode="before")
    @classmethod
    def _a_list(cls, order):
        # TOML has lists, not tuples: the strict model takes the list's items as they are.
        if isinstance(order, list):
            return tuple(order)
        if not isinstance(order, tuple):
            raise ValueError(
                'must be a list of tiers in brackets, such as ["continuing", "sibling", "zone"]'
            )
        return order

    @field_validator("order")
    @classmethod
    def _known_criteria(cls, order: tuple[str, ...]) -> tuple[str, ...]:
        normalised: list[str] = []
        for tier in order:
            criteria = tier_criteria(tier)
            for criterion in criteria:
                problem = criterion_problem(
                    criterion, f'in tier "{shown(tier)}"', "; join them with + "
                )
                if problem:
                    raise ValueError(problem)
            if len(set(criteria)) != len(criteria):
                raise ValueError(f'tier "{shown(tier)}" names the same criterion twice')
            # A tier that needs everything an earlier tier needs (and maybe more) can never
            # apply: the earlier tier always matches first. That silently cancels a policy.
            for earlier in normalised:
                if set(tier_criteria(earlier)) <= set(criteria):
                    what = (
                        "repeats"
                        if set(tier_criteria(earlier)) == set(criteria)
                        else "can never apply after"
                    )
                    raise ValueError(
                        f'tier "{shown(tier)}" {what} tier "{shown(earlier)}", which comes first'
                    )
            normalised.append("+".join(criteria))
        return tuple(normalised)

    @property
    def general_value(self) -> int:
        """Priority value of a pair that satisfies no tier."""
        return len(self.order) + 1


class LotteryPolicy(BaseModel):
    """How ties within a priority tier are broken."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    tiebreak: Literal["single", "multiple"] = "single"


class ReservePolicy(BaseModel):
    """How programs with reserved seats (reserves.csv) fill them; see docs/seat-policy.md."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    precedence: Literal["reserved_first", "open_first"] = "reserved_first"
    unfilled: Literal["open", "empty"] = "open"


class FamilyPolicy(BaseModel):
    """Families applying together: how often the match may be rerun for sibling_offered."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    max_iterations: int = Field(default=10, ge=2, le=100)


class RoundsPolicy(BaseModel):
    """Rounds after the main match (``lottery round``); see docs/rounds.md."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    tiebreak: Literal["same", "reversed"] = "same"
    accept_ends_waiting: bool = False
    respond_by: str = ""

    @field_validator("respond_by")
    @classmethod
    def _printable(cls, text: str) -> str:
        # Written into every row of offers.csv and read by families.
        if not text.isprintable():
            raise ValueError(
                f'"{shown(text)}" contains a control character; write the date as plain text'
            )
        return text


class ChecksPolicy(BaseModel):
    """How strict reading the input files is (docs/file-formats.md, "Warnings and --strict").

    ``"warning"`` lists the rows and runs; ``"error"`` refuses the files, as ``lottery run
    --strict`` does for both. Recommended for the official run: ``"error"``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    unknown_codes: Literal["warning", "error"] = "warning"
    unknown_columns: Literal["warning", "error"] = "warning"

    def strict_kinds(self) -> frozenset[str]:
        """The kinds of notice (``lottery.io.csv_tables.NOTICE_KINDS``) that are errors."""
        kinds = {"unknown_codes": self.unknown_codes, "ignored_columns": self.unknown_columns}
        return frozenset(kind for kind, level in kinds.items() if level == "error")


class Policy(BaseModel):
    """Everything ``policy.toml`` can say; every field has a documented default."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    priority: PriorityPolicy = PriorityPolicy()
    lottery: LotteryPolicy = LotteryPolicy()
    reserves: ReservePolicy = ReservePolicy()
    families: FamilyPolicy = FamilyPolicy()
    rounds: RoundsPolicy = RoundsPolicy()
    checks: ChecksPolicy = ChecksPolicy()

    def manifest_record(self) -> dict:
        """The policy as manifest.json records it. ``[checks]`` decides no placement and
        is left out while it is the default, so that manifests written before it existed
        are reproduced byte for byte."""
        record = self.model_dump(mode="json")
        if self.checks == ChecksPolicy():
            del record["checks"]
        return record

    def criteria(self) -> set[str]:
        """Every criterion named in the priority tiers."""
        return {c for tier in self.priority.order for c in tier_criteria(tier)}

    def priority_label(self, value: int, explicit: bool) -> str:
        """Name of a priority value as written in the outputs."""
        if explicit:
            return f"explicit:{value}"
        if value == GUARANTEED_VALUE:
            return GUARANTEED
        if 1 <= value <= len(self.priority.order):
            return self.priority.order[value - 1]
        return GENERAL
