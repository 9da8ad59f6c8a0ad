"""The evidence ``lottery verify`` judges, read once: the results folder and the inputs.

:func:`gather_evidence` reads ``manifest.json``, the audit bundle's record of redacted
copies, every results table and the input folder into one immutable :class:`Evidence`.
Reading never stops at a problem: an unreadable file becomes a violation kept with the
evidence (``output-file``, ``input-file``), and the checks that need the file are skipped.
The input files are read with :func:`lottery.io.inputs.read_input_folder`, which only
validates and normalises them, and turned at once into plain Python values (one list
per column) and integer arrays of the choices (:class:`Inputs`); nothing here computes a
priority, a lottery number or a placement.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType

import numpy as np

from lottery.audit.verify.findings import Violation
from lottery.errors import InputError
from lottery.io.csv_tables import ProblemLog, file_sha256, read_table
from lottery.io.inputs import RESERVE_COLUMNS, RESERVES_FILE, read_input_folder
from lottery.io.outputs import (
    BUNDLE_OUTPUTS,
    BUNDLE_RECORD,
    COLUMNS,
    MANIFEST_FILE,
    OPEN_SEAT,
    RUN_TABLES,
)

Rows = list[dict[str, str]]


def section(record: dict, name: str) -> dict:
    """``record[name]`` if it is a JSON object, else an empty one (reported elsewhere)."""
    value = record.get(name)
    return value if isinstance(value, dict) else {}


class Applicant(Mapping[str, object]):
    """One applicant's cells, read from the columns of :class:`Applicants` when asked."""

    __slots__ = ("_columns", "_index")

    def __init__(self, columns: dict[str, list], index: int):
        self._columns = columns
        self._index = index

    def __getitem__(self, name: str) -> object:
        return self._columns[name][self._index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


class Applicants(Mapping[str, Applicant]):
    """The applicants by ID, in ``applicant_id`` order, held as one list per cell (a
    million applicants as a million dicts would take gigabytes): ``grade``, ``zone``,
    ``current_school_id``, ``sibling_school_ids`` and ``tags`` (frozensets),
    ``staff_school_id``, ``guarantee`` (a program ID or None), ``accepts_administrative``,
    ``family_id`` (None outside a linked family), ``latitude`` and ``longitude`` (None
    where not given). ``index`` gives each applicant's place in that order."""

    def __init__(self, ids: list[str], columns: dict[str, list]):
        self.ids = ids
        self.index = {aid: i for i, aid in enumerate(ids)}
        self.columns = columns

    def __getitem__(self, aid: str) -> Applicant:
        return Applicant(self.columns, self.index[aid])

    def __contains__(self, aid: object) -> bool:
        return aid in self.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, name: str) -> list:
        """One cell of every applicant, in ``applicant_id`` order."""
        return self.columns[name]


@dataclass(frozen=True)
class Choices:
    """The ranked choices as arrays: applicant ``i`` ranked the programs (indices into
    ``program_ids``) ``program[start[i]:start[i + 1]]``, best first; ``guarantee`` is each
    applicant's guaranteed program index, or -1."""

    index: dict[str, int]
    program_ids: list[str]
    start: np.ndarray
    program: np.ndarray
    guarantee: np.ndarray

    def ranked(self, aid: str) -> list[str]:
        """The programs the applicant ranked, best first."""
        i = self.index[aid]
        chosen = self.program[self.start[i] : self.start[i + 1]].tolist()
        return [self.program_ids[j] for j in chosen]


class _ChoiceView(Mapping):
    """A per-applicant view of :class:`Choices`, made for one applicant when asked."""

    def __init__(self, choices: Choices):
        self._choices = choices

    def __contains__(self, aid: object) -> bool:
        return aid in self._choices.index

    def __iter__(self) -> Iterator[str]:
        return iter(self._choices.index)

    def __len__(self) -> int:
        return len(self._choices.index)


class _Ranked(_ChoiceView):
    def __getitem__(self, aid: str) -> list[str]:
        return self._choices.ranked(aid)


