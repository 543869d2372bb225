"""Unit rules of the ports, errata and diff stages on five-row inline tables.

Each table is written here by hand to test one rule; the real pages are tested elsewhere.
"""

from __future__ import annotations

import json

import pytest

from conftest import unreported
from pipeline.dataset.published import csv_text, parse
from pipeline.dataset.schema import columns, typed_frame
from pipeline.diff import diff, render
from pipeline.stages.errata import Erratum
from pipeline.stages.ports import ports_frame
from pipeline.stages.rules import rule_id


def rules(*rows: tuple) -> object:
    """A rules frame from (section, source, destination, type, port, details) tuples."""
    records = []
    for n, (section, src, dst, typ, port, details) in enumerate(rows, start=1):
        rec = dict(
            section=section,
            section_path=section,
            table=1,
            row=n,
            source=src,
            destination=dst,
            type_raw=typ,
            port_raw=port,
            details=details,
            kind="flow" if typ or port else "note",
            source_inherited=False,
            destination_inherited=False,
            type_inherited=False,
            problems="",
            source_line=n + 2,
        )
        rec["rule_id"] = rule_id(rec)
        records.append(rec)
    return typed_frame("rules", records)


# -- ports ----------------------------------------------------------------------------------


def test_ports_stage_expands_rejects_and_notes():
    r = rules(
        ("S", "A", "B", "TCP, UDP", "53, 389", "dns"),
        ("S", "A", "B", "TCP", "80, 80", "the same port twice"),
        ("S", "A", "B", "ICMP", "7", "ping with a port"),
        ("S", "A", "C", "UDP", "S/O", "no port"),
        ("S", "", "", "", "", "a note row"),
    )
    out = ports_frame(r, [], "fr-fr")
    got = sorted((p.rule_id, p.protocol, p.port_start) for p in out.ports.itertuples())
    ids = list(r["rule_id"])
    assert [(p, s) for rid, p, s in got if rid == ids[0]] == [
        ("tcp", 53),
        ("tcp", 389),
        ("udp", 53),
        ("udp", 389),
    ]
    # "80, 80" is one flow: the repeated port is published once
    assert [(p, s) for rid, p, s in got if rid == ids[1]] == [("tcp", 80)]
    assert list(out.rejects["rule_id"]) == [ids[2]]
    assert out.rejects["reason"][0] == "ICMP has no ports, but the Port cell is '7'"
    no_port = out.ports[out.ports["rule_id"] == ids[3]]
    assert no_port["port_start"].isna().all() and list(no_port["protocol"]) == ["udp"]
    assert out.notes == [ids[4]]


def test_a_row_the_reader_marked_is_rejected_unless_an_erratum_vouches():
    r = rules(("S", "A", "B", "TCP", "22", "ssh"), ("S", "A", "B", "TCP", "23", "telnet"))
    r.loc[0, "problems"] = "ambiguous: …"
    r.loc[1, "problems"] = "ambiguous: …"
    vouch = Erratum(
        "ok",
        {"port_raw": "23"},
        ({},),
        "checked against the English page",
        "x",
        resolves=("ambiguous",),
    )
    out = ports_frame(r, [vouch], "fr-fr")
    assert list(out.rejects["rule_id"]) == [r["rule_id"][0]]
    assert out.rejects["reason"][0].startswith("the reader marked the row: ambiguous")
    assert list(out.ports["port_start"]) == [23]
    assert out.errata_applied == {"ok": [r["rule_id"][1]]}
    # an erratum that corrects a cell but answers none of the problems vouches for nothing
    fix = Erratum("fix", {"port_raw": "23"}, ({"details": "Telnet"},), "typo", "x")
    out = ports_frame(r, [fix], "fr-fr")
    assert len(out.rejects) == 2 and out.ports.empty


# -- errata ---------------------------------------------------------------------------------


