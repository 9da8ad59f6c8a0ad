"""Rule ``manifest-record``: what ``manifest.json`` records about the run itself.

The seed or lottery source and tie-break, the policy, a later round's reversed lottery
and the outcome of the linked families' runs must agree with the input files. Two of
these records change how the rest is checked: a round with the lottery reversed
(:func:`lottery_reversed`) and families that did not settle (:class:`Unsettled`).
"""

from __future__ import annotations

from dataclasses import dataclass

from lottery.audit.verify.evidence import Inputs, section
from lottery.audit.verify.findings import Findings, plural
from lottery.audit.verify.numbers import usable_seed
from lottery.io.inputs import LOTTERY_FILE
from lottery.io.outputs import CHOICE_RESULTS, EXTERNAL_LOTTERY, MANIFEST_FILE
from lottery.policy import POLICY_FILE, SIBLING_OFFERED


@dataclass(frozen=True)
class Unsettled:
    """Linked families the manifest says did not settle (``families.converged`` false),
    and their members."""

    families: tuple[str, ...] = ()
    members: frozenset[str] = frozenset()


def lottery_reversed(manifest: dict) -> bool:
    """Whether the manifest records a later round with the lottery order reversed."""
    return "round" in manifest and section(manifest, "round").get("lottery_reversed") is True


def check_manifest_record(inputs: Inputs, manifest: dict, findings: Findings) -> None:
    """The lottery, round and policy recorded in manifest.json against the inputs."""
    lottery = section(manifest, "lottery")
    if inputs.external:
        expected = {
            "seed": EXTERNAL_LOTTERY,
            "source": LOTTERY_FILE,
            "tiebreak": "multiple" if inputs.per_program else "single",
        }
    else:
        expected = {"source": "seed", "tiebreak": inputs.policy_tiebreak}
        seed = manifest.get("seed")
        if not usable_seed(seed):
            findings.fail(
                "manifest-record",
                f"the input folder has no {LOTTERY_FILE}, so {MANIFEST_FILE} must record the "
                f"seed, but it records {seed!r}",
            )
    recorded = {"seed": manifest.get("seed"), **lottery}
    for name, value in expected.items():
        if recorded.get(name) != value:
            label = name if name == "seed" else f"lottery.{name}"
            findings.fail(
                "manifest-record",
                f"{MANIFEST_FILE} records {label} {recorded.get(name)!r}; the input files "
                f"give {value!r}",
            )
    _check_round_record(inputs, manifest, findings)
    policy = section(manifest, "policy")
    expected_policy = {
        ("priority", "order"): inputs.tier_names,
        ("lottery", "tiebreak"): inputs.policy_tiebreak,
        ("reserves", "precedence"): inputs.precedence,
        ("reserves", "unfilled"): inputs.unfilled,
        ("families", "max_iterations"): inputs.max_iterations,
    }
    for (part, name), value in expected_policy.items():
        shown = section(policy, part).get(name)
        if shown != value:
            what = "priority order" if part == "priority" else f"policy {part}.{name}"
            what = "policy tie-break" if part == "lottery" else what
            findings.fail(
                "manifest-record",
                f"{MANIFEST_FILE} records the {what} {shown!r}; {POLICY_FILE} gives {value!r}",
            )


def _check_round_record(inputs: Inputs, manifest: dict, findings: Findings) -> None:
    """A later round (manifest ``round``) reverses the lottery exactly when the
    round's policy says ``[rounds] tiebreak = "reversed"``; round 1 never does."""
    if "round" not in manifest:
        return
    shown = section(manifest, "round").get("lottery_reversed")
    expected = inputs.rounds_tiebreak == "reversed"
    if shown is not expected:
        findings.fail(
            "manifest-record",
            f"{MANIFEST_FILE} records round.lottery_reversed {shown!r}; {POLICY_FILE} gives "
            f"[rounds] tiebreak {inputs.rounds_tiebreak!r}, so it must be "
            f"{str(expected).lower()}",
        )


def check_families_record(inputs: Inputs, manifest: dict, findings: Findings) -> Unsettled:
    """Check manifest.json ``families``; return the families that did not settle."""
    record = manifest.get("families")
    uses_offers = SIBLING_OFFERED in {c for tier in inputs.tiers for c in tier} | {
        category for runs in inputs.reserves.values() for category, _ in runs
    }
    if not isinstance(record, dict):
        findings.fail("manifest-record", f"{MANIFEST_FILE} has no families record")
        return Unsettled()
    iterations, converged = record.get("iterations"), record.get("converged")
    unsettled = record.get("unsettled")
    max_iterations = inputs.max_iterations
    problems = []
    if not isinstance(iterations, int) or not isinstance(converged, bool):
        problems.append("families.iterations must be a number and converged true or false")
    elif not uses_offers or not inputs.families:
        if (iterations, converged, unsettled) != (1, True, []):
            problems.append(
                "without sibling_offered and linked families the match runs once: "
                "families should be iterations 1, converged true, unsettled []"
            )
    elif not 2 <= iterations <= max_iterations:
        problems.append(
            f"families.iterations is {iterations}; the match runs 2 to "
            f"{max_iterations} times with sibling_offered and linked families"
        )
    elif not converged and iterations != max_iterations:
        problems.append(
            f"families.converged is false after {iterations} runs, below the limit of "
            f"{max_iterations}"
        )
    if not isinstance(unsettled, list) or unsettled != sorted(set(unsettled), key=str):
        problems.append("families.unsettled must be a sorted list of family IDs")
        unsettled = []
    elif unknown := [f for f in unsettled if f not in inputs.families]:
        problems.append(f"families.unsettled names unknown or unlinked families {unknown}")
    elif converged and unsettled:
        problems.append("families.unsettled names families although converged is true")
    for problem in problems:
        findings.fail("manifest-record", problem)
    if converged is not False:
        return Unsettled()
    families = tuple(f for f in unsettled if f in inputs.families)
    return Unsettled(families, frozenset(aid for f in families for aid in inputs.families[f]))


def note_unsettled(unsettled: Unsettled, findings: Findings) -> None:
    """Say in the report what was accepted either way for families that did not settle."""
    if not unsettled.members:
        return
    families = ", ".join(unsettled.families)
    count = findings.checks.get("unsettled_priorities", 0)
    n = plural(count, "priority", "priorities")
    findings.notes.append(
        f"{MANIFEST_FILE} says linked families did not settle (families.converged is false; "
        f"unsettled: {families}). The engine's last run worked out their members' "
        "sibling_offered from the previous run's placements, which the results do not "
        f"keep, so {n} of theirs that depend on it {'was' if count == 1 else 'were'} "
        f"accepted either way, as {CHOICE_RESULTS} shows them, and everything else "
        "(stability included) was checked against them."
        + (
            f" Their membership of a sibling_offered reserve, which no priority shows, was "
            f"accepted either way where the program's seats and choices agree with it "
            f"({plural(findings.checks['unsettled_memberships'], 'case')})."
            if findings.checks.get("unsettled_memberships")
            else ""
        )
    )
