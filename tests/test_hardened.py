"""Hardened inputs: each defect of the hardened-inputs issue reproduced, with the
behaviour that replaced it (no exit 1, no hang, nothing written outside its place)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cli_args import build_args, export_args, fetch_args

from conftest import ENGLISH, ROOT
from pipeline.cli import main


@pytest.mark.parametrize("command", [["diff"], ["compare"], ["align"]])
@pytest.mark.parametrize("ref", ["--output={out}", "-o{out}", "--output={out} HEAD"])
def test_a_git_revision_never_reaches_git_as_an_option(command, ref, tmp_path, monkeypatch, capsys):
    out = tmp_path / "written"
    monkeypatch.chdir(ROOT)
    assert main([*command, "git:" + ref.format(out=out), "build"]) == 2
    assert "is not a git revision" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_revision_is_named(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["diff", "git:no-such-branch-here", "build"]) == 2
    assert "unknown git revision 'no-such-branch-here'" in capsys.readouterr().err
    assert main(["diff", "git:HEAD", "build", "--exit-code"]) in (0, 1)


# --- 1. every address checked where it is used -------------------------------------------


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives and answers
    each with ``head`` at once, then ``reply`` with ``drip`` seconds between its bytes."""

    def __init__(self, reply: bytes = b"", drip: float = 0.0, head: bytes = b""):
        import socket
        import threading

        self.reply, self.drip, self.head = reply, drip, head
        self.connections, self.requests = 0, []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.02)  # how soon close() ends the accept loop
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):

        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(2)
                try:
                    self.requests.append(conn.recv(65536).split(b"\r\n", 1)[0].decode())
                    if callable(self.reply):  # writes what it likes, until it returns
                        self.reply(conn, self.stopped)
                        continue
                    conn.sendall(self.head)
                    if not self.drip:
                        conn.sendall(self.reply)
                        continue
                    for byte in self.reply:
                        if self.stopped.wait(self.drip):
                            break
                        conn.sendall(bytes([byte]))
                except OSError:
                    pass

    def close(self):
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()


def local_fetch(
    port: int, raw, *extra: str, locale: str | None = "en-us", path: str = "/page.html"
) -> list[str]:
    """The arguments of a fetch from a listener of the test on 127.0.0.1: no retry."""
    return fetch_args(
        f"http://127.0.0.1:{port}{path}",
        str(raw),
        *(["--locale", locale] if locale else []),
        *extra,
    )


@pytest.fixture()
def listener():
    made = []

    def make(reply=b"", drip: float = 0.0, head: bytes = b"") -> Listener:
        made.append(Listener(reply, drip, head))
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("https://127.0.0.1:{port}\\@docs.citrix.com/fr-fr/x.html", "'\\\\'"),
        ("http://127.0.0.1:{port}\\@docs.citrix.com/fr-fr/x.html", "'\\\\'"),
        ("https://127.0.0.1:{port}@docs.citrix.com/fr-fr/x.html", "credentials"),
        ("https://user:pw@docs.citrix.com/fr-fr/x.html", "credentials"),
        ("https://docs.citrix.com\t@127.0.0.1:{port}/x.html", "'\\t'"),
        ("https://docs.citrix.com.127.0.0.1.nip.io/x.html", "not a known host"),
        ("https://docs.citrix.com./x.html", "not a known host"),
        ("ftp://docs.citrix.com/x.html", "only http(s)"),
    ],
)
def test_the_host_checked_is_the_host_connected_to(url, fragment, listener, tmp_path, capsys):
    server = listener()
    raw = tmp_path / "raw"
    assert (
        main(
            [
                "fetch",
                "--url",
                url.format(port=server.port),
                "--raw-dir",
                str(raw),
                "--retries",
                "0",
                "--timeout",
                "1",
            ]
        )
        == 5
    )
    err = capsys.readouterr().err
    assert "refusing to fetch" in err and fragment in err, err
    assert server.connections == 0 and not raw.exists()


