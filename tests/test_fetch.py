"""citrix-ports fetch against a real HTTP server on 127.0.0.1 started by the tests.

After each scenario: the exit status, the message, and which snapshot is in raw/.
"""

from __future__ import annotations

import http.server
import threading
import time

import pytest
from cli_args import build_args, fetch_args
from localhost import PAGE_HEAD, local_fetch, page_body, served

from conftest import ENGLISH as MD
from conftest import ROOT, unprivileged
from make_forms import markdown_to_html, translated
from pipeline.cli import main

PAGE = markdown_to_html(MD.read_text("utf-8")).encode("utf-8")
# The same page with most of its tables removed: lost more than half of its rows.
SMALL = PAGE[: PAGE.index(b"<h2>Citrix Cloud</h2>")] + b"</article></main></body></html>"
JAPANESE = markdown_to_html(
    (ROOT / "tests" / "data" / "ja-jp" / "citrix-communication-ports.excerpt.md").read_text(
        "utf-8"
    ),
    lang="ja",
).encode("utf-8")
# The page with Korean header words none of which the vocabulary knows, and no lang
# attribute: only the URL says its locale.
KO = {
    "Source": "원본",
    "Destination": "대상",
    "Type": "종류",
    "Port": "포트",
    "Details": "세부 정보",
}
KOREAN = (
    markdown_to_html(
        translated(MD.read_text("utf-8"), KO), lang="", merged=(KO["Source"], KO["Destination"])
    )
    .replace('<html lang="">', "<html>")
    .encode("utf-8")
)
ERROR_PAGE = (
    b"<html><body><article><h1>Oops</h1><p>Something went wrong.</p></article></body></html>"
)


