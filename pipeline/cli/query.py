"""``citrix-ports query``: the published ports that answer the filters.

Input: the arguments.  Output: the rows on standard output; 1 when none answers (the
closest names on standard error).
"""

from __future__ import annotations

import argparse
import sys

from pipeline.cli.options import (
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
    q = sub.add_parser("query", help="filter the published ports (case- and accent-insensitive)")
    q.add_argument(
        "component",
        nargs="?",
        help="matches the source, the destination or the "
        "section (substring, case- and accent-insensitive), or a component id or "
        "alias in any language",
    )
    ends_options(
        q,
        "the source matches NAME or is the component NAME (id, alias in any "
        "language or English name; repeatable: any of them; a flow both ways: "
        "either end)",
        "the destination matches NAME or is the component NAME (id, alias in any "
        "language or English name; repeatable; a flow both ways: either end)",
    )
    q.add_argument(
        "--port",
        type=port_argument,
        metavar="PORTS",
        help="the port range meets these ports: 443, 443,80 or 1494-2598",
    )
    q.add_argument(
        "--protocol",
        type=str.lower,
        choices=enum("ports", "protocol"),
        help="tcp, udp or icmp (any case)",
    )
    q.add_argument(
        "--section",
        action="append",
        metavar="NAME",
        help="the section matches this text, or is the section id or English "
        "name NAME (repeatable: any of them)",
    )
    q.add_argument("--ranges", action="store_true", help="only rows whose ports are a range")
    without_option(q)
    q.add_argument(
        "--format",
        choices=QUERY_FORMATS,
        default="table",
        help="table for a terminal (default), csv or json",
    )
    q.add_argument(
        "--columns",
        type=columns_argument,
        default=list(DEFAULT_COLUMNS),
        metavar="LIST",
        help="columns of the table, comma-separated, from "
        f"{', '.join(TABLE_COLUMNS)} (default: {','.join(DEFAULT_COLUMNS)})",
    )
    q.add_argument(
        "--names",
        choices=["page", "en"],
        default="page",
        help="page: names as the page writes them (default); en: the English "
        "names of the component registry",
    )
    q.add_argument(
        "--spreadsheet",
        action="store_true",
        help="with --format csv: a UTF-8 byte order mark and ';' between cells",
    )
    data_option(q, "build directory, ports.csv or ports.parquet to query")
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
    if args.names == "en":
        found = english_names(found, registry)
    sys.stdout.write(render(found, args.format, tuple(args.columns), args.spreadsheet))
    if not found:
        print("citrix-ports: no row answers the question", file=sys.stderr)
        for hint in closest(rows, filters):
            print(f"  {hint}", file=sys.stderr)
        return EXIT_NO_ROWS
    return 0
