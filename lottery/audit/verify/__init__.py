"""Independent verification of a results folder: what ``lottery verify`` checks.

This module is written apart from the matcher and shares no code with it: no numpy, no
``lottery.matching``, ``lottery.market``, ``lottery.seat_policy`` or ``lottery.results``.
It re-derives everything it needs with plain dicts, lists and the standard library, so
that a bug in the engine cannot hide itself by being repeated here. The rules are those
of docs/lottery-numbers.md and docs/seat-policy.md:

1. **Checksums.** The SHA-256 of every output file and every input file is computed with
   ``hashlib`` and compared with ``manifest.json`` (``outputs`` and ``inputs``).
2. **Inputs.** The input folder is read with :func:`lottery.io.inputs.read_input_folder`,
   which only validates and normalises the office's files (spaces, byte-order marks,
   grade spellings) and resolves IDs; it computes no priority, lottery number or
   placement. Its records are turned into plain Python values at once. A reserve given
   as a ``share`` is turned into seats here (the share times the capacity, rounded down,
   in exact decimal arithmetic), from the cell as written in ``reserves.csv``.
3. **Lottery numbers** are recomputed from the documented formula (first 8 bytes of
   ``sha256(utf8("{seed}|{applicant_id}"))``, plus ``"|{program_id}"`` for a multiple
   tie-break, read big-endian), with the seed recorded in ``manifest.json``; or taken from
   ``lottery.csv`` when the manifest says ``external lottery``. A linked family's number
   uses ``family:{family_id}`` in place of the applicant ID (with ``lottery.csv``: the
   lowest number among the members). Lottery ranks are recomputed from those numbers.
   In a later round run with ``[rounds] tiebreak = "reversed"`` (manifest
   ``round.lottery_reversed``, which must agree with the round's ``policy.toml``), the
   whole order is reversed: a single tie-break rank ``r`` of ``n`` becomes ``n + 1 - r``,
   a rank at a program likewise with the ``n`` applicants ranked there, and the zone
   guarantee's order too; the numbers themselves do not change.
4. **Priorities** are recomputed from the policy: ``guaranteed`` (value 0) at an
   applicant's guaranteed program, else the 1-based position of the first tier
   (criteria joined with ``+``, all of which must hold) that an applicant meets at a
   program, ``len(order) + 1`` (``general``) if none, replaced by ``priorities.csv``
   where it gives one. ``tag:NAME`` and ``proximity:MILES`` (haversine, sphere of
   3958.8 miles) are recomputed from the input files, and ``sibling_offered`` from the
   final placements (a linked family member placed by the match at the program's school).
   If the manifest says linked families did not settle (``families.converged`` false),
   the engine's last run used the previous run's placements for them, which the results
   folder does not hold: a priority of a member of an unsettled family that depends on
   ``sibling_offered`` is then accepted either way, as ``choice_results.csv`` shows it,
   and so is their membership of a ``sibling_offered`` reserve where no priority shows
   it and the program's seats and choices agree (:meth:`_Checker._settle_readings`);
   the certificate says so.
5. **The placement** read from ``placements.csv`` is then checked as a claim: every
   applicant exactly once with a known ``status``; placed (by the match) only at a program
   they ranked and may be considered at (``requires_tags``), or ``guaranteed`` at the
   guaranteed program they did not rank; every guarantee honoured; no program over the
   seats it offers (``offer_target - held_seats``); no justified envy and no waste (the
   stability conditions of Gale & Shapley 1962, in the school-choice form of
   Abdulkadiroglu & Sonmez 2003, and with slot-specific priorities at programs with
   reserves, Kominers & Sonmez 2016); each seat's reserve category; the zone guarantee's
   administrative assignments; and the waitlists, summary and manifest counts re-derived
   from it.
6. **Per-choice results.** Every row of ``choice_results.csv`` is re-derived from the
   same picture: one row per ranked choice, ``placed`` where the placement is,
   ``ineligible`` where the applicant lacks a required tag, ``waitlisted`` above the
   placement (or everywhere, if unplaced), ``not_considered`` below it; the priority
   recomputed; the waitlist position from the program's order; the cutoff the same as
   the summary's.
7. **Reserves.** ``reserve_report.csv`` is re-derived, including the match without
   reserves, which this module computes with its own deferred acceptance.

A program orders its applicants by the key ``(priority value, family lottery number,
lottery number at that program, applicant_id)``, lowest first; :class:`OrderKey` is that
key (the family number is the applicant's own number outside a linked family). With the
lottery reversed, the key is ``(priority value, reversed lottery rank)``: the rank decides
every tie, so the order within a priority is exactly the other one turned around. A program
with reserves chooses slot by slot (:meth:`_Checker.fill_slots`): its slots, in precedence
order, each take the best applicant left that the slot accepts (an open slot anyone, a
reserved slot a member of its category, or anyone if none is left and ``unfilled =
"open"``); an applicant guaranteed the program is a member of every category there. An
applicant's ``seat`` is the category of the slot they get if they belong to it, else
``open``. Every problem found becomes a :class:`Violation` with a stable ``rule`` slug
(see :data:`RULES`); nothing stops at the first one. ``verification.json`` and any other
file in the results folder that the manifest does not list are ignored.

An unpacked audit bundle is verified like any results folder (``OUT_DIR`` is its
``outputs`` folder, ``INPUT_DIR`` its ``inputs``), except that ``applicants.csv`` there is
a redacted copy: it must have the checksum ``bundle.json`` records for the copy, and the
original checksum recorded there must be the manifest's. Names and addresses play no part
in any check, so the report is otherwise the same.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import heapq
import io
import itertools
import json
import math
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path

from lottery.errors import InputError, UsageError
from lottery.io.atomic import write_file_atomically
from lottery.io.csv_tables import ProblemLog, file_sha256, read_table, spreadsheet_safe
from lottery.io.inputs import INPUT_FILES, RESERVE_COLUMNS, RESERVES_FILE, read_input_folder
from lottery.io.outputs import (
    ADMINISTRATIVE,
    BUNDLE_OUTPUTS,
    BUNDLE_RECORD,
    COLUMNS,
    EXTERNAL_LOTTERY,
    GUARANTEED,
    MANIFEST_FILE,
    MATCHED,
    PLACED,
    PLACEMENTS,
    RUN_TABLES,
    UNPLACED,
    VERIFICATION,
)

VERIFICATION_FILE = VERIFICATION
OUTPUT_FILES = {name: COLUMNS[name] for name in sorted(RUN_TABLES)}
INPUT_FILES = tuple(sorted(INPUT_FILES))
PLACEMENT_COLUMNS = COLUMNS[PLACEMENTS]
STATUSES = (PLACED, GUARANTEED, ADMINISTRATIVE, UNPLACED)
OPEN = "open"  # an open slot, and the seat of anyone not holding a reserved one
SIBLING_OFFERED = "sibling_offered"
FAMILY = "family:"
EARTH_RADIUS_MILES = 3958.8
MISSING_NUMBER = 2**64 - 1  # lottery.csv without a number for an unranked guarantee

RULES = {
    "manifest-hash": "a file's SHA-256 differs from the one recorded in manifest.json",
    "output-file": "an output file is missing or cannot be read",
    "input-file": "the input files cannot be read",
    "manifest-record": (
        "manifest.json records a seed, tie-break, policy or family outcome the inputs contradict"
    ),
    "each-applicant-once": "every applicant has exactly one row in placements.csv",
    "unknown-applicant": "placements.csv names an applicant who is not in applicants.csv",
    "unranked-placement": (
        "an applicant is placed by the match at a program they did not rank (other than "
        "their guaranteed program)"
    ),
    "placement-details": (
        "a placement row's status, grade, school or choice rank is wrong (status is one of "
        "placed, guaranteed, administrative, unplaced)"
    ),
    "eligibility": (
        "an applicant is placed or waitlisted at a program whose required tags they lack"
    ),
    "guarantee": (
        "a guaranteed applicant is placed neither at the guaranteed program nor at one they "
        "ranked above it"
    ),
    "priority-label": "a priority shown differs from the one recomputed from the policy",
    "lottery-number": ("a lottery number or family lottery number differs from the one recomputed"),
    "lottery-rank": "a lottery rank differs from the one recomputed",
    "capacity": (
        "a program holds more applicants than it offers seats (offer_target - held_seats), "
        "or one that its reserved and open seats would not take"
    ),
    "seat-label": "a placement's seat (reserve category or open) differs from the one recomputed",
    "justified-envy": (
        "an applicant lost a program to someone the program would not choose over them "
        "(ordered below them, or not needed for a reserved seat)"
    ),
    "waste": "an applicant was refused a program they prefer that has a seat they could take",
    "administrative": (
        "a zone-guarantee (administrative) assignment differs from the one recomputed, or "
        "the applicants it could not serve are named wrongly"
    ),
    "waitlist-complete": "an applicant who prefers a program is missing from its waitlist",
    "waitlist-extra": "a waitlist lists someone who should not be on it",
    "waitlist-order": "a waitlist is not in the program's order, or positions are not 1..n",
    "waitlist-details": "a waitlist row's choice rank is wrong",
    "summary-counts": "a count in programs_summary.csv or manifest.json is wrong",
    "summary-details": "programs_summary.csv differs from programs.csv",
    "each-program-once": "every program has exactly one row in programs_summary.csv",
    "cutoff": "a program's cutoff is not its last admitted applicant holding an open seat",
    "choice-results": "choice_results.csv disagrees with the placements, waitlists or cutoffs",
    "reserve-report": (
        "reserve_report.csv disagrees with reserves.csv, the placements or the match "
        "without reserves"
    ),
    "row-order": "an output file's rows are not in their documented order",
}


@dataclass(frozen=True, order=True)
class OrderKey:
    """Where an applicant stands in one program's order; smaller comes first."""

    priority: int
    reversed_rank: int  # with the lottery reversed: the reversed lottery rank; else 0
    family_number: int
    lottery_number: int
    applicant_id: str
    label: str = field(default="", compare=False)

    def describe(self) -> str:
        family = (
            f"family lottery number {self.family_number}, "
            if self.family_number != self.lottery_number
            else ""
        )
        reversed_rank = (
            f"lottery rank {self.reversed_rank} (the lottery order reversed), "
            if self.reversed_rank
            else ""
        )
        return (
            f"priority {self.priority} ({self.label}), {reversed_rank}{family}lottery number "
            f"{self.lottery_number}, applicant {self.applicant_id}"
        )

    def to_dict(self) -> dict:
        record = {
            "applicant_id": self.applicant_id,
            "family_lottery_number": self.family_number,
            "lottery_number": self.lottery_number,
            "priority": self.priority,
            "priority_label": self.label,
        }
        if self.reversed_rank:
            record["reversed_lottery_rank"] = self.reversed_rank
        return record


