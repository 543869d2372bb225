"""The host-firewall exports judged by real packets: each file is loaded, as its header
tells a user to load it, into a network namespace the test creates (the host), and TCP
and UDP packets are sent to it from a second namespace (its peers, every other address
of the map, and addresses outside the map).  Every expected flow must pass; ports next
to each allowed range, the other protocol, other pairs' ports and addresses outside the
map must be blocked; loading twice leaves the same rules; the host's own rules stay.
The judge is tested too: a file widened by hand (an accept-all rule) or narrowed (one
rule removed) must fail it.

The expected flows come from the published ports and the map by ids (tests/netlab.py),
not from the exporter.  Skipped, with the reason, where namespaces or the tools are
missing (CI runs as root with nft and iptables installed).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from cli_args import export_args

from conftest import ROOT
from netlab import Lab, Router, expected_flows, load_map, names_map, sample, unavailable
from pipeline.cli import main

WHY = unavailable()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(WHY), reason=WHY or "-")]
EXAMPLE = ROOT / "examples" / "address-map.yaml"
OUTSIDE = {4: "192.0.2.77", 6: "2001:db8:ffff::77"}  # in no map
DUAL = """components:
  storefront-server: [10.0.10.11, 10.0.10.12, "2001:db8:10::11"]
  domain-controller: [10.0.0.10, "2001:db8::10"]
  delivery-controller: [10.0.10.21, "2001:db8:10::21"]
  vda: [10.0.20.0/24, "2001:db8:20::/64"]
  user-device: [10.0.50.0/24, "2001:db8:50::/64"]
  license-server: [10.0.10.30, "2001:db8:10::30"]
  sql-server: "2001:db8:10::40"
  director: [10.0.10.50, "2001:db8:10::50"]
  fas-server: 10.0.10.60