class Handler(http.server.BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def log_message(self, *args):  # keep the test output quiet
        pass

    def send(self, status, body=b"", ctype="text/html; charset=utf-8", headers=None, length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path
        n = Handler.hits[path] = Handler.hits.get(path, 0) + 1
        ua = self.headers.get("User-Agent", "")
        if not ua.startswith("citrix-ports/"):
            return self.send(400, b"no user agent")
        if path == "/page.html":
            return self.send(200, PAGE, headers={"ETag": '"v1"'})
        if path == "/docs/ja-jp/ports.html":  # the locale in the URL
            return self.send(200, JAPANESE)
        if path == "/japanese.html":  # the locale in the page only (its lang attribute)
            return self.send(200, JAPANESE)
        if path == "/kr/ko/tech-zone/ports.html":  # country then language (the 2026 scheme)
            return self.send(200, KOREAN)
        if path == "/kr/ko/english.html":  # an English page at a Korean address, no lang
            return self.send(200, PAGE.replace(b'<html lang="en">', b"<html>"))
        if path == "/etag.html":
            if self.headers.get("If-None-Match") == '"v1"':
                return self.send(304)
            return self.send(200, PAGE, headers={"ETag": '"v1"'})
        if path == "/missing.html":
            return self.send(404, b"not found")
        if path == "/flaky.html":
            return self.send(500, b"boom") if n == 1 else self.send(200, PAGE)
        if path == "/busy.html":
            if n == 1:
                return self.send(429, b"slow down", headers={"Retry-After": "1"})
            return self.send(200, PAGE)
        if path == "/down.html":
            return self.send(503, b"down")
        if path == "/slow.html":  # slower than the 0.2 s timeout the test gives
            time.sleep(0.6)
            return self.send(200, PAGE)
        if path == "/cut.html":
            return self.send(200, PAGE[:1000], length=len(PAGE))
        if path == "/big.html":
            return self.send(200, PAGE + b" " * 200_000)
        if path == "/json.html":
            return self.send(200, b'{"a": 1}', ctype="application/json")
        if path == "/away.html":
            return self.send(302, headers={"Location": "http://example.invalid/page.html"})
        if path == "/moved.html":
            return self.send(301, headers={"Location": "/page.html"})
        if path == "/error.html":
            return self.send(200, ERROR_PAGE)
        if path == "/small.html":
            return self.send(200, SMALL)
        if path == "/page.md":  # the Markdown source, as a raw file host serves it
            return self.send(200, MD.read_bytes(), ctype="text/plain; charset=utf-8")
        return self.send(404)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a client that gave up: expected
        pass


@pytest.fixture(scope="module")
def server():
    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def raw(tmp_path):
    return tmp_path / "raw"


SNAP = "citrix-communication-ports.en-us.html"


def fetch(server, raw, path, *extra):
    return main(
        fetch_args(
            server + path,
            str(raw),
            "--backoff",
            "0.05",
            "--timeout",
            "1",
            *extra,
            locale="en-us",
            retries=2,
        )
    )


def seeded(server, raw, capsys):
    assert fetch(server, raw, "/page.html") == 0
    capsys.readouterr()
    return (raw / SNAP).read_bytes(), (raw / "manifest.json").read_bytes()


def test_200_writes_snapshot_and_manifest(server, raw, capsys):
    import json

    assert fetch(server, raw, "/page.html") == 0
    assert (raw / SNAP).read_bytes() == PAGE
    entry = json.loads((raw / "manifest.json").read_text())["snapshots"][SNAP]
    assert entry["url"] == server + "/page.html" and entry["status"] == 200
    assert entry["etag"] == '"v1"' and entry["tables"] == 16 and entry["rows"] == 170
    assert entry["form"] == "html" and entry["locale"] == "en-us"
    import hashlib

    assert entry["sha256"] == hashlib.sha256(PAGE).hexdigest()
    assert "fetched" in capsys.readouterr().err
    assert not [p for p in raw.iterdir() if p.name.startswith(".")]  # no temp files left


def test_304_keeps_the_snapshot(server, raw, capsys):
    assert fetch(server, raw, "/etag.html") == 0
    before = (raw / SNAP).read_bytes(), (raw / "manifest.json").read_bytes()
    capsys.readouterr()
    assert fetch(server, raw, "/etag.html") == 0
    assert "not modified" in capsys.readouterr().err
    assert ((raw / SNAP).read_bytes(), (raw / "manifest.json").read_bytes()) == before


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_set_default_names_the_snapshot_build_reads(server, raw, capsys):
    """fetch --set-default (the weekly workflow) makes `build` and `make` read the new
    snapshot; a plain fetch leaves the default alone; a 304 with --set-default sets it."""
    import json

    from pipeline.source import raw_manifest

    raw.mkdir()
    (raw / "manifest.json").write_text(json.dumps({"default": "old.txt", "snapshots": {}}))
    assert fetch(server, raw, "/etag.html") == 0
    assert json.loads((raw / "manifest.json").read_text())["default"] == "old.txt"
    assert fetch(server, raw, "/etag.html", "--set-default") == 0  # 304 Not Modified
    assert "not modified" in capsys.readouterr().err
    assert raw_manifest.default_snapshot(raw) == raw / SNAP
    (raw / "manifest.json").write_text(
        json.dumps({**json.loads((raw / "manifest.json").read_text()), "default": "old.txt"})
    )
    assert fetch(server, raw, "/page.html", "--set-default") == 0  # 200
    assert raw_manifest.default_snapshot(raw) == raw / SNAP


@pytest.mark.parametrize(
    "path, fragment",
    [
        ("/missing.html", "HTTP 404"),
        ("/down.html", "503"),
        pytest.param("/slow.html", "timed out", marks=pytest.mark.slow),
        ("/cut.html", "cut short"),
        ("/json.html", "content type 'application/json'"),
        ("/away.html", "example.invalid"),
        ("/error.html", "no port table"),
        ("/small.html", "lost more than half"),
    ],
)
def test_failures_keep_the_previous_snapshot(server, raw, capsys, path, fragment):
    snapshot, manifest = seeded(server, raw, capsys)
    extra = ("--timeout", "0.2") if path == "/slow.html" else ()
    assert fetch(server, raw, path, *extra) == 5
    err = capsys.readouterr().err
    assert fragment in err, err
    assert "Traceback" not in err and "hint:" in err
    assert (raw / SNAP).read_bytes() == snapshot
    assert (raw / "manifest.json").read_bytes() == manifest


def test_body_over_the_cap(server, raw, capsys):
    snapshot, _ = seeded(server, raw, capsys)
    assert fetch(server, raw, "/big.html", "--max-bytes", str(len(PAGE) + 1000)) == 5
    assert "over the cap" in capsys.readouterr().err
    assert (raw / SNAP).read_bytes() == snapshot


def test_500_then_200_is_retried(server, raw, capsys):
    Handler.hits.pop("/flaky.html", None)
    assert fetch(server, raw, "/flaky.html") == 0
    assert Handler.hits["/flaky.html"] == 2
    assert (raw / SNAP).read_bytes() == PAGE


@pytest.mark.slow
def test_429_honours_retry_after(server, raw, capsys):
    Handler.hits.pop("/busy.html", None)
    start = time.monotonic()
    assert fetch(server, raw, "/busy.html") == 0
    assert time.monotonic() - start >= 0.9  # waited for Retry-After: 1, not the 0.05 backoff
    assert Handler.hits["/busy.html"] == 2


def test_redirect_within_allowed_hosts_is_followed(server, raw, capsys):
    import json

    assert fetch(server, raw, "/moved.html") == 0
    entry = json.loads((raw / "manifest.json").read_text())["snapshots"][SNAP]
    assert entry["final_url"] == server + "/page.html"


def test_force_replaces_a_page_that_lost_rows(server, raw, capsys):
    seeded(server, raw, capsys)
    assert fetch(server, raw, "/small.html", "--force") == 0
    assert (raw / SNAP).read_bytes() == SMALL


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("http://docs.citrix.com/x.html", "only https"),
        ("https://evil.example.com/x.html", "not a known host"),
        ("http://127.0.0.1:9/x.html", "not a known host"),
    ],
)
def test_urls_refused_before_any_request(tmp_path, capsys, url, fragment):
    code = main(["fetch", "--url", url, "--raw-dir", str(tmp_path / "raw")])
    assert code == 5 and fragment in capsys.readouterr().err
    assert not (tmp_path / "raw").exists()


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_fetched_snapshot_builds(server, raw, tmp_path, capsys):
    assert fetch(server, raw, "/page.html") == 0
    assert main(build_args(str(raw / SNAP), str(tmp_path / "b"), "--strict")) == 0
    import json

    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["source"]["url"] == server + "/page.html"
    assert manifest["counts"]["rules"] - manifest["counts"]["rules_prose"] == 170


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
@pytest.mark.parametrize(
    "path, locale",
    [
        ("/page.html", "en-us"),  # the English page: lang="en"
        ("/japanese.html", "ja-jp"),  # lang="ja"
        ("/docs/ja-jp/ports.html", "ja-jp"),  # the URL's /ja-jp/
        ("/kr/ko/tech-zone/ports.html", "ko-kr"),  # the URL's /kr/ko/, nothing in the page
    ],
)
def test_the_locale_of_a_fetched_page_is_recognised(server, raw, capsys, path, locale):
    """fetch --url without --locale records, and names the snapshot after, the locale the
    URL or the page says (never a default)."""
    import json

    code = main(fetch_args(server + path, str(raw)))
    assert code == 0, capsys.readouterr().err
    name = f"citrix-communication-ports.{locale}.html"
    entry = json.loads((raw / "manifest.json").read_text())["snapshots"][name]
    assert entry["locale"] == locale and entry["url"] == server + path
    assert main(build_args(str(raw / name), str(raw.parent / "b"))) == 0
    manifest = json.loads((raw.parent / "b" / "manifest.json").read_text())
    assert manifest["source"]["locale"] == locale
    if path != "/kr/ko/tech-zone/ports.html":  # its body words are English: warned
        assert not any(
            "records the snapshot as" in w
            for w in [said["message"] for said in manifest["warnings"]]
        )


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_a_recorded_locale_the_words_contradict_is_warned_about(server, raw, capsys):
    """An English page without lang fetched from a /kr/ko/ address (the site serving a page
    it has not translated): fetch records ko-kr, as its URL says; the build keeps it and
    says the page's words look en-us."""
    import json

    assert main(fetch_args(server + "/kr/ko/english.html", str(raw))) == 0
    snapshot = raw / "citrix-communication-ports.ko-kr.html"
    assert (
        json.loads((raw / "manifest.json").read_text())["snapshots"][snapshot.name]["locale"]
        == "ko-kr"
    )
    capsys.readouterr()
    assert main(build_args(str(snapshot), str(raw.parent / "b"))) == 0
    built = json.loads((raw.parent / "b" / "manifest.json").read_text())
    assert built["source"]["locale"] == "ko-kr"
    assert any(
        "records the snapshot as ko-kr" in w and "look en-us" in w
        for w in [said["message"] for said in built["warnings"]]
    ), [said["message"] for said in built["warnings"]]


