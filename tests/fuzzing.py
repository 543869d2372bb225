"""Fuzzing of ``citrix-ports build``: random mutations of the real snapshots.

Each mutation of the text snapshot, the English Markdown source or its HTML (bytes cut,
lines swapped or duplicated, pipes added or removed, encodings broken, numbers blown
up...) is built into an output directory that holds a previous good build.  Allowed outcomes: exit 0 with a complete new build, or a documented error
exit (2 bad input, 3 validation, 4 stale errata, 6 the page shrank) with a located
message and the previous build untouched.  Anything else — exit 1 (internal error), a
traceback, a half-written directory — is a finding.

Structural mutations go beyond crashes: a separator line deleted, a pipe deleted or
added in a table row, two rows merged into one line, a row split in two.  Each mutated
page either fails loudly, or is published with every flow of the unmutated lines as it
was (or its row rejected, located), and each mutated line read correctly, rejected, or
named in a warning; a flow that was not on the page is a finding.

    python tests/fuzzing.py --runs 2000 --seed 1     # crash fuzzing (`make fuzz`)
    python tests/fuzzing.py --structural --runs 300 --seed 1   # also in `make fuzz`
    python tests/fuzzing.py --structural --page en --runs 150 --seed 1   # the English page
    python tests/fuzzing.py --structural --page de --runs 300 --seed 1   # the German excerpt

A structural run also counts the flows of untouched rows that were rejected (the
collateral damage of a mutation); it fails when there are any, as it does on a finding
(``--no-previous``: only counted).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import io
import json
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path

from cli_args import build_args

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))  # make_forms, when run as a script

from pipeline.cli import main  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402

SEEDS = [
    ROOT / "raw" / "citrix-communication-ports.txt",
    HERE / "data" / "citrix-communication-ports.fd98ff78.md",
]
ALLOWED = {0, 2, 3, 4, 6}


@functools.cache
def seeds() -> tuple[bytes, ...]:
    """What crash fuzzing mutates: the text snapshot, the English Markdown source and that
    source as the site serves it in HTML (made as the tests make it, by markdown-it)."""
    from make_forms import markdown_to_html

    text, markdown = (p.read_bytes() for p in SEEDS)
    html = markdown_to_html(markdown.decode("utf-8")).encode("utf-8")
    return (text, markdown, html)


def mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    kind = rng.choice(
        [
            "cut",
            "delete",
            "swap",
            "duplicate",
            "add_pipes",
            "remove_pipes",
            "bad_bytes",
            "nul",
            "big_number",
            "long_line",
            "shuffle_cells",
            "drop_header",
            "crlf",
            "many",
        ]
    )
    if kind == "cut":
        return data[: rng.randrange(len(data) + 1)]
    if kind == "delete":
        a = rng.randrange(len(data))
        return data[:a] + data[a + rng.randrange(1, 2000) :]
    if kind == "swap" and len(lines) > 2:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "duplicate":
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == "add_pipes":
        for _ in range(rng.randrange(1, 20)):
            i = rng.randrange(len(lines))
            p = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:p] + b" | " * rng.randrange(1, 4) + lines[i][p:]
    elif kind == "remove_pipes":
        for _ in range(rng.randrange(1, 20)):
            i = rng.randrange(len(lines))
            lines[i] = lines[i].replace(b"|", b"", rng.randrange(1, 4))
    elif kind == "bad_bytes":
        p = rng.randrange(len(data))
        return data[:p] + bytes(rng.randrange(128, 256) for _ in range(3)) + data[p:]
    elif kind == "nul":
        p = rng.randrange(len(data))
        return data[:p] + b"\x00" + data[p + 1 :]
    elif kind == "big_number":
        i = rng.randrange(len(lines))
        lines[i] = lines[i].replace(b"443", b"704430", 1).replace(b"80", b"99999", 1)
    elif kind == "long_line":
        lines.insert(rng.randrange(len(lines)), b"x | " * rng.randrange(100, 5000))
    elif kind == "shuffle_cells":
        i = rng.randrange(len(lines))
        cells = lines[i].split(b"|")
        rng.shuffle(cells)
        lines[i] = b"|".join(cells)
    elif kind == "drop_header":
        lines = [ln for ln in lines if not ln.lstrip(b"|").lstrip().startswith(b"Source")]
    elif kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    elif kind == "many":
        for _ in range(5):
            data = mutate(data, rng)
        return data
    return b"\n".join(lines)


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())} if out.exists() else {}


def complete(out: Path) -> bool:
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    return all(
        hashlib.sha256((out / name).read_bytes()).hexdigest() == meta["sha256"]
        for name, meta in manifest["artifacts"].items()
    )


def run_one(data: bytes, work: Path) -> str | None:
    """Build one mutated input over a good build; the finding, or None."""
    src = work / "input.txt"
    src.write_bytes(data)
    out = work / "build"
    before = snapshot(out)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(build_args(str(src), str(out)))
    message = err.getvalue()
    if code not in ALLOWED:
        return f"exit {code}: {message.strip()[-500:]}"
    if "Traceback" in message:
        return f"traceback: {message[-500:]}"
    if code == 0:
        if not complete(out):
            return "exit 0 but the build is incomplete"
    else:
        if snapshot(out) != before:
            return f"exit {code} but build/ changed"
        if "error:" not in message:
            return f"exit {code} without a message"
    leftovers = [p.name for p in work.iterdir() if p.name.startswith(".build.")]
    if leftovers:
        return f"temporary directories left: {leftovers}"
    return None


def fuzz(runs: int, seed: int, verbose: bool = False) -> list[tuple[int, str, str]]:
    rng = random.Random(seed)
    findings = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with contextlib.redirect_stderr(io.StringIO()):
            assert main(build_args(str(SEEDS[0]), str(work / "build"))) == 0
        for n in range(runs):
            data = mutate(rng.choice(seeds()), rng)
            finding = run_one(data, work)
            if finding:
                keep = Path(tempfile.gettempdir()) / f"citrix-ports-fuzz-{seed}-{n}.bin"
                keep.write_bytes(data)
                findings.append((n, finding, str(keep)))
                if verbose:
                    print(f"run {n}: {finding} (input kept in {keep})", file=sys.stderr)
                shutil.rmtree(work / "build", ignore_errors=True)
                with contextlib.redirect_stderr(io.StringIO()):
                    main(build_args(str(SEEDS[0]), str(work / "build")))
    return findings


# -- structural mutations -------------------------------------------------------------------


def table_row_lines(lines: list[str]) -> list[int]:
    """Indexes of the ordinary table row lines (not headers, separators, the flattened
    table): a table's header is the line above its separator line, in any language."""
    rows, in_table = [], False
    for i, line in enumerate(lines):
        if "|" in line and i + 1 < len(lines) and lines[i + 1].startswith("---|"):
            in_table = True
        elif line.startswith("---|"):
            continue
        elif in_table and "|" in line and not line.startswith("|"):
            rows.append(i)
        else:
            in_table = False
    return rows


