"""The address map is validated configuration: plain addresses only, hosts and networks
said apart, keys once, anchors, size and width bounded, globs and regular expressions
whole and bounded, nested networks and IPv4-mapped values warned about, a missing map or
input named with what to give."""

from __future__ import annotations

import time

import pytest
from cli_args import export_args, export_map, rules_of

from conftest import ROOT
from pipeline.cli import main


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
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
        code, out, err = export_map(
            capsys, built, f"components:\n  storefront-server: {value}\n", fmt, tmp_path=tmp_path
        )
        assert code == 2 and out == "", err
        assert "map.yaml:2" in err  # and the value never reaches a line of its own
        assert not any(ln.startswith("-A CITRIX-PORTS") for ln in err.splitlines())


def test_a_host_written_with_its_prefix_shows_both_meanings(capsys, built, tmp_path):
    code, out, err = export_map(
        capsys, built, "components:\n  delivery-controller: 10.10.1.11/24\n", tmp_path=tmp_path
    )
    assert code == 2 and out == ""
    assert "mean 10.10.1.11/32 (the host) or 10.10.1.0/24 (its network)?" in err


def test_a_key_given_twice_names_both_lines(capsys, built, tmp_path):
    code, _, err = export_map(
        capsys,
        built,
        "components:\n  vda: 10.0.20.0/24\n  sql-server: 10.0.0.4\n  vda: 10.0.21.0/24\n",
        tmp_path=tmp_path,
    )
    assert code == 2 and "is given twice (lines 2 and 4)" in err
    # two keys for one component (an id and its French alias) are refused too
    code, _, err = export_map(
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
    code, _, err = export_map(capsys, built, bomb, tmp_path=tmp_path)
    assert code == 2 and "anchor or alias" in err and "map.yaml:1" in err
    assert time.monotonic() - start < 5
    big = "components:\n" + "".join(
        f"  'k{i}': 10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}\n" for i in range(2500)
    )
    code, _, err = export_map(capsys, built, big, tmp_path=tmp_path)
    assert code == 2 and "2500 keys, more than 2000" in err
    code, _, err = export_map(
        capsys, built, "components:\n  x: '" + "1" * 2_000_000 + "'\n", tmp_path=tmp_path
    )
    assert code == 2 and "larger than 1048576 bytes" in err
    # an error quotes at most an excerpt of a long value
    code, _, err = export_map(
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
    code, _, err = export_map(capsys, built, "components:\n" + lines, tmp_path=tmp_path)
    assert code == 2 and "covers more IPv4 addresses than a /8" in err
    code, _, err = export_map(
        capsys, built, "components:\n" + lines, "nftables", "--allow-any", tmp_path=tmp_path
    )
    assert code == 0 and "(--allow-any)" in err
    # one /8 alone is allowed, as it was
    code, _, err = export_map(capsys, built, "components:\n  vda: 10.0.0.0/8\n", tmp_path=tmp_path)
    assert code == 0, err


def test_glob_matches_the_whole_name(capsys, built, tmp_path):
    """'glob:Citrix Gateway' gave the Gateway's address to 'SNIP Citrix Gateway' too."""
    code, out, err = export_map(
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
    code, _, err = export_map(
        capsys, built, "components:\n  're:^(\\w+\\s?)*!$': 10.0.0.1\n", tmp_path=tmp_path
    )
    assert time.monotonic() - start < 10 and code == 0
    assert "matches no component of the data" in err
    code, _, err = export_map(
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
    code, out, err = export_map(capsys, built, nested, tmp_path=tmp_path)
    assert code == 0 and out
    said = [ln for ln in err.splitlines() if "lies in" in ln]
    assert said == [
        "warning: address map line 3: 10.0.20.5 ('delivery-controller') lies in 10.0.20.0/24 "
        "('vda', line 2): the rules to and from 'vda' reach it too"
    ], err
    example = (ROOT / "examples" / "address-map.yaml").read_text("utf-8")
    code, _, err = export_map(capsys, built, example, tmp_path=tmp_path)
    assert code == 0 and "lies in" not in err  # its gateway and SNIP share 10.0.5.10
    hosts = "".join(f"  host-{k}: 10.0.20.{k + 1}\n" for k in range(12))
    code, _, err = export_map(
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
    code, _, err = export_map(capsys, built, text, tmp_path=tmp_path)
    assert code == 0
    assert (
        ":3: ::ffff:10.0.20.0/120 ('vda') is the IPv4 network 10.0.20.0/24 written as IPv6 "
        "(IPv4-mapped): its IPv4 traffic never matches an IPv6 rule; write it as IPv4"
    ) in err
    code, _, err = export_map(
        capsys, built, text.replace("::ffff:10.0.20.0/120", "2001:db8::/64"), tmp_path=tmp_path
    )
    assert code == 0 and "IPv4-mapped" not in err
