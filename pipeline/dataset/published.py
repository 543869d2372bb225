"""The published CSV tables: written in one dialect, and read back checked.  The one way
``publish`` writes, and ``query``, ``export`` and ``diff`` (and any consumer) load, a
``ports.csv``, ``rules.csv`` or ``rejects.csv``.

Writing: CSV is UTF-8, RFC 4180 quoting (minimal), ``\n`` line ends, header row first;
for spreadsheets set to French, optionally a byte order mark and ``;`` (read back alike).
The page is untrusted input: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return would run as a formula in a spreadsheet, so in the CSV files
(only there) such a cell gets a leading apostrophe ``'`` (the OWASP "CSV injection"
advice); JSON and Parquet keep the text as it is.

Reading:
Input: a build directory or a published CSV file (or its text).  Output: a
``PublishedTable``: its columns and its rows as typed Python values (integers or None,
booleans, text), checked against the table's schema first: every cell's type,
``required``, ``enum``, ``minimum`` / ``maximum``, ``minLength`` and ``pattern``, the
primary key and ``x-unique``, and the cross-column ``x-checks``.  A file that breaks
its schema is refused with a ``DataError`` listing every problem with its file, line
and column: nothing read from a file reaches a query or a firewall rule unchecked.

Standard library only (csv, json, re): asking a question does not import pandas.
The CSV safety prefix the build adds to formula-like cells (``'=…``) is removed on
reading, so a value reads back as it was published in JSON and Parquet.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from pipeline import PACKAGE_DIR
from pipeline.catalogue import problem
from pipeline.core.bounded import cap, read_input
from pipeline.dataset.constraints import field_rules, unique_sets
from pipeline.dataset.schema import ROW_CHECKS, TABLES, TYPES, table_schema
from pipeline.errors import DataError, InputError, Location, Problem

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # cells the CSV writer prefixes with '
MAX_PROBLEMS = 50  # problems listed before the rest are counted


def neutralise(value: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula.

    >>> neutralise("=HYPERLINK(1)"), neutralise("80, 443")
    ("'=HYPERLINK(1)", '80, 443')
    """
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_text(rows: list[dict], columns: list[str], spreadsheet: bool = False) -> str:
    r"""Rows as CSV (RFC 4180 quoting, ``\n`` line ends, header first), formula cells
    neutralised; ``None`` is an empty cell, booleans are ``true`` / ``false``.  With
    ``spreadsheet``: a UTF-8 byte order mark and ``;`` between cells, as spreadsheets
    set to French (and other languages with a decimal comma) open a file directly.

    >>> csv_text([{"a": "=1+1", "b": 3, "c": None, "d": True}], ["a", "b", "c", "d"])
    "a,b,c,d\n'=1+1,3,,true\n"
    >>> csv_text([{"a": "x;y"}], ["a"], spreadsheet=True)
    '\ufeffa\n"x;y"\n'
    """
    # The csv module quotes a cell holding a character of its line terminator: with
    # "\r\n" it quotes cells holding \r or \n (RFC 4180); each row's own "\r\n" is then
    # written as "\n".
    line = io.StringIO()
    writer = csv.writer(
        line,
        lineterminator="\r\n",
        quoting=csv.QUOTE_MINIMAL,
        delimiter=";" if spreadsheet else ",",
    )
    out = ["\ufeff"] if spreadsheet else []

    def write(cells: list[str]) -> None:
        line.seek(0)
        line.truncate()
        writer.writerow(cells)
        out.append(line.getvalue()[:-2] + "\n")

    write(columns)
    for rec in rows:
        row = []
        for col in columns:
            v = rec[col]
            if v is None:
                row.append("")
            elif isinstance(v, bool):
                row.append("true" if v else "false")
            elif isinstance(v, int):
                row.append(str(v))
            else:
                row.append(neutralise(v))
        write(row)
    return "".join(out)


@dataclass
class PublishedTable:
    """A published table read back: which table, from where, its columns and rows."""

    name: str  # "ports", "rules" or "rejects"
    label: str  # where it was read from
    columns: list[str]
    rows: list[dict]


def table_of(columns: list[str]) -> str | None:
    """Which published table a header belongs to, by its distinctive columns.

    >>> table_of(["rule_id", "protocol", "port_start"]), table_of(["rule_id", "kind"])
    ('ports', 'rules')
    """
    if "component_id" in columns:
        return "components"
    if "protocol" in columns:
        return "ports"
    if "kind" in columns:
        return "rules"
    if "reason" in columns:
        return "rejects"
    return None


def unneutralise(text: str) -> str:
    """A CSV cell as it was before the formula-safety prefix.

    >>> unneutralise("'=1+1"), unneutralise("'quoted'")
    ('=1+1', "'quoted'")
    """
    return text[1:] if text[:1] == "'" and text[1:2] and text[1:2] in FORMULA_START else text


