"""``raw/manifest.json``: which snapshots ``raw/`` holds, where each came from, and which
one is read by default.  The one place that reads and writes it.

Input: the raw directory.  Output: the manifest (``{"default": name, "snapshots": {name:
entry}}``), the default snapshot's path, a snapshot's provenance; writes are atomic.
``python -m pipeline.source.raw_manifest default [RAW_DIR]`` prints the default snapshot's path
(the Makefile uses it, before any virtual environment exists: standard library only).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pipeline.core.atomic import atomic_write

FILE_NAME = "manifest.json"
DEFAULT_RAW = Path("raw")
FALLBACK_SNAPSHOT = "citrix-communication-ports.txt"
PROVENANCE_KEYS = ("url", "final_url", "fetched_at", "origin")


class ManifestError(ValueError):
    """``raw/manifest.json`` exists but cannot be read as a manifest."""


# What ``fetch --form`` may save: the page as served, its text rendering, the form of the
# default snapshot.
SAVED_FORMS = ("served", "text", "default")


def read(raw_dir: Path = DEFAULT_RAW) -> dict:
    """The manifest of ``raw_dir``; an empty one when there is none.

    Raises ``ManifestError`` when the file is not valid JSON or not a manifest.
    """
    from pipeline.core.bounded import check_depth, read_input
    from pipeline.errors import InputError, Location

    path = raw_dir / FILE_NAME
    if not path.exists() and not path.is_symlink():
        return {"snapshots": {}}
    try:
        text = read_input(path, "manifest", "raw manifest").decode("utf-8")
        check_depth(text, Location(str(path)), "raw/manifest.json")
        data = json.loads(text)
    except InputError as exc:
        raise ManifestError(str(exc)) from None
    except ValueError as exc:
        raise ManifestError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.setdefault("snapshots", {}), dict):
        raise ManifestError(f"{path} is not a manifest (an object with 'snapshots')")
    return data


def default_snapshot(raw_dir: Path = DEFAULT_RAW) -> Path:
    """The snapshot the manifest names as ``default``, else the French text snapshot."""
    try:
        name = read(raw_dir).get("default") or FALLBACK_SNAPSHOT
    except (ManifestError, OSError):
        name = FALLBACK_SNAPSHOT
    return raw_dir / name


def entry_of(snapshot: Path) -> dict:
    """The manifest entry of the snapshot, from the manifest beside it ({} if none)."""
    try:
        return read(snapshot.parent)["snapshots"].get(snapshot.name, {})
    except (ManifestError, OSError):
        return {}


def provenance(entry: dict) -> dict:
    """Where a snapshot came from, as its manifest entry says.

    >>> provenance({"url": "https://x", "sha256": "0"})
    {'url': 'https://x'}
    """
    return {k: entry[k] for k in PROVENANCE_KEYS if k in entry}


def disagreement(entry: dict, data: bytes) -> str:
    """What the manifest entry of a snapshot says that the snapshot's bytes contradict
    ("" when they agree, or the entry records no checksum).

    >>> disagreement({"sha256": "0" * 64}, b"page")[:40]
    'its sha256 is 3660315a9af3, the manifest'
    >>> disagreement({}, b"page")
    ''
    """
    import hashlib

    recorded = entry.get("sha256")
    actual = hashlib.sha256(data).hexdigest()
    if recorded and recorded != actual:
        return (
            f"its sha256 is {actual[:12]}, the manifest records {str(recorded)[:12]} "
            f"(of {entry.get('url') or 'another file'})"
        )
    return ""


def charset_of(content_type: str) -> str | None:
    """The ``charset`` parameter of a ``Content-Type`` header, or None.

    >>> charset_of('text/html; charset="ISO-8859-1"'), charset_of("text/plain")
    ('ISO-8859-1', None)
    """
    from email.message import Message

    message = Message()
    message["content-type"] = content_type or ""
    found = message.get_param("charset")
    return found if isinstance(found, str) and found else None


def declared_charset(entry: dict) -> str | None:
    """The charset the server declared for a snapshot (its fetch recorded the
    ``Content-Type`` in its manifest entry), or None."""
    return charset_of(entry.get("content_type", ""))


def write(raw_dir: Path, manifest: dict) -> None:
    """Write the manifest of ``raw_dir`` atomically (UTF-8, two-space indent)."""
    atomic_write(
        raw_dir / FILE_NAME,
        (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
    )


def main(argv: list[str]) -> int:
    """``default [RAW_DIR]``: print the default snapshot's path."""
    if not argv or argv[0] != "default" or len(argv) > 2:
        print("usage: python -m pipeline.source.raw_manifest default [RAW_DIR]", file=sys.stderr)
        return 2
    print(default_snapshot(Path(argv[1]) if len(argv) > 1 else DEFAULT_RAW))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
