"""The refresh workflow, end to end, against a page served on 127.0.0.1.

In a clone of the repository whose committed state is the English page (fetched from the
test's server, built, committed), the server then serves a newer version: the page
rewritten with every product rename the registry declares (as the live page writes
NetScaler, XenServer…) and three real changes (a port changed, a row removed, a row
added).  The steps of ``.github/workflows/refresh.yml`` run as written, but for what
only the runner has: ``make venv`` (the clone uses this checkout's environment), the
fetch's URL (the test's server, allowed by ``--allow-host``) and its locale (the page
served is English).  Then: every step succeeds, ``make build`` passes ``--strict``
without a registry edit, every row keeps its ids, the pull request's body reports the
renames with "same id" and the real changes as changes, and the snapshot keeps its form.
"""

from __future__ import annotations

import csv
import http.server
import os
import re
import shutil
import subprocess
import threading

import pytest
import yaml
from cli_args import build_args

from conftest import ENGLISH as EN
from conftest import ROOT
from make_forms import markdown_to_html
from pipeline.registry.components import load as load_registry

WORKFLOW = ROOT / ".github" / "workflows" / "refresh.yml"


class Page(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(Page.body)))
        self.end_headers()
        self.wfile.write(Page.body)

    def log_message(self, *args):
        pass


def newer(text: str, renames: bool = True) -> tuple[str, dict]:
    """The page with every declared rename (unless not ``renames``) and three real
    changes, and what they are."""
    renamed = sorted(load_registry().renames.values(), key=lambda r: -len(r["from"]))
    for rename in renamed if renames else []:
        text = text.replace(rename["from"], rename["to"])
    lines = text.split("\n")
    # rows that write their own source and that no row below inherits from (a change of
    # one of them changes that row only)
    rows = [
        i
        for i, line in enumerate(lines)
        if re.match(r"\| [A-Za-z].* \| (TCP|UDP) +\| \d+ +\|", line)
        and not re.match(r"\| +\|", lines[i + 1])
    ]
    assert len(rows) >= 3
    changed, removed, copied = rows[0], rows[len(rows) // 2], rows[-1]
    old_port = re.search(r"\| (?:TCP|UDP) +\| (\d+) +\|", lines[changed]).group(1)
    lines[changed] = lines[changed].replace(f"| {old_port} ", "| 65011 ", 1)
    gone = lines[removed]
    added = lines[copied].replace(
        re.search(r"\| (?:TCP|UDP) +\| (\d+) +\|", lines[copied]).group(0), "| TCP | 65012 |", 1
    )
    lines[copied] += "\n" + added
    del lines[removed]
    return "\n".join(lines), {"port": old_port, "gone": gone}


def steps() -> list[dict]:
    return [s for s in yaml.safe_load(WORKFLOW.read_text("utf-8"))["jobs"]["refresh"]["steps"]]


def as_here(run: str, url: str) -> str:
    """A step's commands with what only the runner has replaced (see the module)."""
    run = run.replace(
        "citrix-ports fetch --locale fr-fr",
        f"citrix-ports fetch --locale en-us --url {url} --allow-host 127.0.0.1 --retries 0",
    )
    return run.replace("make build", "make -o .venv/.installed build")


def ids(build) -> list[tuple]:
    with open(build / "ports.csv", encoding="utf-8", newline="") as f:
        return sorted(
            (r["section_id"], r["source_id"], r["destination_id"], r["protocol"], r["port_start"])
            for r in csv.DictReader(f)
        )


@pytest.mark.slow
def test_the_refresh_workflow_end_to_end(tmp_path):
    if not shutil.which("git") or not shutil.which("make"):
        pytest.skip("git and make are needed")
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
    (repo / ".venv").symlink_to(ROOT / ".venv")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/en-us/tech-zone/ports.html"

    def sh(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-e", "-c", command], cwd=repo, env=env, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip

    try:
        # the committed state: the English page as the last refresh left it
        source = EN.read_text("utf-8").replace("\r\n", "\n")
        Page.body = markdown_to_html(source).encode("utf-8")
        bin_ = ".venv/bin/citrix-ports"
        seed = sh(
            f"{bin_} fetch --locale en-us --url {url} --allow-host 127.0.0.1 --retries 0 "
            f"--set-default --form text && {bin_} build --strict --allow-shrink --out build "
            '--input "raw/$(.venv/bin/python -m pipeline.source.raw_manifest default | xargs basename)" '
            "&& git add -A raw build && git commit -qm seed"
        )
        assert seed.returncode == 0, seed.stderr[-3000:]
        before = ids(repo / "build")
        form = (repo / "raw" / "manifest.json").read_text("utf-8")
        # the newer page
        text, change = newer(source)
        Page.body = markdown_to_html(text).encode("utf-8")
        for step in steps():
            if "run" not in step or step["name"] == "Set up":
                continue
            done = sh(as_here(step["run"], url))
            assert done.returncode == 0, (step["name"], done.stdout[-2000:], done.stderr[-3000:])
    finally:
        server.shutdown()
        server.server_close()
    assert (tmp_path / "output").read_text() == "changed=true\n"
    body = (tmp_path / "diff.md").read_text("utf-8")
    after = ids(repo / "build")
    assert not any("" in (s, a, b) for s, a, b, _, _ in after)  # every row has its ids
    # every row has the ids the same changes give without the renames
    from pipeline.cli import main

    reference = tmp_path / "reference.html"
    reference.write_text(markdown_to_html(newer(source, renames=False)[0]), "utf-8")
    assert main(build_args(str(reference), str(tmp_path / "ref"), "--locale", "en-us", "--allow-unrecorded")) == 0  # fmt: skip
    assert after == ids(tmp_path / "ref") and after != before
    lines = body.splitlines()
    start = lines.index("| renamed | old | new | rows | same id |") + 2
    renamed = []
    for line in lines[start:]:
        if not line.startswith("| "):
            break
        renamed.append([c.strip() for c in line.strip("|").split("|")])
    assert len(renamed) > 10
    assert all(re.fullmatch(r"[a-z0-9-]+", same) for *_, same in renamed)  # each the same id
    olds = {old for _, old, *_ in renamed}
    assert {"Citrix ADM", "Citrix Hypervisor", "Citrix Gateway"} <= olds
    # the real changes, as changes
    assert any(ln.startswith("| changed |") and f"{change['port']} → 65011" in ln for ln in lines)
    assert any(ln.startswith("| added |") and "65012" in ln for ln in lines)
    assert any(ln.startswith("| removed |") for ln in lines)
    # the snapshot keeps its form: the refreshed default is the form the last one had,
    # the text rendering the committed one is (the server sends HTML)
    default = re.search(r'"default": "([^"]+)"', form).group(1)
    assert default.endswith(".txt")
    now = (repo / "raw" / "manifest.json").read_text("utf-8")
    assert (
        re.search(r'"default": "([^"]+)"', now).group(1).rsplit(".", 1)[1]
        == default.rsplit(".", 1)[1]
    )
