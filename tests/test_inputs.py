"""Every input read safely: bounded before it is read whole (devices, FIFOs, directories,
pages over their cap), nested structures refused or read without recursion, a table
thousands of columns wide in bounded time, line separators inside a cell, a published
table with a column twice, and a snapshot its manifest does not describe."""

from __future__ import annotations

import http.server
import shutil
import threading

import pytest
from cli_args import build_args, export_args
from localhost import local_fetch

from conftest import ROOT, SNAPSHOT
from pipeline.cli import main
from pipeline.page.readers.cells import MAX_CELL_CHARS
from pipeline.page.readers.html import read_html
from pipeline.page.readers.text import read_text
from pipeline.stages.build import build


def bounded_run(*args: str, cwd=ROOT, seconds: float = 60):
    """The CLI in a process of its own, with 2 GB of address space and a time limit: a
    read without bound fails the test instead of the machine."""
    import forked

    return forked.run(list(args), cwd=cwd, address_space=2 << 30, seconds=seconds)


FILE_ARGS = [  # options that take a file
    build_args("{x}", "{tmp}/out"),
    ["build", "--errata", "{x}", "--out", "{tmp}/out"],
    ["export", "nftables", "--addresses", "{x}"],
]


DATA_ARGS = [  # options that take a build directory or one of its files
    ["query", "--data", "{x}"],
    export_args("nftables", "examples/address-map.yaml", "{x}"),
    ["diff", "{x}", "build"],
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "special, args",
    [(s, a) for s in ("/dev/zero", "fifo", "directory") for a in FILE_ARGS]
    + [(s, a) for s in ("/dev/zero", "fifo") for a in DATA_ARGS],
)
def test_no_input_is_read_without_bound(special, args, tmp_path, fifo):
    x = {"/dev/zero": "/dev/zero", "fifo": str(fifo), "directory": str(tmp_path)}[special]
    argv = [a.format(x=x, tmp=tmp_path) for a in args]
    done = bounded_run(*argv)
    assert done.returncode == 2, (argv, done.returncode, done.stderr[-500:])
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert "not a regular file" in done.stderr or "is a directory" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def test_every_cap_is_in_the_limits_file():
    from pipeline.core import bounded
    from pipeline.page import detect
    from pipeline.source import fetch

    assert bounded.cap("page") == detect.MAX_INPUT_BYTES
    assert bounded.cap("fetched") == fetch.MAX_BYTES
    assert bounded.cap("page") < bounded.cap("table")


def test_a_page_over_its_cap_is_refused_before_it_is_read_whole(tmp_path, capsys):
    from pipeline.core import bounded

    big = tmp_path / "big.txt"
    with big.open("wb") as out:
        out.truncate(bounded.cap("page") + 1)  # sparse: no disk used
    assert main(build_args(str(big), str(tmp_path / "out"))) == 2
    assert f"larger than {bounded.cap('page')} bytes" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_a_line_separator_inside_a_cell_changes_no_row_and_no_line(separator, built, tmp_path):
    from conftest import SNAPSHOT
    from pipeline.stages.build import build

    text = SNAPSHOT.read_text("utf-8")
    first_sdx_row = next(line for line in text.split("\n") if " | TCP | " in line)
    assert " - " in first_sdx_row
    damaged = tmp_path / SNAPSHOT.name  # the same name: the same provenance in every row
    damaged.write_text(
        text.replace(first_sdx_row, first_sdx_row.replace(" - ", " -" + separator + " ", 1), 1)
    )
    build(damaged, tmp_path / "out", strict=True, locale="fr-fr")
    for table in ("rules", "ports", "rejects"):  # source_line included: the lines of the file
        assert (tmp_path / "out" / f"{table}.csv").read_text() == (
            built[0] / f"{table}.csv"
        ).read_text(), table


