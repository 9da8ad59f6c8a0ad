"""The report's sections, in page order (``build_report``).

``applicants`` holds the sections about where applicants ended up, ``programs`` those
about the programs, ``run`` the closing section about the run itself. Every section is
built from the same :class:`~lottery.publish.report.facts.Facts` and writes every count
through the same :class:`~lottery.publish.report.suppression.Formatter`.
"""

from __future__ import annotations

from lottery.city import CityInput
from lottery.io.results_folder import ResultsFolder
from lottery.publish.report.facts import gather_facts
from lottery.publish.report.sections.applicants import (
    choice_outcomes,
    group_outcomes,
    headline,
    priority_outcomes,
    unplaced_list,
)
from lottery.publish.report.sections.programs import cutoffs, demand, reserves, sectors
from lottery.publish.report.sections.round import round_moves
from lottery.publish.report.sections.run import about
from lottery.publish.report.suppression import Formatter


def build_report(results: ResultsFolder, city: CityInput, public: bool, threshold: int) -> dict:
    """Everything the template shows, as plain values (see ``page.render_page``)."""
    facts = gather_facts(results, city, public=public)
    fmt = Formatter(public=public, threshold=threshold)
    manifest = results.manifest
    policy = city.policy
    moves = round_moves(results, fmt)
    sections = [
        headline(facts, fmt),
        *([moves] if moves is not None else []),
        choice_outcomes(facts, fmt),
        demand(facts, fmt),
        sectors(facts, fmt, policy.priority.order),
        priority_outcomes(facts, fmt),
        group_outcomes(facts, fmt),
        reserves(facts, fmt, policy.reserves.precedence, policy.reserves.unfilled),
        cutoffs(facts, fmt),
    ]
    if not public:
        sections.append(unplaced_list(facts, results))
    sections.append(about(manifest, city, fmt))
    return {
        "title": "Lottery results report"
        + (f": round {manifest.round.number}" if manifest.round and manifest.round.number else ""),
        "seed": manifest.seed or "",
        "public": public,
        "threshold": threshold,
        "sections": sections,
    }
