"""``citrix-ports align``: proposed name correspondences of two versions, as registry
entries to review.

Input: the arguments.  Output: the proposals on standard output, a count on standard error.
"""

from __future__ import annotations

import argparse
import sys

from pipeline.cli.diff import build_snapshot
from pipeline.cli.options import LazyChoices, Paragraphs, two_sides
from pipeline.core.wording import counted
from pipeline.errors import EXIT_INPUT, PipelineError


def add(sub) -> None:
    """The ``align`` command's options."""
    a = sub.add_parser(
        "align",
        help="propose which names of two versions (two locales, or "
        "two versions) mean the same component or section, as registry "
        "entries to review",
        description=(
            "Proposes which names of two versions (two locales, or two versions) mean the "
            "same component or section, with the rows that support each and a confidence, "
            'as registry entries marked `status = "proposed"` (the registry refuses them '
            "until a person has reviewed them). Sure proposals are grouped into entries; "
            "unsure ones are listed apart."
        ),
        formatter_class=Paragraphs,
    )
    two_sides(
        a,
        "two versions: build directories, raw snapshots (built on the fly) or "
        "`git:REF`; the names of RIGHT give the proposed English names",
    )
    a.add_argument(
        "--format",
        choices=LazyChoices("pipeline.registry.align", "FORMATS"),
        default="toml",
        metavar="FORMAT",
        help="`toml`: registry entries with their evidence as comments (default); `json` "
        "for programs",
    )
    a.add_argument(
        "--no-registry",
        action="store_true",
        help="do not say, for each proposal, whether the registry agrees, differs or lacks it",
    )
    a.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``align``: proposed name correspondences between two versions, ready to review."""
    from pipeline.registry import components
    from pipeline.registry.align import FORMATS, align

    result = align(load_version(args.left), load_version(args.right))
    registry = None if args.no_registry else components.load()
    sys.stdout.write(FORMATS[args.format](result, registry))
    unsure = sum(not c.sure for c in result.components)
    print(
        f"{counted(result.rows, 'row')} paired; {len(result.sections)} sections and "
        f"{len(result.components)} name correspondences proposed ({unsure} unsure); "
        f"{len(result.unmatched_left)} + {len(result.unmatched_right)} names without one",
        file=sys.stderr,
    )
    return 0


def side_tables(spec: str, tables: tuple[str, ...]):
    """Tables and manifest of a side of ``align`` / ``compare`` (any error exits 2)."""
    from pipeline.diff.load import load_tables

    try:
        return load_tables(spec, tables, build=build_snapshot)
    except PipelineError as exc:
        exc.exit_code = EXIT_INPUT
        raise


def load_version(spec: str):
    """A side of ``align``: its rules, ports and locale."""
    from pipeline.registry.align import version

    tables, manifest = side_tables(spec, ("rules", "ports"))
    locale = manifest.get("source", {}).get("locale", "und")
    return version(spec, tables["rules"].rows, tables["ports"].rows, locale)
