"""The results report: one self-contained HTML page for the office, its board and the public.

``write_report`` reads a results folder (``lottery.io.results_folder``) and the input
folder of the same run, works out aggregate tables, draws charts with matplotlib as
inline SVG, and renders ``templates/report.html.j2`` (beside this file) into
``report.html``. The page needs nothing else: no scripts, fonts or images from
elsewhere, so it opens offline and prints as it looks.

Steps:

1. Read the results and the inputs; refuse inputs whose checksums differ from the ones
   the run's ``manifest.json`` records (the report would describe another run).
2. Build one row per applicant (grade, home zone, tags, choices ranked, outcome) and one
   row per choice the match *reached* (the placement, and every waitlist entry: choices
   ranked above the placement, or all choices of an unplaced applicant). An applicant
   "placed" in the report holds a seat, whatever their ``status`` in placements.csv
   (``placed``, ``guaranteed`` or ``administrative``); "at their first choice" counts
   only those the match placed at the program they ranked first.
3. Aggregate those rows into the report's tables. With ``public=True`` every count below
   ``threshold`` is shown as ``<10`` (New Orleans' practice), and so is every share,
   ratio or chart bar built from such a count; where a row's parts add up to a shown
   total, one more part is hidden when only one is, so that it cannot be worked out by
   subtraction. The public report has no applicant IDs and no per-applicant rows.
   Known limit: this protects sums within a table, not every combination across tables
   (for example a grade's open seats can be rebuilt from the cutoff table, and with them a
   small unplaced count); review a public report before publishing it.
4. Draw the charts from the same (possibly suppressed) tables and render the page.

Same inputs, same bytes: rows are sorted, the SVGs carry no date and use a fixed font
and fixed IDs, and the page holds no time or path.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from lottery.audit.verify import require_verified
from lottery.city import CityInput
from lottery.errors import UsageError
from lottery.io.atomic import check_can_write, write_file_atomically
from lottery.io.inputs import GRADES, read_input_folder
from lottery.io.outputs import COLUMNS, PUBLIC_REPORT, REPORT, RESERVE_REPORT, SUMMARY
from lottery.io.results_folder import RunOutputs, check_overwritable, read_run_outputs
from lottery.policy import GENERAL

REPORT_FILE = REPORT
PUBLIC_REPORT_FILE = PUBLIC_REPORT
TEMPLATE = "report.html.j2"
DEFAULT_THRESHOLD = 10
MAX_CHART_PROGRAMS = 60
"""The demand chart shows at most this many programs (the most requested per seat)."""

UNPLACED = "Unplaced"
NO_CHOICES = "Ranked no program"
GUARANTEED = "Guaranteed seat"
ADMINISTRATIVE = "Assigned in their zone"
HIDDEN_SHARE = "–"
SECONDARY = "*"

# placements.csv statuses (docs/outputs.md). Every one but "unplaced" holds a seat.
STATUS_PLACED = "placed"  # placed by the match at a program they ranked
STATUS_GUARANTEED = "guaranteed"  # at their guaranteed program, which they did not rank
STATUS_ADMINISTRATIVE = "administrative"  # given a seat by the zone guarantee after the match
STATUS_UNPLACED = "unplaced"
MATCHED = (STATUS_PLACED, STATUS_GUARANTEED)
"""Statuses of applicants placed by the match itself (with the priority they had there)."""

# Colours that stay apart for colour-blind readers (Okabe & Ito) and in grey print.
RANK_COLOURS = ("#08306b", "#2171b5", "#6baed6", "#bdd7e7", "#deebf7", "#f7fbff")
UNPLACED_COLOUR = "#d55e00"
NO_CHOICES_COLOUR = "#999999"
GUARANTEED_COLOUR = "#009e73"
ADMINISTRATIVE_COLOUR = "#cc79a7"
SECTOR_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#f0e442")
SEATS_COLOUR = "#c6dbef"
DEMAND_COLOUR = "#08519c"


def write_report(
    out_dir: Path,
    input_dir: Path,
    public: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    output: Path | None = None,
) -> Path:
    """Write ``report.html`` into the results folder ``out_dir`` (or to ``output``, for a
    read-only results folder); return its path.

    Parameters
    ----------
    out_dir
        A folder written by ``lottery run``.
    input_dir
        The input folder of that run (for grades, home zones and ranked lists).
    public
        Leave out everything about single applicants and show counts below
        ``threshold`` as ``<threshold``, for publishing.
    threshold
        The smallest count shown in a public report (at least 1).

    Raises
    ------
    UsageError
        If ``out_dir`` is not a results folder or ``threshold`` is below 1.
    InputError
        If a results file is missing or changed, the input files are not the ones the
        run used, or they have problems.
    """
    if threshold < 1:
        raise UsageError(f"The threshold must be 1 or more, not {threshold}.")
    default = Path(out_dir) / (PUBLIC_REPORT_FILE if public else REPORT_FILE)
    path = Path(output) if output else default
    if output is not None:
        check_overwritable(path, REPORT)
    check_can_write(path, option="--output")
    results = read_run_outputs(out_dir, input_dir)  # also checks the inputs are the run's
    require_verified(out_dir, input_dir, "lottery report")
    city = read_input_folder(Path(input_dir))
    html = render_report(build_report(results, city, public=public, threshold=threshold))
    write_file_atomically(path, html.encode("utf-8"))
    return path


# ----------------------------------------------------------------------------- page model


@dataclass(frozen=True)
class Cell:
    """One table cell. ``kind`` is its CSS class: ``n`` (a count), ``pct``, ``ratio``,
    ``rank`` (a lottery rank: a position, not a count), ``grade``, ``id`` or ``text``."""

    text: str
    kind: str = "text"


@dataclass(frozen=True)
class Table:
    """A table: ``header`` rows of ``(label, colspan)``; ``rows`` of cells."""

    header: list[list[tuple[str, int]]]
    rows: list[list[Cell]]
    caption: str = ""
    kind: str = "table"


@dataclass(frozen=True)
class Figure:
    svg: str
    caption: str
    kind: str = "figure"


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: str = "paragraph"


@dataclass(frozen=True)
class Cards:
    """Headline figures: ``(label, value, note)``."""

    items: list[tuple[str, str, str]]
    kind: str = "cards"


@dataclass
class Section:
    id: str
    title: str
    blocks: list = field(default_factory=list)


@dataclass(frozen=True)
class Formatter:
    """Writes counts and shares, hiding counts below ``threshold`` in a public report."""

    public: bool
    threshold: int

    def hides(self, n: int) -> bool:
        return self.public and n < self.threshold

    def count(self, n: int, hidden: bool | None = None) -> str:
        """``n``, or ``<10`` when below the threshold, or ``*`` when hidden although it
        is not (so that a small count cannot be worked out from a total)."""
        hidden = self.hides(n) if hidden is None else hidden
        if not hidden:
            return f"{int(n):,}"
        return f"<{self.threshold}" if n < self.threshold else SECONDARY

    def share(self, part: int, whole: int, hidden: bool | None = None) -> str:
        """``part`` as a percentage of ``whole``; hidden whenever ``part`` is."""
        hidden = self.hides(part) if hidden is None else hidden
        if hidden or whole == 0:
            return HIDDEN_SHARE
        return _percent(part / whole)

    def n(self, n: int, hidden: bool | None = None) -> Cell:
        return Cell(self.count(n, hidden), "n")

    def pct(self, part: int, whole: int, hidden: bool | None = None) -> Cell:
        return Cell(self.share(part, whole, hidden), "pct")


def _percent(x: float) -> str:
    if 0 < x < 0.005:
        return "<1%"
    if 0.995 <= x < 1:
        return ">99%"
    return f"{100 * x:.0f}%"


def hidden_parts(parts: Sequence[int], fmt: Formatter) -> list[bool]:
    """Which parts of a whole to hide: every part below the threshold, and, when that is
    only one part, the smallest other part too, so that no hidden part can be worked out
    from the total."""
    hidden = [fmt.hides(n) for n in parts]
    if sum(hidden) == 1:
        shown = [i for i, h in enumerate(hidden) if not h]
        if shown:
            hidden[min(shown, key=lambda i: (parts[i], i))] = True
    return hidden


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _plural(n: int, word: str, fmt: Formatter) -> str:
    return f"{fmt.count(n)} {word}{'' if n == 1 and not fmt.hides(n) else 's'}"


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Facts:
    """The run, as tables the sections aggregate from."""

    applicants: pd.DataFrame
    """One row per applicant: id, grade, zone, tags, choices, status, seat (whether they
    hold a seat: every status but unplaced), first (placed by the match at their first
    choice), program_id, choice_rank, priority, outcome."""
    reached: pd.DataFrame
    """One row per choice the match reached: program_id, sector, choice_rank, bucket,
    priority, admitted."""
    programs: pd.DataFrame
    """programs_summary.csv."""
    reserves: pd.DataFrame
    """reserve_report.csv (counts as whole numbers)."""
    outcomes: list[str]
    """Outcome labels in display order: rank buckets, then guaranteed and assigned in
    their zone (when any applicant was), then unplaced, then no choices."""
    buckets: list[str]
    """Choice-rank buckets: ``1st choice`` ... (the last may be ``5th choice or later``)."""
    tiers: list[str]
    """Priority labels that occur, highest priority first."""
    grades: list[str]
    sectors: list[str]
    has_tags: bool
    ineligible: int = 0
    """Choices of programs the applicant may not attend (``ineligible`` in
    choice_results.csv)."""
    unserved: frozenset[str] = frozenset()
    """Applicants the zone guarantee should have served but could not (manifest.json)."""


def _bucket_labels(longest: int) -> list[str]:
    if longest <= 5:
        return [f"{_ordinal(r)} choice" for r in range(1, max(longest, 1) + 1)]
    return [f"{_ordinal(r)} choice" for r in range(1, 5)] + ["5th choice or later"]


def _bucket(rank: int, buckets: list[str]) -> str:
    return buckets[min(int(rank), len(buckets)) - 1]


def _tier_order(labels: set[str], policy_order: Sequence[str]) -> list[str]:
    """Priority labels highest first: by value (``guaranteed``, tier position, ``general``,
    ``explicit:N``)."""
    value = {tier: i + 1 for i, tier in enumerate(policy_order)}
    value[GENERAL] = len(policy_order) + 1
    value[STATUS_GUARANTEED] = 0  # above every tier (docs/seat-policy.md)

    def key(label: str) -> tuple:
        if label.startswith("explicit:") and label[9:].isdigit():
            return (int(label[9:]), 1, label)
        return (value.get(label, len(policy_order) + 2), 0, label)

    return sorted(labels, key=key)


# The columns of programs_summary.csv from seats to reserved_filled are counts.
SUMMARY_COUNTS = COLUMNS[SUMMARY][COLUMNS[SUMMARY].index("seats") : -2]
# Every column of reserve_report.csv after program_id, school_id and category is a count.
RESERVE_COUNTS = COLUMNS[RESERVE_REPORT][3:]


def _numbers(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy with ``columns`` (text, as read) as whole numbers; blank cells become NA."""
    frame = frame.copy()
    for column in columns:
        frame[column] = pd.to_numeric(frame[column].replace("", None)).astype("Int64")
    return frame