def structural(
    lines: list[str], rng: random.Random
) -> tuple[list[str], dict[int, int], set[int], str]:
    """A structural mutation: (new lines, old line -> new line for the lines kept as
    they were, the old lines mutated, what was done).  Line numbers are 1-based."""
    new = list(lines)
    rows = table_row_lines(lines)
    kind = rng.choice(["drop_separator", "drop_pipe", "add_pipe", "merge_rows", "split_row"])
    mutated: set[int] = set()
    if kind == "drop_separator":
        seps = [i for i, line in enumerate(lines) if line.startswith("---|")]
        i = rng.choice(seps)
        del new[i]
        mapping = {n + 1: (n + 1 if n < i else n) for n in range(len(lines)) if n != i}
        return new, mapping, mutated, f"deleted the separator line {i + 1}"
    i = rng.choice(rows)
    mutated.add(i + 1)
    mapping = {n + 1: n + 1 for n in range(len(lines)) if n != i}
    pipes = [p for p, c in enumerate(lines[i]) if c == "|"]
    if kind == "drop_pipe":
        p = rng.choice(pipes)
        new[i] = lines[i][:p] + " " + lines[i][p + 1 :]
        return new, mapping, mutated, f"deleted a pipe of line {i + 1}"
    if kind == "add_pipe":
        spaces = [p for p, c in enumerate(lines[i]) if c == " "] or [len(lines[i])]
        p = rng.choice(spaces)
        new[i] = lines[i][:p] + " |" + lines[i][p:]
        return new, mapping, mutated, f"added a pipe in line {i + 1}"
    if kind == "merge_rows" and i + 1 in rows:
        new[i] = lines[i].rstrip("| ") + " | " + lines[i + 1]
        del new[i + 1]
        mutated.add(i + 2)
        mapping = {n + 1: (n + 1 if n < i else n) for n in range(len(lines)) if n not in (i, i + 1)}
        return new, mapping, mutated, f"merged lines {i + 1} and {i + 2}"
    # split a row in two at one of its inner pipes
    inner = pipes[:-1] or pipes
    p = rng.choice(inner)
    new[i : i + 1] = [lines[i][: p + 1], lines[i][p + 1 :].lstrip()]
    mapping = {n + 1: (n + 1 if n < i else n + 2) for n in range(len(lines)) if n != i}
    mutated.add(i + 1)
    return new, mapping, mutated, f"split line {i + 1} in two"


