"""Independent verification of a results folder: what ``lottery verify`` checks.

This module is written apart from the matcher and shares no code with it: no
``lottery.matching``, ``lottery.market``, ``lottery.seat_policy``, ``lottery.numbers`` or
``lottery.results``. It re-derives everything it needs with its own code, so that a bug in
the engine cannot hide itself by being repeated here: per pair with plain dicts and the
standard library (the definition, which also words every message), and for all pairs at
once on numpy arrays (:mod:`.pairs`), held to the per-pair code by the tests, so that a
city of a million applicants is checked in minutes. The rules are those of
docs/lottery-numbers.md and docs/seat-policy.md:

1. **Checksums.** The SHA-256 of every output file and every input file is computed with
   ``hashlib`` and compared with ``manifest.json`` (``outputs`` and ``inputs``).
2. **Inputs.** The input folder is read with :func:`lottery.io.inputs.read_input_folder`,
   which only validates and normalises the office's files (spaces, byte-order marks,
   grade spellings) and resolves IDs; it computes no priority, lottery number or
   placement. Its records are turned at once into plain Python values (lists per column)
   and integer arrays of the choices. A reserve given as a ``share`` is turned into seats
   here (the share times the capacity, rounded down, in exact decimal arithmetic), from
   the cell as written in ``reserves.csv``.
3. **Lottery numbers** are recomputed from the documented formula (first 8 bytes of
   ``sha256(utf8("{seed}|{applicant_id}"))``, plus ``"|{program_id}"`` for a multiple
   tie-break, read big-endian), with the seed recorded in ``manifest.json``; or taken from
   ``lottery.csv`` when the manifest says ``external lottery``. A linked family's number
   uses ``family:{family_id}`` in place of the applicant ID (with ``lottery.csv``: the
   lowest number among the members). Lottery ranks are recomputed from those numbers.
   In a later round run with ``[rounds] tiebreak = "reversed"`` (manifest
   ``round.lottery_reversed``, which must agree with the round's ``policy.toml``), the
   whole order is reversed: a single tie-break rank ``r`` of ``n`` becomes ``n + 1 - r``,
   a rank at a program likewise with the ``n`` applicants ranked there, and the zone
   guarantee's order too; the numbers themselves do not change.
4. **Priorities** are recomputed from the policy: ``guaranteed`` (value 0) at an
   applicant's guaranteed program, else the 1-based position of the first tier
   (criteria joined with ``+``, all of which must hold) that an applicant meets at a
   program, ``len(order) + 1`` (``general``) if none, replaced by ``priorities.csv``
   where it gives one. ``tag:NAME`` and ``proximity:MILES`` (haversine, sphere of
   3958.8 miles) are recomputed from the input files, and ``sibling_offered`` from the
   final placements (a linked family member placed by the match at the program's school).
   If the manifest says linked families did not settle (``families.converged`` false),
   the engine's last run used the previous run's placements for them, which the results
   folder does not hold: a priority of a member of an unsettled family that depends on
   ``sibling_offered`` is then accepted either way, as ``choice_results.csv`` shows it,
   and so is their membership of a ``sibling_offered`` reserve where no priority shows
   it and the program's seats and choices agree (:func:`.seat_policy.settle_memberships`);
   the certificate says so.
5. **The placement** read from ``placements.csv`` is then checked as a claim: every
   applicant exactly once with a known ``status``; placed (by the match) only at a program
   they ranked and may be considered at (``requires_tags``), or ``guaranteed`` at the
   guaranteed program they did not rank; every guarantee honoured; no program over the
   seats it offers (``offer_target - held_seats``); no justified envy and no waste (the
   stability conditions of Gale & Shapley 1962, in the school-choice form of
   Abdulkadiroglu & Sonmez 2003, and with slot-specific priorities at programs with
   reserves, Kominers & Sonmez 2016); each seat's reserve category; the zone guarantee's
   administrative assignments; and the waitlists, summary and manifest counts re-derived
   from it.
6. **Per-choice results.** Every row of ``choice_results.csv`` is re-derived from the
   same picture: one row per ranked choice, ``placed`` where the placement is,
   ``ineligible`` where the applicant lacks a required tag, ``waitlisted`` above the
   placement (or everywhere, if unplaced), ``not_considered`` below it; the priority
   recomputed; the waitlist position from the program's order; the cutoff the same as
   the summary's.
7. **Reserves.** ``reserve_report.csv`` is re-derived, including the match without
   reserves, which this module computes with its own deferred acceptance.

A program orders its applicants by the key ``(priority value, family lottery number,
lottery number at that program, applicant_id)``, lowest first; :class:`OrderKey` is that
key (the family number is the applicant's own number outside a linked family). With the
lottery reversed, the key is ``(priority value, reversed lottery rank)``: the rank decides
every tie, so the order within a priority is exactly the other one turned around. A program
with reserves chooses slot by slot (:func:`.seat_policy.fill_slots`): its slots, in precedence
order, each take the best applicant left that the slot accepts (an open slot anyone, a
reserved slot a member of its category, or anyone if none is left and ``unfilled =
"open"``); an applicant guaranteed the program is a member of every category there. An
applicant's ``seat`` is the category of the slot they get if they belong to it, else
``open``. Every problem found becomes a :class:`Violation` with a stable ``rule`` slug
(see :data:`RULES`); nothing stops at the first one. ``verification.json`` and any other
file in the results folder that the manifest does not list are ignored.

An unpacked audit bundle is verified like any results folder (``OUT_DIR`` is its
``outputs`` folder, ``INPUT_DIR`` its ``inputs``), except that ``applicants.csv`` there is
a redacted copy: it must have the checksum ``bundle.json`` records for the copy, and the
original checksum recorded there must be the manifest's. Names and addresses play no part
in any check, so the report is otherwise the same.

The package, by topic: :mod:`.evidence` reads the results folder and the inputs once;
:mod:`.checksums`, :mod:`.manifest_record`, :mod:`.numbers` (the lottery), :mod:`.order`
(priorities), :mod:`.placements`, :mod:`.seat_policy` (reserved seats),
:mod:`.zone_guarantee`, :mod:`.stability`, :mod:`.waitlists`, :mod:`.tables` (summary,
per-choice results, counts) and :mod:`.reserves` hold the rules; :mod:`.checker` runs them
in order into :mod:`.findings`, handing the later ones one :mod:`.picture` of what the
earlier ones derived; :mod:`.pairs` holds every (applicant, program) pair as arrays;
:mod:`.certificate` writes ``verification.json`` and the certificate.
"""

from lottery.audit.verify.certificate import (
    certificate_destination,
    certificate_lines,
    require_verified,
    write_verification,
)
from lottery.audit.verify.checker import verify_outputs
from lottery.audit.verify.findings import RULES, OrderKey, Verification, Violation
from lottery.io.outputs import VERIFICATION as VERIFICATION_FILE

__all__ = [
    "RULES",
    "VERIFICATION_FILE",
    "OrderKey",
    "Verification",
    "Violation",
    "certificate_destination",
    "certificate_lines",
    "require_verified",
    "verify_outputs",
    "write_verification",
]
