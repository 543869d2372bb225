"""One page, three forms: the English Markdown source, the HTML the site makes of it
(empty Source/Destination cells merged with rowspan) and the text trafilatura 1.12
makes of that HTML give the same rules and ports, and they are right.

Expected values are read from tests/data/citrix-communication-ports.fd98ff78.md.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import ENGLISH as MD
from make_forms import html_to_text, markdown_to_html
from pipeline.page.readers.html import read_html
from pipeline.page.readers.markdown import inline_text, read_markdown
from pipeline.stages.build import build

CONTENT = [
    "section",
    "table",
    "row",
    "source",
    "destination",
    "type_raw",
    "port_raw",
    "details",
    "kind",
    "source_inherited",
    "destination_inherited",
    "type_inherited",
    "problems",
    "rule_id",
]


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    """Build each form of the English page: {form: (out dir, manifest)}."""
    base = tmp_path_factory.mktemp("forms")
    html = markdown_to_html(MD.read_text("utf-8"))
    (base / "page.html").write_text(html, "utf-8")
    (base / "page.txt").write_text(html_to_text(html), "utf-8")
    out = {}
    for form, path in (("markdown", MD), ("html", base / "page.html"), ("text", base / "page.txt")):
        result = build(path, base / f"build-{form}", strict=True)
        out[form] = (base / f"build-{form}", result.manifest)
    return out


def frame(forms, form, name):
    return pd.read_csv(forms[form][0] / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_each_form_is_recognised_and_english(forms):
    for form, (_, manifest) in forms.items():
        assert manifest["source"]["form"] == form
        assert manifest["source"]["locale"] == "en-us"
        assert manifest["counts"]["tables"] == 16
        # 202 pipe lines - 16 headers - 16 separators, and the Cloud Connector's sentence
        assert manifest["counts"]["rules"] == 170 + 1 == 170 + manifest["counts"]["rules_prose"]


@pytest.mark.parametrize("form", ["html", "text"])
def test_same_rules_and_ports_in_every_form(forms, form):
    md_rules, other = frame(forms, "markdown", "rules"), frame(forms, form, "rules")
    assert md_rules[CONTENT].to_dict("records") == other[CONTENT].to_dict("records")
    cols = [c for c in frame(forms, "markdown", "ports").columns if c != "source_line"]
    assert frame(forms, "markdown", "ports")[cols].to_dict("records") == frame(
        forms, form, "ports"
    )[cols].to_dict("records")
    assert (
        frame(forms, "markdown", "rejects")["rule_id"].tolist()
        == frame(forms, form, "rejects")["rule_id"].tolist()
    )


def test_section_path_where_the_form_keeps_levels(forms):
    rules = {f: frame(forms, f, "rules") for f in forms}
    rendezvous = "Rendezvous Protocol and HDX Enlightened Data Transport Protocol (EDT)"
    for form in ("markdown", "html"):
        paths = set(rules[form].loc[rules[form]["section"] == rendezvous, "section_path"])
        assert paths == {"Citrix Cloud > Citrix Cloud - Gateway Service > " + rendezvous}
        sf = set(rules[form].loc[rules[form]["section"] == "StoreFront", "section_path"])
        assert sf == {"Citrix Virtual Apps and Desktops > StoreFront"}
    # the text form keeps no levels: the flat heading, never an invented hierarchy
    assert (rules["text"]["section_path"] == rules["text"]["section"]).all()


def test_rows_read_from_the_markdown(forms):
    ports = frame(forms, "markdown", "ports")
    rules = frame(forms, "markdown", "rules")

    def rule(line):
        r = rules[rules["source_line"] == str(line)]
        assert len(r) == 1
        return r.iloc[0]

    # line 19: "|  | Citrix ADC Appliance (for High Availability) | UDP | 3003 |"
    r = rule(19)
    assert (r.source, r.destination, r.type_raw, r.port_raw, r.source_inherited) == (
        "Citrix ADC NSIP",
        "Citrix ADC Appliance (for High Availability)",
        "UDP",
        "3003",
        "true",
    )
    # line 20: both merged
    r = rule(20)
    assert (r.source, r.destination, r.port_raw) == (
        "Citrix ADC NSIP",
        "Citrix ADC Appliance (for High Availability)",
        "3008",
    )
    # lines 81-84: URLs in code spans
    assert rules.loc[
        rules["source_line"].isin(["81", "82", "83", "84"]), "destination"
    ].tolist() == [
        "http://*.digicert.com",
        "https://*.digicert.com",
        "https://dl.cacerts.digicert.com/DigiCertAssuredIDRootCA.crt",
        "https://dl.cacerts.digicert.com/DigiCertSHA2AssuredIDCodeSigningCA.crt",
    ]
    assert rule(82).source == "Cloud Connectors"

    def port_rows(line):
        p = ports[ports["source_line"] == str(line)]
        return p[["protocol", "service", "port_start", "port_end", "bidirectional"]].values.tolist()

    # line 69: Citrix ADM -> Citrix ADM Agent, TCP 443, 8443, 7443
    assert port_rows(69) == [
        ["tcp", "", "443", "443", "false"],
        ["tcp", "", "8443", "8443", "false"],
        ["tcp", "", "7443", "7443", "false"],
    ]
    # line 212: TCP N/A; line 216: ICMP N/A
    assert port_rows(212) == [["tcp", "", "", "", "false"]]
    assert port_rows(216) == [["icmp", "", "", "", "false"]]
    # line 231: 80 (Bidirectional)
    assert port_rows(231) == [["tcp", "", "80", "80", "true"]]
    # line 247: "Dynamically allocated high-port (49152..65535)", TCP, UDP
    assert port_rows(247) == [
        ["tcp", "", "49152", "65535", "false"],
        ["udp", "", "49152", "65535", "false"],
    ]
    # line 243: UDP 16500..16509 under merged source and destination
    assert port_rows(243) == [["udp", "", "16500", "16509", "false"]]
    # line 168 of the English page has the same 'TCP, UDP TCP' / '53, 389' cell: erratum
    assert sorted(port_rows(168)) == sorted(
        [
            ["tcp", "", "53", "53", "false"],
            ["udp", "", "53", "53", "false"],
            ["tcp", "", "389", "389", "false"],
        ]
    )
    assert frame(forms, "markdown", "rejects").empty


def test_html_reader_reads_the_article_only_and_expands_spans():
    html = """<!DOCTYPE html><html><head><script>var t='<table>';</script></head><body>