@dataclass(frozen=True)
class Violation:
    """One thing wrong with the results. ``key`` is the applicant's place in the program's
    order and ``other_key`` the one it was compared with (for example the admitted
    applicant the program would give up for them)."""

    rule: str
    message: str
    applicant_id: str | None = None
    program_id: str | None = None
    other_applicant_id: str | None = None
    key: OrderKey | None = None
    other_key: OrderKey | None = None

    def render(self) -> str:
        where = [
            f"applicant {self.applicant_id}" if self.applicant_id else "",
            f"program {self.program_id}" if self.program_id else "",
        ]
        place = ", ".join(w for w in where if w)
        return f"[{self.rule}] {place + ': ' if place else ''}{self.message}"

    def to_dict(self) -> dict:
        return {
            "applicant_id": self.applicant_id,
            "key": self.key.to_dict() if self.key else None,
            "message": self.message,
            "other_applicant_id": self.other_applicant_id,
            "other_key": self.other_key.to_dict() if self.other_key else None,
            "program_id": self.program_id,
            "rule": self.rule,
        }

    def sort_key(self) -> tuple:
        return (
            list(RULES).index(self.rule),
            self.program_id or "",
            self.applicant_id or "",
            self.message,
        )


@dataclass
class VerificationReport:
    """Every violation found, how many things of each kind were checked, and notes on
    what could not be checked fully."""

    violations: list[Violation] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)
    lottery: str = ""
    notes: list[str] = field(default_factory=list)
    manifest_sha256: str = ""

    @property
    def passed(self) -> bool:
        return not self.violations

    def rules(self) -> set[str]:
        """The rules that were broken."""
        return {v.rule for v in self.violations}

    def to_dict(self) -> dict:
        return {
            "checks": dict(sorted(self.checks.items())),
            "lottery": self.lottery,
            "manifest_sha256": self.manifest_sha256,
            "notes": list(self.notes),
            "passed": self.passed,
            "violations": [v.to_dict() for v in self.violations],
        }


# ----------------------------------------------------------------------------- public API


def verify_outputs(out_dir: Path, input_dir: Path) -> VerificationReport:
    """Check the results in ``out_dir`` against the input files in ``input_dir``.

    Never raises for bad results or bad inputs: unreadable files become violations
    (``output-file``, ``input-file``) and the checks that need them are skipped.
    """
    checker = _Checker(Path(out_dir), Path(input_dir))
    checker.run()
    violations = sorted(checker.violations, key=Violation.sort_key)
    return VerificationReport(
        violations,
        dict(sorted(checker.checks.items())),
        checker.lottery,
        checker.notes,
        _manifest_sha256(Path(out_dir)),
    )


def require_verified(out_dir: Path, input_dir: Path, command: str) -> None:
    """Refuse (UsageError) results that ``lottery verify`` does not certify.

    Every command that works from a finished results folder (letters, report, round)
    calls this first: results edited by hand, even with the manifest's checksums
    updated to match, must not reach families. A passing ``verification.json`` in
    ``out_dir`` for the same manifest is taken as it is, instead of checking again; when
    the checks pass here, their certificate is saved there for the next command (unless
    the folder is read-only).
    """
    out_dir = Path(out_dir)
    if _certified(out_dir):
        return
    report = verify_outputs(out_dir, input_dir)
    if report.passed:
        with suppress(UsageError):
            write_verification(report, out_dir / VERIFICATION_FILE)
        return
    shown = [f"  {violation.render()}" for violation in report.violations[:_SHOWN_VIOLATIONS]]
    hidden = len(report.violations) - len(shown)
    if hidden:
        shown.append(f"  ... and {hidden} more")
    raise UsageError(
        f"The results in {out_dir} do not pass `lottery verify` "
        f"({_plural(len(report.violations), 'violation')}), so `{command}` will not use "
        "them:\n" + "\n".join(shown) + "\nRun the lottery again into a new folder, or run "
        f"`lottery verify {out_dir} --inputs {input_dir}` to see every violation."
    )


_SHOWN_VIOLATIONS = 5


def _manifest_sha256(out_dir: Path) -> str:
    try:
        return file_sha256(out_dir / MANIFEST_FILE)
    except OSError:
        return ""


