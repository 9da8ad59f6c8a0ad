"""manifest.json: what a run or a round records for auditors, as a typed record.

The engine builds a :class:`Manifest` (``engine.run_manifest``; a round adds a
:class:`RoundRecord`), the writer adds the checksum of every file it wrote
(``outputs``) and stores it with :meth:`Manifest.to_bytes`: sorted keys, two-space
indent, final newline, no timestamps, so the same lottery always writes the same bytes.

Every tool that reads a results folder reads its manifest with :func:`read_manifest`.
Reading is lenient by design: a part that is missing or of the wrong type comes back as
``None`` (or empty), and each reader decides whether it needs that part and says so in
its own words ("does not record the run's input files"). ``lottery verify`` checks every
field by its own rules, from :attr:`Manifest.raw`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lottery.errors import UsageError
from lottery.io.outputs import EXTERNAL_LOTTERY

ENGINE_NAME = "lottery"


@dataclass(frozen=True)
class LotteryRecord:
    """How the lottery numbers were made (manifest ``lottery``)."""

    source: str | None  # "seed", or "lottery.csv" for the office's own numbers
    tiebreak: str | None  # "single" or "multiple"
    formula: str | None  # None for the office's own numbers
    order: str | None
    family_formula: str | None


@dataclass(frozen=True)
class FamiliesRecord:
    """How the reruns for linked families ended (manifest ``families``)."""

    iterations: int | None
    converged: bool | None
    unsettled: tuple[str, ...]


@dataclass(frozen=True)
class RoundRecord:
    """What makes a results folder a later round (manifest ``round``)."""

    number: int | None
    previous_manifest_sha256: str | None
    changes: dict[str, str] | None  # file of the changes folder -> SHA-256
    lottery_reversed: bool | None
    moves: dict[str, int] | None  # moves.csv rows by reason
    offers: int | None  # rows of offers.csv


@dataclass(frozen=True)
class Manifest:
    """manifest.json of a run or a round.

    Built by the engine, every field is set (``round`` only for a later round, and
    ``outputs`` once the files are written). Read back, any field may be ``None``.
    """

    engine_name: str | None
    engine_version: str | None
    seed: str | None  # EXTERNAL_LOTTERY when the numbers came from lottery.csv
    seed_commitment: str | None
    lottery: LotteryRecord | None
    policy: dict | None
    inputs: dict[str, str] | None  # input file -> SHA-256
    counts: dict[str, int] | None
    families: FamiliesRecord | None
    administrative_unserved: tuple[str, ...] | None
    warnings: tuple[str, ...] | None
    round: RoundRecord | None = None
    outputs: dict[str, str] | None = None  # file written -> SHA-256
    raw: dict = field(default_factory=dict, compare=False, repr=False)
    """The JSON object as read (empty for a manifest built here)."""

    @property
    def written_by_lottery(self) -> bool:
        return self.engine_name == ENGINE_NAME

    @property
    def external_lottery(self) -> bool:
        """Whether the lottery numbers came from the office's lottery.csv, not a seed."""
        return self.seed == EXTERNAL_LOTTERY

    @property
    def is_later_round(self) -> bool:
        return self.round is not None

    def with_outputs(self, outputs: dict[str, str]) -> Manifest:
        return replace(self, outputs=dict(outputs))

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to manifest.json."""
        data: dict[str, Any] = {
            "engine": {"name": self.engine_name, "version": self.engine_version},
            "seed": self.seed,
            "seed_commitment": self.seed_commitment,
            "lottery": _record(self.lottery),
            "policy": self.policy,
            "inputs": self.inputs,
            "counts": self.counts,
            "families": None
            if self.families is None
            else {
                "iterations": self.families.iterations,
                "converged": self.families.converged,
                "unsettled": list(self.families.unsettled),
            },
            "administrative_unserved": _list(self.administrative_unserved),
            "warnings": _list(self.warnings),
        }
        if self.round is not None:
            data["round"] = _record(self.round)
        if self.outputs is not None:
            data["outputs"] = self.outputs
        return data

    def to_bytes(self) -> bytes:
        return manifest_bytes(self.to_json())

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        """A manifest from its JSON object; parts missing or of the wrong type are None."""
        engine = _dict(data.get("engine")) or {}
        lottery = _dict(data.get("lottery"))
        families = _dict(data.get("families"))
        record = _dict(data.get("round"))
        return cls(
            engine_name=_text(engine.get("name")),
            engine_version=_text(engine.get("version")),
            seed=_text(data.get("seed")),
            seed_commitment=_text(data.get("seed_commitment")),
            lottery=None
            if lottery is None
            else LotteryRecord(
                source=_text(lottery.get("source")),
                tiebreak=_text(lottery.get("tiebreak")),
                formula=_text(lottery.get("formula")),
                order=_text(lottery.get("order")),
                family_formula=_text(lottery.get("family_formula")),
            ),
            policy=_dict(data.get("policy")),
            inputs=_dict(data.get("inputs")),
            counts=_dict(data.get("counts")),
            families=None
            if families is None
            else FamiliesRecord(
                iterations=_number(families.get("iterations")),
                converged=_flag(families.get("converged")),
                unsettled=_tuple(families.get("unsettled")) or (),
            ),
            administrative_unserved=_tuple(data.get("administrative_unserved")),
            warnings=_tuple(data.get("warnings")),
            round=None
            if record is None
            else RoundRecord(
                number=_number(record.get("number")),
                previous_manifest_sha256=_text(record.get("previous_manifest_sha256")),
                changes=_dict(record.get("changes")),
                lottery_reversed=_flag(record.get("lottery_reversed")),
                moves=_dict(record.get("moves")),
                offers=_number(record.get("offers")),
            ),
            outputs=_dict(data.get("outputs")),
            raw=data,
        )


def read_manifest(path: Path) -> Manifest:
    """Read a manifest.json; UsageError if it is not a JSON object."""
    return Manifest.from_json(read_json_object(path))


def read_json_object(path: Path) -> dict:
    """A JSON file that must hold one object (manifest.json, bundle.json); UsageError if
    it cannot be read or holds something else."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path} cannot be read as JSON ({error}).") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} does not hold a JSON object.")
    return data


def peek_manifest(path: Path) -> Manifest | None:
    """The manifest at ``path``, or None if there is none or it does not read as one."""
    try:
        return read_manifest(path)
    except UsageError:
        return None


def manifest_bytes(data: dict) -> bytes:
    """A JSON object as stable bytes: sorted keys, two-space indent, final newline."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _record(record: LotteryRecord | RoundRecord | None) -> dict | None:
    return None if record is None else dict(record.__dict__)


def _list(values: tuple | None) -> list | None:
    return None if values is None else list(values)


def _dict(value: object) -> dict | None:
    return value if isinstance(value, dict) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _tuple(value: object) -> tuple | None:
    return tuple(value) if isinstance(value, list) else None
