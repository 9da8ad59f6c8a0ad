"""The results report: valid, complete, reproducible, and safe to publish with --public.

The example city is run once per module; the office and public reports are written into
two copies of its results folder.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lottery.engine import run_lottery
from lottery.errors import InputError, UsageError
from lottery.report import Formatter, hidden_parts, write_report

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "city"
THRESHOLD = 10
VOID = {"meta", "br", "hr", "img", "input", "link", "source", "wbr", "col", "area", "base"}
NUMBER = re.compile(r"^[0-9][0-9,]*$")


class Page(HTMLParser):
    """Checks that every element is closed in order; collects cells and headline cards."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.cells: list[tuple[str, str]] = []  # (class, text) of every td and th
        self.cards: dict[str, str] = {}
        self.svgs = 0
        self._cell: list[str] | None = None
        self._cell_class = ""
        self._div: str | None = None
        self._label = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.svgs += 1
        if tag not in VOID:
            self.stack.append(tag)
        if tag in ("td", "th"):
            self._cell, self._cell_class = [], attrs.get("class") or ""
        if tag == "div" and attrs.get("class") in ("label", "value"):
            self._div = attrs["class"]

    def handle_startendtag(self, tag, attrs):
        pass  # <path ... /> in SVG: opened and closed at once

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append((self._cell_class, "".join(self._cell).strip()))
            self._cell = None
        if tag == "div":
            self._div = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._div == "label":
            self._label = data.strip()
        elif self._div == "value":
            self.cards[self._label] = data.strip()


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "results"
    run_lottery(EXAMPLE, out, "2026-spring")
    return out


