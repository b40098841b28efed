"""Atomic file output: write to a temporary file beside the target, then rename over it, so a
failure never leaves a partial file under the target's name.

Temporary files are named ``.<target name>.<random>.tmp``; :func:`remove_stale` deletes
the ones a killed process left behind. Operating-system failures (permissions, disk full,
a file where a folder should be) become :class:`~alliances.errors.OutputError` naming the
target and the fix.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alliances.errors import OutputError, os_error

try:  # POSIX advisory locks; elsewhere concurrent writers are not detected
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

#: seconds a writer waits for another writer of the same folder before it gives up
LOCK_WAIT = 600.0


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # a file stands where the folder should be
        raise os_error(exc, folder, "create the folder") from exc
    except OSError as exc:
        raise os_error(exc, folder, "create the folder") from exc
    if not folder.is_dir():
        raise OutputError(f"cannot write into {folder}: it is a file, not a folder; remove it or write elsewhere (--out)")


@contextmanager
def staged(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; delete it if the block fails.

    The caller renames it with :func:`commit` (so several files can be written before any
    replaces its target)."""
    target = Path(target)
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a folder; remove it or choose another file name")
    _make_folder(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise os_error(exc, target) from exc
    try:
        yield Path(tmp)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OutputError):
            raise
        raise os_error(exc, target) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def commit(tmp: Path, target: str | os.PathLike) -> None:
    """Rename a staged file over ``target`` with the permissions the umask gives a new file."""
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise os_error(exc, target) from exc


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it to ``target``,
    on failure delete it."""
    with staged(target) as tmp:
        yield tmp
        commit(tmp, target)


def remove_stale(folder: str | os.PathLike, names: list[str]) -> list[Path]:
    """Delete temporary files a killed writer left for these target names; return them."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    gone = []
    for name in names:
        for tmp in folder.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)
            gone.append(tmp)
    return sorted(gone)


@contextmanager
def folder_lock(folder: str | os.PathLike, wait: float | None = None) -> Iterator[None]:
    """Hold the folder's writer lock (an advisory ``flock`` on the folder itself) while the block runs.

    A second writer into the same folder (two ``alliances build --out DIR`` at once) waits for the
    first to finish, up to :data:`LOCK_WAIT` seconds, instead of removing the first one's staged
    files as stale; after that it stops with an :class:`OutputError` that says another build holds
    the folder. No lock file is left behind, and the lock ends with the process, however it ends."""
    folder = Path(folder)
    _make_folder(folder)
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise os_error(exc, folder) from exc
    try:
        deadline = time.monotonic() + (LOCK_WAIT if wait is None else wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OutputError(f"cannot write into {folder}: another alliances build is writing there now; "
                                      "wait for it to finish, or build into another folder (--out)") from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically; returns ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return path
