"""priorities.csv (priorities computed outside the engine): its name, columns and checks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lottery.city import ExplicitPriorities
from lottery.io.input_cells import lookup_ids, read_integers, require_filled

PRIORITIES_FILE = "priorities.csv"
PRIORITY_COLUMNS = (("applicant_id", "program_id", "priority"), ())


def read_explicit_priorities(table, programs, applicants, log) -> ExplicitPriorities:
    """The given priorities as indices, sorted by (applicant, program)."""
    applicant = lookup_ids(table, "applicant_id", applicants.id, "applicant", log)
    require_filled(table, "applicant_id", log)
    program = lookup_ids(table, "program_id", programs.id, "program", log)
    require_filled(table, "program_id", log)
    priority = read_integers(table, "priority", log, 1, "a priority (a whole number, 1 = highest)")
    pairs = pd.DataFrame({"a": applicant, "p": program})
    repeated = (pairs.duplicated(keep="first") & (applicant >= 0) & (program >= 0)).to_numpy()
    log.add_rows(
        table, repeated, "program_id", "a priority for this applicant and program was already given"
    )
    order = np.lexsort((program, applicant))
    return ExplicitPriorities(
        applicant=applicant[order],
        program=program[order],
        priority=priority[order],
        line=table.lines[order],
    )
