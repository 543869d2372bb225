"""Command line: ``citrix-ports`` (and ``python -m pipeline``).

Commands: ``build`` (every stage from a snapshot), ``fetch`` (the live page into raw/),
``diff`` (what changed between two versions; with --exit-code, 1 when they differ),
``query`` (filter the ports), ``export`` (firewall rules from an address map),
``components`` (the components of a build, by id), ``align`` (proposed name
correspondences of two versions) and ``compare`` (the flows two pages say differently).
Input: arguments.  Output: the stage run, a short report on standard error, and an exit
status: 0 success, 2 bad input (or bad arguments), 3 validation failed, 4 with --strict
stale errata or names the component registry does not know, 5 fetch failed, 6 the page
shrank or too many rejects (build), 130 interrupted, 141 the reader of the output left
(``| head``), 1 an internal error (a bug: please report it).  Choices (locales, formats,
tables) come from the modules and data that define them.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys
from pathlib import Path

from pipeline import __version__, raw_manifest
from pipeline.bounded import cap
from pipeline.errors import InputError, PipelineError
from pipeline.published import default_data
from pipeline.query import DEFAULT_COLUMNS, TABLE_COLUMNS, parse_ports
from pipeline.query import FORMATS as QUERY_FORMATS
from pipeline.schema import TABLES, enum, frame_records

EXIT_INTERNAL = 1  # a bug
EXIT_NO_ROWS = 1  # query: no row answers the question
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130, as a shell reports Ctrl-C
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE  # 141, as a shell reports a reader that left


@contextlib.contextmanager
def libraries_settled():
    """Import inside it: the garbage collector is paused while pandas, pandera and pyarrow
    load (they make hundreds of thousands of objects that live as long as the process,
    and nothing to collect), then they are frozen (``gc.freeze``) so that no collection
    walks them again.  Measured on the build: about 0.1 s of collections during the
    imports and 0.07 to 0.09 s after them (one full collection), both gone.  Once per
    process: where pandas is already loaded (a caller running many commands) it does
    nothing, so no later garbage is ever frozen."""
    if "pandas" in sys.modules:
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def cmd_build(args: argparse.Namespace) -> int:
    """``build``: every stage from a snapshot; the counts and rejects on stderr."""
    with libraries_settled():
        from pipeline.build import build
        from pipeline.errata import ERRATA_FILE

    result = build(args.input or raw_manifest.default_snapshot(), args.out, strict=args.strict,
                   locale=args.locale, errata_path=args.errata or ERRATA_FILE,
                   allow_shrink=args.allow_shrink, max_rejects=args.max_rejects,
                   spreadsheet=args.spreadsheet, allow_unrecorded=args.allow_unrecorded)
    m = result.manifest
    c = m["counts"]
    say = lambda text: print(text, file=sys.stderr)  # noqa: E731
    say(f"read {m['source']['name']} ({m['source']['form']}, {m['source']['locale']}): "
        f"{c['sections']} sections, {c['tables']} tables, {c['rules']} rules")
    say(f"ports: {c['ports']} rows from {c['rules_in_ports']} rules; "
        f"{c['rules_notes']} note rules; {c['rules_rejected']} rejected")
    for eid, rules in m["errata"]["applied"].items():
        say(f"erratum applied: {eid} ({len(rules)} rule(s))")
    for warning in m["warnings"]:
        say(warning if warning.startswith("warning:") else f"warning: {warning}")
    if "lines" in c:
        lines = c["lines"]
        say(f"lines: {lines['total']} = " + " + ".join(
            f"{n} {kind}" for kind, n in lines.items() if kind != "total"))
    for eid in m["errata"]["stale"]:
        say(f"warning: erratum {eid} matches no row of the page (stale)")
    for rej in frame_records(result.result.rejects):
        say(f"rejected: line {rej['source_line']}, section {rej['section']!r}, table "
            f"{rej['table']}, row {rej['row']}: {rej['reason']}")
    say(f"wrote {args.out}/")
    return 0


def seconds(text: str) -> float:
    """A positive, finite number of seconds (argparse type)."""
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def cmd_fetch(args: argparse.Namespace) -> int:
    """``fetch``: the live page into raw/; prints the snapshot's path."""
    from pipeline.fetch import fetch

    result = fetch(args.url, locale=args.locale, raw_dir=args.raw_dir,
                   allow_hosts=tuple(args.allow_host), force=args.force,
                   timeout=(args.timeout, args.timeout), max_bytes=args.max_bytes,
                   retries=args.retries, backoff=args.backoff, set_default=args.set_default,
                   deadline=args.deadline)
    if result.status == 304:
        print(f"not modified: {result.path} kept as it is", file=sys.stderr)
    else:
        e = result.entry
        print(f"fetched {e['final_url']}: {e['bytes']} bytes, {e['tables']} tables, "
              f"{e['rows']} rows ({e['form']}, {e['locale']})", file=sys.stderr)
        print(f"{'updated' if result.changed else 'unchanged'}: {result.path}; build it with: "
              f"citrix-ports build --input {result.path}", file=sys.stderr)
    print(result.path)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """``diff``: what changed between two versions; 1 with --exit-code when they differ."""
    from pipeline.diff import diff, load, render

    try:
        result = diff(load(args.old, args.table), load(args.new, args.table))
    except PipelineError as exc:
        exc.exit_code = 2  # any error of diff is 2, whatever stage raised it
        raise
    sys.stdout.write(render(result, args.format))
    return 1 if args.exit_code and not result.same else 0