def test_a_redirect_is_checked_by_the_same_parser(listener, tmp_path, capsys):
    target = listener()
    redirect = (
        f"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{target.port}\\@docs.citrix"
        ".com/x.html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode()
    first = listener(redirect)
    raw = tmp_path / "raw"
    assert main(local_fetch(first.port, str(raw), "--timeout", "1")) == 5
    assert "'\\\\'" in capsys.readouterr().err
    assert first.connections == 1 and target.connections == 0 and not raw.exists()


# --- 5. a deadline for fetch --------------------------------------------------------------

PAGE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"


@pytest.mark.slow  # waits out a real deadline
@pytest.mark.parametrize(
    "head, reply",
    [
        (PAGE_HEAD, b"<html>" + b"x" * 1000),  # the headers at once, the body a byte at a time
        (b"", PAGE_HEAD + b"<html>"),  # the status line and headers a byte at a time
    ],
)
def test_a_dripping_server_cannot_hold_fetch_past_its_deadline(
    head, reply, listener, tmp_path, capsys
):
    import time

    server = listener(reply, drip=0.05, head=head)
    raw = tmp_path / "raw"
    started = time.monotonic()
    assert main(local_fetch(server.port, str(raw), "--timeout", "0.4", "--deadline", "0.6")) == 5
    took = time.monotonic() - started
    err = capsys.readouterr().err
    assert "not fetched within the deadline of 0.6 s" in err and "--deadline" in err
    assert 0.55 < took < 3, took  # each read came within --timeout: only the deadline ended it
    assert not raw.exists()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_the_deadline_is_a_positive_number_of_seconds(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["fetch", "--deadline", value, "--raw-dir", str(tmp_path)])
    assert exit_.value.code == 2 and "positive number of seconds" in capsys.readouterr().err


def test_a_refused_connection_is_named_as_such(tmp_path, capsys):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert (
        main(local_fetch(port, str(tmp_path / "raw"), "--retries", "1", "--backoff", "0.01")) == 5
    )
    err = capsys.readouterr().err
    assert "connection refused" in err and "timed out" not in err


# --- 3. bounded reads everywhere ----------------------------------------------------------


def bounded_run(*args: str, cwd=ROOT, seconds: float = 60):
    """The CLI in a process of its own, with 2 GB of address space and a time limit: a
    read without bound fails the test instead of the machine."""
    import forked

    return forked.run(list(args), cwd=cwd, address_space=2 << 30, seconds=seconds)


@pytest.fixture()
def fifo(tmp_path):
    import os

    path = tmp_path / "fifo.csv"
    os.mkfifo(path)
    return path


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


# --- 8. line separators inside a cell -----------------------------------------------------


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


# --- 4. readers without recursion limits --------------------------------------------------


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


# --- 9. cost linear in the input: a table 20,000 columns wide -----------------------------


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


# --- 10. errors that are the user's ------------------------------------------------------


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


# --- 6. one build at a time, swapped whole ------------------------------------------------


def artifacts_whole(out) -> bool:
    """True when ``out`` holds a complete build: every artifact its manifest lists, with
    its checksum."""
    import hashlib
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    return all(
        hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"]
        for name, entry in manifest["artifacts"].items()
    )


def test_the_output_never_disappears_during_the_swap(built, tmp_path, monkeypatch):
    import shutil

    from conftest import SNAPSHOT
    from pipeline.stages import outdir
    from pipeline.stages.build import build

    out = tmp_path / "build"
    shutil.copytree(built[0], out)
    old_inode = out.stat().st_ino
    real_rename = outdir.os.rename

    def rename(src, dst):
        assert Path(src) != out, "the output was moved away: readers would find nothing"
        return real_rename(src, dst)

    monkeypatch.setattr(outdir.os, "rename", rename)
    build(SNAPSHOT, out, strict=True)
    assert out.stat().st_ino != old_inode and artifacts_whole(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]  # nothing left beside


def test_exchange_swaps_two_directories(tmp_path):
    from pipeline.stages.outdir import exchange

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "from-a").touch()
    assert exchange(tmp_path / "a", tmp_path / "b")
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["from-a"]
    assert list((tmp_path / "a").iterdir()) == []


