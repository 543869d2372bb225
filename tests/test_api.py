"""The consumers' side: the Python API (typed tables, queries, clear and typed errors, from
an installed wheel), and the read-only commands importing no heavy library while giving
the bytes the full path gives."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from cli_args import export_args, run

from conftest import ROOT
from pipeline import api
from pipeline.errors import DataError, InputError

HEAVY = ("pandas", "pandera", "pyarrow", "numpy")


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ["query", "--port", "443", "--data", "build"],
        ["query", "--to", "storefront", "--format", "json", "--data", "build/ports.csv"],
        export_args("nftables", "examples/address-map.yaml", "build"),
        ["diff", "build/ports.csv", "build/ports.csv"],
        ["diff", "build", "build", "--table", "rules", "--format", "markdown"],
        ["query", "--help"],
        ["export", "--help"],
        ["diff", "--help"],
        ["build", "--help"],
        ["fetch", "--help"],
        ["completion", "bash"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_read_only_commands_import_no_heavy_library(argv):
    """In a child process: the command runs, and pandas, pandera, pyarrow and numpy were
    never imported (so the fast path cannot silently regress)."""
    code = (
        "import sys\nfrom pipeline.cli import main\n"
        "try:\n    status = main(sys.argv[1:])\nexcept SystemExit as exc:\n"
        "    status = exc.code\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\nsys.exit(status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stderr


def test_the_fast_path_and_the_full_path_give_the_same_bytes(built, capsys):
    """CSV (standard library) and Parquet (pyarrow) inputs of the same build give
    byte-identical answers, and the API's typed rows equal the DataFrame's."""
    out, _ = built
    for args in (
        ["query", "--port", "1494-2598", "--format", "json"],
        ["query", "controleur", "--format", "csv"],
        ["query", "--to", "storefront"],
        ["export", "nftables", "--addresses", str(ROOT / "examples" / "address-map.yaml")],
    ):
        answers = []
        for data in (out / "ports.csv", out / "ports.parquet"):
            code, text, _ = run(capsys, *args, "--data", str(data))
            assert code == 0
            answers.append(text)
        assert answers[0] == answers[1], args
    rows = api.read("ports", out)
    frame = api.load("ports", out)
    as_dicts = [
        {
            k: (
                None
                if v is None or v != v or str(v) == "<NA>"
                else v.item()
                if hasattr(v, "item")
                else v
            )
            for k, v in r.items()
        }
        for r in frame.astype(object).to_dict("records")
    ]
    assert as_dicts == rows


def test_api_types_and_query(built, capsys):
    out, _ = built
    frame = api.load("ports", out)
    assert {
        c: str(t)
        for c, t in frame.dtypes.items()
        if c in ("port_start", "port_end", "bidirectional", "protocol", "section", "table")
    } == {
        "port_start": "Int64",
        "port_end": "Int64",
        "bidirectional": "boolean",
        "protocol": "category",
        "section": "string",
        "table": "Int64",
    }
    assert list(frame["protocol"].cat.categories) == ["tcp", "udp", "icmp"]
    # ICMP rows have no port: a missing value, not a float
    assert frame.loc[frame["protocol"] == "icmp", "port_start"].isna().all()
    rules = api.load("rules", out)
    assert str(rules["kind"].dtype) == "category" and len(rules) == 220
    # line 289: Serveur StoreFront -> Contrôleur de domaine, TCP, UDP 389
    got = api.query(out, source="storefront", port=389)
    code, text, _ = run(
        capsys,
        "query",
        "--from",
        "storefront",
        "--port",
        "389",
        "--format",
        "json",
        "--data",
        str(out),
    )
    assert got == json.loads(text) and {r["protocol"] for r in got} == {"tcp", "udp"}
    assert api.manifest(out)["counts"]["rules"] == 220


def test_api_errors_are_clear(tmp_path, built):
    with pytest.raises(InputError) as err:
        api.read("ports", tmp_path / "nowhere")
    assert "no ports table here" in str(err.value) and "nowhere" in str(err.value)
    broken = tmp_path / "broken"
    shutil.copytree(built[0], broken)
    text = (broken / "ports.csv").read_text("utf-8").splitlines()
    text[2] = text[2].replace(",tcp,", ",tcpx,", 1)
    (broken / "ports.csv").write_text("\n".join(text) + "\n", "utf-8")
    with pytest.raises(DataError) as err:
        api.load("ports", broken)
    assert "line 3, column protocol: 'tcpx' is not one of" in str(err.value)
    with pytest.raises(InputError):
        api.manifest(tmp_path)


@pytest.mark.slow
def test_the_api_from_an_installed_wheel(tmp_path):
    """Build the wheel, install it in a new virtual environment (its dependencies taken
    from this one, offline), and use it from a directory outside the repository."""
    dist, venv = tmp_path / "dist", tmp_path / "venv"
    py = venv / "bin" / "python"
    boot = ROOT / ".uv" / "bin" / "uv"  # where make installs uv when it is not on PATH
    uv = shutil.which("uv") or (str(boot) if boot.exists() else "")
    if uv:  # the uv `make` set up with: the same wheel and install, in a second
        steps = [
            [uv, "build", "--wheel", "--no-build-isolation", "-q", "--python", sys.executable]
            + ["-o", str(dist), str(ROOT)],
            [uv, "venv", "-q", "--python", sys.executable, str(venv)],
        ]
    else:
        steps = [
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
            + ["-w", str(dist), str(ROOT)],
            [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        ]
    for argv in steps:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    wheel = next(dist.glob("citrix_ports-*.whl"))
    site = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # the dependencies (pandas, pyyaml, …) of this environment, after the venv's own
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = (
        [uv, "pip", "install", "-q", "--python", str(py), "--offline"]
        if uv
        else [sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-index"]
    )
    done = subprocess.run(
        [*install, "--no-deps", str(wheel)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    broken = elsewhere / "broken"  # a published table damaged after publication
    shutil.copytree(ROOT / "build", broken)
    (broken / "ports.csv").write_text(
        (broken / "ports.csv").read_text("utf-8").replace(",tcp,", ",tcp; drop,", 1), "utf-8"
    )
    script = (
        "import json, pipeline, pipeline.api as api\n"
        "assert 'site-packages' in pipeline.__file__, pipeline.__file__\n"
        "df = api.load('ports')\n"
        "def error(*args):\n"
        "  try: api.load(*args)\n"
        "  except Exception as e: return [type(e).__name__, str(e)]\n"
        "print(json.dumps({'file': pipeline.__file__, 'rows': len(df),\n"
        "  'dtypes': {c: str(df[c].dtype) for c in ('port_start', 'protocol', 'bidirectional')},\n"
        "  'query': api.query(destination='storefront', port=443),\n"
        "  'rules': api.manifest()['counts']['rules'],\n"
        "  'missing': error('ports', 'nope'), 'damaged': error('ports', 'broken')}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [py, "-c", script], cwd=elsewhere, capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["rows"] == len(api.read("ports", ROOT / "build"))
    assert got["dtypes"] == {
        "port_start": "Int64",
        "protocol": "category",
        "bidirectional": "boolean",
    }
    assert got["rules"] == 220
    cli = subprocess.run(
        [
            venv / "bin" / "citrix-ports",
            "query",
            "--to",
            "storefront",
            "--port",
            "443",
            "--format",
            "json",
        ],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == got["query"] and len(got["query"]) == 4
    kind, message = got["missing"]
    assert kind == "InputError" and "nope" in message
    kind, message = got["damaged"]
    assert kind == "DataError"
    assert "line 2, column protocol: 'tcp; drop' is not one of" in message


def test_api_users_read_typed_problems(built, tmp_path):
    """A damaged published table's problems are records a program reads: code, line,
    column, message (the command line prints them as words)."""
    from pipeline.errors import Problem

    out = tmp_path / "edited"
    shutil.copytree(built[0], out)
    lines = (out / "ports.csv").read_text("utf-8").split("\n")
    header = lines[0].split(",")
    cells = next(csv.reader([lines[4]]))
    cells[header.index("port_start")] = "0"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    lines[4] = buf.getvalue()
    (out / "ports.csv").write_text("\n".join(lines), "utf-8")
    with pytest.raises(DataError) as err:
        api.read("ports", out)
    found = [p for p in err.value.problems if p.column == "port_start"]
    assert found and isinstance(found[0], Problem)
    assert (found[0].line, found[0].code) == (5, "minimum")
    assert str(found[0]) == "line 5, column port_start: 0 is below the minimum 1"