def deep_page(depth: int) -> str:
    """An HTML page whose one port table sits ``depth`` elements deep, its Details cell
    and a paragraph after it ``depth`` elements deep too."""
    table = (
        "<table><tr><th>Source</th><th>Destination</th><th>Type</th><th>Port</th>"
        "<th>Details</th></tr><tr><td>StoreFront</td><td>Delivery Controller</td><td>TCP"
        "</td><td>443</td><td>"
        + "<span>" * depth
        + "XML"
        + "</span>" * depth
        + "</td></tr></table>"
    )
    return (
        '<html lang="en"><body><article><h2>StoreFront</h2>'
        + "<div>" * depth
        + table
        + "<p>"
        + "<b>" * depth
        + "prose"
        + "</b>" * depth
        + "</p>"
        + "</div>" * depth
        + "</article></body></html>"
    )


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
@pytest.mark.parametrize("depth", [1_000, 5_000])
def test_deep_html_is_read_whole(depth, tmp_path, capsys):
    import csv

    page = tmp_path / "deep.html"
    page.write_text(deep_page(depth))
    assert main(build_args(str(page), str(tmp_path / "out"))) == 0
    rows = list(csv.DictReader((tmp_path / "out" / "ports.csv").open()))
    assert [(r["source"], r["destination"], r["port_start"], r["details"]) for r in rows] == [
        ("StoreFront", "Delivery Controller", "443", "XML")
    ]


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_deep_html_is_fetched_whole(listener, tmp_path, capsys):
    body = deep_page(3_000).encode()
    server = listener(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    raw = tmp_path / "raw"
    assert main(local_fetch(server.port, str(raw), "--timeout", "2")) == 0, capsys.readouterr().err


def wide_table(columns: int, short_row: bool) -> str:
    """A text table ``columns`` wide (the extra columns fold into Details), two full rows
    and, with ``short_row``, one missing a cell."""
    header = ["Source", "Destination", "Type", "Port", "Détails"] + [
        f"c{i}" for i in range(columns - 5)
    ]
    full = ["StoreFront", "Delivery Controller", "TCP", "443", "XML"] + ["v"] * (columns - 5)
    rows = [full, full[:1] + ["Serveur de licences"] + full[2:]]
    rows += [full[:2] + full[3:]] if short_row else []
    return "Produit\n\n" + "\n".join(" | ".join(r) + " |" for r in [header] + rows) + "\n"


@pytest.mark.slow
def test_a_table_20000_columns_wide_is_read_in_bounded_time_and_memory(tmp_path):
    import csv

    csv.field_size_limit(1 << 24)  # the cells of the rejected row, as written
    page = tmp_path / "wide.txt"
    page.write_text(wide_table(20_000, short_row=True))
    done = bounded_run(
        "build",
        "--input",
        str(page),
        "--out",
        str(tmp_path / "out"),
        "--locale",
        "fr-fr",
        seconds=30,
    )
    assert done.returncode == 0, done.stderr[-800:]
    rejects = {
        r["source_line"]: r for r in csv.DictReader((tmp_path / "out" / "rejects.csv").open())
    }
    assert sorted(rejects) == ["4", "5", "6"]  # nothing published from a damaged table
    for line in "456":
        assert "unknown columns folded into it" in rejects[line]["reason"]
        assert len(rejects[line]["details"]) <= 4000
    assert "19999 cells for 20000 columns: too many ways to place them" in rejects["6"]["reason"]
    out = str(tmp_path / "out")
    compared = bounded_run("diff", out, out, "--table", "rejects")  # read back, as published
    assert compared.returncode == 0 and "no difference (3 rows)" in compared.stdout, compared


def test_a_short_row_of_a_table_of_the_page_s_width_is_still_placed():
    from pipeline.page.readers.text import read_text

    table = read_text(wide_table(7, short_row=True), "w.txt", "fr-fr").tables[0]
    short = table.rows[-1]
    assert short.cells["source"] == "StoreFront" and short.cells["port"] == "443"
    assert not any("too many ways" in p for p in short.problems)


@pytest.mark.parametrize("header", ["rule_id,section,section", "rule_id,rule_id"])
def test_a_published_table_with_a_column_twice_is_refused(header, built, tmp_path, capsys):
    text = (built[0] / "ports.csv").read_text("utf-8").split("\n")
    first = text[0].split(",")
    name = header.split(",")[-1]
    text[0] = ",".join(first + [name])
    text[1:] = [line + ",x" if line else line for line in text[1:]]
    bad = tmp_path / "ports.csv"
    bad.write_text("\n".join(text), "utf-8")
    for command in (["query", "--data", str(bad)], ["diff", str(bad), str(built[0])]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert f"line 1: the columns '{name}' appear more than once" in err, err


def raw_copy(tmp_path):
    """raw/ as committed, copied: the default snapshot and its manifest."""
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "raw", raw)
    return raw, raw / "citrix-communication-ports.txt"


def test_a_snapshot_its_manifest_does_not_describe_is_refused(tmp_path, capsys):
    import json

    raw, snapshot = raw_copy(tmp_path)
    snapshot.write_text(snapshot.read_text("utf-8").replace("TCP | 443", "TCP | 4443", 1))
    out = tmp_path / "build"
    assert main(build_args(str(snapshot), str(out))) == 2
    err = capsys.readouterr().err
    assert "not the file raw/manifest.json describes: its sha256 is" in err, err
    assert not out.exists()
    assert main(build_args(str(snapshot), str(out), "--allow-unrecorded")) == 0
    assert "built without its url and fetch time" in capsys.readouterr().err
    source = json.loads((out / "manifest.json").read_text())["source"]
    assert "url" not in source and "fetched_at" not in source


DEEP = 20_000


@pytest.mark.parametrize(
    "text",
    [
        "components:\n  vda: " + "[" * DEEP + "10.0.0.1" + "]" * DEEP + "\n",
        "components:\n" + "".join(" " * (i + 1) + "k:\n" for i in range(400)),
        "components:\n  vda: " + "{a: " * DEEP + "1" + "}" * DEEP + "\n",
    ],
    ids=["flow-lists", "block-mappings", "flow-mappings"],
)
def test_a_deep_address_map_is_refused_located(built, tmp_path, capsys, text):
    path = tmp_path / "map.yaml"
    path.write_text(text, "utf-8")
    code = main(export_args("nftables", str(path), str(built[0])))
    err = capsys.readouterr().err
    assert code == 2 and f"{path}:" in err and "more than 100 deep" in err


def test_deep_errata_are_refused_located(tmp_path, capsys):
    errata = tmp_path / "errata.toml"
    errata.write_text("x = " + "[" * DEEP + "]" * DEEP + "\n", "utf-8")
    code = main(build_args(str(SNAPSHOT), str(tmp_path / "b"), "--errata", str(errata)))
    err = capsys.readouterr().err
    assert code == 2 and f"{errata}:1" in err and "more than 100 deep" in err
    assert not (tmp_path / "b").exists()


def test_a_deep_build_manifest_is_refused_by_export_and_diff(built, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(built[0], data)
    (data / "manifest.json").write_text(
        '{"source": ' + "[" * 100_000 + "]" * 100_000 + "}", "utf-8"
    )
    amap = ROOT / "examples" / "address-map.yaml"
    for argv in (
        export_args("nftables", str(amap), str(data)),
        ["diff", str(built[0]), str(data)],
    ):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2 and f"{data / 'manifest.json'}:1" in err and "more than 100 deep" in err, (
            argv,
            err,
        )


def test_html_nested_deeper_than_its_limit_is_refused_located(tmp_path, capsys, monkeypatch):
    import pipeline.page.readers.html as reader
    from pipeline.core.bounded import limits

    real = limits()
    monkeypatch.setattr(reader, "limits", lambda: {**real, "depth": {**real["depth"], "html": 50}})
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body><article>\n<p>"
        + "<span>" * 60
        + "x"
        + "</span>" * 60
        + "</p></article></body></html>",
        "utf-8",
    )
    code = main(build_args(str(page), str(tmp_path / "b"), "--allow-unrecorded"))
    err = capsys.readouterr().err
    assert code == 2 and f"{page}:2" in err and "nests its elements more than 50 deep" in err
    assert not (tmp_path / "b").exists()


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
def counting_server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    Counter.requests = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_html_parser_reads_no_network_resource_and_expands_no_entity(counting_server, tmp_path):
    listener = counting_server
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
