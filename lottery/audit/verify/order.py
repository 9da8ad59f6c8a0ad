"""Where an applicant stands in a program's order: priorities and order keys, recomputed.

A priority is ``guaranteed`` (value 0) at an applicant's guaranteed program, else the
value ``priorities.csv`` gives, else the 1-based position of the first tier of the policy
(criteria joined with ``+``, all of which must hold) that the applicant meets there, or
``len(order) + 1`` (``general``) if none. ``tag:NAME`` and ``proximity:MILES`` (haversine,
sphere of 3958.8 miles) are recomputed from the input files, and ``sibling_offered`` from
the final placements. A program orders its applicants by :class:`OrderKey`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np

from lottery.audit.verify.evidence import Inputs
from lottery.audit.verify.findings import Findings, OrderKey
from lottery.audit.verify.numbers import Lottery
from lottery.audit.verify.pairs import (
    Pairs,
    criterion_met,
    great_circle_miles,
    sibling_offered,
)
from lottery.policy import GENERAL, GUARANTEED, PROXIMITY_PREFIX, SIBLING_OFFERED, TAG_PREFIX


class ProgramOrder:
    """Priorities and order keys of (applicant, program) pairs, each computed once.

    ``sibling_offered`` is read from ``matched_at``, the final placements by the match.
    For a member of a family that had not settled (``unsettled``), the engine's last run
    used the previous run's placements, which the results do not keep: the reading that
    ``shown_priority`` (choice_results.csv) shows is taken where a priority depends on
    it. ``readings_shown`` counts those; ``unknown_offers`` holds the pairs where no
    priority shows the reading (:mod:`lottery.audit.verify.seat_policy` settles them).

    The same priorities are also worked out for every pair of ``pairs`` at once, as
    arrays: ``priority_value`` and ``priority_label`` (an index into ``labels``), and,
    with a lottery, ``position``, each pair's place in one order of all pairs, by
    program and then by :class:`OrderKey`: at one program, a smaller position comes
    first. Members of unsettled families get theirs from the per-pair code above.
    """

    def __init__(
        self,
        inputs: Inputs,
        pairs: Pairs,
        lottery: Lottery | None,
        matched_at: Mapping[str, str],
        unsettled: Collection[str],
        shown_priority: Mapping[tuple[str, str], str],
    ):
        self.inputs = inputs
        self.pairs = pairs
        self.lottery = lottery
        self.matched_at = matched_at
        self.unsettled = unsettled
        self.shown_priority = shown_priority
        self.readings_shown = 0
        self.unknown_offers: set[tuple[str, str]] = set()
        self._met: dict[tuple[str, str, str], bool] = {}
        self._offered: dict[tuple[str, str], bool] = {}
        self._priorities: dict[tuple[str, str], tuple[int, str]] = {}
        self._keys: dict[tuple[str, str], OrderKey] = {}
        self._met_at_pairs: dict[str, np.ndarray] = {}
        self.labels: list[str] = [GUARANTEED, *inputs.tier_names, GENERAL]
        self.priority_value, self.priority_label = self._all_priorities()
        self.lottery_rank: np.ndarray | None = None  # each pair's lottery rank there
        self.position = self._all_positions() if lottery is not None else None

    def _all_priorities(self) -> tuple[np.ndarray, np.ndarray]:
        """Every pair's priority value and label, as :meth:`priority` gives them."""
        inputs, pairs = self.inputs, self.pairs
        general = len(inputs.tiers) + 1
        value = np.full(len(pairs), general, np.int64)
        offered = None
        met: dict[str, np.ndarray] = {}
        for tier_value in range(len(inputs.tiers), 0, -1):
            holds = np.ones(len(pairs), bool)
            for criterion in inputs.tiers[tier_value - 1]:
                if criterion == SIBLING_OFFERED:
                    if offered is None:
                        offered = sibling_offered(inputs, pairs, dict(self.matched_at))
                    holds &= offered
                    continue
                if criterion not in met:
                    met[criterion] = criterion_met(inputs, pairs, criterion)
                holds &= met[criterion]
            value[holds] = tier_value
        label = value.copy()  # a tier's label is its name, at index value in labels
        label_index = {text: i for i, text in enumerate(self.labels)}
        if inputs.explicit:
            explicit = list(inputs.explicit.items())
            found = pairs.find(
                np.fromiter((pairs.applicant_index[a] for (a, _), _ in explicit), np.int64),
                np.fromiter((pairs.program_index[p] for (_, p), _ in explicit), np.int64),
            )
            for k, ((_, _), given) in zip(found.tolist(), explicit, strict=True):
                if k >= 0:
                    text = f"explicit:{given}"
                    value[k] = given
                    label[k] = label_index.setdefault(text, len(label_index))
        guaranteed = inputs.choices.guarantee[pairs.applicant] == pairs.program
        value[guaranteed] = 0
        label[guaranteed] = 0
        for aid in sorted(self.unsettled):
            index = pairs.applicant_index.get(aid)
            if index is None:
                continue
            for k in range(int(pairs.start[index]), int(pairs.start[index + 1])):
                given, text = self.priority(aid, pairs.program_ids[pairs.program[k]])
                value[k] = given
                label[k] = label_index.setdefault(text, len(label_index))
        self.labels = list(label_index)
        return value, label

    def _all_positions(self) -> np.ndarray:
        """Every pair's place in one order: by program, then by :class:`OrderKey`."""
        lottery, pairs = self.lottery, self.pairs
        a, p = pairs.applicant, pairs.program
        ids = pairs.applicant_ids
        by_id = np.empty(len(ids), np.int64)  # applicant_id order, compared as Python strings
        by_id[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
        if not lottery.multiple:
            number = np.fromiter((lottery.single_number[i] for i in ids), np.uint64, len(ids))[a]
            family = np.fromiter((lottery.single_family[i] for i in ids), np.uint64, len(ids))[a]
            rank = np.fromiter((lottery.single_rank[i] for i in ids), np.int64, len(ids))[a]
        else:
            keys = list(zip(a.tolist(), p.tolist(), strict=True))
            pids = pairs.program_ids
            number = np.fromiter(
                (lottery.pair_number[ids[i], pids[j]] for i, j in keys), np.uint64, len(keys)
            )
            family = np.fromiter(
                (lottery.pair_family[ids[i], pids[j]] for i, j in keys), np.uint64, len(keys)
            )
            rank = np.fromiter(
                (lottery.pair_rank[ids[i], pids[j]] for i, j in keys), np.int64, len(keys)
            )
        self.lottery_rank = rank
        reversed_rank = rank if lottery.reversed else np.zeros(len(a), np.int64)
        order = np.lexsort((by_id[a], number, family, reversed_rank, self.priority_value, p))
        position = np.empty(len(a), np.int64)
        position[order] = np.arange(len(a))
        return position

    def met_at_pairs(self, criterion: str) -> np.ndarray:
        """Whether a criterion (or a reserve category) holds at each pair, as arrays,
        as :meth:`meets` decides it for applicants outside unsettled families (for
        theirs, ask :meth:`meets`)."""
        met = self._met_at_pairs.get(criterion)
        if met is None:
            met = criterion_met(self.inputs, self.pairs, criterion)
            if met is None:  # sibling_offered: from the final placements
                met = sibling_offered(self.inputs, self.pairs, dict(self.matched_at))
            self._met_at_pairs[criterion] = met
        return met

    def meets(self, aid: str, pid: str, criterion: str) -> bool:
        """Whether a criterion of the policy (or a reserve category) holds at a pair."""
        met = self._met.get((aid, pid, criterion))
        if met is None:
            met = self._met[aid, pid, criterion] = self._meets(aid, pid, criterion)
        return met

    def _meets(self, aid: str, pid: str, criterion: str) -> bool:
        applicant, program = self.inputs.applicants[aid], self.inputs.programs[pid]
        school = program["school_id"]
        if criterion == "continuing":
            return applicant["current_school_id"] == school
        if criterion == "sibling":
            return school in applicant["sibling_school_ids"]
        if criterion == "zone":
            return bool(applicant["zone"]) and applicant["zone"] in program["zones"]
        if criterion == "staff":
            return applicant["staff_school_id"] == school
        if criterion.startswith(TAG_PREFIX):
            return criterion.removeprefix(TAG_PREFIX) in applicant["tags"]
        if criterion.startswith(PROXIMITY_PREFIX):
            where = (applicant["latitude"], applicant["longitude"])
            there = (program["latitude"], program["longitude"])
            if None in where or None in there:
                return False
            miles = float(criterion.removeprefix(PROXIMITY_PREFIX))
            return great_circle_miles(*where, *there) <= miles
        if criterion == SIBLING_OFFERED:
            return self.offered(aid, pid)
        raise ValueError(f"unknown criterion {criterion!r}")  # pragma: no cover

    def offered(self, aid: str, pid: str) -> bool:
        """``sibling_offered``: a linked family member (not the applicant) is placed by the
        match at the program's school. For a member of a family that had not settled when
        the engine stopped, the value the results show is accepted (see the module notes)."""
        known = self._offered.get((aid, pid))
        if known is not None:
            return known
        family = self.inputs.applicants[aid]["family_id"]
        school = self.inputs.programs[pid]["school_id"]
        value = family is not None and any(
            member != aid
            and member in self.matched_at
            and self.inputs.programs[self.matched_at[member]]["school_id"] == school
            for member in self.inputs.families[family]
        )
        if aid in self.unsettled:
            labels = {v: self._tier_priority(aid, pid, v)[1] for v in (True, False)}
            shown = self.shown_priority.get((aid, pid))
            if labels[True] != labels[False] and shown in labels.values():
                self.readings_shown += 1
                value = shown == labels[True]
            else:  # no priority shows which reading the engine used
                self.unknown_offers.add((aid, pid))
        self._offered[aid, pid] = value
        return value

    def _tier_priority(self, aid: str, pid: str, offered: bool | None = None) -> tuple[int, str]:
        for value, tier in enumerate(self.inputs.tiers, start=1):
            if all(
                offered if c == SIBLING_OFFERED and offered is not None else self.meets(aid, pid, c)
                for c in tier
            ):
                return value, self.inputs.tier_names[value - 1]
        return len(self.inputs.tiers) + 1, GENERAL

    def priority(self, aid: str, pid: str) -> tuple[int, str]:
        """(value, label) of an applicant at a program: ``guaranteed`` (0) at their
        guaranteed program, else from priorities.csv, else from the policy's tiers."""
        known = self._priorities.get((aid, pid))
        if known is None:
            if self.inputs.applicants[aid]["guarantee"] == pid:
                known = (0, GUARANTEED)
            elif (aid, pid) in self.inputs.explicit:
                value = self.inputs.explicit[aid, pid]
                known = (value, f"explicit:{value}")
            else:
                known = self._tier_priority(aid, pid)
            self._priorities[aid, pid] = known
        return known

    def key(self, aid: str, pid: str) -> OrderKey:
        """The applicant's place in the program's order (computed once per pair)."""
        key = self._keys.get((aid, pid))
        if key is None:
            lottery = self.lottery
            assert lottery is not None, "an order needs the lottery"
            value, label = self.priority(aid, pid)
            key = self._keys[aid, pid] = OrderKey(
                value,
                lottery.rank(aid, pid) if lottery.reversed else 0,
                lottery.family_number(aid, pid),
                lottery.number(aid, pid),
                aid,
                label,
            )
        return key

    def ordered(self, pid: str, aids: list[str]) -> list[tuple[OrderKey, str]]:
        """The applicants in the program's order, with their keys."""
        return sorted((self.key(aid, pid), aid) for aid in aids)


def check_priority_shown(
    order: ProgramOrder, table: str, row: dict[str, str], aid: str, pid: str, findings: Findings
) -> None:
    """Rule ``priority-label``: the priority a row of ``table`` shows is the recomputed one."""
    findings.checks["priorities"] += 1
    _, label = order.priority(aid, pid)
    if row["priority"] != label:
        findings.fail(
            "priority-label",
            f"{table} shows priority {row['priority']!r}; the policy gives {label!r}",
            aid,
            pid,
        )
