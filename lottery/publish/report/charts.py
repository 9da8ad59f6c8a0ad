"""The report's charts: matplotlib figures as inline SVG, the same bytes on every machine.

Each chart is drawn from a table a section already built, after the suppression: a bar
built from a hidden count is left out and marked, never drawn. Colours stay apart for
colour-blind readers (Okabe & Ito) and in grey print.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from lottery.publish.report.facts import (
    ADMINISTRATIVE_LABEL,
    GUARANTEED_LABEL,
    NO_CHOICES_LABEL,
    UNPLACED_LABEL,
    Facts,
)
from lottery.publish.report.suppression import Formatter, percent

MAX_CHART_PROGRAMS = 60
"""The demand chart shows at most this many programs (the most requested per seat)."""

RANK_COLOURS = ("#08306b", "#2171b5", "#6baed6", "#bdd7e7", "#deebf7", "#f7fbff")
UNPLACED_COLOUR = "#d55e00"
NO_CHOICES_COLOUR = "#999999"
GUARANTEED_COLOUR = "#009e73"
ADMINISTRATIVE_COLOUR = "#cc79a7"
SECTOR_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#f0e442")
SEATS_COLOUR = "#c6dbef"
DEMAND_COLOUR = "#08519c"


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


def choice_chart(bars, facts: Facts) -> str:
    """Stacked bars: each group's share of applicants by outcome (``bars`` from the
    choice-outcomes table: label, counts per outcome, which are hidden)."""
    colour_of = {
        **dict(zip(facts.buckets, RANK_COLOURS, strict=False)),
        GUARANTEED_LABEL: GUARANTEED_COLOUR,
        ADMINISTRATIVE_LABEL: ADMINISTRATIVE_COLOUR,
        UNPLACED_LABEL: UNPLACED_COLOUR,
        NO_CHOICES_LABEL: NO_CHOICES_COLOUR,
    }
    colours = [colour_of[outcome] for outcome in facts.outcomes]
    white_text = {*facts.buckets[:2], GUARANTEED_LABEL, UNPLACED_LABEL}
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
                        percent(share),
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
        ax.xaxis.set_major_formatter(_axis_percent())
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


def _axis_percent():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1, decimals=0)


def _patch(colour: str, label: str, hatch: str | None = None):
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, edgecolor="#999999", hatch=hatch, label=label, linewidth=0.5)


def most_requested(programs: pd.DataFrame) -> pd.DataFrame:
    """At most ``MAX_CHART_PROGRAMS`` programs, the most first-choice applicants per seat."""
    if len(programs) <= MAX_CHART_PROGRAMS:
        return programs
    ratio = programs["first_choice_applicants"] / programs["seats"].clip(lower=1)
    top = programs.assign(_ratio=ratio).sort_values(
        ["_ratio", "program_id"], ascending=[False, True]
    )
    return top.head(MAX_CHART_PROGRAMS).sort_values("program_id")


def demand_chart(shown: pd.DataFrame, fmt: Formatter) -> str:
    """Bars of seats and, over them, first-choice applicants for each program shown."""
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


def rate_chart(groups: list[str], series: dict[str, list[float | None]], what: str) -> str:
    """Admission rates per group and sector; ``None`` marks a rate left out (hidden)."""
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
                    percent(value),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
        ax.set_xticks(x, groups)
        ax.set_ylim(0, 1.1)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
        ax.yaxis.set_major_formatter(_axis_percent())
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


def bar_chart(
    groups: list[str], counts: list[int], hidden: list[bool], label: str, fmt: Formatter
) -> str:
    """One bar per group; hidden counts are written, not drawn."""

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
