"""Later rounds: offers, declines, late applicants and mid-year transfers (docs/rounds.md).

:func:`run_round` starts from a finished round's output folder (round 1 is a ``lottery
run`` folder), applies a changes folder (:mod:`lottery.io.changes`) and runs the same
engine again:

1. **State.** The previous round's input files (its ``round-inputs/`` folder, or for
   round 1 the input folder of the run, checked against the manifest) and its
   ``placements.csv``: who holds a seat where.
2. **This round's input files.** Withdrawn applicants leave; new and changed rows come
   in; every applicant who still holds a seat gets it as ``guaranteed_program_id`` (a
   guaranteed last resort, so nobody who stays is worse off); a decliner's list is cut
   above the declined program (and the zone guarantee no longer applies to them); a
   transfer request goes into the list just above the seat held; ``held_seats`` become
   0 and ``offer_target`` ``max(seats, holders)``. These files are written to the
   round's ``round-inputs/`` folder: an ordinary input folder.
3. **The match** is :func:`lottery.engine.match` on those files, with the seed of the
   chain (with ``[rounds] tiebreak = "reversed"``, the lottery order reversed).
4. **Outputs:** every file ``lottery run`` writes, plus ``moves.csv`` and
   ``offers.csv`` (:func:`lottery.results.build_round_results`), the round's input
   files and a copy of the changes, all hashed in ``manifest.json``, whose ``round``
   entry records the SHA-256 of the previous round's manifest.

**Warnings** are those of the changes folder, as round 1 would give them for its files
(and errors where round 1 would refuse them: ``[checks]``, ``--strict``), naming the
copy the round keeps (``changes/applicants.csv:2: zone: ...``), then those of the
match. Warnings about single rows of ``round-inputs/`` are left out: each row there is
either a row of the changes folder (warned about under its own name and line) or one
carried over from the previous round (warned about in the round that read it).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from lottery.audit.verify import require_verified
from lottery.city import CityInput
from lottery.engine import (
    match,
    output_tables,
    run_manifest,
    run_warnings,
)
from lottery.errors import InputError, Problem, UsageError
from lottery.io.atomic import Say, say_nothing
from lottery.io.changes import (
    ACCEPT,
    DECLINE,
    NEW_LISTS,
    WITHDRAW,
    Changes,
    read_changes,
)
from lottery.io.csv_tables import ProblemLog, file_sha256, read_table
from lottery.io.inputs import (
    APPLICANT_COLUMNS,
    APPLICANTS_FILE,
    CHOICE_COLUMNS,
    CHOICES_FILE,
    INPUT_FILES,
    LOTTERY_COLUMNS,
    LOTTERY_FILE,
    PRIORITIES_FILE,
    PRIORITY_COLUMNS,
    PROGRAM_COLUMNS,
    PROGRAMS_FILE,
    RESERVE_COLUMNS,
    RESERVES_FILE,
    read_input_files,
    read_input_folder,
)
from lottery.io.manifest import Manifest, RoundRecord
from lottery.io.outputs import (
    CHANGES_FOLDER,
    HOLDS_A_SEAT,
    MANIFEST_FILE,
    MOVES,
    OFFERS,
    ROUND_INPUTS,
)
from lottery.io.results_folder import read_results_folder, run_inputs
from lottery.io.writers import check_output_folder, write_output_folder
from lottery.market import build_market
from lottery.policy import POLICY_FILE
from lottery.results import build_round_results


@dataclass(frozen=True)
class RoundSummary:
    """What a finished round tells the person who ran it.

    ``counts`` are those of ``lottery run`` (manifest ``counts``); ``moves`` counts the
    rows of moves.csv by reason (every reason, 0 included); ``offers`` the rows of
    offers.csv.
    """

    out_dir: Path
    number: int
    counts: dict[str, int]
    moves: dict[str, int]
    offers: int
    warnings: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class State:
    """Where a round starts: the previous round's input files and who holds which seat.

    ``tables`` are the previous input files as read (stripped text, every known column),
    by file name; ``held`` is per applicant of ``city`` (in ``applicant_id`` order) the
    index of the program where they hold a seat, or -1.
    """

    folder: Path
    number: int
    manifest: dict
    manifest_sha256: str
    seed: str | None
    city: CityInput
    held: np.ndarray
    tables: dict[str, pd.DataFrame]
    raw: dict[str, bytes]


def run_round(
    previous_dir: Path,
    changes_dir: Path,
    out_dir: Path,
    inputs_dir: Path | None = None,
    force: bool = False,
    progress: Say = say_nothing,
    verified: bool = True,
    strict: bool = False,
) -> RoundSummary:
    """Run the round after ``previous_dir`` with the changes in ``changes_dir``.

    ``previous_dir`` is the output folder of the previous round. When it is a round-1
    folder (written by ``lottery run``, without ``round-inputs/``), ``inputs_dir`` must
    be the input folder of that run (its files must have the checksums its manifest
    records). For a later round it may be None, that round's ``round-inputs/``, or the
    round-1 input folder (``--inputs`` means the same for every command; see
    :func:`lottery.io.results_folder.run_inputs`): the round starts from the previous
    round's ``round-inputs/`` in every case.

    Raises :class:`~lottery.errors.InputError` for problems in the changes (every one,
    with file, line and column) and :class:`~lottery.errors.UsageError` for a previous
    round or input folder that cannot be used, or a refused output folder; in every
    case nothing is written. ``previous_dir`` must pass ``lottery verify``; ``verified``
    False skips that check, for ``lottery audit``, which reruns a round from whatever the
    previous folder holds in order to show how it differs. ``strict`` (``lottery round
    --strict``) makes warnings about single rows of the changes folder errors, as
    ``lottery run --strict`` does for round 1's files.
    """
    folders = [f for f in (previous_dir, changes_dir, inputs_dir) if f is not None]
    check_output_folder(out_dir, folders, force, say=progress)
    progress("Reading the previous round")
    state = read_state(previous_dir, inputs_dir, verified, progress)
    progress("Reading and checking the changes")
    changes = read_changes(
        changes_dir, state.city, state.held, _fixed_reserved(state), strict=strict
    )
    progress("Applying the changes")
    files = round_input_files(state, changes)
    city = _read_round_inputs(files)
    number = state.number + 1
    reversed_lottery = city.policy.rounds.tiebreak == "reversed"
    if reversed_lottery:
        city = replace(city, lottery_reversed=True)
    progress("Computing priorities and lottery numbers")
    market = build_market(city, state.seed)
    progress("Matching (deferred acceptance)")
    market, results = match(city, market)
    progress("Writing the results")
    added = build_round_results(state.city, state.held, changes, city, market, results.placements)
    tables = {**output_tables(results), MOVES: added.moves, OFFERS: added.offers}
    warnings = _changes_warnings(changes) + run_warnings(city, results)
    manifest = replace(
        run_manifest(city, market, results, state.manifest.seed_commitment),
        warnings=warnings,
        round=RoundRecord(
            number=number,
            previous_manifest_sha256=state.manifest_sha256,
            changes={name: _sha256(data) for name, data in sorted(changes.files.items())},
            lottery_reversed=reversed_lottery,
            moves=added.move_counts,
            offers=len(added.offers),
        ),
    )
    extra = {f"{ROUND_INPUTS}/{name}": data for name, data in files.items()}
    extra.update({f"{CHANGES_FOLDER}/{name}": data for name, data in changes.files.items()})
    write_output_folder(out_dir, tables, manifest, force, extra_files=extra, say=progress)
    return RoundSummary(
        Path(out_dir).resolve(),
        number,
        results.counts,
        added.move_counts,
        len(added.offers),
        warnings,
    )


# ----------------------------------------------------------------------------- state


def read_state(
    previous_dir: Path,
    inputs_dir: Path | None,
    verified: bool = True,
    progress: Say = say_nothing,
) -> State:
    """The previous round's input files and placements, checked against its manifest.

    With ``inputs_dir`` for a later round, ``progress`` hears which input files are used
    (and whether ``inputs_dir`` could be checked as round 1's input folder)."""
    previous_dir = Path(previous_dir)
    manifest_path = previous_dir / MANIFEST_FILE
    if not manifest_path.is_file():
        raise UsageError(
            f"{previous_dir} is not a results folder (it has no {MANIFEST_FILE}): pass the "
            "output folder of the previous round (`lottery run --out` or `lottery round --out`)."
        )
    later_round = (previous_dir / ROUND_INPUTS).is_dir()
    if later_round and inputs_dir is not None:
        note = run_inputs(previous_dir, inputs_dir).note  # refuses a folder not round 1's
        if note:
            progress(note)
        inputs_dir = None
    if not later_round and inputs_dir is None:
        raise UsageError(
            f"{previous_dir} holds the results of round 1 (`lottery run`): give the input "
            "folder of that run too, so that this round starts from the same files."
        )
    folder = previous_dir / ROUND_INPUTS if later_round else Path(inputs_dir)
    if not folder.is_dir():
        raise UsageError(f"The input folder {folder} does not exist.")
    manifest_bytes = manifest_path.read_bytes()
    outputs = read_results_folder(previous_dir)
    manifest = outputs.manifest
    _check_input_hashes(manifest, folder, previous_dir, later_round)
    if verified:
        require_verified(previous_dir, folder, "lottery round")
    if later_round != manifest.is_later_round:
        raise UsageError(
            f"{previous_dir / MANIFEST_FILE} does not agree with the folder: "
            + (
                f"it has a {ROUND_INPUTS} folder but the manifest records no round"
                if later_round
                else "the manifest records a round but the folder has no " + ROUND_INPUTS
            )
            + "."
        )
    number = manifest.round.number if later_round else 1
    if number is None:
        raise UsageError(f"{previous_dir / MANIFEST_FILE} does not record the round's number.")
    try:
        city = read_input_folder(folder)
    except InputError as error:  # only if the files were valid once but no longer read
        raise UsageError(
            f"The input files in {folder} no longer read as valid input "
            f"({'; '.join(error.lines()[:3])})."
        ) from None
    held = _held_seats(city, outputs.placements, previous_dir)
    tables = _raw_tables(folder)
    raw = {
        name: (folder / name).read_bytes()
        for name in (RESERVES_FILE, POLICY_FILE)
        if (folder / name).is_file()
    }
    return State(
        folder=folder,
        number=number,
        manifest=manifest,
        manifest_sha256=_sha256(manifest_bytes),
        seed=None if manifest.external_lottery else manifest.seed,
        city=city,
        held=held,
        tables=tables,
        raw=raw,
    )


def _check_input_hashes(manifest: Manifest, folder: Path, previous_dir: Path, later: bool) -> None:
    recorded = manifest.inputs
    if recorded is None:
        raise UsageError(f"{previous_dir / MANIFEST_FILE} does not record the run's input files.")
    present = {name for name in INPUT_FILES if (folder / name).is_file()}
    differ = sorted(
        name
        for name in present | set(recorded)
        if name not in present
        or name not in recorded
        or file_sha256(folder / name) != recorded[name]
    )
    if differ:
        where = (
            f"The files in {folder} are not the ones that round used"
            if later
            else f"The input folder {folder} is not the one the run in {previous_dir} used"
        )
        raise UsageError(
            f"{where}: {', '.join(differ)} "
            f"{'differs' if len(differ) == 1 else 'differ'} from its {MANIFEST_FILE} "
            "(a file added, missing or changed since the run)."
            + ("" if later else " Pass the input folder of that run.")
        )


def _held_seats(city: CityInput, placements: pd.DataFrame, previous_dir: Path) -> np.ndarray:
    ids = city.applicants.id
    position = pd.Index(placements["applicant_id"]).get_indexer(ids)
    if len(placements) != len(ids) or (position < 0).any():
        raise UsageError(
            f"{previous_dir}/placements.csv does not name the applicants of the round's input "
            "files."
        )
    rows = placements.iloc[position]
    holds = rows["status"].isin(HOLDS_A_SEAT).to_numpy()
    program = pd.Index(city.programs.id).get_indexer(rows["program_id"].to_numpy(dtype=object))
    return np.where(holds, program, -1).astype(np.int64)


def _raw_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """The CSV input files as stripped text, every known column ('' where absent)."""
    log = ProblemLog()
    tables = {}
    for name, columns in (
        (PROGRAMS_FILE, PROGRAM_COLUMNS),
        (APPLICANTS_FILE, APPLICANT_COLUMNS),
        (CHOICES_FILE, CHOICE_COLUMNS),
        (PRIORITIES_FILE, PRIORITY_COLUMNS),
        (LOTTERY_FILE, LOTTERY_COLUMNS),
        (RESERVES_FILE, RESERVE_COLUMNS),
    ):
        if (folder / name).is_file():
            table = read_table(folder / name, *columns, log)
            if table is not None:
                tables[name] = table.frame
    log.raise_if_any()
    return tables


def _fixed_reserved(state: State) -> np.ndarray | None:
    """Per program, the seats reserves.csv reserves as a number (not a share)."""
    frame = state.tables.get(RESERVES_FILE)
    if frame is None:
        return None
    given = frame[frame["seats"] != ""]
    program = pd.Index(state.city.programs.id).get_indexer(given["program_id"])
    return np.bincount(
        program, weights=given["seats"].astype(np.int64), minlength=len(state.city.programs)
    ).astype(np.int64)


# ----------------------------------------------------------------------------- merging


def round_input_files(state: State, changes: Changes) -> dict[str, bytes]:
    """This round's input files (name -> bytes): the state with the changes applied."""
    city = state.city
    ids = city.applicants.id
    withdrawn = changes.having(WITHDRAW)
    declined = changes.having(DECLINE)
    # Set lookups: np.isin on object arrays compares every pair of IDs.
    is_withdrawn = np.fromiter((i in withdrawn for i in ids.tolist()), dtype=bool, count=len(ids))
    gives_up = withdrawn | declined
    seat = np.where(
        np.fromiter((i in gives_up for i in ids.tolist()), dtype=bool, count=len(ids)),
        -1,
        state.held,
    )
    files = {PROGRAMS_FILE: _csv(_programs(state, changes, seat), PROGRAM_COLUMNS)}
    files[APPLICANTS_FILE] = _csv(
        _applicants(state, changes, seat, is_withdrawn, declined), APPLICANT_COLUMNS
    )
    files[CHOICES_FILE] = _csv(_choices(state, changes, withdrawn, declined), CHOICE_COLUMNS)
    priorities = state.tables.get(PRIORITIES_FILE)
    if priorities is not None:
        kept = priorities[~priorities["applicant_id"].isin(withdrawn)]
        files[PRIORITIES_FILE] = _csv(
            _sorted(kept, ["applicant_id", "program_id"]), PRIORITY_COLUMNS
        )
    lottery = state.tables.get(LOTTERY_FILE)
    if lottery is not None:
        kept = lottery[~lottery["applicant_id"].isin(withdrawn)]
        if changes.lottery is not None:
            kept = pd.concat([kept, changes.lottery], ignore_index=True)
        files[LOTTERY_FILE] = _csv(_sorted(kept, ["applicant_id", "program_id"]), LOTTERY_COLUMNS)
    files.update(state.raw)
    return dict(sorted(files.items()))


def _programs(state: State, changes: Changes, seat: np.ndarray) -> pd.DataFrame:
    programs = state.city.programs
    frame = _sorted(state.tables[PROGRAMS_FILE], ["program_id"])
    seats = programs.seats.copy()
    for program_id, value in changes.seats.items():
        seats[programs.id == program_id] = value
    holders = np.bincount(seat[seat >= 0], minlength=len(programs))
    target = np.maximum(seats, holders)
    frame["seats"] = seats.astype(str)
    frame["held_seats"] = ""
    frame["offer_target"] = np.where(target > seats, target.astype(str), "")
    return frame


def _applicants(state, changes: Changes, seat, is_withdrawn, declined: set[str]) -> pd.DataFrame:
    city = state.city
    frame = _sorted(state.tables[APPLICANTS_FILE], ["applicant_id"])
    # The raw rows sorted by ID line up with the validated applicants.
    frame = frame[~is_withdrawn]
    kept_seat = seat[~is_withdrawn]
    replaced = frame["applicant_id"].isin(set(changes.applicants["applicant_id"]))
    frame, kept_seat = frame[~replaced.to_numpy()], kept_seat[~replaced.to_numpy()]
    incoming = changes.applicants
    position = pd.Index(city.applicants.id).get_indexer(incoming["applicant_id"])
    incoming_seat = np.where(position >= 0, seat[np.maximum(position, 0)], -1)
    frame = pd.concat([frame, incoming], ignore_index=True)
    all_seat = np.concatenate([kept_seat, incoming_seat]).astype(np.int64)
    holds = all_seat >= 0
    frame["guaranteed_program_id"] = np.where(
        holds,
        city.programs.id[np.maximum(all_seat, 0)],
        frame["guaranteed_program_id"].to_numpy(dtype=object),
    )
    gave_up = frame["applicant_id"].isin(declined).to_numpy()
    frame.loc[gave_up, "guaranteed_program_id"] = ""
    frame.loc[gave_up, "accepts_administrative"] = "false"
    return _sorted(frame, ["applicant_id"])


def _choices(state: State, changes: Changes, withdrawn: set[str], declined: set[str]):
    city = state.city
    choices = city.choices
    frame = pd.DataFrame(
        {
            "applicant_id": city.applicants.id[choices.applicant],
            "rank": choices.rank.astype(np.int64),
            "program_id": city.programs.id[choices.program],
        }
    )
    ends_waiting = changes.having(ACCEPT) if city.policy.rounds.accept_ends_waiting else set()
    edited = sorted(declined | ends_waiting | set(changes.transfers))
    # Each of them holds a seat (the changes were checked).
    position = pd.Index(city.applicants.id).get_indexer(edited)
    held_at = dict(zip(edited, city.programs.id[state.held[position]].tolist(), strict=True))
    dropped = withdrawn | changes.having(*NEW_LISTS)
    keep = ~frame["applicant_id"].isin(dropped | set(edited))
    lists = frame[frame["applicant_id"].isin(edited)].groupby("applicant_id", sort=True)
    ranked = {a: group["program_id"].tolist() for a, group in lists}
    rows = []
    for applicant_id in edited:
        old = ranked.get(applicant_id, [])
        seat = held_at[applicant_id]
        at = old.index(seat) if seat in old else len(old)
        if applicant_id in declined:
            new = old[:at]  # waiting only for what they ranked above the declined seat
        elif applicant_id in ends_waiting:
            new = old[at:]
        else:  # transfer requests, in file order, just above the seat held
            asked = list(changes.transfers[applicant_id])
            new = old[:at] + asked + [p for p in old[at:] if p not in asked]
        rows += [(applicant_id, rank, p) for rank, p in enumerate(new, start=1)]
    edited_frame = pd.DataFrame(rows, columns=["applicant_id", "rank", "program_id"])
    parts = [frame[keep], edited_frame, changes.choices]
    merged = pd.concat([p for p in parts if len(p)], ignore_index=True)
    if not len(merged):
        merged = frame.iloc[:0]
    merged["rank"] = merged["rank"].astype(np.int64)
    order = np.lexsort((merged["rank"].to_numpy(), _codes(merged["applicant_id"])))
    return merged.iloc[order].astype({"rank": str})


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes that sort like the strings (by character code)."""
    array = values.to_numpy(dtype=object)
    order = np.argsort(array, kind="stable")
    codes = np.empty(len(array), dtype=np.int64)
    distinct = np.r_[True, array[order][1:] != array[order][:-1]] if len(array) else order
    codes[order] = np.cumsum(distinct) - 1
    return codes


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows sorted by ``keys`` (strings, by character code), stable; a fresh index."""
    order = np.lexsort([_codes(frame[k]) for k in reversed(keys)])
    return frame.iloc[order].reset_index(drop=True)


def _csv(frame: pd.DataFrame, columns: tuple[tuple[str, ...], tuple[str, ...]]) -> bytes:
    """The table as CSV: required columns, then optional ones that have a value anywhere."""
    required, optional = columns
    used = [c for c in optional if c in frame and (frame[c] != "").any()]
    text = io.StringIO()
    frame[list(required) + used].to_csv(text, index=False, lineterminator="\n")
    return text.getvalue().encode("utf-8")


def _changes_warnings(changes: Changes) -> tuple[str, ...]:
    """The changes folder's warnings, naming the copy of its files in the round's folder
    (each warning starts with the name of its file)."""
    return tuple(f"{CHANGES_FOLDER}/{warning}" for warning in changes.warnings)


def _read_round_inputs(files: dict[str, bytes]) -> CityInput:
    """Read this round's input files as ``lottery run`` would, without the warnings about
    single rows (see the module's docstring: they were given for the changes folder or
    in an earlier round)."""
    try:
        city = read_input_files(files, row_notices=False)
    except InputError as error:
        # The changes were checked; what is left names this round's input files.
        problems = [
            Problem(f"{ROUND_INPUTS}/{p.file}", p.line, p.column, p.message) for p in error.problems
        ]
        raise InputError(problems, error.total) from None
    return city


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
