"""The report's last section, about the run itself: seed, tie-break, priority order,
engine, and the checksum of every results file, so that anyone can check the results."""

from __future__ import annotations

from lottery.city import CityInput
from lottery.io.manifest import Manifest
from lottery.publish.report.page import Cell, Paragraph, Section, Table
from lottery.publish.report.suppression import Formatter


def about(manifest: Manifest, city: CityInput, fmt: Formatter) -> Section:
    """What the run recorded in manifest.json, and how to check it."""
    tiebreak = manifest.lottery.tiebreak if manifest.lottery else None
    order = ", ".join(city.policy.priority.order) or "(none)"
    rows = [
        [Cell("Seed"), Cell(manifest.seed or "", "id")],
        [Cell("Tie-break"), Cell(tiebreak or "")],
        [Cell("Priority order"), Cell(f"{order}, then general")],
        [Cell("Engine"), Cell(f"{manifest.engine_name or ''} {manifest.engine_version or ''}")],
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
    families = manifest.families
    if families is not None and (city.applicants.family_id != "").any():
        runs = families.iterations
        settled = (
            "settled"
            if families.converged is not False
            else f"still changing for {fmt.count(len(families.unsettled))} families"
        )
        rows.insert(
            3, [Cell("Families applying together"), Cell(f"{runs} match run(s), {settled}")]
        )
    for name, digest in sorted((manifest.outputs or {}).items()):
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
