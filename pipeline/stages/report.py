"""Report stage: ``build/report.md``, the dataset as people look at it (GitHub renders it).

Input: the published ports and rejects records, the sections document (headings and the
page's prose) and the build report (counts, errata, source).  Output: Markdown text in
the page's language (labels from ``data/vocabulary.toml`` → ``[report.<locale>]``): a
table of contents, the build's counts, errata and rejects, then one part per section
with the page's notes for it, its flows as a Mermaid flowchart (components as nodes,
edges labelled with protocol and ports; ``<-->`` for a flow both ways, drawn once) and
the table of its ports.  Deterministic: page order, no run time.
"""

from __future__ import annotations

from collections import OrderedDict

from pipeline.core.markdown_out import md_cell
from pipeline.dataset.schema import port_range
from pipeline.page.vocabulary import load

MERMAID_ESCAPES = {'"': "#quot;", "<": "#lt;", ">": "#gt;"}


def mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label.

    >>> mermaid_text('a "b" <c> #1')
    'a #quot;b#quot; #lt;c#gt; #35;1'
    """
    out = " ".join(text.split())
    out = out.replace("#", "#35;")
    for char, entity in MERMAID_ESCAPES.items():
        out = out.replace(char, entity)
    return out


def edge_ports(row: dict, no_port: str = "no port") -> str:
    """The ports of a row on a flowchart edge: the range, ``no_port``, or "" for ICMP."""
    if row["protocol"] == "icmp":
        return ""
    return port_range(row["port_start"], row["port_end"]) or no_port


def edge_label(rows: list[dict], no_port: str = "no port") -> str:
    """ "tcp 80, 443; udp 53; icmp": the ports of one edge grouped by protocol."""
    by_protocol: OrderedDict[str, list[str]] = OrderedDict()
    for row in rows:
        ports = by_protocol.setdefault(row["protocol"], [])
        text = edge_ports(row, no_port)
        if text and text not in ports:
            ports.append(text)
    return "; ".join(f"{p} {', '.join(ports)}".strip() for p, ports in by_protocol.items())


def flowchart(rows: list[dict], no_port: str = "no port") -> list[str]:
    """The Mermaid flowchart of one section's ports, as lines: one node per component
    (per registry id, labelled with every name the section gives it; per name where the
    registry has none); a flow both ways between two components is one ``<-->`` edge,
    whichever way the page lists it."""
    nodes: OrderedDict[object, str] = OrderedDict()
    labels: dict[object, list[str]] = {}
    edges: OrderedDict[tuple, list[dict]] = OrderedDict()

    def node(row: dict, side: str) -> object:
        key = row.get(f"{side}_id") or ("name", row[side])
        if key not in nodes:
            nodes[key] = f"n{len(nodes) + 1}"
            labels[key] = []
        if row[side] not in labels[key]:
            labels[key].append(row[side])
        return key

    for row in rows:
        src, dst, both = node(row, "source"), node(row, "destination"), bool(row["bidirectional"])
        if both and (dst, src, True) in edges:
            src, dst = dst, src  # the same flow both ways, listed the other way round
        edges.setdefault((src, dst, both), []).append(row)
    out = ["```mermaid", "flowchart LR"]
    out += [f'    {nid}["{mermaid_text(" / ".join(labels[key]))}"]' for key, nid in nodes.items()]
    for (src, dst, both), edge_rows in edges.items():
        arrow = "<-->" if both else "-->"
        label = mermaid_text(edge_label(edge_rows, no_port))
        out.append(f'    {nodes[src]} {arrow}|"{label}"| {nodes[dst]}')
    out.append("```")
    return out


def anchor(heading: str, seen: dict[str, int]) -> str:
    """The anchor GitHub gives a heading (lower case, punctuation dropped, spaces to
    hyphens, ``-1``, ``-2`` for repeats).

    >>> anchor("Citrix ADC / NetScaler (NSIP)", {})
    'citrix-adc--netscaler-nsip'
    """
    text = "".join(c for c in heading.lower() if c.isalnum() or c in " -_")
    base = text.replace(" ", "-")
    n = seen.get(base, 0)
    seen[base] = n + 1
    return base if n == 0 else f"{base}-{n}"


def report_markdown(
    ports: list[dict], rejects: list[dict], build: dict, sections: dict | None = None
) -> str:
    """``build/report.md`` from the published ports and rejects, the sections document
    and the build report."""
    words = load().labels(build["source"].get("locale", "en-us"))
    by_section: OrderedDict[str, list[dict]] = OrderedDict()
    for row in ports:
        by_section.setdefault(row["section"], []).append(row)
    notes = {
        s["heading"]: [n["text"] for n in s["notes"]] for s in (sections or {}).get("sections", [])
    }
    seen: dict[str, int] = {}
    anchor(words["title"], seen)
    contents = []
    if rejects:
        contents.append(f"- [{words['rejected']}](#{anchor(words['rejected'], seen)})")
    contents += [
        f"- [{md_cell(name)}](#{anchor(md_cell(name), seen)}) ({len(rows)})"
        for name, rows in by_section.items()
    ]
    out = heading_part(build, words)
    out += [f"## {words['contents']}", ""] + contents + [""]
    if rejects:
        out += rejects_part(rejects, words)
    lines = {r["rule_id"]: r["source_line"] for r in ports}
    for section, rows in by_section.items():
        out += section_part(section, rows, notes.get(section, []), words, lines)
    return "\n".join(out)


def heading_part(build: dict, words: dict) -> list[str]:
    """The report's title, its source, the counts of each stage and the errata applied."""
    src, counts = build["source"], build["counts"]
    out = [
        f"# {words['title']}",
        "",
        f"{words['generated']} `{src['name']}` ({src['form']}, {src['locale']}, "
        f"sha256 `{src['sha256'][:16]}…`). {words['do_not_edit']}",
        "",
        f"| {words['stage']} | {words['rows']} |",
        "|---|---:|",
    ]
    out += [
        f"| {words[key]} | {counts[key]} |"
        for key in (
            "sections",
            "tables",
            "rules",
            "rules_in_ports",
            "rules_derived",
            "rules_prose",
            "rules_notes",
            "rules_rejected",
            "ports",
        )
    ]
    out.append("")
    applied = build["errata"]["applied"]
    if applied:
        out += [
            f"{words['errata']} (`pipeline/data/errata.toml`): "
            + ", ".join(f"`{k}` ({len(v)})" for k, v in applied.items())
            + ".",
            "",
        ]
    return out