def _names_as_written(summary: pd.DataFrame, city: CityInput) -> pd.DataFrame:
    """The summary with school names and sectors as programs.csv has them: the results
    file puts a ``'`` before text that starts like a spreadsheet formula
    (docs/outputs.md), which is not part of the name. The inputs are the run's own
    (their checksums were checked)."""
    ids = pd.Index(city.programs.id)
    where = ids.get_indexer(summary["program_id"])
    return summary.assign(
        school_name=city.programs.school_name[where], sector=city.programs.sector[where]
    )


def gather_facts(results: RunOutputs, city: CityInput, public: bool = False) -> Facts:
    """Join the results with the inputs into per-applicant and per-choice rows.

    A public report counts applicants who ranked no program with the unplaced: shown
    apart, their (usually small) number would follow from the other totals.
    """
    placements = _numbers(results.placements, ["choice_rank", "lottery_rank"])
    summary = _numbers(results.programs_summary, [*SUMMARY_COUNTS, "cutoff_lottery_rank"])
    summary = _names_as_written(summary, city)
    reserves = _numbers(results.reserve_report, RESERVE_COUNTS)
    waitlists = _numbers(results.waitlists, ["position", "choice_rank"])
    ids = pd.Index(city.applicants.id)
    choices = pd.Series(
        np.bincount(city.choices.applicant, minlength=len(ids)), index=ids, dtype="int64"
    )
    zones = pd.Series(city.applicants.zone, index=ids, dtype=object)
    tags_column = getattr(city.applicants, "tags", None)
    tags = pd.Series(
        list(tags_column) if tags_column is not None else [()] * len(ids), index=ids, dtype=object
    )
    longest = int(city.choices.rank.max()) if len(city.choices) else 1
    buckets = _bucket_labels(longest)

    people = placements[
        ["applicant_id", "grade", "status", "program_id", "choice_rank", "priority"]
    ].copy()
    people["zone"] = people["applicant_id"].map(zones).fillna("")
    people["tags"] = people["applicant_id"].map(tags)
    people["tags"] = people["tags"].apply(lambda t: tuple(t) if isinstance(t, tuple) else ())
    people["choices"] = people["applicant_id"].map(choices).fillna(0).astype("int64")
    status = people["status"]
    placed = status == STATUS_PLACED
    people["seat"] = status != STATUS_UNPLACED
    people["first"] = placed & (people["choice_rank"] == 1).fillna(False)
    people["outcome"] = np.select(
        [
            placed,
            status == STATUS_GUARANTEED,
            status == STATUS_ADMINISTRATIVE,
            (people["choices"] > 0) | public,
        ],
        [
            [_bucket(r, buckets) for r in people["choice_rank"].fillna(1)],
            GUARANTEED,
            ADMINISTRATIVE,
            UNPLACED,
        ],
        NO_CHOICES,
    )
    extra = [o for o in (GUARANTEED, ADMINISTRATIVE) if (people["outcome"] == o).any()]

    sector = summary.set_index("program_id")["sector"]
    admitted = people.loc[placed, ["program_id", "choice_rank", "priority"]].assign(admitted=True)
    turned_away = waitlists[["program_id", "choice_rank", "priority"]].assign(admitted=False)
    reached = pd.concat([admitted, turned_away], ignore_index=True)
    reached["choice_rank"] = reached["choice_rank"].astype("int64")
    reached["sector"] = reached["program_id"].map(sector).fillna("")
    reached["bucket"] = [_bucket(r, buckets) for r in reached["choice_rank"]]

    grade_position = {g: i for i, g in enumerate(GRADES)}
    grades = sorted(set(people["grade"]), key=lambda g: (grade_position.get(g, 99), g))
    labels = set(reached["priority"]) | set(people.loc[status.isin(MATCHED), "priority"])
    return Facts(
        applicants=people,
        reached=reached,
        programs=summary,
        reserves=reserves,
        outcomes=[*buckets, *extra, UNPLACED] + ([] if public else [NO_CHOICES]),
        buckets=buckets,
        tiers=_tier_order(labels, city.policy.priority.order),
        grades=grades,
        sectors=sorted(set(summary["sector"])),
        has_tags=tags_column is not None,
        ineligible=int((results.choice_results["result"] == "ineligible").sum()),
        unserved=frozenset(results.manifest.get("administrative_unserved") or ()),
    )


