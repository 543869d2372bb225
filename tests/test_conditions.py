"""Conditions: a flow the page requires only in some deployments carries the condition
its Details state (the ``condition`` column, from the vocabulary's wordings), on the
transport half the condition is about; ``query`` and ``export`` leave such flows out
with ``--without``, and the export's summary counts them."""

from __future__ import annotations

import csv
import io
import json

from cli_args import export_args

from conftest import ROOT
from pipeline.cli import main
from pipeline.dataset.query import load_ports
from pipeline.page.vocabulary import load


def rows_of(out):
    return load_ports(out)


def check_edt(rows):
    """EDT on exactly the UDP halves of the rows whose Details say EDT needs UDP."""
    vocab = load()
    edt = next(c for c in vocab.conditions if c.id == "edt")
    said = [r for r in rows if any(w in r["details"].casefold() for w in edt.wordings)]
    assert said, "no row of the page states EDT"
    for r in rows:
        stated = r in said
        assert (r["condition"] == "edt") == (stated and r["protocol"] == "udp"), r
    # a "TCP, UDP" row: its TCP half is always required
    both = {r["rule_id"] for r in said if r["protocol"] == "tcp"}
    assert both and all(
        r["condition"] == "" for r in said if r["rule_id"] in both and r["protocol"] == "tcp"
    )


def test_the_french_build_marks_edt_and_the_proxy_condition(built):
    rows = rows_of(built[0])
    check_edt(rows)
    proxy = [r for r in rows if r["condition"] == "hypervisor-update-proxy"]
    assert [(r["protocol"], r["port_start"]) for r in proxy] == [("tcp", 3128)]
    conditions = {r["condition"] for r in rows}
    assert conditions == {
        "",
        "edt",
        "hypervisor-update-proxy",
        "subscription-replication",
        "high-availability",
        "cluster",
    }


def pairs_of(rows, condition):
    return {
        (r["section_id"], r["source_id"], r["destination_id"], r["protocol"], r["port_start"])
        for r in rows
        if r["condition"] == condition
    }


def test_high_availability_and_clusters_are_conditions_in_both_languages(built, english_built):
    """A pair or a cluster is read from the Details or an end's name; the two pages mark
    the same flows (the French Citrix ADM table has one more HA row: 5005)."""
    fr, en = rows_of(built[0]), rows_of(english_built)
    ha_fr, ha_en = pairs_of(fr, "high-availability"), pairs_of(en, "high-availability")
    assert ha_en and ha_en <= ha_fr
    assert {p[4] for p in ha_fr - ha_en} == {5005}  # Citrix ADM's HA heartbeat
    assert {p[4] for p in ha_fr} >= {3003, 3008, 3010, 22, 5454}
    assert pairs_of(fr, "cluster") == pairs_of(en, "cluster")
    assert {p[4] for p in pairs_of(fr, "cluster")} == {7000, 8892, 21064, 5404, 5405}
    # the ICMP reachability of Citrix ADM names the HA secondary among others: no condition
    for rows in (fr, en):
        icmp = [
            r for r in rows if r["source_id"] == "netscaler-console" and r["protocol"] == "icmp"
        ]
        assert icmp and all(r["condition"] == "" for r in icmp)


def test_the_english_page_marks_the_same_conditions(english_built):
    rows = rows_of(english_built)
    check_edt(rows)
    assert any(
        r["condition"] == "subscription-replication" and r["port_start"] == 808 for r in rows
    )


def test_without_leaves_out_exactly_the_flows_of_the_condition(built, capsys, tmp_path):
    amap = ROOT / "examples" / "address-map.yaml"
    rows = rows_of(built[0])
    edt_ids = {r["rule_id"] for r in rows if r["condition"] == "edt"}

    def rules(*extra):
        code = main(export_args("nftables", str(amap), str(built[0]), *extra))
        out = capsys.readouterr()
        assert code == 0, out.err
        return {ln.strip() for ln in out.out.splitlines() if "accept comment" in ln}, out.err

    every, _ = rules()
    without, err = rules("--without", "edt")
    gone = every - without
    assert gone and without < every
    for line in gone:  # only UDP rules, each of an EDT row
        assert " udp dport " in line and line.split('"citrix-ports ')[1].rstrip('"') in edt_ids
    assert "required only under a condition left out (--without)" in err
    # query answers the same
    assert main(["query", "--data", str(built[0]), "--without", "edt", "--format", "json"]) == 0
    answered = json.loads(capsys.readouterr().out)
    assert len(answered) == len(rows) - sum(r["condition"] == "edt" for r in rows)
    assert all(r["condition"] != "edt" for r in answered)


def test_a_condition_the_data_lacks_is_refused_with_those_it_has(built, capsys):
    for argv in (
        ["query", "--without", "edx"],
        [
            "export",
            "nftables",
            "--addresses",
            str(ROOT / "examples" / "address-map.yaml"),
            "--without",
            "edx",
        ],
    ):
        assert main([*argv, "--data", str(built[0])]) == 2
        err = capsys.readouterr().err
        assert "'edx'" in err and "edt" in err


def test_the_published_csv_declares_the_column(built):
    header = next(csv.reader(io.StringIO((built[0] / "ports.csv").read_text("utf-8"))))
    assert "condition" in header
    package = json.loads((built[0] / "datapackage.json").read_text("utf-8"))
    fields = next(r for r in package["resources"] if r["name"] == "ports")["schema"]["fields"]
    assert any(f["name"] == "condition" for f in fields)
