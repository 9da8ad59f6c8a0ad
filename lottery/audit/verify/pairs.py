"""Every (applicant, program) pair the match may hold, as flat numpy arrays.

A city of a million applicants has millions of such pairs; the rules are checked for
all of them at once on these arrays, and the per-pair code of the other modules runs
only where an array check finds something to report (it words the message) or where
the results cannot be lined up with the pairs (a missing or extra row). The arrays are
built here from :class:`~lottery.audit.verify.evidence.Inputs`, never from the engine.

Pair ``k`` belongs to applicant ``applicant[k]`` (their index in ``Inputs.applicants``
order) and program ``program[k]`` (index in ``Inputs.programs`` order). An applicant's
pairs are consecutive, ``start[a]:start[a + 1]``, in ``Inputs.prefs`` order: the ranked
programs best first, then the unranked guaranteed program (``choice_rank`` 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lottery.audit.verify.evidence import Inputs
from lottery.policy import PROXIMITY_PREFIX, TAG_PREFIX

EARTH_RADIUS_MILES = 3958.8


@dataclass(frozen=True)
class Pairs:
    """The pairs of ``Inputs.prefs`` as arrays, and the indices of applicants and programs."""

    applicant_ids: list[str]
    program_ids: list[str]
    applicant_index: dict[str, int]
    program_index: dict[str, int]
    start: np.ndarray
    applicant: np.ndarray
    program: np.ndarray
    choice_rank: np.ndarray
    eligible: np.ndarray  # the applicant has every tag the program requires
    _sorted_keys: np.ndarray
    _sorted_pairs: np.ndarray

    def __len__(self) -> int:
        return len(self.applicant)

    def find(self, applicants: np.ndarray, programs: np.ndarray) -> np.ndarray:
        """The pair of each (applicant index, program index), -1 where there is none."""
        keys = np.asarray(applicants, np.int64) * len(self.program_ids) + programs
        at = np.searchsorted(self._sorted_keys, keys)
        at = np.minimum(at, max(len(self._sorted_keys) - 1, 0))
        found = (
            (self._sorted_keys[at] == keys) & (applicants >= 0) & (programs >= 0)
            if len(self._sorted_keys)
            else np.zeros(len(keys), bool)
        )
        return np.where(found, self._sorted_pairs[at] if len(self._sorted_keys) else -1, -1)


def build_pairs(inputs: Inputs) -> Pairs:
    """The arrays of every pair of ``inputs.prefs``, made from ``inputs.choices``."""
    choices = inputs.choices
    applicant_ids = inputs.applicants.ids
    program_ids = list(inputs.programs)
    program_index = {pid: i for i, pid in enumerate(program_ids)}
    n = len(applicant_ids)
    ranked = np.diff(choices.start)
    chooser = np.repeat(np.arange(n, dtype=np.int64), ranked)
    # The guaranteed program is an implicit last choice where it is not ranked.
    guarantee = choices.guarantee
    ranks_guarantee = np.bincount(
        chooser[choices.program == guarantee[chooser]], minlength=n
    ).astype(bool)
    implicit = (guarantee >= 0) & ~ranks_guarantee
    counts = ranked + implicit
    start = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=start[1:])
    applicant = np.repeat(np.arange(n, dtype=np.int64), counts)
    within = np.arange(len(applicant), dtype=np.int64) - start[applicant]
    is_choice = within < ranked[applicant]
    program = np.empty(len(applicant), np.int64)
    program[is_choice] = choices.program
    program[~is_choice] = guarantee[implicit]
    choice_rank = np.where(is_choice, within + 1, 0)
    eligible = _eligibility(inputs, applicant_ids, program_ids, applicant, program)
    keys = applicant * max(len(program_ids), 1) + program
    order = np.argsort(keys, kind="stable")
    return Pairs(
        applicant_ids,
        program_ids,
        inputs.applicants.index,
        program_index,
        start,
        applicant,
        program,
        choice_rank,
        eligible,
        keys[order],
        order,
    )


def _eligibility(inputs, applicant_ids, program_ids, applicant, program) -> np.ndarray:
    """Whether each pair's applicant has every tag its program requires."""
    eligible = np.ones(len(applicant), bool)
    required = {tag for p in inputs.programs.values() for tag in p["requires_tags"]}
    for tag in sorted(required):
        needs = np.fromiter(
            (tag in inputs.programs[pid]["requires_tags"] for pid in program_ids), bool
        )
        has = applicant_has_tag(inputs, applicant_ids, tag)
        eligible &= ~needs[program] | has[applicant]
    return eligible


def applicant_has_tag(inputs: Inputs, applicant_ids: list[str], tag: str) -> np.ndarray:
    """Whether each applicant has the tag."""
    if applicant_ids is inputs.applicants.ids:
        tags = inputs.applicants.column("tags")
        return np.fromiter((tag in held for held in tags), bool, len(tags))
    return np.fromiter((tag in inputs.applicants[aid]["tags"] for aid in applicant_ids), bool)


def _codes(values: list[str], codes: dict[str, int]) -> np.ndarray:
    """Each value's code in ``codes`` (new values get new codes): equal texts, equal codes."""
    return np.fromiter((codes.setdefault(v, len(codes)) for v in values), np.int64, len(values))


