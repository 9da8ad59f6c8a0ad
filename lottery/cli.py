"""The ``lottery`` command: options in, one library call, plain-English output.

Only :class:`~lottery.errors.LotteryError` is caught here; it is printed line by line
to standard error and the command exits with the error's status (2 for bad input or
usage, 1 for a matching error). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from contextlib import ExitStack, nullcontext
from pathlib import Path

import click

from lottery import __version__
from lottery.audit.bundle import write_audit_bundle
from lottery.audit.rerun import audit_results
from lottery.audit.verify import (
    certificate_destination,
    certificate_lines,
    verify_outputs,
    write_verification,
)
from lottery.engine import run_lottery, validate_input
from lottery.errors import LotteryError
from lottery.io.atomic import undo_unfinished_work
from lottery.io.results_folder import run_inputs
from lottery.numbers import (
    LotteryNumberLookup,
    look_up_family_number,
    look_up_lottery_number,
    parse_commitment,
    seed_commitment,
)
from lottery.publish.report import DEFAULT_THRESHOLD, write_report
from lottery.rounds import run_round
from lottery.synth import generate_city

FOLDER = click.Path(path_type=Path, file_okay=False)
INPUTS_OPTION = click.option(
    "--inputs",
    "input_dir",
    type=FOLDER,
    required=True,
    help="The input folder of round 1 (the folder `lottery run` read), for a later "
    "round's folder too.",
)
ROUND_INPUTS_OPTION = click.option(
    "--inputs",
    "input_dir",
    type=FOLDER,
    help="The input folder of round 1 (the folder `lottery run` read). Optional for a "
    "later round's folder, which keeps its own input files in round-inputs/ (given "
    "either folder, that one is used).",
)
STRICT_OPTION = click.option(
    "--strict",
    is_flag=True,
    help="Refuse the files on warnings about single rows too: codes that match nothing "
    "(a zone no program serves, a sibling school with no program, ...) and columns that "
    "are not ours. Recommended for the official run (or [checks] in policy.toml).",
)
FORCE_OPTION = click.option(
    "--force",
    is_flag=True,
    help="Replace an existing results folder (only one that lottery wrote: a folder with "
    "other files in it is refused, and the files are named).",
)


class CommitmentType(click.ParamType):
    """A seed commitment: 64 hexadecimal digits, as ``lottery seed commit`` prints."""

    name = "HEX"

    def convert(self, value, param, ctx):
        try:
            return parse_commitment(value)
        except LotteryError as error:
            self.fail(str(error), param, ctx)


class LotteryCommand(click.Command):
    """A command whose LotteryErrors become plain messages and exit codes."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except LotteryError as error:
            for line in error.lines():
                click.echo(line, err=True)
            ctx.exit(error.exit_code)


class LotteryGroup(click.Group):
    command_class = LotteryCommand


def _progress(message: str) -> None:
    click.echo(f"... {message}", err=True)


def _run_inputs(out_dir: Path, input_dir: Path | None) -> Path:
    """The input folder of the results in OUT_DIR, saying which when it is not --inputs."""
    resolved = run_inputs(out_dir, input_dir)
    if resolved.note:
        click.echo(f"note: {resolved.note}", err=True)
    return resolved.folder