def rejects_part(rejects: list[dict], words: dict) -> list[str]:
    """The table of the rejected rows: line, section, table, row and reason."""
    out = [
        f"## {words['rejected']}",
        "",
        f"| {words['line']} | {words['section']} | {words['table']} | {words['row']} "
        f"| {words['reason']} |",
        "|---:|---|---:|---:|---|",
    ]
    out += [
        f"| {r['source_line']} | {md_cell(r['section'])} | {r['table']} | {r['row']} | "
        f"{md_cell(r['reason'])} |"
        for r in rejects
    ]
    return out + [""]


def derived_from(row: dict, words: dict, lines: dict[str, int]) -> str:
    """What a derived flow's details add: the lines of the rows whose ports it takes.

    >>> derived_from({"derived_from": "a,b"}, {"derived": "the ports of the rows of lines"},
    ...              {"a": 222, "b": 223})
    ' (the ports of the rows of lines 222, 223)'
    """
    ids = [i for i in (row.get("derived_from") or "").split(",") if i]
    if not ids:
        return ""
    return f" ({words['derived']} {', '.join(str(lines.get(i, i)) for i in ids)})"


def section_part(
    section: str, rows: list[dict], said: list[str], words: dict, lines: dict[str, int]
) -> list[str]:
    """One section: its notes (folded), its flowchart and the table of its ports (a flow a
    note derives says from which rows: ``lines``, rule id -> line)."""
    out = [f"## {md_cell(section)}", ""]
    if said:
        out += [f"<details><summary>{words['notes']}</summary>", ""]
        out += [
            f"> {md_cell(text)}" + ("  " if k < len(said) - 1 else "")
            for k, text in enumerate(said)
        ]
        out += ["", "</details>", ""]
    out += flowchart(rows, words["no_port"]) + [""]
    out += [
        f"| {words['source']} | {words['destination']} | {words['protocol']} | "
        f"{words['ports']} | {words['both_ways']} | {words['details']} |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {md_cell(r['source'])} | {md_cell(r['destination'])} | "
            f"{r['protocol']} | {md_cell(edge_ports(r, words['no_port']))} | "
            f"{words['yes'] if r['bidirectional'] else ''} | "
            f"{md_cell(r['details'] + derived_from(r, words, lines))} |"
        )
    return out + [""]