class _ChoiceRanks(_ChoiceView):
    def __getitem__(self, aid: str) -> dict[str, int]:
        return {pid: k for k, pid in enumerate(self._choices.ranked(aid), start=1)}


class _Preferences(_ChoiceView):
    def __getitem__(self, aid: str) -> list[str]:
        pids = self._choices.ranked(aid)
        guarantee = int(self._choices.guarantee[self._choices.index[aid]])
        if guarantee >= 0 and self._choices.program_ids[guarantee] not in pids:
            pids.append(self._choices.program_ids[guarantee])
        return pids


@dataclass(frozen=True)
class Inputs:
    """The input folder as plain Python values.

    ``programs`` maps IDs to dicts of their cells (a program's ``capacity`` is the seats
    it offers in this run: ``offer_target - held_seats``), ``applicants`` likewise, held
    as columns (:class:`Applicants`); ``families`` maps a linked family to its members.
    ``ranked`` lists each applicant's programs best first and ``choice_rank`` gives their
    ranks; ``prefs`` adds the guaranteed program as an implicit last choice where it is
    not ranked: every program the match may place them at (all three are made from
    ``choices``, arrays, when asked). ``reserves`` gives a program's reserved seats by
    category, and ``slot_runs`` its slots in precedence order, ``(category or open, n)``.
    """

    programs: dict[str, dict]
    applicants: Applicants
    families: dict[str, list[str]]
    ranked: Mapping[str, list[str]]
    choice_rank: Mapping[str, dict[str, int]]
    prefs: Mapping[str, list[str]]
    explicit: dict[tuple[str, str], int]  # priorities.csv
    external: bool  # whether lottery.csv gives the numbers
    per_program: bool  # lottery.csv gives numbers per program (a multiple tie-break)
    external_default: dict[str, int]
    external_pair: dict[tuple[str, str], int]
    tiers: list[tuple[str, ...]]
    tier_names: list[str]
    policy_tiebreak: str
    rounds_tiebreak: str
    precedence: str
    unfilled: str
    max_iterations: int
    reserves: dict[str, list[tuple[str, int]]]
    slot_runs: dict[str, list[tuple[str, int]]]
    choices: Choices

    def eligible(self, aid: str, pid: str) -> bool:
        """Whether the applicant has every tag the program requires."""
        return self.programs[pid]["requires_tags"] <= self.applicants[aid]["tags"]


