"""The report's sections about programs: demand and seats, charter and district side by
side, reserved seats, and cutoffs.

Every count goes through the ``Formatter``; where a row's counts are parts of a shown
total, the section says which (``hidden_parts``) so that no hidden count can be worked
out by subtraction.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lottery.publish.report import charts
from lottery.publish.report.facts import Facts
from lottery.publish.report.page import Cell, Figure, Paragraph, Section, Table
from lottery.publish.report.suppression import HIDDEN_SHARE, Formatter, hidden_parts


def demand(facts: Facts, fmt: Formatter) -> Section:
    """First-choice demand against seats at each program: a chart and a row per program."""
    programs = facts.programs
    varied = facts.offers_differ
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
            + f"At {fmt.count_of(over, 'program')} of {fmt.count(len(programs))}, more applicants "
            "ranked it first than it had seats. Such programs fill with first-choice "
            "applicants, by priority and then by lottery number; applicants who did not get "
            "in move on to their next choice."
        )
    )
    shown = charts.most_requested(programs)
    which = (
        "each program"
        if len(shown) == len(programs)
        else f"the {len(shown)} programs with the most first-choice applicants per seat "
        "(every program is in the table)"
    )
    section.blocks.append(
        Figure(
            charts.demand_chart(shown, fmt),
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


def sectors(facts: Facts, fmt: Formatter, policy_order: Sequence[str]) -> Section:
    """Charter and district programs side by side; admission rates by choice and priority."""
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
    section.blocks.append(
        Paragraph(
            "A choice is reached when the applicant was not already placed at a program they "
            "ranked higher. Of the choices reached, the rate is the share admitted. The "
            "matching looks at every program the same way: it admits applicants in order of "
            "priority and lottery number until the seats are full."
        )
    )
    by_rank = ("Choice", "bucket", facts.buckets, "the rank the applicant gave the program")
    by_tier = ("Priority", "priority", facts.tiers, "the applicant's priority at the program")
    for what, column, values, meaning in (by_rank, by_tier):
        table, series = _rates(facts.reached, column, values, facts.sectors, fmt)
        section.blocks.append(
            Figure(
                charts.rate_chart(values, series, what),
                f"Admission rate by {meaning}, for charter and district programs.",
            )
        )
        table.header[0][0] = (what, 1)
        section.blocks.append(table)
    return section


def reserves(facts: Facts, fmt: Formatter, precedence: str, unfilled: str) -> Section:
    """What each reserve did, from reserve_report.csv (the same lottery with and without)."""
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


def cutoffs(facts: Facts, fmt: Formatter) -> Section:
    """Each program's cutoff: the priority and lottery rank of the last applicant admitted."""
    programs = facts.programs
    varied = facts.offers_differ
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
