"""Shared fixtures: a click runner and a small, valid city that tests can edit.

Fixtures
    ``runner``     a ``click.testing.CliRunner``
    ``invoke``     ``invoke(*args)`` runs ``lottery ARGS`` in-process (paths allowed);
                   unexpected exceptions propagate, because a traceback is a bug
    ``city``       the default city below, written into ``tmp_path / "city"``
    ``make_city``  ``make_city(name="city", **overrides)``: another copy, in
                   ``tmp_path / name``, with some files replaced (see ``write_city``)

The city itself and :class:`City` are in ``support/small_city.py``.

Typical use::

    def test_unknown_program_is_reported(invoke, city):
        city.replace_line("choices", 3, "A1,2,NOPE")
        result = invoke("validate", city.path)
        assert result.exit_code == 2

    def test_two_cities(make_city):
        clean = make_city("clean")
        messy = make_city("messy", programs=clean.read("programs").upper())
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.small_city import City, write_city

from lottery.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    """A click test runner; results have separate ``.stdout`` and ``.stderr``."""
    return CliRunner()


@pytest.fixture
def city(tmp_path: Path) -> City:
    """The default valid city, written into ``tmp_path / "city"``."""
    return write_city(tmp_path / "city")


@pytest.fixture
def make_city(tmp_path: Path) -> Callable[..., City]:
    """``make_city(name="city", **overrides)``: ``write_city`` into ``tmp_path / name``."""

    def make(name: str = "city", **overrides: str | bytes | None) -> City:
        return write_city(tmp_path / name, **overrides)

    return make


@pytest.fixture
def invoke(runner: CliRunner) -> Callable[..., Result]:
    """``invoke(*args)``: run ``lottery ARGS`` in-process; arguments may be paths.

    The result has ``exit_code``, ``stdout`` and ``stderr`` (kept apart).

    Unexpected exceptions propagate (``catch_exceptions=False``): a traceback from the
    command line is a bug, so the test fails loudly instead of seeing exit status 1.
    """

    def run(*args: object) -> Result:
        args = [str(arg) for arg in args]
        return runner.invoke(cli, args, prog_name="lottery", catch_exceptions=False)

    return run