# ----------------------------------------------------------------------------- report


def build_report(
    results: RunOutputs, city: CityInput, public: bool, threshold: int = DEFAULT_THRESHOLD
) -> dict:
    """Everything the template shows, as plain values (see ``render_report``)."""
    facts = gather_facts(results, city, public=public)
    fmt = Formatter(public=public, threshold=threshold)
    manifest = results.manifest
    sections = [
        _headline(facts, fmt),
        _choice_outcomes(facts, fmt),
        _demand(facts, fmt),
        _sectors(facts, fmt, city.policy.priority.order),
        _tiers(facts, fmt),
        _groups(facts, fmt),
        _reserves(facts, fmt, city.policy.reserves.precedence, city.policy.reserves.unfilled),
        _cutoffs(facts, fmt),
    ]
    if not public:
        sections.append(_unplaced_list(facts, results))
    sections.append(_about(manifest, city, fmt))
    return {
        "title": "Lottery results report",
        "seed": str(manifest.get("seed", "")),
        "public": public,
        "threshold": threshold,
        "sections": sections,
    }


def render_report(context: dict) -> str:
    """Render the page from ``build_report``'s context with the packaged template."""
    source = resources.files(__package__).joinpath("templates", TEMPLATE).read_text("utf-8")
    environment = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.from_string(source).render(**context)


def _headline(facts: Facts, fmt: Formatter) -> Section:
    people, programs = facts.applicants, facts.programs
    total = len(people)
    ranked = int((people["choices"] > 0).sum())
    placed = int(people["seat"].sum())
    first = int(people["first"].sum())
    unplaced = total - placed
    none = int(((people["choices"] == 0) & ~people["seat"]).sum())
    guaranteed = int((people["status"] == STATUS_GUARANTEED).sum())
    administrative = int((people["status"] == STATUS_ADMINISTRATIVE).sum())
    seats = int(programs["seats"].sum())
    offered = int(programs["offered_seats"].sum())
    held = int(programs["held_seats"].sum())
    open_seats = int(programs["open_seats"].sum())
    if fmt.public:  # how many ranked nothing is left out (see gather_facts)
        applicant_note, unplaced_note = "in all grades", "including any who ranked no program"
        first_note = f"{fmt.share(first, total)} of applicants"
    else:
        applicant_note = f"{fmt.count(ranked)} ranked at least one program"
        unplaced_note = f"{fmt.count(none)} of them ranked no program"
        first_note = f"{fmt.share(first, ranked)} of those who ranked a program"
    placed_note = f"{fmt.share(placed, total)} of applicants"
    if guaranteed or administrative:
        placed_note += ", including those at a guaranteed school or assigned in their zone"
    seats_note = f"in {_plural(len(programs), 'program', fmt)}"
    if offered != seats:
        seats_note += f"; {fmt.count(offered)} offered in this round"
        if held:
            seats_note += f" ({fmt.count(held)} held back)"
    cards = [
        ("Applicants", fmt.count(total), applicant_note),
        ("Placed", fmt.count(placed), placed_note),
        ("At their first choice", fmt.count(first), first_note),
        ("Unplaced", fmt.count(unplaced), unplaced_note),
    ]
    if guaranteed:
        cards.append(
            (
                "At a guaranteed school",
                fmt.count(guaranteed),
                "placed at the program guaranteed to them, which they did not rank, because "
                "nothing they ranked had room",
            )
        )
    if administrative or facts.unserved:
        unserved_note = (
            f"; {fmt.count(len(facts.unserved))} more could not be given one (no seat left)"
            if facts.unserved
            else ""
        )
        cards.append(
            (
                "Assigned in their zone",
                fmt.count(administrative),
                "given a seat by the district's zone guarantee after the lottery" + unserved_note,
            )
        )
    cards += [
        ("Seats", fmt.count(seats), seats_note),
        ("Open seats", fmt.count(open_seats), "left after the lottery"),
    ]
    section = Section("headline", "The lottery at a glance")
    section.blocks.append(Cards(cards))
    varied = bool((programs["offered_seats"] != programs["seats"]).any())
    rows = []
    for grade in facts.grades:
        mine = people[people["grade"] == grade]
        in_grade = programs[programs["grade"] == grade]
        got = int(mine["seat"].sum())
        parts = [got, len(mine) - got, int(in_grade["open_seats"].sum())]
        # placed + unplaced = applicants and placed + open = seats offered: one hidden, all
        # hidden.
        hide = any(fmt.hides(n) for n in parts)
        rows.append(
            [
                Cell(_grade_name(grade), "text"),
                fmt.n(len(mine)),
                fmt.n(int(in_grade["seats"].sum())),
                *([fmt.n(int(in_grade["offered_seats"].sum()))] if varied else []),
                fmt.n(got, hide),
                fmt.pct(got, len(mine), hide),
                fmt.n(parts[1], hide),
                fmt.n(parts[2], hide),
            ]
        )
    caption = (
        "Applicants and seats in each grade. A grade can have unplaced applicants and open "
        "seats at the same time: open seats are at programs those applicants did not rank"
        + (
            " or may not attend (they lack a tag the program requires)."
            if facts.ineligible
            else "."
        )
    )
    if varied:
        caption += (
            " Seats offered: the seats offered in this round, less seats held back for late "
            "applicants, or more than the seats where the office expects some families to "
            "decline."
        )
    section.blocks.append(
        Table(
            [
                [
                    ("Grade", 1),
                    ("Applicants", 1),
                    ("Seats", 1),
                    *([("Seats offered", 1)] if varied else []),
                    ("Placed", 1),
                    ("% placed", 1),
                    ("Unplaced", 1),
                    ("Open seats", 1),
                ]
            ],
            rows,
            caption=caption,
        )
    )
    return section


