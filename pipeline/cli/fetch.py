"""``citrix-ports fetch``: the live page (or its Markdown source) into ``raw/``.

Input: the arguments.  Output: the snapshot's path on standard output, what was fetched on
standard error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.cli.options import Paragraphs, locale_argument, seconds
from pipeline.core.bounded import cap
from pipeline.source import raw_manifest


def add(sub) -> None:
    """The ``fetch`` command's options."""
    f = sub.add_parser(
        "fetch",
        help="fetch the live page (or its Markdown source) into raw/",
        description=(
            "The live page (or its Markdown source) into `raw/`, with its provenance in "
            "`raw/manifest.json`. See [fetching](fetching.md) for what is checked."
        ),
        epilog=("Prints the snapshot's path on standard output."),
        formatter_class=Paragraphs,
    )
    f.add_argument(
        "--url", help="the page to fetch (default: the `--locale` page on docs.citrix.com)"
    )
    f.add_argument(
        "--locale",
        type=locale_argument,
        metavar="LOCALE",
        help="the page's locale, a language tag (default: recognised from the URL, "
        "`/ja-jp/` anywhere in its path or country then language as its first two "
        "segments, `/jp/ja/`, as docs.citrix.com writes its newer pages; else from "
        "the page's `lang` or words; the snapshot is named after it); without "
        "`--url`, the default URL is the `fr-fr` page, or that of `--locale`",
    )
    f.add_argument(
        "--raw-dir",
        metavar="DIR",
        type=Path,
        default=raw_manifest.DEFAULT_RAW,
        help="the snapshot directory (default `raw/`)",
    )
    f.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="also fetch from this host, over http or https (repeatable); only "
        "docs.citrix.com and raw.githubusercontent.com over https otherwise",
    )
    f.add_argument(
        "--force",
        action="store_true",
        help="replace the snapshot even when the new page lost more than half of its rows",
    )
    f.add_argument(
        "--set-default",
        action="store_true",
        help="make the fetched snapshot the one `build` and `make` read by default "
        "(`raw/manifest.json` → `default`)",
    )
    f.add_argument(
        "--form",
        choices=raw_manifest.SAVED_FORMS,
        default="served",
        help="what is saved: `served` (default), the page as the server sent it; `text`, "
        "an HTML page rendered to text as the committed snapshot was (trafilatura "
        "1.12, the `render` extra), its entry recording what the server sent under "
        "`served`; `default`, the form of the default snapshot `raw/manifest.json` "
        "names, so that a refresh keeps the snapshot's form (the refresh workflow "
        "uses it). A form the page cannot be saved in (only HTML is rendered, to "
        "text) exits 5",
    )
    f.add_argument(
        "--timeout",
        metavar="S",
        type=seconds,
        default=30.0,
        help="connect and read timeout in seconds, for each network read (default 30)",
    )
    f.add_argument(
        "--deadline",
        metavar="S",
        type=seconds,
        default=120.0,
        help="seconds for the whole transfer, retries, `Retry-After` waits and redirects "
        "included; past it, exit 5 saying so (default 120). A server that sends a "
        "byte every few seconds meets every `--timeout` but not the deadline",
    )
    f.add_argument(
        "--max-bytes",
        metavar="N",
        type=int,
        default=None,
        help="the largest page accepted (default 5 MiB)",
    )
    f.add_argument(
        "--retries",
        metavar="N",
        type=int,
        default=3,
        help="retries on connection errors, 429 and 5xx (default 3)",
    )
    f.add_argument(
        "--backoff",
        metavar="S",
        type=float,
        default=1.0,
        help="backoff factor between retries, in seconds (default 1)",
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