def criterion_met(inputs: Inputs, pairs: Pairs, criterion: str) -> np.ndarray | None:
    """Whether a criterion of the policy holds at each pair, as the per-pair
    ``ProgramOrder.meets`` decides it; None for ``sibling_offered``, which depends on
    the placements (see :func:`sibling_offered`). Raises ValueError for an unknown one."""
    a, p = pairs.applicant, pairs.program
    applicants, programs = inputs.applicants, inputs.programs
    aids, pids = pairs.applicant_ids, pairs.program_ids
    if criterion in ("continuing", "staff"):
        column = "current_school_id" if criterion == "continuing" else "staff_school_id"
        codes: dict[str, int] = {}
        school = _codes([programs[pid]["school_id"] for pid in pids], codes)
        theirs = _codes(applicants.column(column), codes)
        return theirs[a] == school[p]
    if criterion == "sibling":  # the program's school is among the applicant's siblings'
        codes = {}
        school = _codes([programs[pid]["school_id"] for pid in pids], codes)
        siblings = applicants.column("sibling_school_ids")
        held = [(i, s) for i, schools in enumerate(siblings) for s in schools]
        owner = np.fromiter((i for i, _ in held), np.int64, len(held))
        sibling_school = _codes([s for _, s in held], codes)
        return _pair_in(a, school[p], owner, sibling_school, len(codes))
    if criterion == "zone":  # the applicant's zone (not blank) is one of the program's
        codes = {}
        zones = applicants.column("zone")
        zone = _codes(zones, codes)
        listed = [(j, z) for j, pid in enumerate(pids) for z in programs[pid]["zones"]]
        lister = np.fromiter((j for j, _ in listed), np.int64, len(listed))
        listed_zone = _codes([z for _, z in listed], codes)
        has_zone = np.fromiter((bool(z) for z in zones), bool, len(zones))
        return has_zone[a] & _pair_in(p, zone[a], lister, listed_zone, len(codes))
    if criterion.startswith(TAG_PREFIX):
        return applicant_has_tag(inputs, aids, criterion.removeprefix(TAG_PREFIX))[a]
    if criterion.startswith(PROXIMITY_PREFIX):
        return _within(inputs, pairs, float(criterion.removeprefix(PROXIMITY_PREFIX)))
    if criterion == "sibling_offered":
        return None
    raise ValueError(f"unknown criterion {criterion!r}")  # pragma: no cover


def _pair_in(left, right, left_listed, right_listed, n_right) -> np.ndarray:
    """Whether each (left, right) of the pairs is among the listed (left, right)."""
    keys = np.asarray(left, np.int64) * (n_right + 1) + right
    listed = np.asarray(left_listed, np.int64) * (n_right + 1) + right_listed
    return np.isin(keys, listed)


def great_circle_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on a sphere of radius 3958.8 miles (docs/seat-policy.md)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    lambda1, lambda2 = math.radians(lon1), math.radians(lon2)
    half = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin((lambda2 - lambda1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(half, 1.0)))


def _within(inputs: Inputs, pairs: Pairs, miles: float) -> np.ndarray:
    """``proximity:MILES`` at each pair. numpy's sine and cosine may differ from the
    math module's in the last bit, so distances within a hair of the limit are worked
    out again with :func:`great_circle_miles`, the definition."""

    def coordinates(values):
        return np.array([math.nan if v is None else v for v in values], float)

    a, p = pairs.applicant, pairs.program
    lat1 = coordinates(inputs.applicants.column("latitude"))[a]
    lon1 = coordinates(inputs.applicants.column("longitude"))[a]
    lat2 = coordinates([inputs.programs[pid]["latitude"] for pid in pairs.program_ids])[p]
    lon2 = coordinates([inputs.programs[pid]["longitude"] for pid in pairs.program_ids])[p]
    known = ~(np.isnan(lat1) | np.isnan(lon1) | np.isnan(lat2) | np.isnan(lon2))
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    half = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((np.radians(lon2) - np.radians(lon1)) / 2) ** 2
    )
    with np.errstate(invalid="ignore"):
        distance = 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.minimum(half, 1.0)))
        within = known & (distance <= miles)
        close = known & (np.abs(distance - miles) <= 1e-9 * max(miles, 1.0))
    for k in np.flatnonzero(close).tolist():
        within[k] = great_circle_miles(lat1[k], lon1[k], lat2[k], lon2[k]) <= miles
    return within


def sibling_offered(inputs: Inputs, pairs: Pairs, matched_at: dict[str, str]) -> np.ndarray:
    """``sibling_offered`` at each pair: another member of the applicant's linked family
    is placed by the match at the program's school."""
    codes: dict[str, int] = {}
    school = _codes([inputs.programs[pid]["school_id"] for pid in pairs.program_ids], codes)
    family_codes: dict[str, int] = {}
    family = np.fromiter(
        (
            -1 if f is None else family_codes.setdefault(f, len(family_codes))
            for f in inputs.applicants.column("family_id")
        ),
        np.int64,
        len(pairs.applicant_ids),
    )
    n_schools = len(codes) + 1
    # Each applicant's school, where the match placed them (-1 if not placed by it).
    placed_school = np.full(len(pairs.applicant_ids), -1, np.int64)
    for aid, pid in matched_at.items():
        placed_school[pairs.applicant_index[aid]] = school[pairs.program_index[pid]]
    placed = (placed_school >= 0) & (family >= 0)
    held = family[placed] * n_schools + placed_school[placed]
    unique, count = np.unique(held, return_counts=True)
    a, p = pairs.applicant, pairs.program
    keys = family[a] * n_schools + school[p]
    members = np.zeros(len(keys), np.int64)
    if len(unique):
        at = np.minimum(np.searchsorted(unique, keys), len(unique) - 1)
        members = np.where(unique[at] == keys, count[at], 0)
    members = members - (placed_school[a] == school[p])  # not the applicant themselves
    return (family[a] >= 0) & (members > 0)