def _grade_name(grade: str) -> str:
    return {"PK": "Pre-K", "K": "Kindergarten"}.get(grade, f"Grade {grade}")


def _distribution(
    facts: Facts, fmt: Formatter, groups: list[tuple[str, pd.DataFrame]], first_label: str
) -> tuple[Table, list[tuple[str, list[int], list[bool]]]]:
    """A table of outcomes (count and share of each) for groups of applicants."""
    header = [
        [(first_label, 1), ("Applicants", 1)] + [(o, 2) for o in facts.outcomes],
        [("", 1), ("", 1)] + [("n", 1), ("%", 1)] * len(facts.outcomes),
    ]
    rows, bars = [], []
    for label, frame in groups:
        counts = frame["outcome"].value_counts()
        parts = [int(counts.get(o, 0)) for o in facts.outcomes]
        total = len(frame)
        hidden = hidden_parts(parts, fmt)
        row = [Cell(label), fmt.n(total)]
        for part, hide in zip(parts, hidden, strict=True):
            row += [fmt.n(part, hide), fmt.pct(part, total, hide)]
        rows.append(row)
        bars.append((label, parts, hidden))
    return Table(header, rows), bars


def _choice_outcomes(facts: Facts, fmt: Formatter) -> Section:
    people = facts.applicants
    groups = [("All applicants", people)] + [
        (_grade_name(g), people[people["grade"] == g]) for g in facts.grades
    ]
    table, bars = _distribution(facts, fmt, groups, "Applicants in")
    section = Section("choices", "Which choice did applicants get?")
    others = []
    if GUARANTEED in facts.outcomes:
        others.append(
            f"\u201c{GUARANTEED}\u201d: placed at the program guaranteed to them, which they "
            "did not rank, because none of their choices had room"
        )
    if ADMINISTRATIVE in facts.outcomes:
        others.append(
            f"\u201c{ADMINISTRATIVE}\u201d: not placed by the lottery, then given a seat in "
            "their zone by the district's zone guarantee"
        )
    section.blocks.append(
        Paragraph(
            "Families rank the programs they want, most wanted first. Each bar shows, for all "
            "applicants and then for each grade, how many were placed at their first, second, "
            "third ... choice, and how many were not placed anywhere they ranked"
            + (" (or ranked no program)." if fmt.public else ", and how many ranked no program.")
            + "".join(f" {other[0].upper()}{other[1:]}." for other in others)
        )
    )
    section.blocks.append(
        Figure(
            _choice_chart(bars, facts, fmt),
            "Share of applicants by the choice they were placed at. Darker is a more "
            "preferred choice; orange is unplaced"
            + ("; green is a guaranteed seat" if GUARANTEED in facts.outcomes else "")
            + (
                "; purple is a seat assigned in their zone"
                if ADMINISTRATIVE in facts.outcomes
                else ""
            )
            + ".",
        )
    )
    section.blocks.append(table)
    return section


def _demand(facts: Facts, fmt: Formatter) -> Section:
    programs = facts.programs
    varied = bool((programs["offered_seats"] != programs["seats"]).any())
    rows = []
    for p in programs.itertuples(index=False):
        hide = fmt.hides(p.first_choice_applicants)
        hide_placed, hide_open = hidden_parts([p.placed, p.open_seats], fmt)
        rows.append(
            [
                Cell(p.program_id, "id"),
                Cell(p.school_name),
                Cell(p.sector),
                Cell(p.grade, "grade"),
                fmt.n(p.seats),
                *([fmt.n(p.offered_seats)] if varied else []),
                fmt.n(p.first_choice_applicants),
                fmt.n(p.applicants),
                fmt.n(p.placed, hide_placed),
                fmt.n(p.open_seats, hide_open),
                fmt.n(p.waitlisted),
                Cell(
                    HIDDEN_SHARE
                    if hide or fmt.hides(p.seats) or p.seats == 0
                    else f"{p.first_choice_applicants / p.seats:.1f}",
                    "ratio",
                ),
            ]
        )
    total_first = int(programs["first_choice_applicants"].sum())
    over = int((programs["first_choice_applicants"] > programs["seats"]).sum())
    section = Section("demand", "Demand and seats at each program")
    section.blocks.append(
        Paragraph(
            # (In public, the number who ranked a program would give away how many did not.)
            ("" if fmt.public else f"{fmt.count(total_first)} applicants ranked a program first. ")
            + f"At {_plural(over, 'program', fmt)} of {fmt.count(len(programs))}, more applicants "
            "ranked it first than it had seats. Such programs fill with first-choice "
            "applicants, by priority and then by lottery number; applicants who did not get "
            "in move on to their next choice."
        )
    )
    shown = _most_requested(programs)
    which = (
        "each program"
        if len(shown) == len(programs)
        else f"the {len(shown)} programs with the most first-choice applicants per seat "
        "(every program is in the table)"
    )
    section.blocks.append(
        Figure(
            _demand_chart(shown, fmt),
            f"First-choice applicants (dark bar) against seats (light bar) for {which}. "
            "Where the dark bar is longer than the light one, the program was over-requested.",
        )
    )
    section.blocks.append(
        Table(
            [
                [
                    ("Program", 1),
                    ("School", 1),
                    ("Sector", 1),
                    ("Grade", 1),
                    ("Seats", 1),
                    *([("Seats offered", 1)] if varied else []),
                    ("First-choice applicants", 1),
                    ("Applicants (any rank)", 1),
                    ("Placed", 1),
                    ("Open seats", 1),
                    ("Waitlisted", 1),
                    ("First choices per seat", 1),
                ]
            ],
            rows,
            caption="Waitlisted: applicants who would rather have a seat here than the one "
            "they got (or who were unplaced). Placed includes seats given by the zone "
            "guarantee after the lottery and guaranteed seats."
            + (
                " Seats offered: the seats offered in this round (seats less those held back, "
                "or an offer target above the seats)."
                if varied
                else ""
            ),
        )
    )
    return section