"""


def need(tool: str) -> None:
    if not shutil.which(tool):
        pytest.skip(f"{tool} is not installed here (.ci/run installs it)")


@pytest.fixture(scope="module")
def rows(built):
    from pipeline.dataset.query import load_ports

    return load_ports(built[0])


@pytest.fixture(scope="module")
def registry():
    from pipeline.registry.components import load

    return load()


def export_file(capsys, built, amap: Path, fmt: str, out: Path, *extra: str) -> str:
    code = main(export_args(fmt, str(amap), str(built[0]), "-o", str(out), *extra))
    err = capsys.readouterr().err
    assert code == 0, err
    return err


def probes(expected: dict, host_addrs: list[str], peers: list[str]):
    """(must pass, must be blocked): the ends of every allowed range and a port inside;
    the ports next to it, the other protocol, the ports other peers may use, and the
    outside addresses."""

    def allowed(s, d, p, port):
        return any(a <= port <= b for a, b in expected.get((s, d, p), []))

    good, bad = set(), set()
    for (s, d, p), ranges in expected.items():
        other = "udp" if p == "tcp" else "tcp"
        for a, b in ranges:
            good |= {(s, d, p, port) for port in (a, (a + b) // 2, b)}
            bad |= {
                (s, d, p, port)
                for port in (a - 1, b + 1)
                if 1 <= port <= 65535 and not allowed(s, d, p, port)
            }
            bad |= {(s, d, other, port) for port in (a, b) if not allowed(s, d, other, port)}
            outside = OUTSIDE[6 if ":" in d else 4]
            bad.add((outside, d, p, a))
    for d in host_addrs:  # every peer against the ports any peer may use on this address
        used = sorted(
            {(p, a) for (s, dd, p), ranges in expected.items() if dd == d for a, _ in ranges}
        )
        for s in peers:
            if (":" in s) != (":" in d):
                continue
            bad |= {(s, d, p, a) for p, a in used if not allowed(s, d, p, a)}
    return sorted(good), sorted(bad)


def judge(lab: Lab, expected: dict, host_addrs: list[str], peers: list[str], side: str = "cl"):
    """(expected flows blocked, unexpected packets passed); ``side="fw"``: sent by the
    firewall host (its outbound rules: ``host_addrs`` are then the peers it sends to)."""
    good, bad = probes(expected, host_addrs, peers)
    if side == "fw":  # the host sends only from its own addresses
        bad = [b for b in bad if b[0] in peers]
    got = lab.probe([list(x) for x in good + bad], side)
    missed = [g for g, ok in zip(good, got[: len(good)]) if not ok]
    leaked = [b for b, ok in zip(bad, got[len(good) :]) if ok]
    return missed, leaked, len(good), len(bad)


def addresses(amap: dict, host: str) -> tuple[list[str], list[str]]:
    host_nets = amap[host]
    mine = sorted({sample(n) for n in host_nets})
    peers = sorted(
        {
            sample(n)
            for cid, nets in amap.items()
            if cid != host
            for n in nets
            if not any(n.overlaps(h) for h in host_nets)
        }
        | set(OUTSIDE.values())
    )
    return mine, peers


def nft_load(lab: Lab, path: Path) -> str:
    lab.on_fw("nft", "-f", str(path))
    return lab.on_fw("nft", "list", "table", "inet", "citrix_ports")


def xt_load(lab: Lab, path: Path, tool: str) -> str:
    lab.on_fw(f"{tool}-restore", "--noflush", str(path))
    # the command the file's header gives, once
    header = next(ln for ln in path.read_text().splitlines() if "-C INPUT" in ln)
    assert (
        header.strip("# ")
        == f"{tool} -C INPUT -j CITRIX-PORTS 2>/dev/null || {tool} -A INPUT -j CITRIX-PORTS"
    )
    try:
        lab.on_fw(tool, "-C", "INPUT", "-j", "CITRIX-PORTS")
    except RuntimeError:
        lab.on_fw(tool, "-A", "INPUT", "-j", "CITRIX-PORTS")
    return lab.on_fw(f"{tool}-save", "-t", "filter")


def host_own_rules(lab: Lab, tool: str) -> None:
    """The host's own firewall, as a user has it before loading ours: replies, loopback,
    a rule of its own, and a default drop."""
    lab.on_fw(
        tool, "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"
    )
    lab.on_fw(tool, "-A", "INPUT", "-i", "lo", "-j", "ACCEPT")
    if tool == "ip6tables":
        lab.on_fw(tool, "-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT")
    lab.on_fw(
        tool,
        "-A",
        "INPUT",
        "-s",
        "198.51.100.7" if tool == "iptables" else "2001:db8:eeee::7",
        "-p",
        "tcp",
        "--dport",
        "2222",
        "-j",
        "ACCEPT",
    )
    lab.on_fw(tool, "-P", "INPUT", "DROP")


def check_host(
    capsys,
    built,
    rows,
    registry,
    tmp_path,
    map_path: Path,
    host: str,
    fmt: str,
    ids_map: Path | None = None,
    tag: str = "a",
    more: tuple[str, ...] = (),
):
    """Export ``fmt`` for ``host`` from ``map_path``, load it in a lab, judge it."""
    amap = load_map(ids_map or map_path)
    expected = expected_flows(rows, amap, registry, host)
    version = {"iptables": 4, "ip6tables": 6}.get(fmt)
    if version:
        expected = {k: v for k, v in expected.items() if (":" in k[1]) == (version == 6)}
    assert expected, f"{host}: no flow to test"
    mine, peers = addresses(amap, host)
    out = tmp_path / f"{host}.{fmt}"
    extra = ["--hook", "input"] if fmt == "nftables" else []
    export_file(capsys, built, map_path, fmt, out, "--host", host, *extra, *more)
    with Lab(tag, mine, peers) as lab:
        if fmt == "nftables":
            lab.on_fw("nft", "add", "table", "inet", "mine")
            lab.on_fw("nft", "add", "chain", "inet", "mine", "keep")
            lab.on_fw("nft", "add", "rule", "inet", "mine", "keep", "counter", "accept")
            first = nft_load(lab, out)
            assert nft_load(lab, out) == first  # a second load: the same rules
            assert "counter" in lab.on_fw("nft", "list", "table", "inet", "mine")
        else:
            host_own_rules(lab, fmt)
            first = xt_load(lab, out, fmt)
            second = xt_load(lab, out, fmt)
            strip = lambda t: [ln for ln in t.splitlines() if not ln.startswith("#")]  # noqa: E731
            assert strip(second) == strip(first)
            assert "--dport 2222 -j ACCEPT" in second and ":INPUT DROP" in second
            assert second.count("-A INPUT -j CITRIX-PORTS") == 1
        missed, leaked, n_good, n_bad = judge(lab, expected, mine, peers)
    assert (missed, leaked) == ([], []), f"{n_good} expected, {n_bad} unexpected probes"
    assert n_good > 0 and n_bad > 0
    return out, expected, mine, peers


@pytest.mark.parametrize(
    "host", ["delivery-controller", "vda", "storefront-server", "license-server"]
)
def test_nftables_rules_of_a_host_pass_exactly_the_map(
    capsys, built, rows, registry, tmp_path, host
):
    need("nft")
    check_host(capsys, built, rows, registry, tmp_path, EXAMPLE, host, "nftables", tag=host[:3])


@pytest.mark.parametrize("host", ["delivery-controller", "vda"])
def test_iptables_rules_of_a_host_pass_exactly_the_map(
    capsys, built, rows, registry, tmp_path, host
):
    need("iptables-restore")
    check_host(capsys, built, rows, registry, tmp_path, EXAMPLE, host, "iptables", tag=host[:3])


@pytest.mark.parametrize("fmt", ["nftables", "iptables", "ip6tables"])
def test_a_dual_stack_map(capsys, built, rows, registry, tmp_path, fmt):
    need("nft" if fmt == "nftables" else f"{fmt}-restore")
    path = tmp_path / "dual.yaml"
    path.write_text(DUAL, "utf-8")
    for host in ("delivery-controller", "license-server"):
        check_host(capsys, built, rows, registry, tmp_path, path, host, fmt, tag=fmt[:3])


def test_a_map_by_names_and_patterns_opens_what_the_map_by_ids_opens(
    capsys, built, rows, registry, tmp_path
):
    """The example map rewritten with the page's own names: exact names, whole-name
    globs and RE2 alternations of every name a component is written as."""
    need("nft")
    path = names_map(built[0] / "components.csv", EXAMPLE, tmp_path / "names.yaml")
    for host in ("delivery-controller", "storefront-server"):
        check_host(
            capsys,
            built,
            rows,
            registry,
            tmp_path,
            path,
            host,
            "nftables",
            ids_map=EXAMPLE,
            tag="nm",
        )


@pytest.mark.parametrize("fmt", ["nftables", "iptables"])
def test_the_judge_fails_a_widened_or_a_narrowed_file(capsys, built, rows, registry, tmp_path, fmt):
    need("nft" if fmt == "nftables" else "iptables-restore")
    amap = load_map(EXAMPLE)
    host = "delivery-controller"
    expected = expected_flows(rows, amap, registry, host)
    mine, peers = addresses(amap, host)
    out = tmp_path / f"rules.{fmt}"
    export_file(
        capsys,
        built,
        EXAMPLE,
        fmt,
        out,
        "--host",
        host,
        *(["--hook", "input"] if fmt == "nftables" else []),
    )
    text = out.read_text()
    rule = re.compile(
        r"^\t\tip saddr .* accept comment" if fmt == "nftables" else r"^-A CITRIX-PORTS -s"
    )
    lines = text.splitlines()
    # the first rule from a peer (the host's rules to itself are not probed)
    first = next(
        i
        for i, ln in enumerate(lines)
        if rule.match(ln)
        and not any(re.search(rf"(saddr {{ |-s ){re.escape(a)}\b", ln) for a in mine)
    )
    wide = (
        lines[:first]
        + (["\t\taccept"] if fmt == "nftables" else ["-A CITRIX-PORTS -j ACCEPT"])
        + lines[first:]
    )
    narrow = lines[:first] + lines[first + 1 :]
    for name, body in (("wide", wide), ("narrow", narrow)):
        path = tmp_path / f"{name}.{fmt}"
        path.write_text("\n".join(body) + "\n")
        with Lab(name[:2] + fmt[:2], mine, peers) as lab:
            if fmt == "nftables":
                nft_load(lab, path)
            else:
                host_own_rules(lab, fmt)
                xt_load(lab, path, fmt)
            missed, leaked, _, _ = judge(lab, expected, mine, peers)
        if name == "wide":
            assert leaked and not missed
        else:
            assert missed and not leaked


def test_an_output_hook_passes_exactly_the_host_s_outbound_flows_and_its_loopback(
    capsys, built, rows, registry, tmp_path
):
    """--direction out --hook output, loaded on the host: its packets to its peers pass
    exactly as the flows from it say, and its own loopback still works (input and output
    hooked together, policy drop)."""
    need("nft")
    amap = load_map(EXAMPLE)
    host = "delivery-controller"
    expected = expected_flows(rows, amap, registry, host, direction="out")
    assert expected
    mine, peers = addresses(amap, host)
    out = tmp_path / "out.nft"
    export_file(
        capsys,
        built,
        EXAMPLE,
        "nftables",
        out,
        "--host",
        host,
        "--direction",
        "out",
        "--hook",
        "output",
        "--hook",
        "input",
    )
    with Lab("out", mine, peers) as lab:
        nft_load(lab, out)
        missed, leaked, n_good, n_bad = judge(lab, expected, peers, mine, side="fw")
        loopback = lab.probe([["127.0.0.1", "127.0.0.1", "tcp", 9], ["::1", "::1", "tcp", 9]], "fw")
    assert (missed, leaked) == ([], []), f"{n_good} expected, {n_bad} unexpected probes"
    assert n_good > 0 and n_bad > 0
    assert loopback == [True, True]


def test_a_forward_hook_on_a_router_passes_exactly_the_host_s_flows(
    capsys, built, rows, registry, tmp_path
):
    """--hook forward, loaded on a router between the host's peers and the host: what
    crosses it is exactly the host's inbound flows (policy drop)."""
    need("nft")
    amap = load_map(EXAMPLE)
    host = "delivery-controller"
    expected = expected_flows(rows, amap, registry, host)
    mine, peers = addresses(amap, host)
    peers = [p for p in peers if ":" not in p]
    out = tmp_path / "forward.nft"
    export_file(capsys, built, EXAMPLE, "nftables", out, "--host", host, "--hook", "forward")
    assert "hook forward" in out.read_text() and 'iif "lo"' not in out.read_text()
    with Router("fwd", mine, peers) as lab:
        nft_load(lab, out)
        missed, leaked, n_good, n_bad = judge(lab, expected, mine, peers)
        # the judge on the router: the same file with policy accept leaks
        wide = tmp_path / "wide.nft"
        wide.write_text(out.read_text().replace("policy drop", "policy accept"))
        nft_load(lab, wide)
        assert judge(lab, expected, mine, peers)[1]
    assert (missed, leaked) == ([], []), f"{n_good} expected, {n_bad} unexpected probes"
    assert n_good > 0 and n_bad > 0


