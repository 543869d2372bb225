"""``citrix-ports diff``: what changed between two versions of the dataset.

Input: the arguments.  Output: the diff on standard output; 1 with ``--exit-code`` when the
versions differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.cli.options import LazyChoices, Paragraphs
from pipeline.dataset.schema import TABLES
from pipeline.errors import EXIT_DIFFER, EXIT_INPUT, PipelineError


def add(sub) -> None:
    """The ``diff`` command's options."""
    d = sub.add_parser(
        "diff",
        help="show what changed between two versions of the dataset",
        description=(
            "What changed between two versions of the dataset. See [diff](diff.md) for "
            "how rows are matched and what each format looks like."
        ),
        formatter_class=Paragraphs,
    )
    for name in ("old", "new"):
        d.add_argument(
            name,
            metavar=name.upper(),
            help="a build directory, a published `ports.csv` / `rules.csv` / "
            "`rejects.csv`, a raw snapshot (built on the fly) or `git:REF` (the "
            "committed `build/` at a git revision); each is checked against its "
            "schema before it is compared",
        )
    d.add_argument(
        "--format",
        choices=LazyChoices("pipeline.diff.render", "FORMATS"),
        default="text",
        metavar="FORMAT",
        help="`text` for a terminal (default), `markdown` for a pull request or a CI job "
        "summary (every value escaped), `json` for programs",
    )
    d.add_argument(
        "--table",
        choices=TABLES,
        default="ports",
        help="which table to compare: `ports` (default), `rules`, `rejects` or "
        "`components` (matched by id; a name change is a change of the row)",
    )
    d.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when the versions differ, 0 when they are the same",
    )
    d.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``diff``: what changed between two versions; 1 with --exit-code when they differ."""
    from pipeline.diff import diff, load, render

    try:
        result = diff(
            load(args.old, args.table, build=build_snapshot),
            load(args.new, args.table, build=build_snapshot),
        )
    except PipelineError as exc:
        exc.exit_code = EXIT_INPUT  # any error of diff is 2, whatever stage raised it
        raise
    sys.stdout.write(render(result, args.format))
    return EXIT_DIFFER if args.exit_code and not result.same else 0


def build_snapshot(snapshot: Path, out: Path) -> object:
    """The build stage, for a diff, align or compare side given as a raw snapshot."""
    from pipeline.stages.build import build

    return build(snapshot, out)
