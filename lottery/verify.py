"""Independent verification of a results folder: what ``lottery verify`` checks.

This module is written apart from the matcher and shares no code with it: no numpy, no
``lottery.matching``, ``lottery.market`` or ``lottery.results``. It re-derives
everything it needs with plain dicts, lists and the standard library, so that a bug in
the engine cannot hide itself by being repeated here:

1. **Checksums.** The SHA-256 of every output file and every input file is computed with
   ``hashlib`` and compared with ``manifest.json`` (``outputs`` and ``inputs``).
2. **Inputs.** The input folder is read with :func:`lottery.io.readers.read_input_folder`,
   which only validates and normalises the office's files (spaces, byte-order marks,
   grade spellings) and resolves IDs; it computes no priority, lottery number or
   placement. Its records are turned into plain Python values at once.
3. **Lottery numbers** are recomputed from the documented formula (first 8 bytes of
   ``sha256(utf8("{seed}|{applicant_id}"))``, plus ``"|{program_id}"`` for a multiple
   tie-break, read big-endian), with the seed recorded in ``manifest.json``; or taken from
   ``lottery.csv`` when the manifest says ``external lottery``. Lottery ranks are
   recomputed from those numbers.
4. **Priorities** are recomputed from the policy: the 1-based position of the first tier
   (criteria joined with ``+``, all of which must hold) that an applicant meets at a
   program, ``len(order) + 1`` (``general``) if none, replaced by ``priorities.csv``
   where it gives one.
5. **The placement** read from ``placements.csv`` is then checked as a claim: every
   applicant exactly once, only at a program they ranked, no program over its seats, no
   justified envy and no waste (the stability conditions of Gale & Shapley 1962, in
   the school-choice form of Abdulkadiroglu & Sonmez 2003), and the waitlists, summary
   and manifest counts re-derived from it.
6. **Per-choice results.** Every row of ``choice_results.csv`` is re-derived from the
   same picture: one row per ranked choice, ``placed`` where the placement is,
   ``waitlisted`` above it (or everywhere, if unplaced), ``not_considered`` below it;
   the priority recomputed; the waitlist position from the program's order; the cutoff
   the same as the summary's. So the file agrees with placements.csv, waitlists.csv and
   programs_summary.csv by construction of the checks, not by copying them.

A program orders its applicants by the key ``(priority value, lottery number at that
program, applicant_id)``, lowest first (docs/lottery-numbers.md); :class:`OrderKey` is that
key. Every problem found becomes a :class:`Violation` with a stable ``rule`` slug (see
:data:`RULES`); nothing stops at the first one. ``verification.json`` and any other file
in the results folder that the manifest does not list are ignored.

An unpacked audit bundle is verified like any results folder (``OUT_DIR`` is its
``outputs`` folder, ``INPUT_DIR`` its ``inputs``), except that ``applicants.csv`` there is
a redacted copy: it must have the checksum ``bundle.json`` records for the copy, and the
original checksum recorded there must be the manifest's. Names and addresses play no part
in any check, so the report is otherwise the same.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lottery.errors import InputError
from lottery.io.readers import read_input_folder

VERIFICATION_FILE = "verification.json"
MANIFEST_FILE = "manifest.json"
BUNDLE_RECORD = "bundle.json"
BUNDLE_OUTPUTS = "outputs"
EXTERNAL_LOTTERY = "external lottery"

PLACEMENT_COLUMNS = (
    "applicant_id",
    "grade",
    "status",
    "program_id",
    "school_id",
    "choice_rank",
    "priority",
    "lottery_number",
    "lottery_rank",
)
WAITLIST_COLUMNS = (
    "program_id",
    "position",
    "applicant_id",
    "choice_rank",
    "priority",
    "lottery_rank",
)
SUMMARY_COLUMNS = (
    "program_id",
    "school_id",
    "school_name",
    "sector",
    "grade",
    "seats",
    "applicants",
    "first_choice_applicants",
    "placed",
    "open_seats",
    "waitlisted",
    "cutoff_priority",
    "cutoff_lottery_rank",
)
CHOICE_RESULT_COLUMNS = (
    "applicant_id",
    "rank",
    "program_id",
    "result",
    "priority",
    "waitlist_position",
    "cutoff_priority",
    "cutoff_lottery_rank",
)
OUTPUT_FILES = {
    "choice_results.csv": CHOICE_RESULT_COLUMNS,
    "placements.csv": PLACEMENT_COLUMNS,
    "programs_summary.csv": SUMMARY_COLUMNS,
    "waitlists.csv": WAITLIST_COLUMNS,
}
INPUT_FILES = (
    "applicants.csv",
    "choices.csv",
    "lottery.csv",
    "policy.toml",
    "priorities.csv",
    "programs.csv",
)

RULES = {
    "manifest-hash": "a file's SHA-256 differs from the one recorded in manifest.json",
    "output-file": "an output file is missing or cannot be read",
    "input-file": "the input files cannot be read",
    "manifest-record": "manifest.json records a seed, tie-break or policy the inputs contradict",
    "each-applicant-once": "every applicant has exactly one row in placements.csv",
    "unknown-applicant": "placements.csv names an applicant who is not in applicants.csv",
    "unranked-placement": "an applicant is placed at a program they did not rank",
    "placement-details": "a placement row's grade, school, status or choice rank is wrong",
    "priority-label": "a priority shown differs from the one recomputed from the policy",
    "lottery-number": "a lottery number differs from the one recomputed",
    "lottery-rank": "a lottery rank differs from the one recomputed",
    "capacity": "a program holds more applicants than it has seats",
    "justified-envy": "an applicant lost a program to someone the program orders below them",
    "waste": "an applicant was refused a program they prefer that has an open seat",
    "waitlist-complete": "an applicant who prefers a program is missing from its waitlist",
    "waitlist-extra": "a waitlist lists someone who should not be on it",
    "waitlist-order": "a waitlist is not in the program's order, or positions are not 1..n",
    "waitlist-details": "a waitlist row's choice rank is wrong",
    "summary-counts": "a count in programs_summary.csv or manifest.json is wrong",
    "summary-details": "programs_summary.csv differs from programs.csv",
    "each-program-once": "every program has exactly one row in programs_summary.csv",
    "cutoff": "a program's cutoff is not its last admitted applicant",
    "choice-results": "choice_results.csv disagrees with the placements, waitlists or cutoffs",
    "row-order": "an output file's rows are not in their documented order",
}


@dataclass(frozen=True, order=True)
class OrderKey:
    """Where an applicant stands in one program's order; smaller comes first."""

    priority: int
    lottery_number: int
    applicant_id: str
    label: str = field(default="", compare=False)

    def describe(self) -> str:
        return (
            f"priority {self.priority} ({self.label}), lottery number {self.lottery_number}, "
            f"applicant {self.applicant_id}"
        )

    def to_dict(self) -> dict:
        return {
            "applicant_id": self.applicant_id,
            "lottery_number": self.lottery_number,
            "priority": self.priority,
            "priority_label": self.label,
        }


