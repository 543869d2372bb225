"""``citrix-ports fetch``: the live page (or its Markdown source) into ``raw/``.

Input: the arguments.  Output: the snapshot's path on standard output, what was fetched on
standard error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.cli.options import locale_argument, seconds
from pipeline.core.bounded import cap
from pipeline.source import raw_manifest


def add(sub) -> None:
    """The ``fetch`` command's options."""
    f = sub.add_parser("fetch", help="fetch the live page (or its Markdown source) into raw/")
    f.add_argument("--url", help="page to fetch (default: the --locale page on docs.citrix.com)")
    f.add_argument(
        "--locale",
        type=locale_argument,
        metavar="LOCALE",
        help="locale of the page, a language tag (fr-fr, ja-jp, ko-kr...); "
        "default: recognised from the URL's /ja-jp/ or /jp/ja/, else from the "
        "page; without --url, the page of this locale on docs.citrix.com (fr-fr "
        "by default)",
    )
    f.add_argument(
        "--raw-dir",
        type=Path,
        default=raw_manifest.DEFAULT_RAW,
        help="snapshot directory (default: raw/)",
    )
    f.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="also allow this host (over http or https); repeatable",
    )
    f.add_argument(
        "--force",
        action="store_true",
        help="replace the snapshot even if the page lost more than half its rows",
    )
    f.add_argument(
        "--set-default",
        action="store_true",
        help="make the fetched snapshot the one `make` and `build` read by default",
    )
    f.add_argument(
        "--form",
        choices=raw_manifest.SAVED_FORMS,
        default="served",
        help="what is saved: the page as served (default); text: an HTML page rendered "
        "to text as the committed snapshot was (trafilatura); default: the form of the "
        "default snapshot, so that a refresh keeps it",
    )
    f.add_argument(
        "--timeout",
        type=seconds,
        default=30.0,
        help="connect and read timeout in seconds (default: 30)",
    )
    f.add_argument(
        "--deadline",
        type=seconds,
        default=120.0,
        help="seconds for the whole transfer, retries and redirects included, on "
        "top of the per-read --timeout; past it, exit 5 (default: 120)",
    )
    f.add_argument(
        "--max-bytes",
        type=int,
        default=None,
        help="largest page accepted (default: 5 MiB, pipeline/data/input_limits.toml)",
    )
    f.add_argument(
        "--retries",
        type=int,
        default=3,
        help="retries on connection errors, 429 and 5xx (default: 3)",
    )
    f.add_argument(
        "--backoff",
        type=float,
        default=1.0,
        help="backoff factor in seconds between retries (default: 1)",
    )
    f.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``fetch``: the live page into raw/; prints the snapshot's path."""
    from pipeline.source.fetch import fetch

    result = fetch(
        args.url,
        locale=args.locale,
        raw_dir=args.raw_dir,
        allow_hosts=tuple(args.allow_host),
        force=args.force,
        timeout=(args.timeout, args.timeout),
        max_bytes=args.max_bytes or cap("fetched"),
        retries=args.retries,
        backoff=args.backoff,
        set_default=args.set_default,
        deadline=args.deadline,
        form=args.form,
    )
    if result.status == 304:
        print(f"not modified: {result.path} kept as it is", file=sys.stderr)
    else:
        e = result.entry
        print(
            f"fetched {e['final_url']}: {e['bytes']} bytes, {e['tables']} tables, "
            f"{e['rows']} rows ({e['form']}, {e['locale']})",
            file=sys.stderr,
        )
        print(
            f"{'updated' if result.changed else 'unchanged'}: {result.path}; build it with: "
            f"citrix-ports build --input {result.path}",
            file=sys.stderr,
        )
    print(result.path)
    return 0
