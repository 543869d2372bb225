"""`build/report.md`: its flowcharts parse (by our reader of Mermaid's grammar, and by
Mermaid itself where installed), its contents, labels and notes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from conftest import ROOT

NODE = re.compile(r'^    (n\d+)\["((?:[^"\\]|#\w+;)*)"\]$')


EDGE = re.compile(r'^    (n\d+) (-->|<-->)\|"((?:[^"\\|]|#\w+;)*)"\| (n\d+)$')


def parse_mermaid_flowchart(block: list[str]) -> tuple[dict, list]:
    """A strict parser of the flowchart subset the report writes; raises on anything else."""
    assert block[0] == "flowchart LR", block[0]
    nodes, edges = {}, []
    for line in block[1:]:
        if m := NODE.match(line):
            assert m.group(1) not in nodes, f"node {m.group(1)} declared twice"
            nodes[m.group(1)] = m.group(2)
        elif m := EDGE.match(line):
            assert m.group(1) in nodes and m.group(4) in nodes, f"edge to undeclared node: {line}"
            edges.append((m.group(1), m.group(2), m.group(3), m.group(4)))
        else:
            raise AssertionError(f"not Mermaid flowchart syntax: {line!r}")
    return nodes, edges


def mermaid_blocks(text: str) -> list[list[str]]:
    return [b.strip("\n").splitlines() for b in re.findall(r"```mermaid\n(.*?)```", text, re.S)]


def test_report_flowcharts_parse(built):
    out_dir, _ = built
    text = (out_dir / "report.md").read_text()
    blocks = mermaid_blocks(text)
    # one flowchart per section that has ports
    ports = json.loads((out_dir / "ports.json").read_text())
    assert len(blocks) == len({r["section"] for r in ports})
    for block in blocks:
        nodes, edges = parse_mermaid_flowchart(block)
        assert nodes and edges
    sdx = parse_mermaid_flowchart(blocks[0])
    assert sdx[0]["n1"] == "Poste de travail administrateur"
    # line 7: Poste de travail administrateur -> Gestion ... Citrix SDX, TCP 80, 443
    assert ("n1", "-->", "tcp 80, 443", "n2") in sdx[1]
    assert "| 50 | Citrix ADM | 3 | 20 |" in text  # the rejected row is listed
    # one node per component id: 'Director' (line 221) and 'Serveur Director' (line 232)
    # of the Citrix Virtual Apps and Desktops section are the same component
    cvad = next(
        parse_mermaid_flowchart(b) for b in blocks if any("Serveur Director" in ln for ln in b)
    )
    assert "Director / Serveur Director" in cvad[0].values()
    assert not {"Director", "Serveur Director"} & set(cvad[0].values())


@pytest.mark.slow
def test_report_parses_with_mermaid_itself(built):
    """Mermaid's own parser (tests/mermaid, installed by .ci/run with npm ci)."""
    checker = ROOT / "tests" / "mermaid"
    node = shutil.which("node")
    if not node or not (checker / "node_modules" / "mermaid").is_dir():
        pytest.skip("Mermaid is not installed here: run `npm ci` in tests/mermaid (.ci/run does)")
    out_dir, _ = built
    done = subprocess.run(
        [node, str(checker / "check.mjs"), str(out_dir / "report.md")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 invalid" in done.stdout


def test_the_report_has_contents_labels_and_notes(built):
    text = (built[0] / "report.md").read_text("utf-8")
    headings = re.findall(r"^## (.*)$", text, re.M)
    links = re.findall(r"^- \[(.*?)\]\(#(.*?)\)", text, re.M)
    from pipeline.stages.report import anchor

    seen: dict[str, int] = {}
    anchor("Ports de communication utilisés par les technologies Citrix", seen)
    anchors = {anchor(h, seen): h for h in headings}
    assert links and all(a in anchors for _, a in links)  # every entry leads to its part
    assert "| source | destination | protocole |" in text and "aucun port" in text
    # the page's note under Citrix ADC (lines 47-48 of the snapshot), inside its part
    adc = text[text.index("\n## Citrix ADC\n") : text.index("\n## Citrix ADM\n")]
    assert "<details><summary>Ce que la page dit avec cette section</summary>" in adc
    assert (
        "> selon la configuration Citrix ADC, le trafic réseau peut provenir des "
        "interfaces SNIP, MIP ou NSIP."
    ) in adc


def test_a_flow_both_ways_is_drawn_once():
    from pipeline.stages.report import flowchart

    rows = [
        dict(
            source="A",
            destination="B",
            bidirectional=True,
            protocol="tcp",
            port_start=80,
            port_end=80,
        ),
        dict(
            source="B",
            destination="A",
            bidirectional=True,
            protocol="tcp",
            port_start=80,
            port_end=80,
        ),
    ]
    edges = [line for line in flowchart(rows) if "<-->" in line]
    assert edges == ['    n1 <-->|"tcp 80"| n2']
