"""Published ports of the French snapshot, row by row for each grammar case.

Expected values are read from raw/citrix-communication-ports.txt (line numbers given).
"""

from __future__ import annotations

import pandas as pd
import pytest
from five_rows import rules

from pipeline.stages.errata import Erratum, load_errata
from pipeline.stages.ports import ports_frame


@pytest.fixture(scope="module")
def ports(built):
    out, _ = built
    return pd.read_csv(out / "ports.csv", dtype=str, keep_default_na=False)


def at(ports, line, **eq):
    rows = ports[ports["source_line"] == str(line)]
    for k, v in eq.items():
        rows = rows[rows[k] == v]
    return [
        (r.protocol, r.service, r.port_start, r.port_end, r.bidirectional)
        for r in rows.itertuples()
    ]


def test_port_list_gives_one_row_per_port(ports):
    # line 7: Poste de travail administrateur -> Gestion ... Citrix SDX, TCP, 80, 443
    assert at(ports, 7) == [("tcp", "", "80", "80", "false"), ("tcp", "", "443", "443", "false")]
    # line 105: TCP 139,445
    assert at(ports, 105) == [
        ("tcp", "", "139", "139", "false"),
        ("tcp", "", "445", "445", "false"),
    ]
    # line 32: TCP 4001, 5900, 623
    assert [r[2] for r in at(ports, 32)] == ["4001", "5900", "623"]


def test_tcp_udp_gives_one_row_per_transport(ports):
    # line 28: Serveur DNS, TCP, UDP, 53
    assert at(ports, 28) == [("tcp", "", "53", "53", "false"), ("udp", "", "53", "53", "false")]
    # line 209: UDP/TCP 53 to 9.9.9.9
    assert at(ports, 209) == [("udp", "", "53", "53", "false"), ("tcp", "", "53", "53", "false")]


def test_ranges(ports):
    # line 146 (Citrix Gateway) and 230 (CVAD): UDP 16500..16509
    assert at(ports, 146) == [("udp", "", "16500", "16509", "false")]
    assert at(ports, 230) == [("udp", "", "16500", "16509", "false")]
    # line 82: Ports RPC dynamiques | 49152–65535 | TCP (source from the erratum): the
    # service of the domain controllers the section's sentence names
    assert at(ports, 82) == [("tcp", "dynamic-rpc-ports", "49152", "65535", "false")]
    assert ports[ports["source_line"] == "82"]["source"].tolist() == ["Connector Appliance"]
    # line 234: TCP, UDP 49152..65535
    assert at(ports, 234) == [
        ("tcp", "", "49152", "65535", "false"),
        ("udp", "", "49152", "65535", "false"),
    ]


def test_bidirectional(ports):
    # lines 220 and 231: TCP 80 (bidirectionnel); line 104 derives its flow from line 220
    assert at(ports, 220) == [("tcp", "", "80", "80", "true")]
    assert at(ports, 231) == [("tcp", "", "80", "80", "true")]
    assert at(ports, 104) == [("tcp", "", "80", "80", "true")]
    assert set(ports["bidirectional"]) == {"true", "false"}
    assert (ports["bidirectional"] == "true").sum() == 3


def test_application_protocols(ports):
    assert at(ports, 15) == [
        ("udp", "snmp", "161", "161", "false"),
        ("udp", "snmp", "162", "162", "false"),
    ]  # SNMP 161, 162
    assert at(ports, 42) == [("udp", "syslog", "514", "514", "false")]  # Syslog 514
    assert at(ports, 88) == [("tcp", "http", "80", "80", "false")]  # HTTP 80 Digicert
    assert at(ports, 212) == [("tcp", "ssh", "22", "22", "false")]  # SSH 22
    assert at(ports, 194) == [("tcp", "tacacs", "49", "49", "false")]  # TACACS 49
    adm = ports[(ports["source_line"] == "50") & (ports["type_raw"] == "RADIUS")]
    assert adm[["protocol", "service", "port_start"]].values.tolist() == [["udp", "radius", "1812"]]


def test_rows_without_port(ports):
    # line 13: ICMP, no port cell
    assert at(ports, 13) == [("icmp", "", "", "", "false")]
    # line 200: TCP S/O; line 204: ICMP S/O
    assert at(ports, 200) == [("tcp", "", "", "", "false")]
    assert at(ports, 204) == [("icmp", "", "", "", "false")]
    # line 50, ICMP "Aucun port réservé"
    icmp = ports[(ports["source_line"] == "50") & (ports["protocol"] == "icmp")]
    assert icmp[["port_start", "port_raw"]].values.tolist() == [["", "Aucun port réservé"]]
    # line 292: a sentence in the Port cell: no port, text kept
    row = ports[ports["source_line"] == "292"]
    assert row[["protocol", "port_start"]].values.tolist() == [["tcp", ""]]
    assert row["port_raw"].iloc[0].startswith("Port non réservé sélectionné aléatoirement")


