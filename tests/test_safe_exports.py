"""Exports open exactly what the page and the map say: each defect found by trying the
exports as a user and as an attacker would, reproduced on a copy of the data or a
hand-made map, with the behaviour that replaced it (a located error, a warning, or the
right rules)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import time

import pytest
from cli_args import export_args

from conftest import ROOT
from pipeline.cli import main
from pipeline.dataset.published import csv_text
from pipeline.dataset.schema import columns


def export(capsys, built, text: str, fmt: str = "nftables", *extra: str, tmp_path=None):
    path = tmp_path / "map.yaml"
    path.write_text(text, "utf-8")
    code = main(export_args(fmt, str(path), str(built[0]), *extra))
    out = capsys.readouterr()
    return code, out.out, out.err


def rules_of(text: str) -> list[str]:
    return [
        ln.strip()
        for ln in text.splitlines()
        if ln.startswith(("\t\tip", "-A CITRIX-PORTS", "New-NetFirewallRule"))
    ]


# -- 1. the address map is validated configuration -----------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        '"fe80::1%lo\\n-A CITRIX-PORTS -j ACCEPT\\n#"',  # a scope id carrying rules
        '"fe80::1%eth0"',
        '"10.0.0.1 "',
        '"10.0.0.1; accept"',
        "dc.example.com",
        '"10.0.0.1/32 10.0.0.2"',
        "1:2:3:4:5:6:7:8:9",
        "yes",
        "~",
        "010.0.0.1",
    ],
)
def test_a_value_that_is_not_a_plain_address_is_refused(capsys, built, tmp_path, value):
    for fmt in ("nftables", "ip6tables", "iptables"):
        code, out, err = export(
            capsys, built, f"components:\n  storefront-server: {value}\n", fmt, tmp_path=tmp_path
        )
        assert code == 2 and out == "", err
        assert "map.yaml:2" in err  # and the value never reaches a line of its own
        assert not any(ln.startswith("-A CITRIX-PORTS") for ln in err.splitlines())


def test_a_host_written_with_its_prefix_shows_both_meanings(capsys, built, tmp_path):
    code, out, err = export(
        capsys, built, "components:\n  delivery-controller: 10.10.1.11/24\n", tmp_path=tmp_path
    )
    assert code == 2 and out == ""
    assert "mean 10.10.1.11/32 (the host) or 10.10.1.0/24 (its network)?" in err


def test_a_key_given_twice_names_both_lines(capsys, built, tmp_path):
    code, _, err = export(
        capsys,
        built,
        "components:\n  vda: 10.0.20.0/24\n  sql-server: 10.0.0.4\n  vda: 10.0.21.0/24\n",
        tmp_path=tmp_path,
    )
    assert code == 2 and "is given twice (lines 2 and 4)" in err
    # two keys for one component (an id and its French alias) are refused too
    code, _, err = export(
        capsys,
        built,
        "components:\n  storefront-server: 10.0.0.1\n  Serveur StoreFront: 10.0.0.2\n",
        tmp_path=tmp_path,
    )
    assert code == 2 and "(line 2) and 'Serveur StoreFront' (line 3) name the same component" in err


def test_anchors_aliases_and_size_are_bounded(capsys, built, tmp_path):
    bomb = (
        "a: &a [10.0.0.1, 10.0.0.1]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\n"
        "components:\n  vda: *c\n"
    )
    start = time.monotonic()
    code, _, err = export(capsys, built, bomb, tmp_path=tmp_path)
    assert code == 2 and "anchor or alias" in err and "map.yaml:1" in err
    assert time.monotonic() - start < 5
    big = "components:\n" + "".join(
        f"  'k{i}': 10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}\n" for i in range(2500)
    )
    code, _, err = export(capsys, built, big, tmp_path=tmp_path)
    assert code == 2 and "2500 keys, more than 2000" in err
    code, _, err = export(
        capsys, built, "components:\n  x: '" + "1" * 2_000_000 + "'\n", tmp_path=tmp_path
    )
    assert code == 2 and "larger than 1048576 bytes" in err
    # an error quotes at most an excerpt of a long value
    code, _, err = export(
        capsys, built, "components:\n  vda: '" + "x" * 5000 + "'\n", tmp_path=tmp_path
    )
    assert code == 2 and len(err) < 600 and "(5000 characters)" in err


def test_a_device_or_a_fifo_is_refused_not_read(capsys, built, tmp_path):
    code = main(export_args("nftables", "/dev/zero", str(built[0])))
    assert code == 2 and "not a regular file" in capsys.readouterr().err
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code = main(export_args("nftables", str(fifo), str(built[0])))
    assert code == 2 and "not a regular file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "nets",
    [
        [f"{i}.0.0.0/8" for i in range(1, 3)],  # two /8 together: more than a /8
        ["::ffff:0:0/96"],
        ["64:ff9b::/96"],
        ["2002::/16"],  # all of IPv4, written as IPv6
        ["::ffff:10.0.0.0/104", "11.0.0.0/8"],  # a mapped /8 and a /8
    ],
)
def test_wide_networks_count_together_and_ipv4_in_ipv6_counts_as_ipv4(
    capsys, built, tmp_path, nets
):
    lines = "".join(f"  k{i}: '{n}'\n" for i, n in enumerate(nets))
    code, _, err = export(capsys, built, "components:\n" + lines, tmp_path=tmp_path)
    assert code == 2 and "covers more IPv4 addresses than a /8" in err
    code, _, err = export(
        capsys, built, "components:\n" + lines, "nftables", "--allow-any", tmp_path=tmp_path
    )
    assert code == 0 and "(--allow-any)" in err
    # one /8 alone is allowed, as it was
    code, _, err = export(capsys, built, "components:\n  vda: 10.0.0.0/8\n", tmp_path=tmp_path)
    assert code == 0, err


def test_glob_matches_the_whole_name(capsys, built, tmp_path):
    """'glob:Citrix Gateway' gave the Gateway's address to 'SNIP Citrix Gateway' too."""
    code, out, err = export(
        capsys,
        built,
        "components:\n  'glob:Citrix Gateway': 10.1.5.10\n"
        "  vda: 10.0.20.0/24\n  storefront-server: 10.0.10.11\n",
        "nftables",
        "--explain",
        tmp_path=tmp_path,
    )
    assert code == 0
    assert not [r for r in rules_of(out) if "saddr { 10.1.5.10 }" in r]  # SNIP flows: none
    assert "pattern 'glob:Citrix Gateway' (line 2) matched: 'Citrix Gateway'" in err


