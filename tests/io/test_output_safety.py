"""Nothing that is not ours is ever replaced, nothing half-written is ever left behind,
and the environment's problems (permissions, long names, full disks) are plain messages.

See docs/reliability.md for the promises these tests hold the code to.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

import pytest

from lottery import cli as cli_module
from lottery.errors import UsageError
from lottery.io import atomic
from lottery.io.atomic import hidden_prefix, remove_stale, staged_folder

SEED = "2026-spring"


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def a_stale_partial(dest: Path, kind: str = "partial", size: int = 1000) -> Path:
    """What a run killed with SIGKILL leaves: an unlocked hidden folder with files."""
    stale = dest.parent / f"{hidden_prefix(dest, kind)}deadbeef"
    stale.mkdir(parents=True)
    (stale / "placements.csv").write_bytes(b"x" * size)
    return stale


@pytest.fixture
def results(invoke, city, tmp_path) -> Path:
    out = tmp_path / "results"
    assert invoke("run", city.path, "--seed", SEED, "--out", out).exit_code == 0
    return out


# ----------------------------------------------------------------------------- --force


def test_force_never_deletes_a_folder_whose_manifest_is_not_lotterys(invoke, city, tmp_path):
    """The reported data loss: any file named manifest.json used to be enough."""
    mydocs = tmp_path / "mydocs"
    mydocs.mkdir()
    (mydocs / "manifest.json").write_text('{"name": "my web app"}')
    (mydocs / "notes.txt").write_text("keep\n")
    result = invoke("run", city.path, "--seed", SEED, "--out", mydocs, "--force")
    assert result.exit_code == 2
    assert "has no manifest.json written by lottery" in result.stderr
    assert sorted(p.name for p in mydocs.iterdir()) == ["manifest.json", "notes.txt"]
    assert hidden(tmp_path) == []


def test_force_refuses_results_with_other_files_and_names_them(invoke, city, results):
    (results / "notes.txt").write_text("keep\n")
    (results / "photos").mkdir()
    (results / "photos" / "board.jpg").write_bytes(b"\xff\xd8")
    (results / "empty-folder").mkdir()
    before = sorted(p.name for p in results.rglob("*"))
    result = invoke("run", city.path, "--seed", "other", "--out", results, "--force")
    assert result.exit_code == 2
    assert (
        "also holds files that lottery did not write, which would be lost: empty-folder/, "
        "notes.txt, photos/board.jpg." in result.stderr
    )
    assert sorted(p.name for p in results.rglob("*")) == before


def test_force_refuses_a_results_file_that_only_looks_like_ours(invoke, city, results):
    (results / "report.html").write_text("<html>the board's own page</html>")
    result = invoke("run", city.path, "--seed", "other", "--out", results, "--force")
    assert result.exit_code == 2
    assert "report.html" in result.stderr


def test_force_replaces_results_with_verification_report_and_letters(invoke, city, results):
    assert invoke("verify", results, "--inputs", city.path).exit_code == 0
    assert invoke("report", results, "--inputs", city.path).exit_code == 0
    letters = results / "letters"
    letters.mkdir()
    applicant = (results / "placements.csv").read_text().splitlines()[1].split(",")[0]
    (letters / f"{applicant}.html").write_text("letter")
    (letters / "all-letters.pdf").write_bytes(b"%PDF")
    result = invoke("run", city.path, "--seed", "other", "--out", results, "--force")
    assert result.exit_code == 0, result.stderr
    assert not (results / "report.html").exists()


def test_force_refuses_results_changed_since_lottery_wrote_them(invoke, city, results):
    """A hand-corrected placements.csv is someone's work now: it would be lost."""
    with (results / "placements.csv").open("a") as handle:
        handle.write("A-corrected,K,placed,,,,,,,,\n")
    result = invoke("run", city.path, "--seed", "other", "--out", results, "--force")
    assert result.exit_code == 2
    assert "holds files changed since lottery wrote them, which would be lost: " in (result.stderr)
    assert "placements.csv" in result.stderr


def test_force_deletes_no_dotfile_that_only_looks_like_our_hidden_work(invoke, city, results):
    (results / ".budget.partial-2024.xlsx").write_text("mine")
    result = invoke("run", city.path, "--seed", "other", "--out", results, "--force")
    assert result.exit_code == 2
    assert ".budget.partial-2024.xlsx" in result.stderr


@pytest.mark.parametrize("name", ["manifest.json", "placements.csv", "notes.html"])
def test_certificate_and_report_never_overwrite_a_file_that_is_not_theirs(
    invoke, city, results, name
):
    target = results / name if name != "notes.html" else results.parent / name
    if not target.exists():
        target.write_text("mine")
    before = target.read_bytes()
    verified = invoke("verify", results, "--inputs", city.path, "--certificate", target)
    reported = invoke("report", results, "--inputs", city.path, "--output", target)
    for result in (verified, reported):
        assert result.exit_code == 2
        assert f"{target} already exists and was not written by `lottery " in result.stderr
    assert target.read_bytes() == before


def test_letters_in_a_letters_folder_that_holds_other_files_are_refused(invoke, city, results):
    (results / "letters").mkdir()
    (results / "letters" / "draft.docx").write_text("mine")
    result = invoke("letters", results, "--inputs", city.path)
    assert result.exit_code == 2
    assert "which would be lost: draft.docx" in result.stderr
    assert [p.name for p in (results / "letters").iterdir()] == ["draft.docx"]


# ----------------------------------------------------------------------------- stale work


