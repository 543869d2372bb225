"""``build --previous``: an id inferred from the previous build, with its evidence.

The English source (tests/data) built once; then the same page with one component's cell
rewritten to a name no registry rule knows: with ``--previous`` the name takes the id it
had, marked ``inferred``, with the paired lines, and ``--strict`` passes; where its rows
no longer pair one to one (a port changed, a row added), nothing is inferred and
``--strict`` fails on it.
"""

from __future__ import annotations

import json
import re

import pytest
from cli_args import build_args

from conftest import ENGLISH as EN
from pipeline.cli import main

OLD, NEW = "Admin Workstation", "Administrator Console Host"
CELL = re.compile(rf"(?<=\| ){re.escape(OLD)}(?= +\|)")


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    out = tmp_path_factory.mktemp("prev") / "build"
    assert main(build_args(str(EN), str(out), "--allow-unrecorded")) == 0
    return out


def rewritten(tmp_path, change=lambda text: text):
    text = CELL.sub(NEW, EN.read_text("utf-8"))
    assert NEW in text
    page = tmp_path / "page.md"
    changed = change(text)
    assert changed != text or change(text) is text
    page.write_text(changed, "utf-8")
    return page


def build(page, out, *extra) -> int:
    return main(build_args(str(page), str(out), "--allow-unrecorded", *extra))


def ids(out) -> list[tuple]:
    import csv

    with open(out / "ports.csv", encoding="utf-8", newline="") as f:
        return [(r["source_id"], r["destination_id"]) for r in csv.DictReader(f)]


def by_line(out) -> dict[int, set[str]]:
    """The names and ids each source line's ports rows write."""
    import csv

    found: dict[int, set[str]] = {}
    with open(out / "ports.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            found.setdefault(int(r["source_line"]), set()).update(
                {r["source"], r["destination"], r["source_id"], r["destination_id"]}
            )
    return found


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_a_renamed_cell_takes_the_id_it_had(previous, tmp_path, capsys):
    page = rewritten(tmp_path)
    assert build(page, tmp_path / "strict", "--strict") == 4  # unknown without --previous
    assert NEW in capsys.readouterr().err
    out = tmp_path / "out"
    assert build(page, out, "--strict", "--previous", str(previous)) == 0
    err = capsys.readouterr().err
    assert ids(out) == ids(previous)  # every row keeps the ids it had
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    (inferred,) = manifest["inferred"]
    assert inferred["name"] == NEW and inferred["id"] == "admin-workstation"
    assert inferred["previous_names"] == [OLD]
    assert len(inferred["pairs"]) > 3
    old_rows, new_rows = by_line(previous), by_line(out)
    for new, old in inferred["pairs"]:  # a row of the name, paired with a row of the id
        assert NEW in new_rows[new] and "admin-workstation" in old_rows[old]
    assert manifest["counts"]["names_found_by"]["inferred"] == 1
    assert manifest["counts"]["unknown_names"]["components"] == 0
    assert f"{NEW!r} was given the id 'admin-workstation' inferred from the previous build (" in err


@pytest.mark.parametrize(
    "change",
    [
        # one of its rows now opens another port: the rows no longer pair one to one
        lambda t: re.sub(rf"(\| {NEW} +\|[^\n]*?\| TCP +\| )(\d+)", r"\g<1>65001", t, count=1),
        # a row of its own, with no previous row to pair with
        lambda t: (
            t.replace(f"| {NEW} |", f"| {NEW} |", 1)
            + f"\n\n## Extra\n\n| Source | Destination | Type | Port | Details |\n"
            f"|---|---|---|---|---|\n| {NEW} | Delivery Controller | TCP | 65002 | x |\n"
        ),
    ],
    ids=["a-port-changed", "a-row-added"],
)
def test_no_id_is_inferred_without_one_to_one_evidence(previous, tmp_path, capsys, change):
    page = rewritten(tmp_path, change)
    assert build(page, tmp_path / "out", "--strict", "--previous", str(previous)) == 4
    assert f"'{NEW}' is not in the component registry" in capsys.readouterr().err


