"""The results report: valid, complete, reproducible, and safe to publish with --public.

The example city is run once per module; the office and public reports are written into
two copies of its results folder.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from support import seat_policy_city
from support.files import rows

from lottery.engine import run_lottery
from lottery.errors import InputError, UsageError
from lottery.publish.report import write_report

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city"
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
    placed = sum(row["status"] != "unplaced" for row in placements)  # every seat counts
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
        r["applicant_id"] for r in rows(results / "placements.csv") if r["status"] == "unplaced"
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


# ----------------------------------------------------------------------------- seat policy

# The seat-policy example, with a ninth applicant: A9 (iep, zone Z2) ranks only P2 and is
# guaranteed P3, so the report shows two guaranteed applicants.
POLICY_APPLICANTS = seat_policy_city.APPLICANTS + "A9,i,i,K,g,Z2,iep,P3,,,,\n"
POLICY_CHOICES = seat_policy_city.CHOICES + "A9,1,P2\n"


def _section(path: Path, section_id: str) -> str:
    text = path.read_text(encoding="utf-8")
    found = re.search(rf'<section id="{section_id}">(.*?)</section>', text, re.S)
    assert found, section_id
    return found.group(1)


def _table_rows(html_text: str) -> list[list[str]]:
    return [
        [
            html.unescape(re.sub("<.*?>", "", cell)).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", html_text, re.S)
    ]


@pytest.fixture
def policy_report(tmp_path):
    """The office report of a city with every seat-policy feature (reserves, held seats,
    an offer target, eligibility, guarantees, a family, the zone guarantee)."""
    city = seat_policy_city.write_seat_policy_city(
        tmp_path / "policy-city", applicants=POLICY_APPLICANTS, choices=POLICY_CHOICES
    )
    out = tmp_path / "results"
    run_lottery(city.path, out, "2026-spring")
    return city, out, write_report(out, city.path)


def test_headline_counts_guaranteed_and_administrative_seats_as_placed(policy_report):
    _, out, report = policy_report
    placements = rows(out / "placements.csv")
    status = [r["status"] for r in placements]
    assert {"guaranteed", "administrative", "unplaced"} <= set(status)
    cards = parse(report).cards
    seated = sum(s != "unplaced" for s in status)
    assert cards["Placed"] == str(seated)
    assert cards["Unplaced"] == str(status.count("unplaced"))
    assert cards["At a guaranteed school"] == str(status.count("guaranteed"))
    assert cards["Assigned in their zone"] == str(status.count("administrative"))
    first = sum(r["status"] == "placed" and r["choice_rank"] == "1" for r in placements)
    assert cards["At their first choice"] == str(first)
    outcomes = _table_rows(_section(report, "choices"))
    assert outcomes[0][2:7] == [
        "1st choice",
        "2nd choice",
        "Guaranteed seat",
        "Assigned in their zone",
        "Unplaced",
    ]


def test_office_list_of_unplaced_leaves_out_applicants_with_a_seat(policy_report):
    _, out, report = policy_report
    placements = rows(out / "placements.csv")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    listed = {row[0]: row for row in _table_rows(_section(report, "unplaced"))[1:]}
    assert set(listed) == {r["applicant_id"] for r in placements if r["status"] == "unplaced"}
    for aid in manifest["administrative_unserved"]:
        assert listed[aid][-1] == "no seat left"


def test_tag_table_counts_placements_of_each_tag(policy_report):
    city, out, report = policy_report
    placements = {r["applicant_id"]: r for r in rows(out / "placements.csv")}
    tags = {r["applicant_id"]: r["tags"].split(";") for r in rows(city.file("applicants"))}
    table = _table_rows(_section(report, "groups"))
    start = next(i for i, row in enumerate(table) if row[0] == "Tag")
    shown = {row[0]: row for row in table[start + 1 :]}
    assert set(shown) == {"frl", "iep"}
    for tag, row in shown.items():
        mine = [placements[a] for a, ts in tags.items() if tag in ts]
        seated = sum(r["status"] != "unplaced" for r in mine)
        first = sum(r["status"] == "placed" and r["choice_rank"] == "1" for r in mine)
        assert (row[1], row[2], row[4], row[6]) == (
            str(len(mine)),
            str(seated),
            str(first),
            str(len(mine) - seated),
        ), tag


def test_reserve_table_shows_the_reserve_report(policy_report):
    _, out, report = policy_report
    section = _section(report, "reserves")
    assert "There were no reserved seats" not in section
    table = _table_rows(section)
    assert table[0][:4] == ["Program", "Category", "Reserved seats", "Filled by the category"]
    expected = rows(out / "reserve_report.csv")
    assert [row[:2] for row in table[1:]] == [[r["program_id"], r["category"]] for r in expected]
    for row, r in zip(table[1:], expected, strict=True):
        assert row[2:7] == [
            r["reserved_seats"],
            r["filled_by_category"],
            r["category_applicants"],
            r["category_admitted"],
            r["category_admitted_without_reserves"],
        ]
        gained = int(r["category_admitted"]) - int(r["category_admitted_without_reserves"])
        assert row[7] == ("none" if gained == 0 else f"{gained:+}")


def _large_city(make_city):
    """100 kindergarten applicants with numbers from lottery.csv (A001 best), every one
    ranking P1 (30 seats, 10 reserved for tag:frl) then P2 (40 seats, 20 reserved for
    zone Z1). frl (even numbers) is also a priority, so P1 admits 30 frl applicants with
    or without its reserve: the reserve does nothing. At P2 the zone reserve admits 5
    zone members (A071-A079, odd) who would not get in without it."""
    ids = [f"A{i:03d}" for i in range(1, 101)]
    applicants = "applicant_id,first_name,last_name,grade,guardian_name,zone,tags\n" + "".join(
        f"{a},F,L,K,G,{'Z1' if i > 70 else 'Z2'},{'frl' if i % 2 == 0 else ''}\n"
        for i, a in enumerate(ids, 1)
    )
    return make_city(
        "large",
        programs="program_id,school_id,school_name,sector,grade,seats,zones\n"
        "P1,S1,One,district,K,30,\nP2,S2,Two,charter,K,40,Z1\n",
        applicants=applicants,
        choices="applicant_id,rank,program_id\n" + "".join(f"{a},1,P1\n{a},2,P2\n" for a in ids),
        lottery="applicant_id,lottery_number\n"
        + "".join(f"{a},{i}\n" for i, a in enumerate(ids, 1)),
        reserves_csv="program_id,category,seats,share\nP1,tag:frl,10,\nP2,zone,20,\n",
        policy='[priority]\norder = ["tag:frl"]\n',
    )


def test_a_reserve_that_does_nothing_shows_as_such_and_public_hides_small_effects(
    make_city, tmp_path
):
    city = _large_city(make_city)
    out = tmp_path / "results"
    run_lottery(city.path, out, None)
    report = rows(out / "reserve_report.csv")
    assert [
        (r["category"], r["category_admitted"], r["category_admitted_without_reserves"])
        for r in report
    ] == [("tag:frl", "30", "30"), ("zone", "20", "15")]

    office = write_report(out, city.path)
    table = _table_rows(_section(office, "reserves"))
    assert [row[7] for row in table[1:]] == ["none", "+5"]

    public = write_report(out, city.path, public=True, threshold=THRESHOLD)
    table = _table_rows(_section(public, "reserves"))
    assert table[1] == ["P1", "tag:frl", "10", "10", "50", "30", "30", "none", "<10", "<10"]
    # The zone reserve admitted 5 more: a small count, so its counts are hidden.
    assert table[2][7] == "more admitted"
    assert table[2][3] in ("*", "<10") and table[2][5] in ("*", "<10")
    assert table[2][6] in ("*", "<10")
    page = parse(public)
    for kind, text in page.cells:
        if kind == "n":
            assert text in (f"<{THRESHOLD}", "*") or int(text.replace(",", "")) >= THRESHOLD
    # frl: 50 applicants, all placed (0 unplaced is small): the whole row is hidden.
    tags = _table_rows(_section(public, "groups"))
    frl = next(row for row in tags if row[0] == "frl")
    assert frl[1] == "50" and frl[2] == "*" and frl[6] == "<10"
    test_public_report_never_shows_a_small_count_as_a_difference(public)


# ----------------------------------------------------------------------------- counts
# The headline counts come from manifest.json (results.py counts them); the per-group
# tables count the same rows again, per grade, sector or priority. Their sums must agree.


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> tuple[Path, Path]:
    """The office report of a synthetic city with the seat policy (guarantees, the zone
    guarantee, reserves), and its results folder."""
    from lottery.synth import generate_city

    city = tmp_path_factory.mktemp("synthetic") / "city"
    generate_city(city, applicants=2000, schools=24, seed=13)
    out = city.parent / "results"
    run_lottery(city, out, "synthetic-2026")
    return out, write_report(out, city)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _column(table: list[list[str]], name: str, header_rows: int = 1) -> list[int]:
    """The counts in column ``name`` of a table with one header row."""
    at = table[0].index(name)
    return [_number(row[at]) for row in table[header_rows:]]


def _first_table(report: Path, section_id: str) -> list[list[str]]:
    return _table_rows(re.search(r"<table.*?</table>", _section(report, section_id), re.S)[0])


@pytest.mark.parametrize("city", ["example", "synthetic"])
def test_every_count_of_placed_at_first_choice_is_the_manifests(city, request, results, office):
    out, report = (results, office) if city == "example" else request.getfixturevalue(city)
    counts = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]
    first = counts["placed_first_choice"]
    assert parse(report).cards["At their first choice"] == f"{first:,}"
    # Which choice applicants got: "1st choice" for all applicants, then per grade.
    choices = _first_table(report, "choices")
    at = 2 + 2 * choices[0][2:].index("1st choice")  # each outcome is n and %
    by_grade = [_number(row[at]) for row in choices[2:]]
    assert by_grade[0] == first and sum(by_grade[1:]) == first
    assert sum(_column(_first_table(report, "sectors"), "Placed at first choice")) == first
    assert sum(_column(_first_table(report, "priority"), "Of them, at first choice")) == first


@pytest.mark.parametrize("city", ["example", "synthetic"])
def test_per_grade_and_per_sector_counts_add_up_to_the_manifests(city, request, results, office):
    out, report = (results, office) if city == "example" else request.getfixturevalue(city)
    counts = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]
    grades = _first_table(report, "headline")
    assert sum(_column(grades, "Applicants")) == counts["applicants"]
    assert sum(_column(grades, "Placed")) == counts["placed"]
    assert sum(_column(grades, "Unplaced")) == counts["unplaced"]
    assert sum(_column(grades, "Seats")) == counts["seats"]
    assert sum(_column(_first_table(report, "sectors"), "Placed")) == counts["placed"]
    cards = parse(report).cards
    assert cards["Applicants"] == f"{counts['applicants']:,}"
    assert cards["Placed"] == f"{counts['placed']:,}"
    assert cards["Unplaced"] == f"{counts['unplaced']:,}"
