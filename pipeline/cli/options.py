"""What several commands share: argument types, lazily read choices, and the options
declared once (``--data``, ``--from``/``--to``, the two sides of align and compare).

Input: argparse parsers.  Output: their shared options.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.dataset.query import TABLE_COLUMNS, parse_ports


def paragraphs(text: str, width: int, indent: str = "") -> str:
    """``text`` filled to ``width`` paragraph by paragraph (blank lines between them),
    a fenced block (```) kept as written.

    >>> print(paragraphs("a b c\\n\\n```\\nx  y\\n```", 3))
    a b
    c
    <BLANKLINE>
    ```
    x  y
    ```
    """
    import textwrap

    out = []
    for block in text.strip().split("\n\n"):
        if block.lstrip().startswith("```"):
            out.append(block)
        else:
            out.append(
                textwrap.fill(
                    " ".join(block.split()),
                    width,
                    initial_indent=indent,
                    subsequent_indent=indent,
                    break_on_hyphens=False,
                    break_long_words=False,
                )
            )
    return "\n\n".join(out)


class Paragraphs(argparse.HelpFormatter):
    """A command's description and epilog filled paragraph by paragraph, its fenced
    blocks kept (argparse's default joins paragraphs; its raw formatter fills none)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return paragraphs(text, width, indent)


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
    from pipeline.page.detect import language_tag

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
        raise argparse.ArgumentTypeError(
            f"unknown columns {unknown or text!r}; choose from {', '.join(TABLE_COLUMNS)}"
        )
    return names


def two_sides(p: argparse.ArgumentParser, what: str) -> None:
    """The LEFT and RIGHT arguments of ``align`` and ``compare`` (``what``: their help)."""
    for name in ("left", "right"):
        p.add_argument(name, metavar=name.upper(), help=what)


def data_option(p: argparse.ArgumentParser, what: str) -> None:
    """``--data``: the published data a command reads (``what``: its help)."""
    p.add_argument("--data", type=Path, default=None, metavar="PATH", help=what)


def without_option(p: argparse.ArgumentParser, effect: str) -> None:
    """``--without CONDITION`` (repeatable): leave out the flows the page requires only
    under that condition (the ``condition`` column: ``edt``, …); ``effect``: what the
    command says of them."""
    p.add_argument(
        "--without",
        action="append",
        metavar="CONDITION",
        help="leave out the flows the page requires only under this condition (the "
        "`condition` column: `edt`, `hypervisor-update-proxy`, `subscription-replication`, "
        "`high-availability`, `cluster`); repeatable; " + effect,
    )


def ends_options(p: argparse.ArgumentParser, source_help: str, destination_help: str) -> None:
    """``--from`` and ``--to`` (repeatable): the ends of the flows a command keeps."""
    p.add_argument("--from", dest="source", metavar="NAME", action="append", help=source_help)
    p.add_argument(
        "--to", dest="destination", metavar="NAME", action="append", help=destination_help
    )
