"""``citrix-ports compare``: the flows two pages (two locales) say differently, by id.

Input: the arguments.  Output: the differences on standard output; 1 with ``--exit-code``
when the pages differ.
"""

from __future__ import annotations

import argparse
import sys

from pipeline.cli.align import side_tables
from pipeline.cli.options import LazyChoices, Paragraphs, two_sides
from pipeline.errors import EXIT_DIFFER


def add(sub) -> None:
    """The ``compare`` command's options."""
    k = sub.add_parser(
        "compare",
        help="compare two pages (two locales, or two versions) by "
        "component id: flows only one has, flows whose ports disagree",
        description=(
            "The flows two pages (for example the French and the English page) say "
            "differently, by component id: flows only one has, flows both have whose "
            "protocols or ports disagree, flows one page writes the other way round, and "
            "names the registry does not know. Each flow is located by section and lines."
        ),
        formatter_class=Paragraphs,
    )
    two_sides(
        k,
        "two pages: build directories, raw snapshots (built on the fly) or `git:REF`",
    )
    k.add_argument(
        "--format",
        choices=LazyChoices("pipeline.registry.compare_pages", "FORMATS"),
        default="text",
        metavar="FORMAT",
        help="`text` (default), `markdown` for a pull request or CI job summary, `json`",
    )
    k.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when the pages differ (or name components the registry does not "
        "know), 0 when they have the same flows; errors exit 2",
    )
    k.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``compare``: the flows two pages (two locales) say differently, by component id;
    1 with --exit-code when they differ."""
    from pipeline.registry.compare_pages import FORMATS, compare

    left, right = (
        side_tables(spec, ("ports",))[0]["ports"].rows for spec in (args.left, args.right)
    )
    result = compare(left, right, args.left, args.right)
    sys.stdout.write(FORMATS[args.format](result))
    return EXIT_DIFFER if args.exit_code and not result.same else 0
