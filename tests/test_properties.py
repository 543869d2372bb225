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

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from make_forms import html_to_text
from pipeline.readers.html import read_html
from pipeline.readers.text import read_text

NAMES = ["Poste de travail administrateur", "SVM Citrix SDX", "Serveur NTP", "Cloud Connector",
         "Virtual Delivery Agent", "Delivery Controller", "Serveur StoreFront",
         "Serveur LDAP (équilibrage de charge)", "https://*.digicert.com", "9.9.9.9",
         "Machine cible", "Contrôleur de domaine", "Service d’infrastructure"]
TYPES = ["TCP", "UDP", "TCP, UDP", "TCP/UDP", "UDP/TCP", "HTTPS", "SNMP", "SSH"]
PORTS = ["22", "80, 443", "139,445", "49152–65535", "16500..16509", "80 (bidirectionnel)",
         "443 7443, 8443", "6969 and 2071", "1645/1812", "S/O", "9001"]
DETAILS = ["Accès SSH", "Kerberos", "Synchronisation de l’heure",
           "Communication avec le serveur de licences pour valider les licences.",
           "Port par défaut pour le protocole d’authentification.", ""]
NOTE = "Tous les ports répertoriés pour ce composant dans la section précédente doivent être pris en compte."
ROLES = ("source", "destination", "type", "port", "details")
INTRO = ("Cet article fournit une vue d’ensemble des ports courants utilisés par les composants "
         "Citrix, à prendre en compte dans l’architecture réseau lorsque le trafic traverse des "
         "pare-feu ou des serveurs proxy où les ports doivent être ouverts.")


@st.composite
def conventional_table(draw):
    """Rows as dicts of role -> value, plus which leading cells are merged from above."""
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


def to_html(rows) -> str:
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
    prose = "".join(f"<p>{INTRO} ({n})</p>" for n in range(1, 7))
    return ("<html><body><article><h1>Ports de communication</h1>" + prose +
            "<h2>Produit</h2><table><thead><tr><th>Source</th><th>Destination</th><th>Type</th>"
            "<th>Port</th><th>Détails</th></tr></thead><tbody>" + "".join(body)
            + "</tbody></table><p>Remarque : tous les ports ne sont pas obligatoires.</p>"
            "</article></body></html>")


def cells_of(page):
    return [tuple(r.cells[k] for k in ROLES) for r in page.tables[0].rows]


def expected(rows):
    return [tuple(r["cells"][k] for k in ROLES) for r in rows]


@settings(max_examples=int(__import__("os").environ.get("PROPERTY_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conventional_table())
def test_html_gives_back_the_table_exactly(rows):
    page = read_html(to_html(rows), "gen.html", "fr-fr")
    assert cells_of(page) == expected(rows)
    for row, gen in zip(page.tables[0].rows, rows):
        assert {"source": 1, "destination": 2, "type": 3}.keys() >= row.inherited
        assert len(row.inherited) == gen["merge"]


@settings(max_examples=int(__import__("os").environ.get("PROPERTY_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conventional_table())
def test_text_gives_back_the_table_or_marks_the_row(rows):
    text = html_to_text(to_html(rows))
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
    grid = [[draw(st.sampled_from(NAMES + TYPES + PORTS + DETAILS[:-1])) for _ in ROLES]
            for _ in range(n)]
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


@settings(max_examples=int(__import__("os").environ.get("PROPERTY_EXAMPLES", "60")), deadline=None)
@given(any_spans())
def test_html_rowspans_on_any_column(case):
    grid, spans = case
    body = []
    for i, row in enumerate(grid):
        tds = "".join(
            f'<td rowspan="{spans[(i, c)]}">{html_lib.escape(row[c])}</td>'
            for c in range(5) if (i, c) in spans)
        body.append(f"<tr>{tds}</tr>")
    doc = ("<table><tr><th>Source</th><th>Destination</th><th>Type</th><th>Port</th>"
           "<th>Details</th></tr>" + "".join(body) + "</table>")
    page = read_html(doc, "gen.html", "en-us")
    assert cells_of(page) == [tuple(r) for r in grid]
