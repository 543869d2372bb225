"""``export aerleon``: judged by aerleon itself.

For the example map (ids, zones), the same map by names and patterns, a dual-stack map and
a map without zones: ``aclgen`` (aerleon's command line, in a process of its own) compiles
the directory as written and writes what the export wrote in ``out/``; Palo Alto's XML
parses with lxml; and aerleon's AclCheck, on the policy files as written, finds that each
flow the map expects (computed here from the published ports and the map by ids, not by
the exporter) meets an accept term first, in the address filter and in the filter of its
pair of zones, and that the ports next to it, the other protocol, other pairs' ports and
addresses outside the map meet a deny first.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cli_args import export_args

from conftest import ROOT
from netlab import load_map, names_map
from pipeline.cli import main
from pipeline.dataset.query import load_ports
from pipeline.registry.components import load as load_registry

EXAMPLE = ROOT / "examples" / "address-map.yaml"
OUTSIDE = ("192.0.2.77", "2001:db8:ffff::77")  # documentation addresses no map gives


@pytest.fixture(scope="module")
def rows(built):
    return load_ports(built[0])


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def zones_of(path: Path) -> dict[str, list[str]]:
    """The map's zones as the test reads its YAML: zone -> ids (keys of the ids map)."""
    return yaml.safe_load(path.read_text("utf-8")).get("zones") or {}


def without_zones(tmp_path: Path) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    path = tmp_path / "no-zones.yaml"
    path.write_text(yaml.safe_dump({"components": data["components"]}), "utf-8")
    return path


def dual_stack(tmp_path: Path) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    comps = data["components"]
    comps["delivery-controller"] = [*comps["delivery-controller"], "2001:db8:10::21"]
    comps["vda"] = [comps["vda"], "2001:db8:20::/64"]
    comps["user-device"] = [comps["user-device"], "2001:db8:50::/64"]
    path = tmp_path / "dual.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def export_dir(capsys, built, amap: Path, out: Path, *extra: str) -> tuple[int, str]:
    code = main(export_args("aerleon", str(amap), str(built[0]), "-o", str(out), *extra))
    return code, capsys.readouterr().err


def expected(rows, amap: dict, registry, zones: dict | None = None) -> list[tuple]:
    """(source network, destination network, protocol, low, high) of every tcp/udp flow
    the map by ids gives, each direction of a flow both ways; with ``zones`` (zone ->
    ids), "any Citrix component" (not in the map itself) is the Citrix servers of the
    other end's zone only, as docs/exports.md says."""
    zone_of = {i: z for z, ids in (zones or {}).items() for i in ids}
    out = []
    for r in rows:
        if r["protocol"] not in ("tcp", "udp") or r["port_start"] is None:
            continue
        sid, did = r["source_id"] or "", r["destination_id"] or ""
        for s, d in [(sid, did)] + ([(did, sid)] if r["bidirectional"] else []):
            for s_id, d_id in (
                (a, b) for a in ends_of(amap, registry, s) for b in ends_of(amap, registry, d)
            ):
                any_end = any(
                    e not in amap
                    and registry.components.get(e) is not None
                    and registry.components[e].kind == "any"
                    for e in (s, d)
                )
                if (
                    any_end
                    and zone_of.get(s_id)
                    and zone_of.get(d_id)
                    and zone_of[s_id] != zone_of[d_id]
                ):
                    continue
                for sn in amap.get(s_id, []):
                    for dn in amap.get(d_id, []):
                        if sn.version == dn.version:
                            out.append((sn, dn, r["protocol"], r["port_start"], r["port_end"]))
    return out


def ends_of(amap: dict, registry, cid: str) -> list[str]:
    """The mapped ids an end stands for (``netlab.ids_of``), the end itself when mapped."""
    from netlab import ids_of

    return ids_of(amap, registry, cid)


def accepts(flows: list[tuple], src: str, dst: str, proto: str, port: int) -> bool:
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    return any(
        s in sn and d in dn and p == proto and lo <= port <= hi for sn, dn, p, lo, hi in flows
    )


def host(net) -> str:
    return str(net.network_address + (1 if net.num_addresses > 2 else 0))