def published_ports(out) -> list[tuple]:
    import csv

    with (out / "ports.csv").open(encoding="utf-8") as f:
        return sorted(
            (r["section"], r["source"], r["destination"], r["protocol"], r["port_start"])
            for r in csv.DictReader(f)
        )


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_form_text_saves_the_text_rendering_that_builds_the_same_flows(
    server, raw, tmp_path, capsys
):
    """``--form text``: the HTML rendered as the committed snapshot was, saved as .txt,
    its entry describing the saved text and what the server sent; it builds the flows the
    HTML builds, and fetching the same page again changes nothing."""
    import hashlib
    import json

    assert fetch(server, raw, "/page.html") == 0
    assert fetch(server, raw, "/page.html", "--form", "text") == 0
    text = raw / "citrix-communication-ports.en-us.txt"
    entry = json.loads((raw / "manifest.json").read_text("utf-8"))["snapshots"][text.name]
    assert (
        entry["form"] == "text" and entry["sha256"] == hashlib.sha256(text.read_bytes()).hexdigest()
    )
    assert (
        entry["served"]["form"] == "html"
        and entry["served"]["sha256"] == hashlib.sha256(PAGE).hexdigest()
    )
    assert entry["served"]["rendered_by"].startswith("trafilatura")
    for snap, out in ((raw / SNAP, "h"), (text, "t")):
        assert main(build_args(str(snap), str(tmp_path / out), "--strict")) == 0
    assert published_ports(tmp_path / "t") == published_ports(tmp_path / "h")
    before = text.read_bytes()
    capsys.readouterr()
    assert fetch(server, raw, "/page.html", "--form", "text") == 0
    assert text.read_bytes() == before and "unchanged" in capsys.readouterr().err


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_form_default_keeps_the_default_snapshot_s_form(server, raw, capsys):
    import json

    assert fetch(server, raw, "/page.html", "--form", "text", "--set-default") == 0
    assert fetch(server, raw, "/page.html", "--form", "default", "--set-default") == 0
    manifest = json.loads((raw / "manifest.json").read_text("utf-8"))
    assert manifest["default"] == "citrix-communication-ports.en-us.txt"
    assert not (raw / SNAP).exists()  # no HTML snapshot was written
    assert fetch(server, raw, "/page.md", "--form", "default", "--force") == 5  # no .txt of it
    assert "only HTML is rendered" in capsys.readouterr().err


def test_form_text_of_a_page_that_is_no_html_fails_and_keeps_the_snapshot(server, raw, capsys):
    snapshot, manifest = seeded(server, raw, capsys)
    assert fetch(server, raw, "/page.md", "--form", "text") == 5
    err = capsys.readouterr().err
    assert "served as markdown, and --form text asks for text" in err and "--form served" in err
    assert (raw / SNAP).read_bytes() == snapshot and (
        raw / "manifest.json"
    ).read_bytes() == manifest


# -- attacks: hostile URLs, redirects and servers, and fetches killed or refused ------------


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


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
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
