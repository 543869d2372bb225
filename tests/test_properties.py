"""Property-based tests of the readers (hypothesis).

Random port tables are generated, rendered to HTML (rowspan for merged cells, colspan for
note rows) and to text with trafilatura 1.12, as the real snapshot was made.

* HTML: the reader gives back the generated table exactly, whatever the rowspans.
* text: for tables that follow the page's conventions (merged cells are the leading
  Source / Destination / Type cells; Port empty only for ICMP and note rows), the reader
  gives back every row exactly, or marks it (problems) — never a silent wrong row, never
  a crash.  Shapes the text cannot tell apart are listed in the text reader's docstring.
"""

from __future__ import annotations

import html as html_lib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from make_forms import html_to_text
from pipeline.page.readers.html import read_html
from pipeline.page.readers.text import read_text

NAMES = [
    "Poste de travail administrateur",
    "SVM Citrix SDX",
    "Serveur NTP",
    "Cloud Connector",
    "Virtual Delivery Agent",
    "Delivery Controller",
    "Serveur StoreFront",
    "Serveur LDAP (équilibrage de charge)",
    "https://*.digicert.com",
    "9.9.9.9",
    "Machine cible",
    "Contrôleur de domaine",
    "Service d’infrastructure",
]
TYPES = ["TCP", "UDP", "TCP, UDP", "TCP/UDP", "UDP/TCP", "HTTPS", "SNMP", "SSH"]
PORTS = [
    "22",
    "80, 443",
    "139,445",
    "49152–65535",
    "16500..16509",
    "80 (bidirectionnel)",
    "443 7443, 8443",
    "6969 and 2071",
    "1645/1812",
    "S/O",
    "9001",
]
DETAILS = [
    "Accès SSH",
    "Kerberos",
    "Synchronisation de l’heure",
    "Communication avec le serveur de licences pour valider les licences.",
    "Port par défaut pour le protocole d’authentification.",
    "",
]
NOTE = "Tous les ports répertoriés pour ce composant dans la section précédente doivent être pris en compte."
ROLES = ("source", "destination", "type", "port", "details")
INTRO = (
    "Cet article fournit une vue d’ensemble des ports courants utilisés par les composants "
    "Citrix, à prendre en compte dans l’architecture réseau lorsque le trafic traverse des "
    "pare-feu ou des serveurs proxy où les ports doivent être ouverts."
)


# A page in a script written without spaces: names, details and prose of the Japanese page
# (tests/data/ja-jp), its header words.
JA_NAMES = [
    "管理ワークステーション",
    "Citrix SDX SVM",
    "NTPサーバ",
    "Citrix ADC インスタンス",
    "Citrix ADCアプライアンス(高可用性用)",
    "クラスタセットアップ中のCitrix ADCアプライアンス",
    "Citrix SDX ライトアウト管理",
    "https://*.digicert.com",
]
JA_DETAILS = [
    "SSH/SCP アクセス",
    "クラスターハートビート交換",
    "セキュアな高可用性構成の同期",
    "複数のタイムソースと同期するためのデフォルト NTP サーバポート",
    "ICMP プロトコルを使用してインスタンスの可用性を確認する",
    "セキュアなMEPのために。",
    "",
]
JA_PORTS = ["22", "80, 443", "161, 162", "49152–65535", "16500..16509", "３００８", "7000"]
JA_NOTE = "前のセクションでこのコンポーネントについて記載されているすべてのポートを考慮する必要があります。"
JA_INTRO = (
    "この記事では、Citrixコンポーネントで使用される一般的なポートの概要について説明します。"
    "特に、通信トラフィックがファイアウォールやプロキシサーバーなどのネットワークコンポーネントを"
    "通過する場合は、ネットワークアーキテクチャの一部として考慮する必要があります。"
)
FR = dict(
    names=NAMES,
    types=TYPES,
    ports=PORTS,
    details=DETAILS,
    note=NOTE,
    intro=INTRO,
    header=("Source", "Destination", "Type", "Port", "Détails"),
    title="Ports de communication",
    after="Remarque : tous les ports ne sont pas obligatoires.",
)
JA = dict(
    names=JA_NAMES,
    types=TYPES,
    ports=JA_PORTS,
    details=JA_DETAILS,
    note=JA_NOTE,
    intro=JA_INTRO,
    header=("接続元", "接続先", "種類", "ポート", "詳細"),
    title="技術論文:Citrixテクノロジが使用する通信ポート",
    after="展開と要件によっては、すべてのポートを開く必要はありません。",
)


@st.composite
def conventional_table(draw, words=FR):
    """Rows as dicts of role -> value, plus which leading cells are merged from above."""
    NAMES, TYPES, PORTS, DETAILS, NOTE = (
        words[k] for k in ("names", "types", "ports", "details", "note")
    )
    rows = []
    for i in range(draw(st.integers(1, 7))):
        first = i == 0
        kind = draw(st.sampled_from(["flow", "flow", "flow", "icmp", "note"]))
        merge = 0 if first else draw(st.integers(0, 3 if kind == "flow" else 2))
        prev = rows[-1]["cells"] if rows else {}
        cells = {
            "source": prev["source"] if merge >= 1 else draw(st.sampled_from(NAMES)),
            "destination": prev["destination"] if merge >= 2 else draw(st.sampled_from(NAMES)),
        }
        if kind == "note":
            cells.update(type="", port="", details=NOTE)
        elif kind == "icmp":
            cells.update(type="ICMP", port="", details=draw(st.sampled_from(DETAILS[:-1])))
        else:
            if merge >= 3 and prev.get("type") and prev.get("port"):
                cells["type"] = prev["type"]
            else:
                merge = min(merge, 2)
                cells["type"] = draw(st.sampled_from(TYPES))
            cells.update(port=draw(st.sampled_from(PORTS)), details=draw(st.sampled_from(DETAILS)))
        rows.append({"cells": cells, "merge": merge, "kind": kind})
    return rows


