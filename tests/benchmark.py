"""Benchmark of citrix-ports (``make bench``): results in tests/benchmark-results.json.

Measured side by side in one run, so ratios hold on a shared, noisy machine:

1. the whole ``citrix-ports build`` on the snapshot against the import floor
   (``python -c "import pandas, pandera, pyarrow"``), medians of alternating runs;
2. parse (text reader) and full build of synthetic pages of 1x, 10x, 100x and 400x the
   snapshot (each copy's headings made distinct, so sections are many; 400x is 14 MB, under
   the page cap of 16 MiB), with the build's peak memory;
2b. time and memory per MB of input (``per_mb``): text and HTML pages and a text table
   2,000 to 80,000 columns wide, each at three sizes, with the marginal cost per MB and
   whether it stays the same from one size to the next (linear);
3. our HTML table reading against ``pandas.read_html`` on the same HTML;
4. ``citrix-ports diff`` of two 100,000-row ports tables;
5. the read-only commands (``query``, ``export``, ``diff`` of two builds) against
   ``python -c "import csv, json"``, as a user installs the project and in the dev venv;
7. ``setup``: a fresh clone's ``make venv`` and ``make`` against ``python3 -m venv``, and
   the test suite's wall time (all, and without the slow tests);
6. ``align`` and ``compare`` of two full pages (the French build and the English
   source's build) against the same floor (goal: well under a second beyond it).

    python tests/benchmark.py [--scales 1,10,100,400] [--repeat 5] [--only PARTS]

``--only`` runs some parts (comma-separated: build, read_only, scaling, per_mb, html, diff,
identity, setup) and merges their results into the results file.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
SNAPSHOT = ROOT / "raw" / "citrix-communication-ports.txt"
PY = sys.executable
CLI = [PY, "-m", "pipeline"]
RESULTS = HERE / "benchmark-results.json"


def run(cmd: list[str], **kw) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kw)
    if done.returncode:
        sys.exit(
            f"{' '.join(map(str, cmd))}: exit {done.returncode}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return time.perf_counter() - start


RUNTIME_VENV = ROOT / ".venv-bench"


def runtime_python() -> str:
    """A venv with citrix-ports as a user installs it: runtime dependencies only (no
    pytest, hypothesis...), pinned by constraints.txt."""
    py = RUNTIME_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(RUNTIME_VENV)], check=True)
        subprocess.run(
            [
                str(py),
                "-m",
                "pip",
                "install",
                "--quiet",
                "-c",
                str(ROOT / "constraints.txt"),
                str(ROOT),
            ],
            check=True,
        )
    # the project itself as it is now (the dependencies stay installed)
    subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", str(ROOT)],
        check=True,
    )
    return str(py)


def import_floor_vs_build(repeat: int, tmp: Path, python: str) -> dict:
    """The build against the import floor; also against the floor with the collector
    paused, as the build imports (``cli.libraries_settled``), so that the work beyond the
    imports shows too."""
    floor, paused, whole = [], [], []
    for i in range(repeat):
        floor.append(run([python, "-c", "import pandas, pandera, pyarrow"]))
        paused.append(
            run([python, "-c", "import gc; gc.disable(); import pandas, pandera, pyarrow"])
        )
        whole.append(
            run(
                [
                    python,
                    "-m",
                    "pipeline",
                    "build",
                    "--input",
                    str(SNAPSHOT),
                    "--out",
                    str(tmp / f"b{i}"),
                ]
            )
        )
    f, p, b = statistics.median(floor), statistics.median(paused), statistics.median(whole)
    return {
        "import_floor_s": round(f, 3),
        "build_s": round(b, 3),
        "ratio": round(b / f, 2),
        "goal": "<= 1.3",
        "import_floor_collector_paused_s": round(p, 3),
        "ratio_to_floor_collector_paused": round(b / p, 2),
        "runs": repeat,
    }


def synthetic_page(scale: int) -> str:
    """``scale`` copies of the snapshot, every heading suffixed with its copy number."""
    from pipeline.page.readers.text import TextReader
    from pipeline.page.vocabulary import load

    lines = SNAPSHOT.read_text("utf-8").splitlines()
    reader = TextReader("\n".join(lines), "x", load())
    reader.read()
    headings = {s.line for s in reader.sections if s.heading}
    out = []
    for k in range(scale):
        out.extend(f"{line} {k + 1}" if i + 1 in headings else line for i, line in enumerate(lines))
    return "\n".join(out) + "\n"


PEAK = (
    "import resource, sys, runpy; sys.argv = ['citrix-ports'] + sys.argv[1:]; "
    "from pipeline.cli import main; code = main(); "
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)


def scaling(scales: list[int], tmp: Path) -> list[dict]:
    from pipeline.page.readers.text import read_text

    rows = []
    for scale in scales:
        text = synthetic_page(scale)
        path = tmp / f"page-{scale}.txt"
        path.write_text(text, "utf-8")
        start = time.perf_counter()
        page = read_text(text, str(path), "fr-fr")
        parse = time.perf_counter() - start
        start = time.perf_counter()
        done = subprocess.run(
            [PY, "-c", PEAK, "build", "--input", str(path), "--out", str(tmp / f"build-{scale}")],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        build = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(done.stderr)
        peak_kib = int(done.stderr.strip().splitlines()[-1])
        rows.append(
            {
                "scale": scale,
                "bytes": len(text.encode()),
                "rows": sum(len(t.rows) for t in page.tables),
                "parse_s": round(parse, 3),
                "build_s": round(build, 3),
                "peak_mib": round(peak_kib / 1024, 1),
            }
        )
        print(f"  {scale}x: {rows[-1]}", file=sys.stderr)
    return rows


def synthetic_html(scale: int) -> str:
    """``scale`` copies of the English page's article as HTML, every heading suffixed with
    its copy number (the HTML form of ``synthetic_page``)."""
    import re

    sys.path.insert(0, str(ROOT / "tests"))
    from make_forms import markdown_to_html

    page = markdown_to_html(
        (ROOT / "tests" / "data" / "citrix-communication-ports.fd98ff78.md").read_text("utf-8")
    )
    head, rest = page.split("<article>", 1)
    article, tail = rest.split("</article>", 1)
    copies = [
        re.sub(
            r"(<h[1-6][^>]*>)(.*?)(</h[1-6]>)",
            lambda m, k=k: f"{m[1]}{m[2]} {k + 1}{m[3]}",
            article,
        )
        for k in range(scale)
    ]
    return head + "<article>" + "".join(copies) + "</article>" + tail


def wide_text(columns: int) -> str:
    """A text table ``columns`` wide (extra columns fold into Details), three rows, one of
    them a cell short: the shape that used to cost time quadratic in the columns."""
    header = ["Source", "Destination", "Type", "Port", "Détails"] + [
        f"c{i}" for i in range(columns - 5)
    ]
    full = ["StoreFront", "Delivery Controller", "TCP", "443", "XML"] + ["v"] * (columns - 5)
    rows = [header, full, full, full[:2] + full[3:]]
    return "Produit\n\n" + "\n".join(" | ".join(r) + " |" for r in rows) + "\n"


def build_cost(text: str, path: Path, out: Path, locale: str) -> dict:
    """Seconds and peak memory of ``citrix-ports build`` of ``text`` in a process."""
    path.write_text(text, "utf-8")
    start = time.perf_counter()
    done = subprocess.run(
        [PY, "-c", PEAK, "build", "--input", str(path), "--out", str(out), "--locale", locale],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(done.stderr)
    shutil.rmtree(out, ignore_errors=True)
    return {
        "mb": round(len(text.encode()) / 1e6, 3),
        "build_s": round(seconds, 2),
        "peak_mib": round(int(done.stderr.strip().splitlines()[-1]) / 1024, 1),
    }


def per_mb(tmp: Path) -> dict:
    """Time and memory per MB of input for text and HTML pages and for wide tables: each
    measured at three sizes; the marginal cost per MB between the smallest and the largest
    (what each further MB costs, the interpreter's start and imports left out), and the
    ratio of the last step's marginal cost to the first's (about 1 when linear)."""
    cases = {
        "text_page": ([10, 40, 160], lambda n: synthetic_page(n), "fr-fr"),
        "html_page": ([2, 8, 32], lambda n: synthetic_html(n), "en-us"),
        "wide_text_table": ([2_000, 20_000, 80_000], wide_text, "fr-fr"),
    }
    out = {}
    for name, (sizes, make, locale) in cases.items():
        runs = [
            build_cost(make(n), tmp / f"{name}-{n}.txt", tmp / f"{name}-{n}", locale) for n in sizes
        ]
        for n, run in zip(sizes, runs):
            run["size"] = n
            print(f"  {name} {n}: {run}", file=sys.stderr)
        first, mid, last = runs
        slope = lambda a, b, k: (b[k] - a[k]) / max(b["mb"] - a["mb"], 1e-9)  # noqa: E731
        out[name] = {
            "runs": runs,
            "s_per_mb": round(slope(first, last, "build_s"), 2),
            "mib_per_mb": round(slope(first, last, "peak_mib"), 1),
            "s_per_mb_last_over_first_step": round(
                slope(mid, last, "build_s") / max(slope(first, mid, "build_s"), 1e-9), 2
            ),
        }
    return out


def setup_and_tests(tmp: Path) -> dict:
    """A fresh clone's ``make venv`` (uv) and ``make`` against ``python3 -m venv`` (goal:
    within 5 times), then the test suite's wall time on every core, all and without the
    slow tests (goals: 60 s and 15 s), by ``make test`` and ``make test-fast`` in
    the clone."""
    clone = tmp / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    venv_s = run(["python3", "-m", "venv", str(tmp / "plain-venv")])
    make_venv_s = run(["make", "-s", "-C", str(clone), "venv"])
    shutil.rmtree(clone / ".venv")
    make_s = run(["make", "-s", "-C", str(clone)])
    # the suite as the README runs it, in the fresh clone (make's environment: bytecode
    # cached even where PYTHONDONTWRITEBYTECODE is set)
    tests_s = run(["make", "-s", "-C", str(clone), "test"])
    fast_s = run(["make", "-s", "-C", str(clone), "test-fast"])
    return {
        "python_m_venv_s": round(venv_s, 2),
        "make_venv_fresh_clone_s": round(make_venv_s, 2),
        "make_fresh_clone_s": round(make_s, 2),
        "make_over_venv": round(make_s / venv_s, 2),
        "goal_make_over_venv": "<= 5",
        "make_test_s": round(tests_s, 1),
        "make_test_fast_s": round(fast_s, 1),
        "goal_make_test_s": "<= 60",
        "goal_make_test_fast_s": "<= 15",
    }


def html_vs_pandas(repeat: int) -> dict:
    import pandas as pd

    from make_forms import markdown_to_html
    from pipeline.page.readers.html import read_html

    html = markdown_to_html(
        (HERE / "data" / "citrix-communication-ports.fd98ff78.md").read_text("utf-8")
    )
    from bs4 import BeautifulSoup

    ours, theirs, parser, lxml_builder = [], [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        read_html(html, "x", "en-us")
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        pd.read_html(io.StringIO(html), flavor="lxml")
        theirs.append(time.perf_counter() - start)
        start = time.perf_counter()
        BeautifulSoup(html, "html.parser")
        parser.append(time.perf_counter() - start)
        start = time.perf_counter()
        BeautifulSoup(html, "lxml")
        lxml_builder.append(time.perf_counter() - start)
    o, t = statistics.median(ours), statistics.median(theirs)
    return {
        "ours_s": round(o, 4),
        "pandas_read_html_s": round(t, 4),
        "ratio": round(o / t, 2),
        "bs4_parse_html_parser_s": round(statistics.median(parser), 4),
        "bs4_parse_lxml_builder_s": round(statistics.median(lxml_builder), 4),
        "note": "Our reader also keeps sections, notes and the source line of every row, and "
        "resolves merged cells; BeautifulSoup's lxml builder would drop the line numbers.",
    }


def diff_100k(tmp: Path) -> dict:
    from pipeline.dataset.schema import columns as schema_columns

    columns = schema_columns("ports")
    rng = random.Random(7)
    old = []
    for i in range(100_000):
        port = 1024 + i % 60000
        old.append(
            {
                "rule_id": f"{i:016x}",
                "section": f"Section {i // 500}",
                "source": f"Source {i % 97}",
                "destination": f"Destination {i % 89}",
                "protocol": "tcp" if i % 3 else "udp",
                "service": "",
                "port_start": port,
                "port_end": port,
                "bidirectional": "false",
                "type_raw": "TCP",
                "port_raw": str(port),
                "details": f"Details {i}",
                "table": i // 500 + 1,
                "row": i % 500 + 1,
                "source_line": i + 1,
                "erratum": "",
                "condition": "",
                "derived_from": "",
            }
        )
    new = [dict(r) for r in old]
    for r in rng.sample(new, 1000):
        r["port_end"] = r["port_start"] + 10
    for r in new:
        if r["destination"] == "Destination 5":
            r["destination"] = "Destination five"
    new = [r for i, r in enumerate(new) if i % 100 != 1]
    new += [
        {**old[i], "details": f"Added {i}", "port_start": 7, "port_end": 7}
        for i in range(0, 100_000, 100)
    ]
    rng.shuffle(new)
    for name, rows in (("old", old), ("new", new)):
        with open(tmp / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, columns, lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows)
    start = time.perf_counter()
    done = subprocess.run(
        CLI + ["diff", str(tmp / "old.csv"), str(tmp / "new.csv"), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - start
    summary = json.loads(done.stdout)["summary"]
    return {
        "rows_old": len(old),
        "rows_new": len(new),
        "diff_s": round(seconds, 2),
        "summary": {
            k: summary[k] for k in ("added", "removed", "changed", "renamed", "renamed_rows")
        },
    }


READ_ONLY = {
    "query --port 443": ["query", "--port", "443", "--data", "build"],
    "export nftables": [
        "export",
        "nftables",
        "--addresses",
        "examples/address-map.yaml",
        "--data",
        "build",
    ],
    "diff of two builds": ["diff", "build", "build", "--exit-code"],
}


def against_stdlib_floor(
    argvs: dict[str, list[str]], repeat: int, python: str
) -> tuple[float, dict[str, float]]:
    """Median wall times of commands and of ``python -c "import csv, json"``, in
    alternating runs: (floor, {name: time})."""
    times: dict[str, list[float]] = {"floor": []} | {k: [] for k in argvs}
    for _ in range(repeat):
        times["floor"].append(run([python, "-c", "import csv, json"]))
        for name, argv in argvs.items():
            times[name].append(run([python, "-m", "pipeline", *argv]))
    return (
        statistics.median(times["floor"]),
        {name: statistics.median(times[name]) for name in argvs},
    )


def read_only_latency(repeat: int, python: str) -> dict:
    """Wall time of the read-only commands against ``python -c "import csv, json"``,
    medians of alternating runs (goals: 0.25 s and 6x the floor; diff 0.5 s)."""
    floor, times = against_stdlib_floor(READ_ONLY, repeat, python)
    out = {"floor_s": round(floor, 3)}
    for name, t in times.items():
        out[name] = {"s": round(t, 3), "over_floor": round(t / floor, 1)}
    out["goals"] = "query and export <= 0.25 s and <= 6x the floor; diff <= 0.5 s"
    return out


ENGLISH = ROOT / "tests" / "data" / "citrix-communication-ports.fd98ff78.md"


def identity_commands(repeat: int, tmp: Path, python: str) -> dict:
    """Wall time of ``align`` and ``compare`` of the French build and the English
    source's build, against ``python -c "import csv, json"`` (medians of alternating
    runs); the goal is well under a second beyond the floor."""
    english = tmp / "en-build"
    subprocess.run(
        CLI + ["build", "--input", str(ENGLISH), "--out", str(english)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    argvs = {
        "align": ["align", "build", str(english)],
        "compare": ["compare", "build", str(english)],
    }
    floor, times = against_stdlib_floor(argvs, repeat, python)
    out = {"floor_s": round(floor, 3)}
    for name, t in times.items():
        out[name] = {"s": round(t, 3), "beyond_floor_s": round(t - floor, 3)}
    out["goal"] = "align and compare well under 1 s beyond the floor"
    return out


def nesting(sizes: tuple[int, ...] = (1_000, 10_000, 100_000)) -> dict:
    """Seconds to read the English page with one Details cell nested ``n`` elements deep
    (HTML: ``<span>``s; Markdown: ``<b x>`` tags, 5 bytes each) in each form's reader, and
    the growth from one size to the next (10 when linear)."""
    from make_forms import markdown_to_html
    from pipeline.page.readers.html import HtmlReader
    from pipeline.page.readers.markdown import MarkdownReader

    md = (ROOT / "tests" / "data" / "citrix-communication-ports.fd98ff78.md").read_text("utf-8")
    needle = (
        "Communication between Citrix Director and Virtual Delivery Agent for Remote Assistance"
    )
    html = markdown_to_html(md)
    out: dict = {}
    for form in ("html", "markdown"):
        times = []
        for n in sizes:
            if form == "html":
                page = html.replace(needle, "<span>" * n + needle + "</span>" * n, 1)
                reader = HtmlReader(page, "page.html")
            else:
                page = md.replace(needle, "<b x>" * n + needle, 1)
                reader = MarkdownReader(page, "page.md")
            start = time.perf_counter()
            reader.read()
            times.append(round(time.perf_counter() - start, 3))
        out[form] = {
            "sizes": list(sizes),
            "seconds": times,
            "growth": [round(b / a, 1) if a else None for a, b in zip(times, times[1:])],
        }
    out["note"] = "growth from one size to the next, ten times larger: 10 when linear"
    return out


# Each speed trick of the code, the command it speeds, and a prelude that undoes it (the
# command then runs as it would without the trick).  A trick stays only where it saves at
# least 5 % of its command (docs/benchmark.md says which).
TRICKS = {
    "string columns checked on their dtype (PublishedString)": (
        ["tests/fuzzing.py", "--runs", "40", "--seed", "1"],
        "from pipeline.cli.process import libraries_settled\n"
        "with libraries_settled():\n"
        "    import pipeline.stages.validate as v\n"
        "v.PublishedString = lambda: str\n",
    ),
    "the text reader's caches (lines split, cell kinds, placements)": (
        ["tests/fuzzing.py", "--structural", "--runs", "8", "--seed", "1"],
        "import pipeline.page.readers.cells as c, pipeline.page.readers.text as t\n"
        "t.CACHED_LINE_CHARS = -1\n"
        "for m in (c, t):\n"
        "    for n in ('classify', 'placed', 'all_placements'):\n"
        "        f = getattr(m, n, None)\n"
        "        if hasattr(f, '__wrapped__'):\n"
        "            setattr(m, n, f.__wrapped__)\n",
    ),
    "the collector paused while the libraries load, then frozen": (
        ["build", "--out", "{tmp}/b"],
        "import contextlib, pipeline.cli.build as b\nb.libraries_settled = contextlib.nullcontext\n",
    ),
    "hypothesis hidden from pandera's import (dev venv only)": (
        ["build", "--out", "{tmp}/b"],
        "import hypothesis\n",
    ),
}
TRICK_GOAL = 5.0  # percent of the command


def tricks(repeat: int, tmp: Path) -> dict:
    """Each speed trick: its command with and without it (medians of alternating runs in
    the dev venv) and the share of the command it saves."""
    out: dict = {}
    for name, (argv, undo) in TRICKS.items():
        argv = [a.replace("{tmp}", str(tmp)) for a in argv]
        if argv[0].endswith(".py"):  # a script of the tests (make fuzz runs it)
            code = (
                "import runpy, sys\n{}sys.path.insert(0, 'tests')\nsys.argv = {!r}\n"
                "runpy.run_path(sys.argv[0], run_name='__main__')\n"
            )
        else:
            code = "import sys\n{}from pipeline.cli import main\nsys.exit(main({!r}))\n"
        with_it, without = [], []
        for _ in range(max(repeat, 7) if not argv[0].endswith(".py") else 3):
            with_it.append(run([PY, "-c", code.format("", argv)]))
            without.append(run([PY, "-c", code.format(undo, argv)]))
        w, wo = statistics.median(with_it), statistics.median(without)
        saving = round(100 * (wo - w) / wo, 1)
        out[name] = {
            "command": " ".join(argv).replace(str(tmp), "TMP"),
            "with_s": round(w, 3),
            "without_s": round(wo, 3),
            "saving_pct": saving,
            "kept": saving >= TRICK_GOAL,
        }
    out["goal"] = f"each trick saves at least {TRICK_GOAL:g} % of its command"
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10,100,400")  # 400 copies: 14 MB, under the page cap
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--only",
        default="build,read_only,scaling,per_mb,html,diff,identity,setup,nesting,tricks",
    )
    args = ap.parse_args()
    parts = set(args.only.split(","))
    results = (
        json.loads(RESULTS.read_text("utf-8"))
        if RESULTS.exists()
        and parts
        != {
            "build",
            "read_only",
            "scaling",
            "per_mb",
            "html",
            "diff",
            "identity",
            "nesting",
            "setup",
            "tricks",
        }
        else {}
    )
    results["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor(),
    }
    # The dev venv is an editable install: its pipeline/ is compiled as pip compiles an
    # installed package (make venv does it too), so no run pays for compiling it where
    # PYTHONDONTWRITEBYTECODE is set (~0.1 s a run).
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "pipeline")], check=True)
    results["machine"]["PYTHONDONTWRITEBYTECODE"] = os.environ.get("PYTHONDONTWRITEBYTECODE", "")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # the clone's tests run the CLI as another user too
        runtime = runtime_python() if parts & {"build", "read_only"} else ""
        if "build" in parts:
            print("build vs import floor", file=sys.stderr)
            results["build_vs_import_floor"] = {
                "runtime_install": import_floor_vs_build(args.repeat, tmp, runtime),
                "dev_venv": import_floor_vs_build(args.repeat, tmp, PY),
                "note": "hypothesis is installed in the dev venv; pipeline.stages.validate keeps "
                "pandera from importing it (pandera's strategies are not used)",
            }
        if "read_only" in parts:
            print("read-only commands", file=sys.stderr)
            results["read_only_latency"] = {
                "runtime_install": read_only_latency(max(args.repeat, 7), runtime),
                "dev_venv": read_only_latency(max(args.repeat, 7), PY),
                "note": "the dev venv's editable install adds an import hook to every start "
                "(about 0.03 s here), its floor too",
            }
        if "identity" in parts:
            print("align and compare", file=sys.stderr)
            results["align_and_compare"] = identity_commands(max(args.repeat, 7), tmp, PY)
        if "scaling" in parts:
            print("scaling", file=sys.stderr)
            results["scaling"] = scaling([int(s) for s in args.scales.split(",")], tmp)
        if "per_mb" in parts:
            print("time and memory per MB of input", file=sys.stderr)
            results["per_mb"] = per_mb(tmp)
        if "setup" in parts:
            print("set-up and test suite", file=sys.stderr)
            results["setup_and_tests"] = setup_and_tests(tmp)
        if "html" in parts:
            print("html vs pandas.read_html", file=sys.stderr)
            results["html_vs_pandas_read_html"] = html_vs_pandas(args.repeat)
        if "diff" in parts:
            print("diff of 100,000 rows", file=sys.stderr)
            results["diff_100k"] = diff_100k(tmp)
        if "tricks" in parts:
            print("speed tricks, with and without", file=sys.stderr)
            results["tricks"] = tricks(args.repeat, tmp)
        if "nesting" in parts:
            print("readers of growing nesting", file=sys.stderr)
            results["nesting"] = nesting()
    sc = {r["scale"]: r for r in results.get("scaling", [])}
    results.pop("scaling_1000_over_100", None)
    if 100 in sc and 400 in sc:  # 4 when linear
        results["scaling_400_over_100"] = round(sc[400]["build_s"] / sc[100]["build_s"], 2)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(json.dumps(results, indent=2))
    import benchmark_report

    benchmark_report.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