def test_the_fallback_swap_interrupted_is_put_back_by_the_next_build(built, tmp_path):
    import shutil

    from pipeline.stages.outdir import locked

    out = tmp_path / "build"
    shutil.copytree(built[0], tmp_path / ".build.old-x1y2")  # killed between two renames
    shutil.copytree(built[0], tmp_path / ".build.new-z3")  # killed while writing
    (tmp_path / ".build.new-z3" / "ports.csv").write_text("half")
    with locked(out):
        assert artifacts_whole(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_a_second_build_waits_for_the_first(tmp_path):
    import forked

    from conftest import SNAPSHOT

    out = tmp_path / "build"
    argv = build_args(str(SNAPSHOT), str(out))
    runs = [forked.start(argv) for _ in range(3)]
    done = [run.wait() for run in runs]
    errors = [d.stderr for d in done]
    assert [d.returncode for d in done] == [0, 0, 0], errors
    assert artifacts_whole(out) and sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_a_build_held_too_long_is_a_clear_error(tmp_path, monkeypatch, capsys):
    from conftest import SNAPSHOT
    from pipeline.core import bounded
    from pipeline.stages import outdir

    monkeypatch.setitem(bounded.limits()["writes"], "lock_wait_seconds", 0.2)
    out = tmp_path / "build"
    with outdir.locked(out):
        assert main(build_args(str(SNAPSHOT), str(out))) == 2
    err = capsys.readouterr().err
    assert "another build is writing this output" in err and "internal error" not in err
    assert not out.exists()


@pytest.mark.parametrize("where", [".", "..", "/", "~"])
def test_a_build_never_replaces_the_current_directory_or_one_above(
    where, tmp_path, monkeypatch, capsys
):
    from conftest import SNAPSHOT

    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("HOME", str(tmp_path / "work"))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    target = str(Path(where).expanduser())
    assert main(build_args(str(SNAPSHOT), target)) == 2
    assert "refusing to build into this directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_build_with_files_of_the_user_beside_it_is_not_replaced(built, tmp_path, capsys):
    import shutil

    from conftest import SNAPSHOT

    out = tmp_path / "build"
    shutil.copytree(built[0], out)
    (out / "notes.txt").write_text("mine")
    assert main(build_args(str(SNAPSHOT), str(out))) == 2
    assert "holds files that are not the build's (notes.txt)" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"


# --- 7. provenance that cannot lie -------------------------------------------------------


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


PAGE_BODY = None


def page_body() -> bytes:
    """The English page as HTML, as the fetch tests serve it."""
    global PAGE_BODY
    if PAGE_BODY is None:
        from make_forms import markdown_to_html

        md = ENGLISH
        PAGE_BODY = markdown_to_html(md.read_text("utf-8")).encode("utf-8")
    return PAGE_BODY


def served(body: bytes, ctype: str = "text/html") -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
        'ETag: "v1"\r\nConnection: close\r\n\r\n'
    ).encode() + body


@pytest.mark.parametrize(
    "ctype, body, name",
    [
        ("text/plain", None, "citrix-communication-ports.fr-fr.txt"),  # the text rendering
        ("text/plain", "html", "citrix-communication-ports.en-us.html"),  # HTML served as text
        ("text/html", "html", "citrix-communication-ports.en-us.html"),
    ],
)
def test_the_snapshot_is_named_after_the_form_it_has(ctype, body, name, listener, tmp_path, capsys):
    import json

    from conftest import SNAPSHOT

    data = page_body() if body else SNAPSHOT.read_bytes()
    server = listener(served(data, ctype))
    raw = tmp_path / "raw"
    assert main(local_fetch(server.port, str(raw), locale=None)) == 0, capsys.readouterr().err
    manifest = json.loads((raw / "manifest.json").read_text())
    assert sorted(manifest["snapshots"]) == [name]
    assert (raw / name).read_bytes() == data
    assert {"html": "html", "txt": "text"}[name.rsplit(".", 1)[1]] == manifest["snapshots"][name][
        "form"
    ]


@pytest.mark.slow
def test_a_fetch_killed_between_its_writes_is_refused_by_build_and_mended_by_fetch(
    listener, tmp_path, monkeypatch, capsys
):
    import json

    from pipeline.source import raw_manifest

    raw = tmp_path / "raw"
    url = f"http://127.0.0.1:{listener(served(page_body())).port}/page.html"
    args = fetch_args(url, str(raw), locale="en-us")
    assert main(args) == 0
    snapshot = raw / "citrix-communication-ports.en-us.html"
    first = json.loads((raw / "manifest.json").read_text())
    changed = page_body().replace(b"TCP", b"UDP", 1)

    def killed(*_):
        raise KeyboardInterrupt  # what a kill after the snapshot's write leaves

    monkeypatch.setattr(raw_manifest, "write", killed)
    url2 = f"http://127.0.0.1:{listener(served(changed)).port}/page.html"
    args2 = [a if a != url else url2 for a in args]
    assert main(args2) == 130
    monkeypatch.undo()
    assert snapshot.read_bytes() == changed  # new snapshot, old manifest
    assert json.loads((raw / "manifest.json").read_text()) == first
    assert main(build_args(str(snapshot), str(tmp_path / "b"))) == 2
    assert "not the file raw/manifest.json describes" in capsys.readouterr().err
    # the next fetch does not trust the validators of a snapshot its entry does not
    # describe: no conditional request, both written anew
    assert main(args2) == 0
    entry = json.loads((raw / "manifest.json").read_text())["snapshots"][snapshot.name]
    assert entry["url"] == url2 and raw_manifest.disagreement(entry, snapshot.read_bytes()) == ""
    assert main(build_args(str(snapshot), str(tmp_path / "b"))) == 0


