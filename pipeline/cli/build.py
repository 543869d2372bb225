"""``citrix-ports build``: every stage from a snapshot to the published files.

Input: the arguments.  Output: the build in ``--out``; the counts, warnings and rejects on
standard error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.catalogue import warning
from pipeline.cli.options import Paragraphs, locale_argument
from pipeline.cli.process import libraries_settled
from pipeline.dataset.schema import frame_records
from pipeline.source import raw_manifest


def add(sub) -> None:
    """The ``build`` command's options."""
    b = sub.add_parser(
        "build",
        help="run every stage from a snapshot into a build directory",
        description=("Every stage, from a snapshot to the published files."),
        epilog=(
            "On standard error: the counts (sections, tables, rules, ports, notes, "
            "rejects), what each line of a text or Markdown snapshot was read as (they "
            "add up to the file), the errata applied, every warning (a table header "
            "without its separator line, a line after a table that looks like a row that "
            "lost its pipes, a contradicted `--locale`), and every reject with its line, "
            "section, table, row and reason."
        ),
        formatter_class=Paragraphs,
    )
    b.add_argument(
        "--input",
        metavar="PATH",
        type=Path,
        help="the snapshot: text rendering, Markdown source or HTML, recognised from its "
        "content. Default: the snapshot `raw/manifest.json` names as `default`",
    )
    b.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=Path("build"),
        help="where to publish (default `build/`): written aside, then exchanged with the "
        "old directory in one step; one build at a time per directory (a second waits "
        "up to 30 s, then fails saying so). Refused (status 2) when it holds files "
        "that are not a citrix-ports build's, and when it is `.`, a directory that "
        "holds the current one, the home directory or `/`",
    )
    b.add_argument(
        "--strict",
        action="store_true",
        help="fail (status 4) when the reviewed data is out of date: an erratum matches no "
        "row of the page any more, or a name of the page is not in the component "
        "registry (`make` and CI use it)",
    )
    b.add_argument(
        "--locale",
        type=locale_argument,
        metavar="LOCALE",
        help="the page's locale, a language tag (`fr-fr`, `ja-jp`, `ko-kr`, `und`…; a bare "
        "`ja` is the vocabulary's `ja-jp`), whether the vocabulary has words of it or "
        "not; default: the locale `fetch` recorded for the snapshot in "
        "`raw/manifest.json`, else recognised from the page's HTML `lang`, else its "
        "table words, else `und`. A locale (given or recorded) the page's words "
        "contradict is warned about, naming the words found",
    )
    b.add_argument(
        "--errata",
        metavar="FILE",
        type=Path,
        help="the errata file (default: the reviewed `pipeline/data/errata.toml`)",
    )
    b.add_argument(
        "--allow-shrink",
        action="store_true",
        help="replace the build in `--out` even when the new page lost more than 10 %% of "
        "its tables or rules; without it the build fails (status 6), naming the "
        "sections that shrank",
    )
    b.add_argument(
        "--allow-unrecorded",
        action="store_true",
        help="build a snapshot whose sha256 is not the one `raw/manifest.json` records for "
        "it (edited by hand, or a fetch killed between its two writes), without that "
        "entry's url and fetch time, with a warning; without it the build fails "
        "(status 2), so no build records a provenance that is not its snapshot's",
    )
    b.add_argument(
        "--max-rejects",
        type=int,
        metavar="N",
        help="fail (status 6) when more than N rules are rejected, listing them (`make` "
        "and CI pass the committed build's count)",
    )
    b.add_argument(
        "--previous",
        type=Path,
        metavar="BUILD",
        help="a published build (`make` and the refresh workflow give the committed "
        "`build/`): a component name no registry rule resolves, whose rows pair one "
        "to one with rows of BUILD (same section id, same id at the other end, same "
        "side, protocol and ports, counting out the rows the known names account for) "
        "where the name had one id, takes that id, marked `inferred`: a warning gives "
        "the pairs of lines, `manifest.json` lists them under `inferred` and counts "
        "them in `counts.names_found_by`; `--strict` then fails only on names neither "
        "resolved nor inferred. A key two unknown names share, or rows that do not "
        "pair one to one, infer nothing. BUILD also settles the rows a damaged row "
        "leaves open: a row rejected only because it inherits a cell from a damaged "
        "row whose single-fault readings differ is published when BUILD has that very "
        "row (section, names, Type, Port and Details, as its `rules.csv` has the page "
        "read, before errata rewrote any) under exactly one of those readings, with a "
        "warning naming its lines; under none, or more than one, it stays rejected. A "
        "build without `--previous` that rejects such rows says so in a warning "
        "naming their lines",
    )
    b.add_argument(
        "--spreadsheet",
        action="store_true",
        help="the CSV files get a UTF-8 byte order mark and `;` between cells, as "
        "spreadsheets set to French open them directly (the default is `,` and `\\n` "
        "line ends, no byte order mark); `datapackage.json` says which, and every "
        "reader of this project reads both",
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
    for said in m["warnings"]:
        say(f"warning: {said['message']}")
    if "lines" in c:
        lines = c["lines"]
        say(
            f"lines: {lines['total']} = "
            + " + ".join(f"{n} {kind}" for kind, n in lines.items() if kind != "total")
        )
    for eid in m["errata"]["stale"]:
        say(warning("erratum-stale", id=eid))
    for rej in frame_records(result.result.rejects):
        say(
            f"rejected: line {rej['source_line']}, section {rej['section']!r}, table "
            f"{rej['table']}, row {rej['row']}: {rej['reason']}"
        )
    say(f"wrote {args.out}/")
    return 0
