"""The output directory of ``build``: checked, locked, swapped in whole, leftovers cleaned.

Input: the ``--out`` path and a directory of finished artifacts beside it.  Output: the
artifacts in ``--out``, replaced in one step, or a located ``InputError`` (exit 2).

* **Checked**: ``--out`` must be a new or empty directory or a citrix-ports build holding
  nothing but a build's files; ``.``, ``/``, the home directory and any directory that
  holds the current one are refused (a build would swap them away under the user).
* **Locked**: one build at a time per output (``pipeline.core.atomic.held``: ``flock`` on
  ``.<name>.lock`` beside it, removed when the build ends); a second build waits up to
  ``lock_wait_seconds`` (``pipeline/data/input_limits.toml``), then fails saying so.
* **Swapped whole**: the new directory and the old one change places in one
  ``renameat2(RENAME_EXCHANGE)`` (Linux 3.15+, on the file systems that have it), so a
  reader (``query --data OUT``) sees the old build or the new one, never none.  Elsewhere
  the fallback is two renames (old aside, new in); a kill between them leaves the old
  build aside, which the next build puts back before anything else.
* **Cleaned**: ``.<name>.new-*`` and ``.<name>.old-*`` left by an interrupted build are
  removed by the next one, under the lock.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from pipeline.core.atomic import held
from pipeline.dataset.published import build_manifest
from pipeline.errors import InputError, Location

# Files a build may hold besides its artifacts (which its manifest lists).
KEPT = {".gitkeep", "manifest.json"}


def check(out: Path, artifacts: set[str]) -> None:
    """Refuse an ``--out`` a build must not replace (``InputError``, exit 2)."""
    where = Location(str(out))
    resolved = out.resolve()
    here = Path.cwd().resolve()
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError, OSError):  # no home directory known
        home = None
    if resolved == Path(resolved.anchor) or resolved in (home, here) or resolved in here.parents:
        raise InputError(
            "refusing to build into this directory: the build replaces its "
            "output whole, and this one is the current directory, one that "
            "holds it, the home directory or the root",
            where,
            hint="give --out a directory of its own, e.g. --out build",
        )
    if not out.exists() and not out.is_symlink():
        return
    if out.is_symlink() or not out.is_dir():
        raise InputError(
            "the output exists and is not a directory",
            where,
            hint="give --out a new directory, or a build of citrix-ports",
        )
    entries = {p.name for p in out.iterdir()}
    if not entries - {".gitkeep"}:
        return
    manifest = build_manifest(out)
    if not str(manifest.get("generator", "")).startswith("citrix-ports"):
        raise InputError(
            "the output directory holds files that are not a citrix-ports build; "
            "refusing to replace it",
            where,
            hint="give --out an empty or new directory",
        )
    theirs = (
        set(manifest.get("artifacts", {})) if isinstance(manifest.get("artifacts"), dict) else set()
    )
    others = sorted(entries - theirs - artifacts - KEPT)
    if others:
        raise InputError(
            f"the output directory holds files that are not the build's "
            f"({', '.join(others[:5])}{' …' if len(others) > 5 else ''}); "
            "refusing to replace it",
            where,
            hint="move them elsewhere, or give --out another directory",
        )


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the lock of ``out`` (``pipeline.core.atomic.held``: one writer at a time), clean
    up what an interrupted build left, and release the lock on the way out."""
    out = out.absolute()
    with held(out, "another build is writing this output"):
        clean_up(out)
        yield


def leftovers(out: Path, kind: str) -> list[Path]:
    """The ``.<name>.<kind>-*`` directories an interrupted build left beside ``out``."""
    return sorted(out.parent.glob(f".{glob_escape(out.name)}.{kind}-*"))


def glob_escape(name: str) -> str:
    """A file name as a glob pattern that matches it alone.

    >>> glob_escape("b[1]*")
    'b[[]1][*]'
    """
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def clean_up(out: Path) -> None:
    """Put back a build an interrupted fallback swap left aside, then remove the new and
    old directories interrupted builds left (under the lock)."""
    aside = leftovers(out, "old")
    if aside and not out.exists() and not out.is_symlink():
        newest = max(aside, key=lambda p: p.stat().st_mtime)
        os.rename(newest, out)
    for path in leftovers(out, "new") + leftovers(out, "old"):
        shutil.rmtree(path, ignore_errors=True)


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (``renameat2(RENAME_EXCHANGE)``); False where the
    system or its file system cannot, and nothing was changed."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(new: Path, out: Path) -> None:
    """Make the finished directory ``new`` the output ``out``, in one step where the
    system allows it; the old build is removed."""
    import tempfile

    if not out.exists():
        os.rename(new, out)
        return
    if exchange(new, out):  # new now holds the old build
        shutil.rmtree(new, ignore_errors=True)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)  # a kill here: clean_up puts it back
    os.rename(new, out)
    shutil.rmtree(old, ignore_errors=True)
