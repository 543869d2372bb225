"""Command line: ``citrix-ports`` (and ``python -m pipeline``); one module per command,
each with its options (``add``) and what it does (``run``).

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
import os
import sys

from pipeline import __version__
from pipeline.cli import align, build, compare, completion, components, diff, export, fetch, query
from pipeline.errors import EXIT_BROKEN_PIPE, EXIT_INTERNAL, EXIT_INTERRUPTED, PipelineError

COMMANDS = (build, fetch, diff, query, export, align, compare, components, completion)


def parser() -> argparse.ArgumentParser:
    """The command line's parser: every command and option, with its help."""
    p = argparse.ArgumentParser(
        prog="citrix-ports",
        description=(
            "Turn Citrix's 'Communication Ports Used by Citrix Technologies' page into a "
            "validated dataset of network flows."
        ),
    )
    p.add_argument("--version", action="version", version=f"citrix-ports {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add(sub)
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
        with contextlib.suppress(OSError, ValueError):  # stdout is no file (embedded use)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # a bug: say so plainly, no traceback unless asked
        if os.environ.get("CITRIX_PORTS_DEBUG"):
            import traceback

            traceback.print_exc()
        print(
            f"citrix-ports: internal error: {type(exc).__name__}: {exc}\n"
            "  this is a bug; rerun with CITRIX_PORTS_DEBUG=1 and report the traceback",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