def cmd_query(args: argparse.Namespace) -> int:
    """``query``: the published ports that answer the filters; 1 when none does."""
    from pipeline.components import load as load_registry
    from pipeline.query import Filters, closest, english_names, load_ports, query, render

    rows = load_ports(args.data or default_data())
    # the registry is read only when a name is asked or English names are wanted
    names_asked = args.component or args.source or args.destination or args.names == "en"
    registry = load_registry() if names_asked else None
    filters = Filters(component=args.component, source=args.source,
                      destination=args.destination, ports=args.port,
                      protocol=args.protocol, section=args.section, ranges=args.ranges,
                      registry=registry)
    unmatched = filters.unmatched(rows)
    if unmatched:
        raise InputError(f"{', '.join(map(repr, unmatched))} match no component or section "
                         "of the data", hint="; ".join(closest(rows, filters)) or
                         "citrix-ports components lists the components of the data")
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


def cmd_export(args: argparse.Namespace) -> int:
    """``export``: firewall rules for the ports, from an address map."""
    from pipeline import published
    from pipeline.components import load as load_registry
    from pipeline.export import Options, Selection, export, load_address_map
    from pipeline.query import Filters, closest, load_ports, query

    if (args.format == "terraform") != bool(args.provider):
        raise InputError("--provider goes with the terraform format, and the terraform "
                         "format needs it", hint="export terraform --provider aws|azure|gcp")
    if args.hook and args.format != "nftables":
        raise InputError("--hook and --policy go with the nftables format",
                         hint="iptables: jump to CITRIX-PORTS from your chain (see the file's "
                              "header)")
    data = args.data or default_data()
    registry = load_registry()
    every = load_ports(data)
    addresses = load_address_map(args.addresses, allow_any=args.allow_any)
    addresses.bind(registry, every)
    filters = Filters(section=args.section, source=args.source, destination=args.destination,
                      registry=registry)
    unmatched = filters.unmatched(every) + [h for h in args.host or [] if not host_known(
        h, every, filters)]
    if unmatched:
        raise InputError(f"{', '.join(map(repr, unmatched))} match no component or section "
                         "of the data", hint="; ".join(closest(every, Filters(
                             source=tuple(args.host or ()) + tuple(args.source or ()),
                             destination=args.destination, section=args.section,
                             registry=registry))) or "citrix-ports components lists them")
    rows = query(every, Filters(section=args.section, registry=registry))
    selection = Selection(tuple(args.source or ()), tuple(args.destination or ()),
                          tuple(args.host or ()), args.direction, registry)
    done = export(rows, addresses, args.format, published.build_manifest(data).get("source", {}),
                  Options(provider=args.provider, split=args.split, quota=args.quota,
                          hooks=tuple(dict.fromkeys(args.hook or ())), policy=args.policy),
                  selection, allow_all_ports=args.allow_all_ports)
    if not done.rendered.rules and (args.host or args.source or args.destination):
        raise InputError("no flow of the data answers --host, --from and --to together under "
                         "this map: nothing written", hint="rerun with --explain to see "
                         "what was left out, or check the map gives the ends addresses")
    if args.output:
        from pipeline.atomic import atomic_write

        atomic_write(args.output, done.rendered.text.encode("utf-8"))
    else:
        sys.stdout.write(done.rendered.text)
    for line in done.warnings:
        print(line, file=sys.stderr)
    if args.explain:
        text = "".join(f"{line}\n" for line in done.details)
        if args.explain == "-":
            sys.stderr.write(text)
        else:
            from pipeline.atomic import atomic_write

            atomic_write(Path(args.explain), text.encode("utf-8"))
    print(done.summary(), file=sys.stderr)
    return 0