def test_errata_apply_in_order_split_rows_and_report_stale():
    r = rules(
        ("S", "A", "B", "TCP", "8O", "typo in the port"),
        ("S", "A", "B", "TCP/UDP", "53, 389", "pairs not spelt out"),
        ("S", "A", "D", "TCP", "1", "untouched"),
    )
    errata = [
        Erratum("typo", {"port_raw": "8O"}, ({"port_raw": "80"},), "typo", "page"),
        Erratum("then", {"port_raw": "80"}, ({"details": "fixed twice"},), "order", "page"),
        Erratum(
            "split",
            {"type_raw": "TCP/UDP"},
            ({"type_raw": "TCP", "port_raw": "389"}, {"type_raw": "UDP", "port_raw": "53"}),
            "pairs",
            "English page",
        ),
        Erratum("gone", {"port_raw": "99999"}, ({"port_raw": "9"},), "stale", "page"),
        Erratum("other-locale", {"port_raw": "99999"}, ({},), "en only", "page", "en-us"),
    ]
    out = ports_frame(r, errata, "fr-fr")
    p = {(x.rule_id, x.protocol, x.port_start): x for x in out.ports.itertuples()}
    ids = list(r["rule_id"])
    assert p[(ids[0], "tcp", 80)].details == "fixed twice"
    assert p[(ids[0], "tcp", 80)].erratum == "typo,then"
    assert {k[1:] for k in p if k[0] == ids[1]} == {("tcp", 389), ("udp", 53)}
    assert out.errata_stale == ["gone"]  # the en-us erratum is neither applied nor stale


# -- diff -----------------------------------------------------------------------------------

BASE = [
    ("Sec", "A", "B", "tcp", 80, "web"),
    ("Sec", "A", "B", "tcp", 443, "web"),
    ("Sec", "A", "Licence", "tcp", 27000, "lic"),
    ("Sec", "C", "Licence", "tcp", 7279, "lic"),
    ("Sec", "C", "D", "udp", 53, "dns"),
]


def ports_table(rows, label, ids=None):
    """Ports rows; ``ids`` maps a name to its registry id (else the id is empty)."""
    ids = ids or {}
    recs = []
    for n, (sec, src, dst, proto, port, details) in enumerate(rows, start=1):
        recs.append(
            dict(
                rule_id=f"{n:016x}",
                section=sec,
                source=src,
                destination=dst,
                protocol=proto,
                service="",
                port_start=port,
                port_end=port,
                bidirectional=False,
                type_raw=proto.upper(),
                port_raw=str(port),
                details=details,
                table=1,
                row=n,
                source_line=n,
                erratum="",
                condition="",
                derived_from="",
                section_id=ids.get(sec, ""),
                source_id=ids.get(src, ""),
                destination_id=ids.get(dst, ""),
            )
        )
    return parse(csv_text(recs, columns("ports")), label, "ports")


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


@pytest.mark.parametrize(
    "cell, problem",
    [
        ("port_start=abc", "column port_start: 'abc' is not an integer"),
        ("port_start=70000", "column port_start: 70000 is above the maximum 65535"),
        ("protocol=tcp; drop", "column protocol: 'tcp; drop' is not one of"),
        ("rule_id=x", "column rule_id: 'x' does not match"),
        ("row=0", "column row: 0 is below the minimum 1"),
        ("destination=", "column destination: is empty but required"),
        ("table=", "column table: is empty but required"),
        ("bidirectional=1", "column bidirectional: '1' is not true or false"),
    ],
)
def test_a_published_table_is_checked_cell_by_cell(cell, problem):
    col, value = cell.split("=", 1)
    table = ports_table(BASE, "t")
    rows = [dict(r) for r in table.rows]
    rows[2][col] = value
    with pytest.raises(Exception) as err:
        parse(csv_text(rows, table.columns), "ports.csv", "ports")
    assert f"line 4, {problem}" in str(err.value)


# -- export plan ---------------------------------------------------------------------------