def flows_by_line(out: Path) -> dict[int, set[tuple]]:
    import csv

    found: dict[int, set[tuple]] = {}
    with open(out / "ports.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            found.setdefault(int(r["source_line"]), set()).add(
                (
                    r["section"],
                    r["source"],
                    r["destination"],
                    r["protocol"],
                    r["port_start"],
                    r["port_end"],
                    r["bidirectional"],
                )
            )
    return found


def derived_lines(out: Path) -> dict[int, set[int]]:
    """Line of each note that derives flows -> the lines of the rows it derives them from."""
    import csv

    with open(out / "ports.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    line_of = {r["rule_id"]: int(r["source_line"]) for r in rows}
    found: dict[int, set[int]] = {}
    for r in rows:
        for rid in filter(None, r.get("derived_from", "").split(",")):
            found.setdefault(int(r["source_line"]), set()).add(line_of.get(rid, -1))
    return found


def rows_over(lines: list[str]) -> dict[int, set[int]]:
    """The physical lines of each row of an unmutated text page, by its first line, as
    the text reader reads it (a row a URL cell broke is two lines): a row is touched
    when any of its lines is mutated."""
    from pipeline.page.readers.text import read_text

    page = read_text("\n".join(lines) + "\n", "fuzz", "fr-fr")
    return {
        row.line: set(range(row.line, row.line + row.raw.count("\n") + 1))
        for table in page.tables
        for row in table.rows
    }


def rejected_lines(out: Path) -> set[int]:
    import csv

    with open(out / "rejects.csv", encoding="utf-8", newline="") as f:
        return {int(r["source_line"]) for r in csv.DictReader(f)}


def check_structural(
    good: Path,
    lines: list[str],
    rng: random.Random,
    work: Path,
    stats: dict | None = None,
    previous: bool = True,
    spans: dict[int, set[int]] | None = None,
) -> str | None:
    """One structural mutation built and checked against the good build; the finding.
    ``stats`` counts the collateral damage: flows of rows nobody touched that were
    rejected (allowed, but what the reader should bring to zero), by kind of mutation.
    ``spans``: the lines of each row of ``lines`` (``rows_over``); a row is touched when
    one of them is mutated."""
    from pipeline.errors import PipelineError
    from pipeline.stages.build import build

    new, mapping, mutated, what = structural(lines, rng)
    if stats is not None:
        stats.setdefault("runs", [0, 0])[0] += 1
    src = work / "structural.txt"
    src.write_text("\n".join(new) + "\n", "utf-8")
    out = work / "structural-build"
    shutil.rmtree(out, ignore_errors=True)
    try:  # with the unmutated build as the previous one, as `make` builds a refresh
        result = build(src, out, allow_shrink=True, previous=good if previous else None)
    except PipelineError as exc:
        if exc.exit_code not in ALLOWED or not str(exc):
            return f"{what}: exit {exc.exit_code} without a message"
        return None  # a loud, located failure is an allowed outcome
    except Exception as exc:
        return f"{what}: {type(exc).__name__}: {exc}"
    before, after = flows_by_line(good), flows_by_line(out)
    rejected = rejected_lines(out)
    warned = {
        int(m.group(1))
        for w in [said["message"] for said in result.manifest["warnings"]]
        for m in [re.search(r":(\d+)", w)]
        if m
    }
    # the rows with a mutated line, by their first line, and the notes that derive their
    # flows from such a row (their flows are those rows' ports)
    touched = mutated | {first for first, span in (spans or {}).items() if span & mutated}
    touched |= {note for note, lines in derived_lines(good).items() if lines & touched}
    for old_line, flows in before.items():
        if old_line in touched:
            continue
        line = mapping.get(old_line)
        got = after.get(line, set())
        if got != flows and line not in rejected:  # lost or changed silently: a finding
            if stats is not None:
                silent = "lost" if got < flows else "changed"
                stats.setdefault(silent, [0, 0])[0] += len(flows - got)
            return f"{what}: line {old_line} (now {line}) was not mutated but its flows changed"
        if got != flows and stats is not None:
            kind = re.sub(r"\d+", "N", what)
            stats.setdefault(kind, [0, 0])[0] += len(flows - got)
            stats.setdefault("where", []).append(
                f"{what}: line {old_line} (now {line}) rejected: {len(flows - got)} flow(s)"
            )
    for line, flows in after.items():
        olds = [o for o, n in mapping.items() if n == line]
        if olds and olds[0] not in touched and flows == before.get(olds[0], set()):
            continue
        if line in warned:
            continue
        origin = {f for o in touched for f in before.get(o, set())}
        if not flows <= origin:
            return (
                f"{what}: line {line} publishes flows that were not on the page: "
                f"{sorted(flows - origin)[:2]}"
            )
    for old in sorted(touched):
        near = {n for n in range(min(touched) - 1, max(touched) + 3)}
        if before.get(old) and not (near & (rejected | warned)):
            got = set().union(*(after.get(n, set()) for n in near))
            if not before[old] <= got:
                return f"{what}: the flows of line {old} were lost without a reject or warning"
    return None


# the pages to damage besides the French snapshot: Markdown sources, by --page
PAGES = {
    "en": (SEEDS[1], "en-us"),  # the whole English page
    "de": (HERE / "data" / "de-de" / "citrix-communication-ports.excerpt.md", "de-de"),
    "ja": (HERE / "data" / "ja-jp" / "citrix-communication-ports.excerpt.md", "ja-jp"),
}


def text_form(work: Path, page: str = "en") -> Path:
    """A page's text form, made from its Markdown source as the test fixtures are (the
    site's HTML, then trafilatura): a page to damage that the rules were not written
    against (``PAGES``)."""
    from make_forms import html_to_text, markdown_to_html

    source, locale = PAGES[page]
    md = source.read_text("utf-8").replace("\r\n", "\n")
    path = work / f"citrix-communication-ports.{locale}.txt"
    path.write_text(html_to_text(markdown_to_html(md, lang=locale)), "utf-8")
    return path


def fuzz_structural(
    runs: int,
    seed: int,
    verbose: bool = False,
    stats: dict | None = None,
    page: str = "fr",
    previous: bool = True,
) -> list[tuple[int, str]]:
    """``runs`` structural mutations of the French snapshot (``page`` one of ``PAGES``:
    of that page's text form), each built with the unmutated build as ``--previous``
    (``previous=False``: without); the findings (``stats``: the flows of untouched lines
    rejected, by kind of mutation)."""
    from pipeline.stages.build import build

    rng = random.Random(seed)
    findings = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = text_form(work, page) if page in PAGES else SEEDS[0]
        lines = source.read_text("utf-8").splitlines()
        build(source, work / "good")
        spans = rows_over(lines)
        for n in range(runs):
            finding = check_structural(work / "good", lines, rng, work, stats, previous, spans)
            if finding:
                findings.append((n, finding))
                if verbose:
                    print(f"run {n}: {finding}", file=sys.stderr)
    return findings


# -- structural damage of the forms that write every cell: HTML and Markdown ---------------

SPAN = re.compile(r'rowspan="(\d+)"')


def form_flows(out: Path) -> set[tuple]:
    """A build's flows: section, ends, protocol, ports."""
    rows = json.loads((out / "ports.json").read_text("utf-8"))
    return {
        (r["section"], r["source"], r["destination"], r["protocol"], r["port_start"], r["port_end"])
        for r in rows
    }


def hiding(rng: random.Random, hidden_text: str = ", 22") -> str:
    """Markup a browser hides, written as a hostile page may: tag and attribute names in
    any case, nested elements, quoted style values with semicolons, CSS comments, closed
    ``<details>``, ``<dialog>`` without ``open``, ``<template>``, ``<noscript>``."""
    case = rng.choice([str.lower, str.upper, str.title])
    tag = case(rng.choice(["span", "b", "em", "div"]))
    inner = hidden_text
    for _ in range(rng.randrange(0, 3)):  # nested inside the hidden element
        inner = f"<{tag}>{inner}</{tag}>" if rng.random() < 0.5 else f"<i>x</i>{inner}"
    style = rng.choice(
        [
            "display:none",
            "DISPLAY : NONE !important",
            'font-family:"A;B"; display: none',
            "visibility: hidden",
            "visibility:collapse",
            "display:/* c */none",
            "color: red; display:none;",
        ]
    )
    return rng.choice(
        [
            f"<{tag} {case('hidden')}>{inner}</{tag}>",
            f'<{tag} title="a>b" {case("hidden")}>{inner}</{tag}>',
            f"<{tag} style='{style}'>{inner}</{tag}>",
            f'<{tag} aria-hidden="{case("true")}">{inner}</{tag}>',
            f"<details><summary></summary>{inner}</details>",
            f"<dialog>{inner}</dialog>",
            f"<template>{inner}</template>",
        ]
    )


def reordering(rng: random.Random, port: str) -> str:
    """A port written reversed inside markup that shows it in its order (the cell must be
    rejected, never read as the reversed number)."""
    written = port[::-1]
    return rng.choice(
        [
            f'<bdo dir="rtl">{written}</bdo>',
            f'<BDO DIR="RTL">{written}</BDO>',
            f'<span style="unicode-bidi: bidi-override; direction: rtl">{written}</span>',
            f"\u202e{written}\u202c",
        ]
    )


def damage_html(lines: list[str], rng: random.Random) -> str:
    """A cell (a line ``<td…``) deleted or written twice, a ``rowspan`` one row off, two
    rows joined (a ``</tr>`` and the next ``<tr>`` lost), or hidden markup in a Port cell
    (``hiding``: the cell must read as before)."""
    kind = rng.choice(["cell deleted", "cell twice", "rowspan", "rows joined", "hidden markup"])
    if kind == "hidden markup":
        ports = [i for i, ln in enumerate(lines) if re.fullmatch(r"<td[^>]*>[\d, –-]+</td>", ln)]
        i = rng.choice(ports)
        single = re.fullmatch(r"(<td[^>]*>)(\d{2,5})</td>", lines[i])
        if single and rng.random() < 0.3 and single[2] != single[2][::-1]:
            markup = reordering(rng, single[2])
            lines[i] = f"{single[1]}{markup}</td>"
            return f"reordered {markup!r} at line {i + 1}"
        markup = hiding(rng)
        lines[i] = lines[i].replace("</td>", f"{markup}</td>")
        return f"{kind} {markup!r} at line {i + 1}"
    if kind == "rows joined":  # a row's end and the next row's start lost: one <tr>
        ends = [i for i in range(len(lines) - 1) if lines[i] == "</tr>" and lines[i + 1] == "<tr>"]
        i = rng.choice(ends)
        del lines[i : i + 2]
        return f"{kind} at line {i + 1}"
    spans = [i for i, line in enumerate(lines) if SPAN.search(line)]
    i = rng.choice(
        spans if kind == "rowspan" else [i for i, ln in enumerate(lines) if ln.startswith("<td")]
    )
    if kind == "cell deleted":
        del lines[i]
    elif kind == "cell twice":
        lines.insert(i, lines[i])
    else:
        found = SPAN.search(lines[i])
        assert found
        wrong = max(1, int(found[1]) + rng.choice([-1, 1]))
        lines[i] = lines[i].replace(found[0], f'rowspan="{wrong}"')
        kind = f"rowspan {found[1]} -> {wrong}"
    return f"{kind} at line {i + 1}"


def damage_markdown(lines: list[str], rng: random.Random) -> str:
    """One cell of a table row deleted or written twice (its pipes with it), or two rows
    joined on one line.  An emptied cell is no damage: an empty cell means "as the row
    above"."""
    rows = [
        i
        for i, line in enumerate(lines)
        if i and line.startswith("|") and lines[i - 1].startswith("|") and set(line) - set("|-: ")
    ]
    kind = rng.choice(["cell deleted", "cell twice", "rows joined", "hidden markup"])
    if kind == "hidden markup":  # raw HTML in a Port cell: the cell must read as before
        i = rng.choice(rows)
        cells = lines[i].split("|")
        k = next((k for k, c in enumerate(cells) if re.fullmatch(r"\s*\d[\d, –-]*\s*", c)), None)
        if k is None:
            return f"{kind}: no port cell at line {i + 1}"
        port = cells[k].strip()
        if re.fullmatch(r"\d{2,5}", port) and rng.random() < 0.3 and port != port[::-1]:
            markup = reordering(rng, port)
            cells[k] = f" {markup} "
            lines[i] = "|".join(cells)
            return f"reordered {markup!r} at line {i + 1}"
        markup = hiding(rng)
        cells[k] = cells[k].rstrip() + markup + " "
        lines[i] = "|".join(cells)
        return f"{kind} {markup!r} at line {i + 1}"
    if kind == "rows joined":  # a line break lost between two rows
        joinable = [i for i in rows if i + 1 in set(rows)]
        i = rng.choice(joinable)
        lines[i : i + 2] = [lines[i] + " " + lines[i + 1]]
        return f"{kind} at line {i + 1}"
    i = rng.choice(rows)
    cells = lines[i].split("|")
    k = rng.randrange(1, len(cells) - 1)
    if kind == "cell deleted":
        del cells[k]
    else:
        cells.insert(k, cells[k])
    lines[i] = "|".join(cells)
    return f"{kind} ({k}) at line {i + 1}"


def fuzz_cells(
    runs: int, seed: int, form: str = "html", verbose: bool = False, page: str = "en"
) -> list[tuple[int, str]]:
    """``runs`` structural damages of a page (``PAGES``: the English one by default) in a
    form that writes every cell:
    ``html`` as the site serves it (made by markdown-it, as the tests make it, a cell on
    each line; ``damage_html``), or ``markdown``, its source (``damage_markdown``).  A
    finding: a flow the page does not have (a cell moved into another column, a merged
    cell spread over rows it does not cover), or flows lost without a reject saying so."""
    from make_forms import markdown_to_html
    from pipeline.stages.build import build

    rng = random.Random(seed)
    source, locale = PAGES[page]
    text = source.read_text("utf-8").replace("\r\n", "\n")
    if form == "html":
        text = markdown_to_html(text, lang=locale)
    damage = damage_html if form == "html" else damage_markdown
    lines = text.split("\n")
    findings = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / f"citrix-communication-ports.{'html' if form == 'html' else 'md'}"
        path.write_text(text, "utf-8")
        build(path, work / "good", allow_unrecorded=True)
        good = form_flows(work / "good")
        for n in range(runs):
            damaged = list(lines)
            what = damage(damaged, rng)
            path.write_text("\n".join(damaged), "utf-8")
            out = work / f"run{n}"
            try:
                with contextlib.redirect_stderr(io.StringIO()):
                    build(path, out, allow_unrecorded=True, allow_shrink=True)
            except PipelineError:
                continue  # failing loudly is allowed
            got = form_flows(out)
            rejected = json.loads((out / "rejects.json").read_text("utf-8"))
            shutil.rmtree(out)
            invented = sorted(got - good, key=str)
            finding = ""
            if invented:
                finding = f"{what}: {len(invented)} flow(s) the page does not have: {invented[:2]}"
            elif good - got and not rejected:
                finding = f"{what}: {len(good - got)} flow(s) lost without a reject"
            if finding:
                findings.append((n, finding))
                if verbose:
                    print(f"run {n}: {finding}", file=sys.stderr)
    return findings


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--structural", action="store_true", help="structural mutations checked flow by flow"
    )
    ap.add_argument(
        "--page",
        choices=("fr", *PAGES),
        default="fr",
        help="--structural: the French snapshot (default), or the text form of the English "
        "page or of the German or Japanese excerpt; --cells: the English page (default) or "
        "an excerpt",
    )
    ap.add_argument(
        "--cells",
        choices=("html", "markdown"),
        help="structural damage of the English page's HTML form (cells, rowspans) or of "
        "its Markdown source (cells)",
    )
    ap.add_argument(
        "--no-previous",
        action="store_true",
        help="--structural: build each mutation without the unmutated build as --previous",
    )
    args = ap.parse_args()
    if args.cells:
        page = "en" if args.page == "fr" else args.page
        found_cells = fuzz_cells(args.runs, args.seed, args.cells, verbose=True, page=page)
        print(
            f"{args.runs} {args.cells} damages of the {page} page, seed {args.seed}: "
            f"{len(found_cells)} finding(s)"
        )

        sys.exit(1 if found_cells else 0)
    if args.structural:
        stats: dict = {}
        found = fuzz_structural(
            args.runs,
            args.seed,
            verbose=True,
            stats=stats,
            page=args.page,
            previous=not args.no_previous,
        )
        print(
            f"{args.runs} structural runs of the {args.page} page, seed {args.seed}: "
            f"{len(found)} finding(s)"
        )
        silent = {k: stats.pop(k, [0, 0])[0] for k in ("lost", "changed")}
        collateral = {k: v[0] for k, v in sorted(stats.items()) if k not in ("runs", "where")}
        for where in stats.get("where", []):
            print(f"collateral: {where}", file=sys.stderr)
        print(
            f"flows of untouched rows lost: {silent['lost']}, changed: {silent['changed']} "
            f"(findings), rejected: {sum(collateral.values())} "
            f"({', '.join(f'{k}: {n}' for k, n in collateral.items()) or 'none'})"
        )
        # with --previous (as make builds a refresh) the goal is none: a guard
        sys.exit(1 if found or (collateral and not args.no_previous) else 0)
    found = fuzz(args.runs, args.seed, verbose=True)
    print(f"{args.runs} runs, seed {args.seed}: {len(found)} finding(s)")
    sys.exit(1 if found else 0)