def test_the_next_run_removes_a_stale_partial_folder_and_says_so(invoke, city, tmp_path):
    out = tmp_path / "results"
    stale = a_stale_partial(out, size=2_500_000)
    result = invoke("run", city.path, "--seed", SEED, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert f"Removed {stale.name} (2.5 MB), left unfinished by a stopped command" in (result.stderr)
    assert hidden(tmp_path) == []


def test_a_partial_folder_still_being_written_is_left_alone(tmp_path):
    dest = tmp_path / "results"
    busy = a_stale_partial(dest)
    handle = os.open(busy, os.O_RDONLY)
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        assert remove_stale(dest) == []
        assert busy.exists()
    finally:
        os.close(handle)
    assert remove_stale(dest) == [busy]


def test_partial_folders_of_other_destinations_are_not_touched(tmp_path):
    other = a_stale_partial(tmp_path / "results-2025")
    assert remove_stale(tmp_path / "results") == []
    assert other.exists()


def test_old_results_moved_aside_by_a_killed_replace_are_put_back(invoke, city, results):
    """Killed between the two renames of --force: the old results are the only copy."""
    before = {p.name: p.read_bytes() for p in results.iterdir()}
    retired = a_stale_partial(results, kind="replaced")
    (retired / "placements.csv").unlink()
    os.rename(results, retired / "old")
    said = []
    remove_stale(results, said.append)
    assert {p.name: p.read_bytes() for p in results.iterdir()} == before
    assert said[0] == f"Put back {results}, which a stopped command had moved aside"
    assert hidden(results.parent) == []


def test_a_failure_inside_the_block_leaves_nothing(tmp_path):
    dest = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt), staged_folder(dest) as staging:
        (staging / "a.csv").write_text("half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- environment


def test_a_245_character_output_name_works(invoke, city, tmp_path):
    out = tmp_path / ("r" * 245)
    result = invoke("run", city.path, "--seed", SEED, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert (out / "manifest.json").is_file()
    assert hidden(tmp_path) == []


def test_a_name_longer_than_the_file_system_allows_is_refused_before_work(invoke, city, tmp_path):
    result = invoke("run", city.path, "--seed", SEED, "--out", tmp_path / ("r" * 300))
    assert result.exit_code == 2
    assert "is 300 characters long; file and folder names can be at most 255" in result.stderr
    assert "Matching" not in result.stderr


def test_a_folder_name_too_long_inside_the_path_is_a_plain_message(invoke, city, tmp_path):
    result = invoke("run", city.path, "--seed", SEED, "--out", tmp_path / ("a" * 300) / "r")
    assert result.exit_code == 2
    assert "is too long for this file system (at most 255 characters each)" in result.stderr


def permission_denied(monkeypatch) -> None:
    """A read-only parent folder (tests run as root, who may write anywhere)."""

    def refuse(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "/readonly/.x.partial-abcd1234")

    monkeypatch.setattr(atomic.tempfile, "mkdtemp", refuse)


def test_a_read_only_output_parent_is_refused_before_the_match(invoke, city, tmp_path, monkeypatch):
    permission_denied(monkeypatch)
    result = invoke("run", city.path, "--seed", SEED, "--out", tmp_path / "results")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"No permission to write in {tmp_path} (it is read-only for you); nothing was written."
    )
    assert "Matching" not in result.stderr


def test_report_on_a_read_only_results_folder_says_where_to_write(
    invoke, city, results, tmp_path, monkeypatch
):
    permission_denied(monkeypatch)
    result = invoke("report", results, "--inputs", city.path)
    assert result.exit_code == 2
    assert "Write elsewhere with --output." in result.stderr


def test_report_output_writes_elsewhere(invoke, city, results, tmp_path):
    page = tmp_path / "elsewhere" / "board.html"
    result = invoke("report", results, "--inputs", city.path, "--output", page)
    assert result.exit_code == 0, result.stderr
    assert page.is_file() and not (results / "report.html").exists()


def test_verify_on_a_read_only_results_folder_still_prints_its_certificate(
    invoke, city, results, monkeypatch
):
    permission_denied(monkeypatch)
    result = invoke("verify", results, "--inputs", city.path)
    assert result.exit_code == 0
    assert result.stdout.startswith("Verification passed.")
    assert "--certificate FILE" in result.stderr
    assert not (results / "verification.json").exists()


def test_verify_certificate_writes_elsewhere(invoke, city, results, tmp_path):
    certificate = tmp_path / "certificate.json"
    result = invoke("verify", results, "--inputs", city.path, "--certificate", certificate)
    assert result.exit_code == 0
    assert certificate.is_file() and not (results / "verification.json").exists()


def test_letters_dir_writes_elsewhere(invoke, city, results, tmp_path):
    letters = tmp_path / "letters-2026"
    result = invoke("letters", results, "--inputs", city.path, "--letters-dir", letters)
    assert result.exit_code == 0, result.stderr
    assert (letters / "all-letters.pdf").is_file()
    assert not (results / "letters").exists()


def test_the_stop_handler_undoes_unfinished_work_and_exits_with_the_signal_status(
    monkeypatch, tmp_path
):
    exits = []
    monkeypatch.setattr(cli_module, "_MAIN_PID", os.getpid())
    monkeypatch.setattr(cli_module.signal, "signal", lambda *_: None)
    monkeypatch.setattr(cli_module.os, "_exit", exits.append)
    # os._exit is replaced here, so the block goes on and finds its folder gone.
    with pytest.raises(UsageError), staged_folder(tmp_path / "out") as staging:
        (staging / "half.csv").write_text("half")
        cli_module._stop_cleanly(15, None)
        assert not staging.exists()
    assert exits == [143]
    assert list(tmp_path.iterdir()) == []