class Table:
    """One results table: its rows (None if it cannot be used) and what is wrong with it.

    A large table is read as lines first (:attr:`lines`), so that a check can compare
    it with the lines it expects, all at once; its rows, one dict each, are made only
    when a check asks for them (:attr:`rows`), with the problems found making them.
    """

    def __init__(
        self,
        path: Path,
        columns: tuple[str, ...],
        problems: tuple[Violation, ...] = (),
        text: str | None = None,
    ):
        self.path = path
        self.columns = columns
        self._problems = problems
        self._text = text
        self._parsed: tuple[Rows | None, tuple[Violation, ...]] | None = None
        if text is None:  # the file cannot be used
            self._parsed = (None, problems)

    @property
    def usable(self) -> bool:
        """Whether the file has every column (its rows can be checked)."""
        return self._text is not None

    @property
    def rows(self) -> Rows | None:
        """One dict per row (None if the file cannot be used)."""
        return self._parse()[0]

    @property
    def problems(self) -> tuple[Violation, ...]:
        """What is wrong with the file: its header, rows of the wrong length."""
        return self._parse()[1]

    def lines(self) -> list[str] | None:
        """The rows as lines of text, after the header, when that is all they are: the
        header is exactly the expected one and no cell is quoted (no quote character,
        no carriage return in the file); else None."""
        text = self._text
        if text is None or self._problems or '"' in text or "\r" in text:
            return None
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        if not lines or lines[0] != ",".join(self.columns):
            return None
        return lines[1:]

    def rows_of(self, column: str, values: Collection[str]) -> Rows:
        """The rows (dicts, in file order) whose ``column`` is one of ``values``, without
        making a dict of every row: where :meth:`lines` would hold (a plain file) and
        ``column`` comes first, the lines starting with a value are found in the text;
        else the rows are read one by one and only those kept."""
        text = self._text
        if text is None:
            return []
        wanted = set(values)
        header = ",".join(self.columns)
        plain = not self._problems and '"' not in text and "\r" not in text
        if plain and self.columns[0] == column and text.startswith(header + "\n"):
            found: list[tuple[int, dict[str, str]]] = []
            for value in sorted(wanted):
                at = text.find(f"\n{value},")
                while at >= 0:
                    end = text.find("\n", at + 1)
                    cells = text[at + 1 : end if end >= 0 else len(text)].split(",")
                    if len(cells) == len(self.columns):
                        found.append((at, dict(zip(self.columns, cells, strict=True))))
                    at = text.find(f"\n{value},", at + 1)
            return [row for _, row in sorted(found, key=lambda entry: entry[0])]
        reader = csv.reader(io.StringIO(text, newline=""))
        names = next(reader, [])
        if column not in names:
            return []
        where = names.index(column)
        return [
            dict(zip(names, cells, strict=True))
            for cells in reader
            if len(cells) == len(names) and cells[where] in wanted
        ]

    def same_lines(self, expected: Iterable[list[str]]) -> bool:
        """Whether :meth:`lines` would be exactly the lines ``expected`` gives, a list at
        a time, compared as they come (never all of them at once); False where
        :meth:`lines` would be None."""
        text = self._text
        if text is None or self._problems or '"' in text or "\r" in text:
            return False
        if not text.endswith("\n"):
            text += "\n"  # as lines() reads it: a last line without its newline
        header = ",".join(self.columns) + "\n"
        if not text.startswith(header):
            return False
        at = len(header)
        for lines in expected:
            if not lines:
                continue
            chunk = "\n".join(lines) + "\n"
            if not text.startswith(chunk, at):
                return False
            at += len(chunk)
        return at == len(text)

    def _parse(self) -> tuple[Rows | None, tuple[Violation, ...]]:
        if self._parsed is None:
            self._parsed = _parse_rows(self.path.name, self._text, self.columns, self._problems)
        return self._parsed


@dataclass(frozen=True)
class Evidence:
    """Everything the checks read. ``problems`` are those found reading the manifest, the
    bundle record and the inputs; a table's own are reported where a check uses it.
    ``inputs`` is None if the input files cannot be read."""

    out_dir: Path
    input_dir: Path
    manifest: dict
    redacted: dict[str, dict]
    inputs: Inputs | None
    tables: MappingProxyType[str, Table]
    problems: tuple[Violation, ...]


def gather_evidence(out_dir: Path, input_dir: Path) -> Evidence:
    """Read the results folder and the input folder, once."""
    problems: list[Violation] = []
    manifest = _read_manifest(out_dir, problems)
    redacted = _read_redacted(out_dir, problems)
    inputs = _read_inputs(input_dir, problems)
    tables = {name: _read_table(out_dir, name) for name in RUN_TABLES}
    return Evidence(
        out_dir,
        input_dir,
        manifest,
        redacted,
        inputs,
        MappingProxyType(tables),
        tuple(problems),
    )


# ----------------------------------------------------------------------------- results folder


def _read_manifest(out_dir: Path, problems: list[Violation]) -> dict:
    path = out_dir / MANIFEST_FILE
    if not path.is_file():
        problems.append(
            Violation("output-file", f"{MANIFEST_FILE} is missing from the results folder")
        )
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        problems.append(Violation("output-file", f"{MANIFEST_FILE} is not valid JSON: {error}"))
        return {}
    if not isinstance(manifest, dict):
        problems.append(Violation("output-file", f"{MANIFEST_FILE} does not hold a JSON object"))
        return {}
    return manifest


