"""The lottery, recomputed: every lottery number, family number and lottery rank.

Numbers come from the documented formula (first 8 bytes of
``sha256(utf8("{seed}|{applicant_id}"))``, plus ``"|{program_id}"`` for a multiple
tie-break, read big-endian), with the seed recorded in ``manifest.json``; or from
``lottery.csv`` when the manifest says ``external lottery``. A linked family's number uses
``family:{family_id}`` in place of the applicant ID (with ``lottery.csv``: the lowest number
among the members). In a later round with the lottery reversed, every rank ``r`` of ``n``
becomes ``n + 1 - r``; the numbers themselves do not change.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from lottery.audit.verify.evidence import Inputs
from lottery.io.inputs import LOTTERY_FILE
from lottery.io.outputs import EXTERNAL_LOTTERY

FAMILY = "family:"
MISSING_NUMBER = 2**64 - 1  # lottery.csv without a number for an unranked guarantee


def seeded_number(seed: str, applicant_id: str, program_id: str | None = None) -> int:
    """The documented formula, written out here rather than imported from the engine.
    A family's number passes ``"family:{family_id}"`` as ``applicant_id``."""
    text = f"{seed}|{applicant_id}" if program_id is None else f"{seed}|{applicant_id}|{program_id}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


@dataclass(frozen=True)
class Lottery:
    """The recomputed lottery. With a single tie-break the ``single_*`` maps hold each
    applicant's number, family number and rank; with a multiple one the ``pair_*`` maps
    hold them per (applicant, program) the applicant may be placed at. ``admin_rank`` is
    the zone guarantee's order, which always goes by the applicant-wide number."""

    description: str  # how the numbers were made, for messages and the certificate
    multiple: bool
    reversed: bool
    admin_rank: dict[str, int]
    single_number: dict[str, int]
    single_family: dict[str, int]
    single_rank: dict[str, int]
    pair_number: dict[tuple[str, str], int]
    pair_family: dict[tuple[str, str], int]
    pair_rank: dict[tuple[str, str], int]

    def number(self, aid: str, pid: str) -> int:
        """The applicant's lottery number at the program."""
        return self.pair_number[aid, pid] if self.multiple else self.single_number[aid]

    def family_number(self, aid: str, pid: str) -> int:
        """The applicant's family lottery number at the program (their own outside a family)."""
        return self.pair_family[aid, pid] if self.multiple else self.single_family[aid]

    def rank(self, aid: str, pid: str) -> int:
        """The applicant's lottery rank at the program."""
        return self.pair_rank[aid, pid] if self.multiple else self.single_rank[aid]


def usable_seed(seed: object) -> bool:
    """Whether the manifest's ``seed`` can make the lottery numbers."""
    return isinstance(seed, str) and bool(seed.strip()) and seed != EXTERNAL_LOTTERY


def _pairs(inputs: Inputs) -> list[tuple[str, str]]:
    """Every (applicant, program) the applicant may be placed at, in ``prefs`` order."""
    return [(aid, pid) for aid, pids in inputs.prefs.items() for pid in pids]


