"""The command line as many tests run it: one argument-list builder per command, and the
runs in-process that give the status, the output and the errors.

Input: what a test varies (a page, an address map, a server's URL).  Output: the argv
list for ``pipeline.cli.main`` (every other option passed on in ``extra``), or the run's
``(status, stdout, stderr)``.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.cli import main


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


def run(capsys, *args: str) -> tuple[int, str, str]:
    """The command line run in-process: its status, standard output and standard error."""
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def export_map(capsys, built, text: str, fmt: str = "nftables", *extra: str, tmp_path=None):
    """``export`` of the build ``built`` (a fixture's pair) under the address map ``text``
    (written to ``tmp_path/map.yaml``): status, standard output and standard error."""
    path = tmp_path / "map.yaml"
    path.write_text(text, "utf-8")
    return run(capsys, *export_args(fmt, str(path), str(built[0]), *extra))


def rules_of(text: str) -> list[str]:
    """The rule statements of an nftables, iptables or Windows export."""
    return [
        ln.strip()
        for ln in text.splitlines()
        if ln.startswith(("\t\tip", "-A CITRIX-PORTS", "New-NetFirewallRule"))
    ]
