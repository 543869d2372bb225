"""kill -9 at every write of ``build`` and ``fetch``: what is left must be whole.

A command runs in a process of its own (forked from this one) with an audit hook (``sys.addaudithook``) that
counts the operations that change the file system — files opened for writing, renames
(``renameat2`` through ctypes included), removals, directories made, permissions,
temporary files — and sends itself SIGKILL just before operation N.  For every N (or a
spread of them), the state left must be the previous one or the new one, whole:

* ``build``: ``--out`` holds the old build byte for byte, or the new one complete (every
  artifact its manifest lists, with its checksum); with the fallback swap (no
  ``RENAME_EXCHANGE``) a kill between its two renames may leave the old build aside,
  whole, for the next build to put back.
* ``fetch``: ``raw/manifest.json`` describes the snapshot (both old or both new), or the
  snapshot is new and the manifest old, which ``build`` refuses.

Then the command runs again without a kill: it must succeed and leave nothing beside
(no temporary directory or file, no lock).

    python tests/crashing.py            # every kill point of both commands (`make fuzz`)
    python tests/crashing.py --spread 6 # six kill points each (the test suite's run)
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import forked
from cli_args import build_args, fetch_args

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SNAPSHOT = ROOT / "raw" / "citrix-communication-ports.txt"

# What the child counts: the operations that change the file system.
WRITES = (
    "os.rename", "os.replace", "os.remove", "os.rmdir", "os.mkdir", "os.chmod",
    "os.truncate", "os.symlink", "os.link", "shutil.rmtree", "tempfile.mkstemp",
    "tempfile.mkdtemp", "ctypes.call_function",
)  # fmt: skip
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def is_write(event: str, args: tuple) -> bool:
    if event == "open":
        mode, flags = args[1], args[2]
        return bool((mode and any(c in mode for c in "wax+")) or (flags or 0) & WRITE_FLAGS)
    return event in WRITES


def run(argv: list[str], kill_at: int, no_exchange: bool = False) -> subprocess.CompletedProcess:
    """The CLI with ``argv``, killed just before its ``kill_at``-th write (0: never).

    It runs in a child forked from this process (``forked.run``); the audit hook is added
    in the child only, the last thing before the command.
    """
    seen = [0]

    def hook(event, args):
        if is_write(event, args):
            seen[0] += 1
            if seen[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    def setup():
        if no_exchange:
            import pipeline.stages.outdir

            pipeline.stages.outdir.exchange = lambda a, b: False
        sys.addaudithook(hook)
        return lambda: print(f"CRASH-WRITES {seen[0]}", file=sys.stderr)

    return forked.run(argv, setup=setup)


def writes(argv: list[str], **kw) -> int:
    """How many writes a run of ``argv`` makes (it must succeed)."""
    done = run(argv, 0, **kw)
    assert done.returncode == 0, done.stderr
    return int(done.stderr.rsplit("CRASH-WRITES ", 1)[1].split()[0])


def points(total: int, spread: int | None) -> list[int]:
    """Every kill point 1..total, or ``spread`` of them from first to last."""
    if not spread or spread >= total:
        return list(range(1, total + 1))
    return sorted({1 + round(i * (total - 1) / (spread - 1)) for i in range(spread)})


def tree(path: Path) -> dict[str, bytes]:
    """The files under ``path`` with their bytes."""
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def whole(out: Path) -> bool:
    """True when ``out`` holds a complete build: its manifest's artifacts, checksums right."""
    try:
        manifest = json.loads((out / "manifest.json").read_text())
        return all(
            hashlib.sha256((out / n).read_bytes()).hexdigest() == e["sha256"]
            for n, e in manifest["artifacts"].items()
        )
    except (OSError, ValueError, KeyError):
        return False


def changed_page(work: Path) -> Path:
    """The snapshot with one port changed, beside no manifest (a new page)."""
    page = work / "page.txt"
    page.write_text(SNAPSHOT.read_text("utf-8").replace("TCP | 443", "TCP | 4443", 1), "utf-8")
    return page