@click.group(cls=LotteryGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lottery")
def cli() -> None:
    """Run a unified school-choice lottery: one match for every school, charter or district.

    \b
    Start with:
      lottery validate examples/city
      lottery run examples/city --seed 2026-spring --out results
    """


@cli.command()
@click.argument("input_dir", type=FOLDER)
@click.option("--seed", help="The seed announced publicly before the lottery (any text).")
@click.option(
    "--out",
    "out_dir",
    type=FOLDER,
    required=True,
    help="Folder to write the results into (must be new or empty).",
)
@FORCE_OPTION
@click.option(
    "--seed-commitment",
    type=CommitmentType(),
    help="The SHA-256 of the seed published before the lottery (see `lottery seed commit`): "
    "a seed that does not match it is refused.",
)
@STRICT_OPTION
def run(
    input_dir: Path,
    seed: str | None,
    out_dir: Path,
    force: bool,
    seed_commitment: str | None,
    strict: bool,
) -> None:
    """Run the lottery on INPUT_DIR and write placements, waitlists, choice results, a summary.

    INPUT_DIR holds programs.csv, applicants.csv and choices.csv, and optionally
    priorities.csv, lottery.csv, reserves.csv and policy.toml (see
    docs/file-formats.md and docs/seat-policy.md).
    The results are written to a new folder, all at once: if anything goes wrong,
    nothing is written.

    \b
    Example:
      lottery run examples/city --seed 2026-spring --out results --strict
      lottery run examples/city --seed 2026-spring --out results \\
        --seed-commitment 7b76738218424149ac347b081af362b9390b10ca3170d22eb269b117f07386a8
    """
    summary = run_lottery(
        input_dir,
        out_dir,
        seed,
        force=force,
        progress=_progress,
        seed_commitment=seed_commitment,
        strict=strict,
    )
    counts = summary.counts
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Results written to {summary.out_dir}")
    click.echo(f"  applicants:        {counts['applicants']}")
    first, none = counts["placed_first_choice"], counts["applicants_without_choices"]
    click.echo(f"  placed:            {counts['placed']} ({first} at their first choice)")
    if counts["placed_by_guarantee"]:
        click.echo(f"    at their guaranteed program:  {counts['placed_by_guarantee']}")
    if counts["administrative"]:
        click.echo(f"    by the zone guarantee:        {counts['administrative']}")
    click.echo(f"  unplaced:          {counts['unplaced']}")
    click.echo(f"  ranked no program: {none}")
    seats = f"{counts['seats']} in {counts['programs']} programs"
    if counts["offered_seats"] != counts["seats"]:
        seats += f" ({counts['offered_seats']} offered in this run)"
    click.echo(f"  seats:             {seats}")
    click.echo(f"  waitlist entries:  {counts['waitlist_entries']}")


@cli.command("round")
@click.argument("previous_dir", type=FOLDER)
@click.option(
    "--changes",
    "changes_dir",
    type=FOLDER,
    required=True,
    help="Folder with changes.csv (and applicants.csv / choices.csv for new or changed lists).",
)
@click.option(
    "--out",
    "out_dir",
    type=FOLDER,
    required=True,
    help="Folder to write this round into (must be new or empty).",
)
@click.option(
    "--inputs",
    "input_dir",
    type=FOLDER,
    help="The round-1 input folder: needed when PREVIOUS_DIR was written by `lottery run`; "
    "accepted (and checked) for a later round, which starts from PREVIOUS_DIR/round-inputs.",
)
@FORCE_OPTION
@STRICT_OPTION
def round_command(
    previous_dir: Path,
    changes_dir: Path,
    out_dir: Path,
    input_dir: Path | None,
    force: bool,
    strict: bool,
) -> None:
    """Run a later round: accepts, declines, withdrawals, late applicants, seat changes and
    transfers, starting from the results in PREVIOUS_DIR.

    Everyone who holds a seat keeps it unless they decline or withdraw, and may move up
    to a program they ranked higher; freed and added seats go down each program's order;
    late applicants get lottery numbers from the same published seed. Writes every file
    `lottery run` writes, plus moves.csv (who moved, and why) and offers.csv (the offers
    to make), and keeps this round's input files in OUT_DIR/round-inputs so that the
    next round needs only this folder. PREVIOUS_DIR is checked first as `lottery verify`
    checks it, and refused if it does not pass. The files of the changes folder get the
    warnings of round 1 (`changes/applicants.csv:2: zone: ...`), errors with --strict or
    [checks] in policy.toml. See docs/rounds.md.

    \b
    Example:
      lottery round round-1 --inputs examples/city --changes june-changes --out round-2 --strict
      lottery round round-2 --changes july-changes --out round-3 --strict
    """
    summary = run_round(
        previous_dir,
        changes_dir,
        out_dir,
        inputs_dir=input_dir,
        force=force,
        progress=_progress,
        strict=strict,
    )
    counts, moves = summary.counts, summary.moves
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Round {summary.number} written to {summary.out_dir}")
    click.echo(f"  applicants:        {counts['applicants']}")
    first = counts["placed_first_choice"]
    click.echo(f"  placed:            {counts['placed']} ({first} at their first choice)")
    click.echo(f"  unplaced:          {counts['unplaced']}")
    click.echo(
        f"  moves:             {moves['improved']} improved, {moves['new placement']} new "
        f"placements, {moves['transfer']} transfers, {moves['declined']} declined, "
        f"{moves['withdrawn']} withdrawn"
    )
    click.echo(f"  offers to make:    {summary.offers} (offers.csv)")


@cli.command()
@click.argument("input_dir", type=FOLDER)
@STRICT_OPTION
def validate(input_dir: Path, strict: bool) -> None:
    """Check the files in INPUT_DIR without running the lottery.

    Lists every problem (file, line, column) and exits with status 2 if there is any;
    otherwise prints counts and warnings such as programs nobody ranked, applicants
    with no choices and over-subscribed grades.

    \b
    Example:
      lottery validate examples/city
    """
    summary = validate_input(input_dir, strict=strict)
    click.echo(f"{input_dir}: the input files are valid.")
    for name, value in summary.counts.items():
        click.echo(f"  {name + ':':<12} {value}")
    # "offered" only when held seats or offer targets make it differ from "seats".
    offered = any("offered" in row for row in summary.grades)
    click.echo("  grade  applicants  seats" + ("  offered" if offered else ""))
    for row in summary.grades:
        line = f"  {row['grade']:<5}  {row['applicants']:>10}  {row['seats']:>5}"
        click.echo(line + (f"  {row['offered']:>7}" if offered else ""))
    for warning in summary.warnings:
        click.echo(f"warning: {warning}")


@cli.command()
@click.argument("out_dir", type=FOLDER)
@click.option(
    "--applicants", type=click.IntRange(min=1), required=True, help="Number of applicants."
)
@click.option(
    "--schools",
    type=click.IntRange(min=1),
    required=True,
    help="Number of schools (each teaches several grades).",
)
@click.option(
    "--choices",
    "max_choices",
    type=click.IntRange(min=1),
    default=6,
    show_default=True,
    help="Longest ranked list.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the generator: the same seed gives the same files.",
)
@click.option(
    "--grades",
    metavar="LIST",
    help="Only these grades get programs and applicants, e.g. PK,K,6,9  [default: all]",
)
@click.option(
    "--seat-policy/--no-seat-policy",
    default=True,
    show_default=True,
    help="Tags, coordinates, families, guarantees, the zone guarantee, special-education "
    "programs, held seats and reserves.csv (docs/seat-policy.md). --no-seat-policy writes "
    "the plain city of earlier versions.",
)
@click.option("--force", is_flag=True, help="Write into a folder that already has files in it.")
def synth(
    out_dir: Path,
    applicants: int,
    schools: int,
    max_choices: int,
    seed: int,
    grades: str | None,
    seat_policy: bool,
    force: bool,
) -> None:
    """Write a realistic synthetic city into OUT_DIR, for training, dry runs and tests.

    The city has zones, schools with several grades (about a third of them charters),
    popular and less popular schools, dual-language strands, siblings, continuing
    students and ranked lists of varied length; unless --no-seat-policy, also tags,
    families, guarantees, a zone guarantee, special-education programs, held seats and
    reserved seats (reserves.csv). The files are ready for `lottery validate` and
    `lottery run`. The names and addresses are made up.

    A folder that already has files in it is refused unless --force: then programs.csv,
    applicants.csv, choices.csv and reserves.csv are replaced (or reserves.csv removed),
    priorities.csv and lottery.csv are removed (they would name the old applicants) and
    other files, such as policy.toml, are kept. --force works only on a city that synth
    wrote and nobody changed since (it keeps their checksums in .synthetic-city.json), so
    an office's real applicants.csv is never replaced.

    \b
    Example:
      lottery synth training-city --applicants 10000 --schools 40 --seed 1
      lottery run training-city --seed practice --out training-results
    """
    # A bar only where it helps: small cities are written in a blink.
    show_bar = applicants >= 100_000
    bar = click.progressbar(length=applicants, label="Writing the city", file=sys.stderr)
    with bar if show_bar else nullcontext():
        summary = generate_city(
            out_dir,
            applicants=applicants,
            schools=schools,
            max_choices=max_choices,
            seed=seed,
            force=force,
            grades=grades.split(",") if grades else None,
            seat_policy=seat_policy,
            progress=(lambda done, _total: bar.update(done - bar.pos)) if show_bar else None,
            say=_progress,
        )
    click.echo(f"Synthetic city written to {summary.out_dir}")
    click.echo(
        f"  schools:     {summary.schools} ({summary.charters} charter) in {summary.zones} zones"
    )
    click.echo(f"  programs:    {summary.programs} with {summary.seats} seats")
    click.echo(
        f"  applicants:  {summary.applicants} ({summary.with_siblings} with a sibling, "
        f"{summary.continuing} continuing, {summary.without_choices} ranked no program)"
    )
    click.echo(f"  choices:     {summary.choices} (at most {max_choices} per applicant)")
    if seat_policy:
        click.echo(
            f"  seat policy: {summary.families} families ({summary.linked_families} linked), "
            f"{summary.guaranteed} guaranteed, "
            f"{summary.reserves} reserves"
        )


@cli.group("seed", cls=LotteryGroup)
def seed_group() -> None:
    """Commit to a seed before the lottery, so that nobody can change it afterwards.

    \b
    Example:
      lottery seed commit 2026-spring
    """


@seed_group.command("commit")
@click.argument("seed_text", metavar="SEED")
def seed_commit(seed_text: str) -> None:
    """Print the seed commitment to publish before the lottery: the SHA-256 of SEED.

    The commitment is the SHA-256 of the seed's exact text (UTF-8, no line break),
    as 64 hexadecimal digits. Publish it before the lottery and keep the seed
    secret; run the lottery with `lottery run --seed SEED --seed-commitment HEX`,
    then reveal the seed so that anyone can check it against the commitment.

    \b
    Example:
      lottery seed commit 2026-spring
    """
    click.echo(seed_commitment(seed_text))
    click.echo(
        "Publish this SHA-256 of the seed before the lottery; after it, reveal the seed so "
        "anyone can check it with `lottery seed commit SEED`.",
        err=True,
    )


@cli.command()
@click.argument("applicant_id")
@click.option("--seed", required=True, help="The published seed of the lottery.")
@click.option(
    "--program",
    "program_id",
    help="For a multiple tie-break: the program whose number to show.",
)
@click.option(
    "--family",
    "family_id",
    help="The applicant's family_id (applicants.csv), for an applicant applying together "
    "with a linked family: also show the family's number, which orders the family first.",
)
def lookup(applicant_id: str, seed: str, program_id: str | None, family_id: str | None) -> None:
    """Show an applicant's lottery number and exactly how it is computed.

    Prints the text that is hashed, its SHA-256, the first 16 hexadecimal digits
    and their value as a decimal number: the lottery number (lower numbers win).
    With a multiple tie-break each program has its own number: add --program.
    Twins and other siblings applying together (link_family) are ordered by their
    family's number first, then by their own: add --family to see it too.
    See docs/lottery-numbers.md to do the same computation yourself.

    \b
    Example:
      lottery lookup --seed 2026-spring A0193
      lottery lookup --seed 2026-spring A0193 --program HILL-K
      lottery lookup --seed 2026-spring A0193 --family F0042
    """
    found = look_up_lottery_number(seed, applicant_id, program_id)
    family = look_up_family_number(seed, family_id, program_id) if family_id else None
    at = f" at {program_id}" if program_id else ""
    click.echo(f"Lottery number of {applicant_id}{at}: {found.number}")
    click.echo(f"  tie-break:        {found.tiebreak}")
    _echo_computation(found)
    if family is not None:
        click.echo(f"Family lottery number of {family_id}{at}: {family.number}")
        _echo_computation(family)
        click.echo("Schools order the members of a linked family by the family number first")
        click.echo("(lower first), then by their own numbers, so twins stay next to each other.")
    click.echo("To check it: compute the SHA-256 of the text exactly as shown (UTF-8, no line")
    click.echo("break at the end), keep its first 16 hexadecimal digits and convert them to a")
    click.echo("decimal number. On the command line (macOS: shasum -a 256):")
    click.echo(f"  {found.shell_command}")
    if family is not None:
        click.echo(f"  {family.shell_command}")
    click.echo("Lower numbers win; see docs/lottery-numbers.md for snippets in other languages.")


def _echo_computation(found: LotteryNumberLookup) -> None:
    click.echo(f"  text hashed:      {found.text}")
    click.echo(f"  SHA-256:          {found.digest}")
    click.echo(f"  first 16 digits:  {found.prefix}")
    click.echo(f"  as a decimal:     {found.number}")


@cli.command()
@click.argument("out_dir", type=FOLDER)
@click.option(
    "--inputs",
    "input_dir",
    type=FOLDER,
    help="The input folder of round 1 (the folder `lottery run` read), for a later "
    "round's folder too; not needed for an unpacked audit bundle.",
)
@click.pass_context
def audit(ctx: click.Context, out_dir: Path, input_dir: Path | None) -> None:
    """Rerun a finished lottery and compare its results byte for byte.

    Checks the files in INPUT_DIR against the SHA-256 checksums in OUT_DIR's
    manifest.json, reruns the lottery in a temporary folder with the seed the
    manifest records, and compares every output file with OUT_DIR's. For each file
    that differs, prints the first differing line of both. Exits with status 1 if
    anything differs. OUT_DIR may be an unpacked audit bundle; --inputs is then not
    needed.

    OUT_DIR may also be the folder of a later round (`lottery round`): every round
    from round 1 to it is then audited, each rerun from the round before; the folders
    of all rounds must be in one folder, and --inputs is round 1's input folder.

    \b
    Example:
      lottery audit results --inputs examples/city
      lottery audit unpacked-bundle
      lottery audit round-3 --inputs examples/city
    """
    summary = audit_results(out_dir, input_dir, progress=_progress)
    for line in summary.lines():
        click.echo(line)
    if not summary.reproduced:
        ctx.exit(1)


@cli.command()
@click.argument("out_dir", type=FOLDER)
@ROUND_INPUTS_OPTION
@click.option(
    "--certificate",
    "certificate_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to save the certificate as JSON [default: OUT_DIR/verification.json]; "
    "use it when OUT_DIR is read-only.",
)
@click.pass_context
def verify(
    ctx: click.Context, out_dir: Path, input_dir: Path | None, certificate_path: Path | None
) -> None:
    """Check a finished lottery's results against the rules, applicant by applicant.

    An independent checker, written apart from the matcher, recomputes every lottery
    number and priority from INPUT_DIR and checks OUT_DIR: every applicant placed at
    most once and only at a program they ranked, no program over its seats, nobody who
    lost a seat to someone with lower priority, no applicant left out while a program
    they preferred had an open seat, complete and correctly ordered waitlists, summary
    counts and cutoffs, and the manifest's checksums. Prints a certificate, writes
    OUT_DIR/verification.json, and exits with status 1 listing every violation found.
    For a later round's folder (`lottery round`) --inputs may be left out: the round's
    own input files (round-inputs/) are used.

    \b
    Example:
      lottery verify results --inputs examples/city
      lottery verify /mnt/archive/results --inputs city --certificate verification.json
      lottery verify round-2
    """
    path, note = certificate_destination(out_dir, certificate_path)
    if note:
        click.echo(f"note: {note}", err=True)
    verification = verify_outputs(out_dir, _run_inputs(out_dir, input_dir))
    for line in certificate_lines(verification):
        click.echo(line)
    if path is not None:
        write_verification(verification, path)
    if not verification.passed:
        ctx.exit(1)


@cli.command()
@click.argument("out_dir", type=FOLDER)
@ROUND_INPUTS_OPTION
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The office's name, contact details, response deadline and how to accept "
    "[default: letters.toml in the round-1 input folder, if there is one].",
)
@click.option(
    "--templates",
    "templates_dir",
    type=FOLDER,
    help="A folder of edited letter files: the layout letter.html and wording files "
    "(en.toml, es.toml, ...), or whole letters (en.html); what it lacks is shipped.",
)
@click.option(
    "--letters-dir",
    type=FOLDER,
    help="Where to write the letters [default: OUT_DIR/letters]; use it when OUT_DIR is read-only.",
)
@click.option(
    "--changed-only",
    is_flag=True,
    help="For a later round: letters only for the applicants whose situation it changed "
    "(moves, new offers, withdrawals, new lists, late applications; refused for round 1).",
)
def letters(
    out_dir: Path,
    input_dir: Path | None,
    config_path: Path | None,
    templates_dir: Path | None,
    letters_dir: Path | None,
    changed_only: bool,
) -> None:
    """Write a placement letter for every applicant, as PDF and HTML.

    Each family gets a letter in its language (English, Spanish and Portuguese are
    shipped; other languages get English with a note that translations are available
    on request): the result, every school they ranked with its result, waitlist
    position, their priority and the school's cutoff, their lottery number with how to
    check it against the published seed, and next steps. Written into OUT_DIR/letters:
    <applicant_id>.pdf and <applicant_id>.html for each applicant, and all-letters.pdf,
    every letter sorted by zone, then address, for printing and mailing. Letters
    written earlier into OUT_DIR/letters are replaced. OUT_DIR is checked first as
    `lottery verify` checks it: letters are never written from results that do not
    pass. After a later round (`lottery round`), each letter says what happened in that
    round (new or improved offer, transfer, decline, withdrawal, no change);
    --changed-only writes letters only for the applicants whose situation the round
    changed, and nothing at all if there are none. See docs/letters.md.

    \b
    Example:
      lottery letters results --inputs examples/city
      lottery letters results --inputs examples/city --config letters.toml \\
        --templates my-templates
      lottery letters round-2 --inputs examples/city --changed-only
    """
    # Imported here, not at the top: fpdf2, pypdf and fonttools would add about 0.3 s to
    # the start of every other command.
    from lottery.publish.letters import generate_letters

    with ExitStack() as stack:
        bar = None

        def progress(done: int, total: int) -> None:
            # The bar appears once the files are checked, so errors print on their own.
            nonlocal bar
            if bar is None:
                bar = stack.enter_context(
                    click.progressbar(length=total, label="Writing letters", file=sys.stderr)
                )
            bar.update(done - bar.pos)

        summary = generate_letters(
            out_dir,
            input_dir,
            config_path,
            templates_dir,
            progress=progress,
            letters_dir=letters_dir,
            say=_progress,
            changed_only=changed_only,
        )
    if summary.note:
        click.echo(f"note: {summary.note}", err=True)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    if summary.changed_only and not summary.letters:
        round_name = f"round {summary.round}" if summary.round is not None else "this round"
        click.echo(f"No applicant's situation changed in {round_name}: no letters written.")
        return
    click.echo(f"Letters written to {summary.letters_dir}")
    click.echo(f"  letters:    {summary.letters} ({summary.pages} pages in all-letters.pdf)")
    if summary.round is not None:
        which = (
            "the applicants whose situation changed" if summary.changed_only else "every applicant"
        )
        click.echo(
            f"  round:      {summary.round}: letters for {which} "
            f"({summary.letters} of {summary.applicants})"
        )
    if summary.languages:
        languages = ", ".join(f"{n} {code}" for code, n in summary.languages.items())
        click.echo(f"  languages:  {languages}")
    if summary.fallback:
        asked = ", ".join(f"{n} {code}" for code, n in summary.fallback.items())
        click.echo(f"  in English with a note (no wording for): {asked}")
    click.echo(f"  office:     {summary.config_file or '(no letters.toml)'}")