def host_known(text: str, rows: list[dict], filters) -> bool:
    """Whether ``--host`` names an end of the data: an id, alias or name, or an address
    (checked against the map when the rules are planned)."""
    import ipaddress

    try:
        ipaddress.ip_network(text, strict=True)
        return True
    except ValueError:
        return any(filters.end(text, r, side) for r in rows for side in ("source", "destination"))


def side_tables(spec: str, tables: tuple[str, ...]):
    """Tables and manifest of a side of ``align`` / ``compare`` (any error exits 2)."""
    from pipeline.diff.load import load_tables

    try:
        return load_tables(spec, tables)
    except PipelineError as exc:
        exc.exit_code = 2
        raise


def load_version(spec: str):
    """A side of ``align``: its rules, ports and locale."""
    from pipeline.align import version

    tables, manifest = side_tables(spec, ("rules", "ports"))
    locale = manifest.get("source", {}).get("locale", "und")
    return version(spec, tables["rules"].rows, tables["ports"].rows, locale)


def cmd_align(args: argparse.Namespace) -> int:
    """``align``: proposed name correspondences between two versions, ready to review."""
    from pipeline import components
    from pipeline.align import FORMATS, align

    result = align(load_version(args.left), load_version(args.right))
    registry = None if args.no_registry else components.load()
    sys.stdout.write(FORMATS[args.format](result, registry))
    unsure = sum(not c.sure for c in result.components)
    print(f"{result.rows} rows paired; {len(result.sections)} sections and "
          f"{len(result.components)} name correspondences proposed ({unsure} unsure); "
          f"{len(result.unmatched_left)} + {len(result.unmatched_right)} names without one",
          file=sys.stderr)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """``compare``: the flows two pages (two locales) say differently, by component id;
    1 with --exit-code when they differ."""
    from pipeline.compare import FORMATS, compare

    left, right = (side_tables(spec, ("ports",))[0]["ports"].rows
                   for spec in (args.left, args.right))
    result = compare(left, right, args.left, args.right)
    sys.stdout.write(FORMATS[args.format](result))
    return 1 if args.exit_code and not result.same else 0


def cmd_components(args: argparse.Namespace) -> int:
    """``components``: the components of a build, what a user needs for an address map."""
    from pipeline import published
    from pipeline.components_list import FORMATS, listing

    data = args.data or default_data()
    folder = data if data.is_dir() else data.parent  # a build, or one of its files
    rows = published.read(folder, "components").rows
    ports = published.read(folder, "ports").rows
    sys.stdout.write(FORMATS[args.format](listing(rows, ports, args.section)))
    return 0


def cmd_completion(args: argparse.Namespace) -> int:
    """``completion``: the shell completion script of every command and option (shtab)."""
    import shtab

    sys.stdout.write(shtab.complete(parser(), shell=args.shell))
    return 0


class LazyChoices:
    """Choices of an option read from the module that defines them, imported only when
    the option is used or shown (a build never pays for importing the exporters; the
    option needs a ``metavar``, or argparse lists the choices when it is added).

    ``name`` may be a function of the module that returns them; ``extra`` are choices
    added after them.

    >>> "json" in LazyChoices("pipeline.diff.render", "FORMATS")
    True
    >>> list(LazyChoices("pipeline.diff.render", "FORMATS", extra=("x",)))[-1]
    'x'
    """

    def __init__(self, module: str, name: str, extra: tuple[str, ...] = ()):
        self.module, self.name, self.extra = module, name, extra

    def values(self) -> tuple[str, ...]:
        """The choices, from the module."""
        import importlib

        found = getattr(importlib.import_module(self.module), self.name)
        return tuple(found() if callable(found) else found) + self.extra

    def __iter__(self):
        return iter(self.values())

    def __contains__(self, value: object) -> bool:
        return value in self.values()