def recompute_lottery(inputs: Inputs, manifest: dict, reversed_: bool) -> Lottery | None:
    """Recompute every number needed (own and family), each applicant's (or pair's)
    lottery rank, and the order of the zone guarantee; None without a usable seed."""
    single_number: dict[str, int] = {}
    single_family: dict[str, int] = {}
    pair_number: dict[tuple[str, str], int] = {}
    pair_family: dict[tuple[str, str], int] = {}
    family_of = dict(zip(inputs.applicants.ids, inputs.applicants.column("family_id"), strict=True))
    if inputs.external:
        multiple = inputs.per_program
        kind = "multiple" if multiple else "single"
        description = f"numbers in {LOTTERY_FILE} ({kind} tie-break)"
        default = inputs.external_default
        if not multiple:
            single_number = {a: default.get(a, MISSING_NUMBER) for a in inputs.applicants}
        else:
            for aid, pid in _pairs(inputs):
                number = inputs.external_pair.get((aid, pid), default.get(aid, MISSING_NUMBER))
                pair_number[aid, pid] = number
        # A linked family stands at its lowest member's number (at each program).
        if not multiple:
            lowest = {
                f: min(single_number[m] for m in members) for f, members in inputs.families.items()
            }
            single_family = {
                aid: lowest[f] if f else single_number[aid] for aid, f in family_of.items()
            }
        else:
            lowest_at: dict[tuple[str, str], int] = {}
            for (aid, pid), number in pair_number.items():
                if family_of[aid]:
                    where = (family_of[aid], pid)
                    lowest_at[where] = min(lowest_at.get(where, number), number)
            for (aid, pid), number in pair_number.items():
                f = family_of[aid]
                pair_family[aid, pid] = lowest_at[f, pid] if f else number
        admin_numbers = {a: default.get(a, MISSING_NUMBER) for a in inputs.applicants}
    else:
        seed = manifest.get("seed")
        if not usable_seed(seed):
            return None
        multiple = inputs.policy_tiebreak == "multiple"
        description = f'seed "{seed}" ({inputs.policy_tiebreak} tie-break)'
        if not multiple:
            single_number = {aid: seeded_number(seed, aid) for aid in inputs.applicants}
            family_number = {f: seeded_number(seed, FAMILY + f) for f in inputs.families}
            single_family = {
                aid: family_number[f] if f else single_number[aid] for aid, f in family_of.items()
            }
            admin_numbers = single_number
        else:
            for aid, pid in _pairs(inputs):
                number = seeded_number(seed, aid, pid)
                pair_number[aid, pid] = number
                f = family_of[aid]
                pair_family[aid, pid] = seeded_number(seed, FAMILY + f, pid) if f else number
            admin_numbers = {aid: seeded_number(seed, aid) for aid in inputs.applicants}
    single_rank: dict[str, int] = {}
    pair_rank: dict[tuple[str, str], int] = {}
    if not multiple:
        order = sorted(single_number, key=lambda aid: (single_family[aid], single_number[aid], aid))
        single_rank = {aid: rank for rank, aid in enumerate(order, start=1)}
        admin_rank = single_rank
    else:
        by_program: dict[str, list[tuple[int, int, str]]] = {pid: [] for pid in inputs.programs}
        for (aid, pid), number in pair_number.items():
            by_program[pid].append((pair_family[aid, pid], number, aid))
        for pid, entries in by_program.items():
            for rank, (_, _, aid) in enumerate(sorted(entries), start=1):
                pair_rank[aid, pid] = rank
        # The zone guarantee goes by the applicant-wide number (docs/seat-policy.md).
        order = sorted(admin_numbers, key=lambda aid: (admin_numbers[aid], aid))
        admin_rank = {aid: rank for rank, aid in enumerate(order, start=1)}
    if reversed_:
        # "seed ... (single tie-break)" -> "seed ... (single tie-break, the order reversed ...)"
        description = description.removesuffix(")") + ", the order reversed in this round)"
        n = len(inputs.applicants)
        admin_rank = {aid: n + 1 - rank for aid, rank in admin_rank.items()}
        if not multiple:
            single_rank = {aid: n + 1 - rank for aid, rank in single_rank.items()}
            admin_rank = single_rank
        else:
            # rank r of the n applicants ranked at a program becomes n + 1 - r
            ranked_at = Counter(pid for _, pid in pair_rank)
            pair_rank = {
                (aid, pid): ranked_at[pid] + 1 - rank for (aid, pid), rank in pair_rank.items()
            }
    return Lottery(
        description,
        multiple,
        reversed_,
        admin_rank,
        single_number,
        single_family,
        single_rank,
        pair_number,
        pair_family,
        pair_rank,
    )
