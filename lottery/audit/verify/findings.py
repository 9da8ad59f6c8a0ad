"""What ``lottery verify`` reports: the rules, one violation, and the report of a run.

:data:`RULES` names every rule with a stable slug; :class:`Findings` collects the
violations, the counts of what was checked and the notes while the checks run, and
becomes the sorted :class:`Verification` at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

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
        """The key in words, for a message."""
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
        """The key as verification.json records it."""
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
        """One line: ``[rule] applicant A, program P: message``."""
        where = [
            f"applicant {self.applicant_id}" if self.applicant_id else "",
            f"program {self.program_id}" if self.program_id else "",
        ]
        place = ", ".join(w for w in where if w)
        return f"[{self.rule}] {place + ': ' if place else ''}{self.message}"

    def to_dict(self) -> dict:
        """The violation as verification.json records it."""
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
        """Report order: by rule (in the order of RULES), program, applicant, message."""
        return (
            list(RULES).index(self.rule),
            self.program_id or "",
            self.applicant_id or "",
            self.message,
        )


@dataclass
class Verification:
    """Every violation found, how many things of each kind were checked, and notes on
    what could not be checked fully."""

    violations: list[Violation] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)
    lottery: str = ""
    notes: list[str] = field(default_factory=list)
    manifest_sha256: str = ""

    @property
    def passed(self) -> bool:
        """Whether no rule was broken."""
        return not self.violations

    def rules(self) -> set[str]:
        """The rules that were broken."""
        return {v.rule for v in self.violations}

    def to_dict(self) -> dict:
        """The report as verification.json records it."""
        return {
            "checks": dict(sorted(self.checks.items())),
            "lottery": self.lottery,
            "manifest_sha256": self.manifest_sha256,
            "notes": list(self.notes),
            "passed": self.passed,
            "violations": [v.to_dict() for v in self.violations],
        }


@dataclass
class Findings:
    """Collects what the checks find, in the order they find it."""

    violations: list[Violation] = field(default_factory=list)
    checks: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def fail(self, rule: str, message: str, applicant=None, program=None, **keys) -> None:
        """Record one violation of ``rule``."""
        self.violations.append(Violation(rule, message, applicant, program, **keys))

    def extend(self, violations: Iterable[Violation]) -> None:
        """Record violations found while reading the evidence."""
        self.violations.extend(violations)

    def report(self, lottery: str, manifest_sha256: str) -> Verification:
        """The report: every violation in rule order, and the counts sorted by name."""
        return Verification(
            sorted(self.violations, key=Violation.sort_key),
            dict(sorted(self.checks.items())),
            lottery,
            self.notes,
            manifest_sha256,
        )


def plural(n: int, word: str, plural: str | None = None) -> str:
    """``n`` and the word, in the plural unless ``n`` is 1."""
    return f"{n} {word if n == 1 else plural or word + 's'}"
