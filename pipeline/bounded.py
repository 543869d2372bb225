"""Bounded reads of the files a user gives: a path -> its bytes, or a located error.

Input: a path and a size cap.  Output: the file's bytes, read whole only when it is a
regular file no larger than the cap (a device such as ``/dev/zero``, a FIFO or a
directory is refused before any read, so nothing grows without bound or hangs); an
``InputError`` (exit 2) naming the path and what to do otherwise.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pipeline.errors import InputError, Location


def read_bytes(path: Path, limit: int, what: str) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``), or ``InputError``."""
    where = Location(str(path))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror}", where) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise InputError(f"the {what} is {kind}", where,
                             hint=f"give the path of the {what} file itself")
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise InputError(f"the {what} is larger than {limit} bytes", where,
                                 hint=f"a {what} this large is not what this command reads")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror}", where) from None
    finally:
        os.close(fd)


def excerpt(text: object, limit: int = 60) -> str:
    """A value as an error message quotes it: its repr, cut to ``limit`` characters.

    >>> excerpt("a" * 100, 10)
    "'aaaaaaaaaa…' (100 characters)"
    >>> excerpt("10.0.0.1")
    "'10.0.0.1'"
    """
    text = str(text)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}".rstrip("'") + f"…' ({len(text)} characters)"
