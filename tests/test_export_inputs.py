"""Every value that enters an export is parsed where it enters, by the parser of its kind:
``--host`` addresses as the map's values are, names and ids matched whole (an id before
any name), and hostile text from the command line, the page or the map never becomes a
rule, a line of code or a terminal sequence."""

from __future__ import annotations

import csv
import io

import pytest
from cli_args import export_args

from pipeline.cli import main
from pipeline.dataset.published import csv_text
from pipeline.dataset.schema import columns

MAP = (
    "components:\n"
    "  storefront-server: [10.0.10.11, '2001:db8:10::11']\n"
    "  delivery-controller: [10.0.10.21, '2001:db8:20::5']\n"
    "  vda: [10.0.20.0/24, '2001:db8:30::/64']\n"
    "  sta: [10.0.10.21, '2001:db8:20::5']\n"
    "  netscaler-nsip: 10.0.5.20\n"
    "  netscaler-console: 10.0.5.30\n"
    "  user-device: 10.0.50.0/24\n"
    "  netscaler-gateway-snip: 10.0.5.10\n"
)


def run(capsys, built, tmp_path, fmt: str, *extra: str, amap: str = MAP, data=None):
    path = tmp_path / "map.yaml"
    path.write_text(amap, "utf-8")
    args = export_args(fmt, str(path), str(data or built[0]))
    code = main([*args, *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


HOSTILE_HOSTS = [
    "2001:db8:30::5%1 -j ACCEPT\n-A CITRIX-PORTS -j ACCEPT\n#",
    "2001:db8:30::5%1\nStart-Process calc.exe # ",
    "2001:db8:30::5%eth0",
    "10.0.20.5 ",
    "10.0.20.5/24",  # a host written with a prefix
    "10.0.20.0/24\n-A CITRIX-PORTS -j ACCEPT",
]


FORMATS = {
    "ip6tables": [],
    "iptables": [],
    "windows": [],
    "nftables": ["--hook", "input"],
    "aws-sg": [],
    "terraform": ["--provider", "azure"],
    "aerleon": ["-o", "OUT"],
}


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_host_address_is_parsed_as_the_map_s_values_are(capsys, built, tmp_path, host, fmt):
    extra = [str(tmp_path / "out") if a == "OUT" else a for a in FORMATS[fmt]]
    code, out, err = run(capsys, built, tmp_path, fmt, "--host", host, *extra)
    assert not (tmp_path / "out").exists()
    assert code == 2 and out == "", err
    assert err.startswith("citrix-ports: error: --host ") and "\n-A" not in err
    assert "Start-Process" not in out


def test_a_host_address_inside_a_network_narrows_it(capsys, built, tmp_path):
    code, out, err = run(capsys, built, tmp_path, "ip6tables", "--host", "2001:db8:30::5")
    assert code == 0, err
    assert "-d 2001:db8:30::5 " in out and "2001:db8:30::/64" not in out


def test_an_id_means_that_component_never_a_name_holding_its_letters(capsys, built, tmp_path):
    # 'sta' is the Secure Ticket Authority, and a part of 'Instance Citrix ADC NSIP ...'
    code, out, err = run(capsys, built, tmp_path, "nftables", "--host", "sta")
    assert code == 0, err
    rules = [ln for ln in out.splitlines() if "accept" in ln and "dport" in ln]
    assert rules and all("daddr { 10.0.10.21 }" in r for r in rules if "ip daddr" in r)
    assert "Citrix ADM" not in out and "NSIP" not in out
    assert main(["query", "--data", str(built[0]), "--to", "sta", "--format", "json"]) == 0
    import json

    rows = json.loads(capsys.readouterr().out)
    assert rows and {r["destination_id"] for r in rows} == {"sta"}


@pytest.mark.parametrize("option", ["--host", "--to", "--from"])
def test_export_matches_names_whole(capsys, built, tmp_path, option):
    code, out, err = run(capsys, built, tmp_path, "nftables", option, "storefr")
    assert code == 2 and out == ""
    assert "matched whole" in err and "'Serveur StoreFront'" in err
    code, out, err = run(capsys, built, tmp_path, "nftables", option, "serveur storefront")
    assert code == 0, err


@pytest.mark.parametrize("net", ["64:ff9b:1::/48", "::ffff:0:0:0/96", "64:ff9b:1:2::/64"])
def test_every_ipv4_in_ipv6_prefix_counts_as_ipv4(capsys, built, tmp_path, net):
    amap = f"components:\n  vda: '{net}'\n  delivery-controller: 10.0.10.21\n"
    code, _, err = run(capsys, built, tmp_path, "nftables", amap=amap)
    assert code == 2 and "covers more IPv4 addresses than a /8" in err


def hostile_ports(built, tmp_path, details: str = "", name: str = "") -> object:
    """A copy of the published ports whose every Details (and every source name) carries
    ``details`` (``name``)."""
    rows = list(csv.DictReader(io.StringIO((built[0] / "ports.csv").read_text("utf-8"))))
    for row in rows:
        row["details"] += details
        row["source"] += name
    ports = tmp_path / "ports.csv"
    ports.write_text(csv_text(rows, columns("ports")), "utf-8", newline="")
    return ports


@pytest.mark.slow
@pytest.mark.parametrize("details", ["LDAP */ inactive: /* test", "LDAP */ test", "x */*/ y /*/"])
def test_page_text_stays_inside_every_comment_of_the_perimeter_policy(
    capsys, built, tmp_path, details
):
    import re

    from conftest import ROOT

    ports = hostile_ports(built, tmp_path, " " + details)
    amap = (ROOT / "examples" / "address-map.yaml").read_text("utf-8")
    code, _, err = run(
        capsys, built, tmp_path, "aerleon", "-o", str(tmp_path / "out"), amap=amap, data=ports
    )
    assert code == 0, err
    for path in (tmp_path / "out" / "out").iterdir():
        text = path.read_text("utf-8")
        if path.suffix in (".jcl", ".srx", ".msmpc", ".evo"):
            outside = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
            assert "*/" not in outside and "inactive" not in outside and "test" not in outside, path
        assert "inactive: /*" not in text, path


@pytest.mark.parametrize("field", ["page_names", "name", "component_id"])
def test_a_hand_edited_components_csv_writes_no_live_map_key(capsys, built, tmp_path, field):
    import shutil

    import yaml

    data = tmp_path / "build"
    shutil.copytree(built[0], data)
    rows = list(csv.DictReader(io.StringIO((data / "components.csv").read_text("utf-8"))))
    row = next(r for r in rows if r["kind"] != "service" and not r["members"] and r["page_names"])
    row[field] += "\n  vda: 10.66.0.0/16\n  #\u2028  dc: 10.67.0.0/16"
    (data / "components.csv").write_text(csv_text(rows, columns("components")), "utf-8", newline="")
    code = main(["components", "--data", str(data), "--format", "yaml"])
    out = capsys.readouterr()
    if code:  # refused as it is read: nothing written either
        assert code == 2 and out.out == "", out.err
        return
    assert yaml.safe_load(out.out) == {"components": None}
    assert all(ln.startswith(("#", "  #", "components:")) for ln in out.out.splitlines())


@pytest.mark.parametrize("zone", ["users\\n", "users\\r", "users\\u2028"])
def test_a_zone_name_is_matched_whole(capsys, built, tmp_path, zone):
    amap = MAP + f'zones:\n  "{zone}": [user-device]\n  servers: [vda]\n'
    code, out, err = run(capsys, built, tmp_path, "nftables", amap=amap)
    assert code == 2 and out == "" and "zone" in err, err


def test_explain_and_warnings_show_control_characters_as_escapes(capsys, built, tmp_path):
    ports = hostile_ports(built, tmp_path, details="", name="\u009b2J\u202eevil")
    amap = MAP + '  "glob:*\u202e*": 10.0.99.1\n'
    code, _, err = run(capsys, built, tmp_path, "nftables", "--explain", amap=amap, data=ports)
    assert code == 0, err
    assert "\u009b" not in err and "\u202e" not in err
    assert "\\x9b" in err and "\\u202e" in err


def test_windows_writes_icmp_to_ipv6_addresses_as_icmpv6(capsys, built, tmp_path):
    amap = (
        "components:\n  netscaler-console: [10.0.5.30, '2001:db8:5::30']\n"
        "  netscaler-nsip: [10.0.5.20, '2001:db8:5::20']\n"
    )
    code, out, err = run(capsys, built, tmp_path, "windows", amap=amap)
    assert code == 0, err
    icmp = [ln for ln in out.splitlines() if "-Protocol ICMP" in ln]
    assert icmp
    for ln in icmp:
        v6 = "2001:db8" in ln
        assert ("-Protocol ICMPv6" in ln) == v6 and ("-Protocol ICMPv4" in ln) == (not v6), ln
        assert not (v6 and "10.0.5" in ln)


def test_the_windows_header_names_the_policy_quoted_and_hosts_on_one_line(capsys, built, tmp_path):
    code, out, err = run(
        capsys,
        built,
        tmp_path,
        "windows",
        "--gpo",
        "corp.example\\Citrix servers",
        "--host",
        "delivery-controller",
    )
    assert code == 0, err
    assert "'corp.example\\Citrix servers'" in out.splitlines()[1]
    assert all(ln.startswith(("#", "$", "Remove-", "New-")) for ln in out.splitlines())


TYPO = "components:\n  delivery-controler: 10.0.10.21\n  vda: 10.0.20.0/24\n"


def test_strict_makes_the_map_s_warnings_errors_and_writes_nothing(capsys, built, tmp_path):
    out = tmp_path / "rules.nft"
    code, _, err = run(capsys, built, tmp_path, "nftables", "-o", str(out), amap=TYPO)
    assert code == 0 and out.exists() and "delivery-controler" in err
    out.unlink()
    for extra in (["-o", str(out)], ["--per-host", str(tmp_path / "hosts")]):
        code, _, err = run(capsys, built, tmp_path, "nftables", "--strict", *extra, amap=TYPO)
        assert code == 2 and "--strict: 1 warning" in err and "delivery-controler" in err
        assert not out.exists() and not (tmp_path / "hosts").exists()
    code, _, err = run(capsys, built, tmp_path, "nftables", "--strict", "-o", str(out))
    assert code == 0, err


def test_a_host_left_without_rules_by_a_misspelt_key_says_so(capsys, built, tmp_path):
    code, _, err = run(
        capsys, built, tmp_path, "nftables", "--host", "delivery-controller", amap=TYPO
    )
    assert code == 2 and "'delivery-controler' matches no component" in err and "typo" in err
