"""The report's sections about applicants: the headline, which choice they got, outcomes
by priority, by home zone and by tag, and (office copy only) the list of the unplaced.

Every count goes through the ``Formatter``; where a row's counts are parts of a shown
total, the section says which (``hidden_parts``) so that no hidden count can be worked
out by subtraction.
"""

from __future__ import annotations

import pandas as pd

from lottery.io.outputs import ADMINISTRATIVE, MATCHED, UNPLACED
from lottery.io.results_folder import ResultsFolder
from lottery.policy import GUARANTEED as GUARANTEED_PRIORITY
from lottery.publish.report import charts
from lottery.publish.report.facts import ADMINISTRATIVE_LABEL, GUARANTEED_LABEL, Facts, grade_name
from lottery.publish.report.page import Cards, Cell, Figure, Paragraph, Section, Table
from lottery.publish.report.suppression import Formatter, hidden_parts


def headline(facts: Facts, fmt: Formatter) -> Section:
    """The lottery at a glance: headline cards (manifest.json counts) and a row per grade."""
    people, programs, counts = facts.applicants, facts.programs, facts.counts
    total, placed, unplaced = counts["applicants"], counts["placed"], counts["unplaced"]
    ranked = total - counts["applicants_without_choices"]
    first = counts["placed_first_choice"]
    guaranteed, administrative = counts["placed_by_guarantee"], counts["administrative"]
    seats, offered, held = counts["seats"], counts["offered_seats"], counts["held_seats"]
    # Not in the manifest: those who ranked nothing and hold no seat, and the seats left.
    none = int(((people["choices"] == 0) & ~people["seat"]).sum())
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
    seats_note = f"in {fmt.count_of(counts['programs'], 'program')}"
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
    varied = facts.offers_differ
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
                Cell(grade_name(grade), "text"),
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
            if counts["ineligible_choices"]
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


def choice_outcomes(facts: Facts, fmt: Formatter) -> Section:
    """Which choice applicants got, in all and per grade: a chart and its table."""
    people = facts.applicants
    groups = [("All applicants", people)] + [
        (grade_name(g), people[people["grade"] == g]) for g in facts.grades
    ]
    table, bars = _distribution(facts, fmt, groups, "Applicants in")
    section = Section("choices", "Which choice did applicants get?")
    others = []
    if GUARANTEED_LABEL in facts.outcomes:
        others.append(
            f"\u201c{GUARANTEED_LABEL}\u201d: placed at the program guaranteed to them, which they "
            "did not rank, because none of their choices had room"
        )
    if ADMINISTRATIVE_LABEL in facts.outcomes:
        others.append(
            f"\u201c{ADMINISTRATIVE_LABEL}\u201d: not placed by the lottery, then given a seat in "
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
            charts.choice_chart(bars, facts),
            "Share of applicants by the choice they were placed at. Darker is a more "
            "preferred choice; orange is unplaced"
            + ("; green is a guaranteed seat" if GUARANTEED_LABEL in facts.outcomes else "")
            + (
                "; purple is a seat assigned in their zone"
                if ADMINISTRATIVE_LABEL in facts.outcomes
                else ""
            )
            + ".",
        )
    )
    section.blocks.append(table)
    return section


def priority_outcomes(facts: Facts, fmt: Formatter) -> Section:
    """Applicants placed by the match, by the priority they had where they were placed."""
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
                if GUARANTEED_PRIORITY in facts.tiers
                else ""
            )
            + (
                " Applicants given a seat in their zone after the lottery had no priority "
                "there and are not counted here."
                if (people["status"] == ADMINISTRATIVE).any()
                else ""
            )
        )
    )
    section.blocks.append(
        Figure(
            charts.bar_chart(facts.tiers, counts, hidden, "Placed applicants", fmt),
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


def group_outcomes(facts: Facts, fmt: Formatter) -> Section:
    """Outcomes by home zone, and placements by applicant tag."""
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


def unplaced_list(facts: Facts, results: ResultsFolder) -> Section:
    """The unplaced applicants by name, with their waitlist positions (office copy only)."""
    people = facts.applicants
    unplaced = people[people["status"] == UNPLACED]
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
