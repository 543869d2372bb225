"""citrix-ports diff on two real versions: the French snapshot and an edited copy."""

from __future__ import annotations

import json
import subprocess

import pytest
from cli_args import build_args

from conftest import ENGLISH, SNAPSHOT, run_cli, unreported
from pipeline.cli import main

OLD_LICENCE = "Serveur de licences Citrix"
NEW_LICENCE = "Serveur de licences Cloud"


def edited_snapshot() -> str:
    """The French snapshot with: a port changed (line 242, StoreFront -> Serveur FAS,
    80 -> 8080), a row added (Remote PC Access), a row removed (line 259, Serveur TFTP),
    a row moved (line 271 above line 270) and the destination 'Serveur de licences
    Citrix' renamed everywhere (lines 180, 182, 184, 321; not the section heading)."""
    lines = SNAPSHOT.read_text("utf-8").splitlines()
    n = {i + 1: line for i, line in enumerate(lines)}
    assert n[242].startswith("StoreFront | Serveur FAS | TCP | 80 |")
    n[242] = n[242].replace("| TCP | 80 |", "| TCP | 8080 |")
    for i in (180, 182, 184):
        assert f"| {OLD_LICENCE} |" in n[i]
        n[i] = n[i].replace(f"| {OLD_LICENCE} |", f"| {NEW_LICENCE} |")
    assert n[321].startswith(f"{OLD_LICENCE} | TCP | 27000")
    n[321] = n[321].replace(OLD_LICENCE, NEW_LICENCE, 1)
    assert n[259].startswith("Serveur TFTP | UDP | 6910 |")
    del n[259]
    assert n[276].startswith("Proxy WOL | Virtual Delivery Agent | TCP | 135")
    n[276] = (
        n[276]
        + "\nPoste de travail administrateur | Proxy WOL | TCP | 8443 | Administration du proxy WOL |"
    )
    n[270], n[271] = n[271], n[270]
    return "\n".join(n[k] for k in sorted(n)) + "\n"


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    base = tmp_path_factory.mktemp("diff")
    (base / "new.txt").write_text(edited_snapshot(), "utf-8")
    for name, src in (("old", SNAPSHOT), ("new", base / "new.txt")):
        assert main(build_args(str(src), str(base / name))) == 0
    return base


def run_diff(*args, capsys):
    code = main(["diff", *args])
    return code, capsys.readouterr()


def test_every_change_is_found(versions, capsys):
    code, out = run_diff(
        str(versions / "old"),
        str(versions / "new"),
        "--format",
        "json",
        "--exit-code",
        capsys=capsys,
    )
    assert code == 1
    d = json.loads(out.out)
    s = d["summary"]
    assert (s["added"], s["removed"], s["changed"], s["renamed"]) == (1, 1, 1, 1)
    assert d["renamed"] == [
        {"field": "destination", "old": OLD_LICENCE, "new": NEW_LICENCE, "rows": 9, "id": ""}
    ]
    [added] = d["added"]
    assert (
        added["section"],
        added["source"],
        added["destination"],
        added["protocol"],
        added["port_start"],
        added["port_end"],
    ) == ("Remote PC Access", "Poste de travail administrateur", "Proxy WOL", "tcp", 8443, 8443)
    [removed] = d["removed"]
    assert (
        removed["section"],
        removed["source"],
        removed["destination"],
        removed["protocol"],
        removed["port_start"],
    ) == ("Provisioning Services", "Machine cible", "Serveur TFTP", "udp", 6910)
    [changed] = d["changed"]
    assert changed["fields"] == ["port_start", "port_end", "port_raw"]
    assert (changed["old"]["port_start"], changed["new"]["port_start"]) == (80, 8080)
    assert (
        changed["key"]["source"] == "StoreFront" and changed["key"]["destination"] == "Serveur FAS"
    )
    # the moved row (Serveur d'impression universelle) is no change; counts per section
    assert {x["section"]: (x["old"], x["new"]) for x in d["sections"]} == {
        "Remote PC Access": (2, 3),
        "Provisioning Services": (25, 24),
    }  # counted on lines 248-266 (line 257's UDP 66 is an option number: erratum)


