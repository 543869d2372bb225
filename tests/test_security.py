"""Security of inputs and outputs: no network or entity expansion while parsing, size
caps, no way out of the output directory, no spreadsheet formulas in the CSV."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from pipeline.page.readers.cells import MAX_CELL_CHARS
from pipeline.page.readers.html import read_html
from pipeline.page.readers.text import read_text
from pipeline.stages.build import build

ARTIFACTS = {"datapackage.json", "manifest.json", "sections.json", "report.md"} | {
    f"{t}.{ext}"
    for t in ("rules", "ports", "rejects", "components")
    for ext in ("csv", "json", "parquet")
}


class Counter(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        Counter.requests.append(self.path)
        body = b"SECRET-FROM-NETWORK"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def listener():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    Counter.requests = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_html_parser_reads_no_network_resource_and_expands_no_entity(listener, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-FROM-DISK")
    page = f"""<!DOCTYPE html [
<!ENTITY net SYSTEM "{listener}/entity">
<!ENTITY disk SYSTEM "file://{secret}">
<!ENTITY lol "lol&lol;">
]>
<html><head><link rel="stylesheet" href="{listener}/css"><script src="{listener}/js"></script>
<base href="{listener}/"></head><body><article>
<h2>Produit</h2><img src="{listener}/img"><iframe src="{listener}/frame"></iframe>
<table><tr><th>Source</th><th>Destination</th><th>Type</th><th>Port</th><th>Détails</th></tr>
<tr><td>A &net; &disk;</td><td><a href="{listener}/a">B</a></td><td>TCP</td><td>443</td>
<td>x &lol;</td></tr></table></article></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(page)
    result = build(path, tmp_path / "out")
    assert Counter.requests == []
    rules = (tmp_path / "out" / "rules.csv").read_text()
    assert "SECRET" not in rules and "lollol" not in rules
    assert result.manifest["counts"]["rules"] == 1


def test_cells_are_capped(tmp_path):
    huge = "x" * (MAX_CELL_CHARS * 3)
    page = read_text(
        "P\nSource | Destination | Type | Port | Détails |\n---|---|---|---|---|\n"
        f"A | B | TCP | 443 | {huge} |\n",
        "big.txt",
        "fr-fr",
    )
    row = page.tables[0].rows[0]
    assert len(row.cells["details"]) == MAX_CELL_CHARS
    assert any("more than" in p for p in row.problems)
    html = read_html(
        "<table><tr><th>Source</th><th>Destination</th><th>Type</th><th>Port</th>"
        f"<th>Details</th></tr><tr><td>A</td><td>B</td><td>TCP</td><td>1</td><td>{huge}"
        "</td></tr></table>",
        "big.html",
        "en-us",
    )
    assert len(html.tables[0].rows[0].cells["details"]) == MAX_CELL_CHARS


def test_input_size_is_capped(tmp_path):
    from pipeline.errors import InputError
    from pipeline.page.detect import MAX_INPUT_BYTES, decode

    with pytest.raises(InputError, match="more than"):
        decode(b"a" * (MAX_INPUT_BYTES + 1), "huge.txt")


def test_names_from_the_page_cannot_escape_the_output_directory(tmp_path):
    evil = "../../../../../../tmp/escaped"
    text = (
        f"Produit {evil}\nSource | Destination | Type | Port | Détails |\n---|---|---|---|---|\n"
        f"{evil}/a | /etc/passwd | TCP | 443 | ..\\..\\x |\n"
    )
    src = tmp_path / "evil.txt"
    src.write_text(text)
    before = set(Path("/tmp").glob("escaped*"))
    out = tmp_path / "work" / "out"
    result = build(src, out)
    assert result.manifest["counts"]["rules"] == 1
    assert {p.name for p in out.iterdir()} == ARTIFACTS
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == sorted(
        ["evil.txt", "work", "work/out"] + [f"work/out/{a}" for a in ARTIFACTS]
    )
    assert set(Path("/tmp").glob("escaped*")) == before


def test_formulas_do_not_reach_the_csv_as_formulas(tmp_path):
    text = (
        "P\nSource | Destination | Type | Port | Détails |\n---|---|---|---|---|\n"
        '=HYPERLINK("http://x","clic") | @SUM(A1) | TCP | 443 | +cmd|\' /C calc\'!A0 |\n'
    )
    src = tmp_path / "f.txt"
    src.write_text(text)
    build(src, tmp_path / "out")
    csv_text = (tmp_path / "out" / "rules.csv").read_text()
    json_text = (tmp_path / "out" / "rules.json").read_text()
    assert "'=HYPERLINK" in csv_text and "'@SUM(A1)" in csv_text
    assert '"=HYPERLINK' in json_text  # JSON keeps the text as it is
    for line in csv_text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "-", "@")), cell