def _certified(out_dir: Path) -> bool:
    """Whether ``out_dir`` holds a passing verification.json for its current manifest."""
    try:
        record = json.loads((out_dir / VERIFICATION_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return (
        isinstance(record, dict)
        and record.get("passed") is True
        and record.get("manifest_sha256") == _manifest_sha256(out_dir)
        and record.get("manifest_sha256") != ""
    )


def write_verification(report: VerificationReport, out_path: Path) -> None:
    """Write the report as stable JSON (sorted keys, no timestamps, final newline)."""
    text = json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_file_atomically(Path(out_path), text.encode("utf-8"))


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def certificate_lines(report: VerificationReport) -> list[str]:
    """A plain-English certificate if every check passed, else every violation."""
    c = report.checks
    if not report.passed:
        n = len(report.violations)
        lines = [f"Verification FAILED: {n} violation{'s' if n != 1 else ''} found."]
        lines += [v.render() for v in report.violations]
        lines += [f"Note: {note}" for note in report.notes]
        return lines
    lines = [
        "Verification passed.",
        f"All {c.get('applicants', 0)} applicants were checked: each appears exactly once in "
        f"placements.csv with a known status, and each of the {c.get('placed', 0)} placed "
        "applicants is placed at a program they ranked (or, with status guaranteed, at the "
        "guaranteed program they did not rank), with the right school, grade and choice rank.",
        "No program holds more applicants than the seats it offers in this run (offer_target "
        f"minus held_seats; {c.get('programs', 0)} programs).",
        f"Every lottery number and lottery rank ({c.get('lottery_numbers', 0)} shown) was "
        f"recomputed from the {report.lottery} and matches.",
        f"Every priority ({c.get('priorities', 0)} shown) was recomputed from the policy and "
        "priorities.csv and matches.",
    ]
    if c.get("ineligible_choices"):
        n = c["ineligible_choices"]
        lines.append(
            "No applicant is placed or waitlisted at a program whose required tags they lack; "
            f"{'the 1 choice' if n == 1 else f'all {n} choices'} of such a program "
            f"{'shows' if n == 1 else 'show'} as ineligible in choice_results.csv."
        )
    if c.get("guarantees"):
        n = c["guarantees"]
        who = "The 1 guaranteed applicant is" if n == 1 else f"All {n} guaranteed applicants are"
        lines.append(
            f"{who} placed at the guaranteed program or at a program they ranked above it."
        )
    reversed_ = bool(c.get("lottery_reversed"))
    if c.get("linked_applicants"):
        lines.append(
            f"The family lottery numbers of the {c['linked_applicants']} applicants in linked "
            "families were recomputed and match, and every program orders applicants of equal "
            "priority by family number, then their own number, then applicant ID"
            + (" (in this round, in the reverse of that order)." if reversed_ else ".")
        )
    order = (
        "priority, then family lottery number, own lottery number and applicant ID"
        if c.get("linked_applicants")
        else "priority, then lottery number, then applicant ID"
    )
    if reversed_:
        order = order.replace("priority, then ", "priority, then the reverse of: ")
    reserves = c.get("reserve_programs", 0)
    lines += [
        "No applicant lost a seat to someone with lower priority: in each of the "
        f"{c.get('preferred_pairs', 0)} cases where an applicant ranked a program above the one "
        f"they got and may be considered there, that program admitted nobody it orders below "
        f"them ({order})"
        + (
            f", or, at the {_plural(reserves, 'program')} with reserved seats (where members "
            "of a category may be admitted below them), choosing slot by slot in precedence "
            "order from the applicants it admitted plus that applicant, would not take them."
            if reserves
            else "."
        ),
        "No seat was wasted: no applicant was refused a program they prefer that has an open "
        "seat" + (" they could take." if reserves else "."),
    ]
    if c.get("reserve_programs"):
        lines.append(
            f"The seat (reserve category or open) of every applicant placed at the "
            f"{_plural(c['reserve_programs'], 'program')} with reserves was recomputed from "
            "its slots and matches, and reserve_report.csv "
            f"({_plural(c.get('reserve_rows', 0), 'row')}) agrees with the placements and with "
            "a match recomputed without reserves."
        )
    if c.get("administrative_owed"):
        lines.append(
            "The zone guarantee was recomputed for the "
            f"{_plural(c['administrative_owed'], 'applicant')} it was owed to: "
            f"{_plural(c.get('administrative', 0), 'administrative assignment')} and "
            f"{c.get('administrative_unserved', 0)} unserved, as the results show."
        )
    lines += [
        f"Every waitlist is complete and in its program's order ({c.get('waitlist_rows', 0)} "
        "rows).",
        "The counts and cutoffs in programs_summary.csv and manifest.json agree with the "
        "placements.",
        f"Every ranked choice in choice_results.csv ({c.get('choice_rows', 0)} rows) shows the "
        "right result, priority, waitlist position and cutoff.",
        f"The SHA-256 checksums of {c.get('files_hashed', 0)} files (inputs and outputs) match "
        "manifest.json.",
    ]
    lines += [f"Note: {note}" for note in report.notes]
    return lines


# ----------------------------------------------------------------------------- the checker


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _section(record: dict, name: str) -> dict:
    """``record[name]`` if it is a JSON object, else an empty one (reported elsewhere)."""
    value = record.get(name)
    return value if isinstance(value, dict) else {}


def seeded_number(seed: str, applicant_id: str, program_id: str | None = None) -> int:
    """The documented formula, written out here rather than imported from the engine.
    A family's number passes ``"family:{family_id}"`` as ``applicant_id``."""
    text = f"{seed}|{applicant_id}" if program_id is None else f"{seed}|{applicant_id}|{program_id}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def great_circle_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on a sphere of radius 3958.8 miles (docs/seat-policy.md)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    lambda1, lambda2 = math.radians(lon1), math.radians(lon2)
    half = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin((lambda2 - lambda1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(half, 1.0)))


def _coordinate(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


class _Everything:
    """The reserve categories of an applicant guaranteed the program: all of them."""

    def __contains__(self, category: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "every category"


EVERY_CATEGORY = _Everything()


class _Checker:
    """Holds the plain-Python picture of one run and collects violations as it checks it."""

    def __init__(self, out_dir: Path, input_dir: Path):
        self.out_dir = out_dir
        self.input_dir = input_dir
        self.violations: list[Violation] = []
        self.checks: Counter[str] = Counter()
        self.notes: list[str] = []
        self.lottery = ""
        self.has_lottery = False
        self.reversed = False  # a later round with [rounds] tiebreak = "reversed"
        self._keys: dict[tuple[str, str], OrderKey] = {}
        self._priorities: dict[tuple[str, str], tuple[int, str]] = {}
        self._met: dict[tuple[str, str, str], bool] = {}
        self._offered: dict[tuple[str, str], bool] = {}
        self.shown_priority: dict[tuple[str, str], str] = {}
        self.unsettled_families: list[str] = []  # manifest families.unsettled, if not converged
        self.unsettled: set[str] = set()  # their members
        self._offer_unknown: set[tuple[str, str]] = set()  # their sibling_offered not shown
        self._offer_reading: dict[tuple[str, str], bool] = {}  # ... and the reading taken
        self.matched_at: dict[str, str] = {}  # applicant -> program, placed by the match
        self.seat_of: dict[str, str] = {}  # applicant -> recomputed seat, where known

    def fail(self, rule: str, message: str, applicant=None, program=None, **keys) -> None:
        self.violations.append(Violation(rule, message, applicant, program, **keys))

    # --------------------------------------------------------------- driver

    def run(self) -> None:
        manifest = self._read_manifest()
        self._check_hashes(manifest)
        if not self._load_inputs():
            return
        self._check_manifest_record(manifest)
        self._load_lottery(manifest)
        rows = self._read_csv("placements.csv")
        if rows is None:
            return
        choice_rows = self._read_csv("choice_results.csv")
        for row in choice_rows or []:
            self.shown_priority[row["applicant_id"], row["program_id"]] = row["priority"]
        self._load_families(manifest)
        self._read_placements(rows)
        self._check_placements(rows)
        self._check_guarantees()
        self._check_capacity()
        self._derive_waitlists()
        if self.has_lottery:
            self._settle_readings(rows)
            self._check_seats(rows)
            self._check_administrative(manifest)
            self._check_stability()
        waitlist_rows = self._read_csv("waitlists.csv")
        if waitlist_rows is not None:
            self._check_waitlists(waitlist_rows)
        summary_rows = self._read_csv("programs_summary.csv")
        if summary_rows is not None:
            self._check_summary(summary_rows)
        if choice_rows is not None:
            self._check_choice_results(choice_rows)
        report_rows = self._read_csv("reserve_report.csv")
        if report_rows is not None:
            self._check_reserve_report(report_rows)
        self._check_manifest_counts(manifest)
        self._note_unsettled()

    # --------------------------------------------------------------- files and hashes

    def _read_manifest(self) -> dict:
        path = self.out_dir / MANIFEST_FILE
        if not path.is_file():
            self.fail("output-file", f"{MANIFEST_FILE} is missing from the results folder")
            return {}
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            self.fail("output-file", f"{MANIFEST_FILE} is not valid JSON: {error}")
            return {}
        if not isinstance(manifest, dict):
            self.fail("output-file", f"{MANIFEST_FILE} does not hold a JSON object")
            return {}
        return manifest

    def _redacted(self) -> dict[str, dict]:
        """Redacted input copies of an unpacked audit bundle (``outputs`` beside
        ``bundle.json``): name -> {"sha256": of the copy, "original_sha256": of the file}."""
        record = self.out_dir.parent / BUNDLE_RECORD
        if self.out_dir.name != BUNDLE_OUTPUTS or not record.is_file():
            return {}
        try:
            redacted = _section(json.loads(record.read_text(encoding="utf-8")), "redacted")
        except (UnicodeDecodeError, json.JSONDecodeError):
            self.fail("output-file", f"{BUNDLE_RECORD} of the audit bundle is not valid JSON")
            return {}
        return {name: info for name, info in redacted.items() if isinstance(info, dict)}

    def _check_hashes(self, manifest: dict) -> None:
        redacted = self._redacted()
        for name, info in sorted(redacted.items()):
            original = _section(manifest, "inputs").get(name)
            if info.get("original_sha256") != original:
                self.fail(
                    "manifest-hash",
                    f"{BUNDLE_RECORD} says the redacted {name} was made from a file with "
                    f"SHA-256 {info.get('original_sha256')}, but manifest.json records {original}",
                )
        for section, folder, names in (
            ("outputs", self.out_dir, set(OUTPUT_FILES)),
            ("inputs", self.input_dir, {n for n in INPUT_FILES if (self.input_dir / n).is_file()}),
        ):
            recorded = _section(manifest, section)
            if section == "inputs":  # a redacted copy must match the copy's own checksum
                recorded = {**recorded, **{n: i.get("sha256") for n, i in redacted.items()}}
            for name in sorted(names | set(recorded)):
                path = folder / name
                where = "results" if section == "outputs" else "input"
                if name not in recorded:
                    self.fail(
                        "manifest-hash",
                        f'{name} is in the {where} folder but manifest.json "{section}" has no '
                        "checksum for it",
                    )
                elif not path.is_file():
                    self.fail(
                        "manifest-hash",
                        f'manifest.json "{section}" lists {name}, which is missing from the '
                        f"{where} folder",
                    )
                else:
                    self.checks["files_hashed"] += 1
                    actual = _sha256(path)
                    if actual != recorded[name]:
                        self.fail(
                            "manifest-hash",
                            f"{name} in the {where} folder has SHA-256 {actual}, but "
                            f'manifest.json "{section}" records {recorded[name]}',
                        )

    def _read_csv(self, name: str) -> list[dict[str, str]] | None:
        path = self.out_dir / name
        columns = OUTPUT_FILES[name]
        if not path.is_file():
            self.fail("output-file", f"{name} is missing from the results folder")
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.fail("output-file", f"{name} is not UTF-8 text")
            return None
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, [])
        if tuple(header) != columns:
            self.fail(
                "output-file",
                f"{name} has the header {','.join(header)!r}; expected {','.join(columns)!r}",
            )
            if set(columns) - set(header):
                return None
        rows = []
        for line, cells in enumerate(reader, start=2):
            if len(cells) != len(header):
                self.fail(
                    "output-file",
                    f"{name}:{line}: the row has {len(cells)} cells, the header {len(header)}",
                )
                continue
            rows.append(dict(zip(header, cells, strict=True)))
        return rows

    # --------------------------------------------------------------- inputs

    def _load_inputs(self) -> bool:
        try:
            city = read_input_folder(self.input_dir)
        except InputError as error:
            for line in error.lines():
                self.fail("input-file", line)
            return False
        p = city.programs
        self.programs: dict[str, dict] = {}
        for i, pid in enumerate(p.id.tolist()):
            held, target = int(p.held_seats[i]), int(p.offer_target[i])
            self.programs[pid] = {
                "school_id": str(p.school_id[i]),
                "school_name": str(p.school_name[i]),
                "sector": str(p.sector[i]),
                "grade": str(p.grade[i]),
                "seats": int(p.seats[i]),
                "held_seats": held,
                "capacity": target - held,  # the seats offered in this run
                "zones": frozenset(p.zones[i]),
                "requires_tags": frozenset(p.requires_tags[i]),
                "administrative_zones": frozenset(p.administrative_zones[i]),
                "latitude": _coordinate(p.latitude[i]),
                "longitude": _coordinate(p.longitude[i]),
            }
        a = city.applicants
        applicant_ids = a.id.tolist()
        program_ids = p.id.tolist()
        self.applicants: dict[str, dict] = {}
        self.families: dict[str, list[str]] = {}  # linked families: family_id -> members
        columns = zip(
            applicant_ids,
            a.grade.tolist(),
            a.zone.tolist(),
            a.current_school_id.tolist(),
            a.sibling_school_ids,
            a.staff_school_id.tolist(),
            a.tags,
            a.guaranteed_program.tolist(),
            a.accepts_administrative.tolist(),
            a.family_id.tolist(),
            a.link_family.tolist(),
            a.latitude.tolist(),
            a.longitude.tolist(),
            strict=True,
        )
        for (
            aid,
            grade,
            zone,
            current,
            siblings,
            staff,
            tags,
            guaranteed,
            accepts,
            family,
            link,
            latitude,
            longitude,
        ) in columns:
            linked = bool(family) and bool(link)
            self.applicants[aid] = {
                "grade": grade,
                "zone": zone,
                "current_school_id": current,
                "sibling_school_ids": frozenset(siblings),
                "staff_school_id": staff,
                "tags": frozenset(tags),
                "guarantee": program_ids[guaranteed] if guaranteed >= 0 else None,
                "accepts_administrative": bool(accepts),
                "family_id": family if linked else None,
                "latitude": _coordinate(latitude),
                "longitude": _coordinate(longitude),
            }
            if linked:
                self.families.setdefault(family, []).append(aid)
        ranked: dict[str, list[tuple[int, str]]] = {aid: [] for aid in applicant_ids}
        c = city.choices
        for ai, rank, pi in zip(
            c.applicant.tolist(), c.rank.tolist(), c.program.tolist(), strict=True
        ):
            ranked[applicant_ids[ai]].append((int(rank), program_ids[pi]))
        # applicant -> programs ranked, best first; applicant -> program -> choice rank
        self.ranked = {aid: [pid for _, pid in sorted(pairs)] for aid, pairs in ranked.items()}
        self.choice_rank = {
            aid: {pid: k for k, pid in enumerate(pids, start=1)}
            for aid, pids in self.ranked.items()
        }
        # Every program the applicant may be placed at by the match, best first: the ranked
        # ones, then the guaranteed program as an implicit last choice if not ranked.
        self.prefs: dict[str, list[str]] = {}
        for aid, pids in self.ranked.items():
            guarantee = self.applicants[aid]["guarantee"]
            implicit = guarantee is not None and guarantee not in self.choice_rank[aid]
            self.prefs[aid] = [*pids, guarantee] if implicit else pids
        self.explicit: dict[tuple[str, str], int] = {}
        if city.explicit_priorities is not None:
            e = city.explicit_priorities
            for ai, pi, value in zip(
                e.applicant.tolist(), e.program.tolist(), e.priority.tolist(), strict=True
            ):
                self.explicit[applicant_ids[ai], program_ids[pi]] = int(value)
        self.external = city.external_lottery is not None
        self.external_default: dict[str, int] = {}
        self.external_pair: dict[tuple[str, str], int] = {}
        self.per_program = False
        if city.external_lottery is not None:
            x = city.external_lottery
            self.per_program = bool(x.per_program)
            for ai, pi, number in zip(
                x.applicant.tolist(), x.program.tolist(), x.number.tolist(), strict=True
            ):
                if pi < 0:
                    self.external_default[applicant_ids[ai]] = int(number)
                else:
                    self.external_pair[applicant_ids[ai], program_ids[pi]] = int(number)
        policy = city.policy
        self.tiers = [
            tuple(part.strip() for part in tier.split("+")) for tier in policy.priority.order
        ]
        self.tier_names = ["+".join(tier) for tier in self.tiers]
        self.policy_tiebreak = policy.lottery.tiebreak
        self.rounds_tiebreak = policy.rounds.tiebreak
        self.precedence = policy.reserves.precedence
        self.unfilled = policy.reserves.unfilled
        self.max_iterations = int(policy.families.max_iterations)
        self.reserves = self._load_reserves() if city.reserves is not None else {}
        # A program's slots in precedence order: (category or OPEN, how many).
        self.slot_runs: dict[str, list[tuple[str, int]]] = {}
        for pid, reserved in self.reserves.items():
            open_run = [(OPEN, self.programs[pid]["capacity"] - sum(n for _, n in reserved))]
            first = self.precedence == "open_first"
            self.slot_runs[pid] = open_run + reserved if first else reserved + open_run
        self.checks["applicants"] = len(self.applicants)
        self.checks["programs"] = len(self.programs)
        self.checks["reserve_programs"] = len(self.reserves)
        self.checks["linked_applicants"] = sum(len(m) for m in self.families.values())
        return True

    def _load_reserves(self) -> dict[str, list[tuple[str, int]]]:
        """program -> [(category, seats)] in category order, from reserves.csv as written
        (already validated by the reader): a share becomes seats here, rounded down."""
        table = read_table(self.input_dir / RESERVES_FILE, *RESERVE_COLUMNS, ProblemLog())
        reserves: dict[str, list[tuple[str, int]]] = {}
        if table is None:  # pragma: no cover - the reader accepted the same file
            return reserves
        for pid, category, seats, share in zip(
            table.column("program_id").tolist(),
            table.column("category").tolist(),
            table.column("seats").tolist(),
            table.column("share").tolist(),
            strict=True,
        ):
            if seats:
                count = int(seats)
            else:
                try:
                    exact = Decimal(share) * self.programs[pid]["capacity"]
                    count = int(exact.to_integral_value(rounding=ROUND_FLOOR))
                except InvalidOperation:  # pragma: no cover - the reader accepted it
                    count = 0
            reserves.setdefault(pid, []).append((category, count))
        return {pid: sorted(runs) for pid, runs in sorted(reserves.items())}

    def eligible(self, aid: str, pid: str) -> bool:
        """Whether the applicant has every tag the program requires."""
        return self.programs[pid]["requires_tags"] <= self.applicants[aid]["tags"]

    def _check_manifest_record(self, manifest: dict) -> None:
        lottery = _section(manifest, "lottery")
        if self.external:
            expected = {
                "seed": EXTERNAL_LOTTERY,
                "source": "lottery.csv",
                "tiebreak": "multiple" if self.per_program else "single",
            }
        else:
            expected = {"source": "seed", "tiebreak": self.policy_tiebreak}
            seed = manifest.get("seed")
            if not isinstance(seed, str) or not seed.strip() or seed == EXTERNAL_LOTTERY:
                self.fail(
                    "manifest-record",
                    f"the input folder has no lottery.csv, so manifest.json must record the "
                    f"seed, but it records {seed!r}",
                )
        recorded = {"seed": manifest.get("seed"), **lottery}
        for name, value in expected.items():
            if recorded.get(name) != value:
                label = name if name == "seed" else f"lottery.{name}"
                self.fail(
                    "manifest-record",
                    f"manifest.json records {label} {recorded.get(name)!r}; the input files "
                    f"give {value!r}",
                )
        self._check_round_record(manifest)
        policy = _section(manifest, "policy")
        expected_policy = {
            ("priority", "order"): self.tier_names,
            ("lottery", "tiebreak"): self.policy_tiebreak,
            ("reserves", "precedence"): self.precedence,
            ("reserves", "unfilled"): self.unfilled,
            ("families", "max_iterations"): self.max_iterations,
        }
        for (part, name), value in expected_policy.items():
            shown = _section(policy, part).get(name)
            if shown != value:
                what = "priority order" if part == "priority" else f"policy {part}.{name}"
                what = "policy tie-break" if part == "lottery" else what
                self.fail(
                    "manifest-record",
                    f"manifest.json records the {what} {shown!r}; policy.toml gives {value!r}",
                )

    def _check_round_record(self, manifest: dict) -> None:
        """A later round (manifest ``round``) reverses the lottery exactly when the
        round's policy says ``[rounds] tiebreak = "reversed"``; round 1 never does."""
        if "round" not in manifest:
            return
        record = _section(manifest, "round")
        shown = record.get("lottery_reversed")
        self.reversed = shown is True
        expected = self.rounds_tiebreak == "reversed"
        if shown is not expected:
            self.fail(
                "manifest-record",
                f"manifest.json records round.lottery_reversed {shown!r}; policy.toml gives "
                f"[rounds] tiebreak {self.rounds_tiebreak!r}, so it must be "
                f"{str(expected).lower()}",
            )

    def _load_families(self, manifest: dict) -> None:
        """Check manifest.json ``families`` and note the members of unsettled families."""
        record = manifest.get("families")
        uses_offers = SIBLING_OFFERED in {c for tier in self.tiers for c in tier} | {
            category for runs in self.reserves.values() for category, _ in runs
        }
        if not isinstance(record, dict):
            self.fail("manifest-record", "manifest.json has no families record")
            return
        iterations, converged = record.get("iterations"), record.get("converged")
        unsettled = record.get("unsettled")
        problems = []
        if not isinstance(iterations, int) or not isinstance(converged, bool):
            problems.append("families.iterations must be a number and converged true or false")
        elif not uses_offers or not self.families:
            if (iterations, converged, unsettled) != (1, True, []):
                problems.append(
                    "without sibling_offered and linked families the match runs once: "
                    "families should be iterations 1, converged true, unsettled []"
                )
        elif not 2 <= iterations <= self.max_iterations:
            problems.append(
                f"families.iterations is {iterations}; the match runs 2 to "
                f"{self.max_iterations} times with sibling_offered and linked families"
            )
        elif not converged and iterations != self.max_iterations:
            problems.append(
                f"families.converged is false after {iterations} runs, below the limit of "
                f"{self.max_iterations}"
            )
        if not isinstance(unsettled, list) or unsettled != sorted(set(unsettled), key=str):
            problems.append("families.unsettled must be a sorted list of family IDs")
            unsettled = []
        elif unknown := [f for f in unsettled if f not in self.families]:
            problems.append(f"families.unsettled names unknown or unlinked families {unknown}")
        elif converged and unsettled:
            problems.append("families.unsettled names families although converged is true")
        for problem in problems:
            self.fail("manifest-record", problem)
        if converged is False:
            self.unsettled_families = [f for f in unsettled if f in self.families]
            self.unsettled = {aid for f in self.unsettled_families for aid in self.families[f]}

    # --------------------------------------------------------------- lottery and priority

    def _load_lottery(self, manifest: dict) -> None:
        """Recompute every number needed (own and family), each applicant's (or pair's)
        lottery rank, and the order of the zone guarantee."""
        self.single_number: dict[str, int] = {}
        self.single_family: dict[str, int] = {}
        self.pair_number: dict[tuple[str, str], int] = {}
        self.pair_family: dict[tuple[str, str], int] = {}
        pairs = [(aid, pid) for aid, pids in self.prefs.items() for pid in pids]
        family_of = {aid: a["family_id"] for aid, a in self.applicants.items()}
        if self.external:
            self.multiple = self.per_program
            kind = "multiple" if self.multiple else "single"
            self.lottery = f"numbers in lottery.csv ({kind} tie-break)"
            default = self.external_default
            if not self.multiple:
                self.single_number = {a: default.get(a, MISSING_NUMBER) for a in self.applicants}
            else:
                for aid, pid in pairs:
                    number = self.external_pair.get((aid, pid), default.get(aid, MISSING_NUMBER))
                    self.pair_number[aid, pid] = number
            # A linked family stands at its lowest member's number (at each program).
            if not self.multiple:
                lowest = {
                    f: min(self.single_number[m] for m in members)
                    for f, members in self.families.items()
                }
                self.single_family = {
                    aid: lowest[f] if f else self.single_number[aid] for aid, f in family_of.items()
                }
            else:
                lowest_at: dict[tuple[str, str], int] = {}
                for (aid, pid), number in self.pair_number.items():
                    if family_of[aid]:
                        where = (family_of[aid], pid)
                        lowest_at[where] = min(lowest_at.get(where, number), number)
                for (aid, pid), number in self.pair_number.items():
                    f = family_of[aid]
                    self.pair_family[aid, pid] = lowest_at[f, pid] if f else number
            admin_numbers = {a: default.get(a, MISSING_NUMBER) for a in self.applicants}
        else:
            seed = manifest.get("seed")
            if not isinstance(seed, str) or not seed.strip() or seed == EXTERNAL_LOTTERY:
                return
            self.multiple = self.policy_tiebreak == "multiple"
            self.lottery = f'seed "{seed}" ({self.policy_tiebreak} tie-break)'
            if not self.multiple:
                self.single_number = {aid: seeded_number(seed, aid) for aid in self.applicants}
                family_number = {f: seeded_number(seed, FAMILY + f) for f in self.families}
                self.single_family = {
                    aid: family_number[f] if f else self.single_number[aid]
                    for aid, f in family_of.items()
                }
                admin_numbers = self.single_number
            else:
                for aid, pid in pairs:
                    number = seeded_number(seed, aid, pid)
                    self.pair_number[aid, pid] = number
                    f = family_of[aid]
                    self.pair_family[aid, pid] = (
                        seeded_number(seed, FAMILY + f, pid) if f else number
                    )
                admin_numbers = {aid: seeded_number(seed, aid) for aid in self.applicants}
        self.has_lottery = True
        if not self.multiple:
            order = sorted(
                self.single_number,
                key=lambda aid: (self.single_family[aid], self.single_number[aid], aid),
            )
            self.single_rank = {aid: rank for rank, aid in enumerate(order, start=1)}
            self.admin_rank = self.single_rank
        else:
            by_program: dict[str, list[tuple[int, int, str]]] = {pid: [] for pid in self.programs}
            for (aid, pid), number in self.pair_number.items():
                by_program[pid].append((self.pair_family[aid, pid], number, aid))
            self.pair_rank = {}
            for pid, entries in by_program.items():
                for rank, (_, _, aid) in enumerate(sorted(entries), start=1):
                    self.pair_rank[aid, pid] = rank
            # The zone guarantee goes by the applicant-wide number (docs/seat-policy.md).
            order = sorted(admin_numbers, key=lambda aid: (admin_numbers[aid], aid))
            self.admin_rank = {aid: rank for rank, aid in enumerate(order, start=1)}
        if self.reversed:
            self._reverse_ranks()

    def _reverse_ranks(self) -> None:
        """A later round with the lottery reversed: rank r of n becomes n + 1 - r, for
        the single tie-break, at each program with a multiple one (n: the applicants
        ranked there), and in the zone guarantee's order."""
        # "seed ... (single tie-break)" -> "seed ... (single tie-break, the order reversed ...)"
        self.lottery = self.lottery.removesuffix(")") + ", the order reversed in this round)"
        self.checks["lottery_reversed"] = 1
        n = len(self.applicants)
        self.admin_rank = {aid: n + 1 - rank for aid, rank in self.admin_rank.items()}
        if not self.multiple:
            self.single_rank = {aid: n + 1 - rank for aid, rank in self.single_rank.items()}
            self.admin_rank = self.single_rank
        else:
            ranked_at = Counter(pid for _, pid in self.pair_rank)
            self.pair_rank = {
                (aid, pid): ranked_at[pid] + 1 - rank for (aid, pid), rank in self.pair_rank.items()
            }

    def number(self, aid: str, pid: str) -> int:
        return self.pair_number[aid, pid] if self.multiple else self.single_number[aid]

    def family_number(self, aid: str, pid: str) -> int:
        return self.pair_family[aid, pid] if self.multiple else self.single_family[aid]

    def rank(self, aid: str, pid: str) -> int:
        return self.pair_rank[aid, pid] if self.multiple else self.single_rank[aid]

    def meets(self, aid: str, pid: str, criterion: str) -> bool:
        """Whether a criterion of the policy (or a reserve category) holds at a pair."""
        met = self._met.get((aid, pid, criterion))
        if met is None:
            met = self._met[aid, pid, criterion] = self._meets(aid, pid, criterion)
        return met

    def _meets(self, aid: str, pid: str, criterion: str) -> bool:
        applicant, program = self.applicants[aid], self.programs[pid]
        school = program["school_id"]
        if criterion == "continuing":
            return applicant["current_school_id"] == school
        if criterion == "sibling":
            return school in applicant["sibling_school_ids"]
        if criterion == "zone":
            return bool(applicant["zone"]) and applicant["zone"] in program["zones"]
        if criterion == "staff":
            return applicant["staff_school_id"] == school
        if criterion.startswith("tag:"):
            return criterion.removeprefix("tag:") in applicant["tags"]
        if criterion.startswith("proximity:"):
            where = (applicant["latitude"], applicant["longitude"])
            there = (program["latitude"], program["longitude"])
            if None in where or None in there:
                return False
            miles = float(criterion.removeprefix("proximity:"))
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
        family = self.applicants[aid]["family_id"]
        school = self.programs[pid]["school_id"]
        value = family is not None and any(
            member != aid
            and member in self.matched_at
            and self.programs[self.matched_at[member]]["school_id"] == school
            for member in self.families[family]
        )
        if aid in self.unsettled:
            labels = {v: self._tier_priority(aid, pid, v)[1] for v in (True, False)}
            shown = self.shown_priority.get((aid, pid))
            if labels[True] != labels[False] and shown in labels.values():
                self.checks["unsettled_priorities"] += 1
                value = shown == labels[True]
            else:  # no priority shows which reading the engine used
                self._offer_unknown.add((aid, pid))
        self._offered[aid, pid] = value
        return value

    def member(self, aid: str, pid: str, category: str) -> bool:
        """Whether the applicant belongs to a reserve category at the program (for
        ``sibling_offered`` of an unsettled family, the reading settled on, if any)."""
        if category == SIBLING_OFFERED and (aid, pid) in self._offer_reading:
            return self._offer_reading[aid, pid]
        return self.meets(aid, pid, category)

    def _tier_priority(self, aid: str, pid: str, offered: bool | None = None) -> tuple[int, str]:
        for value, tier in enumerate(self.tiers, start=1):
            if all(
                offered if c == SIBLING_OFFERED and offered is not None else self.meets(aid, pid, c)
                for c in tier
            ):
                return value, self.tier_names[value - 1]
        return len(self.tiers) + 1, "general"

    def priority(self, aid: str, pid: str) -> tuple[int, str]:
        """(value, label) of an applicant at a program: ``guaranteed`` (0) at their
        guaranteed program, else from priorities.csv, else from the policy's tiers."""
        known = self._priorities.get((aid, pid))
        if known is None:
            if self.applicants[aid]["guarantee"] == pid:
                known = (0, GUARANTEED)
            elif (aid, pid) in self.explicit:
                value = self.explicit[aid, pid]
                known = (value, f"explicit:{value}")
            else:
                known = self._tier_priority(aid, pid)
            self._priorities[aid, pid] = known
        return known

    def key(self, aid: str, pid: str) -> OrderKey:
        """The applicant's place in the program's order (computed once per pair)."""
        key = self._keys.get((aid, pid))
        if key is None:
            value, label = self.priority(aid, pid)
            key = self._keys[aid, pid] = OrderKey(
                value,
                self.rank(aid, pid) if self.reversed else 0,
                self.family_number(aid, pid),
                self.number(aid, pid),
                aid,
                label,
            )
        return key

    def categories(self, aid: str, pid: str):
        """The reserve categories at the program whose slots take the applicant as a
        member: all of them for an applicant guaranteed the program."""
        if self.applicants[aid]["guarantee"] == pid:
            return EVERY_CATEGORY
        return frozenset(c for c, _ in self.reserves[pid] if self.member(aid, pid, c))

    # --------------------------------------------------------------- placements

    def _read_placements(self, rows: list[dict[str, str]]) -> None:
        """The claimed placement: each applicant's status and program (known ones only)."""
        self.status: dict[str, str] = {}
        self.placed_at: dict[str, str | None] = {}  # any status; None if unplaced
        for row in rows:
            aid, pid, status = row["applicant_id"], row["program_id"], row["status"]
            if aid not in self.applicants or aid in self.status:
                continue
            self.status[aid] = status
            known = status in STATUSES and status != UNPLACED and pid in self.programs
            self.placed_at[aid] = pid if known else None
            if known and status in MATCHED:
                self.matched_at[aid] = pid

    def _check_placements(self, rows: list[dict[str, str]]) -> None:
        """Check every row's cells against the inputs."""
        seen: set[str] = set()
        ids = [row["applicant_id"] for row in rows]
        if any(b <= a for a, b in zip(ids, ids[1:], strict=False)):
            self.fail("row-order", "placements.csv is not sorted by applicant_id (each once)")
        for row in rows:
            aid = row["applicant_id"]
            if aid not in self.applicants:
                self.fail(
                    "unknown-applicant", "placements.csv has a row for an unknown applicant", aid
                )
                continue
            if aid in seen:
                self.fail("each-applicant-once", "placements.csv has more than one row", aid)
                continue
            seen.add(aid)
            self._check_placement_row(aid, row)
        for aid in self.applicants:
            if aid not in seen:
                self.fail("each-applicant-once", "placements.csv has no row", aid)
                self.placed_at[aid] = None
        self.checks["placed"] = sum(pid is not None for pid in self.placed_at.values())

    def _check_placement_row(self, aid: str, row: dict[str, str]) -> None:
        applicant = self.applicants[aid]
        expect = {"grade": applicant["grade"]}
        pid, status = row["program_id"], row["status"]
        pair = None  # the program whose pair (choice or guarantee) the applicant holds
        if status not in STATUSES:
            self.fail(
                "placement-details",
                f"status is {status!r}, not one of {', '.join(STATUSES)}",
                aid,
            )
        elif status == UNPLACED:
            expect.update(program_id="", school_id="", choice_rank="", priority="", seat="")
        elif pid not in self.programs:
            self.fail("unranked-placement", f'{status} at unknown program "{pid}"', aid, pid)
        else:
            program = self.programs[pid]
            expect["school_id"] = program["school_id"]
            ranked = pid in self.choice_rank[aid]
            expect["choice_rank"] = str(self.choice_rank[aid][pid]) if ranked else ""
            guarantee = applicant["guarantee"]
            if status == PLACED and not ranked:
                why = (
                    " (it is their guaranteed program, which they did not rank: the status "
                    "should be guaranteed)"
                    if pid == guarantee
                    else ""
                )
                self.fail(
                    "unranked-placement",
                    f"placed at a program the applicant did not rank{why}",
                    aid,
                    pid,
                )
            elif status == GUARANTEED and pid != guarantee:
                self.fail(
                    "unranked-placement",
                    "status guaranteed, but this is not the applicant's guaranteed program",
                    aid,
                    pid,
                )
            elif status == GUARANTEED and ranked:
                self.fail(
                    "placement-details",
                    "status guaranteed, but the applicant ranked their guaranteed program: "
                    "the status should be placed",
                    aid,
                    pid,
                )
            elif status in MATCHED:
                pair = pid
            if not self.eligible(aid, pid):
                self.fail(
                    "eligibility",
                    f"{status} at a program that requires the tag(s) "
                    f"{', '.join(sorted(program['requires_tags'] - applicant['tags']))}, which "
                    "the applicant lacks",
                    aid,
                    pid,
                )
            if status == ADMINISTRATIVE:
                expect.update(priority="", seat=OPEN)
                pair = pid if ranked else None
            elif pair is not None:
                self.checks["priorities"] += 1
                _, label = self.priority(aid, pid)
                if row["priority"] != label:
                    self.fail(
                        "priority-label",
                        f"placements.csv shows priority {row['priority']!r}; "
                        f"the policy gives {label!r}",
                        aid,
                        pid,
                    )
        for column, value in expect.items():
            if row[column] != value:
                self.fail(
                    "placement-details" if column != "seat" else "seat-label",
                    f"placements.csv shows {column} {row[column]!r}; expected {value!r}",
                    aid,
                    pid or None,
                )
        if self.has_lottery:
            self._check_placement_numbers(aid, row, pair)

    def _check_placement_numbers(self, aid: str, row: dict[str, str], pair: str | None) -> None:
        linked = self.applicants[aid]["family_id"] is not None
        if not self.multiple:
            number, rank = str(self.single_number[aid]), str(self.single_rank[aid])
            family = str(self.single_family[aid]) if linked else ""
        elif pair is not None and pair in self.prefs[aid]:
            number, rank = str(self.number(aid, pair)), str(self.rank(aid, pair))
            family = str(self.family_number(aid, pair)) if linked else ""
        else:
            number = rank = family = ""
        self.checks["lottery_numbers"] += 1
        for column, value in (("lottery_number", number), ("family_lottery_number", family)):
            if row[column] != value:
                self.fail(
                    "lottery-number",
                    f"placements.csv shows {column} {row[column]!r}; recomputed from the "
                    f"{self.lottery}: {value!r}",
                    aid,
                    pair,
                )
        if row["lottery_rank"] != rank:
            self.fail(
                "lottery-rank",
                f"placements.csv shows lottery rank {row['lottery_rank']!r}; recomputed: {rank!r}",
                aid,
                pair,
            )

    def _check_guarantees(self) -> None:
        """Each guaranteed applicant is placed by the match at the guaranteed program or at
        a program they ranked above it."""
        for aid, applicant in self.applicants.items():
            guarantee = applicant["guarantee"]
            if guarantee is None:
                continue
            self.checks["guarantees"] += 1
            got = self.matched_at.get(aid)
            ranks = self.choice_rank[aid]
            if got == guarantee or (
                got in ranks and ranks[got] < ranks.get(guarantee, len(ranks) + 1)
            ):
                continue
            at = self.placed_at.get(aid)
            where = f"{self.status.get(aid)} at {at}" if at else "unplaced"
            self.fail(
                "guarantee",
                f"is guaranteed program {guarantee} but is {where}",
                aid,
                guarantee,
            )

    # --------------------------------------------------------------- capacity and seats

    def _check_capacity(self) -> None:
        self.placed_count: Counter[str] = Counter(p for p in self.placed_at.values() if p)
        self.match_count: Counter[str] = Counter(self.matched_at.values())
        self.admin_count: Counter[str] = Counter(
            p for a, p in self.placed_at.items() if p and self.status.get(a) == ADMINISTRATIVE
        )
        for pid, count in sorted(self.placed_count.items()):
            capacity = self.programs[pid]["capacity"]
            if count > capacity:
                self.fail(
                    "capacity",
                    f"{count} applicants are placed here but it offers {capacity} seats in this "
                    "run (offer_target minus held_seats)",
                    None,
                    pid,
                )
        # Admitted by the match: through a pair it may hold (other rows are violations).
        self.admitted: dict[str, list[str]] = {pid: [] for pid in self.programs}
        for aid, pid in self.matched_at.items():
            if pid in self.prefs[aid] and self.eligible(aid, pid):
                self.admitted[pid].append(aid)

    def fill_slots(self, pid: str, members: list) -> list[str | None]:
        """A program with reserves chooses from applicants listed best first, with the
        categories each belongs to there (docs/seat-policy.md): its slots, in precedence
        order, each go to the best applicant left that the slot takes. Returns the slot
        each applicant gets (a category, or ``OPEN``), None for those it does not take.

        Within a run of ``n`` slots for category ``c`` that is: the first ``n`` members
        of ``c`` left, and if fewer are left, the best others left (``unfilled = "open"``)
        or nobody (``"empty"``); a run of open slots takes the first ``n`` left.
        """
        left = list(range(len(members)))
        slot: list[str | None] = [None] * len(members)
        for category, count in self.slot_runs[pid]:
            if not left:
                break
            if category == OPEN:
                takers = left[:count]
            else:
                takers = [i for i in left if category in members[i]][:count]
                if len(takers) < count and self.unfilled == "open":
                    chosen = set(takers)
                    takers += [i for i in left if i not in chosen][: count - len(takers)]
            for i in takers:
                slot[i] = category
            taken = set(takers)
            left = [i for i in left if i not in taken]
        return slot

    def _ordered(self, pid: str) -> list[tuple[OrderKey, str]]:
        """The program's admitted applicants in its order, with their keys."""
        return sorted((self.key(aid, pid), aid) for aid in self.admitted[pid])

    def _settle_readings(self, rows: list[dict[str, str]]) -> None:
        """Members of unsettled families at a program with a ``sibling_offered`` reserve,
        where no priority shows whether the engine's last run counted them in it: take
        the first reading (starting from the final placements') under which the program's
        seats and choices agree with the results; if none does, the final placements'."""
        seat_shown: dict[str, str] = {}
        for row in rows:
            seat_shown.setdefault(row["applicant_id"], row["seat"])
        for pid, runs in self.reserves.items():
            if SIBLING_OFFERED not in {category for category, _ in runs}:
                continue
            involved = self.admitted[pid] + self.waitlist[pid]
            unknown = [aid for aid in involved if self._reading_unknown(aid, pid)]
            if not unknown:
                continue
            self.checks["unsettled_memberships"] += len(unknown)
            final = [self.offered(aid, pid) for aid in unknown]
            # Every reading of up to 10 of them (the rest as the final placements say).
            for flips in itertools.product((False, True), repeat=min(len(unknown), 10)):
                for aid, value, flip in zip(unknown, final, flips, strict=False):
                    self._offer_reading[aid, pid] = value != flip
                if self._slots_agree(pid, seat_shown):
                    break
            else:
                for aid in unknown:
                    del self._offer_reading[aid, pid]

    def _reading_unknown(self, aid: str, pid: str) -> bool:
        """Whether nothing settles if the engine counted a member of an unsettled family
        in the program's sibling_offered reserve (no priority shows it, no reading taken)."""
        if aid not in self.unsettled:
            return False
        self.offered(aid, pid)  # notes whether a priority shows the reading
        return (aid, pid) in self._offer_unknown and (aid, pid) not in self._offer_reading

    def _slots_agree(self, pid: str, seat_shown: dict[str, str]) -> bool:
        """Whether the program's slots, filled from its admitted applicants, take each of
        them with the seat shown, and would not take anyone on its waitlist."""
        ordered = self._ordered(pid)
        members = [self.categories(aid, pid) for _, aid in ordered]
        slots = self.fill_slots(pid, members)
        for (_, aid), slot in zip(ordered, slots, strict=True):
            real = slot not in (None, OPEN) and self.member(aid, pid, slot)
            if slot is None or seat_shown.get(aid) != (slot if real else OPEN):
                return False
        keys = [key for key, _ in ordered]
        for aid in self.waitlist[pid]:
            place = bisect.bisect_left(keys, self.key(aid, pid))
            chosen = [*members[:place], self.categories(aid, pid), *members[place:]]
            if self.fill_slots(pid, chosen)[place] is not None:
                return False
        return True

    def _check_seats(self, rows: list[dict[str, str]]) -> None:
        """Recompute every match placement's seat: ``open`` at a program without reserves;
        at one with reserves, the category of the slot the program's choice from its
        admitted applicants gives them, if they belong to it, else ``open``."""
        self.free = {
            pid: program["capacity"] - self.match_count[pid]
            for pid, program in self.programs.items()
        }
        for pid, admitted in self.admitted.items():
            if pid not in self.reserves:
                self.seat_of.update(dict.fromkeys(admitted, OPEN))
                continue
            ordered = [aid for _, aid in self._ordered(pid)]
            slots = self.fill_slots(pid, [self.categories(aid, pid) for aid in ordered])
            if self.unfilled == "empty":  # reserved seats no member took stay empty
                open_seats = sum(n for category, n in self.slot_runs[pid] if category == OPEN)
                self.free[pid] = open_seats - slots.count(OPEN)
            for aid, slot in zip(ordered, slots, strict=True):
                if slot is None:
                    if len(ordered) <= self.programs[pid]["capacity"]:
                        self.fail(
                            "capacity",
                            "holds this applicant, but its reserved and open seats, filled in "
                            "precedence order from the applicants it admitted, would not take "
                            f'them (unfilled = "{self.unfilled}")',
                            aid,
                            pid,
                        )
                    continue
                real = slot != OPEN and self.member(aid, pid, slot)
                self.seat_of[aid] = slot if real else OPEN
        for row in rows:
            aid = row["applicant_id"]
            seat = self.seat_of.get(aid) if self.status.get(aid) in MATCHED else None
            if seat is not None and row["seat"] != seat:
                self.fail(
                    "seat-label",
                    f"placements.csv shows seat {row['seat']!r}; recomputed: {seat!r}",
                    aid,
                    self.matched_at.get(aid),
                )

    # --------------------------------------------------------------- zone guarantee

    def _check_administrative(self, manifest: dict) -> None:
        """Recompute the zone guarantee (docs/seat-policy.md) from the match placements and
        compare it with the administrative rows and the manifest's unserved list. Its
        seats are those still free after the match: with ``unfilled = "empty"``, reserved
        seats no member took stay empty and are not free."""
        serving: dict[tuple[str, str], list[str]] = {}
        for pid, program in sorted(self.programs.items()):
            for zone in program["administrative_zones"]:
                serving.setdefault((program["grade"], zone), []).append(pid)
        open_seats = dict(self.free)
        owed = [
            aid
            for aid, a in self.applicants.items()
            if aid not in self.matched_at
            and a["accepts_administrative"]
            and (a["grade"], a["zone"]) in serving
        ]
        owed.sort(key=self.admin_rank.__getitem__)
        expected: dict[str, tuple[str, str]] = {}
        unserved: list[str] = []
        for aid in owed:
            a = self.applicants[aid]
            candidates = [
                p
                for p in serving[a["grade"], a["zone"]]
                if open_seats[p] > 0 and self.eligible(aid, p)
            ]
            if not candidates:
                unserved.append(aid)
                continue
            ranked = [p for p in self.ranked[aid] if p in candidates]
            if ranked:
                chosen, why = ranked[0], "the one they ranked highest"
            else:
                chosen = min(candidates, key=lambda p: (-open_seats[p], p))
                why = "the one with the most free seats left (ties: lowest program_id)"
            expected[aid] = (chosen, why)
            open_seats[chosen] -= 1
        actual = {
            aid: pid
            for aid, pid in self.placed_at.items()
            if pid and self.status.get(aid) == ADMINISTRATIVE
        }
        for aid in sorted(set(expected) | set(actual)):
            got = actual.get(aid)
            want, why = expected.get(aid, (None, ""))
            if got == want:
                continue
            if want is None:
                reason = (
                    "it could not serve them (no program of their zone had a seat left that "
                    "they may be considered at)"
                    if aid in unserved
                    else "they are not owed it (placed by the match, no listed zone for their "
                    "grade, or accepts_administrative is false)"
                )
                message = f"administrative at {got}, but recomputed, the zone guarantee {reason}"
            elif got is None:
                message = (
                    f"the zone guarantee assigns them to {want} ({why} of the programs of their "
                    f"zone with a seat left), but placements.csv shows status "
                    f"{self.status.get(aid, UNPLACED)!r}"
                )
            else:
                message = (
                    f"administrative at {got}, but the zone guarantee, in lottery order, gives "
                    f"{want}: {why} of the programs of their zone with a seat left"
                )
            self.fail("administrative", message, aid, got or want)
        recorded = manifest.get("administrative_unserved")
        if recorded != unserved:
            self.fail(
                "administrative",
                f"manifest.json administrative_unserved is {recorded!r}; recomputed, in lottery "
                f"order: {unserved!r}",
            )
        self.admin_unserved = unserved
        self.checks["administrative_owed"] = len(owed)
        self.checks["administrative"] = len(expected)
        self.checks["administrative_unserved"] = len(unserved)

    # --------------------------------------------------------------- stability

    def _derive_waitlists(self) -> None:
        """Each applicant's eligible ranked programs above the one they hold (all of them
        if they hold none they ranked), and so each program's waitlist."""
        self.preferred: dict[str, list[str]] = {}
        self.waitlist: dict[str, list[str]] = {pid: [] for pid in self.programs}
        for aid, pids in self.ranked.items():
            pid = self.placed_at.get(aid)
            rank = self.choice_rank[aid].get(pid) if pid else None
            above = pids[: rank - 1] if rank else pids
            self.preferred[aid] = [p for p in above if self.eligible(aid, p)]
            for p in self.preferred[aid]:
                self.waitlist[p].append(aid)

    def _check_stability(self) -> None:
        """No justified envy and no waste (Abdulkadiroglu & Sonmez 2003, Definition 1).

        For every program an applicant may be considered at and ranked above their
        placement: a program without reserves must be full, and everyone it admitted must
        come before the applicant in its order (it is enough to compare with the admitted
        applicant it orders last). A program with reserves, choosing slot by slot from the
        applicants it admitted plus this one, must not take them (Kominers & Sonmez 2016).
        """
        last: dict[str, OrderKey] = {}
        for pid, admitted in self.admitted.items():
            if admitted and pid not in self.reserves:
                last[pid] = max(self.key(aid, pid) for aid in admitted)
        self._slot_order: dict[str, list[tuple[OrderKey, str]]] = {}
        self._slot_members: dict[str, list] = {}
        self._slot_limit: dict[tuple[str, object], int] = {}
        for aid in self.applicants:
            for pid in self.preferred[aid]:
                self.checks["preferred_pairs"] += 1
                if pid in self.reserves:
                    self._check_slot_pair(aid, pid)
                    continue
                capacity = self.programs[pid]["capacity"]
                if self.match_count[pid] < capacity:
                    self.fail(
                        "waste",
                        f"ranked this program above their placement, and it has "
                        f"{capacity - self.match_count[pid]} open seat(s) after the match",
                        aid,
                        pid,
                    )
                mine = self.key(aid, pid)
                if pid in last and mine < last[pid]:
                    other = last[pid]
                    self.fail(
                        "justified-envy",
                        f"ranked this program above their placement, but it admitted "
                        f"{other.applicant_id}, whom it orders below them: "
                        f"({mine.describe()}) comes before ({other.describe()})",
                        aid,
                        pid,
                        other_applicant_id=other.applicant_id,
                        key=mine,
                        other_key=other,
                    )

    def _check_slot_pair(self, aid: str, pid: str) -> None:
        """(aid, pid) blocks if the program's choice from its admitted applicants plus
        ``aid`` takes ``aid``. Whether it does depends only on where ``aid`` stands among
        them and on the categories ``aid`` belongs to there, and moving ``aid`` up the
        order never turns a yes into a no, so the last place that still gets a slot is
        found once per set of categories, by bisection."""
        if pid not in self._slot_order:
            self._slot_order[pid] = self._ordered(pid)
            self._slot_members[pid] = [self.categories(a, pid) for _, a in self._slot_order[pid]]
        ordered, members = self._slot_order[pid], self._slot_members[pid]
        mine, categories = self.key(aid, pid), self.categories(aid, pid)
        place = bisect.bisect_left([k for k, _ in ordered], mine)

        def taken_at(j: int) -> list[str | None]:
            return self.fill_slots(pid, [*members[:j], categories, *members[j:]])

        limit = self._slot_limit.get((pid, categories))
        if limit is None:
            low, high = -1, len(members)  # taken at place <= limit, not at place > limit
            while low < high:
                middle = (low + high + 1) // 2
                if taken_at(middle)[middle] is not None:
                    low = middle
                else:
                    high = middle - 1
            limit = self._slot_limit[pid, categories] = low
        if place > limit:
            return
        slots = taken_at(place)
        given_up = [
            ordered[k if k < place else k - 1]
            for k, slot in enumerate(slots)
            if slot is None and k != place
        ]
        what = "an open seat" if slots[place] == OPEN else f"a seat reserved for {slots[place]}"
        if not given_up:
            self.fail(
                "waste",
                f"ranked this program above their placement, and choosing slot by slot from the "
                f"applicants it admitted plus them, it takes them without giving anyone up "
                f"({what}; {self.programs[pid]['capacity'] - self.match_count[pid]} seat(s) "
                "left after the match)",
                aid,
                pid,
            )
            return
        other, other_id = given_up[0]
        self.fail(
            "justified-envy",
            f"ranked this program above their placement, but choosing slot by slot from the "
            f"applicants it admitted plus them, it takes them and gives up {other_id} "
            f"({what}): ({mine.describe()}) against ({other.describe()})",
            aid,
            pid,
            other_applicant_id=other_id,
            key=mine,
            other_key=other,
        )

    # --------------------------------------------------------------- waitlists

    def _check_waitlists(self, rows: list[dict[str, str]]) -> None:
        listed: dict[str, list[dict[str, str]]] = {}
        previous: tuple[str, int] | None = None
        out_of_order = False
        for row in rows:
            self.checks["waitlist_rows"] += 1
            position = int(row["position"]) if row["position"].isdigit() else -1
            if previous is not None and (row["program_id"], position) <= previous:
                out_of_order = True
            previous = (row["program_id"], position)
            if row["program_id"] not in self.programs:
                self.fail(
                    "waitlist-extra",
                    "waitlists.csv has a row for an unknown program",
                    row["applicant_id"],
                    row["program_id"],
                )
                continue
            listed.setdefault(row["program_id"], []).append(row)
        if out_of_order:
            self.fail("row-order", "waitlists.csv is not sorted by program_id, then position")
        for pid in self.programs:
            self._check_waitlist(pid, listed.get(pid, []))

    def _check_waitlist(self, pid: str, rows: list[dict[str, str]]) -> None:
        expected = set(self.waitlist[pid])
        seen: set[str] = set()
        previous: OrderKey | None = None
        for position, row in enumerate(rows, start=1):
            aid = row["applicant_id"]
            if row["position"] != str(position):
                self.fail(
                    "waitlist-order",
                    f"row {position} of this waitlist shows position {row['position']!r}",
                    aid,
                    pid,
                )
            if aid in seen:
                self.fail("waitlist-extra", "listed twice on this waitlist", aid, pid)
                continue
            seen.add(aid)
            if aid not in expected:
                if aid in self.choice_rank and pid in self.choice_rank[aid]:
                    if not self.eligible(aid, pid):
                        self.fail(
                            "eligibility",
                            "on this waitlist, but lacks a tag the program requires",
                            aid,
                            pid,
                        )
                        continue
                    why = "is placed at this program or one they ranked higher"
                else:
                    why = "did not rank this program"
                self.fail("waitlist-extra", f"on this waitlist but {why}", aid, pid)
                continue
            self._check_waitlist_row(aid, pid, row)
            if self.has_lottery:
                key = self.key(aid, pid)
                if previous is not None and key < previous:
                    self.fail(
                        "waitlist-order",
                        f"listed after {previous.applicant_id}, but the program orders them "
                        f"first: ({key.describe()}) comes before ({previous.describe()})",
                        aid,
                        pid,
                        other_applicant_id=previous.applicant_id,
                        key=key,
                        other_key=previous,
                    )
                previous = key if previous is None else max(previous, key)
        for aid in self.waitlist[pid]:
            if aid not in seen:
                self.fail(
                    "waitlist-complete",
                    "ranked this program above their placement (or is unplaced) but is not on "
                    "its waitlist",
                    aid,
                    pid,
                )

    def _check_waitlist_row(self, aid: str, pid: str, row: dict[str, str]) -> None:
        choice_rank = str(self.choice_rank[aid][pid])
        if row["choice_rank"] != choice_rank:
            self.fail(
                "waitlist-details",
                f"waitlists.csv shows choice rank {row['choice_rank']!r}; expected {choice_rank!r}",
                aid,
                pid,
            )
        self.checks["priorities"] += 1
        _, label = self.priority(aid, pid)
        if row["priority"] != label:
            self.fail(
                "priority-label",
                f"waitlists.csv shows priority {row['priority']!r}; the policy gives {label!r}",
                aid,
                pid,
            )
        if self.has_lottery:
            self.checks["lottery_numbers"] += 1
            rank = str(self.rank(aid, pid))
            if row["lottery_rank"] != rank:
                self.fail(
                    "lottery-rank",
                    f"waitlists.csv shows lottery rank {row['lottery_rank']!r}; "
                    f"recomputed: {rank!r}",
                    aid,
                    pid,
                )

    # --------------------------------------------------------------- summary and counts

    def _check_summary(self, rows: list[dict[str, str]]) -> None:
        applicants: Counter[str] = Counter()
        first_choice: Counter[str] = Counter()
        for pids in self.ranked.values():
            applicants.update(pids)
            if pids:
                first_choice[pids[0]] += 1
        ids = [row["program_id"] for row in rows]
        if any(b <= a for a, b in zip(ids, ids[1:], strict=False)):
            self.fail("row-order", "programs_summary.csv is not sorted by program_id (each once)")
        seen: set[str] = set()
        for row in rows:
            pid = row["program_id"]
            if pid not in self.programs or pid in seen:
                what = "an unknown program" if pid not in self.programs else "a second row"
                self.fail("each-program-once", f"programs_summary.csv has {what}", None, pid)
                continue
            seen.add(pid)
            program = self.programs[pid]
            capacity, placed = program["capacity"], self.placed_count[pid]
            counts = {
                "seats": program["seats"],
                "held_seats": program["held_seats"],
                "offered_seats": capacity,
                "applicants": applicants[pid],
                "first_choice_applicants": first_choice[pid],
                "placed": placed,
                "administrative": self.admin_count[pid],
                "open_seats": capacity - placed,
                "waitlisted": len(self.waitlist[pid]),
                "reserved_seats": sum(n for _, n in self.reserves.get(pid, [])),
            }
            if self.has_lottery:
                counts["reserved_filled"] = sum(
                    self.seat_of.get(aid, OPEN) != OPEN for aid in self.admitted[pid]
                )
            expected = {
                "summary-details": {
                    "school_id": program["school_id"],
                    # Free text is written so that a spreadsheet cannot run it as a formula
                    # (docs/outputs.md): the one rule shared with the writer, not a result.
                    "school_name": spreadsheet_safe(program["school_name"]),
                    "sector": spreadsheet_safe(program["sector"]),
                    "grade": program["grade"],
                },
                "summary-counts": counts,
            }
            if self.has_lottery:
                expected["cutoff"] = self.cutoff(pid)
            # Results written before the rule above have the text as it is: still right.
            as_typed = {"school_name": program["school_name"], "sector": program["sector"]}
            for rule, values in expected.items():
                for column, value in values.items():
                    if row[column] != str(value) and row[column] != as_typed.get(column):
                        self.fail(
                            rule,
                            f"programs_summary.csv shows {column} {row[column]!r}; expected "
                            f"{str(value)!r}",
                            None,
                            pid,
                        )
        for pid in self.programs:
            if pid not in seen:
                self.fail("each-program-once", "programs_summary.csv has no row", None, pid)

    def cutoff(self, pid: str) -> dict[str, str]:
        """The program's cutoff columns: the last applicant the match admitted to an open
        seat (every seat is open without reserves); blank if the match did not fill it."""
        capacity = self.programs[pid]["capacity"]
        holders = [aid for aid in self.admitted[pid] if self.seat_of.get(aid) == OPEN]
        if capacity > 0 and self.match_count[pid] >= capacity and holders:
            last = max(self.key(aid, pid) for aid in holders)
            return {
                "cutoff_priority": last.label,
                "cutoff_lottery_rank": str(self.rank(last.applicant_id, pid)),
            }
        return {"cutoff_priority": "", "cutoff_lottery_rank": ""}

    # --------------------------------------------------------------- per-choice results

    def _check_choice_results(self, rows: list[dict[str, str]]) -> None:
        """One row per ranked choice, in (applicant_id, rank) order, each re-derived."""
        keys = [
            (row["applicant_id"], int(row["rank"]) if row["rank"].isdigit() else -1) for row in rows
        ]
        if any(b <= a for a, b in zip(keys, keys[1:], strict=False)):
            self.fail("row-order", "choice_results.csv is not sorted by applicant_id, then rank")
        positions: dict[tuple[str, str], int] = {}
        cutoffs: dict[str, dict[str, str]] = {}
        if self.has_lottery:
            for pid, waiting in self.waitlist.items():
                ordered = sorted(waiting, key=lambda aid, pid=pid: self.key(aid, pid))
                for position, aid in enumerate(ordered, start=1):
                    positions[aid, pid] = position
            cutoffs = {pid: self.cutoff(pid) for pid in self.programs}
        seen: set[tuple[str, int]] = set()
        for row, key in zip(rows, keys, strict=True):
            aid, rank = key
            pids = self.ranked.get(aid)
            if pids is None or not 1 <= rank <= len(pids) or key in seen:
                what = "a second row" if key in seen else "a row for a choice not in choices.csv"
                self.fail(
                    "choice-results", f"choice_results.csv has {what} (rank {row['rank']!r})", aid
                )
                continue
            seen.add(key)
            self.checks["choice_rows"] += 1
            pid = pids[rank - 1]
            waitlisted = pid in self.preferred[aid]
            if self.placed_at.get(aid) == pid:
                result = "placed"
            elif not self.eligible(aid, pid):
                result = "ineligible"
                self.checks["ineligible_choices"] += 1
            else:
                result = "waitlisted" if waitlisted else "not_considered"
            expected = {"program_id": pid, "result": result, "priority": self.priority(aid, pid)[1]}
            if self.has_lottery:
                expected["waitlist_position"] = str(positions[aid, pid]) if waitlisted else ""
                expected.update(cutoffs[pid])
            for column, value in expected.items():
                if row[column] != value:
                    self.fail(
                        "choice-results",
                        f"choice_results.csv shows {column} {row[column]!r} for rank {rank}; "
                        f"expected {value!r}",
                        aid,
                        pid,
                    )
        for aid, pids in self.ranked.items():
            for rank, pid in enumerate(pids, start=1):
                if (aid, rank) not in seen:
                    self.fail(
                        "choice-results", f"choice_results.csv has no row for rank {rank}", aid, pid
                    )

    # --------------------------------------------------------------- reserves

    def _match_without_reserves(self) -> dict[str, str]:
        """Applicant-proposing deferred acceptance (Gale & Shapley 1962) with the same
        priorities, lottery and eligibility as the run, every program taking its offered
        seats in its normal order: the match reserve_report.csv compares with."""
        position: dict[tuple[str, str], int] = {}
        lists: dict[str, list[str]] = {}
        at: dict[str, list[OrderKey]] = {pid: [] for pid in self.programs}
        for aid, pids in self.prefs.items():
            lists[aid] = [pid for pid in pids if self.eligible(aid, pid)]
            for pid in lists[aid]:
                at[pid].append(self.key(aid, pid))
        for pid, keys in at.items():
            for index, key in enumerate(sorted(keys)):
                position[key.applicant_id, pid] = index
        held: dict[str, list[tuple[int, str]]] = {pid: [] for pid in self.programs}
        following = dict.fromkeys(self.prefs, 0)
        for first in self.prefs:
            aid: str | None = first
            while aid is not None and following[aid] < len(lists[aid]):
                pid = lists[aid][following[aid]]
                heap, mine = held[pid], position[aid, pid]
                if len(heap) < self.programs[pid]["capacity"]:
                    heapq.heappush(heap, (-mine, aid))
                    aid = None
                elif heap and -heap[0][0] > mine:
                    _, aid = heapq.heapreplace(heap, (-mine, aid))
                    following[aid] += 1
                else:
                    following[aid] += 1
        return {aid: pid for pid, heap in held.items() for _, aid in heap}

    def _check_reserve_report(self, rows: list[dict[str, str]]) -> None:
        """One row per reserve (program, category), in that order, re-derived: the seats,
        who holds them, the category's applicants and, against the match recomputed
        without reserves, who was admitted only with or only without them."""
        without = self._match_without_reserves() if self.reserves and self.has_lottery else {}
        ranked_by: dict[str, list[str]] = {pid: [] for pid in self.reserves}
        for aid, pids in self.ranked.items():
            for pid in pids:
                if pid in ranked_by and self.eligible(aid, pid):
                    ranked_by[pid].append(aid)
        # column -> the values accepted: one, or a range where members of unsettled
        # families may or may not belong to a sibling_offered category (see _settle_readings)
        expected: dict[tuple[str, str], dict[str, tuple[int, int] | str]] = {}
        for pid, runs in self.reserves.items():
            admitted = set(self.admitted[pid])
            admitted_without = {aid for aid, p in without.items() if p == pid}
            for category, seats in runs:
                values: dict[str, tuple[int, int] | str] = {
                    "school_id": self.programs[pid]["school_id"],
                    "reserved_seats": str(seats),
                }
                if self.has_lottery:
                    unknown = {
                        aid
                        for aid in ranked_by[pid]
                        if category == SIBLING_OFFERED and self._reading_unknown(aid, pid)
                    }
                    members = {
                        aid
                        for aid in ranked_by[pid]
                        if aid not in unknown and self.member(aid, pid, category)
                    }
                    for column, among in (
                        ("category_applicants", set(ranked_by[pid])),
                        ("category_admitted", admitted),
                        ("category_admitted_without_reserves", admitted_without),
                    ):
                        values[column] = (len(members & among), len((members | unknown) & among))
                    values.update(
                        filled_by_category=str(
                            sum(self.seat_of.get(a) == category for a in admitted)
                        ),
                        admitted_only_with_reserves=str(len(admitted - admitted_without)),
                        admitted_only_without_reserves=str(len(admitted_without - admitted)),
                    )
                expected[pid, category] = values
        keys = [(row["program_id"], row["category"]) for row in rows]
        if any(b <= a for a, b in zip(keys, keys[1:], strict=False)):
            self.fail("row-order", "reserve_report.csv is not sorted by program_id, then category")
        seen: set[tuple[str, str]] = set()
        for row, key in zip(rows, keys, strict=True):
            pid, category = key
            if key not in expected or key in seen:
                what = "a second row" if key in seen else "a row for no reserve in reserves.csv"
                self.fail(
                    "reserve-report", f"reserve_report.csv has {what} ({category})", None, pid
                )
                continue
            seen.add(key)
            self.checks["reserve_rows"] += 1
            for column, value in expected[key].items():
                if isinstance(value, str):
                    accepted, wanted = row[column] == value, repr(value)
                else:
                    low, high = value
                    shown = int(row[column]) if row[column].isdigit() else -1
                    accepted = low <= shown <= high
                    wanted = repr(str(low)) if low == high else f"{low} to {high}"
                if not accepted:
                    self.fail(
                        "reserve-report",
                        f"reserve_report.csv shows {column} {row[column]!r} for {category}; "
                        f"expected {wanted}",
                        None,
                        pid,
                    )
        for pid, category in expected:
            if (pid, category) not in seen:
                self.fail(
                    "reserve-report", f"reserve_report.csv has no row for {category}", None, pid
                )

    # --------------------------------------------------------------- manifest

    def _check_manifest_counts(self, manifest: dict) -> None:
        recorded = _section(manifest, "counts")
        placed = sum(1 for pid in self.placed_at.values() if pid)
        statuses = Counter(self.status.get(aid) for aid, pid in self.placed_at.items() if pid)
        expected = {
            "administrative": statuses[ADMINISTRATIVE],
            "applicants": len(self.applicants),
            "applicants_without_choices": sum(not p for p in self.ranked.values()),
            "choices": sum(len(p) for p in self.ranked.values()),
            "held_seats": sum(p["held_seats"] for p in self.programs.values()),
            "ineligible_choices": sum(
                not self.eligible(aid, pid) for aid, pids in self.ranked.items() for pid in pids
            ),
            "offered_seats": sum(p["capacity"] for p in self.programs.values()),
            "placed": placed,
            "placed_by_guarantee": statuses[GUARANTEED],
            "placed_first_choice": sum(
                1 for aid, pid in self.matched_at.items() if self.ranked[aid][:1] == [pid]
            ),
            "programs": len(self.programs),
            "seats": sum(p["seats"] for p in self.programs.values()),
            "unplaced": len(self.applicants) - placed,
            "waitlist_entries": sum(len(w) for w in self.waitlist.values()),
        }
        if hasattr(self, "admin_unserved"):
            expected["administrative_unserved"] = len(self.admin_unserved)
        for name, value in expected.items():
            if recorded.get(name) != value:
                self.fail(
                    "summary-counts",
                    f"manifest.json counts.{name} is {recorded.get(name)!r}; expected {value}",
                )

    def _note_unsettled(self) -> None:
        if not self.unsettled:
            return
        families = ", ".join(self.unsettled_families)
        count = self.checks.get("unsettled_priorities", 0)
        n = _plural(count, "priority", "priorities")
        self.notes.append(
            f"manifest.json says linked families did not settle (families.converged is false; "
            f"unsettled: {families}). The engine's last run worked out their members' "
            "sibling_offered from the previous run's placements, which the results do not "
            f"keep, so {n} of theirs that depend on it {'was' if count == 1 else 'were'} "
            "accepted either way, as choice_results.csv shows them, and everything else "
            "(stability included) was checked against them."
            + (
                f" Their membership of a sibling_offered reserve, which no priority shows, was "
                f"accepted either way where the program's seats and choices agree with it "
                f"({_plural(self.checks['unsettled_memberships'], 'case')})."
                if self.checks.get("unsettled_memberships")
                else ""
            )
        )
