"""Service tables read as the page means them: a flow whose end is a service goes to the
machine that serves it (the one the section's sentence names, else the registry's server
of the service), the service kept in the ``service`` column."""

from __future__ import annotations

import json

from cli_args import export_args

from pipeline.cli import main
from pipeline.dataset.query import load_ports
from pipeline.page.model import Note, Page, Section
from pipeline.page.vocabulary import load
from pipeline.registry.components import load as load_registry
from pipeline.stages.peers import with_peers

AD = {"kerberos", "kerberos-kpasswd", "rpc-endpoint-mapper", "netbios-name-service",
      "netbios-datagram", "netbios-session", "ldap", "smb", "global-catalog", "dynamic-rpc-ports"}  # fmt: skip


def test_the_connector_appliance_reaches_the_domain_controllers_and_the_servers(built):
    rows = load_ports(built[0])
    ad = [r for r in rows if r["section_id"] == "connector-appliance-active-directory"]
    assert ad and {r["destination_id"] for r in ad} == {"domain-controller"}
    assert {r["service"] for r in ad} == AD  # SMB too: the sentence names the domain
    assert {r["destination"] for r in ad} == {"Contrôleur de domaine"}  # as the page writes it
    appliance = {
        r["service"]: r["destination_id"]
        for r in rows
        if r["section_id"] == "connector-appliance" and r["source_id"] == "connector-appliance"
        and r["table"] > 0
    }  # fmt: skip
    assert appliance == {"dns": "dns-server", "ntp": "ntp-server", "https": "citrix-cloud"}
    registry = load_registry()
    served = {r["destination_id"] for r in rows} & set(registry.served_by)
    assert not served  # no flow keeps a service the registry knows the server of
    manifest = json.loads((built[0] / "manifest.json").read_text("utf-8"))
    why = {(p["service"], p["why"]) for p in manifest["peers"]}
    assert ("kerberos", "the section's sentence, line 70") in why
    assert ("dns", "the registry's server of the service") in why


def page_with(section: str, sentence: str) -> Page:
    s = Section(1, section, 1, notes=[Note(2, sentence)] if sentence else [])
    return Page("text", "fr-fr", "p", [s], [])


def row(section, dst, did, line=3):
    return {"rule_id": "0" * 16, "section": section, "source": "A", "source_id": "connector-appliance",
            "destination": dst, "destination_id": did, "service": "", "source_line": line}  # fmt: skip


def test_a_sentence_names_the_peer_for_the_services_it_applies_to():
    page = page_with(
        "S", "Toutes les connexions sont établies depuis X vers le cloud à l'aide de 443."
    )
    rows, report, warnings = with_peers(
        [row("S", "HTTPS", "https"), row("S", "DNS", "dns")], page, load(), load_registry(), "fr-fr"
    )
    assert [(r["destination_id"], r["service"]) for r in rows] == [
        ("citrix-cloud", "https"),  # the sentence, for HTTPS only
        ("dns-server", "dns"),  # the registry's server
    ]
    assert [p["why"] for p in report] == [
        "the section's sentence, line 2",
        "the registry's server of the service",
    ]
    assert not warnings


def test_a_service_nothing_names_a_machine_for_keeps_its_name_with_a_warning():
    rows, report, warnings = with_peers(
        [row("S", "HTTPS", "https", line=9)], page_with("S", ""), load(), load_registry(), "fr-fr"
    )
    assert rows[0]["destination_id"] == "https" and not report
    assert warnings == [
        "warning: line 9: HTTPS (https) is a service, and neither the section nor the "
        "registry ([served_by]) names the machine that serves it: the flow keeps the "
        "service as its end"
    ]


def test_a_map_of_the_domain_controllers_exports_the_active_directory_flows(
    built, tmp_path, capsys
):
    amap = tmp_path / "map.yaml"
    amap.write_text(
        "components:\n  connector-appliance: 10.0.60.5\n  domain-controller: [10.0.0.10, 10.0.0.11]\n"
    )
    code = main(export_args("nftables", str(amap), str(built[0]), "--host", "domain-controller"))
    out = capsys.readouterr().out
    assert code == 0
    lines = [ln for ln in out.splitlines() if "ip saddr { 10.0.60.5 }" in ln]
    ports = {ln.split(" dport ")[1].split()[0] for ln in lines}
    assert {"88", "135", "389", "445", "464", "3268", "49152-65535"} <= ports


def test_the_servers_the_registry_knows_take_their_services(built):
    rows = load_ports(built[0])
    by_service = {(r["service"], r["destination_id"]) for r in rows if r["service"]}
    assert ("syslog", "syslog-server") in by_service  # Citrix Hypervisor -> Syslog 514
    assert ("xenserver-clustering", "xenserver") in by_service  # between the pool's hosts
    assert ("console-appflow", "netscaler-console") in by_service  # SD-WAN -> ADM 4739
    registry = load_registry()

    def kind(cid):
        return registry.components[cid].kind if cid in registry.components else ""

    # no flow keeps a service as its destination
    assert not {r["destination_id"] for r in rows if kind(r["destination_id"]) == "service"}
    # a service source is a program on its destination's machine (HdxVideo.js on the VDA)
    sources = {
        (r["source_id"], r["destination_id"]) for r in rows if kind(r["source_id"]) == "service"
    }
    assert sources and {s for s, _ in sources} <= registry.on_host
    manifest = json.loads((built[0] / "manifest.json").read_text("utf-8"))
    local = [p for p in manifest["peers"] if p["service"] in registry.on_host]
    assert local and all(p["peer"] == "" and "loopback" in p["why"] for p in local)


def test_a_program_on_the_other_end_s_machine_keeps_its_name_without_a_warning():
    registry = load_registry()
    [local] = sorted(registry.on_host)[:1]
    vda = {**row("S", "Virtual Delivery Agent", "vda"), "source": "X", "source_id": local}
    rows, report, warnings = with_peers([vda], page_with("S", ""), load(), registry, "fr-fr")
    assert rows[0]["source_id"] == local and not warnings
    assert report[0]["peer"] == "" and "Virtual Delivery Agent" in report[0]["why"]


def test_on_host_names_only_services_of_the_registry():
    from pipeline.errors import DataError
    from pipeline.registry.components import Registry

    data = {
        "component": {
            "vda": {
                "name": "VDA",
                "kind": "component",
                "family": "F",
                "aliases": {"en-us": ["VDA"]},
            }
        },
        "on_host": {"components": ["vda"], "source": "s"},
    }
    try:
        Registry.from_data(data)
    except DataError as err:
        assert "on_host: 'vda' is no service" in str(err.problems)
    else:
        raise AssertionError("a machine role in [on_host] was accepted")
