"""Errors the pipeline reports to people: what went wrong, where, and what to do.

Input: nothing.  Output: exception types carrying a location (file, line, table, row)
and the exit code the command line returns for them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Exit codes of the command line, all of them; EXIT_STATUSES says what each means.
EXIT_OK = 0
# 1: as diff, grep and cmp use it, "not the same / nothing found" (diff and compare
# --exit-code: the versions differ; query: no row answers), and an internal error (a bug)
EXIT_DIFFER = 1
EXIT_NO_ROWS = 1
EXIT_INTERNAL = 1
EXIT_INPUT = 2  # bad input or arguments: the input cannot be read, an output cannot be written
EXIT_VALIDATION = 3  # the data failed its schema or reconciliation checks
EXIT_ERRATA = 4  # --strict and the reviewed data is out of date: an erratum no longer
# matches the page, or a name of the page is not in the component registry
EXIT_FETCH = 5  # the page could not be fetched
EXIT_GUARD = 6  # the page shrank against the build it replaces, or too many rejects
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that left (`| head`)
# Each exit status and what it means (docs/cli.md is made from this).
EXIT_STATUSES: tuple[tuple[int, str], ...] = (
    (
        0,
        "success (`diff --exit-code`: the versions are the same)",
    ),
    (
        1,
        "`diff --exit-code`: the versions differ; `compare --exit-code`: the pages "
        "differ; `query`: no row answers the question (the closest names are on "
        "standard error); any other case: an internal error, a bug (rerun with "
        "`CITRIX_PORTS_DEBUG=1` for the traceback, and report it)",
    ),
    (
        2,
        "bad input or arguments: the message names the file, the line (and column, "
        "table, row) and what to do; an input that is a device, a FIFO or a "
        "directory, or over its cap (`pipeline/data/input_limits.toml`); an output "
        "the system refuses (permissions, a read-only file system, a full disk, "
        "`-o` on a directory), another build or fetch holding the same output for "
        "30 s; `export`: rules that do not fit a cloud's limits (naming the "
        "destination, the limit and the count)",
    ),
    (
        3,
        "validation failed: every failure listed, located by section, table, row "
        "and line; nothing was published",
    ),
    (
        4,
        "`build --strict`: the reviewed data is out of date: an erratum no longer "
        "matches the page, or a name of the page is not in the component registry",
    ),
    (
        5,
        "`fetch`: the page could not be fetched or was refused; the previous snapshot is untouched",
    ),
    (
        6,
        "`build`: the page lost more than 10 % of the tables or rules of the build "
        "it would replace, or more rules were rejected than `--max-rejects`",
    ),
    (
        130,
        "interrupted (Ctrl-C); nothing was published",
    ),
    (
        141,
        "the reader of the output left (`citrix-ports query … | head`): ended "
        "quietly, as a shell reports SIGPIPE",
    ),
)


def context(section: str, table: int | None, row: int | None) -> list[str]:
    """Where in the page, in words: ``section 'S'``, ``table 3``, ``row 20``."""
    parts = [f"section {section!r}"] if section else []
    if table is not None:
        parts.append(f"table {table}")
    if row is not None:
        parts.append(f"row {row}")
    return parts


@dataclass
class Location:
    """Where in the source a problem was seen.

    >>> str(Location("page.txt", 50, table=3, row=20, section="Citrix ADM"))
    "page.txt:50, section 'Citrix ADM', table 3, row 20"
    """

    file: str = ""
    line: int | None = None
    table: int | None = None
    row: int | None = None
    section: str = ""

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts[0] += f":{self.line}"
        parts += context(self.section, self.table, self.row)
        return ", ".join(parts)


@dataclass(frozen=True)
class Problem:
    """One problem of a table or a page, as data: what (``code``, ``message``), where
    (``file``, ``section``, ``table``, ``row``, ``line``, ``column``) and what to do
    (``hint``).  The command line prints ``str(problem)``; a program reads the fields.

    >>> str(Problem("0 is below the minimum 1", "minimum", line=5, column="port_start"))
    'line 5, column port_start: 0 is below the minimum 1'
    >>> Problem("x", line=5).line
    5
    """

    message: str
    code: str = ""
    file: str = ""
    line: int | None = None
    column: str = ""
    table: int | None = None
    row: int | None = None
    section: str = ""
    hint: str = ""

    def __str__(self) -> str:
        parts = [self.file] if self.file else []
        parts += context(self.section, self.table, self.row)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column:
            parts.append(f"column {self.column}")
        return f"{', '.join(parts)}: {self.message}" if parts else self.message


def problems_of(items: list) -> list[Problem]:
    """Problems, from problems or plain strings (a string is a problem's message)."""
    return [p if isinstance(p, Problem) else Problem(str(p)) for p in items]


class PipelineError(Exception):
    """A failure the user can act on; carries its exit code and a hint."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, location: Location | None = None, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class InputError(PipelineError):
    """The input file is not a page this pipeline can read."""

    exit_code = EXIT_INPUT


class ValidationFailed(PipelineError):
    """A stage's output broke its schema; ``problems`` lists every failure."""

    exit_code = EXIT_VALIDATION

    def __init__(self, message: str, problems: list, hint: str = ""):
        super().__init__(message, hint=hint)
        self.problems = problems_of(problems)

    def __str__(self) -> str:
        lines = [self.message] + [f"  - {p}" for p in self.problems]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class StaleErrata(PipelineError):
    """--strict: an erratum's key matches no row of the page any more."""

    exit_code = EXIT_ERRATA


class UnknownNames(PipelineError):
    """--strict: names of the page are not in the component registry."""

    exit_code = EXIT_ERRATA


class FetchError(PipelineError):
    """The page could not be fetched or was refused."""

    exit_code = EXIT_FETCH


class DataError(PipelineError):
    """A published table given as input (``--data``, a diff side) breaks its schema;
    ``problems`` lists every failure, each located by file, line and column."""

    exit_code = EXIT_INPUT

    def __init__(
        self, message: str, problems: list, location: Location | None = None, hint: str = ""
    ):
        super().__init__(message, location, hint)
        self.problems = problems_of(problems)

    def __str__(self) -> str:
        lines = [super().__str__().split("\n  hint: ")[0]]
        lines += [f"  - {p}" for p in self.problems]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class GuardFailed(PipelineError):
    """The new build would replace a larger one (the page shrank), or rejects more rows
    than allowed: refused unless asked for (``--allow-shrink``, ``--max-rejects``)."""

    exit_code = EXIT_GUARD
