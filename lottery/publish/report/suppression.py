"""Small-count suppression: how the report writes counts and shares, and which it hides.

This is the privacy-critical part of the public report, kept alone so that it can be read
and tested on its own. With ``public=True`` every count below ``threshold`` is written as
``<10`` (New Orleans' practice), and every share built from a hidden count as ``–``.
Where a row's parts add up to a shown total, hiding one part alone is not enough: it
could be worked out by subtraction, so :func:`hidden_parts` hides one more, written as
``*``. The sections decide which counts are parts of which total; this module decides
how a count that must be hidden looks, and that it never shows.

Known limit: this protects sums within a table, not every combination across tables (for
example a grade's open seats can be rebuilt from the cutoff table, and with them a small
unplaced count); review a public report before publishing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lottery.publish.report.page import Cell

DEFAULT_THRESHOLD = 10
"""The smallest count a public report shows (New Orleans' practice)."""
HIDDEN_SHARE = "–"
"""A share, ratio or rate left out because a count it is built from is hidden."""
SECONDARY = "*"
"""A count at or above the threshold, hidden so that a small one cannot be worked out."""


@dataclass(frozen=True)
class Formatter:
    """Writes counts and shares, hiding counts below ``threshold`` in a public report."""

    public: bool
    threshold: int

    def hides(self, n: int) -> bool:
        """Whether ``n`` is too small to show (only ever in a public report)."""
        return self.public and n < self.threshold

    def count(self, n: int, hidden: bool | None = None) -> str:
        """``n``, or ``<10`` when below the threshold, or ``*`` when hidden although it
        is not (so that a small count cannot be worked out from a total)."""
        hidden = self.hides(n) if hidden is None else hidden
        if not hidden:
            return f"{int(n):,}"
        return f"<{self.threshold}" if n < self.threshold else SECONDARY

    def count_of(self, n: int, word: str) -> str:
        """``n`` and ``word``, plural unless ``n`` is a shown 1: ``3 programs``,
        ``<10 programs``."""
        return f"{self.count(n)} {word}{'' if n == 1 and not self.hides(n) else 's'}"

    def share(self, part: int, whole: int, hidden: bool | None = None) -> str:
        """``part`` as a percentage of ``whole``; hidden whenever ``part`` is."""
        hidden = self.hides(part) if hidden is None else hidden
        if hidden or whole == 0:
            return HIDDEN_SHARE
        return percent(part / whole)

    def n(self, n: int, hidden: bool | None = None) -> Cell:
        """A table cell holding ``count(n, hidden)``."""
        return Cell(self.count(n, hidden), "n")

    def pct(self, part: int, whole: int, hidden: bool | None = None) -> Cell:
        """A table cell holding ``share(part, whole, hidden)``."""
        return Cell(self.share(part, whole, hidden), "pct")


def percent(x: float) -> str:
    """A share as a whole percentage; never rounded to 0% or 100% unless it is one."""
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
