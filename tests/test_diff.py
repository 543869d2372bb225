"""citrix-ports diff on two real versions: the French snapshot and an edited copy."""

from __future__ import annotations

import json
import subprocess

import pytest
from cli_args import build_args
from five_rows import BASE, ports_table

from conftest import ENGLISH, ROOT, SNAPSHOT, run_cli, unreported
from pipeline.cli import main
from pipeline.diff import diff, render

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


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
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


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
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


def test_diff_ignores_order_and_reports_changes():
    same = diff(ports_table(BASE, "old"), ports_table(list(reversed(BASE)), "new"))
    assert same.same
    new = list(BASE)
    new[4] = ("Sec", "C", "D", "udp", 5353, "dns")
    d = diff(ports_table(BASE, "old"), ports_table(new, "new"))
    assert (len(d.added), len(d.removed), len(d.changed)) == (0, 0, 1)
    assert d.changed[0]["fields"] == ["port_start", "port_end", "port_raw"]


def test_a_rename_needs_two_rows():
    two = [r if r[2] != "Licence" else r[:2] + ("Cloud licence",) + r[3:] for r in BASE]
    d = diff(ports_table(BASE, "old"), ports_table(two, "new"))
    assert d.renamed == [
        {"field": "destination", "old": "Licence", "new": "Cloud licence", "rows": 2, "id": ""}
    ]
    assert not (d.added or d.removed or d.changed)
    one = list(BASE)
    one[2] = ("Sec", "A", "Cloud licence", "tcp", 27000, "lic")
    d = diff(ports_table(BASE, "old"), ports_table(one, "new"))
    assert d.renamed == [] and (len(d.added), len(d.removed)) == (1, 1)


def test_a_name_with_the_same_id_is_a_rewording_even_in_one_row():
    """Ids vouch for a rename: one row is enough, and a translated row whose details
    changed too is a changed row, not a row removed and added."""
    ids = {"Licence": "license-server", "Serveur de licences": "license-server"}
    one = list(BASE)
    one[2] = ("Sec", "A", "Serveur de licences", "tcp", 27000, "licence (fr)")
    d = diff(ports_table(BASE, "old", ids), ports_table(one, "new", ids))
    assert not (d.added or d.removed)
    assert d.renamed == [
        {
            "field": "destination",
            "old": "Licence",
            "new": "Serveur de licences",
            "rows": 1,
            "id": "license-server",
        }
    ]
    assert len(d.changed) == 1 and "details" in d.changed[0]["fields"]
    # without ids, the same change is a row removed and one added
    d = diff(ports_table(BASE, "old"), ports_table(one, "new"))
    assert d.renamed == [] and (len(d.added), len(d.removed)) == (1, 1)


def test_the_looser_key_pairs_only_one_to_one():
    """Two old and two new rows share the looser key: which pairs with which cannot be
    told, so they are listed as removed and added, not guessed as changed."""
    new = list(BASE)
    new[0] = ("Sec", "A", "B", "tcp", 8080, "web")
    new[1] = ("Sec", "A", "B", "tcp", 8443, "web")
    d = diff(ports_table(BASE, "old"), ports_table(new, "new"))
    assert d.changed == [] and (len(d.added), len(d.removed)) == (2, 2)
    new[1] = BASE[1]
    d = diff(ports_table(BASE, "old"), ports_table(new, "new"))
    assert len(d.changed) == 1 and d.changed[0]["old"]["port_start"] == 80


def test_diff_markdown_escapes_what_markdown_would_read():
    new = list(BASE)
    new.append(("S<b>ec</b> | x \\ y", "A", "B", "tcp", 1, "d"))
    text = render(diff(ports_table(BASE, "old"), ports_table(new, "new")), "markdown")
    assert "#### S&lt;b&gt;ec&lt;/b&gt; \\| x \\\\ y" in text
    assert "<b>" not in text
    assert json.loads(render(diff(ports_table(BASE, "o"), ports_table(new, "n")), "json"))


def test_two_names_of_the_same_rows_are_two_renames():
    new = [
        (s, "A2", "B2", p, n, d) if (a, b) == ("A", "B") else (s, a, b, p, n, d)
        for s, a, b, p, n, d in BASE
    ]
    d = diff(ports_table(BASE, "old"), ports_table(new, "new"))
    assert {(r["field"], r["old"], r["new"], r["rows"]) for r in d.renamed} == {
        ("source", "A", "A2", 2),
        ("destination", "B", "B2", 2),
    }
    assert not (d.added or d.removed or d.changed)
    assert unreported(d) == []


def test_a_rename_and_a_rewording_of_the_same_rows_are_both_reported():
    ids = {"B": "vda", "Virtual Delivery Agent": "vda"}
    new = [
        (s, "A2" if a == "A" else a, "Virtual Delivery Agent" if b == "B" else b, p, n, d)
        for s, a, b, p, n, d in BASE
    ]
    d = diff(ports_table(BASE, "old", ids), ports_table(new, "new", ids))
    assert {(r["field"], r["old"], r["new"], r["rows"], r["id"]) for r in d.renamed} == {
        ("source", "A", "A2", 3, ""),
        ("destination", "B", "Virtual Delivery Agent", 2, "vda"),
    }
    assert unreported(d) == []


def test_a_change_of_spacing_is_reported():
    new = [(s, a, "Broadcast/ PXE" if b == "D" else b, p, n, x) for s, a, b, p, n, x in BASE]
    old = [(s, a, "Broadcast/PXE" if b == "D" else b, p, n, x) for s, a, b, p, n, x in BASE]
    d = diff(ports_table(old, "old"), ports_table(new, "new"))
    assert not d.same and unreported(d) == []
    text = render(d, "text")
    assert "Broadcast/PXE" in text and "Broadcast/ PXE" in text  # both spellings shown


def test_the_judge_of_what_a_diff_misses_can_fail():
    d = diff(ports_table(BASE, "old"), ports_table(BASE[:4] + [BASE[4][:5] + ("x",)], "new"))
    assert unreported(d) == []
    d.changed[0]["fields"] = []  # a field left out
    assert unreported(d) == ["details: 'dns' -> 'x' is reported nowhere"]
    d.pairs.pop()
    assert any("placed" in p for p in unreported(d))
