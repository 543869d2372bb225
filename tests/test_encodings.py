"""Pages in other encodings are read as a browser reads them, and give the same ports as
the UTF-8 page; bytes no declared encoding decodes are refused, located.

The pages are the English Markdown source rendered to HTML the way the site renders it
(tests/make_forms.py), then saved in each encoding.
"""

from __future__ import annotations

import http.server
import json
import threading

import pytest
from cli_args import fetch_args

from conftest import ENGLISH as MD
from conftest import SNAPSHOT
from make_forms import html_to_text, markdown_to_html
from pipeline.cli import main
from pipeline.errors import InputError
from pipeline.stages.build import build

HTML = markdown_to_html(MD.read_text("utf-8"))
META = '<meta charset="utf-8">'


def ports(out):
    return (out / "ports.csv").read_text("utf-8")


@pytest.fixture(scope="module")
def utf8_build(tmp_path_factory):
    base = tmp_path_factory.mktemp("utf8")
    (base / "page.html").write_text(HTML, "utf-8")
    build(base / "page.html", base / "out")
    return base / "out"


def test_windows_1252_declared_by_meta(tmp_path, utf8_build):
    assert META in HTML
    page = HTML.replace(META, '<meta charset="windows-1252">')
    data = page.encode("cp1252", errors="xmlcharrefreplace")
    assert b"\x92" in data or b"\x96" in data  # the page's ’ or – as windows-1252 bytes
    (tmp_path / "page.html").write_bytes(data)
    result = build(tmp_path / "page.html", tmp_path / "out")
    assert result.manifest["source"]["encoding"] == "windows-1252"
    assert ports(tmp_path / "out") == ports(utf8_build)


@pytest.mark.slow
def test_utf16_with_a_bom_in_every_form(tmp_path, utf8_build):
    (tmp_path / "page.html").write_bytes(HTML.encode("utf-16"))
    result = build(tmp_path / "page.html", tmp_path / "out")
    assert result.manifest["source"]["encoding"] == "utf-16-le"
    assert ports(tmp_path / "out") == ports(utf8_build)
    md = MD.read_text("utf-8")
    for name, data in (
        ("page.md", md.encode("utf-16")),
        ("bom.md", b"\xef\xbb\xbf" + md.encode("utf-8")),
        ("page.txt", html_to_text(HTML).encode("utf-16")),
    ):
        (tmp_path / name).write_bytes(data)
        build(tmp_path / name, tmp_path / f"out-{name}")
        mine = json.loads((tmp_path / f"out-{name}" / "ports.json").read_text("utf-8"))
        theirs = json.loads((utf8_build / "ports.json").read_text("utf-8"))
        drop = ("source_line",)
        assert [{k: v for k, v in r.items() if k not in drop} for r in mine] == [
            {k: v for k, v in r.items() if k not in drop} for r in theirs
        ], name


def test_undeclared_latin_1_text_is_refused_with_its_line_and_byte(tmp_path, capsys):
    data = SNAPSHOT.read_text("utf-8").encode("latin-1", errors="replace")
    first = data.index(b"\xe9")  # the first é
    (tmp_path / "latin1.txt").write_bytes(data)
    with pytest.raises(InputError) as err:
        build(tmp_path / "latin1.txt", tmp_path / "out")
    line = data[:first].count(b"\n") + 1
    assert f"latin1.txt:{line}" in str(err.value)
    assert f"not UTF-8 (byte 0xe9 at offset {first})" in str(err.value)
    # an HTML page whose declared charset does not fit its bytes is refused too
    (tmp_path / "bad.html").write_bytes(HTML.encode("utf-8").replace(b"\xe2\x80\x93", b"\xff"))
    with pytest.raises(InputError) as err:
        build(tmp_path / "bad.html", tmp_path / "out")
    assert "not UTF-8 (byte 0xff" in str(err.value)


# The page with its Details headers written "Détails" (a header word the vocabulary
# knows): read in the wrong encoding, no table would be found.
ACCENTED = HTML.replace(META, "").replace("<th>Details</th>", "<th>Détails</th>")


class Latin1Server(http.server.BaseHTTPRequestHandler):
    """Serves the page in ISO-8859-1, declared only by the Content-Type header."""

    body = ACCENTED.encode("latin-1", errors="xmlcharrefreplace")

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=ISO-8859-1")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_iso_8859_1_declared_only_by_the_server(tmp_path, capsys):
    assert Latin1Server.body.count(b"D\xe9tails") == 16  # é as one Latin-1 byte
    assert b"<meta charset" not in Latin1Server.body
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Latin1Server)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/page.html"
        raw = tmp_path / "raw"
        code = main(fetch_args(url, str(raw), locale="en-us"))
        assert code == 0, capsys.readouterr().err
    finally:
        httpd.shutdown()
        httpd.server_close()
    snapshot = raw / "citrix-communication-ports.en-us.html"
    entry = json.loads((raw / "manifest.json").read_text())["snapshots"][snapshot.name]
    assert entry["content_type"] == "text/html; charset=ISO-8859-1"
    result = build(snapshot, tmp_path / "out")
    assert result.manifest["source"]["encoding"] == "windows-1252"  # as browsers read it
    (tmp_path / "utf8.html").write_text(ACCENTED, "utf-8")
    build(tmp_path / "utf8.html", tmp_path / "out-utf8")
    assert ports(tmp_path / "out") == ports(tmp_path / "out-utf8")
    assert result.manifest["counts"]["tables"] == 16
