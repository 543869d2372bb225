"""Writing a file so that a reader sees the old file or the new one, never half of it.

Input: a path and bytes.  Output: the file, replaced in one rename (the snapshot and
``raw/manifest.json`` of ``fetch``, the rule file of ``export``; ``atomic_write_all`` the files
of a format of several as one; ``pipeline.stages.outdir`` swaps
a whole build directory), or an ``InputError`` (exit 2) naming the path and what to do
when the system refuses the write (permissions, a read-only file system, a full disk, a
directory where the file should be).  A path that is a symbolic link writes the file the
link points to, atomically, and the link stays; a device or a FIFO (``-o /dev/stdout``)
is written to as it is, never replaced by a file.  ``held`` is the lock a writer takes
so that one writer at a time replaces a path (a build directory, ``raw/manifest.json``),
and ``clean_temporaries`` removes what a killed writer left, under that lock.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from pathlib import Path

from pipeline.core.bounded import limits
from pipeline.errors import InputError, Location

HINTS = {
    errno.EACCES: "check the permissions of the directory, or write elsewhere",
    errno.EPERM: "check the permissions of the directory, or write elsewhere",
    errno.EROFS: "the file system is read-only: write elsewhere",
    errno.ENOSPC: "the disk is full: free some space",
    errno.EDQUOT: "the disk quota is full: free some space",
    errno.EISDIR: "give the path of a file, not of a directory",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
}


def unwritable(path: Path, exc: OSError, hint: str = "") -> InputError:
    """The error for an output the system refused to write: exit 2, not a bug."""
    return InputError(
        f"cannot write: {exc.strerror or exc}",
        Location(str(path)),
        hint=HINTS.get(exc.errno or 0, hint) or hint,
    )


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed over it: a reader sees
    the old file or the new one, never a half-written one.  A symbolic link is followed
    (its target is written; the link stays); a device or FIFO is written to as it is.
    Raises ``InputError`` when it cannot."""
    import stat
    import tempfile  # here: the read-only commands import this module and never write

    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if target.is_dir():
        raise InputError(
            "cannot write: it is a directory",
            Location(str(path)),
            hint="give the path of a file, e.g. DIR/rules.nft",
        )
    try:
        special = target.exists() and not stat.S_ISREG(target.stat().st_mode)
        if special:  # /dev/null, /dev/stdout, a FIFO: written to, never renamed over
            with open(target, "wb") as handle:
                handle.write(data)
            return
    except OSError as exc:
        raise unwritable(path, exc) from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise unwritable(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise unwritable(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_all(files: dict[Path, bytes]) -> None:
    """Write several files as one: each is written aside first, and only when every one
    is written are they renamed over their paths, so a full disk or a refused write
    leaves the old files, all of them (a new policy is never left beside the old
    configurations compiled from another).  Raises ``InputError`` when it cannot."""
    import tempfile

    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
                staged.append((tmp, path))
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(tmp, 0o644)
            except OSError as exc:
                raise unwritable(path, exc) from None
        for tmp, path in staged:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise unwritable(path, exc) from None
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)


def lock_path(path: Path) -> Path:
    """The lock file of a path: ``.<name>.lock`` beside it."""
    return path.parent / f".{path.name}.lock"


@contextlib.contextmanager
def held(path: Path, busy: str) -> Iterator[None]:
    """Hold the lock of ``path`` while the block runs: a second writer waits up to
    ``lock_wait_seconds`` (``pipeline/data/input_limits.toml``), then fails with ``busy``
    (``InputError``).  The lock file is removed while still held; a waiter that then gets
    the lock of a removed file sees it and tries again, so two writers never both hold it."""
    import time

    wait = float(limits()["writes"]["lock_wait_seconds"])
    fd = acquire(
        path,
        time.monotonic() + wait,
        f"{busy} (it held the lock {lock_path(path).name} for {wait:g} s)",
    )
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock_path(path))
        os.close(fd)  # releases the lock


def acquire(path: Path, end: float, busy: str) -> int:
    """The descriptor of the lock file of ``path``, locked (``InputError`` past ``end``)."""
    import fcntl
    import time

    lock = lock_path(path)
    while True:
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise unwritable(lock.parent, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() > end:
                raise InputError(
                    busy, Location(str(path)), hint="wait for it to finish, or write elsewhere"
                ) from None
            time.sleep(0.05)
            continue
        try:
            if os.stat(lock).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # the holder before us removed this file: lock the new one


def clean_temporaries(path: Path) -> None:
    """Remove the temporary files a killed ``atomic_write`` of ``path`` left beside it
    (``.<name>.<8 characters>``); call it holding the lock of ``path``."""
    pattern = re.compile(re.escape(f".{path.name}.") + r"[a-z0-9_]{8}")
    with contextlib.suppress(OSError):
        for other in path.parent.iterdir():
            if pattern.fullmatch(other.name) and other.is_file() and not other.is_symlink():
                other.unlink()
