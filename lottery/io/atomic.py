"""Writing a folder or a file all at once, and cleaning up after a writer that was killed.

Every command that writes results works the same way: it writes into a hidden *partial*
folder (or file) beside the destination, ``.NAME.partial-XXXXXXXX``, and renames it into
place only when everything is complete. A reader therefore sees the old state or the new
one, never half of each.

A writer holds an advisory lock (``flock``) on its partial folder or file for as long as
it lives. The operating system drops the lock when the process ends, however it ends
(even ``kill -9``), so the next command that writes to the same destination can tell a
partial folder left by a dead writer (unlocked: removed, and the command says so) from
one that a concurrent run is still writing (locked: left alone).

Replacing an existing folder takes two renames: the old folder moves into a hidden
``.NAME.replaced-XXXXXXXX`` folder, then the new one moves into place. A writer killed
between the two leaves the old folder there; the next command puts it back.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from lottery.errors import UsageError

try:  # Linux and macOS; elsewhere partial folders are never judged stale.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

PARTIAL = "partial"
REPLACED = "replaced"

# File names are at most 255 bytes on every common file system. The hidden names add a
# dot, ".replaced-" and 8 random characters, so long names are shortened (and made
# unique again with a hash of the full name).
_NAME_LIMIT = 255
_SUFFIX_ROOM = len(".") + len(f".{REPLACED}-") + 8
_SHORT_HASH = 10

Say = Callable[[str], None]

# What to undo if the process is stopped by a signal, newest last. The command line's
# signal handler runs these and exits at once: an exception raised from a handler can
# land in a callback from compiled code (numba), where Python ignores it.
_UNDO: dict[int, Callable[[], None]] = {}


def say_nothing(_: str) -> None:
    """The default ``say``: tell nobody."""


def undo_unfinished_work() -> None:
    """Remove every partial folder and file this process is writing, putting back any
    old folder that was moved aside; for a signal handler, just before the process ends."""
    for key in sorted(_UNDO, reverse=True):
        with suppress(Exception):
            _UNDO.pop(key)()


@contextmanager
def _undo_if_stopped(action: Callable[[], None]) -> Iterator[None]:
    key = max(_UNDO, default=0) + 1
    _UNDO[key] = action
    try:
        yield
    finally:
        _UNDO.pop(key, None)


def hidden_prefix(dest: Path, kind: str) -> str:
    """The start of the name of ``dest``'s partial (``kind`` "partial") or replaced folder."""
    name = dest.name
    room = _NAME_LIMIT - _SUFFIX_ROOM
    if len(name.encode("utf-8", "surrogateescape")) > room:
        digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()
        short = name.encode("utf-8", "surrogateescape")[: room - _SHORT_HASH - 1]
        name = short.decode("utf-8", "ignore") + "~" + digest[:_SHORT_HASH]
    return f".{name}.{kind}-"


