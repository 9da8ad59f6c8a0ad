"""choices.csv: its name, its columns and its checks (duplicate ranks and programs, grades
that do not match, gaps in an applicant's ranks)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lottery.city import Applicants, Choices, Programs
from lottery.io.csv_tables import ProblemLog, Table
from lottery.io.input_cells import GRADES, lookup_ids, read_integers, require_filled

CHOICES_FILE = "choices.csv"
CHOICE_COLUMNS = (("applicant_id", "rank", "program_id"), ())


def read_choices(
    table: Table, programs: Programs, applicants: Applicants, log: ProblemLog
) -> Choices:
    """The ranked choices as indices, sorted by (applicant, rank)."""
    applicant = lookup_ids(table, "applicant_id", applicants.id, "applicant", log)
    require_filled(table, "applicant_id", log)
    program = lookup_ids(table, "program_id", programs.id, "program", log)
    require_filled(table, "program_id", log)
    rank = read_integers(table, "rank", log, 1, "a rank (1 = most preferred)")
    known = (applicant >= 0) & (program >= 0) & (rank >= 1)
    rows = np.arange(len(table), dtype=np.int64)
    app_ids, prog_ids = applicants.id, programs.id
    # One int64 key per (applicant, rank) and per (applicant, program): hashing single
    # integer columns is what keeps this fast for millions of choices.
    rank_span = int(rank.max()) + 1 if len(rank) else 1
    rank_key = applicant * rank_span + rank
    program_key = applicant * max(len(prog_ids), 1) + program
    if known.all() and np.all(rank_key[1:] > rank_key[:-1]):
        repeated_rank = np.zeros(len(table), dtype=bool)  # sorted and strictly increasing
    else:
        repeated_rank = known & _repeated(np.where(known, rank_key, -1 - rows))
    repeated_program = known & ~repeated_rank & _repeated(np.where(known, program_key, -1 - rows))
    log.add_rows(
        table,
        repeated_rank,
        "rank",
        lambda r: f'applicant "{app_ids[applicant[r]]}" uses rank {rank[r]} twice',
    )
    log.add_rows(
        table,
        repeated_program,
        "program_id",
        lambda r: (
            f'applicant "{app_ids[applicant[r]]}" ranks program "{prog_ids[program[r]]}" twice'
        ),
    )

    # An invalid grade was reported where it is written, not again for every choice.
    grades = pd.Index(GRADES)
    applicant_grade = grades.get_indexer(applicants.grade)
    program_grade = grades.get_indexer(programs.grade)
    wrong_grade = known.copy()
    wrong_grade[known] = (
        (applicant_grade[applicant[known]] >= 0)
        & (program_grade[program[known]] >= 0)
        & (applicant_grade[applicant[known]] != program_grade[program[known]])
    )
    log.add_rows(
        table,
        wrong_grade,
        "program_id",
        lambda r: (
            f'program "{prog_ids[program[r]]}" is for grade {programs.grade[program[r]]} '
            "but applicant "
            f'"{app_ids[applicant[r]]}" applies for grade {applicants.grade[applicant[r]]}'
        ),
    )
    _check_rank_gaps(table, applicant, rank, rank_key, rank_span, app_ids, log)

    order = (
        np.arange(len(table))
        if np.all(rank_key[1:] > rank_key[:-1])
        else np.argsort(rank_key, kind="stable")
    )
    return Choices(
        applicant=applicant[order],
        rank=rank[order],
        program=program[order],
        line=table.lines[order],
    )


def _repeated(keys: np.ndarray) -> np.ndarray:
    """Mask of entries whose key appeared earlier."""
    ordered = np.sort(keys)  # sorting integers beats hashing them; most files repeat none
    if not np.any(ordered[1:] == ordered[:-1]):
        return np.zeros(len(keys), dtype=bool)
    return pd.Series(keys).duplicated(keep="first").to_numpy(copy=True)


def _check_rank_gaps(table, applicant, rank, rank_key, rank_span, app_ids, log) -> None:
    """Ranks of one applicant must be exactly 1..k.

    An unknown program does not make a gap; an applicant with an unreadable rank
    (reported already) is not reported again.
    """
    unreadable = np.unique(applicant[(applicant >= 0) & (rank < 1)])
    considered = (applicant >= 0) & ~np.isin(applicant, unreadable)
    distinct = np.sort(rank_key[considered])
    distinct = distinct[np.r_[True, distinct[1:] != distinct[:-1]]] if len(distinct) else distinct
    owner = distinct // rank_span
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else owner
    count = np.diff(np.r_[first, len(owner)])
    highest = (distinct % rank_span)[first + count - 1]
    gappy = owner[first][highest != count]
    if not len(gappy):
        return
    first_row = pd.Series(np.arange(len(table))[considered]).groupby(applicant[considered]).min()
    mask = np.zeros(len(table), dtype=bool)
    mask[first_row.loc[gappy].to_numpy()] = True

    def message(row: int) -> str:
        ranks = sorted(set(rank[applicant == applicant[row]].tolist()))
        return (
            f'applicant "{app_ids[applicant[row]]}" has ranks {", ".join(map(str, ranks))}; '
            "ranks must run 1, 2, 3, ... without gaps"
        )

    log.add_rows(table, mask, "rank", message)