<nav><p>Menu</p></nav><header><h1>Site</h1></header>
<article>
<h2>Product</h2>
<p>Intro <a href="/x">link</a><br>next line.</p>
<table>
<tr><th>Source</th><th>Destination</th><th>Type</th><th>Port</th><th>Details</th></tr>
<tr><td rowspan="3">Admin</td><td rowspan="2"><a href="#">SVM</a></td><td>TCP</td><td><code>80</code>, 443</td><td>GUI<br/>and API</td></tr>
<tr><td>TCP</td><td>22</td><td><ul><li>SSH</li><li>SCP</li></ul></td></tr>
<tr><td>Hypervisor</td><td colspan="3">Refer to the hypervisor section for its ports.</td></tr>
</table>
<h3>Sub</h3><p>Note: text.</p>
</article>
<footer><p>Copyright</p></footer></body></html>"""
    page = read_html(html, "mini.html", "en-us")
    assert [(s.heading, s.level, s.path) for s in page.sections] == [
        ("Product", 2, ("Product",)),
        ("Sub", 3, ("Product", "Sub")),
    ]
    notes = [n.text for s in page.sections for n in s.notes]
    assert notes == ["Intro link next line.", "Note: text."]
    rows = [
        (
            r.cells["source"],
            r.cells["destination"],
            r.cells["type"],
            r.cells["port"],
            r.cells["details"],
            sorted(r.inherited),
        )
        for r in page.tables[0].rows
    ]
    assert rows == [
        ("Admin", "SVM", "TCP", "80, 443", "GUI and API", []),
        ("Admin", "SVM", "TCP", "22", "SSH SCP", ["destination", "source"]),
        (
            "Admin",
            "Hypervisor",
            "",
            "",
            "Refer to the hypervisor section for its ports.",
            ["source"],
        ),
    ]


def test_a_markdown_row_that_lost_a_cell_is_marked_and_one_without_details_is_read():
    """A row short of cells whose cells no longer fit their columns (the Details moved into
    the Port) is marked, and the rows it would pass its names to with it; one that left
    out only its last cell is read as written."""
    md = (
        "## P\n\n| Source | Destination | Type | Port | Details |\n|---|---|---|---|---|\n"
        "| A | B | TCP | 1 | d |\n| | C | TCP | Traps from ADC to Citrix ADM |\n"
        "| E | F | TCP | 443 |\n"
    )
    rows = read_markdown(md, "short.md", "en-us").tables[0].rows
    assert rows[1].problems == [
        "the row has 4 cells where the table has 5, and 'Traps from ADC to Citrix ADM' does "
        "not look like a port: a cell is missing and the cells after it moved"
    ]
    assert not rows[0].problems and not rows[2].problems
    assert (rows[2].cells["port"], rows[2].cells["details"]) == ("443", "")


def test_a_header_written_again_in_a_long_table_is_no_rule():
    """A long table may repeat its header row: in Markdown and in HTML (made from it as the
    site serves it) that row is no rule (Markdown counts its line as a header line), and
    the rows under it read as before."""
    md = (
        "## P\n\n| Source | Destination | Type | Port | Details |\n|---|---|---|---|---|\n"
        "| A | B | TCP | 1 | d |\n| source | Destination | Type | Port | Details |\n"
        "| C | D | UDP | 2 | e |\n"
    )
    for page in (
        read_markdown(md, "long.md", "en-us"),
        read_html(markdown_to_html(md), "long.html", "en-us"),
    ):
        rows = page.tables[0].rows
        assert [(r.cells["source"], r.cells["port"], r.problems) for r in rows] == [
            ("A", "1", []),
            ("C", "2", []),
        ]
    assert read_markdown(md, "long.md", "en-us").line_counts["table_header"] == 2


def test_a_cell_of_invisible_characters_only_is_empty_as_a_reader_sees_it():
    """A cell holding only a zero-width space (or a byte order mark) looks empty: in
    Markdown and in HTML it is read as empty, so a Destination takes the row above's,
    as an empty one does; a name with a joiner inside it stays as written."""
    md = (
        "## P\n\n| Source | Destination | Type | Port | Details |\n|---|---|---|---|---|\n"
        "| A | B | TCP | 1 | d |\n| \u200b | \ufeff | UDP | 2 | \u200b |\n"
        "| A | C\u200dD | TCP | 3 | e |\n"
    )
    html = markdown_to_html(md)
    for page in (read_markdown(md, "zw.md", "en-us"), read_html(html, "zw.html", "en-us")):
        rows = page.tables[0].rows
        assert [(r.cells["source"], r.cells["destination"], r.problems) for r in rows] == [
            ("A", "B", []),
            ("A", "B", []),
            ("A", "C\u200dD", []),
        ]


@pytest.mark.parametrize(
    "value, covered",
    [("2px", 2), (" +2", 2), ("-2", 1), ("1.9", 1), ("x2", 1), ("", 1), ("0", 3)],
)
def test_a_rowspan_is_read_as_a_browser_reads_it(value, covered):
    """HTML's rules for non-negative integers: digits after optional white space and "+",
    anything after them ignored; anything else is 1; 0 spans the rest of the table."""
    head = "<tr><th>Source</th><th>Destination</th><th>Type</th><th>Port</th><th>Details</th></tr>"
    first = (
        f"<tr><td rowspan='{value}'>Admin</td><td>SVM</td><td>TCP</td><td>22</td><td>a</td></tr>"
    )
    under = "<tr><td>SVM</td><td>TCP</td><td>{}</td><td>b</td></tr>"
    full = "<tr><td>Host</td><td>SVM</td><td>TCP</td><td>{}</td><td>c</td></tr>"
    rows = [under.format(80 + k) if k < covered - 1 else full.format(80 + k) for k in range(2)]
    html = f"<html><body><h2>P</h2><table>{head}{first}{''.join(rows)}</table></body></html>"
    page = read_html(html, "spans.html", "en-us")
    sources = [(r.cells["source"], r.cells["port"], not r.problems) for r in page.tables[0].rows]
    expected = [("Admin", "22", True)] + [
        ("Admin" if k < covered - 1 else "Host", str(80 + k), True) for k in range(2)
    ]
    assert sources == expected


@pytest.mark.parametrize(
    "md, text",
    [
        ("[Port Requirements](/en-us/x.html#port)", "Port Requirements"),
        ("`https://*.nssvc.net`", "https://*.nssvc.net"),
        ("**Note:**", "Note:"),
        ("a<br>b", "a b"),
        (r"TCP \| UDP", "TCP | UDP"),
        ("Used by `WorkstationAgent.exe` for *DDC*", "Used by WorkstationAgent.exe for DDC"),
        ("&amp; more", "& more"),
    ],
)
def test_markdown_inline_text(md, text):
    assert inline_text(md) == text


def test_markdown_front_matter_and_empty_cells():
    md = (
        "---\nlayout: doc\ntitle: x\n---\n# Title\n\n## Product\n\n"
        "| Source | Destination | Type | Port | Details |\n|---|---|---|---|---|\n"
        "| A | B | TCP | 80 | web |\n|  |  | UDP | 53 | dns |\n|  | C | TCP | 22 | |\n"
    )
    page = read_markdown(md, "mini.md", "en-us")
    assert [s.heading for s in page.sections] == ["Title", "Product"]
    rows = [
        (r.cells["source"], r.cells["destination"], r.cells["port"]) for r in page.tables[0].rows
    ]
    assert rows == [("A", "B", "80"), ("A", "B", "53"), ("A", "C", "22")]
    assert page.tables[0].rows[0].line == 11


def test_a_table_collapsed_onto_one_line_is_read_in_every_form(page, snapshot_lines):
    """Line 50 of the French snapshot (the Citrix ADM table that reached the site as one
    line of broken Markdown) inside an HTML paragraph and a Markdown paragraph gives the
    same rows as the text reader."""
    import html as html_lib

    line = snapshot_lines[49]
    expected = [(r.cells, sorted(r.inherited), r.problems) for r in page.tables[2].rows]
    as_html = (
        f"<html><body><article><h2>Citrix ADM</h2>\n<p>{html_lib.escape(line)}</p>\n"
        "</article></body></html>"
    )
    as_md = f"## Citrix ADM\n\n{line}\n"
    for reader, text in ((read_html, as_html), (read_markdown, as_md)):
        got = reader(text, "x", "fr-fr")
        assert len(got.tables) == 1 and got.tables[0].shape == "flattened"
        assert [(r.cells, sorted(r.inherited), r.problems) for r in got.tables[0].rows] == expected


# Damage every form can show, written once in Markdown and made into HTML and text the
# way the real forms are made: a table before any heading, a row with extra cells, a row
# that lost its trailing cells, a row whose Type cell holds a name.
DAMAGED = """| Source | Destination | Type | Port | Details |
|---|---|---|---|---|
| Admin | Server | TCP | 22 | SSH |
| Admin | Server | TCP | 443 | HTTPS | extra | more |