@cli.command()
@click.argument("out_dir", type=FOLDER)
@ROUND_INPUTS_OPTION
@click.option(
    "--public",
    is_flag=True,
    help="For publishing: no applicant IDs or per-applicant rows, small counts suppressed.",
)
@click.option(
    "--threshold",
    type=click.IntRange(min=1),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="With --public: counts below this are shown as <N.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the page [default: OUT_DIR/report.html, or report-public.html "
    "with --public]; use it when OUT_DIR is read-only.",
)
def report(
    out_dir: Path, input_dir: Path | None, public: bool, threshold: int, output: Path | None
) -> None:
    """Write OUT_DIR/report.html (report-public.html with --public): the results page.

    One self-contained page (it opens offline and prints well) with charts: which
    choice applicants got, overall and by grade; first-choice demand against seats at
    every program; charter and district programs side by side on the same measures;
    outcomes by priority, home zone and applicant group; and each program's cutoff.
    The office version, for the office and its board, lists unplaced applicants by ID.
    With --public it is written to OUT_DIR/report-public.html instead, for publishing:
    no applicant-level data, and every count below the threshold shown as "<10".
    For a later round's folder (`lottery round`) the page also shows the round's moves
    and the offers to make, and --inputs may be left out (round-inputs/ is used).
    OUT_DIR is checked first as `lottery verify` checks it, and refused if it does not
    pass.

    \b
    Example:
      lottery report results --inputs examples/city
      lottery report results --inputs examples/city --public
      lottery report round-2
    """
    inputs = _run_inputs(out_dir, input_dir)
    path = write_report(out_dir, inputs, public=public, threshold=threshold, output=output)
    click.echo(f"Report written to {path}")


