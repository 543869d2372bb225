"""Cross-language (or cross-version) comparison of two pages by component identity.

Input: the ports of two versions with their registry ids (``pipeline.diff.load``: build
directories, snapshots built on the fly, or ``git:REF``), for example the French page
and the English page.  Output: a ``Comparison``: the flows only one of them has, the
flows both have whose protocols or ports disagree, the flows one writes the other way
round (ends swapped), and the names the registry does not know (their flows cannot be
compared); rendered as text, Markdown or JSON.

A flow is a (section id, source id, destination id) with its set of (protocol, port
range); the wording of names, details and cells does not matter, so two translations of
the same flow are the same flow.  Every flow listed is located by its section and the
lines of the page it comes from.  Standard library only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from pipeline.core.markdown_out import md_cell
from pipeline.core.wording import counted
from pipeline.dataset.schema import port_range

Key = tuple[str, str, str]  # section id, source id, destination id


@dataclass
class Flow:
    """One flow of one side: its names as the page writes them, its ports and lines."""

    key: Key
    section: str
    source: str
    destination: str
    ports: set = field(default_factory=set)  # (protocol, start, end)
    lines: set = field(default_factory=set)

    def to_json(self) -> dict:
        """The flow as JSON: ids, names, ports (``tcp/443``) and lines."""
        return {
            "section_id": self.key[0],
            "source_id": self.key[1],
            "destination_id": self.key[2],
            "section": self.section,
            "source": self.source,
            "destination": self.destination,
            "ports": shown(self.ports),
            "lines": sorted(self.lines),
        }


def shown(ports: set) -> list[str]:
    """Ports as people write them: ``tcp/443``, ``udp/16500-16509``, ``icmp``."""
    return [
        p if a is None else f"{p}/{port_range(a, b)}"
        for p, a, b in sorted(ports, key=lambda t: (t[0], t[1] or -1, t[2] or -1))
    ]


def flows(rows: list[dict]) -> tuple[dict[Key, Flow], dict[str, set[int]]]:
    """The flows of a side by key, and its unknown names with their lines (the flows
    that name them are left out: they cannot be compared)."""
    out: dict[Key, Flow] = {}
    unknown: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        missing = [
            r[n]
            for n, i in (
                ("section", "section_id"),
                ("source", "source_id"),
                ("destination", "destination_id"),
            )
            if not r.get(i)
        ]
        if missing:
            for name in missing:
                unknown[name].add(r["source_line"])
            continue
        key = (r["section_id"], r["source_id"], r["destination_id"])
        flow = out.setdefault(key, Flow(key, r["section"], r["source"], r["destination"]))
        flow.ports.add((r["protocol"], r["port_start"], r["port_end"]))
        flow.lines.add(r["source_line"])
    return out, dict(unknown)


@dataclass
class Comparison:
    """What two pages say differently."""

    left: str
    right: str
    shared: int  # flows both say the same
    only_left: list[Flow]
    only_right: list[Flow]
    disagree: list[tuple[Flow, Flow]]  # same flow, other protocols or ports
    unknown_left: dict[str, set[int]]
    unknown_right: dict[str, set[int]]
    reversed: list[tuple[Flow, Flow]] = field(default_factory=list)  # the other way round

    @property
    def same(self) -> bool:
        """True when both pages have the same flows (and every name is known)."""
        return not (
            self.only_left
            or self.only_right
            or self.disagree
            or self.reversed
            or self.unknown_left
            or self.unknown_right
        )

    def summary(self) -> dict:
        """The counts."""
        return {
            "left": self.left,
            "right": self.right,
            "shared": self.shared,
            "only_left": len(self.only_left),
            "only_right": len(self.only_right),
            "disagree": len(self.disagree),
            "reversed": len(self.reversed),
            "unknown_left": len(self.unknown_left),
            "unknown_right": len(self.unknown_right),
            "same": self.same,
        }


def compare(
    left: list[dict], right: list[dict], left_label: str = "left", right_label: str = "right"
) -> Comparison:
    """Compare two pages' ports rows (with their ids)."""
    lf, lu = flows(left)
    rf, ru = flows(right)
    order = lambda f: (f.section, min(f.lines))  # noqa: E731
    only_left = sorted((f for k, f in lf.items() if k not in rf), key=order)
    only_right = sorted((f for k, f in rf.items() if k not in lf), key=order)
    disagree = sorted(
        ((lf[k], rf[k]) for k in lf.keys() & rf.keys() if lf[k].ports != rf[k].ports),
        key=lambda p: order(p[0]),
    )
    shared = sum(1 for k in lf.keys() & rf.keys() if lf[k].ports == rf[k].ports)
    # a flow one page writes the other way round (same section, ends swapped)
    right_keys = {f.key: f for f in only_right}
    reversed_ = [
        (f, right_keys[(f.key[0], f.key[2], f.key[1])])
        for f in only_left
        if f.key[1] != f.key[2] and (f.key[0], f.key[2], f.key[1]) in right_keys
    ]
    swapped = {a.key for a, _ in reversed_} | {b.key for _, b in reversed_}
    only_left = [f for f in only_left if f.key not in swapped]
    only_right = [f for f in only_right if f.key not in swapped]
    return Comparison(
        left_label, right_label, shared, only_left, only_right, disagree, lu, ru, reversed_
    )


