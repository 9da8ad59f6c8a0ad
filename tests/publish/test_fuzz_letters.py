"""Fuzzing the letters' own inputs: ``letters.toml`` and edited letter templates.

The same promise as tests/io/test_fuzz.py, for ``lottery letters``: whatever the office
puts in its settings file or its templates (broken bytes, other encodings, values of
the wrong type, huge or control-character text, Jinja that fails while rendering or
calls itself), the command ends with exit status 0, or 2 with messages shaped
``file[:line]: [column: ]message``, no traceback, and no letters folder (or hidden
partial folder) left behind. Same profiles as tests/io/test_fuzz.py (``make fuzz``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support.fuzz import FUZZ, assert_promise_kept, byte_mutations, invoke
from support.small_city import write_city

from lottery.publish.letters.templates import make_environment

# A letters run renders PDFs (about a second each here): fewer examples than the input
# files get, unless the long profile (make fuzz) asks for thousands.
LETTERS_FUZZ = settings(FUZZ, max_examples=min(FUZZ.max_examples, 12))
if os.environ.get("LOTTERY_FUZZ") == "long":
    LETTERS_FUZZ = FUZZ

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city"
CONFIG = (EXAMPLE / "letters.toml").read_bytes()
TEMPLATE = make_environment(None).loader.get_source(make_environment(None), "en.html")[0]

# Jinja that breaks in every way a hand edit can: syntax, names, arithmetic, recursion.
JINJA_SNIPPETS = [
    "{{ 1 / 0 }}",
    '{{ "seats: " + 3 }}',
    '{% include "en.html" %}',
    '{% extends "en.html" %}',
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ nothing.here.at_all }}",
    "{{ letter.applicant_id.nope() }}",
    "{% for x in %}",
    "{{",
    "{% endif %}",
    "{% raw %}",
    "{{ range(10) | join(',') }}",
    "{{ '\x00' }}",
    "{# unclosed comment",
    "{{ letter | tojson }}",
    "{% set x = x + 1 %}{{ x }}",
]

TOML_VALUES = [
    '"text"', "5", "-1", "1e308", "true", "2026-06-30", "[]", '["a", 1]', "{}",
    '"' + "W" * 5000 + '"', '"\\u0000"', '"=HYPERLINK(1)"', '"\\u202e"', "nan",
]  # fmt: skip


@st.composite
def config_mutations(draw) -> bytes:
    """letters.toml with broken bytes, or with one setting given another value."""
    if draw(st.booleans()):
        return draw(byte_mutations(CONFIG))
    lines = CONFIG.decode("utf-8").split("\n")
    settings = [i for i, line in enumerate(lines) if "=" in line]
    index = draw(st.sampled_from(settings))
    key = lines[index].split("=", 1)[0]
    lines[index] = f"{key}= {draw(st.sampled_from(TOML_VALUES))}"
    return "\n".join(lines).encode("utf-8")


@st.composite
def template_mutations(draw) -> bytes:
    """The shipped English template with Jinja added or bytes broken."""
    kind = draw(st.sampled_from(["jinja", "bytes", "encoding"]))
    if kind == "jinja":
        at = draw(st.integers(0, len(TEMPLATE)))
        snippet = draw(st.sampled_from(JINJA_SNIPPETS))
        return (TEMPLATE[:at] + snippet + TEMPLATE[at:]).encode("utf-8")
    if kind == "encoding":
        return TEMPLATE.encode(draw(st.sampled_from(["utf-16", "utf-32", "cp1252"])), "replace")
    return draw(byte_mutations(TEMPLATE.encode("utf-8")))


@pytest.fixture(scope="module")
def run(tmp_path_factory, city_files) -> tuple[Path, Path]:
    """A small city and its verified results (the letters fuzz the letters' own inputs)."""
    root = tmp_path_factory.mktemp("letters-fuzz")
    city = root / "city"
    shutil.copytree(city_files, city)
    results = root / "results"
    assert invoke("run", city, "--seed", "fuzz", "--out", results).exit_code == 0
    # A certificate, so that each letters run does not verify the results again.
    assert invoke("verify", results, "--inputs", city).exit_code == 0
    return city, results


@pytest.fixture(scope="module")
def city_files(tmp_path_factory) -> Path:
    return write_city(tmp_path_factory.mktemp("letters-city") / "city").path


def check_letters(city: Path, results: Path, *options: object) -> None:
    letters = results.parent / "letters-try" / "letters"
    if letters.parent.exists():
        shutil.rmtree(letters.parent)
    letters.parent.mkdir()
    result = invoke("letters", results, "--inputs", city, "--letters-dir", letters, *options)
    assert_promise_kept(result, None)
    if result.exit_code == 0:
        assert (letters / "all-letters.pdf").is_file()
    else:
        assert list(letters.parent.iterdir()) == [], "a failed command left files behind"


@LETTERS_FUZZ
@given(config_mutations())
@example(CONFIG.replace(b'name = "', b'name = 5 #"'))
@example(CONFIG + b"\n[office]\n")
@example(b"\xff\xfe" + CONFIG)
def test_any_broken_letters_toml_is_reported_cleanly(run, content):
    city, results = run
    config = results.parent / "letters.toml"
    config.write_bytes(content)
    check_letters(city, results, "--config", config)


@LETTERS_FUZZ
@given(template_mutations())
@example(TEMPLATE.replace("<body", '{% include "en.html" %}<body', 1).encode())
@example(TEMPLATE.encode("utf-16"))
@example(("{{ 1 / 0 }}" + TEMPLATE).encode())
def test_any_broken_template_is_reported_cleanly(run, content):
    city, results = run
    templates = results.parent / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "en.html").write_bytes(content)
    check_letters(city, results, "--templates", templates)
