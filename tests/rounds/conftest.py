"""The ``chain`` fixture of the round tests: round 1 of the default city (``city``),
run with the seed ``2026-spring``, ready for later rounds (``support.random_rounds.Chain``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.random_rounds import Chain
from support.small_city import City


@pytest.fixture
def chain(tmp_path: Path, city: City) -> Chain:
    return Chain(tmp_path, city)