def _rates(
    reached: pd.DataFrame, by: str, values: list[str], sectors: list[str], fmt: Formatter
) -> tuple[Table, dict[str, list[float | None]]]:
    """Admission rate among reached choices, per value of ``by`` and per sector."""
    header = [
        [("", 1)] + [(s.capitalize(), 3) for s in sectors],
        [("", 1)] + [("Reached", 1), ("Admitted", 1), ("Rate", 1)] * len(sectors),
    ]
    rows, series = [], {s: [] for s in sectors}
    for value in values:
        row = [Cell(value)]
        for sector in sectors:
            mine = reached[(reached[by] == value) & (reached["sector"] == sector)]
            total, admitted = len(mine), int(mine["admitted"].sum())
            # Admitted and turned away are the parts of "reached": hiding the number
            # turned away (not shown, but reached minus admitted) hides admitted too.
            hide = any(hidden_parts([admitted, total - admitted], fmt))
            row += [fmt.n(total), fmt.n(admitted, hide), fmt.pct(admitted, total, hide)]
            series[sector].append(None if hide else admitted / total if total else np.nan)
        rows.append(row)
    return Table(header, rows), series


def _sectors(facts: Facts, fmt: Formatter, policy_order: Sequence[str]) -> Section:
    programs, people = facts.programs, facts.applicants
    sector_of = programs.set_index("program_id")["sector"]
    placed = people[people["seat"]]
    rows = []
    for sector in facts.sectors:
        mine = programs[programs["sector"] == sector]
        seats, first = int(mine["seats"].sum()), int(mine["first_choice_applicants"].sum())
        offered = int(mine["offered_seats"].sum())
        here = placed[placed["program_id"].map(sector_of) == sector]
        at_first = int(here["first"].sum())
        first_hidden = any(hidden_parts([at_first, len(here) - at_first], fmt))
        rows.append(
            [
                Cell(sector.capitalize()),
                fmt.n(len(mine)),
                fmt.n(seats),
                fmt.n(first),
                Cell(
                    HIDDEN_SHARE
                    if fmt.hides(first) or fmt.hides(seats) or not seats
                    else f"{first / seats:.1f}",
                    "ratio",
                ),
                fmt.n(len(here)),
                fmt.pct(len(here), offered),
                fmt.n(at_first, True if first_hidden else None),
                fmt.pct(at_first, len(here), True if first_hidden else None),
            ]
        )
    section = Section("sectors", "Charter and district schools side by side")
    tiers = ", then ".join(policy_order) if policy_order else "none (everyone is equal)"
    section.blocks.append(
        Paragraph(
            "Charter and district programs take part in the same lottery under the same "
            f"rules: the same priority order ({tiers}, then everyone else) and the same "
            "lottery numbers. The sector label is used only in this report, never to place "
            "anyone. The tables below compare the sectors on the same measures. Where they "
            "differ, it is because of how many families asked for each seat and which "
            "priorities a program's own facts give (for example, only programs that serve a "
            "zone give zone priority), not because of different rules."
        )
    )
    section.blocks.append(
        Table(
            [
                [
                    ("Sector", 1),
                    ("Programs", 1),
                    ("Seats", 1),
                    ("First-choice applicants", 1),
                    ("First choices per seat", 1),
                    ("Placed", 1),
                    ("% of seats filled", 1),
                    ("Placed at first choice", 1),
                    ("% of placed", 1),
                ]
            ],
            rows,
        )
    )
    reached = facts.reached
    by_rank, rank_series = _rates(reached, "bucket", facts.buckets, facts.sectors, fmt)
    by_tier, tier_series = _rates(reached, "priority", facts.tiers, facts.sectors, fmt)
    section.blocks.append(
        Paragraph(
            "A choice is reached when the applicant was not already placed at a program they "
            "ranked higher. Of the choices reached, the rate is the share admitted. The "
            "matching looks at every program the same way: it admits applicants in order of "
            "priority and lottery number until the seats are full."
        )
    )
    section.blocks.append(
        Figure(
            _rate_chart(facts.buckets, rank_series, "Choice", fmt),
            "Admission rate by the rank the applicant gave the program, for charter and "
            "district programs.",
        )
    )
    by_rank.header[0][0] = ("Choice", 1)
    section.blocks.append(by_rank)
    section.blocks.append(
        Figure(
            _rate_chart(facts.tiers, tier_series, "Priority", fmt),
            "Admission rate by the applicant's priority at the program, for charter and "
            "district programs.",
        )
    )
    by_tier.header[0][0] = ("Priority", 1)
    section.blocks.append(by_tier)
    return section


def _tiers(facts: Facts, fmt: Formatter) -> Section:
    people = facts.applicants
    placed = people[people["status"].isin(MATCHED)]
    counts = [int((placed["priority"] == t).sum()) for t in facts.tiers]
    hidden = hidden_parts(counts, fmt)
    rows = []
    for tier, count, hide in zip(facts.tiers, counts, hidden, strict=True):
        mine = placed[placed["priority"] == tier]
        at_first = int(mine["first"].sum())
        reached = facts.reached[facts.reached["priority"] == tier]
        # Placed minus placed-at-first-choice is a count too: hide both if it is small.
        first_hidden = hide or any(hidden_parts([at_first, count - at_first], fmt))
        rows.append(
            [
                Cell(tier),
                fmt.n(count, hide),
                fmt.pct(count, len(placed), hide),
                fmt.n(at_first, True if first_hidden else None),
                # The per-sector tables show this total's parts; in public it would let a
                # hidden part be worked out by subtraction.
                fmt.n(len(reached), True if fmt.public else None),
            ]
        )
    section = Section("priority", "Outcomes by priority")
    section.blocks.append(
        Paragraph(
            "An applicant's priority at a program comes from the policy (for example a "
            "sibling at the school, or living in its zone); applicants with no priority there "
            "are \u201cgeneral\u201d. Higher priorities are listed first. Each placed "
            "applicant is counted under the priority they had at the program they got."
            + (
                " \u201cGuaranteed\u201d is the priority of an applicant at the program "
                "guaranteed to them, above every other."
                if STATUS_GUARANTEED in facts.tiers
                else ""
            )
            + (
                " Applicants given a seat in their zone after the lottery had no priority "
                "there and are not counted here."
                if (people["status"] == STATUS_ADMINISTRATIVE).any()
                else ""
            )
        )
    )
    section.blocks.append(
        Figure(
            _bar_chart(facts.tiers, counts, hidden, "Placed applicants", fmt),
            "Placed applicants by the priority that applied at the program they got.",
        )
    )
    section.blocks.append(
        Table(
            [
                [
                    ("Priority", 1),
                    ("Placed", 1),
                    ("% of placed", 1),
                    ("Of them, at first choice", 1),
                    ("Choices reached with this priority", 1),
                ]
            ],
            rows,
        )
    )
    return section


