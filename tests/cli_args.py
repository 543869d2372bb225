"""Argument lists of the command line that many tests write: one builder per command.

Input: what a test varies (a page, an address map, a server's URL).  Output: the argv
list for ``pipeline.cli.main``; every other option is passed on in ``extra``.
"""

from __future__ import annotations

from pathlib import Path


def build_args(page: Path | str, out: Path | str, *extra: str) -> list[str]:
    """``citrix-ports build --input PAGE --out OUT …``."""
    return ["build", "--input", str(page), "--out", str(out), *extra]


def export_args(fmt: str, addresses: Path | str, data: Path | str, *extra: str) -> list[str]:
    """``citrix-ports export FMT --addresses MAP --data DATA …``."""
    return ["export", fmt, "--addresses", str(addresses), "--data", str(data), *extra]


def fetch_args(
    url: str, raw: Path | str, *extra: str, locale: str | None = None, retries: int = 0
) -> list[str]:
    """``citrix-ports fetch`` from a server the test started on 127.0.0.1 into ``raw``,
    with ``retries`` (none by default, so a failure shows at once)."""
    return [
        "fetch", "--url", url, "--raw-dir", str(raw), "--allow-host", "127.0.0.1",
        "--retries", str(retries), *(["--locale", locale] if locale else []), *extra,
    ]  # fmt: skip