def test_text_and_markdown(versions, capsys):
    _, out = run_diff(str(versions / "old"), str(versions / "new"), capsys=capsys)
    text = out.out
    assert "1 added, 1 removed, 1 changed, 1 renamed (9 rows)" in text
    assert f"renamed destination: '{OLD_LICENCE}' → '{NEW_LICENCE}' (9 rows)" in text
    assert "+ [Remote PC Access] Poste de travail administrateur → Proxy WOL tcp/8443" in text
    assert "    port_start: 80 → 8080" in text
    _, out = run_diff(
        str(versions / "old"), str(versions / "new"), "--format", "markdown", capsys=capsys
    )
    md = out.out
    assert md.startswith("### Citrix ports: ports:")
    assert f"| destination | {OLD_LICENCE} | {NEW_LICENCE} | 9 |" in md
    assert (
        "#### Provisioning Services" in md
        and "| removed | Machine cible → Serveur TFTP udp/6910 |  |" in md
    )


def test_a_version_against_itself(versions, capsys):
    code, out = run_diff(str(versions / "old"), str(SNAPSHOT), "--exit-code", capsys=capsys)
    assert code == 0 and "no difference" in out.out
    code, out = run_diff(
        str(versions / "old"),
        str(versions / "old" / "ports.csv"),
        "--exit-code",
        "--format",
        "json",
        capsys=capsys,
    )
    assert code == 0 and json.loads(out.out)["summary"]["same"] is True


def test_rules_table(versions, capsys):
    code, out = run_diff(
        str(versions / "old"),
        str(versions / "new"),
        "--table",
        "rules",
        "--format",
        "json",
        capsys=capsys,
    )
    d = json.loads(out.out)
    assert d["summary"]["table"] == "rules"
    assert d["renamed"] == [
        {"field": "destination", "old": OLD_LICENCE, "new": NEW_LICENCE, "rows": 9, "id": ""}
    ]
    assert len(d["added"]) == 1 and len(d["removed"]) == 1 and len(d["changed"]) == 1


def test_errors_exit_2(versions, tmp_path, capsys):
    code, out = run_diff(
        str(tmp_path / "nope"), str(versions / "old"), "--exit-code", capsys=capsys
    )
    assert code == 2 and "no such file" in out.err
    code, out = run_diff(
        str(versions / "old" / "rules.csv"), str(versions / "old" / "ports.csv"), capsys=capsys
    )
    assert code == 2 and "cannot compare a rules table" in out.err
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    code, out = run_diff(str(bad), str(versions / "old"), capsys=capsys)
    assert code == 2 and "not a published table" in out.err


def test_git_ref(versions, tmp_path):
    repo = tmp_path / "repo"
    (repo / "build").mkdir(parents=True)
    for name in ("ports.csv", "rules.csv"):
        (repo / "build" / name).write_bytes((versions / "old" / name).read_bytes())
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "build"], check=True)
    subprocess.run(git + ["commit", "-qm", "build"], check=True)
    done = run_cli("diff", "git:HEAD", str(versions / "new"), "--exit-code", cwd=repo)
    assert done.returncode == 1 and "renamed destination" in done.stdout
    done = run_cli("diff", "git:HEAD", "build", "--exit-code", cwd=repo)
    assert done.returncode == 0, done.stderr
    done = run_cli("diff", "git:nope", "build", cwd=repo)
    assert done.returncode == 2 and "git:nope" in done.stderr


@pytest.mark.parametrize("table", ["ports", "rules", "rejects", "components"])
def test_the_diff_misses_nothing_on_real_pairs_of_versions(table, versions, tmp_path):
    """Every row of either side is paired, added or removed, and every field that differs
    within a pair is reported (a changed field or a rename): on the edited French page,
    and on the French page against the English one (another language, another version)."""
    from pipeline.diff import diff, load

    md = ENGLISH
    english = tmp_path / "en"
    assert main(build_args(str(md), str(english), "--locale", "en-us")) == 0
    for old, new in ((versions / "old", versions / "new"), (versions / "old", english)):
        d = diff(load(str(old), table), load(str(new), table))
        assert unreported(d) == [], (table, new)


def test_a_column_a_newer_version_adds_says_what_its_rows_hold(built, tmp_path, capsys):
    """A build of an earlier version (without the condition column) against today's: the
    diff names the column and counts the values its rows hold."""
    import csv
    import io
    import shutil
    from collections import Counter

    from pipeline.cli import main

    old = tmp_path / "old"
    shutil.copytree(built[0], old)
    rows = list(csv.DictReader(io.StringIO((old / "ports.csv").read_text("utf-8"))))
    columns = [c for c in rows[0] if c != "condition"]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (old / "ports.csv").write_text(out.getvalue(), "utf-8")
    assert main(["diff", str(old), str(built[0])]) == 0
    text = capsys.readouterr().out
    held = Counter(r["condition"] for r in rows if r["condition"])
    assert len(held) > 1
    counts = ", ".join(f"{value} {n}" for value, n in sorted(held.items()))
    assert f"column added: condition ({held.total()} rows hold a value: {counts})" in text
