"""The results-folder contract: every file name, column and word a results folder holds.

docs/outputs.md documents these to offices and auditors, and a test checks that the two
agree. The engine writes with these names, and every tool that reads a results folder
(verify, audit, report, letters, later rounds) reads with them. Sharing the *names* does
not make ``verify`` share the engine's *rules*: it still computes every check on its own.

Nothing here may change without a documented reason: an auditor in 2030 reads a 2026
folder with the names of today.
"""

from __future__ import annotations

MANIFEST_FILE = "manifest.json"

# Every run (and every round) writes these tables.
PLACEMENTS = "placements.csv"
WAITLISTS = "waitlists.csv"
SUMMARY = "programs_summary.csv"
CHOICE_RESULTS = "choice_results.csv"
RESERVE_REPORT = "reserve_report.csv"
# A later round adds these two, writes its input files into ROUND_INPUTS/ and copies the
# office's changes folder into CHANGES_FOLDER/ (both beside the CSV files).
MOVES = "moves.csv"
OFFERS = "offers.csv"
ROUND_INPUTS = "round-inputs"
CHANGES_FOLDER = "changes"

COLUMNS = {
    PLACEMENTS: (
        "applicant_id",
        "grade",
        "status",
        "program_id",
        "school_id",
        "choice_rank",
        "priority",
        "seat",
        "lottery_number",
        "family_lottery_number",
        "lottery_rank",
    ),
    WAITLISTS: (
        "program_id",
        "position",
        "applicant_id",
        "choice_rank",
        "priority",
        "lottery_rank",
    ),
    SUMMARY: (
        "program_id",
        "school_id",
        "school_name",
        "sector",
        "grade",
        "seats",
        "held_seats",
        "offered_seats",
        "applicants",
        "first_choice_applicants",
        "placed",
        "administrative",
        "open_seats",
        "waitlisted",
        "reserved_seats",
        "reserved_filled",
        "cutoff_priority",
        "cutoff_lottery_rank",
    ),
    CHOICE_RESULTS: (
        "applicant_id",
        "rank",
        "program_id",
        "result",
        "priority",
        "waitlist_position",
        "cutoff_priority",
        "cutoff_lottery_rank",
    ),
    RESERVE_REPORT: (
        "program_id",
        "school_id",
        "category",
        "reserved_seats",
        "filled_by_category",
        "category_applicants",
        "category_admitted",
        "category_admitted_without_reserves",
        "admitted_only_with_reserves",
        "admitted_only_without_reserves",
    ),
    MOVES: ("applicant_id", "from_program_id", "to_program_id", "reason"),
    OFFERS: ("applicant_id", "program_id", "school_id", "offer_order", "respond_by"),
}
"""The columns of every CSV a run or a round writes, in file order."""

RUN_TABLES = (PLACEMENTS, WAITLISTS, SUMMARY, CHOICE_RESULTS, RESERVE_REPORT)
ROUND_TABLES = (MOVES, OFFERS)

# Files that other commands add to a finished results folder, with the command that
# writes each. They are not in the manifest (they come later), but they are ours.
VERIFICATION = "verification.json"
REPORT = "report.html"
PUBLIC_REPORT = "report-public.html"
LETTERS = "letters"
MERGED_LETTERS = "all-letters.pdf"
ADDED_BY_COMMANDS = {
    VERIFICATION: "lottery verify",
    REPORT: "lottery report",
    PUBLIC_REPORT: "lottery report --public",
    LETTERS: "lottery letters",
}

# An audit bundle (lottery audit-bundle) records what it redacted in BUNDLE_RECORD and
# keeps the run's input files in BUNDLE_INPUTS/ and its results in BUNDLE_OUTPUTS/.
BUNDLE_RECORD = "bundle.json"
BUNDLE_INPUTS = "inputs"
BUNDLE_OUTPUTS = "outputs"

# placements.csv ``status``.
PLACED = "placed"  # by the match, at a program the applicant ranked
GUARANTEED = "guaranteed"  # by the match, at their guaranteed program, which they did not rank
ADMINISTRATIVE = "administrative"  # by the zone guarantee, after the match
UNPLACED = "unplaced"
HOLDS_A_SEAT = (PLACED, GUARANTEED, ADMINISTRATIVE)
MATCHED = (PLACED, GUARANTEED)

# placements.csv ``seat``: the reserve category whose seat an applicant holds, or OPEN.
OPEN_SEAT = "open"

# choice_results.csv ``result``: what happened to one ranked choice.
CHOICE_PLACED = "placed"
CHOICE_WAITLISTED = "waitlisted"
CHOICE_NOT_CONSIDERED = "not_considered"  # ranked below the program the applicant got
CHOICE_INELIGIBLE = "ineligible"  # the applicant lacks a tag the program requires

# moves.csv ``reason``.
IMPROVED = "improved"
NEW_PLACEMENT = "new placement"
DECLINED = "declined"
WITHDRAWN = "withdrawn"
TRANSFER = "transfer"
REASONS = (IMPROVED, NEW_PLACEMENT, DECLINED, WITHDRAWN, TRANSFER)

# manifest.json ``seed`` when the lottery numbers came from the office's lottery.csv;
# ``lottery.source`` is then "lottery.csv" rather than SEED_SOURCE.
EXTERNAL_LOTTERY = "external lottery"
SEED_SOURCE = "seed"
