"""The city's folder: drawing and writing its files in chunks, and the
``.synthetic-city.json`` record that lets ``force`` replace only a city synth wrote.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from lottery.errors import UsageError
from lottery.io.csv_tables import file_sha256
from lottery.io.inputs import (
    APPLICANTS_FILE,
    CHOICES_FILE,
    LOTTERY_FILE,
    PRIORITIES_FILE,
    PROGRAMS_FILE,
    RESERVES_FILE,
)
from lottery.synth.applicants import Applicants
from lottery.synth.choices import choice_urns, rank_lists
from lottery.synth.parameters import (
    CHUNK,
)
from lottery.synth.schools import Programs, Schools, SeatPolicy
from lottery.synth.seats import held_seats, program_seats, reserves_table, zone_guarantee_seats
from lottery.synth.tables import applicant_rows, program_rows, with_program_policy

Progress = Callable[[int, int], None]


CITY_FILES = (PROGRAMS_FILE, APPLICANTS_FILE, CHOICES_FILE, RESERVES_FILE)
"""Files a city may have; ``force`` replaces them (and removes those the new city lacks)."""
SYNTH_RECORD = ".synthetic-city.json"
"""The SHA-256 of each city file synth wrote: ``force`` replaces only those, unchanged."""
STALE_FILES = (PRIORITIES_FILE, LOTTERY_FILE)
"""Files that name applicants of the city being replaced, so ``force`` removes them."""


def write_city(
    folder: Path,
    rng: np.random.Generator,
    city: Schools,
    programs: Programs,
    people: Applicants,
    max_choices: int,
    progress: Progress | None,
    policy: SeatPolicy | None = None,
) -> tuple[int, np.ndarray, int]:
    """Draw lists chunk by chunk, writing applicants and choices as they come; then seats.

    Returns the number of choices written, the seats of each program and the number of
    reserves written.
    """
    n = len(people.id)
    urns, zones = choice_urns(city, programs), len(city.zone_codes)
    stays = np.zeros(len(programs.id), dtype=np.int64)
    first_demand = np.zeros(len(programs.id), dtype=np.int64)
    choices = 0
    options = {"index": False, "lineterminator": "\n"}
    with (
        open(folder / APPLICANTS_FILE, "w", encoding="utf-8", newline="") as applicants_csv,
        open(folder / CHOICES_FILE, "w", encoding="utf-8", newline="") as choices_csv,
    ):
        for start in range(0, n, CHUNK):
            rows = np.arange(start, min(start + CHUNK, n))
            who, rank, program = rank_lists(rng, people, rows, urns, zones, max_choices, programs)
            header = start == 0
            applicant_rows(people, rows, city, programs).to_csv(
                applicants_csv, header=header, **options
            )
            pd.DataFrame(
                {"applicant_id": people.id[who], "rank": rank, "program_id": programs.id[program]}
            ).to_csv(choices_csv, header=header, **options)
            staying = people.continuing_program[who] == program
            stays += np.bincount(program[staying], minlength=len(stays))
            if people.guaranteed is not None:
                # A guarantee is a continuing seat too, whether or not it was ranked.
                guaranteed = people.guaranteed[rows]
                ranks_it = np.zeros(len(rows), dtype=bool)
                ranks_it[who[staying] - start] = True
                extra = (guaranteed >= 0) & ~ranks_it
                stays += np.bincount(guaranteed[extra], minlength=len(stays))
            first_demand += np.bincount(program[rank == 1], minlength=len(stays))
            choices += len(who)
            if progress is not None:
                progress(start + len(rows), n)
    seats = program_seats(rng, city, programs, people, first_demand, stays)
    reserves = 0
    if policy is None:
        table = program_rows(city, programs, seats)
    else:
        seats = zone_guarantee_seats(city, programs, seats, people)
        held = held_seats(policy.rng, programs, seats, people)
        table = program_rows(city, programs, seats)
        table = with_program_policy(table, city, programs, held, policy.map)
        reserve_rows = reserves_table(policy.rng, city, programs, seats - held)
        reserve_rows.to_csv(folder / RESERVES_FILE, **options)
        reserves = len(reserve_rows)
    table.loc[programs.in_lottery].to_csv(folder / PROGRAMS_FILE, **options)
    return choices, seats, reserves


def check_out_dir(out_dir: Path, force: bool) -> None:
    """Refuse a file, or a folder with files in it unless ``force`` and synth's own city."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir} is a file, not a folder.")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not force:
            raise UsageError(
                f"The folder {out_dir} already has files in it. Choose a new folder, or add "
                "--force to replace its programs.csv, applicants.csv and choices.csv."
            )
        check_synthetic(out_dir)


def write_record(folder: Path) -> None:
    """Record the SHA-256 of every city file written, so that ``force`` can tell later
    that the folder still holds a synthetic city and nobody's real applicants."""
    files = {name: file_sha256(folder / name) for name in CITY_FILES if (folder / name).exists()}
    record = {"written_by": "lottery synth", "files": files}
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    (folder / SYNTH_RECORD).write_text(text, encoding="utf-8")


def check_synthetic(out_dir: Path) -> None:
    """Refuse ``force`` unless the city files in ``out_dir`` are still exactly synth's."""
    try:
        record = json.loads((out_dir / SYNTH_RECORD).read_text(encoding="utf-8"))
        files = record["files"]
    except (OSError, ValueError, KeyError, TypeError):
        files = None
    present = [name for name in CITY_FILES if (out_dir / name).exists()]
    if not isinstance(files, dict):
        changed = present
    else:
        changed = [
            name
            for name in present
            if name not in files or file_sha256(out_dir / name) != files[name]
        ]
    if changed:
        raise UsageError(
            f"--force replaces only a city that lottery synth wrote, and in {out_dir} "
            f"{', '.join(changed)} {'was' if len(changed) == 1 else 'were'} not written by "
            "it (or changed since): they could be real applicants' files. Nothing was "
            "replaced: choose a new folder."
        )


def replace_city_files(staging: Path, out_dir: Path) -> None:
    """Make the finished files the city of an existing folder (--force), file by file."""
    for name in STALE_FILES:
        (out_dir / name).unlink(missing_ok=True)
    for name in (*CITY_FILES, SYNTH_RECORD):
        if (staging / name).exists():
            os.replace(staging / name, out_dir / name)
        else:  # a plain city has no reserves.csv: an old one would name the old programs
            (out_dir / name).unlink(missing_ok=True)
