"""The page model: the blocks ``templates/report.html.j2`` renders, and the rendering.

A report is a list of :class:`Section`; each holds blocks (cards, paragraphs, tables and
figures) in reading order. The blocks carry finished text: every count in them has
already been through the suppression (``suppression.Formatter``), so the template only
lays them out. Each block's ``kind`` tells the template which layout to use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

import jinja2

TEMPLATE = "report.html.j2"


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
    """A chart: inline SVG text and its caption."""

    svg: str
    caption: str
    kind: str = "figure"


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text."""

    text: str
    kind: str = "paragraph"


@dataclass(frozen=True)
class Cards:
    """Headline figures: ``(label, value, note)``."""

    items: list[tuple[str, str, str]]
    kind: str = "cards"


@dataclass
class Section:
    """A titled part of the page; ``id`` is its HTML anchor."""

    id: str
    title: str
    blocks: list = field(default_factory=list)


def render_page(context: dict) -> str:
    """Render the page from ``sections.build_report``'s context with the packaged template."""
    source = resources.files(__package__).joinpath("templates", TEMPLATE).read_text("utf-8")
    environment = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.from_string(source).render(**context)