def probes(flows: list[tuple], every: list[tuple]) -> list[tuple[str, str, str, int]]:
    """Per flow: its first and last port; the ports next to them, the other protocol,
    another flow's port, and sources and destinations outside the map."""
    out = set()
    other_ports = sorted({lo for *_, lo, _ in every})
    for sn, dn, proto, lo, hi in flows:
        s, d = host(sn), host(dn)
        outside = OUTSIDE[0] if sn.version == 4 else OUTSIDE[1]
        out |= {(s, d, proto, lo), (s, d, proto, hi), (s, d, proto, max(lo - 1, 1))}
        out |= {(s, d, proto, min(hi + 1, 65535)), (s, d, "udp" if proto == "tcp" else "tcp", lo)}
        out |= {(outside, d, proto, lo), (s, outside, proto, lo)}
        out |= {(s, d, proto, p) for p in other_ports[:: max(1, len(other_ports) // 8)]}
    return sorted(out)


def check(pol_file: Path, def_dir: Path, flows_of_filter) -> tuple[int, int, list[str]]:
    """AclCheck on each filter of the policy as written: (expected, unexpected, findings)."""
    return _check(pol_file, def_dir, flows_of_filter)


def _check(pol_file: Path, def_dir: Path, flows_of_filter) -> tuple[int, int, list[str]]:
    """AclCheck on each filter of the policy as written: (expected, unexpected, findings)."""
    from aerleon.lib import aclcheck, naming, policy, policy_builder

    defs = naming.Naming(str(def_dir))
    filters = yaml.safe_load(pol_file.read_text("utf-8"))["filters"]
    n_good = n_bad = 0
    findings = []
    for f in filters:
        flows, every = flows_of_filter(f["header"])
        # AclCheck names a filter by its first header option; Kubernetes takes none
        f = {**f, "header": {**f["header"], "targets": {k: v or k for k, v in f["header"]["targets"].items()}}}  # fmt: skip
        pol = policy.FromBuilder(
            policy_builder.PolicyBuilder({"filename": "citrix", "filters": [f]}, defs)
        )
        anywhere = not any("destination-address" in t for t in f["terms"])
        for src, dst, proto, port in probes(flows, every):
            if anywhere and dst in OUTSIDE:
                continue  # a rule with no destination applies where it is deployed
            matches = aclcheck.AclCheck(pol, src, dst, "any", port, proto).matches
            first = next((m for m in matches if not m.possibles), None)
            got = bool(first) and first.action == "accept"
            want = accepts(flows, src, dst, proto, port)
            n_good += want
            n_bad += not want
            if got != want:
                findings.append(
                    f"{'missed' if want else 'accepted'}: {src} -> {dst} {proto} {port} "
                    f"({', '.join(f['header']['targets'])}: {first.term if first else 'no term'})"
                )
    return n_good, n_bad, findings


def judge(out: Path, rows, ids_map: Path, registry, host: str = "") -> None:
    """No expected flow missed, none other accepted (``host``: only the flows to it)."""
    amap = load_map(ids_map)
    zone_nets = {
        z: [n for i in ids for n in amap.get(i, [])] for z, ids in zones_of(ids_map).items()
    }
    every = expected(rows, amap, registry, zones_of(ids_map))
    if host:
        every = [
            f
            for f in every
            if any(f[1].subnet_of(h) for h in amap[host] if h.version == f[1].version)
        ]

    def in_zone(net, zone):
        return any(net.subnet_of(z) for z in zone_nets[zone] if z.version == net.version)

    def flows_of_filter(header):
        options = next(iter(header["targets"].values()))
        if options.startswith("from-zone"):
            zs, zd = options.split()[1], options.split()[3]
            return [f for f in every if in_zone(f[0], zs) and in_zone(f[1], zd)], every
        return every, every

    n_good, n_bad, findings = check(out / "pol" / "citrix.yaml", out / "def", flows_of_filter)
    assert findings == [], findings[:20]
    assert n_good > 0 and n_bad > 0


def aclgen(out: Path, tmp_path: Path) -> dict[str, bytes]:
    """What aerleon's own command line writes for the directory, as the issue runs it."""
    exe = shutil.which("aclgen") or str(Path(sys.executable).parent / "aclgen")
    target = tmp_path / "aclgen-out"
    target.mkdir()
    done = subprocess.run(
        [exe, "--base_directory", str(out), "--definitions_directory", str(out / "def"),
         "--output_directory", str(target)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return {p.name: p.read_bytes() for p in sorted(target.iterdir())}


MAPS = ["ids", "names", "dual"]


def map_of(kind: str, built, tmp_path: Path) -> tuple[Path, Path]:
    """(the map the export reads, the same map by ids the judge reads)."""
    if kind == "ids":
        return EXAMPLE, EXAMPLE
    if kind == "dual":
        path = dual_stack(tmp_path)
        return path, path
    zones = zones_of(EXAMPLE)
    return names_map(built[0] / "components.csv", EXAMPLE, tmp_path / "names.yaml", zones), EXAMPLE


@pytest.mark.slow
@pytest.mark.parametrize("kind", MAPS)
def test_aclgen_compiles_it_and_aclcheck_finds_no_flow_missed_and_none_widened(
    capsys, built, rows, registry, tmp_path, kind
):
    amap, ids_map = map_of(kind, built, tmp_path)
    out = tmp_path / "aerleon"
    code, err = export_dir(capsys, built, amap, out)
    assert code == 0, err
    written = {p.name: p.read_bytes() for p in sorted((out / "out").iterdir())}
    suffixes = {Path(n).suffix for n in written}
    assert {".xml", ".fgacl", ".srx", ".asa", ".acl", ".jcl", ".eacl"} <= suffixes
    assert aclgen(out, tmp_path) == written
    from lxml import etree

    root = etree.fromstring(written["citrix.xml"])
    rules = root.findall(".//security/rules/entry")
    assert rules and all(r.find("action").text in ("allow", "deny") for r in rules)
    judge(out, rows, ids_map, registry)


@pytest.mark.slow
def test_the_judge_fails_a_widened_or_a_narrowed_policy(capsys, built, rows, registry, tmp_path):
    out = tmp_path / "aerleon"
    assert export_dir(capsys, built, EXAMPLE, out)[0] == 0
    pol = out / "pol" / "citrix.yaml"
    text = pol.read_text("utf-8")
    for changed in (
        re.sub(
            r"destination-port: (.*TCP_1494.*)\n", r"destination-port: \1 TCP_1433\n", text, count=1
        ),
        text.replace("action: accept", "action: deny", 1),
    ):
        assert changed != text
        pol.write_text(changed, "utf-8")
        with pytest.raises(AssertionError):
            judge(out, rows, EXAMPLE, registry)


@pytest.mark.slow
def test_a_map_without_zones_writes_the_address_platforms_only(
    capsys, built, rows, registry, tmp_path
):
    amap = without_zones(tmp_path)
    out = tmp_path / "plain"
    code, err = export_dir(capsys, built, amap, out)
    assert code == 0, err
    names = sorted(p.name for p in (out / "out").iterdir())
    assert "citrix.xml" not in names and "citrix.acl" in names
    code, err = export_dir(capsys, built, amap, tmp_path / "pa", "--platform", "paloalto")
    assert code == 2 and "zones" in err and not (tmp_path / "pa").exists()
    judge(out, rows, amap, registry)


@pytest.mark.slow
def test_platforms_without_destinations_need_one_host(capsys, built, rows, registry, tmp_path):
    code, err = export_dir(capsys, built, EXAMPLE, tmp_path / "k", "--platform", "k8s")
    assert code == 2 and "--host" in err
    out = tmp_path / "vda"
    code, err = export_dir(capsys, built, EXAMPLE, out, "--host", "vda", "--platform", "k8s", "--platform", "gce")  # fmt: skip
    assert code == 0, err
    policies = yaml.safe_load((out / "out" / "citrix.yml").read_text("utf-8"))
    assert policies["kind"] == "NetworkPolicyList" and policies["items"]
    cidrs = {b["ipBlock"]["cidr"] for p in policies["items"] for i in p["spec"]["ingress"] for b in i["from"]}  # fmt: skip
    amap = load_map(EXAMPLE)
    sources = {
        str(n)
        for f in expected(rows, amap, registry)
        if any(f[1].subnet_of(v) for v in amap["vda"])
        for n in [f[0]]
    }
    assert cidrs == sources
    assert (out / "out" / "citrix.gce").exists()
    judge(out, rows, EXAMPLE, registry, host="vda")
    assert aclgen(out, tmp_path) == {
        p.name: p.read_bytes() for p in sorted((out / "out").iterdir())
    }


def test_zones_select_the_perimeter_flows_of_every_format(capsys, built, tmp_path):
    code = main(export_args("nftables", str(EXAMPLE), str(built[0]), "--from-zone", "users", "--to-zone", "dmz"))  # fmt: skip
    out = capsys.readouterr()
    assert code == 0
    amap = load_map(EXAMPLE)
    users = {str(n) for i in ("user-device", "admin-workstation") for n in amap[i]}
    import re

    for line in out.out.splitlines():
        if " accept comment" in line:
            saddr = re.search(r"saddr \{ ([^}]*) \}", line).group(1).split(", ")
            daddr = re.search(r"daddr \{ ([^}]*) \}", line).group(1).split(", ")
            assert {ipaddress.ip_network(a) for a in saddr} <= {
                ipaddress.ip_network(u) for u in users
            }
            assert daddr == ["10.0.5.10"]
    code = main(export_args("nftables", str(EXAMPLE), str(built[0]), "--from-zone", "nowhere"))  # fmt: skip
    assert code == 2 and "nowhere" in capsys.readouterr().err


@pytest.mark.parametrize(
    "zones, message",
    [
        ("  'bad zone': [vda]\n", "not one a firewall takes"),
        ("  a: [no-such-key]\n", "is no key of 'components'"),
        ("  a: ['re:(']\n", "is not an RE2 regular expression"),
        ("  a: [vda]\n  b: [vda]\n", "is in zone 'a'"),
        ("  a: [netscaler-gateway]\n  b: [netscaler-gateway-snip]\n", "10.0.5.10/32 is in zone"),
    ],
)
def test_a_bad_zone_is_a_located_error(capsys, built, tmp_path, zones, message):
    data = EXAMPLE.read_text("utf-8").split("\nzones:\n")[0]
    path = tmp_path / "bad.yaml"
    path.write_text(f"{data}\nzones:\n{zones}", "utf-8")
    code, err = export_dir(capsys, built, path, tmp_path / "o")
    assert code == 2 and message in err and "bad.yaml:" in err, err


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_the_export_is_deterministic(capsys, built, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert export_dir(capsys, built, EXAMPLE, a)[0] == 0
    assert export_dir(capsys, built, EXAMPLE, b)[0] == 0
    files = lambda d: {p.relative_to(d): p.read_bytes() for p in d.rglob("*") if p.is_file()}  # noqa: E731
    assert files(a) == files(b) and len(files(a)) >= 10


@pytest.mark.slow
def test_the_host_formats_stay_ours_by_the_same_judge(capsys, built, tmp_path):
    """docs/exports.md says why nftables stays ours: on the same check (`nft -c`), aerleon 1.18's
    nftables output of this very policy fails (comments over nftables' 128 characters)
    where ours passes. When a newer aerleon passes, this test says so: then judge it by
    the packet tests and keep one path."""
    nft = shutil.which("nft")
    if not nft:
        pytest.skip("nft is not installed here (.ci/run installs it)")
    from aerleon import api
    from aerleon.lib import naming

    out = tmp_path / "aerleon"
    assert export_dir(capsys, built, EXAMPLE, out, "--platform", "cisco")[0] == 0
    policy = yaml.safe_load((out / "pol" / "citrix.yaml").read_text("utf-8"))
    (plain,) = [f for f in policy["filters"] if "cisco" in f["header"]["targets"]]
    plain["header"]["targets"] = {"nftables": "mixed INPUT"}
    theirs = api.Generate(
        [{"filename": "theirs", "filters": [plain]}], naming.Naming(str(out / "def"))
    )["theirs.nft"]
    (tmp_path / "theirs.nft").write_text(theirs, "utf-8")
    assert main(export_args("nftables", str(EXAMPLE), str(built[0]), "--hook", "input", "-o", str(tmp_path / "ours.nft"))) == 0  # fmt: skip
    judged = {
        name: subprocess.run(
            [nft, "-c", "-f", str(tmp_path / name)], capture_output=True, text=True
        )
        for name in ("ours.nft", "theirs.nft")
    }
    if any("Operation not permitted" in d.stderr for d in judged.values()):
        pytest.skip("nft -c cannot run here")
    assert judged["ours.nft"].returncode == 0, judged["ours.nft"].stderr
    assert (
        judged["theirs.nft"].returncode != 0 and "comment too long" in judged["theirs.nft"].stderr
    )


def test_a_platform_left_out_leaves_no_stale_configuration(capsys, built, tmp_path):
    out = tmp_path / "aerleon"
    assert export_dir(capsys, built, EXAMPLE, out)[0] == 0
    assert (out / "out" / "citrix.xml").exists()
    (out / "out" / "README").write_text("the team's own file", "utf-8")
    code, err = export_dir(capsys, built, EXAMPLE, out, "--platform", "cisco")
    assert code == 0 and "removed out/citrix.xml" in err
    assert sorted(p.name for p in (out / "out").iterdir()) == ["README", "citrix.acl"]


@pytest.mark.slow
def test_zone_pairs_end_with_a_deny_only_when_asked_and_any_stays_in_its_zone(
    capsys, built, tmp_path
):
    out = tmp_path / "aerleon"
    assert export_dir(capsys, built, EXAMPLE, out)[0] == 0
    filters = yaml.safe_load((out / "pol" / "citrix.yaml").read_text("utf-8"))["filters"]
    zoned = [f for f in filters if "Zone " in f["header"]["comment"]]
    assert zoned and not any(t["action"] == "deny" for f in zoned for t in f["terms"])
    # the licence server's "any Citrix component" is never the DMZ's NetScaler (10.0.5.10)
    networks = yaml.safe_load((out / "def" / "networks.yaml").read_text("utf-8"))["networks"]
    dmz = {n for n, v in networks.items() if {"address": "10.0.5.10"} in v["values"]}
    to_licence = [
        t for f in filters for t in f["terms"]
        if t.get("destination-address", "").startswith("LICENSE_SERVER")
        and {"TCP_27000", "TCP_7279"} & set(t.get("destination-port", "").split())
    ]  # fmt: skip
    assert to_licence and not any(t["source-address"] in dmz for t in to_licence)
    # and --explain says what it left out, per flow and pair of zones
    code, err = export_dir(capsys, built, EXAMPLE, tmp_path / "explained", "--explain")
    assert code == 0 and "not written from zone dmz to zone servers" in err
    again = tmp_path / "deny"
    assert export_dir(capsys, built, EXAMPLE, again, "--final-deny")[0] == 0
    filters = yaml.safe_load((again / "pol" / "citrix.yaml").read_text("utf-8"))["filters"]
    zoned = [f for f in filters if "Zone " in f["header"]["comment"]]
    assert all(f["terms"][-1]["action"] == "deny" for f in zoned)


@pytest.mark.slow
def test_objects_are_per_role_and_terms_are_named_from_the_flow(
    capsys, built, rows, registry, tmp_path
):
    """Roles that share addresses (the STA on the Delivery Controllers, the Gateway VIP
    and its SNIP on one address) are objects of their own, each named after its role;
    term names are the flow's, unique, never cut in a number nor ended by a hash; the
    policy is still exactly the flows (AclCheck)."""
    data = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    data["components"]["sta"] = list(data["components"]["delivery-controller"])
    data["zones"]["servers"].append("sta")
    amap = tmp_path / "shared.yaml"
    amap.write_text(yaml.safe_dump(data), "utf-8")
    out = tmp_path / "aerleon"
    code, err = export_dir(capsys, built, amap, out)
    assert code == 0, err
    networks = yaml.safe_load((out / "def" / "networks.yaml").read_text("utf-8"))["networks"]
    assert networks["STA"]["values"] == networks["DELIVERY_CONTROLLER"]["values"]
    assert networks["NETSCALER_GATEWAY"]["values"] == networks["NETSCALER_GATEWAY_SNIP"]["values"]
    filters = yaml.safe_load((out / "pol" / "citrix.yaml").read_text("utf-8"))["filters"]
    terms = [t for f in filters for t in f["terms"]]
    for t in terms:
        if "-to-sta-" in t["name"]:
            assert t["destination-address"].startswith("STA"), t
        if "-to-delivery-controller-" in t["name"]:
            assert t["destination-address"].startswith("DELIVERY_CONTROLLER"), t
        if t["name"].startswith("netscaler-gateway-snip-to-"):
            assert t["source-address"].startswith("NETSCALER_GATEWAY_SNIP"), t
        assert not re.search(r"-[0-9a-f]{8}$", t["name"]), t["name"]
        assert re.fullmatch(r"[a-z-]+(?:-\d+)?(?:-[a-z0-9-]+)?", t["name"]), t["name"]
        assert len(t["name"]) <= 50
    per_filter = [[t["name"] for t in f["terms"]] for f in filters]
    assert all(len(names) == len(set(names)) for names in per_filter)
    assert any(len(t.get("destination-port", "").split()) > 1 for t in terms)
    judge(out, rows, amap, registry)


@pytest.mark.slow
def test_a_full_disk_leaves_the_previous_export_whole(capsys, built, tmp_path, monkeypatch):
    import errno
    import os

    from pipeline.core import atomic

    out = tmp_path / "aerleon"
    assert export_dir(capsys, built, EXAMPLE, out, "--platform", "juniper")[0] == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    calls = {"n": 0}
    real = os.fsync

    def full(fd):
        calls["n"] += 1
        if calls["n"] == 3:  # the third file of the new export: the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(atomic.os, "fsync", full)
    code, err = export_dir(capsys, built, EXAMPLE, out, "--platform", "paloalto")
    assert code == 2 and "the disk is full" in err
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # the old policy and its compiled file, nothing new, no temporary