def locale_argument(text: str) -> str:
    """``--locale``: a language tag, known to the vocabulary or not (an argparse type)."""
    from pipeline.detect import language_tag

    try:
        return language_tag(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def port_argument(text: str) -> list[tuple[int, int]]:
    """``--port``: ports, lists and ranges (an argparse type)."""
    try:
        return parse_ports(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def columns_argument(text: str) -> list[str]:
    """``--columns``: column names of the query table (an argparse type)."""
    names = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in names if c not in TABLE_COLUMNS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown columns {unknown or text!r}; choose from "
                                         f"{', '.join(TABLE_COLUMNS)}")
    return names


def two_sides(p: argparse.ArgumentParser, left: str, right: str) -> None:
    """The LEFT and RIGHT arguments of ``align`` and ``compare``."""
    for name, what in (("left", left), ("right", right)):
        p.add_argument(name, help=f"{what}: a build directory, a raw snapshot (built on the "
                       "fly) or git:REF")


def parser() -> argparse.ArgumentParser:
    """The command line's parser: every command and option, with its help."""
    # the vocabulary is read only when --locale is used or shown
    p = argparse.ArgumentParser(prog="citrix-ports", description=(
        "Turn Citrix's 'Communication Ports Used by Citrix Technologies' page into a "
        "validated dataset of network flows."))
    p.add_argument("--version", action="version", version=f"citrix-ports {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="run every stage from a snapshot into a build directory")
    b.add_argument("--input", type=Path, help="snapshot to read (text, Markdown or HTML); "
                   "default: the snapshot in raw/")
    b.add_argument("--out", type=Path, default=Path("build"), help="output directory "
                   "(default: build/)")
    b.add_argument("--strict", action="store_true",
                   help="fail when an erratum no longer matches the page (CI uses this)")
    b.add_argument("--locale", type=locale_argument, metavar="LOCALE",
                   help="locale of the page, a language tag (fr-fr, ja-jp, ko-kr, und...); "
                   "default: the locale fetch recorded for the snapshot, else recognised "
                   "from its HTML lang, else its words, else und (undetermined)")
    b.add_argument("--errata", type=Path, help="errata file (default: the reviewed "
                   "pipeline/data/errata.toml)")
    b.add_argument("--allow-shrink", action="store_true",
                   help="replace the build in --out even when the page lost more than 10%% "
                   "of its tables or rules (default: fail, naming the sections that shrank)")
    b.add_argument("--allow-unrecorded", action="store_true",
                   help="build a snapshot that is not the file raw/manifest.json describes "
                        "(another sha256: edited, or a fetch interrupted between its two "
                        "writes), without that entry's provenance, with a warning (default: "
                        "refuse, exit 2)")
    b.add_argument("--max-rejects", type=int, metavar="N",
                   help="fail when more than N rules are rejected (make and CI use this)")
    b.add_argument("--spreadsheet", action="store_true",
                   help="CSV files with a UTF-8 byte order mark and ';' between cells, as "
                   "spreadsheets set to French open them")
    b.set_defaults(func=cmd_build)

    f = sub.add_parser("fetch", help="fetch the live page (or its Markdown source) into raw/")
    f.add_argument("--url", help="page to fetch (default: the --locale page on docs.citrix.com)")
    f.add_argument("--locale", type=locale_argument, metavar="LOCALE",
                   help="locale of the page, a language tag (fr-fr, ja-jp, ko-kr...); "
                   "default: recognised from the URL's /ja-jp/ or /jp/ja/, else from the "
                   "page; without --url, the page of this locale on docs.citrix.com (fr-fr "
                   "by default)")
    f.add_argument("--raw-dir", type=Path, default=raw_manifest.DEFAULT_RAW, help="snapshot directory "
                   "(default: raw/)")
    f.add_argument("--allow-host", action="append", default=[], metavar="HOST",
                   help="also allow this host (over http or https); repeatable")
    f.add_argument("--force", action="store_true",
                   help="replace the snapshot even if the page lost more than half its rows")
    f.add_argument("--set-default", action="store_true",
                   help="make the fetched snapshot the one `make` and `build` read by default")
    f.add_argument("--timeout", type=seconds, default=30.0,
                   help="connect and read timeout in seconds (default: 30)")
    f.add_argument("--deadline", type=seconds, default=120.0,
                   help="seconds for the whole transfer, retries and redirects included, on "
                        "top of the per-read --timeout; past it, exit 5 (default: 120)")
    f.add_argument("--max-bytes", type=int, default=cap("fetched"),
                   help="largest page accepted (default: 5 MiB)")
    f.add_argument("--retries", type=int, default=3,
                   help="retries on connection errors, 429 and 5xx (default: 3)")
    f.add_argument("--backoff", type=float, default=1.0,
                   help="backoff factor in seconds between retries (default: 1)")
    f.set_defaults(func=cmd_fetch)

    d = sub.add_parser("diff", help="show what changed between two versions of the dataset")
    for name, what in (("old", "the old version"), ("new", "the new version")):
        d.add_argument(name, help=f"{what}: a build directory, a ports.csv or rules.csv, a raw "
                       "snapshot (built on the fly) or git:REF (the committed build/ at REF)")
    d.add_argument("--format", choices=LazyChoices("pipeline.diff.render", "FORMATS"),
                   default="text", metavar="FORMAT",
                   help="text for a terminal (default), markdown for a pull request or CI "
                   "job summary, json for programs")
    d.add_argument("--table", choices=TABLES, default="ports",
                   help="which table to compare (default: ports)")
    d.add_argument("--exit-code", action="store_true",
                   help="exit 1 when the versions differ, 0 when they are the same")
    d.set_defaults(func=cmd_diff)

    q = sub.add_parser("query", help="filter the published ports (case- and accent-insensitive)")
    q.add_argument("component", nargs="?", help="matches the source, the destination or the "
                   "section (substring, case- and accent-insensitive), or a component id or "
                   "alias in any language")
    q.add_argument("--from", dest="source", metavar="NAME", action="append",
                   help="the source matches NAME or is the component NAME (id, alias in "
                   "any language or English name; repeatable: any of them; a flow both "
                   "ways: either end)")
    q.add_argument("--to", dest="destination", metavar="NAME", action="append",
                   help="the destination matches NAME or is the component NAME (id, alias "
                   "in any language or English name; repeatable; a flow both ways: either "
                   "end)")
    q.add_argument("--port", type=port_argument, metavar="PORTS",
                   help="the port range meets these ports: 443, 443,80 or 1494-2598")
    q.add_argument("--protocol", type=str.lower, choices=enum("ports", "protocol"),
                   help="tcp, udp or icmp (any case)")
    q.add_argument("--section", action="append", metavar="NAME",
                   help="the section matches this text, or is the section id or English "
                   "name NAME (repeatable: any of them)")
    q.add_argument("--ranges", action="store_true", help="only rows whose ports are a range")
    q.add_argument("--format", choices=QUERY_FORMATS, default="table",
                   help="table for a terminal (default), csv or json")
    q.add_argument("--columns", type=columns_argument, default=list(DEFAULT_COLUMNS),
                   metavar="LIST", help="columns of the table, comma-separated, from "
                   f"{', '.join(TABLE_COLUMNS)} (default: {','.join(DEFAULT_COLUMNS)})")
    q.add_argument("--names", choices=["page", "en"], default="page",
                   help="page: names as the page writes them (default); en: the English "
                   "names of the component registry")
    q.add_argument("--spreadsheet", action="store_true",
                   help="with --format csv: a UTF-8 byte order mark and ';' between cells")
    q.add_argument("--data", type=Path, default=None,
                   help="build directory, ports.csv or ports.parquet to query (default: "
                   "build/ here, else the dataset the package ships)")
    q.set_defaults(func=cmd_query)

    e = sub.add_parser("export", help="write firewall rules for the ports, from an address map")
    e.add_argument("format", choices=LazyChoices("pipeline.export.formats", "RENDERERS"),
                   metavar="FORMAT", help="rule file format: %(choices)s")
    e.add_argument("--addresses", type=Path, required=True,
                   help="YAML address map: component id, name or pattern -> addresses/CIDRs "
                   "(example: examples/address-map.yaml; citrix-ports components --format "
                   "yaml writes a skeleton)")
    e.add_argument("--data", type=Path, default=None,
                   help="build directory, ports.csv or ports.parquet (default: build/ here, "
                   "else the dataset the package ships)")
    e.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    e.add_argument("--provider", choices=["aws", "azure", "gcp"],
                   help="with the terraform format: the cloud (aws security group rules, "
                   "azure network security rules, gcp firewall rules)")
    e.add_argument("--split", action="store_true",
                   help="terraform: split the rules of a destination that exceed a limit of "
                   "the cloud across several groups (variables <name>_1, _2…)")
    e.add_argument("--quota", type=int, metavar="N",
                   help="terraform: rules per security group or network security group when "
                   "your quota is not the default (aws 60, azure 1000)")
    e.add_argument("--section", action="append", metavar="NAME",
                   help="only the flows of the sections NAME (as query --section; repeatable)")
    e.add_argument("--from", dest="source", metavar="NAME", action="append",
                   help="only the flows from NAME, in their own direction (as query --from: "
                   "a name, an id, an alias or an English name; repeatable)")
    e.add_argument("--to", dest="destination", metavar="NAME", action="append",
                   help="only the flows to NAME, in their own direction (repeatable)")
    e.add_argument("--host", action="append", metavar="ID",
                   help="only the rules of this host: flows whose local end is ID (an id, "
                   "an alias, a name or an address), narrowed to its addresses; repeatable")
    e.add_argument("--direction", choices=["in", "out", "both"], default="in",
                   help="with --host: inbound to it (default), outbound from it, or both")
    e.add_argument("--hook", action="append", choices=["input", "forward", "output"],
                   help="nftables: a base chain on this hook (repeatable) that filters with "
                   "the flows; without it the table filters nothing by itself")
    e.add_argument("--policy", choices=["drop", "accept"], default="drop",
                   help="nftables with --hook: the base chains' policy (default: drop)")
    e.add_argument("--explain", nargs="?", const="-", metavar="FILE",
                   help="write every detail (each flow left out and why, what each pattern "
                   "matched) to standard error, or to FILE")
    e.add_argument("--allow-all-ports", action="store_true",
                   help="write a rule that opens every port (1-65535) when the page says so")
    e.add_argument("--allow-any", action="store_true",
                   help="accept very wide networks (more than an IPv4 /8 or an IPv6 /32 in "
                   "all, IPv4-mapped, NAT64 and 6to4 counted as IPv4) in the address map, "
                   "with a warning")
    e.set_defaults(func=cmd_export)
    a = sub.add_parser("align", help="propose which names of two versions (two locales, or "
                       "two versions) mean the same component or section, as registry "
                       "entries to review")
    two_sides(a, "one version", "the other version (its names give the proposed English "
                                "names)")
    a.add_argument("--format", choices=LazyChoices("pipeline.align", "FORMATS"),
                   default="toml", metavar="FORMAT",
                   help="toml: registry entries marked proposed, with their evidence "
                   "(default); json for programs")
    a.add_argument("--no-registry", action="store_true",
                   help="do not compare the proposals with the registry")
    a.set_defaults(func=cmd_align)
    k = sub.add_parser("compare", help="compare two pages (two locales, or two versions) by "
                       "component id: flows only one has, flows whose ports disagree")
    two_sides(k, "one page", "the other page")
    k.add_argument("--format", choices=LazyChoices("pipeline.compare", "FORMATS"),
                   default="text", metavar="FORMAT",
                   help="text for a terminal (default), markdown for a pull request or CI "
                   "job summary, json for programs")
    k.add_argument("--exit-code", action="store_true",
                   help="exit 1 when the pages differ (or name components the registry does "
                   "not know), 0 when they have the same flows")
    k.set_defaults(func=cmd_compare)
    m = sub.add_parser("components", help="list the components of a build: id, English name, "
                       "the page's names, kind, flows (to write an address map)")
    m.add_argument("--section", help="only components of the sections that match this text "
                   "or section id")
    m.add_argument("--format", choices=LazyChoices("pipeline.components_list", "FORMATS"),
                   default="table", metavar="FORMAT",
                   help="table for a terminal (default), csv, json, or yaml (an address map "
                   "skeleton keyed by id)")
    m.add_argument("--data", type=Path, default=None,
                   help="build directory (default: build/ here, else the dataset the package "
                   "ships)")
    m.set_defaults(func=cmd_components)
    c = sub.add_parser("completion", help="print the shell completion script (bash, zsh, tcsh)")
    c.add_argument("shell", choices=["bash", "zsh", "tcsh"])
    c.set_defaults(func=cmd_completion)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    args = parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except PipelineError as exc:
        print(f"citrix-ports: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("citrix-ports: interrupted; nothing was published", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output left (`| head`): end quietly, as a killed pipe would.
        # Python would report the failed flush of stdout at exit: point it at devnull.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is no file (embedded use)
            pass
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # a bug: say so plainly, no traceback unless asked
        if os.environ.get("CITRIX_PORTS_DEBUG"):
            import traceback

            traceback.print_exc()
        print(f"citrix-ports: internal error: {type(exc).__name__}: {exc}\n"
              "  this is a bug; rerun with CITRIX_PORTS_DEBUG=1 and report the traceback",
              file=sys.stderr)
        return EXIT_INTERNAL
