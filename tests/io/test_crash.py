"""Commands stopped with SIGTERM or killed with SIGKILL at each stage of their work.

Whatever the moment, the destination is either untouched or complete (never half
written); SIGTERM removes the command's unfinished files at once, as Ctrl-C does; after
SIGKILL, which no program can catch, the next command removes them and says so. These
tests run the real ``lottery`` command in a separate process, on a city big enough
(20,000 applicants) that each stage lasts long enough to be interrupted.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

LOTTERY = [sys.executable, "-m", "lottery"]
SEED = "crash-test"


def lottery(*args: object, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([*LOTTERY, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def interrupt(args: list[object], signum: int, marker: str | None, delay: float) -> str:
    """Start ``lottery ARGS``, wait for ``marker`` on stderr (if any) and ``delay``
    seconds, send ``signum``; return everything it printed on stderr."""
    process = subprocess.Popen(
        [*LOTTERY, *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    if marker is not None:
        for line in process.stderr:
            seen.append(line)
            if marker in line:
                break
    time.sleep(delay)
    process.send_signal(signum)
    _, rest = process.communicate(timeout=120)
    printed = "".join(seen) + rest
    assert "Traceback" not in printed, printed
    # -15: stopped while Python was still importing, before any work (nothing to undo).
    if signum == signal.SIGTERM and process.returncode not in (0, -signal.SIGTERM):
        assert process.returncode == 128 + signal.SIGTERM, printed
        assert "Stopped by SIGTERM: unfinished files were removed." in (printed)
    return printed


def hidden_work(folder: Path) -> list[str]:
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob(".*")
        if ".partial-" in p.name or ".replaced-" in p.name
    )


def assert_complete_or_absent(out: Path) -> None:
    """A results folder that exists holds every file its manifest lists, unchanged."""
    if not out.exists():
        return
    manifest = json.loads((out / "manifest.json").read_text())
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name


@pytest.fixture(scope="module")
def season(tmp_path_factory) -> dict[str, Path]:
    """A 20,000-applicant city, its results, and a changes folder for round 2."""
    root = tmp_path_factory.mktemp("season")
    city, results = root / "city", root / "results"
    lottery("synth", city, "--applicants", 20_000, "--schools", 30, "--seed", 3)
    lottery("run", city, "--seed", SEED, "--out", results)
    with (results / "placements.csv").open() as handle:
        placed = [
            (r["applicant_id"], r["program_id"])
            for r in csv.DictReader(handle)
            if r["status"] == "placed"
        ][:50]
    changes = root / "changes"
    changes.mkdir()
    (changes / "changes.csv").write_text(
        "event,applicant_id,program_id,value,note\n"
        + "".join(f"decline,{applicant},{program},,\n" for applicant, program in placed)
    )
    small = root / "small-city"
    shutil.copytree(Path(__file__).parents[2] / "examples" / "city", small)
    small_results = root / "small-results"
    lottery("run", small, "--seed", SEED, "--out", small_results)
    return {
        "root": root,
        "city": city,
        "results": results,
        "changes": changes,
        "small": small,
        "small_results": small_results,
    }


SIGNALS = [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGKILL, id="SIGKILL")]


@pytest.mark.parametrize("signum", SIGNALS)
@pytest.mark.parametrize("marker", ["Matching (deferred acceptance)", "Writing the results"])
def test_run(season, tmp_path, signum, marker):
    out = tmp_path / "results"
    args = ["run", season["city"], "--seed", SEED, "--out", out]
    interrupt(args, signum, marker, delay=0.05)
    assert_complete_or_absent(out)
    assert_next_run_cleans_up(tmp_path, signum, [*args, "--force"])
    assert_complete_or_absent(out)


def assert_next_run_cleans_up(folder: Path, signum: int, args: list[object]) -> None:
    """SIGTERM left nothing; after SIGKILL the next run removes what is left, and says so."""
    left = hidden_work(folder)
    if signum == signal.SIGTERM:
        assert left == []
    again = lottery(*args)
    for name in left:
        assert f"Removed {Path(name).name} (" in again.stderr
    assert hidden_work(folder) == []


@pytest.mark.parametrize("signum", SIGNALS)
def test_a_forced_rerun_stopped_while_writing_keeps_the_old_results(season, tmp_path, signum):
    out = tmp_path / "results"
    shutil.copytree(season["results"], out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    args = ["run", season["city"], "--seed", "other seed", "--out", out, "--force"]
    interrupt(args, signum, "Writing the results", delay=0.1)
    # The old results, untouched, or the new ones, complete: never a mixture or nothing.
    assert_complete_or_absent(out)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before or after["manifest.json"] != before["manifest.json"]
    assert_next_run_cleans_up(tmp_path, signum, args)


@pytest.mark.parametrize("signum", SIGNALS)
@pytest.mark.parametrize("marker", ["Matching (deferred acceptance)", "Writing the results"])
def test_round(season, tmp_path, signum, marker):
    out = tmp_path / "round-2"
    args = [
        "round", season["results"], "--inputs", season["city"],
        "--changes", season["changes"], "--out", out,
    ]  # fmt: skip
    interrupt(args, signum, marker, delay=0.05)
    assert_complete_or_absent(out)
    assert_next_run_cleans_up(tmp_path, signum, [*args, "--force"])
    assert_complete_or_absent(out)


@pytest.mark.parametrize("signum", SIGNALS)
def test_letters(season, tmp_path, signum):
    results = tmp_path / "results"
    shutil.copytree(season["small_results"], results)
    args = ["letters", results, "--inputs", season["small"]]
    interrupt(args, signum, "Writing letters", delay=0.5)
    letters = results / "letters"
    assert not letters.exists() or (letters / "all-letters.pdf").is_file()
    assert_next_run_cleans_up(results, signum, args)
    assert (letters / "all-letters.pdf").is_file()


@pytest.mark.parametrize("signum", SIGNALS)
@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["report", "{results}", "--inputs", "{city}"], id="report"),
        pytest.param(
            ["audit-bundle", "{results}", "{tmp}/bundle.zip", "--inputs", "{city}"],
            id="audit-bundle",
        ),
        pytest.param(
            ["synth", "{tmp}/synthetic", "--applicants", "200000", "--schools", "60"],
            id="synth",
        ),
    ],
)
def test_commands_without_stages(season, tmp_path, signum, command):
    """Stopped after the process has started its work (its imports take about a second)."""
    results = tmp_path / "results"
    shutil.copytree(season["results"], results)
    args = [part.format(results=results, city=season["city"], tmp=tmp_path) for part in command]
    interrupt(args, signum, None, delay=1.8)
    if command[0] in ("audit-bundle", "synth"):
        # These refuse an existing destination: start the next run from a clean slate
        # if this one finished before the signal.
        finished = Path(args[2] if command[0] == "audit-bundle" else args[1])
        if finished.is_file():
            finished.unlink()
        elif finished.is_dir():
            shutil.rmtree(finished)
    assert_next_run_cleans_up(tmp_path, signum, args)
