"""lottery.csv (lottery numbers drawn outside the engine): its name, columns and checks,
including that every ranked choice has a number."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lottery.city import ExternalLottery
from lottery.errors import shown
from lottery.io.applicants_file import APPLICANTS_FILE
from lottery.io.choices_file import CHOICES_FILE
from lottery.io.input_cells import lookup_ids, require_filled
from lottery.sorted_pairs import contains_sorted, pair_keys

LOTTERY_FILE = "lottery.csv"
LOTTERY_COLUMNS = (("applicant_id", "lottery_number"), ("program_id",))
MAX_LOTTERY_NUMBER = 2**64 - 1


def read_external_lottery(table, programs, applicants, choices, log) -> ExternalLottery:
    """The given lottery numbers; a problem for each ranked choice without one."""
    applicant = lookup_ids(table, "applicant_id", applicants.id, "applicant", log)
    require_filled(table, "applicant_id", log)
    program = lookup_ids(table, "program_id", programs.id, "program", log)
    text = table.frame["lottery_number"]
    ok = text.str.fullmatch(r"[0-9]{1,20}").to_numpy(dtype=bool, copy=True)
    numbers = np.zeros(len(table), dtype=np.uint64)
    if ok.any():
        as_int = [int(v) for v in text[ok]]
        fits = np.array([v <= MAX_LOTTERY_NUMBER for v in as_int], dtype=bool)
        ok[np.flatnonzero(ok)[~fits]] = False
        numbers[ok] = np.array([v for v, f in zip(as_int, fits, strict=True) if f], dtype=np.uint64)
    cells = text.to_numpy(dtype=object)
    log.add_rows(
        table,
        ~ok,
        "lottery_number",
        lambda r: (
            f'"{shown(cells[r])}" is not a lottery number (a whole number from 0 to '
            f"{MAX_LOTTERY_NUMBER})"
        ),
    )
    pairs = pd.DataFrame({"a": applicant, "p": program})
    repeated = (pairs.duplicated(keep="first") & (applicant >= 0)).to_numpy()
    log.add_rows(
        table, repeated, "applicant_id", "this applicant (and program) already has a lottery number"
    )
    per_program = bool((program >= 0).any() or (table.column("program_id") != "").any())

    has_default = np.zeros(len(applicants.id), dtype=bool)
    has_default[
        applicant[(applicant >= 0) & (program < 0) & (table.column("program_id") == "")]
    ] = True
    if not per_program:
        missing = np.flatnonzero(~has_default)
        log.add_each(
            APPLICANTS_FILE,
            applicants.line[missing],
            "applicant_id",
            lambda i: f'applicant "{applicants.id[missing[i]]}" has no row in {LOTTERY_FILE}',
        )
    else:
        n_programs = len(programs.id)
        specific = (applicant >= 0) & (program >= 0)
        given = np.unique(pair_keys(applicant[specific], program[specific], n_programs))
        ranked = pair_keys(choices.applicant, choices.program, n_programs)
        missing = np.flatnonzero(~has_default[choices.applicant] & ~contains_sorted(given, ranked))
        log.add_each(
            CHOICES_FILE,
            choices.line[missing],
            "program_id",
            lambda i: (
                f"no lottery number in {LOTTERY_FILE} for applicant "
                f'"{applicants.id[choices.applicant[missing[i]]]}" '
                f'at program "{programs.id[choices.program[missing[i]]]}"'
            ),
        )
        unranked = int((~contains_sorted(np.sort(ranked), given)).sum())
        if unranked:
            log.warn(
                f"{LOTTERY_FILE}: {unranked} row(s) give a number at a program the applicant "
                "did not rank; they have no effect"
            )
    keep = applicant >= 0
    order = np.lexsort((program[keep], applicant[keep]))
    return ExternalLottery(
        applicant=applicant[keep][order],
        program=program[keep][order],
        number=numbers[keep][order],
        per_program=per_program,
    )