@cli.command("audit-bundle")
@click.argument("out_dir", type=FOLDER)
@click.argument("bundle_path", metavar="BUNDLE.zip", type=click.Path(path_type=Path))
@INPUTS_OPTION
def audit_bundle(out_dir: Path, bundle_path: Path, input_dir: Path) -> None:
    """Write a zip with what an auditor needs, without names or addresses.

    The zip holds the run's input files (in applicants.csv, first_name, last_name,
    guardian_name and address are replaced by "-"), its results and manifest, and
    bundle.json, which records what was redacted. Names and addresses never affect
    placements, so `lottery audit` on the unpacked bundle reproduces the results.

    \b
    Example:
      lottery audit-bundle results --inputs examples/city audit-2026.zip
    """
    summary = write_audit_bundle(out_dir, input_dir, bundle_path, say=_progress)
    click.echo(f"Audit bundle written to {summary.path}")
    click.echo(f"  files:     {len(summary.entries)}")
    redacted = ", ".join(summary.redacted_columns) or "(none)"
    click.echo(f"  redacted:  {redacted} in {summary.redacted_rows} rows of applicants.csv")
    click.echo("Unpack it and run `lottery audit FOLDER` to check it.")


def _stop_cleanly(signum: int, _frame) -> None:
    """On SIGTERM, SIGHUP or Ctrl-C: remove unfinished files and end at once.

    Nothing is raised: an exception raised from a signal handler can land in a callback
    from compiled code (numba), where Python ignores it and the command carries on.
    Worker processes (letters) just end; the main process stops them.
    """
    signal.signal(signum, signal.SIG_DFL)  # a second signal ends the process at once
    if os.getpid() != _MAIN_PID:
        os.kill(os.getpid(), signum)
        return
    for child in multiprocessing.active_children():
        child.kill()
    undo_unfinished_work()
    name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    # Not "nothing was written": the signal may come just after the results moved in.
    click.echo(f"Stopped by {name}: unfinished files were removed.", err=True)
    sys.stderr.flush()
    os._exit(128 + signum)


_MAIN_PID = os.getpid()


def main() -> None:
    """Console-script entry point."""
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    for signum in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, _stop_cleanly)
    sys.exit(cli.main(prog_name="lottery"))
