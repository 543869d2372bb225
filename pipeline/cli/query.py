"""``citrix-ports query``: the published ports that answer the filters.

Input: the arguments.  Output: the rows on standard output; 1 when none answers (the
closest names on standard error).
"""

from __future__ import annotations

import argparse
import sys

from pipeline.cli.options import (
    Paragraphs,
    columns_argument,
    data_option,
    ends_options,
    port_argument,
    without_option,
)
from pipeline.dataset.published import default_data
from pipeline.dataset.query import DEFAULT_COLUMNS, TABLE_COLUMNS
from pipeline.dataset.query import FORMATS as QUERY_FORMATS
from pipeline.dataset.schema import enum
from pipeline.errors import EXIT_NO_ROWS, InputError


def add(sub) -> None:
    """The ``query`` command's options."""
    q = sub.add_parser(
        "query",
        help="filter the published ports (case- and accent-insensitive)",
        description=("Questions to the published ports."),
        epilog=(
            "A `--from`, `--to` or `--section` that matches nothing in the data is an "
            "error (status 2) with the closest names and ids of the data (`no name "
            "matches 'license server'; did you mean 'Serveur de licences Citrix', …?`; "
            "`licence-server` is answered `license-server`). When the names exist but no "
            "row answers them all, the command says so on standard error and exits 1. An "
            "id means that component only (`--to sta` is the Secure Ticket Authority, "
            "never a name that holds the letters `sta`). Other names match as substrings, "
            "case- and accent-insensitively (`storefront` finds `Serveur StoreFront`, "
            "`controleur` finds `Contrôleur de domaine`), and through the component "
            "registry by any alias in any language: `--to storefront-server` and `--to "
            '"StoreFront Server"` find `Serveur StoreFront` on the French page; a name '
            "that denotes several components (`Citrix Director et Admin Workstation`) "
            "answers for each member."
        ),
        formatter_class=Paragraphs,
    )
    q.add_argument(
        "component",
        nargs="?",
        metavar="COMPONENT",
        help="matches the source, the destination or the section: a part of a name as "
        "the page writes it (case- and accent-insensitive), a component id, or an alias "
        "in any language",
    )
    ends_options(
        q,
        "the source matches NAME (repeatable: any of them); a flow both ways also "
        "answers when its destination does; a flow from `any-citrix-component` "
        "answers for every Citrix server component",
        "the destination matches NAME (repeatable); a flow both ways also answers "
        "when its source does",
    )
    q.add_argument(
        "--port",
        type=port_argument,
        metavar="PORTS",
        help="the row's port range meets these ports: `443`, a list `443,80` or a range "
        "`1494-2598`",
    )
    q.add_argument(
        "--protocol",
        type=str.lower,
        choices=enum("ports", "protocol"),
        help="`tcp`, `udp` or `icmp`, in any case",
    )
    q.add_argument(
        "--section",
        action="append",
        metavar="NAME",
        help="the section matches NAME: a part of its name as the page writes it, its id "
        "(`license-server`) or its English name; repeatable",
    )
    q.add_argument(
        "--ranges", action="store_true", help="only rows whose ports are a range of several ports"
    )
    without_option(
        q, "a condition no flow of the data has is an error (status 2) naming those it has"
    )
    q.add_argument(
        "--format",
        choices=QUERY_FORMATS,
        default="table",
        help="`table` for a terminal (default), `csv` or `json` (every column)",
    )
    q.add_argument(
        "--columns",
        type=columns_argument,
        default=list(DEFAULT_COLUMNS),
        metavar="LIST",
        help="the table's columns, comma-separated, from "
        + ", ".join(f"`{c}`" for c in TABLE_COLUMNS)
        + f" (default `{','.join(DEFAULT_COLUMNS)}`); long cells wrap so that the table "
        "fits the terminal",
    )
    q.add_argument(
        "--names",
        choices=["page", "en"],
        default="page",
        help="`page`: names as the page writes them (default); `en`: the English names of "
        "the component registry (a name without an id stays as written)",
    )
    q.add_argument(
        "--spreadsheet",
        action="store_true",
        help="with `--format csv`: a UTF-8 byte order mark and `;` between cells",
    )
    data_option(
        q,
        "the build directory, `ports.csv` or `ports.parquet` to ask (default: "
        "`build/` in the current directory when there is one, else the dataset the "
        "installed package ships); checked against the ports schema first, and "
        "refused with every problem located",
    )
    q.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``query``: the published ports that answer the filters; 1 when none does."""
    from pipeline.dataset.query import (
        Filters,
        check_conditions,
        closest,
        english_names,
        load_ports,
        query,
        render,
        unmatched_message,
    )
    from pipeline.registry.components import load as load_registry

    rows = load_ports(args.data or default_data())
    # the registry is read only when a name is asked or English names are wanted
    names_asked = args.component or args.source or args.destination or args.names == "en"
    registry = load_registry() if names_asked else None
    filters = Filters(
        component=args.component,
        source=args.source,
        destination=args.destination,
        ports=args.port,
        protocol=args.protocol,
        section=args.section,
        ranges=args.ranges,
        registry=registry,
        without=tuple(args.without or ()),
    )
    check_conditions(filters.without, rows)
    unmatched = filters.unmatched(rows)
    if unmatched:
        raise InputError(
            unmatched_message(unmatched),
            hint="; ".join(closest(rows, filters))
            or "citrix-ports components lists the components of the data",
        )
    found = query(rows, filters)
    if args.names == "en" and registry is not None:
        found = english_names(found, registry)
    sys.stdout.write(render(found, args.format, tuple(args.columns), args.spreadsheet))
    if not found:
        print("citrix-ports: no row answers the question", file=sys.stderr)
        for hint in closest(rows, filters):
            print(f"  {hint}", file=sys.stderr)
        return EXIT_NO_ROWS
    return 0
