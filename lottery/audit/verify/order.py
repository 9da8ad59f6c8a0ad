"""Where an applicant stands in a program's order: priorities and order keys, recomputed.

A priority is ``guaranteed`` (value 0) at an applicant's guaranteed program, else the
value ``priorities.csv`` gives, else the 1-based position of the first tier of the policy
(criteria joined with ``+``, all of which must hold) that the applicant meets there, or
``len(order) + 1`` (``general``) if none. ``tag:NAME`` and ``proximity:MILES`` (haversine,
sphere of 3958.8 miles) are recomputed from the input files, and ``sibling_offered`` from
the final placements. A program orders its applicants by :class:`OrderKey`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

from lottery.audit.verify.evidence import Inputs
from lottery.audit.verify.findings import Findings, OrderKey
from lottery.audit.verify.numbers import Lottery
from lottery.policy import GENERAL, GUARANTEED, PROXIMITY_PREFIX, SIBLING_OFFERED, TAG_PREFIX

EARTH_RADIUS_MILES = 3958.8


def great_circle_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on a sphere of radius 3958.8 miles (docs/seat-policy.md)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    lambda1, lambda2 = math.radians(lon1), math.radians(lon2)
    half = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin((lambda2 - lambda1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(half, 1.0)))


class ProgramOrder:
    """Priorities and order keys of (applicant, program) pairs, each computed once.

    ``sibling_offered`` is read from ``matched_at``, the final placements by the match.
    For a member of a family that had not settled (``unsettled``), the engine's last run
    used the previous run's placements, which the results do not keep: the reading that
    ``shown_priority`` (choice_results.csv) shows is taken where a priority depends on
    it. ``readings_shown`` counts those; ``unknown_offers`` holds the pairs where no
    priority shows the reading (:mod:`lottery.audit.verify.seat_policy` settles them).
    """

    def __init__(
        self,
        inputs: Inputs,
        lottery: Lottery | None,
        matched_at: Mapping[str, str],
        unsettled: Collection[str],
        shown_priority: Mapping[tuple[str, str], str],
    ):
        self.inputs = inputs
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
