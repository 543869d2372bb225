"""The command line reference, made from the parser: ``docs/cli.md``.

Input: the command line's parser (every command's description, usage, options with their
help, and epilog) and the exit statuses of ``pipeline.errors``.  Output: the Markdown
reference; ``python -m pipeline.cli.reference`` writes it to ``docs/cli.md``, and with
``--check`` exits 1 when the file is not what the parser makes (``make check``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.cli.options import paragraphs
from pipeline.errors import EXIT_STATUSES

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
WIDTH = 92  # of the synopses, whatever the terminal
PROSE = 88  # of the descriptions and epilogs

HEADER = """\
# The command line: `citrix-ports`

`citrix-ports COMMAND …` (or `python -m pipeline COMMAND …`, the same thing).
`citrix-ports COMMAND --help` says what this page says; `citrix-ports --version` prints
the version. This page is made from the command line's parser
(`python -m pipeline.cli.reference`, run by `make docs`; `make check` fails when it is
out of date): edit the help in `pipeline/cli/`, not this file.

## Exit status

| status | meaning |
|---:|---|
"""

FOOTER = """
Every failure leaves `raw/` and `build/` as they were: files are written aside and
swapped in whole.
"""


def cell(text: str) -> str:
    """Text for one cell of a Markdown table: one line, its pipes escaped.

    >>> cell("a | b\\nc")
    'a \\\\| b c'
    """
    return " ".join(text.split()).replace("|", "\\|")


def synopsis(sub: argparse.ArgumentParser) -> str:
    """The command's usage, as argparse writes it, at a fixed width."""
    formatter = argparse.HelpFormatter(sub.prog, width=WIDTH)
    shown = [a for a in sub._actions if not isinstance(a, argparse._HelpAction)]
    formatter.add_usage(sub.usage, shown, sub._mutually_exclusive_groups, prefix="")
    return formatter.format_help().rstrip()


def option_rows(sub: argparse.ArgumentParser) -> list[tuple[str, str]]:
    """(options, meaning) of each argument but ``--help``; arguments that share their
    help (``OLD``, ``NEW``; ``--from``, ``--to``) share a row."""
    formatter = argparse.HelpFormatter(sub.prog, width=WIDTH)
    rows: list[tuple[str, str]] = []
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings:
            metavar = (
                "" if action.nargs == 0 else formatter._format_args(action, action.dest.upper())
            )
            names = ", ".join(f"`{o} {metavar}`".replace(" `", "`") for o in action.option_strings)
        else:
            names = f"`{formatter._metavar_formatter(action, action.dest.upper())(1)[0]}`"
        meaning = formatter._expand_help(action) if action.help else ""
        if rows and rows[-1][1] == meaning:
            rows[-1] = (f"{rows[-1][0]}, {names}", meaning)
        else:
            rows.append((names, meaning))
    return rows


def command_section(name: str, sub: argparse.ArgumentParser) -> str:
    """The reference of one command: description, synopsis, options, epilog."""
    parts = [f"## `citrix-ports {name}`", ""]
    if sub.description:
        parts += [paragraphs(sub.description, PROSE), ""]
    parts += ["```sh", synopsis(sub), "```", ""]
    rows = option_rows(sub)
    if rows:
        parts += ["| option | meaning |", "|---|---|"]
        parts += [f"| {cell(names)} | {cell(meaning)} |" for names, meaning in rows]
        parts.append("")
    if sub.epilog:
        parts += [paragraphs(sub.epilog, PROSE), ""]
    return "\n".join(parts)


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The commands of the parser, in the order they were added."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def reference(parser: argparse.ArgumentParser) -> str:
    """The whole reference, Markdown."""
    statuses = "".join(f"| {code} | {cell(meaning)} |\n" for code, meaning in EXIT_STATUSES)
    sections = [command_section(name, sub) for name, sub in subcommands(parser).items()]
    return HEADER + statuses + FOOTER + "\n" + "\n".join(sections)


def main(argv: list[str] | None = None) -> int:
    """Write ``docs/cli.md``, or with ``--check`` say whether it is up to date."""
    from pipeline.cli import parser

    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--check", action="store_true", help="exit 1 when docs/cli.md is stale")
    args.add_argument("--out", type=Path, default=DOC, help="the file (default docs/cli.md)")
    asked = args.parse_args(argv)
    text = reference(parser())
    if asked.check:
        current = asked.out.read_text("utf-8") if asked.out.exists() else ""
        if current != text:
            print(
                f"{asked.out} is not what the parser makes: run `make docs` and commit it",
                file=sys.stderr,
            )
            return 1
        return 0
    asked.out.write_text(text, "utf-8")
    print(f"wrote {asked.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