def name_some(names: list[str], limit: int = 5) -> str:
    """``a, b, c and 4 more``: the files a message names, kept to a readable length."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


# ".NAME.partial-" and the 8 characters mkdtemp and mkstemp add: nothing a person names.
_HIDDEN_WORK = re.compile(rf"\..+\.({PARTIAL}|{REPLACED})-[a-z0-9_]{{8}}")


def is_hidden_work(entry: Path) -> bool:
    """Whether ``entry`` is the partial or replaced folder or file of some destination."""
    return _HIDDEN_WORK.fullmatch(entry.name) is not None


# ----------------------------------------------------------------------------- writing


@contextmanager
def staged_folder(
    dest: Path,
    replaceable: Callable[[Path], None] | None = None,
    say: Say = say_nothing,
    merge: Callable[[Path, Path], None] | None = None,
) -> Iterator[Path]:
    """Yield a new, locked, hidden folder beside ``dest`` to write into.

    When the block ends normally the folder becomes ``dest``. An existing ``dest`` with
    anything in it is replaced only if ``replaceable`` is given and does not raise (it
    raises :class:`UsageError` to refuse); an empty one is replaced. ``merge``, if given,
    is called as ``merge(staging, dest)`` instead, to move finished files into an
    existing ``dest`` one by one. When the block raises, or the process is stopped, the
    partial folder is removed (or, after ``kill -9``, left unlocked for the next command
    to remove).
    """
    dest = Path(dest).absolute()
    remove_stale(dest, say)
    with os_errors(dest):
        staging, lock = _make_locked(dest, PARTIAL, folder=True)
    undo = _undo_if_stopped(lambda: shutil.rmtree(staging, ignore_errors=True))
    try:
        with undo, os_errors(dest, staging):
            yield staging
            if merge is not None and dest.is_dir() and any(dest.iterdir()):
                merge(staging, dest)
            else:
                _move_folder_into_place(staging, dest, replaceable)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        _unlock(lock)


@contextmanager
def staged_file(dest: Path, overwrite: bool = True, say: Say = say_nothing) -> Iterator[Path]:
    """Yield a new, locked, hidden file path beside ``dest``; it becomes ``dest`` when the
    block ends normally. With ``overwrite`` False an existing ``dest`` is refused."""
    dest = Path(dest).absolute()
    remove_stale(dest, say)
    with os_errors(dest):
        staging, lock = _make_locked(dest, PARTIAL, folder=False)
    undo = _undo_if_stopped(lambda: staging.unlink(missing_ok=True))
    try:
        with undo, os_errors(dest, staging):
            yield staging
            if overwrite:
                os.replace(staging, dest)
            else:
                _link_without_replacing(staging, dest)
    finally:
        staging.unlink(missing_ok=True)
        _unlock(lock)


def _link_without_replacing(staging: Path, dest: Path) -> None:
    # A link fails if dest exists, even one made an instant ago; a rename would replace it.
    try:
        os.link(staging, dest)
    except FileExistsError:
        raise UsageError(f"{dest} already exists; nothing was replaced.") from None
    staging.unlink()


def write_file_atomically(
    dest: Path, data: bytes, say: Say = say_nothing, overwrite: bool = True
) -> None:
    """Write ``data`` to ``dest`` so that a reader sees the old file or the new, never half;
    with ``overwrite`` False, an existing ``dest`` is refused."""
    with staged_file(dest, overwrite=overwrite, say=say) as staging:
        staging.write_bytes(data)


def check_can_write(dest: Path, option: str | None = None) -> None:
    """Refuse early, before any long work, if ``dest`` could not be written later.

    Creates and removes a partial folder beside ``dest`` (or in the nearest folder that
    exists, without creating any): that is exactly what writing will need, a writable
    folder and a name that is not too long. ``option`` names the command-line option that
    writes elsewhere, for the message.
    """
    dest = Path(dest).absolute()
    check_name_length(dest, option)
    existing = dest.parent
    while not existing.is_dir() and existing != existing.parent:
        existing = existing.parent
    try:
        # Locked like any partial folder, so that a concurrent cleanup leaves it alone.
        probe, lock = _make_locked(existing / dest.name, PARTIAL, folder=True)
    except OSError as error:
        raise UsageError(f"{_describe(error, dest)}{_elsewhere(option)}") from None
    with suppress(OSError):
        probe.rmdir()
    _unlock(lock)


def check_name_length(dest: Path, option: str | None = None) -> None:
    """Refuse a file or folder name longer than file systems allow."""
    size = len(dest.name.encode("utf-8", "surrogateescape"))
    if size > _NAME_LIMIT:
        raise UsageError(
            f"The name {dest.name[:40]}... is {size} characters long; file and folder "
            f"names can be at most {_NAME_LIMIT}.{_elsewhere(option)}"
        )


def _elsewhere(option: str | None) -> str:
    return f" Write elsewhere with {option}." if option else ""


def _make_locked(dest: Path, kind: str, folder: bool) -> tuple[Path, int | None]:
    """A new hidden folder or file beside ``dest``, and the lock this process holds on it.

    Between making it and locking it, another command cleaning up may lock it first
    (it looks abandoned): then that one removes it, and this one makes another.
    """
    while True:
        path = _make_hidden(dest, kind, folder)
        try:
            return path, _lock(path)
        except BlockingIOError:
            continue
        except FileNotFoundError:
            continue


def _make_hidden(dest: Path, kind: str, folder: bool) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    prefix = hidden_prefix(dest, kind)
    if folder:
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=dest.parent))
        mode = 0o777
    else:
        handle, name = tempfile.mkstemp(prefix=prefix, dir=dest.parent)
        os.close(handle)
        path, mode = Path(name), 0o666
    # mkdtemp and mkstemp give access to their owner only; results are for colleagues too.
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(mode & ~umask)
    return path


def _move_folder_into_place(
    staging: Path, dest: Path, replaceable: Callable[[Path], None] | None
) -> None:
    if dest.is_dir() and not any(dest.iterdir()):
        dest.rmdir()
    if not dest.exists() and not dest.is_symlink():
        try:
            os.rename(staging, dest)
            return
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    if replaceable is None:
        # Someone wrote there while we worked: still never overwrite silently.
        raise UsageError(f"{dest} gained files while this command ran; nothing was replaced.")
    replaceable(dest)
    retired, lock = _make_locked(dest, REPLACED, folder=True)

    def put_back() -> None:
        if not dest.exists() and (retired / "old").is_dir():
            os.rename(retired / "old", dest)
        shutil.rmtree(retired, ignore_errors=True)

    try:
        with _undo_if_stopped(put_back):
            os.rename(dest, retired / "old")
            os.rename(staging, dest)
            shutil.rmtree(retired, ignore_errors=True)
    finally:
        _unlock(lock)


# ----------------------------------------------------------------------------- stale work


def remove_stale(dest: Path, say: Say = say_nothing) -> list[Path]:
    """Remove the partial folders and files of ``dest`` whose writer is gone; say so.

    A replaced folder whose writer died before the new folder moved into place is the
    only copy of the old results: it is put back at ``dest``. Returns what was removed.
    """
    dest = Path(dest).absolute()
    removed: list[Path] = []
    if fcntl is None or not dest.parent.is_dir():
        return removed
    for kind in (REPLACED, PARTIAL):
        prefix = hidden_prefix(dest, kind)
        try:
            candidates = sorted(p for p in dest.parent.iterdir() if p.name.startswith(prefix))
        except OSError:
            return removed
        for entry in candidates:
            lock = _try_lock(entry)
            if lock is None:
                continue
            try:
                if kind == REPLACED and (entry / "old").is_dir() and not dest.exists():
                    os.rename(entry / "old", dest)
                    say(f"Put back {dest}, which a stopped command had moved aside")
                size = _size(entry)
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
            except OSError:
                continue
            finally:
                _unlock(lock)
            removed.append(entry)
            say(f"Removed {entry.name} ({_human(size)}), left unfinished by a stopped command")
    return removed


def _try_lock(entry: Path) -> int | None:
    """A locked descriptor on ``entry`` if its writer is gone, else None."""
    try:
        fd = os.open(entry, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _lock(path: Path) -> int | None:
    if fcntl is None:  # pragma: no cover - Windows
        return None
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        with suppress(OSError):
            os.close(fd)


def _size(entry: Path) -> int:
    if entry.is_file():
        return entry.stat().st_size
    return sum(p.stat().st_size for p in entry.rglob("*") if p.is_file())


def _human(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


# ----------------------------------------------------------------------------- OS errors


@contextmanager
def os_errors(dest: Path, staging: Path | None = None) -> Iterator[None]:
    """Turn an operating-system error while writing ``dest`` into a plain UsageError.

    With ``staging``, only errors about files being written (in ``staging``, ``dest`` or
    beside it) and a full disk are turned; any other (reading an input, say) is not ours
    to word here and goes on as it is.
    """
    try:
        yield
    except OSError as error:
        if staging is not None and not _about_writing(error, dest, staging):
            raise
        raise UsageError(_describe(error, dest)) from None


def _about_writing(error: OSError, dest: Path, staging: Path) -> bool:
    if error.errno in (errno.ENOSPC, errno.EDQUOT) or not error.filename:
        return True
    failed = Path(os.fsdecode(error.filename)).absolute()
    return failed == dest or staging in (failed, *failed.parents) or is_hidden_work(failed)


def _describe(error: OSError, dest: Path) -> str:
    """A plain-English sentence for an operating-system error while writing ``dest``."""
    # Name the file the person knows, never one of our hidden partial names.
    failed = Path(error.filename) if error.filename else dest
    where = dest.parent if is_hidden_work(failed) or failed == dest else failed
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"The disk is full (or your quota is used up) while writing {dest}; nothing was "
            "written. Free some space and run the command again."
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"No permission to write in {where} (it is read-only for you); nothing was written."
    if error.errno == errno.ENAMETOOLONG:
        return (
            f"A folder or file name in {str(dest)[:60]}... is too long for this file system "
            f"(at most {_NAME_LIMIT} characters each); choose a shorter one."
        )
    return f"Could not write {where}: {error.strerror or error}; nothing was written."
