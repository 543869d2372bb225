"""The benchmark's figures as a page: ``tests/benchmark-results.json`` -> ``docs/benchmark.md``.

Input: the results ``make bench`` writes.  Output: the Markdown tables of
``docs/benchmark.md`` (``make bench`` rewrites it after each run; a test fails while the
page is not what the results give).  No figure of the docs is written by hand.

    python tests/benchmark_report.py [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "benchmark-results.json"
PAGE = HERE.parent / "docs" / "benchmark.md"

HEADER = """\
# Benchmark

`make bench` (`tests/benchmark.py`) measures side by side, in one run, so that the ratios
hold on a shared machine whose speed varies from day to day: read the ratios before the
seconds. It writes `tests/benchmark-results.json` and this page from it (made by
`tests/benchmark_report.py`: edit that, never the figures). Goals are in the last column.
"""


def table(head: list[str], rows: list[list[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def section(title: str, text: str, body: str) -> str:
    return f"\n## {title}\n\n{text}\n\n{body}"


def setup(r: dict) -> str:
    s = r["setup_and_tests"]
    return section(
        "Set-up and tests",
        "A fresh clone's set-up against `python3 -m venv` alone, and the test suite's wall time.",
        table(
            ["measure", "result", "goal"],
            [
                ["`python3 -m venv`", f"{s['python_m_venv_s']} s", ""],
                ["`make venv` (fresh clone)", f"{s['make_venv_fresh_clone_s']} s", ""],
                [
                    "`make` (fresh clone)",
                    f"{s['make_fresh_clone_s']} s ({s['make_over_venv']}× `python3 -m venv`)",
                    s["goal_make_over_venv"],
                ],
                ["`make test`", f"{s['make_test_s']} s", s.get("goal_make_test_s", "")],
                [
                    "`make test-fast`",
                    f"{s['make_test_fast_s']} s",
                    s.get("goal_make_test_fast_s", ""),
                ],
            ],
        ),
    )


def build(r: dict) -> str:
    b = r["build_vs_import_floor"]
    rows = [
        [
            where.replace("_", " "),
            f"{v['build_s']} s",
            f"{v['import_floor_s']} s",
            f"**{v['ratio']}**",
            v["goal"],
        ]
        for where, v in b.items()
        if isinstance(v, dict)
    ]
    return section(
        "Build",
        '`citrix-ports build` on the snapshot against `python -c "import pandas, pandera, '
        'pyarrow"` (the floor), as a user installs the project (runtime) and in the '
        f"venv the tests run in (dev). {b.get('note', '')}",
        table(["install", "build", "import floor", "ratio", "goal"], rows),
    )


def read_only(r: dict) -> str:
    ro = r["read_only_latency"]
    commands = [k for k in ro["runtime_install"] if isinstance(ro["runtime_install"][k], dict)]
    rows = []
    for c in commands:
        row = [f"`{c}`"]
        for where in ("runtime_install", "dev_venv"):
            v = ro[where][c]
            row.append(f"{v['s']} s ({v['over_floor']}×)")
        rows.append(row)
    rows.append(
        ['floor: `python -c "import csv, json"`']
        + [f"{ro[w]['floor_s']} s" for w in ("runtime_install", "dev_venv")]
    )
    a = r.get("align_and_compare", {})
    text = (
        "The commands that read the published data (standard library only), against the "
        f"interpreter's floor. Goals: {ro['runtime_install']['goals']}. {ro.get('note', '')}"
    )
    body = table(["command", "runtime (× floor)", "dev venv (× floor)"], rows)
    if a:
        body += "\n" + table(
            ["command", "time", "beyond the floor", "goal"],
            [
                [f"`{c}`", f"{a[c]['s']} s", f"{a[c]['beyond_floor_s']} s", a["goal"]]
                for c in ("align", "compare")
            ],
        )
    return section("Read-only commands", text, body)


def scaling(r: dict) -> str:
    rows = [
        [f"{s['scale']}×", f"{s['bytes']:,}", f"{s['rows']:,}", f"{s['parse_s']} s", f"{s['build_s']} s", f"{s['peak_mib']} MiB"]
        for s in r["scaling"]
    ]  # fmt: skip
    ratio = r.get("scaling_400_over_100")
    text = "Text pages made of copies of the snapshot: reading, whole build and peak memory."
    if ratio:
        text += f" 400× over 100×: **{ratio}** (4 when linear)."
    return section(
        "Scaling", text, table(["page", "bytes", "rows", "read", "build", "peak memory"], rows)
    )


def per_mb(r: dict) -> str:
    rows = []
    for kind, v in r["per_mb"].items():
        sizes = ", ".join(f"{x['mb']}" for x in v["runs"])
        times = ", ".join(f"{x['build_s']}" for x in v["runs"])
        rows.append(
            [kind.replace("_", " "), f"{sizes} MB", f"{times} s", f"**{v['s_per_mb']} s, {v['mib_per_mb']} MiB**", v["s_per_mb_last_over_first_step"]]
        )  # fmt: skip
    return section(
        "Time and memory per MB",
        "The marginal cost per MB between the smallest and largest input (the interpreter's "
        "start and imports left out); the last column is the cost per MB of the last step "
        "over the first, about 1 when the cost is linear.",
        table(["input", "sizes", "build times", "per MB", "linear"], rows),
    )


def html(r: dict) -> str:
    h = r["html_vs_pandas_read_html"]
    return section(
        "Reading HTML",
        h.get("note", ""),
        table(
            ["measure", "time"],
            [
                ["our HTML reader, the whole page", f"{round(h['ours_s'] * 1000)} ms"],
                ["`pandas.read_html`, the same page", f"{round(h['pandas_read_html_s'] * 1000)} ms ({h['ratio']}× faster)"],
                ["BeautifulSoup with `html.parser` (line numbers kept)", f"{round(h['bs4_parse_html_parser_s'] * 1000)} ms"],
                ["BeautifulSoup with lxml (no line numbers)", f"{round(h['bs4_parse_lxml_builder_s'] * 1000)} ms"],
            ],
        ),
    )  # fmt: skip


def diff(r: dict) -> str:
    d = r["diff_100k"]
    summary = ", ".join(f"{k} {v:,}" for k, v in d["summary"].items())
    return (
        section(
            "Diff",
            f"`citrix-ports diff` of two ports tables of {d['rows_old']:,} and {d['rows_new']:,} "
            f"rows ({summary}): **{d['diff_s']} s**.",
            "",
        ).rstrip("\n")
        + "\n"
    )


def nesting(r: dict) -> str:
    n = r["nesting"]
    rows = [
        [form, ", ".join(f"{s:,}" for s in v["sizes"]), ", ".join(f"{t} s" for t in v["seconds"]), ", ".join(f"{g}×" for g in v["growth"])]
        for form, v in n.items()
        if isinstance(v, dict)
    ]  # fmt: skip
    return section(
        "Nesting",
        f"Readers of markup nested ever deeper; {n.get('note', '')}.",
        table(["form", "depths", "times", "growth"], rows),
    )


def tricks(r: dict) -> str:
    t = r["tricks"]
    rows = [
        [name, f"`{v['command']}`", f"{v['with_s']} s", f"{v['without_s']} s", f"**{v['saving_pct']} %**"]
        for name, v in t.items()
        if isinstance(v, dict)
    ]  # fmt: skip
    return section(
        "Speed tricks",
        "Each trick the code keeps to be fast, its command with and without it (the trick "
        f"undone in the same process), and what it saves; {t['goal']}, or it goes.",
        table(["trick", "command", "with", "without", "saves"], rows),
    )


PARTS = (
    ("setup_and_tests", setup),
    ("build_vs_import_floor", build),
    ("read_only_latency", read_only),
    ("scaling", scaling),
    ("per_mb", per_mb),
    ("html_vs_pandas_read_html", html),
    ("diff_100k", diff),
    ("nesting", nesting),
    ("tricks", tricks),
)


def report(results: dict) -> str:
    """The page, from the results (each part the results hold)."""
    m = results.get("machine", {})
    text = HEADER + (
        f"\nThe latest run: Python {m.get('python', '?')}, {m.get('cpus', '?')} cores, "
        f"{m.get('platform', '?')}.\n"
    )
    for key, render in PARTS:
        if key in results:
            text += render(results)
    return text


def main(argv: list[str]) -> int:
    """Write docs/benchmark.md, or with ``--check`` exit 1 when it is stale."""
    made = report(json.loads(RESULTS.read_text("utf-8")))
    if "--check" in argv:
        if not PAGE.exists() or PAGE.read_text("utf-8") != made:
            print(f"{PAGE} is not what {RESULTS.name} gives: run tests/benchmark_report.py")
            return 1
        return 0
    PAGE.write_text(made, "utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