DAAS = """components:
  cloud-connector: [10.0.40.11, 10.0.40.12]
  vda: 10.0.20.0/24
  user-device: 10.0.50.0/24
  license-server: 10.0.10.30
"""


def test_a_daas_resource_location_passes_the_flows_the_notes_derive(
    capsys, built, rows, registry, tmp_path
):
    """The Cloud Connector acts for the Delivery Controller (Citrix DaaS notes): the VDA
    reaches it on TCP 80, as the Delivery Controller row it stands for says both ways."""
    need("nft")
    path = tmp_path / "daas.yaml"
    path.write_text(DAAS, "utf-8")
    expected = expected_flows(rows, load_map(path), registry, "cloud-connector")
    assert ("10.0.20.1", "10.0.40.11", "tcp") in expected  # derived, line 104
    check_host(
        capsys, built, rows, registry, tmp_path, path, "cloud-connector", "nftables", tag="dz"
    )


def test_without_edt_the_vda_receives_no_edt_udp_and_everything_else(
    capsys, built, rows, registry, tmp_path
):
    """--without edt: the VDA of a DaaS resource location receives every flow of the page
    but the UDP halves the page requires only with EDT (1494, 2598 from the Cloud
    Connector and the Gateway), judged by packets: those UDP ports are blocked."""
    need("nft")
    path = tmp_path / "daas.yaml"
    path.write_text(DAAS + "  netscaler-gateway-snip: 10.0.5.10\n", "utf-8")
    kept = [r for r in rows if r["condition"] != "edt"]
    assert len(kept) < len(rows)
    amap = load_map(path)
    every = expected_flows(rows, amap, registry, "vda")
    expected = expected_flows(kept, amap, registry, "vda")
    edt_only = {k for k in every if k not in expected or every[k] != expected[k]}
    assert edt_only and all(k[2] == "udp" for k in edt_only)
    check_host(
        capsys,
        built,
        kept,
        registry,
        tmp_path,
        path,
        "vda",
        "nftables",
        tag="ed",
        more=("--without", "edt"),
    )