## Section two

| Source | Destination | Type | Port | Details |
|---|---|---|---|---|
| Client | Gateway | TCP | 443 | |
| | | UDP | 443 | EDT |
| Client | Gateway | Citrix Gateway | 443 | a name in the Type cell |
"""


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_the_same_damaged_tables_give_the_same_rules_in_every_form(tmp_path):
    # The site's renderer (GitHub tables) drops a Markdown row's extra cells; a damaged
    # HTML page has them as extra <td> elements: add them to the rendered page.
    html = markdown_to_html(DAMAGED)
    assert html.count("<td>HTTPS</td>") == 1
    html = html.replace("<td>HTTPS</td>", "<td>HTTPS</td><td>extra</td><td>more</td>")
    paths = {"markdown": tmp_path / "d.md", "html": tmp_path / "d.html", "text": tmp_path / "d.txt"}
    paths["markdown"].write_text(DAMAGED, "utf-8")
    paths["html"].write_text(html, "utf-8")
    paths["text"].write_text(html_to_text(html), "utf-8")
    got = {}
    for form, path in paths.items():
        result = build(path, tmp_path / f"out-{form}", locale="en-us")
        assert result.manifest["source"]["form"] == form
        got[form] = pd.read_csv(
            tmp_path / f"out-{form}" / "rules.csv", dtype=str, keep_default_na=False
        )[CONTENT].to_dict("records")
    assert got["html"] == got["markdown"]
    assert got["text"] == got["markdown"]
    rules = {(r["section"], r["port_raw"], r["type_raw"]): r for r in got["markdown"]}
    first = rules[("(before the first heading)", "443", "TCP")]
    assert first["details"] == "HTTPS | extra | more"
    assert "more cells than the table's 5 columns" in first["problems"]
    assert rules[("Section two", "443", "UDP")]["source"] == "Client"
    rejects = pd.read_csv(tmp_path / "out-text" / "rejects.csv", dtype=str, keep_default_na=False)
    assert sorted(rejects["reason"]) == [
        "the reader marked the row: 'Citrix Gateway' does not look like a type",
        "the reader marked the row: row has more cells than the table's 5 columns; the "
        "extra cells were folded into the last column",
    ]
