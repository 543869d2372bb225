"""``citrix-ports components``: the components of a build, what an address map needs.

Input: the arguments.  Output: the listing on standard output.
"""

from __future__ import annotations

import argparse
import sys

from pipeline.cli.options import LazyChoices, Paragraphs, data_option
from pipeline.dataset.published import default_data
from pipeline.errors import InputError, Location


def add(sub) -> None:
    """The ``components`` command's options."""
    m = sub.add_parser(
        "components",
        help="list the components of a build: id, English name, "
        "the page's names, kind, flows (to write an address map)",
        description=(
            "The components of a build, with their registry ids: what you need to write "
            "an address map. See [components](components.md)."
        ),
        formatter_class=Paragraphs,
    )
    m.add_argument(
        "--section",
        help="only the components the flows of the matching sections (text or section id) "
        "name, their flows counted there",
    )
    m.add_argument(
        "--format",
        choices=LazyChoices("pipeline.dataset.components_list", "FORMATS"),
        default="table",
        metavar="FORMAT",
        help="`table` (default: id, kind, flows, English name, the page's names, members), "
        "`csv`, `json`, or `yaml`: an address map skeleton keyed by id, every entry "
        "commented out until you give it addresses",
    )
    data_option(
        m,
        "the build directory (default: `build/` here, else the dataset the package ships)",
    )
    m.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``components``: the components of a build, what a user needs for an address map."""
    from pipeline.dataset import published
    from pipeline.dataset.components_list import FORMATS, listing

    data = args.data or default_data()
    if not data.exists():
        raise InputError(
            "no such build directory or published file",
            Location(str(data)),
            hint="run `make` first, or give --data a build directory",
        )
    folder = data if data.is_dir() else data.parent  # a build, or one of its files
    rows = published.read(folder, "components").rows
    ports = published.read(folder, "ports").rows
    sys.stdout.write(FORMATS[args.format](listing(rows, ports, args.section)))
    return 0