@pytest.fixture()
def read_only_dir():
    """A directory nobody but root may write, and a way to run the CLI as a user the
    permissions apply to (``nobody`` when the tests run as root, as CI does)."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="citrix-ports-ro-"))
    path.chmod(0o555)
    yield path
    path.chmod(0o755)
    shutil.rmtree(path)


def unprivileged(*args: str):
    """The CLI run as a user the permissions apply to: ``nobody`` when the tests run as
    root, as CI does."""
    import forked

    private = [p for p in [ROOT, *ROOT.parents] if not p.stat().st_mode & stat.S_IXOTH]
    if private:  # the child, as user 65534, could not read the data files of the checkout
        pytest.skip(
            f"{private[0]} is private (mode {stat.filemode(private[0].stat().st_mode)}): an "
            "unprivileged process cannot read this checkout, so what the system refuses it "
            "cannot be tried here; clone where others may read to run this test"
        )
    return forked.run(list(args), user=65534)


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        build_args("raw/citrix-communication-ports.txt", "{ro}/build"),
        build_args("raw/citrix-communication-ports.txt", "{ro}"),
        ["export", "nftables", "--addresses", "examples/address-map.yaml", "-o", "{ro}/rules.nft"],
        ["export", "nftables", "--addresses", "examples/address-map.yaml", "-o", "{ro}/sub/x.nft"],
        [
            "export",
            "nftables",
            "--addresses",
            "examples/address-map.yaml",
            "--explain",
            "{ro}/why.txt",
            "-o",
            "/dev/null",
        ],
    ],
)
def test_an_output_the_system_refuses_is_the_user_s_error(args, read_only_dir):
    done = unprivileged(*[a.format(ro=read_only_dir) for a in args])
    assert done.returncode == 2, done.stderr
    assert (
        "cannot write: Permission denied" in done.stderr
        or "cannot write: Operation not permitted" in done.stderr
    ), done.stderr  # sticky /tmp
    assert "internal error" not in done.stderr
    assert str(read_only_dir) in done.stderr and "hint: check the permissions" in done.stderr
    assert list(read_only_dir.iterdir()) == []


@pytest.mark.slow
def test_a_raw_directory_the_system_refuses_is_the_user_s_error(read_only_dir, listener):
    server = listener(served(page_body()))
    done = unprivileged(
        "fetch",
        "--url",
        f"http://127.0.0.1:{server.port}/p.html",
        "--locale",
        "en-us",
        "--raw-dir",
        str(read_only_dir),
        "--allow-host",
        "127.0.0.1",
        "--retries",
        "0",
    )
    assert done.returncode == 2, done.stderr
    assert "Permission denied" in done.stderr and "internal error" not in done.stderr
    assert list(read_only_dir.iterdir()) == []


@pytest.mark.parametrize("target", ["{tmp}", "/"])
def test_an_output_that_is_a_directory_is_refused(target, tmp_path, capsys):
    assert (
        main(
            [
                "export",
                "nftables",
                "--addresses",
                str(ROOT / "examples/address-map.yaml"),
                "-o",
                target.format(tmp=tmp_path),
            ]
        )
        == 2
    )
    assert "cannot write: it is a directory" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_is_a_symbolic_link_writes_its_target(tmp_path):
    (tmp_path / "rules").mkdir()
    target = tmp_path / "rules" / "citrix.nft"
    link = tmp_path / "current.nft"
    link.symlink_to(target)
    for _ in range(2):  # a dangling link first, then one to the file written
        assert (
            main(
                [
                    "export",
                    "nftables",
                    "--addresses",
                    str(ROOT / "examples/address-map.yaml"),
                    "-o",
                    str(link),
                ]
            )
            == 0
        )
        assert link.is_symlink() and link.resolve() == target
        assert target.read_text().startswith("#")
    assert sorted(p.name for p in (tmp_path / "rules").iterdir()) == ["citrix.nft"]


def test_an_output_that_is_a_device_is_written_to_not_replaced(tmp_path):
    import os
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert (
        main(
            [
                "export",
                "nftables",
                "--addresses",
                str(ROOT / "examples/address-map.yaml"),
                "-o",
                str(fifo),
            ]
        )
        == 0
    )
    reader.join(10)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and got and got[0].startswith(b"#")
    assert (
        main(
            [
                "export",
                "nftables",
                "--addresses",
                str(ROOT / "examples/address-map.yaml"),
                "-o",
                "/dev/null",
            ]
        )
        == 0
    )
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# --- kill -9 at the writes of build and fetch ---------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("check", ["build", "build-fallback", "fetch"])
def test_kill_9_at_writes_leaves_the_old_state_or_the_new_whole(check):
    """A spread of kill points here; `make fuzz` kills at every write (tests/crashing.py)."""
    import crashing

    findings = {
        "build": lambda: crashing.check_build(3),
        "build-fallback": lambda: crashing.check_build(3, no_exchange=True),
        "fetch": lambda: crashing.check_fetch(3),
    }[check]()
    assert findings == []


@pytest.mark.slow
def test_the_kill_harness_sees_leftovers(monkeypatch):
    """The judge itself: a build that does not clean up after a killed one is found."""
    import crashing
    import pipeline.stages.outdir

    # the forked children inherit the patch
    monkeypatch.setattr(pipeline.stages.outdir, "clean_up", lambda out: None)
    findings = crashing.check_build(3, no_exchange=True)
    assert any("the next build left ['.build.new-" in f for f in findings), findings


# --- the attacks that already held, kept so --------------------------------------------


def endless_chunks(conn, stopped):
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (65536, b"<p>" + b"x" * 65533)
    for _ in range(2_000):  # 128 MB at most: far past the cap, bounded all the same
        if stopped.is_set():
            return
        conn.sendall(chunk)


def gzip_bomb():
    import gzip

    body = gzip.compress(b"<p>" + b"0" * (64 << 20), 9)  # 64 MiB in about 64 KB
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    ) + body


def many_headers(conn, stopped):
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for n in range(100_000):
        if stopped.is_set():
            return
        conn.sendall(b"X-H%d: v\r\n" % n)
    conn.sendall(b"\r\n")


def redirect_to_itself(port):
    return (
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/again\r\n"
        b"Content-Length: 0\r\nConnection: close\r\n\r\n" % port
    )


@pytest.mark.parametrize(
    "attack, fragment",
    [
        ("endless chunked body", "over the cap"),
        ("gzip bomb", "over the cap"),
        ("100,000 headers", "the server's answer broke HTTP ('got more than 100 headers')"),
        ("redirect loop", "more than 5 redirects"),
        ("NUL bytes", "cannot be read"),
    ],
)
def test_known_attacks_on_fetch_still_fail_cleanly(attack, fragment, listener, tmp_path, capsys):
    reply = {
        "endless chunked body": endless_chunks,
        "gzip bomb": gzip_bomb(),
        "100,000 headers": many_headers,
        "redirect loop": b"",
        "NUL bytes": served(b"<html><body>\x00" * 1000),
    }[attack]
    server = listener(reply)
    if attack == "redirect loop":  # to itself, for ever
        server.reply = redirect_to_itself(server.port)
    raw = tmp_path / "raw"
    assert main(local_fetch(server.port, str(raw), "--timeout", "5", "--deadline", "30")) == 5
    err = capsys.readouterr().err
    assert fragment in err, err
    assert not raw.exists()


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://docs.citrix.com/x", "https://docs.сitrix.com/x.html"]
)  # a Cyrillic с
def test_other_schemes_and_lookalike_hosts_are_refused(url, tmp_path, capsys):
    assert main(["fetch", "--url", url, "--raw-dir", str(tmp_path / "raw")]) == 5
    assert "refusing to fetch" in capsys.readouterr().err
    assert not (tmp_path / "raw").exists()