def test_errata_are_applied_and_reported(ports, built):
    _, result = built
    # Logstream row of the flattened Citrix ADM table: Type "Citrix ADM" -> TCP (English page)
    logstream = ports[(ports["source_line"] == "50") & (ports["port_raw"] == "5557, 5558")]
    assert logstream[["protocol", "port_start", "erratum"]].values.tolist() == [
        ["tcp", "5557", "adm-logstream-type"],
        ["tcp", "5558", "adm-logstream-type"],
    ]
    # line 161: "TCP, UDP TCP" with "53, 389": DNS TCP/UDP 53, LDAP TCP 389 (no UDP 389)
    assert sorted(at(ports, 161)) == sorted(
        [
            ("tcp", "", "53", "53", "false"),
            ("udp", "", "53", "53", "false"),
            ("tcp", "", "389", "389", "false"),
        ]
    )
    manifest = result.manifest
    # every reviewed erratum for this page applies to it
    assert set(manifest["errata"]["applied"]) == {
        e.id for e in load_errata() if e.locale in ("", "fr-fr")
    }
    assert manifest["errata"]["stale"] == []


def test_errata_turn_the_rows_the_page_writes_backwards_round(ports):
    """SNMP polling, the NITRO API and SSH go to the device; its traps go to the manager;
    the DHCP option number 66 is no port."""

    def flows(line):
        rows = ports[ports["source_line"] == str(line)]
        return sorted(zip(rows["source_id"], rows["destination_id"], rows["port_start"]))

    device = "sd-wan-standard-enterprise"
    assert flows(195) == [(device, "snmp-manager", "162"), ("snmp-manager", device, "161")]
    assert flows(198) == [("nitro-api-client", device, "443"), ("nitro-api-client", device, "80")]
    assert flows(202) == [("netscaler-console", "sd-wan-wanop", "22")]
    assert flows(257) == [("target-device", "dhcp-server", "67")]


def test_rejects_and_reconciliation(built):
    out, result = built
    rejects = pd.read_csv(out / "rejects.csv", dtype=str, keep_default_na=False)
    # The last row of the flattened Citrix ADM table lost a cell: not guessed.
    assert rejects[["section", "table", "row", "source_line"]].values.tolist() == [
        ["Citrix ADM", "3", "20", "50"]
    ]
    assert "damaged" in rejects["reason"].iloc[0]
    c = result.manifest["counts"]
    # the two notes of the Citrix DaaS table (lines 101, 104) derive flows: in ports
    # and three flows the page states in sentences (lines 57, 65, 84)
    assert (c["rules"], c["rules_in_ports"], c["rules_notes"], c["rules_rejected"]) == (
        220,
        219,
        0,
        1,
    )
    assert c["rules_prose"] == 3
    assert c["rules_derived"] == 2


def test_reconciliation_refuses_a_lost_or_doubled_rule(built):
    """The build's own check: a rule in none of ports, rejects and notes, or in two of
    them, fails the build with the rule named."""
    from dataclasses import replace

    from pipeline.errors import ValidationFailed
    from pipeline.stages.build import reconcile

    out, result = built
    rules = pd.read_csv(out / "rules.csv", dtype=str, keep_default_na=False)
    first = result.result.ports["rule_id"].iloc[0]
    ports = result.result.ports
    lost = replace(result.result, ports=ports[ports["rule_id"] != first])
    with pytest.raises(ValidationFailed) as err:
        reconcile(rules, lost)
    assert f"rule {first} is in none of ports, rejects, notes" in str(err.value)
    doubled = replace(
        result.result, notes=result.result.notes + [result.result.ports["rule_id"].iloc[0]]
    )
    with pytest.raises(ValidationFailed) as err:
        reconcile(rules, doubled)
    assert "is in both ports and notes" in str(err.value)


def test_corrupted_rules_are_rejected_with_each_reason_never_guessed(built):
    """A rules table with a wrong type, port 70000, a reversed range and a missing
    destination: each of those rules lands in rejects, located, and none in ports."""
    from pipeline.stages.errata import load_errata
    from pipeline.stages.ports import ports_frame

    rules = pd.read_csv(built[0] / "rules.csv", dtype=str, keep_default_na=False)
    rules = rules.astype({"table": "int64", "row": "int64", "source_line": "int64"})
    for col in ("source_inherited", "destination_inherited", "type_inherited"):
        rules[col] = rules[col] == "true"
    first = rules.index[:4]
    rules.loc[first[0], "type_raw"] = "Citrix Cloud"
    rules.loc[first[1], "port_raw"] = "70000"
    rules.loc[first[2], "port_raw"] = "500-100"
    rules.loc[first[3], "destination"] = ""
    out = ports_frame(rules, load_errata(), "fr-fr")
    bad_ids = set(rules.loc[first, "rule_id"])
    assert not bad_ids & set(out.ports["rule_id"])
    rejected = out.rejects.set_index("rule_id").loc[list(rules.loc[first, "rule_id"])]
    assert [r for r in rejected["reason"]] == [
        "Type 'Citrix Cloud' is not a protocol",
        "port 70000 in '70000' is above 65535",
        "range 500-100 in '500-100' is reversed",
        "the flow has no destination",
    ]
    assert rejected["source_line"].tolist() == [7, 8, 9, 10]


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
