"""The ``lottery`` command: options in, one library call, plain-English output.

Only :class:`~lottery.errors.LotteryError` is caught here; it is printed line by line
to standard error and the command exits with the error's status (2 for bad input or
usage, 1 for a matching error). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lottery import __version__
from lottery.engine import run_lottery, validate_input
from lottery.errors import LotteryError

FOLDER = click.Path(path_type=Path, file_okay=False)


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
@click.option("--out", "out_dir", type=FOLDER, required=True, help="Folder to write the results into (must be new or empty).")
@click.option("--force", is_flag=True, help="Replace an output folder that already has files in it.")
def run(input_dir: Path, seed: str | None, out_dir: Path, force: bool) -> None:
    """Run the lottery on INPUT_DIR and write placements, waitlists and a summary.

    INPUT_DIR holds programs.csv, applicants.csv and choices.csv, and optionally
    priorities.csv, lottery.csv and policy.toml (see docs/file-formats.md).
    The results are written to a new folder, all at once: if anything goes wrong,
    nothing is written.

    \b
    Example:
      lottery run examples/city --seed 2026-spring --out results
    """
    report = run_lottery(input_dir, out_dir, seed, force=force, progress=_progress)
    counts = report.counts
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Results written to {report.out_dir}")
    click.echo(f"  applicants:        {counts['applicants']}")
    click.echo(f"  placed:            {counts['placed']} ({counts['placed_first_choice']} at their first choice)")
    click.echo(f"  unplaced:          {counts['unplaced']} ({counts['applicants_without_choices']} ranked no program)")
    click.echo(f"  seats:             {counts['seats']} in {counts['programs']} programs")
    click.echo(f"  waitlist entries:  {counts['waitlist_entries']}")


@cli.command()
@click.argument("input_dir", type=FOLDER)
def validate(input_dir: Path) -> None:
    """Check the files in INPUT_DIR without running the lottery.

    Lists every problem (file, line, column) and exits with status 2 if there is any;
    otherwise prints counts and warnings such as programs nobody ranked, applicants
    with no choices and over-subscribed grades.

    \b
    Example:
      lottery validate examples/city
    """
    report = validate_input(input_dir)
    click.echo(f"{input_dir}: the input files are valid.")
    for name, value in report.counts.items():
        click.echo(f"  {name + ':':<12} {value}")
    click.echo("  grade  applicants  seats")
    for row in report.grades:
        click.echo(f"  {row['grade']:<5}  {row['applicants']:>10}  {row['seats']:>5}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(prog_name="lottery"))
