"""Text from the input files is drawn in the report's charts exactly as written.

Matplotlib reads text between two ``$`` as math: a school named ``$5_$10 Academy`` made
the report fail, and ``$5 and $10 Academy`` was drawn with ``5 and`` in math italics and
without its dollar signs. Chart text is drawn as glyph paths, so the tests look at the
glyphs each chart defines: the dollar sign's must be there, and no math-italic ones.
"""

from __future__ import annotations

import re

import pytest

from lottery.engine import run_lottery
from lottery.publish.report import write_report

PROGRAMS = """\
program_id,school_id,school_name,sector,grade,seats,zones
ELM-K,ELM,{name},{sector},K,2,N;E
OAK-K,OAK,Oak Charter Academy,charter,K,1,
ELM-1,ELM,{name},{sector},1,2,N;E
RIV-1,RIV,River School,charter,1,2,S
"""

MATH_ITALIC_GLYPH = re.compile(r'<path id="DejaVuSans-Oblique-')


def _glyph(char: str) -> re.Pattern:
    """The SVG definition of ``char``'s glyph in the charts' font (ids are glyph numbers)."""
    from matplotlib.font_manager import FontProperties, findfont, get_font

    font = get_font(findfont(FontProperties(family="DejaVu Sans")))
    return re.compile(rf'<path id="{font.postscript_name}-{font.get_char_index(ord(char)):x}"')


def _report(make_city, tmp_path, name: str, sector: str = "district") -> str:
    """The office report of the default city with the school ELM renamed."""
    city = make_city(programs=PROGRAMS.format(name=name, sector=sector))
    out = tmp_path / "results"
    run_lottery(city.path, out, "2026-spring")
    return write_report(out, city.path).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["$5_$10 Academy", "$5 and $10 Academy", "$x$", "A $^$ B"])
def test_a_school_name_with_dollar_signs_is_drawn_as_written(make_city, tmp_path, name):
    page = _report(make_city, tmp_path, name)
    assert _glyph("$").search(page)
    assert not MATH_ITALIC_GLYPH.search(page)


@pytest.mark.parametrize("sector", ["$a_$", "$5 and $10"])
def test_a_sector_with_dollar_signs_is_drawn_as_written(make_city, tmp_path, sector):
    page = _report(make_city, tmp_path, "Elm Elementary", sector=sector)
    assert _glyph("$").search(page)
    assert not MATH_ITALIC_GLYPH.search(page)