def test_a_regular_expression_cannot_hang(capsys, built, tmp_path):
    start = time.monotonic()
    code, _, err = export(
        capsys, built, "components:\n  're:^(\\w+\\s?)*!$': 10.0.0.1\n", tmp_path=tmp_path
    )
    assert time.monotonic() - start < 10 and code == 0
    assert "matches no component of the data" in err
    code, _, err = export(
        capsys, built, "components:\n  're:(a)\\1': 10.0.0.1\n", tmp_path=tmp_path
    )
    assert code == 2 and "not an RE2 regular expression" in err and "map.yaml:2" in err


def test_a_host_inside_another_key_s_network_is_warned_about(capsys, built, tmp_path):
    """A network of one key inside a larger one of another key: the rules of the larger
    reach it, so the export says so (line and both keys).  One host under two keys (two
    roles), a group's network holding its members, or a map without nesting: no warning.
    Past ``nested_warnings`` the rest are counted."""
    nested = (
        "components:\n  vda: 10.0.20.0/24\n  delivery-controller: 10.0.20.5\n"
        "  storefront-server: [10.0.10.11, 10.0.10.12]\n  sql-server: 10.0.10.11\n"
        "  any-citrix-component: 10.0.10.0/24\n  user-device: 10.0.50.0/24\n"
    )
    code, out, err = export(capsys, built, nested, tmp_path=tmp_path)
    assert code == 0 and out
    said = [ln for ln in err.splitlines() if "lies in" in ln]
    assert said == [
        "warning: address map line 3: 10.0.20.5 ('delivery-controller') lies in 10.0.20.0/24 "
        "('vda', line 2): the rules to and from 'vda' reach it too"
    ], err
    example = (ROOT / "examples" / "address-map.yaml").read_text("utf-8")
    code, _, err = export(capsys, built, example, tmp_path=tmp_path)
    assert code == 0 and "lies in" not in err  # its gateway and SNIP share 10.0.5.10
    hosts = "".join(f"  host-{k}: 10.0.20.{k + 1}\n" for k in range(12))
    code, _, err = export(
        capsys, built, "components:\n  vda: 10.0.20.0/24\n" + hosts, tmp_path=tmp_path
    )
    assert code == 0
    assert sum("lies in 10.0.20.0/24" in ln for ln in err.splitlines()) == 10
    assert "2 more network(s) lie in another key's networks" in err


