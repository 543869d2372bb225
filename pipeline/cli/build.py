"""``citrix-ports build``: every stage from a snapshot to the published files.

Input: the arguments.  Output: the build in ``--out``; the counts, warnings and rejects on
standard error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.cli.options import locale_argument
from pipeline.cli.process import libraries_settled
from pipeline.dataset.schema import frame_records
from pipeline.source import raw_manifest


def add(sub) -> None:
    """The ``build`` command's options."""
    b = sub.add_parser("build", help="run every stage from a snapshot into a build directory")
    b.add_argument(
        "--input",
        type=Path,
        help="snapshot to read (text, Markdown or HTML); default: the snapshot in raw/",
    )
    b.add_argument(
        "--out", type=Path, default=Path("build"), help="output directory (default: build/)"
    )
    b.add_argument(
        "--strict",
        action="store_true",
        help="fail (status 4) when an erratum no longer matches the page or a name of the page "
        "is not in the component registry (make and CI use this)",
    )
    b.add_argument(
        "--locale",
        type=locale_argument,
        metavar="LOCALE",
        help="locale of the page, a language tag (fr-fr, ja-jp, ko-kr, und...); "
        "default: the locale fetch recorded for the snapshot, else recognised "
        "from its HTML lang, else its words, else und (undetermined)",
    )
    b.add_argument(
        "--errata", type=Path, help="errata file (default: the reviewed pipeline/data/errata.toml)"
    )
    b.add_argument(
        "--allow-shrink",
        action="store_true",
        help="replace the build in --out even when the page lost more than 10%% "
        "of its tables or rules (default: fail, naming the sections that shrank)",
    )
    b.add_argument(
        "--allow-unrecorded",
        action="store_true",
        help="build a snapshot that is not the file raw/manifest.json describes "
        "(another sha256: edited, or a fetch interrupted between its two "
        "writes), without that entry's provenance, with a warning (default: "
        "refuse, exit 2)",
    )
    b.add_argument(
        "--max-rejects",
        type=int,
        metavar="N",
        help="fail when more than N rules are rejected (make and CI use this)",
    )
    b.add_argument(
        "--previous",
        type=Path,
        metavar="BUILD",
        help="a published build (make and the refresh workflow give the committed "
        "build/): a name no registry rule resolves, whose rows pair one to one with "
        "rows of BUILD where the name had one id, takes that id, marked inferred, with a "
        "warning; --strict fails only on names neither resolved nor inferred",
    )
    b.add_argument(
        "--spreadsheet",
        action="store_true",
        help="CSV files with a UTF-8 byte order mark and ';' between cells, as "
        "spreadsheets set to French open them",
    )
    b.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``build``: every stage from a snapshot; the counts and rejects on stderr."""
    with libraries_settled():
        from pipeline.stages.build import build
        from pipeline.stages.errata import ERRATA_FILE

    result = build(
        args.input or raw_manifest.default_snapshot(),
        args.out,
        strict=args.strict,
        locale=args.locale,
        errata_path=args.errata or ERRATA_FILE,
        allow_shrink=args.allow_shrink,
        max_rejects=args.max_rejects,
        spreadsheet=args.spreadsheet,
        allow_unrecorded=args.allow_unrecorded,
        previous=args.previous,
    )
    m = result.manifest
    c = m["counts"]
    say = lambda text: print(text, file=sys.stderr)  # noqa: E731
    say(
        f"read {m['source']['name']} ({m['source']['form']}, {m['source']['locale']}): "
        f"{c['sections']} sections, {c['tables']} tables, {c['rules']} rules "
        f"({c['rules_prose']} of them flows stated in sentences)"
    )
    say(
        f"ports: {c['ports']} rows from {c['rules_in_ports']} rules "
        f"({c['rules_derived']} of them notes deriving flows from other rows); "
        f"{c['rules_notes']} note rules; {c['rules_rejected']} rejected"
    )
    for eid, rules in m["errata"]["applied"].items():
        say(f"erratum applied: {eid} ({len(rules)} rule(s))")
    for warning in m["warnings"]:
        say(warning if warning.startswith("warning:") else f"warning: {warning}")
    if "lines" in c:
        lines = c["lines"]
        say(
            f"lines: {lines['total']} = "
            + " + ".join(f"{n} {kind}" for kind, n in lines.items() if kind != "total")
        )
    for eid in m["errata"]["stale"]:
        say(f"warning: erratum {eid} matches no row of the page (stale)")
    for rej in frame_records(result.result.rejects):
        say(
            f"rejected: line {rej['source_line']}, section {rej['section']!r}, table "
            f"{rej['table']}, row {rej['row']}: {rej['reason']}"
        )
    say(f"wrote {args.out}/")
    return 0