@pytest.fixture(scope="module")
def office(results, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("office") / "results"
    shutil.copytree(results, folder)
    return write_report(folder, EXAMPLE)


@pytest.fixture(scope="module")
def public(results, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("public") / "results"
    shutil.copytree(results, folder)
    return write_report(folder, EXAMPLE, public=True, threshold=THRESHOLD)


def test_report_is_written_into_the_results_folder(office, public):
    assert office.name == "report.html"
    assert public.name == "report-public.html"  # both versions can sit side by side
    assert (office.parent / "manifest.json").is_file()


@pytest.mark.parametrize("which", ["office", "public"])
def test_report_is_well_formed_html(which, request):
    page = parse(request.getfixturevalue(which))
    assert page.errors == []
    assert page.stack == []


@pytest.mark.parametrize("which", ["office", "public"])
def test_report_names_every_program(which, request):
    page = parse(request.getfixturevalue(which))
    shown = {text for _, text in page.cells}
    for program in rows(EXAMPLE / "programs.csv"):
        assert program["program_id"] in shown


def test_report_totals_match_placements(office, results):
    placements = rows(results / "placements.csv")
    placed = sum(row["status"] == "placed" for row in placements)
    first = sum(row["choice_rank"] == "1" for row in placements)
    cards = parse(office).cards
    assert cards["Applicants"] == f"{len(placements):,}"
    assert cards["Placed"] == f"{placed:,}"
    assert cards["Unplaced"] == f"{len(placements) - placed:,}"
    assert cards["At their first choice"] == f"{first:,}"


@pytest.mark.parametrize("which", ["office", "public"])
def test_charts_are_inline_svg_and_nothing_is_fetched(which, request):
    path = request.getfixturevalue(which)
    text = path.read_text(encoding="utf-8")
    assert parse(path).svgs >= 5
    assert "<img" not in text and "<script" not in text and "<link" not in text
    assert not re.search(r'(src|href)="(?!#)', text.replace('xlink:href="#', ""))
    assert "url(http" not in text


@pytest.mark.parametrize("public_", [False, True])
def test_report_is_byte_identical_on_rerun(results, tmp_path, public_):
    written = []
    for name in ("first", "second"):
        folder = tmp_path / name
        shutil.copytree(results, folder)
        written.append(write_report(folder, EXAMPLE, public=public_).read_bytes())
    assert written[0] == written[1]


def test_office_report_lists_unplaced_applicants(office, results):
    text = office.read_text(encoding="utf-8")
    unplaced = [
        r["applicant_id"] for r in rows(results / "placements.csv") if r["status"] != "placed"
    ]
    assert unplaced
    assert all(f">{aid}<" in text for aid in unplaced)


def test_public_report_has_no_applicant_id(public):
    text = public.read_text(encoding="utf-8")
    leaked = [
        r["applicant_id"] for r in rows(EXAMPLE / "applicants.csv") if r["applicant_id"] in text
    ]
    assert leaked == []


def test_public_report_shows_no_count_below_the_threshold(public):
    page = parse(public)
    counts = [text for kind, text in page.cells if kind == "n"]
    assert f"<{THRESHOLD}" in counts  # the example city has small counts to suppress
    for text in counts:
        assert text in (f"<{THRESHOLD}", "*") or int(text.replace(",", "")) >= THRESHOLD
    # Numbers outside count cells are lottery ranks, ratios or grades, never counts.
    stray = [(kind, text) for kind, text in page.cells if NUMBER.match(text)]
    assert {kind for kind, _ in stray} <= {"n", "rank", "grade"}
    for value in page.cards.values():
        assert value == f"<{THRESHOLD}" or int(value.replace(",", "")) >= THRESHOLD


def test_public_report_says_small_counts_are_suppressed(public):
    assert "small counts are suppressed" in public.read_text(encoding="utf-8")


def test_one_hidden_part_of_a_total_hides_the_smallest_other_part():
    fmt = Formatter(public=True, threshold=10)
    assert hidden_parts([50, 3, 40], fmt) == [False, True, True]
    assert hidden_parts([50, 3, 4], fmt) == [False, True, True]
    assert hidden_parts([50, 30], fmt) == [False, False]
    assert hidden_parts([3, 4], Formatter(public=False, threshold=10)) == [False, False]
    assert fmt.count(40, hidden=True) == "*" and fmt.count(3) == "<10"


def test_inputs_of_another_run_are_refused(results, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(EXAMPLE, other)
    with (other / "programs.csv").open("a", encoding="utf-8") as stream:
        stream.write("S099-K,S099,New School,district,K,5,\n")
    with pytest.raises(InputError) as raised:
        write_report(results, other)
    assert [(p.file, p.message.split(" (")[0]) for p in raised.value.problems] == [
        ("programs.csv", f"the file in {other} is not the one this run used")
    ]
    assert not (results / "report.html").exists()


def test_a_folder_without_results_is_refused(tmp_path):
    with pytest.raises(UsageError, match="has no manifest.json"):
        write_report(tmp_path, EXAMPLE)


def test_threshold_below_one_is_refused(results):
    with pytest.raises(UsageError, match="The threshold must be 1 or more, not 0."):
        write_report(results, EXAMPLE, public=True, threshold=0)


def _tables(path: Path) -> list[list[list[str]]]:
    """Every table of the page as rows of cell texts (header rows included)."""
    text = path.read_text(encoding="utf-8")
    tables = []
    for table in re.findall(r"<table.*?</table>", text, re.S):
        tables.append(
            [
                [
                    html.unescape(re.sub("<.*?>", "", cell)).strip()
                    for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
                ]
                for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
            ]
        )
    return tables


def test_public_report_never_shows_a_small_count_as_a_difference(public):
    """Placed and placed-at-first-choice side by side must not reveal a small remainder."""
    checked = 0
    for table in _tables(public):
        header = table[0]
        first = [i for i, name in enumerate(header) if "at first choice" in name]
        if not first or "Placed" not in header:
            continue
        placed_at, first_at = header.index("Placed"), first[0]
        for row in table[1:]:
            placed, at_first = row[placed_at], row[first_at]
            if placed.replace(",", "").isdigit() and at_first.replace(",", "").isdigit():
                difference = int(placed.replace(",", "")) - int(at_first.replace(",", ""))
                assert difference >= THRESHOLD, row
            checked += 1
    assert checked