def _flow_line(f: Flow) -> str:
    lines = ", ".join(str(n) for n in sorted(f.lines))
    return (
        f"[{f.section}] {f.source} → {f.destination}: {' '.join(shown(f.ports))} "
        f"(line{'s' if len(f.lines) > 1 else ''} {lines})"
    )


def render_text(c: Comparison) -> str:
    """For a terminal."""
    s = c.summary()
    out = [
        f"{c.left} vs {c.right}: {counted(s['shared'], 'flow')} the same, {s['only_left']} only in "
        f"{c.left}, {s['only_right']} only in {c.right}, {s['disagree']} disagree, "
        f"{s['reversed']} the other way round; unknown names: {s['unknown_left']} / "
        f"{s['unknown_right']}"
    ]
    for title, items in ((f"only in {c.left}", c.only_left), (f"only in {c.right}", c.only_right)):
        if items:
            out += ["", f"{title}:"] + [f"  {_flow_line(f)}" for f in items]
    if c.disagree:
        out += ["", "protocols or ports disagree:"]
        for a, b in c.disagree:
            out += [
                f"  {_flow_line(a)}",
                f"    {c.right}: {' '.join(shown(b.ports))} "
                f"(lines {', '.join(str(n) for n in sorted(b.lines))})",
            ]
    if c.reversed:
        out += ["", "written the other way round:"]
        for a, b in c.reversed:
            out += [f"  {_flow_line(a)}", f"    {c.right}: {_flow_line(b)}"]
    for label, unknown in ((c.left, c.unknown_left), (c.right, c.unknown_right)):
        if unknown:
            out += ["", f"names of {label} not in the registry (their flows are not compared):"]
            out += [
                f"  {name!r} (lines {', '.join(str(n) for n in sorted(lines))})"
                for name, lines in sorted(unknown.items(), key=lambda kv: min(kv[1]))
            ]
    return "\n".join(out) + "\n"


def render_markdown(c: Comparison) -> str:
    """For a pull request or a CI job summary."""
    s = c.summary()
    out = [
        f"### {md_cell(c.left)} vs {md_cell(c.right)}",
        "",
        f"{counted(s['shared'], 'flow')} the same, {s['only_left']} only in {md_cell(c.left)}, "
        f"{s['only_right']} only in {md_cell(c.right)}, {s['disagree']} disagree, "
        f"{s['reversed']} written the other way round.",
        "",
    ]
    for title, items in ((f"Only in {c.left}", c.only_left), (f"Only in {c.right}", c.only_right)):
        if items:
            out += [
                f"#### {md_cell(title)}",
                "",
                "| section | source | destination | ports | lines |",
                "|---|---|---|---|---|",
            ]
            out += [
                f"| {md_cell(f.section)} | {md_cell(f.source)} | {md_cell(f.destination)} | "
                f"{' '.join(shown(f.ports))} | {', '.join(map(str, sorted(f.lines)))} |"
                for f in items
            ]
            out.append("")
    if c.disagree:
        out += [
            "#### Protocols or ports disagree",
            "",
            f"| section | source | destination | {md_cell(c.left)} | {md_cell(c.right)} |",
            "|---|---|---|---|---|",
        ]
        out += [
            f"| {md_cell(a.section)} | {md_cell(a.source)} | {md_cell(a.destination)} | "
            f"{' '.join(shown(a.ports))} (lines {', '.join(map(str, sorted(a.lines)))}) | "
            f"{' '.join(shown(b.ports))} (lines {', '.join(map(str, sorted(b.lines)))}) |"
            for a, b in c.disagree
        ]
        out.append("")
    if c.reversed:
        out += [
            "#### Written the other way round",
            "",
            f"| section | {md_cell(c.left)} | {md_cell(c.right)} | ports |",
            "|---|---|---|---|",
        ]
        out += [
            f"| {md_cell(a.section)} | {md_cell(a.source)} → {md_cell(a.destination)} (lines "
            f"{', '.join(map(str, sorted(a.lines)))}) | {md_cell(b.source)} → "
            f"{md_cell(b.destination)} (lines {', '.join(map(str, sorted(b.lines)))}) | "
            f"{' '.join(shown(a.ports))} / {' '.join(shown(b.ports))} |"
            for a, b in c.reversed
        ]
        out.append("")
    for label, unknown in ((c.left, c.unknown_left), (c.right, c.unknown_right)):
        if unknown:
            out += [
                f"#### Names of {md_cell(label)} not in the registry",
                "",
                "Their flows are not compared: add them to `pipeline/data/components.toml`.",
                "",
                "| name | lines |",
                "|---|---|",
            ]
            out += [
                f"| {md_cell(name)} | {', '.join(map(str, sorted(lines)))} |"
                for name, lines in sorted(unknown.items(), key=lambda kv: min(kv[1]))
            ]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_json(c: Comparison) -> str:
    """For programs."""
    data = {
        "summary": c.summary(),
        "only_left": [f.to_json() for f in c.only_left],
        "only_right": [f.to_json() for f in c.only_right],
        "disagree": [{"left": a.to_json(), "right": b.to_json()} for a, b in c.disagree],
        "reversed": [{"left": a.to_json(), "right": b.to_json()} for a, b in c.reversed],
        "unknown_left": {n: sorted(v) for n, v in sorted(c.unknown_left.items())},
        "unknown_right": {n: sorted(v) for n, v in sorted(c.unknown_right.items())},
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


FORMATS = {"text": render_text, "markdown": render_markdown, "json": render_json}