def test_a_missing_map_says_how_to_write_one(capsys, built, tmp_path):
    code = main(export_args("nftables", str(tmp_path / "none.yaml"), str(built[0])))
    err = capsys.readouterr().err
    assert code == 2 and "cannot read the address map: no such file" in err
    assert "citrix-ports components --format yaml > map.yaml" in err


@pytest.mark.parametrize(
    "argv, said, hint",
    [
        (
            ["components", "--data", "{missing}"],
            "no such build directory or published file",
            "--data",
        ),
        (["diff", "{missing}", "{build}"], "no such file or build directory", "git:REF"),
        (
            ["build", "--errata", "{missing}", "--out", "{out}"],
            "cannot read the errata file",
            "--errata",
        ),
    ],
)
def test_a_missing_input_is_named_with_what_to_give(capsys, built, tmp_path, argv, said, hint):
    """A path that does not exist: the path as given, what it should be, what to do."""
    missing = str(tmp_path / "nope")
    args = [a.format(missing=missing, build=built[0], out=tmp_path / "out") for a in argv]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2 and f"{missing}: {said}" in err and "hint:" in err and hint in err, err


def test_an_ipv4_mapped_address_is_warned_about(capsys, built, tmp_path):
    """``::ffff:10.0.20.5`` is the IPv4 host written as IPv6: its IPv4 traffic never meets
    an IPv6 rule, so the export says so, with the line and the IPv4 form to write."""
    text = 'components:\n  user-device: 10.0.50.0/24\n  vda: ["::ffff:10.0.20.0/120", 10.0.30.1]\n'
    code, _, err = export(capsys, built, text, tmp_path=tmp_path)
    assert code == 0
    assert (
        ":3: ::ffff:10.0.20.0/120 ('vda') is the IPv4 network 10.0.20.0/24 written as IPv6 "
        "(IPv4-mapped): its IPv4 traffic never matches an IPv6 rule; write it as IPv4"
    ) in err
    code, _, err = export(
        capsys, built, text.replace("::ffff:10.0.20.0/120", "2001:db8::/64"), tmp_path=tmp_path
    )
    assert code == 0 and "IPv4-mapped" not in err


# -- 2. "any Citrix component" ---------------------------------------------------------------

ANY_MAP = (
    "components:\n  license-server: 10.0.10.30\n  user-device: 10.0.50.0/24\n"
    "  netscaler-gateway: 10.0.5.10\n  'glob:Delivery Controller': 10.0.10.21\n"
    "  sql-server: 10.0.10.40\n"
)


def test_any_citrix_component_is_the_citrix_servers_of_the_map(capsys, built, tmp_path):
    code, out, err = export(
        capsys, built, ANY_MAP, "nftables", "--to", "license-server", "--explain", tmp_path=tmp_path
    )
    assert code == 0
    lic = [r for r in rules_of(out) if "dport 27000" in r]
    assert lic, out
    assert all("10.0.50.0/24" not in r and "10.0.10.40" not in r for r in lic)  # users, SQL
    assert all("10.0.10.21" in r and "10.0.5.10" in r for r in lic)  # pattern included
    assert (
        "'any Citrix component' stood for the Citrix server components the map gives: "
        "delivery-controller, license-server, netscaler-gateway"
    ) in err
    # the map may give it its own addresses
    code, out, _ = export(
        capsys,
        built,
        ANY_MAP + "  any-citrix-component: 10.9.9.0/24\n",
        "nftables",
        "--to",
        "license-server",
        tmp_path=tmp_path,
    )
    assert all("saddr { 10.9.9.0/24 }" in r for r in rules_of(out) if "dport 27000" in r)


# -- 3. the rules of one host ----------------------------------------------------------------