def _read_redacted(out_dir: Path, problems: list[Violation]) -> dict[str, dict]:
    """Redacted input copies of an unpacked audit bundle (``outputs`` beside
    ``bundle.json``): name -> {"sha256": of the copy, "original_sha256": of the file}."""
    record = out_dir.parent / BUNDLE_RECORD
    if out_dir.name != BUNDLE_OUTPUTS or not record.is_file():
        return {}
    try:
        redacted = section(json.loads(record.read_text(encoding="utf-8")), "redacted")
    except (UnicodeDecodeError, json.JSONDecodeError):
        problems.append(
            Violation("output-file", f"{BUNDLE_RECORD} of the audit bundle is not valid JSON")
        )
        return {}
    return {name: info for name, info in redacted.items() if isinstance(info, dict)}


def _read_table(out_dir: Path, name: str) -> Table:
    path = out_dir / name
    columns = COLUMNS[name]
    if not path.is_file():
        return Table(
            path, columns, (Violation("output-file", f"{name} is missing from the results folder"),)
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return Table(path, columns, (Violation("output-file", f"{name} is not UTF-8 text"),))
    header = next(csv.reader(io.StringIO(text[: text.find("\n") + 1 or None], newline="")), [])
    if tuple(header) != columns:
        problem = Violation(
            "output-file",
            f"{name} has the header {','.join(header)!r}; expected {','.join(columns)!r}",
        )
        if set(columns) - set(header):
            return Table(path, columns, (problem,))
    return Table(path, columns, (), text)


def _parse_rows(
    name: str, text: str, columns: tuple[str, ...], problems: tuple[Violation, ...]
) -> tuple[Rows | None, tuple[Violation, ...]]:
    """The rows of a table as dicts, and the problems of its header and rows."""
    found = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    if tuple(header) != columns:
        found.append(
            Violation(
                "output-file",
                f"{name} has the header {','.join(header)!r}; expected {','.join(columns)!r}",
            )
        )
    rows = []
    for line, cells in enumerate(reader, start=2):
        if len(cells) != len(header):
            found.append(
                Violation(
                    "output-file",
                    f"{name}:{line}: the row has {len(cells)} cells, the header {len(header)}",
                )
            )
            continue
        rows.append(dict(zip(header, cells, strict=True)))
    return rows, tuple(found)


# ----------------------------------------------------------------------------- inputs


def _coordinate(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def _read_inputs(input_dir: Path, problems: list[Violation]) -> Inputs | None:
    try:
        city = read_input_folder(input_dir)
    except InputError as error:
        problems.extend(Violation("input-file", line) for line in error.lines())
        return None
    p = city.programs
    programs: dict[str, dict] = {}
    for i, pid in enumerate(p.id.tolist()):
        held, target = int(p.held_seats[i]), int(p.offer_target[i])
        programs[pid] = {
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
    shared: dict[tuple[str, ...], frozenset[str]] = {}  # equal sets of tags: one frozenset

    def sets(cells: list[tuple[str, ...]]) -> list[frozenset[str]]:
        return [shared.get(c) or shared.setdefault(c, frozenset(c)) for c in cells]

    family_ids = a.family_id.tolist()
    linked = [
        bool(f) and bool(link) for f, link in zip(family_ids, a.link_family.tolist(), strict=True)
    ]
    guarantee_index = np.asarray(a.guaranteed_program, np.int64)
    applicants = Applicants(
        applicant_ids,
        {
            "grade": a.grade.tolist(),
            "zone": a.zone.tolist(),
            "current_school_id": a.current_school_id.tolist(),
            "sibling_school_ids": sets(a.sibling_school_ids),
            "staff_school_id": a.staff_school_id.tolist(),
            "tags": sets(a.tags),
            "guarantee": [program_ids[g] if g >= 0 else None for g in guarantee_index.tolist()],
            "accepts_administrative": [bool(x) for x in a.accepts_administrative.tolist()],
            "family_id": [f if link else None for f, link in zip(family_ids, linked, strict=True)],
            "latitude": [_coordinate(x) for x in a.latitude.tolist()],
            "longitude": [_coordinate(x) for x in a.longitude.tolist()],
        },
    )
    families: dict[str, list[str]] = {}  # linked families: family_id -> members
    for aid, family, link in zip(applicant_ids, family_ids, linked, strict=True):
        if link:
            families.setdefault(family, []).append(aid)
    # The choices, sorted by (applicant, rank): applicant i ranked
    # choice_program[choice_start[i]:choice_start[i + 1]], best first.
    c = city.choices
    choice_start = np.zeros(len(applicant_ids) + 1, np.int64)
    chooser = np.asarray(c.applicant, np.int64)
    np.cumsum(np.bincount(chooser, minlength=len(applicant_ids)), out=choice_start[1:])
    choice_program = np.asarray(c.program, np.int64)[np.lexsort((c.rank, chooser))]
    choices = Choices(applicants.index, program_ids, choice_start, choice_program, guarantee_index)
    explicit: dict[tuple[str, str], int] = {}
    if city.explicit_priorities is not None:
        e = city.explicit_priorities
        for ai, pi, value in zip(
            e.applicant.tolist(), e.program.tolist(), e.priority.tolist(), strict=True
        ):
            explicit[applicant_ids[ai], program_ids[pi]] = int(value)
    external = city.external_lottery is not None
    external_default: dict[str, int] = {}
    external_pair: dict[tuple[str, str], int] = {}
    per_program = False
    if city.external_lottery is not None:
        x = city.external_lottery
        per_program = bool(x.per_program)
        for ai, pi, number in zip(
            x.applicant.tolist(), x.program.tolist(), x.number.tolist(), strict=True
        ):
            if pi < 0:
                external_default[applicant_ids[ai]] = int(number)
            else:
                external_pair[applicant_ids[ai], program_ids[pi]] = int(number)
    policy = city.policy
    tiers = [tuple(part.strip() for part in tier.split("+")) for tier in policy.priority.order]
    tier_names = ["+".join(tier) for tier in tiers]
    policy_tiebreak = policy.lottery.tiebreak
    rounds_tiebreak = policy.rounds.tiebreak
    precedence = policy.reserves.precedence
    unfilled = policy.reserves.unfilled
    max_iterations = int(policy.families.max_iterations)
    reserves = _read_reserves(input_dir, programs) if city.reserves is not None else {}
    # A program's slots in precedence order: (category or open, how many).
    slot_runs: dict[str, list[tuple[str, int]]] = {}
    for pid, reserved in reserves.items():
        open_run = [(OPEN_SEAT, programs[pid]["capacity"] - sum(n for _, n in reserved))]
        first = precedence == "open_first"
        slot_runs[pid] = open_run + reserved if first else reserved + open_run
    return Inputs(
        programs,
        applicants,
        families,
        _Ranked(choices),
        _ChoiceRanks(choices),
        _Preferences(choices),
        explicit,
        external,
        per_program,
        external_default,
        external_pair,
        tiers,
        tier_names,
        policy_tiebreak,
        rounds_tiebreak,
        precedence,
        unfilled,
        max_iterations,
        reserves,
        slot_runs,
        choices,
    )


def _read_reserves(input_dir: Path, programs: dict[str, dict]) -> dict[str, list[tuple[str, int]]]:
    """program -> [(category, seats)] in category order, from reserves.csv as written
    (already validated by the reader): a share becomes seats here, rounded down."""
    table = read_table(input_dir / RESERVES_FILE, *RESERVE_COLUMNS, ProblemLog())
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
                exact = Decimal(share) * programs[pid]["capacity"]
                count = int(exact.to_integral_value(rounding=ROUND_FLOOR))
            except InvalidOperation:  # pragma: no cover - the reader accepted it
                count = 0
        reserves.setdefault(pid, []).append((category, count))
    return {pid: sorted(runs) for pid, runs in sorted(reserves.items())}


def manifest_sha256(out_dir: Path) -> str:
    """The SHA-256 of the results folder's manifest.json, or "" if it cannot be read."""
    try:
        return file_sha256(out_dir / MANIFEST_FILE)
    except OSError:
        return ""