class _Checker:
    """The checks of one table's schema, compiled once, run on each row."""

    def __init__(self, name: str):
        spec = table_schema(name)
        # per field: name, whether it is a string, its text -> value, its rules (unpacked
        # once: a read checks every cell)
        self.fields = [
            (
                f["name"],
                TYPES[f["type"]].name == "string",
                TYPES[f["type"]].from_text,
                field_rules(f),
            )
            for f in spec["fields"]
        ]
        self.keys = unique_sets(spec)
        self.row_checks = [(n, ROW_CHECKS[n]) for n in spec.get("x-checks", [])]

    def cells(
        self, raw: dict, present: set[str], line: int, problems: list[Problem]
    ) -> dict | None:
        """The typed row, or None (problems recorded) when a cell breaks its field."""
        row, ok = {}, True
        for col, is_string, from_text, rules in self.fields:
            if col not in present:
                continue
            text = raw[col] or ""
            if is_string:
                value = text = unneutralise(text)
            else:
                try:
                    value = from_text(text)
                except ValueError as exc:
                    problems.append(Problem(str(exc), "type", line=line, column=col))
                    ok = False
                    continue
            code, bad = rules.verdict(value, text)
            if bad:
                problems.append(Problem(bad, code, line=line, column=col))
                ok = False
            row[col] = value
        return row if ok else None


def parse(
    text: str, label: str, table: str | None = None, require_all_columns: bool = True
) -> PublishedTable:
    """A published table from its CSV text, checked against its schema.

    ``table`` names the expected table (else it is recognised from the header).  With
    ``require_all_columns`` (query, export) every column of the schema must be there and
    no other; without it (diff, which compares versions whose columns may differ) the
    columns the file has are checked, and the schema's primary key must be there.
    Raises ``DataError`` listing every problem, located by line and column."""
    text = text.removeprefix("\ufeff")
    csv.field_size_limit(cap("table"))  # a field is bounded by the file, itself capped
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = list(reader.fieldnames or [])
    kind = table or table_of(header)
    where = Location(label)
    if kind not in TABLES:
        raise DataError(
            f"not a published table of citrix-ports (columns: {', '.join(header) or 'none'})",
            [],
            where,
            hint="give a build directory or its ports.csv / rules.csv",
        )
    expected = [f["name"] for f in table_schema(kind)["fields"]]
    problems = header_problems(kind, header, expected, require_all_columns)
    if problems:
        other = set(header) ^ set(expected)  # columns missing or unknown
        raise DataError(
            f"not a valid {kind} table",
            problems,
            where,
            hint="a build made by another version of citrix-ports? rebuild it "
            "(citrix-ports build) with this version"
            if other
            else "the file was edited by hand? rebuild it (citrix-ports build)",
        )
    checker = _Checker(kind)
    present = set(header)
    rows: list[dict] = []
    lines: list[int] = []
    for raw in reader:
        line = reader.line_num
        if None in raw:
            problems.append(problem("extra-cells", where={"line": line}))
            continue
        row = checker.cells(raw, present, line, problems)
        if row is None:
            continue
        for extra in header:
            if extra not in row:
                row[extra] = raw[extra] or ""
        if present.issuperset(expected):
            for check_name, check in checker.row_checks:
                if not check(row):
                    problems.append(problem("row-check", where={"line": line}, check=check_name))
        rows.append(row)
        lines.append(line)
    for key_cols in checker.keys:
        if present.issuperset(key_cols):
            problems += repeated(key_cols, rows, lines)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(problem("more", count=len(problems) - MAX_PROBLEMS))
        raise DataError(
            f"{len(problems)} problem(s) in the {kind} table; nothing was used",
            shown,
            where,
            hint="use a table published by citrix-ports build, or rebuild it",
        )
    return PublishedTable(kind, label, header, rows)


def header_problems(
    kind: str, header: list[str], expected: list[str], require_all_columns: bool
) -> list[Problem]:
    """What is wrong with a table's header (line 1): a column twice; with
    ``require_all_columns`` a column missing or unknown, else a key column missing.

    >>> [p.code for p in header_problems("rejects", ["rule_id", "x", "x"], ["rule_id"], True)]
    ['duplicate-column', 'unknown-column']
    """
    problems: list[Problem] = []
    first = {"line": 1}
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:  # csv.DictReader would keep the last of them, silently
        problems.append(
            problem("duplicate-column", where=first, columns=", ".join(map(repr, twice)))
        )
    missing = [c for c in expected if c not in header]
    unknown = [c for c in header if c not in expected]
    key = table_schema(kind).get("primaryKey", [])
    if require_all_columns:
        if missing:
            problems.append(
                problem(
                    "missing-column",
                    where=first,
                    table=kind,
                    which="the columns",
                    columns=", ".join(missing),
                )
            )
        if unknown:
            problems.append(problem("unknown-column", where=first, columns=", ".join(unknown)))
    elif [c for c in key if c in missing]:
        problems.append(
            problem(
                "missing-column",
                where=first,
                table=kind,
                which="its key columns",
                columns=", ".join(c for c in key if c in missing),
            )
        )
    return problems


