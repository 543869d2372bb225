"""``citrix-ports completion``: the shell completion script of every command (shtab).

Input: the arguments.  Output: the script on standard output.
"""

from __future__ import annotations

import argparse
import sys

from pipeline.cli.options import Paragraphs


def add(sub) -> None:
    """The ``completion`` command's options."""
    c = sub.add_parser(
        "completion",
        help="print the shell completion script (bash, zsh, tcsh)",
        epilog=(
            "Prints the shell completion script of every command and option (made from "
            "the command line's own parser by [shtab](https://github.com/iterative/shtab)). "
            "Install it once:\n\n"
            "```sh\n"
            "citrix-ports completion bash > ~/.local/share/bash-completion/completions/citrix-ports\n"
            'citrix-ports completion zsh > "${fpath[1]}/_citrix-ports"    # then: compinit\n'
            "```"
        ),
        formatter_class=Paragraphs,
    )
    c.add_argument(
        "shell",
        choices=["bash", "zsh", "tcsh"],
        metavar="SHELL",
        help="the shell the script is for: %(choices)s",
    )
    c.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``completion``: the shell completion script of every command and option (shtab)."""
    import shtab

    from pipeline.cli import parser

    sys.stdout.write(shtab.complete(parser(), shell=args.shell))
    return 0