def _groups(facts: Facts, fmt: Formatter) -> Section:
    people = facts.applicants
    section = Section("groups", "Outcomes by home zone and by applicant group")
    zones = sorted(z for z in set(people["zone"]) if z)
    groups = [(z, people[people["zone"] == z]) for z in zones]
    if (people["zone"] == "").any():
        groups.append(("No zone given", people[people["zone"] == ""]))
    section.blocks.append(
        Paragraph(
            "Outcomes of applicants by the zone they live in (zone priority applies only at "
            "programs that serve that zone)."
        )
    )
    section.blocks.append(_distribution(facts, fmt, groups, "Home zone")[0])
    if not facts.has_tags:
        section.blocks.append(
            Paragraph(
                "Applicants carry no group tags in this run, so there is no breakdown by "
                "applicant group."
            )
        )
        return section
    tags = sorted({t for ts in people["tags"] for t in ts})
    if not tags:
        section.blocks.append(Paragraph("No applicant has a group tag in this run."))
        return section
    rows = []
    for tag in tags:
        mine = people[people["tags"].apply(lambda ts, t=tag: t in ts)]
        total, placed, first = len(mine), int(mine["seat"].sum()), int(mine["first"].sum())
        parts = [first, placed - first, total - placed]
        # The parts add up to the applicants, placed is the first two: one hidden, all hidden.
        hide = any(fmt.hides(n) for n in parts)
        rows.append(
            [
                Cell(tag),
                fmt.n(total),
                fmt.n(placed, hide),
                fmt.pct(placed, total, hide),
                fmt.n(first, hide),
                fmt.pct(first, total, hide),
                fmt.n(parts[2], hide),
            ]
        )
    section.blocks.append(
        Paragraph(
            "Placements of applicants by tag: the codes the office gives applicants in "
            "applicants.csv (for example frl or iep), which programs can require and "
            "priorities and reserved seats can use. An applicant with several tags is counted "
            "under each, so the rows can add up to more than the number of applicants."
            + (
                " Where any of a row's counts is small, all of them are hidden."
                if fmt.public
                else ""
            )
        )
    )
    section.blocks.append(
        Table(
            [
                [
                    ("Tag", 1),
                    ("Applicants", 1),
                    ("Placed", 1),
                    ("% placed", 1),
                    ("Placed at first choice", 1),
                    ("% at first choice", 1),
                    ("Unplaced", 1),
                ]
            ],
            rows,
            caption="Placed: holds a seat (through the lottery, a guarantee or the zone "
            "guarantee). Placed at first choice: placed by the lottery at the program they "
            "ranked first.",
        )
    )
    return section


def _reserves(facts: Facts, fmt: Formatter, precedence: str, unfilled: str) -> Section:
    section = Section("reserves", "Reserved seats")
    report = facts.reserves
    if not len(report):
        section.blocks.append(Paragraph("There were no reserved seats in this run."))
        return section
    order = (
        "reserved seats are filled before the open ones"
        if precedence == "reserved_first"
        else "open seats are filled before the reserved ones"
    )
    left = "go to other applicants" if unfilled == "open" else "stay empty"
    section.blocks.append(
        Paragraph(
            "Some programs reserve seats for a category of applicants (a tag, a zone, "
            "siblings, ...). In this run " + order + ", and reserved seats that no member of "
            "the category takes " + left + ". To show what each reserve did, the lottery "
            "was run a second time with the same numbers and no reserves at all. Where "
            "the category's members admitted are the same with and without reserves, the "
            "reserve changed nothing for that category: its members would have won those "
            "seats anyway (for example when reserved seats are filled first by members who "
            "would also have won open seats)."
        )
    )
    rows = []
    for r in report.itertuples(index=False):
        with_, without = r.category_admitted, r.category_admitted_without_reserves
        filled, applicants = r.filled_by_category, r.category_applicants
        gained = with_ - without
        # Every difference of two of these counts is a count of applicants too (members in
        # open seats, members not admitted, the reserve's effect): one small, all hidden.
        parts = [filled, with_ - filled, applicants - with_, without, applicants - without]
        hide = any(fmt.hides(n) for n in [*parts, *([abs(gained)] if gained else [])])
        if gained == 0:
            effect = "none"
        elif hide:
            effect = "more admitted" if gained > 0 else "fewer admitted"
        else:
            effect = f"{gained:+,}"
        hide_program = fmt.public and (
            fmt.hides(r.admitted_only_with_reserves) or fmt.hides(r.admitted_only_without_reserves)
        )
        rows.append(
            [
                Cell(r.program_id, "id"),
                Cell(r.category),
                fmt.n(r.reserved_seats),
                fmt.n(filled, hide or None),
                fmt.n(applicants),
                fmt.n(with_, hide or None),
                fmt.n(without, hide or None),
                Cell(effect),
                fmt.n(r.admitted_only_with_reserves, hide_program or None),
                fmt.n(r.admitted_only_without_reserves, hide_program or None),
            ]
        )
    section.blocks.append(
        Table(
            [
                [
                    ("Program", 1),
                    ("Category", 1),
                    ("Reserved seats", 1),
                    ("Filled by the category", 1),
                    ("Category applicants", 1),
                    ("Category admitted", 1),
                    ("Admitted without reserves", 1),
                    ("Effect of the reserve", 1),
                    ("Program: admitted only with reserves", 1),
                    ("Program: admitted only without reserves", 1),
                ]
            ],
            rows,
            caption="Reserved seats: seats set aside for the category. Filled by the "
            "category: reserved seats taken by its members. Category applicants: members who "
            "ranked the program and may attend it. Category admitted: members placed at the "
            "program by the lottery; without reserves: in the same lottery run with no "
            "reserves. Effect: the difference (none: the reserve admitted no member who would "
            "not have been admitted anyway). The last two columns are for the program as a "
            "whole, all categories together: applicants placed there only because of the "
            "reserves, and applicants who would have been placed there without them.",
        )
    )
    return section


