"""The catalogue of what the pipeline reports: every problem and warning code, with its
title, message template and hint, in one place.

Input: nothing.  Output: ``ENTRIES`` (each code once), ``warning(code, **fields)`` (a
``Notice``: the message made from the code's template, as text that also carries its
code), ``problem(code, **fields)`` (a located ``Problem`` from the template) and
``problem_code`` (a pandera check's name as a catalogue code).  The command line prints
notices and problems, the API and ``manifest.json`` give their codes, and
``docs/problems.md`` is made from this list (``make docs``).  Like frictionless-py's
error catalogue: a program branches on the code, a person reads the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.errors import Problem


@dataclass(frozen=True)
class Entry:
    """One kind of problem or warning: ``code`` (stable, kebab-case), ``kind``
    (``problem``: the data breaks its schema, nothing is published; ``warning``: the run
    goes on), ``stage`` (who reports it), a ``title``, the message ``template`` (fields in
    braces) and a ``hint`` (what to do)."""

    code: str
    kind: str
    stage: str
    title: str
    template: str
    hint: str = ""


def _entries(kind: str, stage: str, *rows: tuple[str, str, str, str]) -> list[Entry]:
    return [Entry(code, kind, stage, title, template, hint) for code, title, template, hint in rows]


ENTRIES: tuple[Entry, ...] = tuple(
    # -- problems: a published table (or a stage's table) breaks its schema --------------
    _entries(
        "problem",
        "validation",
        (
            "type",
            "wrong type",
            "{value!r} is not {expected}",
            "write the value as the schema's type says (docs/data.md)",
        ),
        ("required", "empty but required", "is empty but required", "give the cell a value"),
        (
            "enum",
            "not one of the allowed values",
            "{value!r} is not one of {allowed}",
            "use one of the values the schema lists",
        ),
        ("minimum", "below the minimum", "{value} is below the minimum {limit}", ""),
        ("maximum", "above the maximum", "{value} is above the maximum {limit}", ""),
        ("min-length", "too short", "is shorter than {limit} character(s)", ""),
        ("pattern", "does not match the pattern", "{value!r} does not match {pattern}", ""),
        (
            "unique",
            "a key repeated",
            "{key} {value!r} repeats line {first}",
            "each row's key appears once",
        ),
        (
            "row-check",
            "a check across columns failed",
            "{check} failed",
            "the columns of the row contradict each other (docs/data.md, Validation)",
        ),
        ("extra-cells", "more cells than the header", "more cells than the header", ""),
        (
            "duplicate-column",
            "a column twice",
            "the columns {columns} appear more than once",
            "a reader would keep only the last of them",
        ),
        (
            "missing-column",
            "a column missing",
            "the {table} table lacks {which} {columns}",
            "the file is not a published table of this version",
        ),
        (
            "unknown-column",
            "a column the schema does not have",
            "unknown columns {columns}",
            "the file is not a published table of this version",
        ),
        ("more", "problems not listed", "… and {count} more", ""),
    )  # fmt: skip
    # -- warnings of the readers: what the page's form leaves uncertain -----------------
    + _entries(
        "warning",
        "reading",
        (
            "header-without-separator",
            "a table header without its separator line",
            "{where}: the table header has no separator line (---|---); its rows are read from "
            "the next line",
            "",
        ),
        (
            "row-without-cells",
            "a line after a table that lost its cells",
            "{where}: the line after the table names a protocol and a port but has no cells; "
            "kept as a note (a row that lost its | separators?)",
            "",
        ),
        (
            "row-split",
            "a row split over two lines",
            "{where}: a row split over lines {first} and {second} (a line break inside it) was "
            "read as one",
            "",
        ),
        (
            "rows-joined",
            "two rows on one line",
            "{where}: two rows joined on one line (a lost line break) were read as two, the "
            "second from {start}",
            "",
        ),
        (
            "separator-lost",
            "a row that lost or gained a cell separator",
            "{where}: the row lost or gained a cell separator and is rejected; every reading of "
            "it with one fault has {agreed}: the rows under it inherit that",
            "",
        ),
        (
            "columns-by-content",
            "columns recognised by what they hold",
            "{where}: {said}",
            "add the header words to pipeline/data/vocabulary.toml",
        ),
        (
            "locale-contradicted",
            "a locale the page's words contradict",
            "--locale {locale}, but the page looks {best} (its words: {words}); rows may be "
            "rejected: drop --locale to recognise it",
            "",
        ),
        (
            "recorded-locale-contradicted",
            "a recorded locale the page's words contradict",
            "raw/manifest.json records the snapshot as {locale} (its URL or lang), but the "
            "page's words look {best} ({words}); give --locale to set it",
            "",
        ),
        (
            "snapshot-unrecorded",
            "a snapshot raw/manifest.json does not describe",
            "{name}: not the file raw/manifest.json describes ({why}): built without its url "
            "and fetch time",
            "fetch the page again, or build with --allow-unrecorded",
        ),
    )  # fmt: skip
    # -- warnings of the build's stages ---------------------------------------------------
    + _entries(
        "warning",
        "build",
        (
            "settled-by-previous",
            "rows settled by the previous build",
            "{where}: these rows inherit from a damaged row above them that reads {ways} ways; "
            "with {said} they are rows of the previous build, under no other reading: taken so",
            "",
        ),
        (
            "rejected-for-inheritance",
            "rows rejected for what they inherit",
            "{source}: {count} row(s) (line(s) {lines}) are rejected only for what they inherit "
            "from a damaged row; build with --previous DIR (the last good build, as make does) "
            "to take the reading it published, where it confirms one",
            "",
        ),
        (
            "last-row-differs",
            "a table's last row unlike the previous build's",
            "{where}: the table's last row reads otherwise than the previous build's, which one "
            "cell separator more or less explains ({said}): rejected",
            "",
        ),
        (
            "all-ports",
            "a row that opens every port",
            "line {line}: {section} | {source} -> {destination}: {protocol} {ports!r} opens "
            "{extent}",
            "export refuses it unless --allow-all-ports",
        ),
        (
            "unknown-name",
            "a name the registry does not know",
            "line {line}: {what} {name!r} is not in the component registry (on {count} "
            "line(s)): it has no id; add it to pipeline/data/components.toml (citrix-ports "
            "align proposes entries)",
            "",
        ),
        (
            "id-by-heuristic",
            "an id found by a heuristic",
            "line {line}: {what} {name!r} was given the id {id!r} by {rule}: review it, and add "
            "it as an alias to pipeline/data/components.toml when it is right",
            "",
        ),
        (
            "id-inferred",
            "an id inferred from the previous build",
            "line {line}: {what} {name!r} was given the id {id!r} inferred from the previous "
            "build ({previous}: there {names}): its {count} row(s) pair one to one (line~previous "
            "line: {pairs}): review it, and add it as an alias to pipeline/data/components.toml",
            "",
        ),
        (
            "service-without-server",
            "a service end nothing names a machine for",
            "{where}: {name} is a service, and neither the section nor the registry "
            "([served_by]) names the machine that serves it: the flow keeps the service as its "
            "end",
            "add the service's server to [served_by] in pipeline/data/components.toml",
        ),
        (
            "reference-partial",
            "half a reference to other rows",
            "{where}: a note reads like a reference to other rows but does not say both who acts "
            "for whom and which ports apply: no flow derived",
            "",
        ),
        (
            "reference-unread",
            "a row without a port in a wording not known",
            "{where}: a row from {source} to {destination} gives no port, and no wording of "
            "[references] in pipeline/data/vocabulary.toml reads its details: no flow derived "
            "(if they say which ports of other rows apply, add the wording)",
            "",
        ),
        ("reference-unsatisfied", "a reference the page cannot satisfy", "{where}: {reason}", ""),
        (
            "prose-unread",
            "a sentence with a port not read as a flow",
            "line {line}: {section}: a sentence names a port but is not read as a flow (no "
            "sentence pattern of the vocabulary reads it whole): check whether it states one",
            "",
        ),
        (
            "erratum-stale",
            "an erratum that matches no row",
            "erratum {id} matches no row of the page (stale)",
            "review it against the page: update or remove it (docs/maintaining.md)",
        ),
    )  # fmt: skip
    # -- warnings of export: the address map and the flows it cannot write ---------------
    + _entries(
        "warning",
        "export",
        (
            "key-unused",
            "a map key that matches no component",
            "address map {where}{key} matches no component of the data{nearest}",
            "export --strict fails on it",
        ),
        (
            "network-inside-another",
            "a map network inside another key's",
            "address map line {line}: {network} ({key}) lies in {outer} ({outer_key}, line "
            "{outer_line}): the rules to and from {outer_key} reach it too",
            "",
        ),
        (
            "more-nested",
            "more networks inside others",
            "address map: {count} more network(s) lie in another key's networks",
            "",
        ),
        ("wide-network", "a very wide network allowed", "{where}: {message} (--allow-any)", ""),
        (
            "ipv4-mapped",
            "an IPv4 address written as IPv6",
            "{where}: {written} ({key}) is the IPv4 {what} {ipv4} written as IPv6 (IPv4-mapped): "
            "its IPv4 traffic never matches an IPv6 rule; write it as IPv4",
            "",
        ),
        (
            "half-mapped",
            "a flow whose one end has no address",
            "{flow}: {name!r} has no address, the other end has: no rule written",
            "",
        ),
        (
            "member-unmapped",
            "a member of a name without an address",
            "{flow}: {member!r}, one of the components {name!r} names, has no address: no rule "
            "for it",
            "",
        ),
        (
            "versions-apart",
            "ends of different IP versions",
            "flow {rule} ({source} -> {destination}, {protocol} {ports}): the sources are "
            "{source_versions} and the destinations {destination_versions}; no rule can join "
            "them",
            "",
        ),
        (
            "other-ip-version",
            "a flow for the other IP version's file",
            "flow {rules} ({source} -> {destination}, {protocol} {ports}) has no IPv{version} "
            "addresses: not in this file; use `export {other}`",
            "",
        ),
        (
            "per-host-others",
            "files per-host did not write",
            "{directory} also holds {files}, not written by this export (a host the map or the "
            "data no longer has?): remove them if so",
            "",
        ),
    )  # fmt: skip
)

CATALOGUE: dict[str, Entry] = {e.code: e for e in ENTRIES}
assert len(CATALOGUE) == len(ENTRIES), "a code is in the catalogue twice"


class Notice(str):
    """A warning: its text (``warning: …``, as printed) that also carries its ``code``
    and ``message`` (the text without the prefix), for programs.

    >>> n = warning("erratum-stale", id="e1")
    >>> n, n.code
    ('warning: erratum e1 matches no row of the page (stale)', 'erratum-stale')
    """

    code: str
    message: str

    def __new__(cls, code: str, message: str) -> Notice:
        made = super().__new__(cls, f"warning: {message}")
        made.code, made.message = code, message
        return made

    def retold(self, old: str, new: str) -> Notice:
        """The same warning with ``old`` in its message written ``new`` (a path named
        as the snapshot's name)."""
        return Notice(self.code, self.message.replace(old, new, 1))

    def as_dict(self) -> dict[str, str]:
        """``{"code", "message"}``, as ``manifest.json`` publishes it."""
        return {"code": self.code, "message": self.message}


def entry(code: str, kind: str) -> Entry:
    """The catalogue's entry of ``code``, which must be of ``kind`` (a bug otherwise)."""
    found = CATALOGUE[code]
    if found.kind != kind:
        raise ValueError(f"{code!r} is a {found.kind}, not a {kind}")
    return found


def message(code: str, **fields: object) -> str:
    """The message of the problem ``code``, made from its template and ``fields``.

    >>> message("minimum", value=0, limit=1)
    '0 is below the minimum 1'
    """
    return entry(code, "problem").template.format(**fields)


def warning(code: str, **fields: object) -> Notice:
    """The warning ``code`` with its message made from the template and ``fields``."""
    return Notice(code, entry(code, "warning").template.format(**fields))


def problem(code: str, *, where: dict | None = None, **fields: object) -> Problem:
    """The problem ``code``, its message from the template and ``fields``, located by
    ``where`` (``file``, ``line``, ``column``, ``table``, ``row``, ``section``).

    >>> str(problem("minimum", where={"line": 5, "column": "port_start"}, value=0, limit=1))
    'line 5, column port_start: 0 is below the minimum 1'
    """
    return Problem(message(code, **fields), code, hint=CATALOGUE[code].hint, **(where or {}))


# pandera's check names (``greater_than_or_equal_to(1)``, ``str_matches('…')``…) and
# the codes of the catalogue they are
PANDERA_CHECKS = (
    (r"dtype\(", "type"),
    (r"coerce_dtype\(", "type"),
    (r"not_nullable", "required"),
    (r"isin\(", "enum"),
    (r"greater_than_or_equal_to\(", "minimum"),
    (r"less_than_or_equal_to\(", "maximum"),
    (r"str_length\(", "min-length"),
    (r"str_matches\(", "pattern"),
    (r"(field_uniqueness|multiple_fields_uniqueness|unique)", "unique"),
    (r"column_in_dataframe", "missing-column"),
    (r"column_in_schema", "unknown-column"),
)


def problem_code(check: str) -> str:
    """The catalogue code of a pandera check's name; a check of ours across columns
    (``port_start_le_port_end``) is ``row-check``.

    >>> problem_code("greater_than_or_equal_to(1)"), problem_code("port_start_le_port_end")
    ('minimum', 'row-check')
    """
    for pattern, code in PANDERA_CHECKS:
        if re.match(pattern, check):
            return code
    return "row-check"