def check_build(spread: int | None, no_exchange: bool = False) -> list[str]:
    """Kill ``build`` at each point; returns the findings."""
    findings = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        old = work / "old"
        assert run(build_args(str(SNAPSHOT), str(old)), 0).returncode == 0
        before = tree(old)
        argv = lambda out: build_args(str(changed_page(work)), str(out))  # noqa: E731
        total = writes(argv(work / "count"), no_exchange=no_exchange)
        print(
            f"build{' (fallback swap)' if no_exchange else ''}: {total} writes, killed "
            f"before {len(points(total, spread))} of them",
            file=sys.stderr,
        )
        for n in points(total, spread):
            case = work / f"case-{n}"
            case.mkdir()
            out = case / "build"
            shutil.copytree(old, out)
            done = run(argv(out), n, no_exchange)
            where = f"build killed before write {n}/{total}" + (
                " (fallback swap)" if no_exchange else ""
            )
            if done.returncode != -9:
                findings.append(
                    f"{where}: ended {done.returncode}, not killed: {done.stderr[-300:]}"
                )
            if out.exists():
                state = tree(out)
                if state != before and not (whole(out) and state != before):
                    findings.append(f"{where}: --out is neither the old build nor a whole new one")
            else:
                aside = [p for p in case.iterdir() if p.name.startswith(".build.old-")]
                if not (no_exchange and len(aside) == 1 and tree(aside[0]) == before):
                    findings.append(
                        f"{where}: --out is gone ({sorted(p.name for p in case.iterdir())})"
                    )
            again = run(argv(out), 0)
            if again.returncode != 0 or not whole(out):
                findings.append(f"{where}: the next build failed: {again.stderr[-300:]}")
            left = sorted(p.name for p in case.iterdir() if p.name != "build")
            if left:
                findings.append(f"{where}: the next build left {left}")
            shutil.rmtree(case)
    return findings


class Page(http.server.BaseHTTPRequestHandler):
    """Serves the snapshot, changed or not (``Page.body``)."""

    body = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(Page.body)))
        self.end_headers()
        self.wfile.write(Page.body)

    def log_message(self, *args):
        pass


def described(raw: Path, name: str) -> bool:
    """True when raw/manifest.json records the sha256 the snapshot has."""
    try:
        entry = json.loads((raw / "manifest.json").read_text())["snapshots"][name]
        return hashlib.sha256((raw / name).read_bytes()).hexdigest() == entry["sha256"]
    except (OSError, ValueError, KeyError):
        return False


def check_fetch(spread: int | None) -> list[str]:
    """Kill ``fetch`` at each point; returns the findings."""
    findings = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/fr-fr/ports.html"
    name = "citrix-communication-ports.fr-fr.txt"
    old_body = SNAPSHOT.read_bytes()
    new_body = old_body.replace(b"TCP | 443", b"TCP | 4443", 1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)

            def argv(raw):
                return fetch_args(url, str(raw))

            Page.body = old_body
            seed = work / "seed"
            assert run(argv(seed), 0).returncode == 0
            before = tree(seed)
            Page.body = new_body
            total = writes(argv(work / "count"))
            print(
                f"fetch: {total} writes, killed before {len(points(total, spread))} of them",
                file=sys.stderr,
            )
            for n in points(total, spread):
                case = work / f"case-{n}"
                case.mkdir()
                raw = case / "raw"
                shutil.copytree(seed, raw)
                done = run(argv(raw), n)
                where = f"fetch killed before write {n}/{total}"
                if done.returncode != -9:
                    findings.append(f"{where}: ended {done.returncode}, not killed")
                state = {k: v for k, v in tree(raw).items() if not k.startswith(".")}
                snapshot = state.get(name)
                if described(raw, name):
                    if state != before and snapshot != new_body:
                        findings.append(f"{where}: a pair that is neither the old nor the new")
                elif snapshot != new_body or state.get("manifest.json") != before["manifest.json"]:
                    findings.append(
                        f"{where}: snapshot and manifest disagree otherwise than "
                        "new snapshot, old manifest"
                    )
                else:
                    refused = run(build_args(str(raw / name), str(case / "b")), 0)
                    if refused.returncode != 2:
                        findings.append(f"{where}: build did not refuse the undescribed snapshot")
                again = run(argv(raw), 0)
                if (
                    again.returncode != 0
                    or not described(raw, name)
                    or (raw / name).read_bytes() != new_body
                ):
                    findings.append(
                        f"{where}: the next fetch did not mend it: {again.stderr[-300:]}"
                    )
                left = sorted(p.name for p in raw.iterdir() if p.name.startswith(".")) + sorted(
                    p.name for p in case.iterdir() if p.name.startswith(".")
                )
                if left:
                    findings.append(f"{where}: the next fetch left {left}")
                shutil.rmtree(case)
    finally:
        server.shutdown()
        server.server_close()
    return findings


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--spread", type=int, default=None, help="kill points per command (default: every one)"
    )
    args = ap.parse_args()
    findings = (
        check_build(args.spread)
        + check_build(args.spread, no_exchange=True)
        + check_fetch(args.spread)
    )
    for finding in findings:
        print(finding)
    print(f"{len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
