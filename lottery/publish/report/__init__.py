"""The results report: one self-contained HTML page for the office, its board and the public.

``write_report`` reads a results folder (``lottery.io.results_folder``) and the input
folder of the same run, works out aggregate tables, draws charts with matplotlib as
inline SVG, and renders ``templates/report.html.j2`` (beside this file) into
``report.html``. The page needs nothing else: no scripts, fonts or images from
elsewhere, so it opens offline and prints as it looks.

Steps, one module each:

1. Read the results and the inputs; refuse inputs whose checksums differ from the ones
   the run's ``manifest.json`` records (the report would describe another run), and
   results that ``lottery verify`` does not certify.
2. Join them into one row per applicant and one row per choice the match reached
   (``facts``).
3. Aggregate those rows into the report's sections (``sections``). With ``public=True``
   every count below ``threshold`` is shown as ``<10``, and so is every share, ratio or
   chart bar built from such a count, and no applicant is named (``suppression``).
4. Draw the charts from the same (possibly suppressed) tables (``charts``) and render the
   page (``page``).

Same inputs, same bytes: rows are sorted, the SVGs carry no date and use a fixed font
and fixed IDs, and the page holds no time or path.
"""

from __future__ import annotations

from pathlib import Path

from lottery.audit.verify import require_verified
from lottery.errors import UsageError
from lottery.io.atomic import check_can_write, write_file_atomically
from lottery.io.inputs import read_input_folder
from lottery.io.outputs import PUBLIC_REPORT, REPORT
from lottery.io.results_folder import check_overwritable, read_results_folder, run_inputs
from lottery.publish.report.page import render_page
from lottery.publish.report.sections import build_report
from lottery.publish.report.suppression import DEFAULT_THRESHOLD, Formatter, hidden_parts

__all__ = ["DEFAULT_THRESHOLD", "Formatter", "hidden_parts", "write_report"]


def write_report(
    out_dir: Path,
    input_dir: Path | None,
    public: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    output: Path | None = None,
) -> Path:
    """Write ``report.html`` into the results folder ``out_dir`` (or to ``output``, for a
    read-only results folder); return its path.

    Parameters
    ----------
    out_dir
        A folder written by ``lottery run``, or by ``lottery round`` (the page then also
        shows the round's moves and the offers to make).
    input_dir
        The input folder of that run (for grades, home zones and ranked lists): for a
        later round's folder the round-1 input folder, the round's ``round-inputs/`` or
        None, which all mean ``round-inputs/``
        (:func:`~lottery.io.results_folder.run_inputs`).
    public
        Leave out everything about single applicants and show counts below
        ``threshold`` as ``<threshold``, for publishing.
    threshold
        The smallest count shown in a public report (at least 1).

    Raises
    ------
    UsageError
        If ``out_dir`` is not a results folder or ``threshold`` is below 1.
    InputError
        If a results file is missing or changed, the input files are not the ones the
        run used, or they have problems.
    """
    if threshold < 1:
        raise UsageError(f"The threshold must be 1 or more, not {threshold}.")
    default = Path(out_dir) / (PUBLIC_REPORT if public else REPORT)
    path = Path(output) if output else default
    if output is not None:
        check_overwritable(path, REPORT)
    check_can_write(path, option="--output")
    inputs = run_inputs(out_dir, input_dir).folder
    results = read_results_folder(out_dir, inputs)  # also checks the inputs are the run's
    require_verified(out_dir, inputs, "lottery report")
    city = read_input_folder(inputs)
    html = render_page(build_report(results, city, public=public, threshold=threshold))
    write_file_atomically(path, html.encode("utf-8"))
    return path