def test_host_rules_are_only_that_hosts(capsys, built, tmp_path):
    from conftest import ROOT

    text = (ROOT / "examples" / "address-map.yaml").read_text("utf-8")
    code, out, _ = export(
        capsys, built, text, "windows", "--host", "delivery-controller", tmp_path=tmp_path
    )
    assert code == 0 and rules_of(out)
    for rule in rules_of(out):  # inbound, local address the Delivery Controller's only
        assert "-Direction Inbound" in rule
        assert "-LocalAddress @('10.0.10.21','10.0.10.22')" in rule, rule
    # outbound from it: its licence flows (from "any Citrix component") are there
    code, out, _ = export(
        capsys,
        built,
        text,
        "nftables",
        "--host",
        "delivery-controller",
        "--direction",
        "out",
        tmp_path=tmp_path,
    )
    lic = [r for r in rules_of(out) if "dport 27000" in r]
    assert len(lic) == 1 and "saddr { 10.0.10.21, 10.0.10.22 } ip daddr { 10.0.10.30 }" in lic[0]
    # one address of the host: narrowed to it
    code, out, _ = export(
        capsys, built, text, "nftables", "--host", "10.0.10.22", tmp_path=tmp_path
    )
    assert code == 0 and rules_of(out)
    assert all("daddr { 10.0.10.22 }" in r for r in rules_of(out))
    # --to in the flow's own direction: a flow both ways is two directed flows
    code, out, _ = export(
        capsys, built, text, "windows", "--to", "delivery-controller", tmp_path=tmp_path
    )
    assert all("-LocalAddress @('10.0.10.21','10.0.10.22')" in r for r in rules_of(out))


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
    from conftest import ROOT

    text = (ROOT / "examples" / "address-map.yaml").read_text("utf-8")
    by_id = export(
        capsys, built, text, "nftables", "--section", "license-server", tmp_path=tmp_path
    )
    by_name = export(
        capsys, built, text, "nftables", "--section", "Citrix License Server", tmp_path=tmp_path
    )
    assert by_id[0] == 0 and rules_of(by_id[1]) and rules_of(by_id[1]) == rules_of(by_name[1])
    one = rules_of(
        export(capsys, built, text, "nftables", "--from", "storefront-server", tmp_path=tmp_path)[1]
    )
    two = rules_of(
        export(
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
    code, out, err = export(
        capsys, built, text, "nftables", "--to", "storefrnot-server", tmp_path=tmp_path
    )
    assert code == 2 and out == "" and "'storefrnot-server' matches no component" in err
    assert "did you mean 'storefront-server'" in err  # the id it misspells
    assert "matches no component of the data" not in err  # valid keys are not blamed
    code, out, err = export(
        capsys, built, text, "nftables", "--host", "no-such-host", tmp_path=tmp_path
    )
    assert code == 2 and out == ""


# -- 4. files that load safely ---------------------------------------------------------------


def test_iptables_lists_are_split_within_the_tools_limits(capsys, built, tmp_path):
    many = ", ".join(f"10.3.{i}.1" for i in range(90))
    code, out, err = export(
        capsys,
        built,
        f"components:\n  vda: [{many}]\n  delivery-controller: 10.0.10.21\n",
        "iptables",
        tmp_path=tmp_path,
    )
    assert code == 0
    rules = rules_of(out)
    assert rules and all(len(re.search(r"-s (\S+)", r).group(1).split(",")) <= 16 for r in rules)
    covered = {
        a
        for r in rules
        if "--dport 80 " in r and "-d 10.0.10.21" in r
        for a in re.search(r"-s (\S+)", r).group(1).split(",")
    }
    assert covered >= {f"10.3.{i}.1" for i in range(90)}
    if shutil.which("iptables-restore"):
        path = tmp_path / "r.rules"
        path.write_text(out)
        done = subprocess.run(
            ["iptables-restore", "--test", "--noflush", str(path)], capture_output=True, text=True
        )
        assert done.returncode == 0 or "Operation not permitted" in done.stderr, done.stderr


# -- 5. nothing wider than the page ----------------------------------------------------------


def test_all_ports_rows_warn_in_the_build_and_are_refused_by_export(built, tmp_path, capsys):
    rows = list(csv.DictReader(io.StringIO((built[0] / "ports.csv").read_text("utf-8"))))
    row = next(
        r
        for r in rows
        if r["source_id"] == "storefront-server" and r["destination_id"] == "domain-controller"
    )
    row["port_start"], row["port_end"] = "1", "65535"
    ports = tmp_path / "ports.csv"
    ports.write_text(csv_text(rows, columns("ports")), "utf-8", newline="")
    amap = "components:\n  storefront-server: 10.0.10.11\n  domain-controller: 10.0.0.10\n"
    path = tmp_path / "map.yaml"
    path.write_text(amap)
    code = main(export_args("nftables", str(path), str(ports)))
    err = capsys.readouterr().err
    assert code == 2 and "would open every port" in err and "--allow-all-ports" in err
    code = main(export_args("nftables", str(path), str(ports), "--allow-all-ports"))
    out = capsys.readouterr()
    assert code == 0 and "tcp dport 1-65535 accept" in out.out
    assert "open more than 1024 ports: tcp 1-65535" in out.err
    # all ports but one is all ports; the page's widest range (49152-65535) is not
    for start, end, refused in (("2", "65535", True), ("49152", "65535", False)):
        row["port_start"], row["port_end"] = start, end
        ports.write_text(csv_text(rows, columns("ports")), "utf-8", newline="")
        code = main(export_args("nftables", str(path), str(ports)))
        err = capsys.readouterr().err
        assert (code == 2 and "would open every port" in err) == refused, err
    # port 0 is not a port: the published reader refuses it, located
    row["port_start"] = "0"
    ports.write_text(csv_text(rows, columns("ports")), "utf-8", newline="")
    code = main(export_args("nftables", str(path), str(ports)))
    assert code == 2 and "port_start" in capsys.readouterr().err


def test_the_build_warns_on_a_row_that_opens_every_port(tmp_path):
    from conftest import SNAPSHOT
    from pipeline.stages.build import build

    lines = SNAPSHOT.read_text("utf-8").splitlines()
    n = next(i for i, ln in enumerate(lines) if re.search(r"\|\s*TCP\s*\|\s*389\s*\|", ln))
    for ports, said in (("1-65535", "opens every port"), ("2-65535", "counts as every port")):
        changed = lines[:n] + [re.sub(r"(\|\s*TCP\s*\|\s*)389", rf"\g<1>{ports}", lines[n])]
        page = tmp_path / "page.txt"
        page.write_text("\n".join(changed + lines[n + 1 :]) + "\n", "utf-8")
        result = build(page, tmp_path / "out")
        assert any(
            w.startswith(f"line {n + 1}:") and said in w
            for w in [said["message"] for said in result.manifest["warnings"]]
        ), [said["message"] for said in result.manifest["warnings"]]


# -- 6. text reaches files and screens only as text ------------------------------------------

BIDI = [
    "\u202eaccept 0.0.0.0/0 pi",
    "\u2066x\u2069",
    "a\u200fb",
    "z\u200bw",
    "l\u2028m",
    "\x1b[2J\x1b]0;owned\x07",
]


def test_hidden_characters_reach_no_file_and_no_screen(built, tmp_path, capsys):
    rows = list(csv.DictReader(io.StringIO((built[0] / "ports.csv").read_text("utf-8"))))
    for n, row in enumerate(rows):
        row["details"] += BIDI[n % len(BIDI)]
        row["section"] += BIDI[(n + 1) % len(BIDI)]
    ports = tmp_path / "ports.csv"
    ports.write_text(csv_text(rows, columns("ports")), "utf-8", newline="")
    from conftest import ROOT

    amap = ROOT / "examples" / "address-map.yaml"
    hidden = re.compile(
        "[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2028\u2029\x00-\x08\x0b-\x1f\x7f]"
    )
    for fmt in ("nftables", "iptables", "ip6tables", "windows", "aws-sg"):
        assert main(export_args(fmt, str(amap), str(ports))) == 0
        out = capsys.readouterr().out
        assert not hidden.search(out), fmt
    assert main(["query", "--data", str(ports), "--columns", "section,details"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\\x1b" in out and "\\u202e" in out


# -- 7. answers a person can read ------------------------------------------------------------


def test_the_summary_is_short_and_adds_up(capsys, built, tmp_path):
    from conftest import ROOT

    text = (ROOT / "examples" / "address-map.yaml").read_text("utf-8")
    code, out, err = export(capsys, built, text, "iptables", tmp_path=tmp_path)
    assert code == 0 and len(err.splitlines()) <= 6 and max(map(len, err.splitlines())) < 300
    summary = next(ln for ln in err.splitlines() if " rule(s) written from " in ln)
    written, used, rows = map(
        int,
        re.match(r"(\d+) rule\(s\) written from (\d+) of (\d+) flow row", summary).groups(),
    )
    left = sum(int(n) for n in re.findall(r"(\d+) [a-zA-Z]", summary.split("left out: ")[1]))
    assert used + left == rows == len((built[0] / "ports.csv").read_text().splitlines()) - 1
    assert written == len(rules_of(out))
    code, _, explained = export(capsys, built, text, "iptables", "--explain", tmp_path=tmp_path)
    assert len(explained.splitlines()) > len(err.splitlines())