def repeated(key_cols: tuple[str, ...], rows: list[dict], lines: list[int]) -> list[Problem]:
    """A problem for each row whose ``key_cols`` repeat an earlier row's, naming its line.

    >>> [p.message for p in repeated(("a",), [{"a": 1}, {"a": 1}], [2, 3])]
    ['a (1,) repeats line 2']
    """
    seen: dict[tuple, int] = {}
    problems = []
    for row, line in zip(rows, lines):
        k = tuple(row[c] for c in key_cols)
        if k in seen:
            key = "+".join(key_cols)
            problems.append(
                problem(
                    "unique", where={"line": line, "column": key}, key=key, value=k, first=seen[k]
                )
            )
        else:
            seen[k] = line
    return problems


def read(
    spec: Path, table: str | None = "ports", require_all_columns: bool = True
) -> PublishedTable:
    """A published table from a build directory or a CSV file, checked.

    ``table`` is the table expected (a build directory's ``<table>.csv`` is read); with
    ``None`` and a file, the table is recognised from the file's header.  Raises
    ``InputError`` when the file cannot be read and ``DataError`` when it breaks its
    schema.
    """
    if spec.is_dir():
        path = spec / f"{table or 'ports'}.csv"
    else:
        path = spec
    if not path.exists() and not path.is_symlink():
        raise InputError(
            f"no {table or 'published'} table here",
            Location(str(path)),
            hint="run `make` first, or give --data a build directory",
        )
    data = read_input(path, "table", "table")
    try:
        text = data.decode("utf-8")  # no newline translation inside cells
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 (byte at offset {exc.start})", Location(str(path))) from None
    return parse(text, str(path), table, require_all_columns)


def manifest_of(data: str | bytes, label: str = "") -> dict:
    """A build's ``manifest.json`` from its text ({} when it is no JSON object); one
    nested deeper than the input limits (json would recurse past the stack) is an
    ``InputError``, located at ``label``.

    >>> manifest_of('{"counts": {}}'), manifest_of(b"[1]"), manifest_of(b"\\xff")
    ({'counts': {}}, {}, {})
    """
    import json

    from pipeline.core.bounded import check_depth

    try:
        text = data if isinstance(data, str) else data.decode("utf-8")
    except ValueError:
        return {}
    check_depth(text, Location(label), "the build manifest")
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def build_manifest(spec: Path) -> dict:
    """The ``manifest.json`` of the build a published table belongs to ({} if none)."""
    folder = spec if spec.is_dir() else spec.parent
    try:
        data = read_input(folder / "manifest.json", "manifest", "build manifest")
    except InputError:  # none, or not a file: the table is read without its build's words
        return {}
    return manifest_of(data, str(folder / "manifest.json"))


def ports_elsewhere(spec: Path) -> list[dict]:
    """The sentences of the build's ``sections.json`` that send the reader to another page
    for a product's ports ([] when there is none or it is not a build's): each with its
    ``product``, ``section_id``, ``section``, ``line`` and ``links`` (text, target), every
    value checked to be text (or a line number)."""
    folder = spec if spec.is_dir() else spec.parent
    try:
        data = read_input(folder / "sections.json", "manifest", "sections document")
    except InputError:
        return []
    found = manifest_of(data, str(folder / "sections.json"))
    out = []
    for ref in found.get("ports_elsewhere") or []:
        if not isinstance(ref, dict):
            continue
        texts = {k: ref.get(k) for k in ("product", "section_id", "section")}
        links = [
            {"text": k.get("text"), "target": k.get("target")}
            for k in ref.get("links") or []
            if isinstance(k, dict)
            and isinstance(k.get("target"), str)
            and isinstance(k.get("text"), str)
        ]
        if all(isinstance(v, str) for v in texts.values()) and type(ref.get("line")) is int:
            out.append({**texts, "line": ref["line"], "links": links})
    return out


def default_data() -> Path:
    """Where the published dataset is when ``--data`` is not given: ``build/`` in the
    current directory when it holds one (a checkout of the project), else the dataset
    of the embedded snapshot that the installed package carries."""
    here = Path("build")
    if (here / "ports.csv").is_file():
        return here
    return packaged_data()


def packaged_data() -> Path:
    """The published dataset of the embedded snapshot shipped with the package (the
    repository's ``build/`` in a checkout)."""
    repo = PACKAGE_DIR.parent / "build"
    return (
        repo
        if (repo / "ports.csv").is_file() and (PACKAGE_DIR.parent / "schemas").is_dir()
        else PACKAGE_DIR / "embedded"
    )


def read_parquet(path: Path, table: str = "ports") -> PublishedTable:
    """A published table from its Parquet file (needs pyarrow), checked exactly as its CSV
    is: the values are written as published CSV text and read back by ``parse``.
    Raises ``InputError`` when the file cannot be read and ``DataError`` when it breaks
    its schema."""
    data = read_input(path, "table", "Parquet file")
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = pq.read_table(pa.BufferReader(data)).to_pylist()
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the Parquet file: {exc}", Location(str(path))) from None
    header = list(rows[0]) if rows else [f["name"] for f in table_schema(table)["fields"]]
    return parse(csv_text(rows, header), str(path), table)