def _cutoffs(facts: Facts, fmt: Formatter) -> Section:
    programs = facts.programs
    varied = bool((programs["offered_seats"] != programs["seats"]).any())
    reserved = bool((programs["reserved_seats"] > 0).any())
    rows = []
    for p in programs.itertuples(index=False):
        if p.offered_seats == 0:
            status, priority, rank = "No seats", "", ""
        elif p.cutoff_priority:
            rank = "" if pd.isna(p.cutoff_lottery_rank) else f"{int(p.cutoff_lottery_rank):,}"
            status, priority = "Full", p.cutoff_priority
            if p.reserved_seats:
                status = "Full (cutoff of the open seats)"
        elif p.reserved_seats and p.waitlisted:
            status, priority, rank = (
                "No cutoff for the open seats; reserved seats turned applicants away",
                "",
                "",
            )
        else:
            status, priority, rank = "Not full: no one who reached it was turned away", "", ""
        rows.append(
            [
                Cell(p.program_id, "id"),
                Cell(p.school_name),
                Cell(p.grade, "grade"),
                fmt.n(p.seats),
                *([fmt.n(p.offered_seats)] if varied else []),
                Cell(status),
                Cell(priority),
                Cell(rank, "rank"),
            ]
        )
    section = Section("cutoffs", "Cutoffs: who got the last seat at each program")
    section.blocks.append(
        Paragraph(
            "When a program is full, its cutoff is the priority and lottery rank of the last "
            "applicant admitted. Every applicant who ranked the program with a higher "
            "priority, or with the same priority and a better (smaller) lottery rank, was "
            "placed there or at a program they ranked higher. Lottery rank 1 is the best "
            "lottery number of the run. Anyone can check their own lottery number with the "
            "published seed."
            + (
                " At a program with reserved seats the cutoff is that of the seats open to "
                "everyone: members of a reserved category may be admitted below it."
                if reserved
                else ""
            )
            + (
                " Seats given by the zone guarantee after the lottery do not make a cutoff."
                if (programs["administrative"] > 0).any()
                else ""
            )
        )
    )
    section.blocks.append(
        Table(
            [
                [
                    ("Program", 1),
                    ("School", 1),
                    ("Grade", 1),
                    ("Seats", 1),
                    *([("Seats offered", 1)] if varied else []),
                    ("Status", 1),
                    ("Lowest priority admitted", 1),
                    ("Lottery rank of the last admitted", 1),
                ]
            ],
            rows,
        )
    )
    return section


def _unplaced_list(facts: Facts, results: RunOutputs) -> Section:
    people = facts.applicants
    unplaced = people[people["status"] == STATUS_UNPLACED]
    positions: dict[str, list[str]] = {}
    for w in results.waitlists.itertuples(index=False):
        positions.setdefault(w.applicant_id, []).append(f"{w.program_id} (#{w.position})")
    rows = [
        [
            Cell(p.applicant_id, "id"),
            Cell(p.grade, "grade"),
            Cell(p.zone),
            Cell(f"{p.choices:,}", "n"),
            Cell(", ".join(positions.get(p.applicant_id, [])) or "—"),
            *(
                [Cell("no seat left" if p.applicant_id in facts.unserved else "")]
                if facts.unserved
                else []
            ),
        ]
        for p in unplaced.itertuples(index=False)
    ]
    section = Section("unplaced", "Unplaced applicants (office copy only)")
    section.blocks.append(
        Paragraph(
            "This list names applicants: it is for the office and is left out of the public "
            "report. Each applicant's waitlist positions are shown for every program they "
            "ranked."
            + (
                " Zone guarantee: the district promised these applicants a seat in their zone, "
                "but no program there had one left."
                if facts.unserved
                else ""
            )
        )
    )
    if rows:
        section.blocks.append(
            Table(
                [
                    [
                        ("Applicant", 1),
                        ("Grade", 1),
                        ("Zone", 1),
                        ("Choices ranked", 1),
                        ("Waitlist positions", 1),
                        *([("Zone guarantee", 1)] if facts.unserved else []),
                    ]
                ],
                rows,
            )
        )
    else:
        section.blocks.append(Paragraph("Every applicant was placed."))
    return section


def _about(manifest: dict, city: CityInput, fmt: Formatter) -> Section:
    lottery = manifest.get("lottery", {})
    engine = manifest.get("engine", {})
    order = ", ".join(city.policy.priority.order) or "(none)"
    rows = [
        [Cell("Seed"), Cell(str(manifest.get("seed", "")), "id")],
        [Cell("Tie-break"), Cell(str(lottery.get("tiebreak", "")))],
        [Cell("Priority order"), Cell(f"{order}, then general")],
        [Cell("Engine"), Cell(f"{engine.get('name', '')} {engine.get('version', '')}")],
    ]
    if city.reserves is not None and len(city.reserves):
        reserves = city.policy.reserves
        rows.insert(
            3,
            [
                Cell("Reserved seats"),
                Cell(f"precedence {reserves.precedence}, unfilled seats {reserves.unfilled}"),
            ],
        )
    families = manifest.get("families")
    if isinstance(families, dict) and (city.applicants.family_id != "").any():
        runs = families.get("iterations")
        settled = (
            "settled"
            if families.get("converged", True)
            else f"still changing for {fmt.count(len(families.get('unsettled') or []))} families"
        )
        rows.insert(
            3, [Cell("Families applying together"), Cell(f"{runs} match run(s), {settled}")]
        )
    for name, digest in sorted(manifest.get("outputs", {}).items()):
        rows.append([Cell(f"SHA-256 of {name}"), Cell(str(digest), "hash")])
    section = Section("about", "About this run")
    section.blocks.append(
        Paragraph(
            "Anyone can check these results: the lottery numbers follow from the published "
            "seed, and the command lottery audit reruns the lottery from the same files and "
            "compares the results byte for byte."
        )
    )
    section.blocks.append(Table([], rows))
    return section


# ----------------------------------------------------------------------------- charts


def _svg(draw, name: str, width: float, height: float) -> str:
    """Draw a figure with ``draw(figure)`` and return it as inline SVG text.

    No pyplot and no global state: a bare ``Figure`` is saved by matplotlib's SVG backend.
    The hash salt fixes the IDs of clip paths (and keeps them apart between the charts
    of one page), the date is left out, and text is drawn as paths in the DejaVu Sans
    font that ships with matplotlib, so the bytes are the same on every machine.
    Math text is off: school names, sectors and other text from the input files are
    drawn as written, even with ``$`` signs in them (``$5 and $10 Academy``).
    """
    import matplotlib
    from matplotlib.figure import Figure as MplFigure

    style = {
        "svg.hashsalt": f"lottery-report-{name}",
        "svg.fonttype": "path",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
        "legend.frameon": False,
        "text.parse_math": False,
    }
    with matplotlib.rc_context(style):
        figure = MplFigure(figsize=(width, height))
        draw(figure)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # Scale with the page, never wider than drawn; keep the aspect ratio from viewBox.
    root_end = text.index(">")
    root = text[:root_end]
    width_pt = re.search(r'width="([0-9.]+)pt"', root).group(1)
    root = re.sub(r'\s(width|height)="[0-9.]+pt"', "", root)
    root += f' width="100%" style="max-width:{width_pt}pt" role="img"'
    text = root + text[root_end:]
    return re.sub(r"(?m)^\s*$\n", "", text).strip()


