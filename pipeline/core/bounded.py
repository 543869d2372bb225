"""Bounded reads of the files a user gives: a path -> its bytes, or a located error.

Input: a path and a kind of input (``page``, ``table``, ``manifest`` …, whose caps are
data: ``pipeline/data/input_limits.toml``).  Output: the file's bytes, read whole only
when it is a regular file no larger than the cap (a device such as ``/dev/zero``, a FIFO
or a directory is refused before any read, so nothing grows without bound or hangs); an
``InputError`` (exit 2) naming the path and what to do otherwise.  Every command reads its
inputs here, so the caps and the errors are the same for all of them.
"""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path

from pipeline import DATA_DIR
from pipeline.errors import InputError, Location

LIMITS_FILE = DATA_DIR / "input_limits.toml"


@functools.cache
def limits() -> dict:
    """The input limits (``pipeline/data/input_limits.toml``)."""
    import tomllib

    return tomllib.loads(LIMITS_FILE.read_text("utf-8"))


def cap(kind: str) -> int:
    """The byte cap of a kind of input.

    >>> cap("page") < cap("table")
    True
    """
    return int(limits()["bytes"][kind])


def read_input(path: Path, kind: str, what: str, missing: str = "") -> bytes:
    """The bytes of the input file ``path`` of ``kind`` (its cap from the limits), or
    ``InputError`` (exit 2, located)."""
    return read_bytes(path, cap(kind), what, missing)


def read_bytes(path: Path, limit: int, what: str, missing: str = "") -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``), or ``InputError``;
    ``missing`` is the hint for a file that does not exist."""
    where = Location(str(path))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(f"cannot read the {what}: no such file", where, hint=missing) from None
    except OSError as exc:
        raise InputError(
            f"cannot read the {what}: {exc.strerror}", where, hint=access_hint(exc)
        ) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise InputError(
                f"the {what} is {kind}", where, hint=f"give the path of the {what} file itself"
            )
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise InputError(
                    f"the {what} is larger than {limit} bytes",
                    where,
                    hint=f"a {what} this large is not what this command reads",
                )
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror}", where) from None
    finally:
        os.close(fd)


def access_hint(exc: OSError) -> str:
    """What to do about a file the system refused (permissions, a directory …)."""
    import errno

    return {
        errno.EACCES: "check the file's permissions",
        errno.EPERM: "check the file's permissions",
        errno.EISDIR: "give the path of a file, not a directory",
        errno.ENOTDIR: "a part of the path is not a directory",
    }.get(exc.errno or 0, "")


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


def nesting_too_deep(text: str, limit: int | None = None) -> int | None:
    r"""The line at which ``text`` (YAML, TOML or JSON) nests its lists and tables deeper
    than ``limit`` (``depth.structured`` of the input limits), or None.  Brackets inside
    quoted strings and comments do not count; a block of YAML counts its indentation
    levels.  Linear in the text.

    >>> nesting_too_deep("a = [[1], [2]]", 2) is None, nesting_too_deep("[" * 5, 3)
    (True, 1)
    >>> nesting_too_deep("a:\n  b:\n    c:\n      d: 1\n", 2)
    3
    """
    limit = int(limits()["depth"]["structured"]) if limit is None else limit
    depth, line, quote, comment = 0, 1, "", False
    indents: list[int] = []
    at_line_start, indent = True, 0
    for ch in text:
        if ch == "\n":  # a string or a comment ends with its line (as these files write them)
            line, comment, quote, at_line_start, indent = line + 1, False, "", True, 0
            continue
        if at_line_start:
            if ch == " ":
                indent += 1
                continue
            at_line_start = False
            if ch != "#" and depth == 0:  # a line of a block: its indentation is its depth
                while indents and indents[-1] >= indent:
                    indents.pop()
                indents.append(indent)
                if len(indents) > limit:
                    return line
        if comment:
            continue
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "#":
            comment = True
        elif ch in "[{":
            depth += 1
            if depth + len(indents) > limit + 1:
                return line
        elif ch in "]}":
            depth = max(0, depth - 1)
    return None


def check_depth(text: str, where: Location, what: str) -> None:
    """``InputError`` (exit 2, located) when ``text`` nests deeper than the limit."""
    line = nesting_too_deep(text)
    if line is not None:
        raise InputError(
            f"{what} nests its lists and tables more than {limits()['depth']['structured']} deep",
            Location(where.file, line),
            hint="a file written by hand or by citrix-ports never nests so deep: check what "
            "wrote it",
        )