@dataclass(frozen=True)
class Violation:
    """One thing wrong with the results. ``key`` is the applicant's place in the program's
    order and ``other_key`` the one it was compared with (for example the admitted
    applicant the program orders below them)."""

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
    """Every violation found, and how many things of each kind were checked."""

    violations: list[Violation] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)
    lottery: str = ""

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
    return VerificationReport(violations, dict(sorted(checker.checks.items())), checker.lottery)


def write_verification(report: VerificationReport, out_path: Path) -> None:
    """Write the report as stable JSON (sorted keys, no timestamps, final newline)."""
    text = json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    Path(out_path).write_bytes(text.encode("utf-8"))


def certificate_lines(report: VerificationReport) -> list[str]:
    """A plain-English certificate if every check passed, else every violation."""
    c = report.checks
    if not report.passed:
        n = len(report.violations)
        lines = [f"Verification FAILED: {n} violation{'s' if n != 1 else ''} found."]
        lines += [v.render() for v in report.violations]
        return lines
    return [
        "Verification passed.",
        f"All {c.get('applicants', 0)} applicants were checked: each appears exactly once in "
        f"placements.csv, and each of the {c.get('placed', 0)} placed applicants is placed at "
        "a program they ranked, with the right school, grade and choice rank.",
        f"No program holds more applicants than it has seats ({c.get('programs', 0)} programs).",
        f"Every lottery number and lottery rank ({c.get('lottery_numbers', 0)} shown) was "
        f"recomputed from the {report.lottery} and matches.",
        f"Every priority ({c.get('priorities', 0)} shown) was recomputed from the policy and "
        "priorities.csv and matches.",
        "No applicant lost a seat to someone with lower priority: in each of the "
        f"{c.get('preferred_pairs', 0)} cases where an applicant ranked a program above the one "
        "they got, that program admitted nobody it orders below them (priority, then lottery "
        "number, then applicant ID).",
        "No seat was wasted: no applicant was refused a program they prefer that has an open seat.",
        f"Every waitlist is complete and in its program's order ({c.get('waitlist_rows', 0)} "
        "rows).",
        "The counts and cutoffs in programs_summary.csv and manifest.json agree with the "
        "placements.",
        f"Every ranked choice in choice_results.csv ({c.get('choice_rows', 0)} rows) shows the "
        "right result, priority, waitlist position and cutoff.",
        f"The SHA-256 checksums of {c.get('files_hashed', 0)} files (inputs and outputs) match "
        "manifest.json.",
    ]


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
    """The documented formula, written out here rather than imported from the engine."""
    text = f"{seed}|{applicant_id}" if program_id is None else f"{seed}|{applicant_id}|{program_id}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


