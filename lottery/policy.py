"""The lottery policy: priority tiers and tie-breaking, read from ``policy.toml``.

The same policy applies to every program, charter or district alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from lottery.errors import InputError
from lottery.io.settings import read_toml, validation_problems

POLICY_FILE = "policy.toml"

CRITERIA = {
    "continuing": "the applicant's current school is the program's school",
    "sibling": "the program's school is in the applicant's sibling_school_ids",
    "zone": "the applicant's zone is one of the program's zones",
    "staff": "the applicant's staff_school_id is the program's school",
}

DEFAULT_PRIORITY_ORDER = ("continuing", "sibling+zone", "sibling", "zone")
GENERAL = "general"


def tier_criteria(tier: str) -> tuple[str, ...]:
    """The criteria a tier joins with ``+`` (all must hold), in written order."""
    return tuple(part.strip() for part in tier.split("+"))


class PriorityPolicy(BaseModel):
    """Priority tiers, highest first. A pair's priority is the first tier it satisfies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order: tuple[str, ...] = DEFAULT_PRIORITY_ORDER

    @field_validator("order", mode="before")
    @classmethod
    def _a_list(cls, order):
        if isinstance(order, str):
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
            unknown = [c for c in criteria if c not in CRITERIA]
            if unknown:
                known = ", ".join(sorted(CRITERIA))
                raise ValueError(
                    f'unknown priority criterion "{unknown[0]}" in tier "{tier}" '
                    f"(known criteria: {known}; join them with + )"
                )
            if len(set(criteria)) != len(criteria):
                raise ValueError(f'tier "{tier}" names the same criterion twice')
            # A tier that needs everything an earlier tier needs (and maybe more) can never
            # apply: the earlier tier always matches first. That silently cancels a policy.
            for earlier in normalised:
                if set(tier_criteria(earlier)) <= set(criteria):
                    what = (
                        "repeats"
                        if set(tier_criteria(earlier)) == set(criteria)
                        else "can never apply after"
                    )
                    raise ValueError(f'tier "{tier}" {what} tier "{earlier}", which comes first')
            normalised.append("+".join(criteria))
        return tuple(normalised)

    @property
    def general_value(self) -> int:
        """Priority value of a pair that satisfies no tier."""
        return len(self.order) + 1


class LotteryPolicy(BaseModel):
    """How ties within a priority tier are broken."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tiebreak: Literal["single", "multiple"] = "single"


class Policy(BaseModel):
    """Everything ``policy.toml`` can say; every field has a documented default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    priority: PriorityPolicy = PriorityPolicy()
    lottery: LotteryPolicy = LotteryPolicy()

    def priority_label(self, value: int, explicit: bool) -> str:
        """Name of a priority value as written in the outputs."""
        if explicit:
            return f"explicit:{value}"
        if 1 <= value <= len(self.priority.order):
            return self.priority.order[value - 1]
        return GENERAL


def load_policy(path: Path) -> Policy:
    """Read ``policy.toml`` if it exists, else return the default policy."""
    if not path.exists():
        return Policy()
    text, data = read_toml(path, POLICY_FILE)
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        raise InputError(validation_problems(POLICY_FILE, text, error)) from None
