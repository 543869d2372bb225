"""``citrix-ports export``: firewall rules for the ports, from an address map.

Input: the arguments.  Output: the rule file (``-o`` or standard output), the summary on
standard error.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from pipeline.catalogue import warning
from pipeline.cli.options import LazyChoices, Paragraphs, data_option, ends_options, without_option
from pipeline.core.bounded import excerpt
from pipeline.core.wording import counted
from pipeline.dataset.published import default_data
from pipeline.errors import InputError

# --from and --to: one row of the reference
ENDS_HELP = (
    "only the directed flows from / to NAME in their own direction (a flow both "
    "ways is two directed flows): an id, or a whole name, alias in any language "
    "or English name (case and accents ignored; never a part of a name: `storefr` "
    "is refused with the names that hold it); repeatable"
)


def add(sub) -> None:
    """The ``export`` command's options."""
    e = sub.add_parser(
        "export",
        help="write firewall rules for the ports, from an address map",
        description=(
            "Firewall rules for the ports, from an address map. See [exports](exports.md)."
        ),
        epilog=(
            "Map keys are registry ids (the same map works for the page in every "
            "language), names as the page writes them, or patterns. A name that denotes "
            "several components gets the rules of each member the map gives; "
            "`any-citrix-component` (`Tout composant Citrix`) takes the addresses the map "
            "gives it, else those of every Citrix server component the map gives (never "
            "user devices, consoles, client software, internet endpoints or Microsoft and "
            "third-party servers). Security groups (`aws-sg`) are one per destination id."
            "\n\n"
            "On standard error: the warnings about the map (a key that matches no "
            "component of the data, with the closest names and ids; a network of one key "
            "inside a larger network of another, whose rules reach it too; an IPv4-mapped "
            "value such as `::ffff:10.0.20.5`; a very wide network allowed by "
            "`--allow-any`), then a short summary that adds up: the rule statements "
            "written, from how many of the ports rows, and every row left out, by reason, "
            "with counts (an end without address, no port, IP versions that cannot meet, "
            "not selected by `--host`/`--from`/`--to`, not expressible in the format); "
            "the rules that open more than 1,024 ports. `--explain` gives the details. A "
            "`--from`, `--to`, `--section` or `--host` that matches nothing in the data "
            "is an error (status 2) with the closest names, and so is a selection that "
            "writes no rule."
        ),
        formatter_class=Paragraphs,
    )
    e.add_argument(
        "format",
        choices=LazyChoices("pipeline.export", "RENDERERS"),
        metavar="FORMAT",
        help="the rule file format: %(choices)s (`aerleon` writes a directory: `-o DIR`)",
    )
    e.add_argument(
        "--addresses",
        metavar="MAP",
        type=Path,
        required=True,
        help="the YAML address map (example: `examples/address-map.yaml`; what it may "
        "hold: [exports](exports.md#the-address-map))",
    )
    data_option(
        e,
        "the build directory, `ports.csv` or `ports.parquet` (default: `build/` in "
        "the current directory when there is one, else the dataset the installed "
        "package ships); checked against the ports schema first",
    )
    e.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        help="the file to write, atomically: written aside and renamed over it (default: "
        "standard output). A symbolic link writes the file it points to, atomically, "
        "and stays a link; a device or FIFO (`/dev/stdout`) is written to, never "
        "replaced; a directory is refused (status 2)",
    )
    e.add_argument(
        "--provider",
        choices=LazyChoices("pipeline.export.terraform", "PROVIDERS"),
        metavar="PROVIDER",
        help="with `terraform` (and only with it): AWS security group rules, Azure network "
        "security rules or Google Cloud firewall rules",
    )
    e.add_argument(
        "--split",
        action="store_true",
        help="`terraform`: when the rules of a destination exceed a limit of the cloud, "
        "split them across several groups (variables `sg_<id>_1`, `_2`…) instead of "
        "failing",
    )
    e.add_argument(
        "--quota",
        type=int,
        metavar="N",
        help="`terraform`: the rules allowed per security group (AWS, default 60) or "
        "network security group (Azure, default 1,000) when your quota differs",
    )
    e.add_argument(
        "--section",
        action="append",
        metavar="NAME",
        help="only the flows of the sections NAME: a part of the section's name as the "
        "page writes it, its id or its English name; repeatable (any of them)",
    )
    ends_options(e, ENDS_HELP, ENDS_HELP)
    without_option(
        e,
        "the summary counts them (`--without edt`: a site without EDT opens no UDP 1494/2598/443 for it)",
    )
    e.add_argument(
        "--host",
        action="append",
        metavar="ID",
        help="only the rules of this host: the directed flows whose local end is ID (an "
        "id, or a whole alias or name, as `--from`; or a plain address or CIDR, "
        "parsed as the map's values are: no scope id, nothing around it), the local "
        "end narrowed to its addresses; repeatable",
    )
    e.add_argument(
        "--direction",
        choices=["in", "out", "both"],
        default="in",
        help="with `--host`: the flows inbound to it (default), outbound from it, or both",
    )
    e.add_argument(
        "--hook",
        action="append",
        choices=["input", "forward", "output"],
        help="`nftables`: add a base chain on this hook that jumps to the flows "
        "(repeatable); without it the table filters nothing by itself",
    )
    e.add_argument(
        "--policy",
        choices=["drop", "accept"],
        default="drop",
        help="`nftables` with `--hook`: the base chains' policy (default `drop`: what no "
        "rule accepts is dropped)",
    )
    e.add_argument(
        "--platform",
        action="append",
        choices=LazyChoices("pipeline.export.aerleon", "platforms"),
        metavar="NAME",
        help="`aerleon`: a platform to write header targets for and compile, by aerleon's "
        "name (%(choices)s: `pipeline/data/aerleon_platforms.toml`); repeatable; "
        "default: every one that applies (the zone-based ones when the map has zones, "
        "`k8s` and `gce` when the flows have one destination)",
    )
    e.add_argument(
        "--final-deny",
        action="store_true",
        help="`aerleon`: end the filter of each pair of zones with a term that denies the "
        "rest (default: none; the firewall's own default for traffic between zones "
        "decides, and a catch-all deny in a rulebase shadows every rule after it)",
    )
    e.add_argument(
        "--from-zone",
        action="append",
        metavar="ZONE",
        help="only the flows from / to this zone of the address map's `zones:` "
        "(repeatable); each rule narrowed to the networks of the zones asked; the map "
        "needs zones",
    )
    e.add_argument(
        "--to-zone",
        action="append",
        metavar="ZONE",
        help="only the flows from / to this zone of the address map's `zones:` "
        "(repeatable); each rule narrowed to the networks of the zones asked; the map "
        "needs zones",
    )
    e.add_argument(
        "--names",
        choices=["page", "en"],
        help="`windows`: display names made of the registry's English names (`en`, the "
        "default) or of the page's (`page`)",
    )
    e.add_argument(
        "--gpo",
        metavar="'DOMAIN\\POLICY'",
        help="`windows`: write the rules to this Group Policy object (`-PolicyStore "
        "'contoso.com\\Citrix Delivery Controllers'`) instead of the host's own store "
        "(`PersistentStore`); one backslash, no control character",
    )
    e.add_argument(
        "--profile",
        action="append",
        choices=["Domain", "Private", "Public", "Any"],
        help="`windows`: the firewall profile of the rules (repeatable; default `Domain`)",
    )
    e.add_argument(
        "--per-host",
        type=Path,
        metavar="DIR",
        help="one file per component of the map that receives flows, `DIR/<id>.<ext>` "
        "(`.ps1`, `.nft`, `.rules`, `.rules6`, `.json`, `.tf`), each exactly what "
        "`--host <id>` writes (`windows`: only the roles that run Windows, the "
        "registry's `[platform.windows]`; the others are named as skipped); goes "
        "without `-o` and `--host`; a file of that extension in DIR this export did "
        "not write is named in a warning",
    )
    e.add_argument(
        "--explain",
        nargs="?",
        const="-",
        metavar="FILE",
        help="every detail (each flow left out and why, what each pattern and "
        "`any-citrix-component` stood for) to standard error, or to FILE",
    )
    e.add_argument(
        "--allow-all-ports",
        action="store_true",
        help="write a rule that opens every port (1-65535), or more ports than the page's "
        "widest range (16,384), when the page says so; refused otherwise",
    )
    e.add_argument(
        "--strict",
        action="store_true",
        help="fail (status 2, nothing written) on any warning about the map: a key that "
        "matches no component, a host inside another key's network, an IPv4-mapped "
        "value; for CI",
    )
    e.add_argument(
        "--allow-any",
        action="store_true",
        help="accept very wide networks in the map (together more than an IPv4 /8 or an "
        "IPv6 /32; IPv4-mapped, NAT64 and 6to4 networks count as IPv4), with a "
        "warning; refused otherwise",
    )
    e.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``export``: firewall rules for the ports, from an address map."""
    from pipeline.dataset import published
    from pipeline.dataset.query import Filters, check_conditions, load_ports, query
    from pipeline.export import Selection, elsewhere_notes, export, load_address_map
    from pipeline.registry.components import load as load_registry

    check_combination(args)
    args.host = list(checked_hosts(args.host)) or None
    gpo = ""
    if args.gpo is not None:
        from pipeline.export.windows import check_gpo

        gpo = check_gpo(args.gpo)
    data = args.data or default_data()
    registry = load_registry()
    every = load_ports(data)
    addresses = load_address_map(args.addresses, allow_any=args.allow_any)
    addresses.bind(registry, every)
    check_names(args, every, registry)
    check_conditions(tuple(args.without or ()), every)
    rows = query(every, Filters(section=args.section, registry=registry))
    options = options_of(args, registry, gpo, addresses.zones)
    source = published.build_manifest(data).get("source", {})
    notes = elsewhere_notes(
        published.ports_elsewhere(data), addresses, registry, str(source.get("url") or "")
    )

    def export_for(hosts: tuple[str, ...]):
        selection = Selection(
            tuple(args.source or ()),
            tuple(args.destination or ()),
            hosts,
            args.direction,
            registry,
            tuple(args.from_zone or ()),
            tuple(args.to_zone or ()),
            tuple(args.without or ()),
        )
        return export(
            rows,
            addresses,
            args.format,
            source=source,
            options=replace(options, hosts=hosts),
            selection=selection,
            allow_all_ports=args.allow_all_ports,
        )

    if args.per_host:
        return per_host(args, export_for, registry, notes)
    done = export_for(tuple(args.host or ()))
    strict(args, done)
    if not done.rendered.rules and (
        args.host or args.source or args.destination or args.from_zone or args.to_zone
    ):
        unused = addresses.unused_keys()  # a misspelt key leaves its component unmapped
        raise InputError(
            "no flow of the data answers --host, --from, --to and the zones together under "
            "this map: nothing written",
            hint=(
                f"{counted(len(unused), 'key')} of the map {'match' if len(unused) > 1 else 'matches'}"
                " no component (a typo?): "
                + "; ".join(w.removeprefix("warning: ") for w in unused[:3])
                if unused
                else "rerun with --explain to see what was left out, or check the map gives "
                "the ends addresses"
            ),
        )
    write(args.output, done.rendered)
    report(args, done, notes=notes)
    return 0


def strict(args: argparse.Namespace, done) -> None:
    """``--strict``: the warnings about the map are errors, before anything is written."""
    if not args.strict or not done.warnings:
        return
    from pipeline.core.shown import escaped

    for line in done.warnings:
        print(escaped(line.replace("\n", " ")), file=sys.stderr)
    raise InputError(
        f"--strict: {counted(len(done.warnings), 'warning')} about the address map "
        f"{args.addresses}: nothing written",
        hint="fix the map as the warnings say, or export without --strict",
    )


def check_combination(args: argparse.Namespace) -> None:
    """``InputError`` for options that do not go together (with the format, or each other)."""
    windows_only = [
        f"--{o.replace('_', '-')}" for o in ("names", "gpo", "profile") if getattr(args, o)
    ]
    refused = [
        (
            (args.format == "terraform") != bool(args.provider),
            "--provider goes with the terraform format, and the terraform format needs it",
            "export terraform --provider aws|azure|gcp",
        ),
        (
            args.hook and args.format != "nftables",
            "--hook and --policy go with the nftables format",
            "iptables: jump to CITRIX-PORTS from your chain (see the file's header)",
        ),
        (
            windows_only and args.format != "windows",
            f"{' and '.join(windows_only)} {'goes' if len(windows_only) == 1 else 'go'} "
            "with the windows format",
            "the other formats name their rules by ids and keep the page's words in comments",
        ),
        (
            args.final_deny and args.format != "aerleon",
            "--final-deny goes with the aerleon format",
            "export aerleon --addresses MAP -o DIR --final-deny",
        ),
        (
            args.platform and args.format != "aerleon",
            "--platform goes with the aerleon format",
            "export aerleon --addresses MAP -o DIR --platform paloalto",
        ),
        (
            args.format == "aerleon" and not (args.output or args.per_host),
            "the aerleon format writes a directory (pol/, def/, out/): give it with -o DIR",
            "export aerleon --addresses MAP -o DIR",
        ),
        (
            args.per_host and (args.output or args.host),
            "--per-host writes a file per host: it goes without -o and --host",
            "export --per-host DIR, or export --host ID -o FILE for one host",
        ),
    ]
    for wrong, message, hint in refused:
        if wrong:
            raise InputError(message, hint=hint)


def check_names(args: argparse.Namespace, every: list[dict], registry) -> None:
    """``InputError``, with the closest names, for a ``--host``, ``--from``, ``--to`` or
    ``--section`` that names nothing of the data."""
    from pipeline.dataset.query import Filters, closest, unmatched_message

    filters = Filters(
        section=args.section,
        source=args.source,
        destination=args.destination,
        registry=registry,
        whole=True,
    )
    unmatched = filters.unmatched(every) + [
        h for h in args.host or [] if not host_known(h, every, filters)
    ]
    if unmatched:
        asked = Filters(
            source=tuple(args.host or ()) + tuple(args.source or ()),
            destination=args.destination,
            section=args.section,
            registry=registry,
            whole=True,
        )
        raise InputError(
            unmatched_message(unmatched),
            hint="; ".join(closest(every, asked)) or "citrix-ports components lists them",
        )


def options_of(args: argparse.Namespace, registry, gpo: str, zones):
    """The export's ``Options`` from the command line (Windows names rules in English by
    default, the other formats as the page writes them)."""
    from pipeline.export import Options

    return Options(
        provider=args.provider,
        split=args.split,
        quota=args.quota,
        hooks=tuple(dict.fromkeys(args.hook or ())),
        policy=args.policy,
        names=args.names or ("en" if args.format == "windows" else "page"),
        registry=registry,
        gpo=gpo,
        profiles=tuple(dict.fromkeys(args.profile or ())),
        platforms=tuple(args.platform or ()),
        zones=zones,
        final_deny=args.final_deny,
    )


def write(output: Path | None, rendered) -> None:
    """What an export rendered: its files under ``output`` (a directory), or its text into
    ``output`` (atomically), or on standard output."""
    if rendered.files:
        if output is None:
            raise InputError("this format writes several files: give their directory with -o DIR")
        write_files(output, rendered.files)
    elif output:
        from pipeline.core.atomic import atomic_write

        atomic_write(output, rendered.text.encode("utf-8"))
    else:
        sys.stdout.write(rendered.text)


def write_files(directory: Path, files: dict[str, str]) -> None:
    """The files of a format of several files under ``directory``, as one: all of them
    new, or (a full disk, a refused write) all of them as they were."""
    from pipeline.core.atomic import atomic_write_all

    if directory.exists() and not directory.is_dir():
        raise InputError(
            f"{directory} is a file: this format writes a directory",
            hint="give -o a directory (it is made if it does not exist)",
        )
    atomic_write_all({directory / path: text.encode("utf-8") for path, text in files.items()})
    print(f"wrote {', '.join(files)} in {directory}", file=sys.stderr)
    # what an earlier export compiled for a platform this one does not: never left to
    # be loaded as if it were current (only the files of our own policy, out/citrix.*)
    out = directory / "out"
    for stale in sorted(out.glob("citrix.*")) if out.is_dir() else []:
        if f"out/{stale.name}" not in files and stale.is_file():
            stale.unlink()
            print(
                f"removed out/{stale.name}: a platform this export does not write",
                file=sys.stderr,
            )


def report(
    args: argparse.Namespace, done, prefix: str = "", notes: list[str] | None = None
) -> None:
    """The warnings, the notes (``elsewhere_notes``: where the ports of a mapped product
    are), the details asked (``--explain``) and the summary of an export,
    each line as text only (``escaped``: a page name or map key that holds a control or
    bidi character shows it as an escape, never acts on the terminal)."""
    from pipeline.core.shown import escaped

    for line in done.warnings + (notes or []):
        print(escaped(line.replace("\n", " ")), file=sys.stderr)
    if args.explain:
        text = "".join(f"{escaped(line.replace(chr(10), ' '))}\n" for line in done.details)
        if args.explain == "-":
            sys.stderr.write(text)
        else:
            from pipeline.core.atomic import atomic_write

            atomic_write(Path(args.explain), text.encode("utf-8"))
    print(escaped(prefix + done.summary()), file=sys.stderr)


# The file each format writes for a host with --per-host.
EXTENSIONS = {
    "nftables": "nft",
    "iptables": "rules",
    "ip6tables": "rules6",
    "windows": "ps1",
    "aws-sg": "json",
    "terraform": "tf",
    "aerleon": "",  # a directory per host
}


def per_host(args: argparse.Namespace, export_for, registry, notes: list[str]) -> int:
    """``--per-host DIR``: a file per component of the map that receives flows, each as
    ``--host <id>`` writes it; what the whole map writes is accounted for per host.  The
    windows format writes only the roles that run Windows (the registry's
    ``[platform.windows]``), naming those it skips."""
    whole = export_for(())
    strict(args, whole)
    hosts = sorted({r.destination_id for r in whole.plan.rules if r.destination_id})
    if args.direction in ("out", "both"):
        hosts = sorted({*hosts, *(r.source_id for r in whole.plan.rules if r.source_id)})
    if args.format == "windows":
        windows = registry.platforms.get("windows", frozenset())
        skipped = [h for h in hosts if h not in windows]
        hosts = [h for h in hosts if h in windows]
        if skipped:
            print(
                f"skipped {counted(len(skipped), 'role')} that do not run Windows (the "
                f"registry's [platform.windows]): {', '.join(skipped)}; export them with a "
                "format of their own, or --host ID to write a script anyway",
                file=sys.stderr,
            )
    if not hosts:
        raise InputError(
            "no component of the map receives a flow: nothing written",
            hint="rerun with --explain to see what was left out",
        )
    ext = EXTENSIONS[args.format]
    args.per_host.mkdir(parents=True, exist_ok=True)
    written = []
    for host in hosts:
        done = export_for((host,))
        if not done.rendered.rules:
            continue
        path = args.per_host / (f"{host}.{ext}" if ext else host)
        write(path, done.rendered)
        written.append(path.name)
        print(f"{path}: {done.rendered.rules} rule(s)", file=sys.stderr)
    pattern = f"*.{ext}" if ext else "*"  # a format of several files: a directory each
    others = sorted(p.name for p in args.per_host.glob(pattern) if p.name not in set(written))
    if others:
        print(
            warning("per-host-others", directory=args.per_host, files=", ".join(others)),
            file=sys.stderr,
        )
    report(
        args,
        whole,
        prefix=f"{len(written)} file(s) written to {args.per_host}; the map as a whole: ",
        notes=notes,
    )
    return 0


def host_known(text: str, rows: list[dict], filters) -> bool:
    """Whether ``--host`` names an end of the data: an id, alias or whole name, or an
    address (checked against the map when the rules are planned)."""
    from pipeline.export.addresses import looks_like_address

    if looks_like_address(text):
        return True
    return any(filters.end(text, r, side) for r in rows for side in ("source", "destination"))


def checked_hosts(hosts: list[str] | None) -> tuple[str, ...]:
    """The ``--host`` values as the plan takes them: an address or network parsed as the
    address map's values are (no scope id, nothing around it) and written back in its
    own form; a name or id as given (matched whole)."""
    from pipeline.export.addresses import looks_like_address, parse_network

    out = []
    for text in hosts or ():
        if looks_like_address(text):
            try:
                text = str(parse_network(text))
            except ValueError as exc:
                raise InputError(
                    f"--host {excerpt(text)}: {exc}",
                    hint="give an id (citrix-ports components lists them), a name, or a "
                    "plain address or CIDR as the address map takes them",
                ) from None
        out.append(text)
    return tuple(out)
