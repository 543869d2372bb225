"""``citrix-ports completion``: the shell completion script of every command (shtab).

Input: the arguments.  Output: the script on standard output.
"""

from __future__ import annotations

import argparse
import sys


def add(sub) -> None:
    """The ``completion`` command's options."""
    c = sub.add_parser("completion", help="print the shell completion script (bash, zsh, tcsh)")
    c.add_argument("shell", choices=["bash", "zsh", "tcsh"], help="the shell the script is for")
    c.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``completion``: the shell completion script of every command and option (shtab)."""
    import shtab

    from pipeline.cli import parser

    sys.stdout.write(shtab.complete(parser(), shell=args.shell))
    return 0