def test_previous_must_be_a_build(tmp_path, capsys):
    page = rewritten(tmp_path)
    assert build(page, tmp_path / "out", "--previous", str(tmp_path / "nothing")) == 2
    assert "no published build there" in capsys.readouterr().err


def row(line, src, sid, dst, did, port, section="s"):
    return {
        "source_line": line, "section_id": section, "source": src, "source_id": sid,
        "destination": dst, "destination_id": did, "protocol": "tcp",
        "port_start": port, "port_end": port,
    }  # fmt: skip


def test_infer_on_five_rows():
    from pipeline.stages.infer import infer

    before = [
        row(1, "Old", "x", "DC", "dc", 80),
        row(2, "SF", "sf", "DC", "dc", 80),
        row(3, "Old", "x", "DC", "dc", 443),
        row(4, "Other", "y", "DC", "dc", 443),
    ]
    # the same rows with Old renamed New: paired one to one, the id of Old
    now = [row(10, "New", "", "DC", "dc", 80), row(11, "SF", "sf", "DC", "dc", 80), row(12, "New", "", "DC", "dc", 443), row(13, "Other", "y", "DC", "dc", 443)]  # fmt: skip
    (got,) = infer(now, before, {"New"})
    assert (got.id, got.pairs, got.previous_names) == ("x", [(10, 1), (12, 3)], ["Old"])
    # Other renamed too, at a key it shares with New: no evidence for either there
    both = [r if r["source"] != "Other" else {**r, "source": "Else", "source_id": ""} for r in now]
    assert [i.name for i in infer(both, before, {"New", "Else"})] == []
    # New's rows pair with the rows of two ids: none
    two = [row(10, "New", "", "DC", "dc", 80), row(12, "New", "", "DC", "dc", 443), row(11, "SF", "sf", "DC", "dc", 80)]  # fmt: skip
    assert infer(two, before, {"New"}) == []
    # a row in a section without id: no evidence
    assert infer([{**now[0], "section_id": ""}], before, {"New"}) == []


def test_components_say_how_each_name_found_its_id(previous, tmp_path):
    import csv

    out = tmp_path / "out"
    assert build(rewritten(tmp_path), out, "--previous", str(previous)) == 0
    with open(out / "components.csv", encoding="utf-8", newline="") as f:
        rows = {r["component_id"]: r for r in csv.DictReader(f)}
    admin = rows["admin-workstation"]
    names, rules = admin["page_names"].split(" | "), admin["found_by"].split(" | ")
    assert len(names) == len(rules) and dict(zip(names, rules))[NEW] == "inferred"
    assert all(r["found_by"] for r in rows.values() if r["page_names"])


def test_align_writes_the_entry_of_the_name_the_registry_lacks(previous, tmp_path, capsys):
    """align of the previous build with the new one proposes the known entry with the
    new name added; once reviewed (status dropped) and put in place of the registry's
    entry, the name resolves as an alias."""
    import tomllib

    from pipeline.registry.components import REGISTRY_FILE, Registry

    out = tmp_path / "out"
    assert build(rewritten(tmp_path), out, "--previous", str(previous)) == 0
    capsys.readouterr()
    assert main(["align", str(previous), str(out)]) == 0
    proposals = tomllib.loads(capsys.readouterr().out)  # valid TOML: one key per locale
    entry = proposals["component"]["admin-workstation"]
    assert NEW in entry["aliases"]["en-us"] and entry.pop("status") == "proposed"
    data = tomllib.loads(REGISTRY_FILE.read_text("utf-8"))
    kept = data["component"]["admin-workstation"]
    assert {k: v for k, v in entry.items() if k != "aliases"} == {
        k: kept[k] for k in ("name", "kind", "family")
    }
    data["component"]["admin-workstation"] = {**kept, **entry}
    assert Registry.from_data(data).component_found(NEW) == ("admin-workstation", "alias")