def plan_rows(*rows: tuple) -> list[dict]:
    """Published ports records from (section, source, destination, protocol, start, end,
    bidirectional) tuples."""
    return [
        dict(
            rule_id=f"{n:016x}",
            section=sec,
            source=src,
            destination=dst,
            protocol=p,
            service="",
            port_start=a,
            port_end=b,
            bidirectional=both,
            type_raw=p.upper(),
            port_raw="" if a is None else str(a),
            details="d",
            table=1,
            row=n,
            source_line=n,
            erratum="",
            condition="",
            derived_from="",
        )
        for n, (sec, src, dst, p, a, b, both) in enumerate(rows, start=1)
    ]


def address_map(**nets):
    from pipeline.export.addresses import AddressMap, Entry, _net

    return AddressMap(
        [
            Entry(k.replace("_", " "), n, "exact", None, [_net(v) for v in vs])
            for n, (k, vs) in enumerate(nets.items(), start=1)
        ]
    )


def test_plan_merges_reverses_and_says_what_it_left_out():
    from pipeline.export.plan import plan

    rows = plan_rows(
        ("S1", "A", "B", "tcp", 443, 443, False),
        ("S2", "A", "B", "tcp", 443, 443, False),  # the same flow, twice
        ("S1", "B", "C", "tcp", 80, 80, True),  # both ways
        ("S1", "A", "B", "udp", None, None, False),  # no port
        ("S1", "A", "D", "icmp", None, None, False),
    )  # D has no address
    p = plan(rows, address_map(A=["10.0.0.1"], B=["10.0.0.2"], C=["10.0.0.3"]))
    got = [(r.rule_ids, r.source, r.destination, r.protocol, r.ports, r.reverse) for r in p.rules]
    assert got == [
        (("0000000000000001", "0000000000000002"), "A", "B", "tcp", "443", False),
        (("0000000000000003",), "B", "C", "tcp", "80", False),
        (("0000000000000003",), "C", "B", "tcp", "80", True),
    ]
    assert p.rules[0].sections == ("S1", "S2") and p.merged == 1
    assert [r["rule_id"] for r in p.portless] == ["0000000000000004"]
    assert p.unmapped == {"D": 1}


def test_plan_refuses_values_that_are_not_a_rule():
    from pipeline.export.plan import plan

    for bad in (
        {"port_start": "22 accept"},
        {"protocol": "tcp;"},
        {"port_end": 70000},
        {"rule_id": "x"},
    ):
        row = {**plan_rows(("S", "A", "B", "tcp", 22, 22, False))[0], **bad}
        with pytest.raises(ValueError):
            plan([row], address_map(A=["10.0.0.1"], B=["10.0.0.2"]))


# -- align ---------------------------------------------------------------------------------


def test_align_pairs_rows_in_order_then_by_details():
    """Rows that share a signature but are listed in another order pair by the words their
    details keep across languages; rows with other ports never pair."""
    from pipeline.registry.align import AlignedRule as Row
    from pipeline.registry.align import pair_rows

    tcp = lambda *ports: tuple(("tcp", p, p) for p in ports)  # noqa: E731
    left = [
        Row("S", "A", "B", tcp(443), 1, "NITRO via HTTPS"),
        Row("S", "A", "C", tcp(22), 2, "accès SSH"),
        Row("S", "A", "D", tcp(22), 3, "synchronisation rsync"),
        Row("S", "A", "E", tcp(9000), 4, "x"),
    ]
    right = [
        Row("S", "a", "b", tcp(443), 10, "NITRO over HTTPS"),
        Row("S", "a", "d", tcp(22), 11, "rsync synchronization"),
        Row("S", "a", "c", tcp(22), 12, "SSH access"),
        Row("S", "a", "e", tcp(9001), 13, "x"),
    ]
    pairs = {(a.destination, b.destination) for a, b in pair_rows(left, right)}
    assert pairs == {("B", "b"), ("C", "c"), ("D", "d")}


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