def to_html(rows, words=FR) -> str:
    """The table as the site writes it: merged leading cells as rowspans."""
    spans = [[1] * 5 for _ in rows]
    owner = [[i] * 5 for i in range(len(rows))]
    for i, row in enumerate(rows):
        for c in range(row["merge"]):
            o = owner[i - 1][c]
            owner[i][c] = o
            spans[o][c] += 1
    body = []
    for i, row in enumerate(rows):
        tds = []
        for c, role in enumerate(ROLES):
            if owner[i][c] != i:
                continue
            if row["kind"] == "note" and role == "type":
                tds.append(f'<td colspan="3">{html_lib.escape(row["cells"]["details"])}</td>')
                break
            text = html_lib.escape(row["cells"][role])
            if text.startswith("http"):
                text = f"<code>{text}</code>"
            rs = f' rowspan="{spans[i][c]}"' if spans[i][c] > 1 else ""
            tds.append(f"<td{rs}>{text}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    # A page as long as a real one: on a very short page trafilatura falls back to a
    # second extraction and writes the content twice.
    prose = "".join(f"<p>{words['intro']} ({n})</p>" for n in range(1, 7))
    head = "".join(f"<th>{h}</th>" for h in words["header"])
    return (
        f"<html><body><article><h1>{words['title']}</h1>"
        + prose
        + f"<h2>Produit</h2><table><thead><tr>{head}</tr></thead><tbody>"
        + "".join(body)
        + f"</tbody></table><p>{words['after']}</p></article></body></html>"
    )


def cells_of(page):
    return [tuple(r.cells[k] for k in ROLES) for r in page.tables[0].rows]


def expected(rows):
    return [tuple(r["cells"][k] for k in ROLES) for r in rows]


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
@settings(
    max_examples=int(__import__("os").environ.get("PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(conventional_table())
def test_html_gives_back_the_table_exactly(rows):
    page = read_html(to_html(rows), "gen.html", "fr-fr")
    assert cells_of(page) == expected(rows)
    for row, gen in zip(page.tables[0].rows, rows):
        assert {"source": 1, "destination": 2, "type": 3}.keys() >= row.inherited
        assert len(row.inherited) == gen["merge"]


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
@settings(
    max_examples=int(__import__("os").environ.get("PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(conventional_table())
def test_text_gives_back_the_table_or_marks_the_row(rows):
    check_text_form(rows, FR)


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
@settings(
    max_examples=int(__import__("os").environ.get("PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(conventional_table(JA))
def test_a_script_without_spaces_in_both_forms(rows):
    """The same properties on a Japanese page: HTML exact, text exact or marked."""
    page = read_html(to_html(rows, JA), "gen.html", "ja-jp")
    assert cells_of(page) == expected(rows)
    check_text_form(rows, JA)


def check_text_form(rows, words):
    text = html_to_text(to_html(rows, words))
    page = read_text(text, "gen.txt", "fr-fr")
    assert len(page.tables) == 1
    got = page.tables[0].rows
    assert len(got) == len(rows), text
    for row, want in zip(got, expected(rows)):
        got_cells = tuple(row.cells[k] for k in ROLES)
        if got_cells != want:  # never a silent wrong row
            assert row.problems, (text, got_cells, want)
        else:  # a row read right is not marked, unless the text is truly ambiguous
            assert all(p.startswith("ambiguous") for p in row.problems), (text, row.problems)


@st.composite
def any_spans(draw):
    """A grid with rowspans on any column (not only the page's convention)."""
    n = draw(st.integers(1, 6))
    grid = [
        [draw(st.sampled_from(NAMES + TYPES + PORTS + DETAILS[:-1])) for _ in ROLES]
        for _ in range(n)
    ]
    spans = {}
    for i in range(n):
        for c in range(5):
            if any(i0 < i < i0 + s and c0 == c for (i0, c0), s in spans.items()):
                continue
            s = draw(st.integers(1, n - i))
            spans[(i, c)] = s
            for k in range(i + 1, i + s):
                grid[k][c] = grid[i][c]
    return grid, spans


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
@settings(max_examples=int(__import__("os").environ.get("PROPERTY_EXAMPLES", "60")), deadline=None)
@given(any_spans())
def test_html_rowspans_on_any_column(case):
    grid, spans = case
    body = []
    for i, row in enumerate(grid):
        tds = "".join(
            f'<td rowspan="{spans[(i, c)]}">{html_lib.escape(row[c])}</td>'
            for c in range(5)
            if (i, c) in spans
        )
        body.append(f"<tr>{tds}</tr>")
    doc = (
        "<table><tr><th>Source</th><th>Destination</th><th>Type</th><th>Port</th>"
        "<th>Details</th></tr>" + "".join(body) + "</table>"
    )
    page = read_html(doc, "gen.html", "en-us")
    assert cells_of(page) == [tuple(r) for r in grid]
