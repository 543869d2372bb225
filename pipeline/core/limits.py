"""The limits of what an export may open and an address map may hold.

Input: ``pipeline/data/export_limits.toml``.  Output: ``export_limits`` (the file, parsed
once) and ``opens_all_ports`` (whether a port range counts as every port: wider than the
widest range the page itself uses), shared by the build, which warns about such a row,
and the export, which refuses its rule without ``--allow-all-ports``.
"""

from __future__ import annotations

import functools

from pipeline import DATA_DIR

LIMITS_FILE = DATA_DIR / "export_limits.toml"


@functools.lru_cache(maxsize=1)
def export_limits() -> dict:
    """``data/export_limits.toml``, parsed once."""
    import tomllib  # here: only an export or a build's check reads the limits

    return tomllib.loads(LIMITS_FILE.read_text("utf-8"))


def opens_all_ports(start: int | None, end: int | None) -> bool:
    """Whether the range ``start``-``end`` counts as every port: more ports than
    ``ports.all_ports_width`` (all ports but a few is all ports to a firewall).

    >>> opens_all_ports(2, 65535), opens_all_ports(49152, 65535), opens_all_ports(None, None)
    (True, False, False)
    """
    if start is None or end is None:
        return False
    return end - start + 1 > export_limits()["ports"]["all_ports_width"]
