"""Writing a file so that a reader sees the old file or the new one, never half of it.

Input: a path and bytes.  Output: the file, replaced in one rename (the snapshot and
``raw/manifest.json`` of ``fetch``, the rule file of ``export``; ``publish`` swaps a
whole directory the same way).
"""

from __future__ import annotations

import os
from pathlib import Path


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed over it: a reader sees
    the old file or the new one, never a half-written one."""
    import tempfile  # here: the read-only commands import this module and never write

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
