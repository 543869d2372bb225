"""`citrix-ports query`: the questions a firewall engineer asks of the published ports (by
component, end, port, protocol, section, range), answered from the real build, in every
format, with the closest names when nothing answers."""

from __future__ import annotations

import json
import re

import pytest
from cli_args import export_map, rules_of, run

from conftest import ROOT
from pipeline import api
from pipeline.cli import main
from pipeline.dataset.query import render_table


def query_json(capsys, built, *args):
    out_dir, _ = built
    code, out, err = run(capsys, "query", "--data", str(out_dir), "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)


def flows(rows):
    return sorted(
        {
            (
                r["source_line"],
                r["source"],
                r["destination"],
                r["protocol"],
                r["port_start"],
                r["port_end"],
            )
            for r in rows
        }
    )


def test_what_reaches_storefront(capsys, built):
    rows = query_json(capsys, built, "--to", "storefront")
    assert flows(rows) == sorted(
        [
            (147, "SNIP Citrix Gateway", "StoreFront", "tcp", 80, 80),
            (147, "SNIP Citrix Gateway", "StoreFront", "tcp", 443, 443),
            (227, "Application Citrix Workspace", "StoreFront", "tcp", 80, 80),
            (227, "Application Citrix Workspace", "StoreFront", "tcp", 443, 443),
            (227, "Application Citrix Workspace", "StoreFront", "udp", 80, 80),
            (227, "Application Citrix Workspace", "StoreFront", "udp", 443, 443),
            (288, "Périphérique utilisateur", "Serveur StoreFront", "tcp", 80, 80),
            (288, "Périphérique utilisateur", "Serveur StoreFront", "tcp", 443, 443),
            (292, "Serveur StoreFront", "Serveur StoreFront", "tcp", None, None),
            (293, "Serveur StoreFront", "Serveur StoreFront", "tcp", 808, 808),
        ]
    )


def test_component_matches_either_side_and_ignores_case_and_accents(capsys, built):
    rows = query_json(capsys, built, "CONTROLEUR DE DOMAINE")
    assert {r["destination"] for r in rows} == {
        "Contrôleur de domaine",
        "Contrôleur de domaine de service DNS",
    }
    # and the Active Directory services the Connector Appliance reaches on the domain
    # controllers (lines 73-82: "une connexion sortante vers le domaine Active Directory")
    assert {r["source_line"] for r in rows} == {161, 162, 250, 289, 290, 291} | set(range(73, 83))


def test_what_the_vda_must_reach(capsys, built):
    rows = query_json(capsys, built, "--from", "virtual delivery agent")
    assert flows(rows) == sorted(
        [
            (100, "Virtual Delivery Agent", "Service de passerelle", "tcp", 443, 443),
            # line 104: the Cloud Connector acts for the Delivery Controller, and line 220
            # is both ways: the VDA reaches the Cloud Connector on TCP 80
            (104, "Cloud Connector", "Virtual Delivery Agent", "tcp", 80, 80),
            (118, "Virtual Delivery Agent", "Service de passerelle", "udp", 443, 443),
            # lines 180-181: "any Citrix component" stands for the VDA, a Citrix server
            (180, "Tout composant Citrix", "Serveur de licences Citrix", "tcp", 27000, 27000),
            (181, "Tout composant Citrix", "Serveur de licences Citrix", "tcp", 7279, 7279),
            # line 220: Delivery Controller -> VDA, TCP 80 (bidirectionnel): the VDA reaches
            # the Delivery Controller on it too
            (220, "Delivery Controller", "Virtual Delivery Agent", "tcp", 80, 80),
            (231, "Virtual Delivery Agent", "Delivery Controller", "tcp", 80, 80),
            (244, "Virtual Delivery Agent", "Serveur FAS", "tcp", 80, 80),
            (270, "Virtual Delivery Agent", "Serveur d’impression universelle", "udp", 7229, 7229),
            (271, "Virtual Delivery Agent", "Serveur d’impression universelle", "tcp", 8080, 8080),
            (282, "Virtual Delivery Agent", "Serveur d’enregistrement de session", "tcp", 80, 80),
            (282, "Virtual Delivery Agent", "Serveur d’enregistrement de session", "tcp", 443, 443),
        ]
    )


# Rows whose Port cell holds 443, read from `grep -n 443` of the page, and the sentences
# that state a flow on 443 (lines 57, 65 and 84); the Digicert rows start on lines 90, 92
# and 94.
LINES_443 = {
    57,
    65,
    84,
    7,
    8,
    11,
    30,
    31,
    45,
    50,
    63,
    90,
    92,
    94,
    100,
    106,
    107,
    108,
    109,
    118,
    142,
    145,
    147,
    150,
    159,
    171,
    192,
    198,
    199,
    201,
    208,
    210,
    211,
    216,
    218,
    221,
    227,
    232,
    233,
    252,
    253,
    255,
    256,
    266,
    282,
    283,
    284,
    288,
    294,
    296,
}


def test_everything_on_443(capsys, built):
    rows = query_json(capsys, built, "--port", "443")
    assert {r["source_line"] for r in rows} == LINES_443
    assert all(r["port_start"] <= 443 <= r["port_end"] for r in rows)
    # the ADM table (line 50) has 443 in the NITRO row only (the 443 7443, 8443 row is rejected)
    assert [r["destination"] for r in rows if r["source_line"] == 50] == [
        "Instance Citrix ADC NSIP ou Citrix SD-WAN"
    ]


def test_the_udp_ranges(capsys, built):
    rows = query_json(capsys, built, "--protocol", "udp", "--ranges")
    assert flows(rows) == sorted(
        [
            (146, "SNIP Citrix Gateway", "Virtual Delivery Agent", "udp", 16500, 16509),
            (230, "Application Citrix Workspace", "Virtual Delivery Agent", "udp", 16500, 16509),
            (234, "Poste de travail administrateur", "Virtual Delivery Agent", "udp", 49152, 65535),
            (248, "Serveur Provisioning Server", "Serveur Provisioning Server", "udp", 6890, 6909),
            (260, "Machine cible", "Serveur Provisioning Server", "udp", 6910, 6930),
        ]
    )


def test_query_table_and_csv(capsys, built):
    out_dir, _ = built
    code, out, _ = run(capsys, "query", "--data", str(out_dir), "--to", "storefront")
    lines = out.splitlines()
    assert lines[0].split() == [
        "source",
        "destination",
        "protocol",
        "ports",
        "both",
        "ways",
        "details",
    ]
    assert lines[-1] == "(10 rows)"
    code, out, _ = run(
        capsys,
        "query",
        "--data",
        str(out_dir),
        "--to",
        "storefront",
        "--columns",
        "section,source,ports",
    )
    assert out.splitlines()[0].split() == ["section", "source", "ports"]
    code, out, _ = run(capsys, "query", "--data", str(out_dir), "--port", "808", "--format", "csv")
    assert out.splitlines()[0].startswith("rule_id,section,source") and len(out.splitlines()) == 2


def test_ports_lists_ranges_and_protocol_in_any_case(capsys, built):
    out, _ = built
    code, text, _ = run(
        capsys,
        "query",
        "--port",
        "1494,2598",
        "--protocol",
        "UDP",
        "--format",
        "json",
        "--data",
        str(out),
    )
    rows = json.loads(text)
    # lines 110, 111 (Application Citrix Workspace -> VDA) and 228, 229 (VDA rows of CVAD)
    assert {(r["port_start"], r["protocol"]) for r in rows} == {(1494, "udp"), (2598, "udp")}
    code, text, _ = run(
        capsys, "query", "--port", "16400-16505", "--format", "json", "--data", str(out)
    )
    # the audio range 16500..16509 meets 16400-16505 (lines 146 and 230)
    assert {(r["port_start"], r["port_end"]) for r in json.loads(text)} == {(16500, 16509)}
    with pytest.raises(SystemExit) as done:
        main(["query", "--port", "80-", "--data", str(out)])
    assert done.value.code == 2 and "not a port or a range" in capsys.readouterr().err


def test_an_empty_answer_says_so_with_the_closest_names(capsys, built):
    out, _ = built
    code, text, err = run(capsys, "query", "--to", "licence serveur", "--data", str(out))
    assert code == 2  # a name the data does not have is an error, not an empty answer
    assert "'licence serveur' matches no component or section of the data" in err
    assert "did you mean 'Serveur de licences Citrix'" in err
    # an id one letter off is answered by the id; two names unknown: "match", each its hint
    code, text, err = run(
        capsys, "query", "--to", "licence-server", "--from", "bla", "--data", str(out)
    )
    assert code == 2 and "'bla', 'licence-server' match no component" in err
    # nothing is near 'bla' ("de la gestion…": no word of three letters or more)
    assert "'bla'; no name matches 'licence-server'; did you mean 'license-server'" in err
    # names the data has, no row that answers them together: an empty answer (1)
    code, text, err = run(
        capsys, "query", "--from", "storefront-server", "--to", "vda", "--data", str(out)
    )
    assert code == 1 and "no row answers the question" in err
    # the English name of the registry finds the French page's name
    code, text, err = run(
        capsys, "query", "--to", "license server", "--data", str(out), "--format", "json"
    )
    # (the registry's English names: "Citrix License Server", "Citrix ADM license server")
    assert code == 0 and {r["destination"] for r in json.loads(text)} == {
        "Serveur de licences Citrix",
        "Serveur/agent de licences Citrix ADM",
    }


def test_the_table_fits_the_terminal(built):
    rows = api.read("ports", built[0])
    for width in (80, 120):
        text = render_table(rows, width=width)
        assert max(len(line) for line in text.splitlines()) <= width
        assert text.splitlines()[0].split()[-1] == "details"  # the details are kept


def test_query_from_a_component_finds_its_flows_given_by_any(capsys, built):
    code = main(
        [
            "query",
            "--from",
            "delivery-controller",
            "--port",
            "27000",
            "--format",
            "json",
            "--data",
            str(built[0]),
        ]
    )
    out = capsys.readouterr()
    assert code == 0 and "Tout composant Citrix" in out.out


def test_filters_take_ids_english_names_repeat_and_fail_closed(capsys, built, tmp_path):

    text = (ROOT / "examples" / "address-map.yaml").read_text("utf-8")
    by_id = export_map(
        capsys, built, text, "nftables", "--section", "license-server", tmp_path=tmp_path
    )
    by_name = export_map(
        capsys, built, text, "nftables", "--section", "Citrix License Server", tmp_path=tmp_path
    )
    assert by_id[0] == 0 and rules_of(by_id[1]) and rules_of(by_id[1]) == rules_of(by_name[1])
    one = rules_of(
        export_map(
            capsys, built, text, "nftables", "--from", "storefront-server", tmp_path=tmp_path
        )[1]
    )
    two = rules_of(
        export_map(
            capsys,
            built,
            text,
            "nftables",
            "--from",
            "storefront-server",
            "--from",
            "director",
            tmp_path=tmp_path,
        )[1]
    )
    # the second --from adds its flows, it does not replace the first's
    key = lambda r: re.sub(r"saddr \{[^}]*\} ", "", r)  # noqa: E731
    assert {key(r) for r in one} <= {key(r) for r in two} and len(two) > len(one)
    assert not any("10.0.10.50" in r for r in one) and any("10.0.10.50" in r for r in two)
    code, out, err = export_map(
        capsys, built, text, "nftables", "--to", "storefrnot-server", tmp_path=tmp_path
    )
    assert code == 2 and out == "" and "'storefrnot-server' matches no component" in err
    assert "did you mean 'storefront-server'" in err  # the id it misspells
    assert "matches no component of the data" not in err  # valid keys are not blamed
    code, out, err = export_map(
        capsys, built, text, "nftables", "--host", "no-such-host", tmp_path=tmp_path
    )
    assert code == 2 and out == ""