def _hidden_note(ax, x, y, text: str, **kwargs) -> None:
    """Mark a bar left out of a public chart."""
    ax.text(x, y, text, color="#666666", fontsize=7, style="italic", **kwargs)


def _choice_chart(bars, facts: Facts, fmt: Formatter) -> str:
    colour_of = {
        **dict(zip(facts.buckets, RANK_COLOURS, strict=False)),
        GUARANTEED: GUARANTEED_COLOUR,
        ADMINISTRATIVE: ADMINISTRATIVE_COLOUR,
        UNPLACED: UNPLACED_COLOUR,
        NO_CHOICES: NO_CHOICES_COLOUR,
    }
    colours = [colour_of[outcome] for outcome in facts.outcomes]
    white_text = {*facts.buckets[:2], GUARANTEED, UNPLACED}
    labels = [label for label, _, _ in bars]

    def draw(figure):
        ax = figure.add_subplot()
        y = np.arange(len(bars))[::-1]
        any_hidden = False
        for row, (_, parts, hidden) in zip(y, bars, strict=True):
            total = sum(parts)
            left = 0.0
            for i, (part, hide) in enumerate(zip(parts, hidden, strict=True)):
                if hide or part == 0 or total == 0:
                    continue
                share = part / total
                ax.barh(row, share, left=left, color=colours[i], edgecolor="white", height=0.7)
                if share >= 0.06:
                    dark = facts.outcomes[i] in white_text
                    ax.text(
                        left + share / 2,
                        row,
                        _percent(share),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if dark else "black",
                    )
                left += share
            if total and any(hidden) and left < 1:
                any_hidden = True
                ax.barh(
                    row,
                    1 - left,
                    left=left,
                    color="white",
                    edgecolor="#999999",
                    hatch="///",
                    height=0.7,
                    linewidth=0.5,
                )
        ax.set_yticks(y, labels)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(matplotlib_percent())
        handles = [
            _patch(colour, outcome) for colour, outcome in zip(colours, facts.outcomes, strict=True)
        ]
        if any_hidden:
            handles.append(_patch("white", "Hidden (small counts)", hatch="///"))
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.08),
            ncol=min(4, len(handles)),
            fontsize=8,
        )

    return _svg(draw, "choices", 9, 0.45 * len(bars) + 1.6)


def matplotlib_percent():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1, decimals=0)


def _patch(colour: str, label: str, hatch: str | None = None):
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, edgecolor="#999999", hatch=hatch, label=label, linewidth=0.5)


def _most_requested(programs: pd.DataFrame) -> pd.DataFrame:
    """At most ``MAX_CHART_PROGRAMS`` programs, the most first-choice applicants per seat."""
    if len(programs) <= MAX_CHART_PROGRAMS:
        return programs
    ratio = programs["first_choice_applicants"] / programs["seats"].clip(lower=1)
    top = programs.assign(_ratio=ratio).sort_values(
        ["_ratio", "program_id"], ascending=[False, True]
    )
    return top.head(MAX_CHART_PROGRAMS).sort_values("program_id")


def _demand_chart(shown: pd.DataFrame, fmt: Formatter) -> str:
    labels = [f"{p.program_id}  {p.school_name}" for p in shown.itertuples(index=False)]
    seats = [int(s) for s in shown["seats"]]
    first = [int(f) for f in shown["first_choice_applicants"]]

    def draw(figure):
        ax = figure.add_subplot()
        y = np.arange(len(shown))[::-1]
        for row, s, f in zip(y, seats, first, strict=True):
            if fmt.hides(s):
                _hidden_note(ax, 0, row + 0.2, fmt.count(s), va="center")
            else:
                ax.barh(row, s, height=0.8, color=SEATS_COLOUR)
            if fmt.hides(f):
                _hidden_note(ax, 0, row - 0.2, fmt.count(f), va="center")
            else:
                ax.barh(row, f, height=0.4, color=DEMAND_COLOUR)
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_ylim(-0.7, len(shown) - 0.3)
        ax.set_xlabel("Applicants or seats")
        ax.legend(
            handles=[
                _patch(SEATS_COLOUR, "Seats"),
                _patch(DEMAND_COLOUR, "First-choice applicants"),
            ],
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=2,
            fontsize=8,
        )

    return _svg(draw, "demand", 9, 0.28 * len(shown) + 1.0)


def _rate_chart(groups: list[str], series: dict[str, list[float | None]], what, fmt) -> str:
    sectors = list(series)

    def draw(figure):
        ax = figure.add_subplot()
        x = np.arange(len(groups))
        width = 0.8 / max(len(sectors), 1)
        for i, sector in enumerate(sectors):
            offset = (i - (len(sectors) - 1) / 2) * width
            for xi, value in zip(x, series[sector], strict=True):
                if value is None:
                    _hidden_note(ax, xi + offset, 0.01, "hidden", ha="center", rotation=90)
                    continue
                if np.isnan(value):  # nobody reached such a choice
                    continue
                ax.bar(xi + offset, value, width=width, color=SECTOR_COLOURS[i % 6])
                ax.text(
                    xi + offset,
                    value + 0.01,
                    _percent(value),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
        ax.set_xticks(x, groups)
        ax.set_ylim(0, 1.1)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
        ax.yaxis.set_major_formatter(matplotlib_percent())
        ax.set_ylabel("Admitted, of choices reached")
        ax.set_xlabel(what)
        ax.legend(
            handles=[_patch(SECTOR_COLOURS[i % 6], s.capitalize()) for i, s in enumerate(sectors)],
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=max(len(sectors), 1),
            fontsize=8,
        )

    return _svg(draw, f"rates-{what.lower()}", 9, 3.2)


def _bar_chart(groups: list[str], counts: list[int], hidden: list[bool], label, fmt) -> str:
    def draw(figure):
        ax = figure.add_subplot()
        y = np.arange(len(groups))[::-1]
        for row, count, hide in zip(y, counts, hidden, strict=True):
            if hide:
                _hidden_note(ax, 0, row, fmt.count(count, True), va="center")
                continue
            ax.barh(row, count, color=DEMAND_COLOUR, height=0.6)
            ax.text(count, row, f" {count:,}", va="center", fontsize=7)
        ax.set_yticks(y, groups)
        ax.set_xlabel(label)
        ax.margins(x=0.12)

    return _svg(draw, "tiers", 9, 0.35 * len(groups) + 1.0)
