"""Writing a file so that a reader sees the old file or the new one, never half of it.

Input: a path and bytes.  Output: the file, replaced in one rename (the snapshot and
``raw/manifest.json`` of ``fetch``, the rule file of ``export``; ``pipeline.outdir`` swaps
a whole build directory), or an ``InputError`` (exit 2) naming the path and what to do
when the system refuses the write (permissions, a read-only file system, a full disk, a
directory where the file should be).  A path that is a symbolic link writes the file the
link points to, atomically, and the link stays; a device or a FIFO (``-o /dev/stdout``)
is written to as it is, never replaced by a file.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from pipeline.errors import InputError, Location

HINTS = {errno.EACCES: "check the permissions of the directory, or write elsewhere",
         errno.EPERM: "check the permissions of the directory, or write elsewhere",
         errno.EROFS: "the file system is read-only: write elsewhere",
         errno.ENOSPC: "the disk is full: free some space",
         errno.EDQUOT: "the disk quota is full: free some space",
         errno.EISDIR: "give the path of a file, not of a directory",
         errno.ENOTDIR: "a part of the path is a file, not a directory"}


def unwritable(path: Path, exc: OSError, hint: str = "") -> InputError:
    """The error for an output the system refused to write: exit 2, not a bug."""
    return InputError(f"cannot write: {exc.strerror or exc}", Location(str(path)),
                      hint=HINTS.get(exc.errno or 0, hint) or hint)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed over it: a reader sees
    the old file or the new one, never a half-written one.  A symbolic link is followed
    (its target is written; the link stays); a device or FIFO is written to as it is.
    Raises ``InputError`` when it cannot."""
    import tempfile  # here: the read-only commands import this module and never write

    import stat

    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if target.is_dir():
        raise InputError("cannot write: it is a directory", Location(str(path)),
                         hint="give the path of a file, e.g. DIR/rules.nft")
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