class _Checker:
    """Holds the plain-Python picture of one run and collects violations as it checks it."""

    def __init__(self, out_dir: Path, input_dir: Path):
        self.out_dir = out_dir
        self.input_dir = input_dir
        self.violations: list[Violation] = []
        self.checks: Counter[str] = Counter()
        self.lottery = ""
        self._keys: dict[tuple[str, str], OrderKey] = {}

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
        self._check_placements(rows)
        self._check_capacity()
        self._derive_waitlists()
        if self.has_lottery:
            self._check_stability()
        waitlist_rows = self._read_csv("waitlists.csv")
        if waitlist_rows is not None:
            self._check_waitlists(waitlist_rows)
        summary_rows = self._read_csv("programs_summary.csv")
        if summary_rows is not None:
            self._check_summary(summary_rows)
        choice_rows = self._read_csv("choice_results.csv")
        if choice_rows is not None:
            self._check_choice_results(choice_rows)
        self._check_manifest_counts(manifest)

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
        for pid, school, name, sector, grade, seats, zones in zip(
            p.id.tolist(),
            p.school_id.tolist(),
            p.school_name.tolist(),
            p.sector.tolist(),
            p.grade.tolist(),
            p.seats.tolist(),
            p.zones,
            strict=True,
        ):
            self.programs[pid] = {
                "school_id": school,
                "school_name": name,
                "sector": sector,
                "grade": grade,
                "seats": int(seats),
                "zones": frozenset(zones),
            }
        a = city.applicants
        applicant_ids = a.id.tolist()
        program_ids = p.id.tolist()
        self.applicants: dict[str, dict] = {}
        for aid, grade, zone, current, siblings, staff in zip(
            applicant_ids,
            a.grade.tolist(),
            a.zone.tolist(),
            a.current_school_id.tolist(),
            a.sibling_school_ids,
            a.staff_school_id.tolist(),
            strict=True,
        ):
            self.applicants[aid] = {
                "grade": grade,
                "zone": zone,
                "current_school_id": current,
                "sibling_school_ids": frozenset(siblings),
                "staff_school_id": staff,
            }
        ranked: dict[str, list[tuple[int, str]]] = {aid: [] for aid in applicant_ids}
        c = city.choices
        for ai, rank, pi in zip(
            c.applicant.tolist(), c.rank.tolist(), c.program.tolist(), strict=True
        ):
            ranked[applicant_ids[ai]].append((int(rank), program_ids[pi]))
        # applicant -> programs, best first; and applicant -> program -> choice rank
        self.ranked = {aid: [pid for _, pid in sorted(pairs)] for aid, pairs in ranked.items()}
        self.choice_rank = {
            aid: {pid: k for k, pid in enumerate(pids, start=1)}
            for aid, pids in self.ranked.items()
        }
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
        self.tiers = [
            tuple(part.strip() for part in tier.split("+")) for tier in city.policy.priority.order
        ]
        self.tier_names = ["+".join(tier) for tier in self.tiers]
        self.policy_tiebreak = city.policy.lottery.tiebreak
        self.checks["applicants"] = len(self.applicants)
        self.checks["programs"] = len(self.programs)
        return True

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
        policy = _section(manifest, "policy")
        order = _section(policy, "priority").get("order")
        tiebreak = _section(policy, "lottery").get("tiebreak")
        if order != self.tier_names:
            self.fail(
                "manifest-record",
                f"manifest.json records the priority order {order!r}; policy.toml gives "
                f"{self.tier_names!r}",
            )
        if tiebreak != self.policy_tiebreak:
            self.fail(
                "manifest-record",
                f"manifest.json records the policy tie-break {tiebreak!r}; policy.toml gives "
                f"{self.policy_tiebreak!r}",
            )

    # --------------------------------------------------------------- lottery and priority

    def _load_lottery(self, manifest: dict) -> None:
        """Recompute every number needed, and each applicant's (or pair's) lottery rank."""
        self.has_lottery = True
        self.single_number: dict[str, int] = {}
        self.pair_number: dict[tuple[str, str], int] = {}
        if self.external:
            self.multiple = self.per_program
            kind = "multiple" if self.multiple else "single"
            self.lottery = f"numbers in lottery.csv ({kind} tie-break)"
            if not self.multiple:
                self.single_number = dict(self.external_default)
            else:
                for aid, pids in self.ranked.items():
                    for pid in pids:
                        number = self.external_pair.get((aid, pid), self.external_default.get(aid))
                        self.pair_number[aid, pid] = number
        else:
            seed = manifest.get("seed")
            if not isinstance(seed, str) or not seed.strip() or seed == EXTERNAL_LOTTERY:
                self.has_lottery = False
                return
            self.multiple = self.policy_tiebreak == "multiple"
            self.lottery = f'seed "{seed}" ({self.policy_tiebreak} tie-break)'
            if not self.multiple:
                self.single_number = {aid: seeded_number(seed, aid) for aid in self.applicants}
            else:
                for aid, pids in self.ranked.items():
                    for pid in pids:
                        self.pair_number[aid, pid] = seeded_number(seed, aid, pid)
        if not self.multiple:
            order = sorted(self.single_number, key=lambda aid: (self.single_number[aid], aid))
            self.single_rank = {aid: rank for rank, aid in enumerate(order, start=1)}
        else:
            by_program: dict[str, list[tuple[int, str]]] = {pid: [] for pid in self.programs}
            for (aid, pid), number in self.pair_number.items():
                by_program[pid].append((number, aid))
            self.pair_rank = {}
            for pid, entries in by_program.items():
                for rank, (_, aid) in enumerate(sorted(entries), start=1):
                    self.pair_rank[aid, pid] = rank

    def number(self, aid: str, pid: str) -> int:
        return self.pair_number[aid, pid] if self.multiple else self.single_number[aid]

    def rank(self, aid: str, pid: str) -> int:
        return self.pair_rank[aid, pid] if self.multiple else self.single_rank[aid]

    def priority(self, aid: str, pid: str) -> tuple[int, str]:
        """(value, label) of an applicant at a program, from priorities.csv or the policy."""
        if (aid, pid) in self.explicit:
            value = self.explicit[aid, pid]
            return value, f"explicit:{value}"
        applicant, program = self.applicants[aid], self.programs[pid]
        school = program["school_id"]
        met = {
            "continuing": applicant["current_school_id"] == school,
            "sibling": school in applicant["sibling_school_ids"],
            "zone": bool(applicant["zone"]) and applicant["zone"] in program["zones"],
            "staff": applicant["staff_school_id"] == school,
        }
        for value, tier in enumerate(self.tiers, start=1):
            if all(met[criterion] for criterion in tier):
                return value, self.tier_names[value - 1]
        return len(self.tiers) + 1, "general"

    def key(self, aid: str, pid: str) -> OrderKey:
        """The applicant's place in the program's order (computed once per pair)."""
        key = self._keys.get((aid, pid))
        if key is None:
            value, label = self.priority(aid, pid)
            key = self._keys[aid, pid] = OrderKey(value, self.number(aid, pid), aid, label)
        return key

    # --------------------------------------------------------------- placements

    def _check_placements(self, rows: list[dict[str, str]]) -> None:
        """Read the claimed placement and check every row's cells against the inputs."""
        self.placed_at: dict[str, str | None] = {}  # applicant -> program (known programs only)
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
            if aid in self.placed_at:
                self.fail("each-applicant-once", "placements.csv has more than one row", aid)
                continue
            self.placed_at[aid] = None
            self._check_placement_row(aid, row)
        for aid in self.applicants:
            if aid not in self.placed_at:
                self.fail("each-applicant-once", "placements.csv has no row", aid)
                self.placed_at[aid] = None
        self.checks["placed"] = sum(pid is not None for pid in self.placed_at.values())

    def _check_placement_row(self, aid: str, row: dict[str, str]) -> None:
        applicant = self.applicants[aid]
        expect = {"grade": applicant["grade"]}
        pid = row["program_id"]
        ranked_pid = None
        if row["status"] == "placed":
            if pid not in self.programs:
                self.fail("unranked-placement", f'placed at unknown program "{pid}"', aid, pid)
            else:
                self.placed_at[aid] = pid
                expect["school_id"] = self.programs[pid]["school_id"]
                if pid not in self.choice_rank[aid]:
                    self.fail(
                        "unranked-placement",
                        "placed at a program the applicant did not rank",
                        aid,
                        pid,
                    )
                else:
                    ranked_pid = pid
                    expect["choice_rank"] = str(self.choice_rank[aid][pid])
        elif row["status"] == "unplaced":
            expect.update(program_id="", school_id="", choice_rank="", priority="")
        else:
            self.fail(
                "placement-details", f"status is {row['status']!r}, not placed or unplaced", aid
            )
        for column, value in expect.items():
            if row[column] != value:
                self.fail(
                    "placement-details",
                    f"placements.csv shows {column} {row[column]!r}; expected {value!r}",
                    aid,
                    pid or None,
                )
        if ranked_pid is not None:
            self.checks["priorities"] += 1
            _, label = self.priority(aid, ranked_pid)
            if row["priority"] != label:
                self.fail(
                    "priority-label",
                    f"placements.csv shows priority {row['priority']!r}; "
                    f"the policy gives {label!r}",
                    aid,
                    ranked_pid,
                )
        if not self.has_lottery:
            return
        if not self.multiple:
            number, rank = str(self.single_number[aid]), str(self.single_rank[aid])
        elif ranked_pid is not None:
            number, rank = str(self.number(aid, ranked_pid)), str(self.rank(aid, ranked_pid))
        else:
            number, rank = "", ""
        self.checks["lottery_numbers"] += 1
        if row["lottery_number"] != number:
            self.fail(
                "lottery-number",
                f"placements.csv shows lottery number {row['lottery_number']!r}; recomputed "
                f"from the {self.lottery}: {number!r}",
                aid,
                ranked_pid,
            )
        if row["lottery_rank"] != rank:
            self.fail(
                "lottery-rank",
                f"placements.csv shows lottery rank {row['lottery_rank']!r}; recomputed: {rank!r}",
                aid,
                ranked_pid,
            )

    def _check_capacity(self) -> None:
        self.placed_count: Counter[str] = Counter(p for p in self.placed_at.values() if p)
        for pid, count in sorted(self.placed_count.items()):
            seats = self.programs[pid]["seats"]
            if count > seats:
                self.fail(
                    "capacity",
                    f"{count} applicants are placed here but it has {seats} seats",
                    None,
                    pid,
                )
        # Admitted applicants: those placed at a program they ranked (others are violations).
        self.admitted: dict[str, list[str]] = {pid: [] for pid in self.programs}
        for aid, pid in self.placed_at.items():
            if pid is not None and pid in self.choice_rank[aid]:
                self.admitted[pid].append(aid)

    def preferred(self, aid: str) -> list[str]:
        """Programs the applicant ranked above their placement (all, if not placed at one)."""
        pids = self.ranked[aid]
        pid = self.placed_at.get(aid)
        if pid is not None and pid in self.choice_rank[aid]:
            return pids[: self.choice_rank[aid][pid] - 1]
        return pids

    def _derive_waitlists(self) -> None:
        self.waitlist: dict[str, list[str]] = {pid: [] for pid in self.programs}
        for aid in self.applicants:
            for pid in self.preferred(aid):
                self.waitlist[pid].append(aid)

    # --------------------------------------------------------------- stability

    def _check_stability(self) -> None:
        """No justified envy and no waste (Abdulkadiroglu & Sonmez 2003, Definition 1).

        For every program an applicant ranked above their placement: the program must be
        full, and everyone it admitted must come before the applicant in its order. It is
        enough to compare with the admitted applicant it orders last.
        """
        last: dict[str, OrderKey] = {}
        for pid, admitted in self.admitted.items():
            if admitted:
                last[pid] = max(self.key(aid, pid) for aid in admitted)
        for aid in self.applicants:
            for pid in self.preferred(aid):
                self.checks["preferred_pairs"] += 1
                seats = self.programs[pid]["seats"]
                if self.placed_count[pid] < seats:
                    self.fail(
                        "waste",
                        f"ranked this program above their placement, and it has "
                        f"{seats - self.placed_count[pid]} open seat(s)",
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
                why = (
                    "did not rank this program"
                    if aid not in self.choice_rank or pid not in self.choice_rank[aid]
                    else "is placed at this program or one they ranked higher"
                )
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
            seats, placed = program["seats"], self.placed_count[pid]
            expected = {
                "summary-details": {
                    column: program[column]
                    for column in ("school_id", "school_name", "sector", "grade")
                },
                "summary-counts": {
                    "seats": seats,
                    "applicants": applicants[pid],
                    "first_choice_applicants": first_choice[pid],
                    "placed": placed,
                    "open_seats": seats - placed,
                    "waitlisted": len(self.waitlist[pid]),
                },
            }
            if self.has_lottery:
                expected["cutoff"] = self.cutoff(pid)
            for rule, values in expected.items():
                for column, value in values.items():
                    if row[column] != str(value):
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
        """The program's cutoff columns: its last admitted applicant, blank if not full."""
        seats, admitted = self.programs[pid]["seats"], self.admitted[pid]
        if seats > 0 and self.placed_count[pid] >= seats and admitted:
            last = max(self.key(aid, pid) for aid in admitted)
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
            placed = self.placed_at.get(aid)
            waitlisted = pid in self.preferred(aid)
            result = "placed" if placed == pid else "waitlisted" if waitlisted else "not_considered"
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

    def _check_manifest_counts(self, manifest: dict) -> None:
        recorded = _section(manifest, "counts")
        placed = sum(self.placed_count.values())
        expected = {
            "applicants": len(self.applicants),
            "applicants_without_choices": sum(not p for p in self.ranked.values()),
            "choices": sum(len(p) for p in self.ranked.values()),
            "placed": placed,
            "placed_first_choice": sum(
                1 for aid, pid in self.placed_at.items() if pid and self.ranked[aid][:1] == [pid]
            ),
            "programs": len(self.programs),
            "seats": sum(p["seats"] for p in self.programs.values()),
            "unplaced": len(self.applicants) - placed,
            "waitlist_entries": sum(len(w) for w in self.waitlist.values()),
        }
        for name, value in expected.items():
            if recorded.get(name) != value:
                self.fail(
                    "summary-counts",
                    f"manifest.json counts.{name} is {recorded.get(name)!r}; expected {value}",
                )
