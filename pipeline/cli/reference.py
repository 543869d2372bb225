"""The references made from the code: ``docs/cli.md`` and ``docs/problems.md``.

Input: the command line's parser (every command's description, usage, options with their
help, and epilog), the exit statuses of ``pipeline.errors`` and the catalogue of problems
and warnings (``pipeline.catalogue``).  Output: the Markdown references;
``python -m pipeline.cli.reference`` writes them, and with ``--check`` exits 1 when a file
is not what the code makes (``make check``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.catalogue import ENTRIES
from pipeline.cli.options import paragraphs
from pipeline.errors import EXIT_STATUSES

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC = DOCS / "cli.md"
PROBLEMS_DOC = DOCS / "problems.md"
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


PROBLEMS_HEADER = """\
# Problems and warnings

Every problem and warning the pipeline reports has a stable code. A **problem** means a
table breaks its schema: nothing is published or used, the command exits 2 or 3, and the
API raises `DataError` or `ValidationFailed` whose `problems` carry the code
(`pipeline.errors.Problem.code`). A **warning** lets the run go on: the command line
prints it, `manifest.json` lists a build's under `warnings` (`code`, `message`), and the
functions that return warnings give `pipeline.catalogue.Notice` objects, text that carries
its `code`. This page is made from `pipeline/catalogue.py` (`make docs`); fields of a
message are in braces.
"""

STAGES = {
    "validation": "Problems: a table breaks its schema",
    "reading": "Warnings of the readers: what the page's form leaves uncertain",
    "build": "Warnings of the build's stages",
    "export": "Warnings of export: the address map and what it cannot write",
}


def problems_reference() -> str:
    """The catalogue of problems and warnings, Markdown."""
    parts = [PROBLEMS_HEADER]
    for stage, title in STAGES.items():
        rows = [e for e in ENTRIES if e.stage == stage]
        parts += [f"## {title}", "", "| code | what | message | what to do |", "|---|---|---|---|"]
        parts += [
            f"| `{e.code}` | {cell(e.title)} | {cell(e.template)} | {cell(e.hint)} |" for e in rows
        ]
        parts.append("")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Write ``docs/cli.md`` and ``docs/problems.md``, or with ``--check`` say whether
    they are up to date."""
    from pipeline.cli import parser

    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--check", action="store_true", help="exit 1 when a file is stale")
    args.add_argument("--out", type=Path, default=DOCS, help="the directory (default docs/)")
    asked = args.parse_args(argv)
    made = {
        asked.out / DOC.name: reference(parser()),
        asked.out / PROBLEMS_DOC.name: problems_reference(),
    }
    stale = [
        path for path, text in made.items()
        if not path.exists() or path.read_text("utf-8") != text
    ]  # fmt: skip
    if asked.check:
        for path in stale:
            print(
                f"{path} is not what the code makes: run `make docs` and commit it", file=sys.stderr
            )
        return 1 if stale else 0
    for path, text in made.items():
        path.write_text(text, "utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
