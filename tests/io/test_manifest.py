"""manifest.json through the typed Manifest: what is read back is what was written, byte
for byte, and a damaged manifest reads as missing parts rather than a crash."""

from __future__ import annotations

import json

import pytest
from support.small_city import write_city

from lottery.engine import run_lottery
from lottery.errors import UsageError
from lottery.io.manifest import Manifest, peek_manifest, read_manifest
from lottery.io.outputs import MANIFEST_FILE, RUN_TABLES


def test_a_written_manifest_reads_back_to_the_same_bytes(tmp_path):
    city = write_city(tmp_path / "city")
    out = tmp_path / "results"
    run_lottery(city.path, out, "manifest-seed")
    written = (out / MANIFEST_FILE).read_bytes()
    manifest = read_manifest(out / MANIFEST_FILE)
    assert manifest.to_bytes() == written
    assert manifest.written_by_lottery and not manifest.external_lottery
    assert not manifest.is_later_round
    assert manifest.seed == "manifest-seed"
    assert set(manifest.outputs) == set(RUN_TABLES)
    assert manifest.counts["applicants"] == 8


def test_parts_of_the_wrong_type_read_as_missing():
    manifest = Manifest.from_json(
        {"engine": "lottery", "seed": 5, "inputs": [], "round": "2", "families": {}}
    )
    assert manifest.engine_name is None and not manifest.written_by_lottery
    assert manifest.seed is None and manifest.inputs is None and manifest.round is None
    assert manifest.families is not None and manifest.families.unsettled == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "cannot be read as JSON"), ("[1, 2]", "does not hold a JSON object")],
)
def test_a_manifest_that_is_not_a_json_object_is_refused(tmp_path, text, message):
    path = tmp_path / MANIFEST_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        read_manifest(path)
    assert peek_manifest(path) is None
    assert peek_manifest(tmp_path / "missing" / MANIFEST_FILE) is None


def test_a_round_record_survives_the_round_trip():
    data = {
        "engine": {"name": "lottery", "version": "0"},
        "round": {
            "number": 2,
            "previous_manifest_sha256": "ab" * 32,
            "changes": {"changes.csv": "cd" * 32},
            "lottery_reversed": False,
            "moves": {"improved": 1},
            "offers": 1,
        },
    }
    manifest = Manifest.from_json(data)
    assert manifest.is_later_round and manifest.round.number == 2
    assert json.loads(manifest.to_bytes())["round"] == data["round"]
