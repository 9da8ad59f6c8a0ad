"""``Table.rows_of`` finds a few applicants' rows without making a dict of every row (a
million applicants' choice_results.csv). It must give the rows reading every row gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from lottery.audit.verify.evidence import Table

COLUMNS = ("applicant_id", "rank", "priority")
PLAIN = "applicant_id,rank,priority\nA1,1,zone\nA10,1,general\nA2,1,zone\nA2,2,sibling\nA3,1,x\n"


def every_row_kept(table: Table, wanted: set[str]) -> list[dict[str, str]]:
    return [row for row in table.rows if row["applicant_id"] in wanted]


@pytest.mark.parametrize(
    "text",
    [
        PLAIN,
        PLAIN.rstrip("\n"),  # no newline after the last row
        PLAIN + "A2,3\n",  # a row of the wrong length is not a row
        PLAIN.replace("A3,1,x", 'A3,1,"x"'),  # quoted: read row by row
        "rank,applicant_id,priority\n1,A2,zone\n2,A1,sibling\n",  # another column order
        PLAIN + "A1,2,again\n",  # out of order: every row of the applicant, in file order
    ],
)
@pytest.mark.parametrize("wanted", [set(), {"A1"}, {"A2", "A3"}, {"A1", "A9"}])
def test_rows_of_are_the_rows_reading_every_row_gives(text, wanted):
    table = Table(Path("choice_results.csv"), COLUMNS, (), text)
    assert table.rows_of("applicant_id", wanted) == every_row_kept(table, wanted)
