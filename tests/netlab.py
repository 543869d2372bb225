"""A two-host network lab for the packet tests: a firewall host and a client host, each a
network namespace the test creates, joined by one veth pair; nothing leaves them.

Input: the addresses each host holds.  Output: ``Lab`` (run commands in either host,
probe TCP and UDP from the client to the firewall host) and ``expected_flows`` (what a
rule file for one host must let through, computed from the published ports and the map
by ids, without the exporter's code).

A probe passes when the firewall host answers: a TCP RST or an ICMP port unreachable
(no listener is needed: the kernel answers once the packet is accepted); it is blocked
when nothing comes back within the timeout.  Probes run concurrently in bounded batches.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = textwrap.dedent(r"""
    import errno, json, resource, selectors, socket, sys, time
    probes = json.load(sys.stdin)
    # as many sockets at once as the descriptor limit leaves room for: one wait per batch
    timeout = 0.3  # a veth answers in well under a millisecond; only blocked probes wait it out
    batch = max(100, min(4000, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 64))
    result = [False] * len(probes)
    for first in range(0, len(probes), batch):
        sel = selectors.DefaultSelector()
        socks = []
        for i in range(first, min(first + batch, len(probes))):
            src, dst, proto, port = probes[i]
            fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
            s.setblocking(False)
            s.bind((src, 0))
            socks.append(s)
            # a packet the sender's own output rules drop fails at once (EPERM): blocked
            if proto == "tcp":
                if s.connect_ex((dst, port)) in (errno.EPERM, errno.EACCES):
                    continue
                sel.register(s, selectors.EVENT_WRITE, i)
            else:
                try:
                    s.connect((dst, port))
                    s.send(b"citrix-ports probe")
                except (PermissionError, OSError):
                    continue
                sel.register(s, selectors.EVENT_READ, i)
        end = time.monotonic() + timeout
        pending = len(sel.get_map())
        while pending and time.monotonic() < end:
            for key, _ in sel.select(max(0.0, end - time.monotonic())):
                s, i = key.fileobj, key.data
                if probes[i][2] == "tcp":
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    result[i] = err in (0, errno.ECONNREFUSED)
                else:
                    try:
                        s.recv(64)
                        result[i] = True
                    except ConnectionRefusedError:
                        result[i] = True
                    except OSError:
                        result[i] = False
                sel.unregister(s)
                pending -= 1
        for s in socks:
            s.close()
        sel.close()
    json.dump(result, sys.stdout)
""")


def unavailable() -> str:
    """Why namespaces cannot be used here ("" when they can)."""
    if os.geteuid() != 0:
        return "network namespaces need root (CI runs as root)"
    if not shutil.which("ip"):
        return "iproute2's ip is not installed"
    name = f"cpchk{os.getpid()}"
    done = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if done.returncode:
        return f"ip netns add fails here: {done.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return ""


def sample(net) -> str:
    """One address of a network: the host itself, else its first host."""
    if net.num_addresses <= 2:
        return str(net.network_address)
    return str(net.network_address + 1)


class Lab:
    """Two namespaces (``fw`` holds ``fw_addrs``, ``cl`` holds ``cl_addrs``) on a veth
    pair; removed by ``close`` (and by the context manager)."""

    def __init__(self, tag: str, fw_addrs: list[str], cl_addrs: list[str]):
        self.fw, self.cl = f"cpfw{tag}{os.getpid()}", f"cpcl{tag}{os.getpid()}"
        self.created: list[str] = []
        try:
            for ns in (self.fw, self.cl):
                self.sh("ip", "netns", "add", ns)
                self.created.append(ns)
            self.sh(
                "ip",
                "-n",
                self.fw,
                "link",
                "add",
                "vfw",
                "type",
                "veth",
                "peer",
                "name",
                "vcl",
                "netns",
                self.cl,
            )
            for ns, dev, addrs in ((self.fw, "vfw", fw_addrs), (self.cl, "vcl", cl_addrs)):
                self.ns(
                    ns,
                    "sysctl",
                    "-qw",
                    "net.ipv4.icmp_ratelimit=0",
                    "net.ipv6.icmp.ratelimit=0",
                    "net.ipv4.conf.all.rp_filter=0",
                    f"net.ipv4.conf.{dev}.rp_filter=0",
                )
                commands = [  # one ip process per namespace (ip -batch), not one per address
                    f"addr add {a}/128 dev {dev} nodad"
                    if ":" in a
                    else f"addr add {a}/32 dev {dev}"
                    for a in sorted(set(addrs))
                ]
                commands += [
                    "link set lo up",
                    f"link set {dev} up",
                    f"route add default dev {dev}",
                    f"route add ::/0 dev {dev}",  # the family is the address's
                ]
                self.sh("ip", "-n", ns, "-batch", "-", stdin="\n".join(commands) + "\n")
        except Exception:
            self.close()
            raise

    def sh(self, *argv: str, stdin: str | None = None) -> str:
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")
        return done.stdout

    def ns(self, name: str, *argv: str, stdin: str | None = None) -> str:
        return self.sh("ip", "netns", "exec", name, *argv, stdin=stdin)

    def on_fw(self, *argv: str) -> str:
        return self.ns(self.fw, *argv)

    def probe(self, probes: list[tuple[str, str, str, int]], side: str = "cl") -> list[bool]:
        """Whether each (source, destination, protocol, port) passes the firewall host:
        sent from the client host (into the firewall host), or with ``side="fw"`` from
        the firewall host itself (out of it, or to its own loopback)."""
        if not probes:
            return []
        where = self.fw if side == "fw" else self.cl
        out = self.ns(where, sys.executable, "-c", PROBE, stdin=json.dumps(probes))
        return json.loads(out)

    def close(self) -> None:
        for ns in self.created:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.created = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def nets_of(amap: dict, registry, cid: str) -> list:
    """The networks an end stands for under a map keyed by ids (members, and "any
    Citrix component" as every Citrix server the map gives), as the docs define it."""
    if cid in amap:
        return amap[cid]
    entry = registry.components.get(cid)
    if entry is None:
        return []
    if entry.members:
        return [n for m in entry.members for n in amap.get(m, [])]
    if entry.kind == "any":
        return [n for m in sorted(registry.citrix_servers) for n in amap.get(m, [])]
    return []


def ids_of(amap: dict, registry, cid: str) -> list[str]:
    """The mapped component ids an end stands for."""
    if cid in amap:
        return [cid]
    entry = registry.components.get(cid)
    if entry is None:
        return []
    if entry.members:
        return [m for m in entry.members if m in amap]
    if entry.kind == "any":
        return [m for m in sorted(registry.citrix_servers) if m in amap]
    return []


def expected_flows(
    rows: list[dict], amap: dict, registry, host: str, direction: str = "in"
) -> dict[tuple[str, str, str], list[tuple[int, int]]]:
    """(source address, destination address, protocol) -> port ranges the rules of
    ``host`` must let through: every tcp/udp row, each direction of a flow both ways,
    whose destination (``direction="out"``: source) stands for ``host`` and whose other
    end is mapped."""
    out: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
    host_nets = amap[host]
    for r in rows:
        if r["protocol"] not in ("tcp", "udp") or r["port_start"] is None:
            continue
        sid, did = r["source_id"] or "", r["destination_id"] or ""
        directions = [(sid, did)] + ([(did, sid)] if r["bidirectional"] else [])
        for s, d in directions:
            mine, other = (d, s) if direction == "in" else (s, d)
            if host not in ids_of(amap, registry, mine):
                continue
            for peer in nets_of(amap, registry, other):
                if any(peer.overlaps(h) for h in host_nets):
                    continue  # the host itself (or an address it shares): not probed
                for h in host_nets:
                    if h.version != peer.version:
                        continue
                    ends = (
                        (sample(peer), sample(h))
                        if direction == "in"
                        else (sample(h), sample(peer))
                    )
                    key = (*ends, r["protocol"])
                    out.setdefault(key, []).append((r["port_start"], r["port_end"]))
    return out


def load_map(path: Path) -> dict:
    """A map keyed by ids, as networks (the test's own reading of its YAML)."""
    import yaml

    data = yaml.safe_load(path.read_text("utf-8"))["components"]
    return {
        k: [ipaddress.ip_network(v) for v in (vs if isinstance(vs, list) else [vs])]
        for k, vs in data.items()
    }


RE_META = re.compile(r"([.^$*+?()\[\]{}|\\])")


def names_map(components_csv: Path, ids_map: Path, out: Path, zones: dict | None = None) -> Path:
    """``ids_map`` rewritten with the page's own names (``components.csv``): exact names,
    whole-name globs and RE2 alternations of every name a component is written as; with
    ``zones`` (zone -> ids), a zones: section naming the keys as written."""
    import csv

    names: dict[str, list[str]] = {}
    with open(components_csv, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            names[row["component_id"]] = row["page_names"].split(" | ")
    lines = ["components:"]
    keys: dict[str, str] = {}
    for i, (cid, nets) in enumerate(load_map(ids_map).items()):
        value = "[" + ", ".join(f'"{n}"' for n in nets) + "]"
        written = names[cid]
        if len(written) > 1:
            key = "re:^(" + "|".join(RE_META.sub(r"\\\1", n) for n in written) + ")$"
        elif i % 2:
            key = "glob:" + written[0][:-1] + "?"
        else:
            key = written[0]
        keys[cid] = key
        lines.append(f"  {json.dumps(key, ensure_ascii=False)}: {value}")
    if zones:
        lines.append("zones:")
        for zone, ids in zones.items():
            members = ", ".join(json.dumps(keys[i], ensure_ascii=False) for i in ids if i in keys)
            lines.append(f"  {zone}: [{members}]")
    out.write_text("\n".join(lines) + "\n", "utf-8")
    return out


class Router(Lab):
    """Three namespaces: the client host (``cl``, holds ``cl_addrs``), a router (``fw``,
    forwarding, where a ``--hook forward`` file is loaded) and a server host (``sv``,
    holds ``sv_addrs``), on two veth pairs with transfer networks of their own; IPv4
    only.  Probes go from the client host through the router to the server host."""

    def __init__(self, tag: str, sv_addrs: list[str], cl_addrs: list[str]):
        pid = os.getpid()
        self.fw, self.cl, self.sv = f"cprt{tag}{pid}", f"cprc{tag}{pid}", f"cprs{tag}{pid}"
        self.created = []
        try:
            for ns in (self.fw, self.cl, self.sv):
                self.sh("ip", "netns", "add", ns)
                self.created.append(ns)
            links = (("vcl", self.cl, "192.168.100"), ("vsv", self.sv, "192.168.101"))
            for dev, ns, _ in links:
                self.sh("ip", "-n", self.fw, "link", "add", dev, "type", "veth", "peer",
                        "name", "eth0", "netns", ns)  # fmt: skip
            self.ns(self.fw, "sysctl", "-qw", "net.ipv4.ip_forward=1",
                    "net.ipv4.conf.all.rp_filter=0", "net.ipv4.icmp_ratelimit=0")  # fmt: skip
            router = ["link set lo up"]
            for (dev, ns, net), addrs in zip(links, (cl_addrs, sv_addrs)):
                router += [f"addr add {net}.1/30 dev {dev}", f"link set {dev} up"]
                router += [f"route add {a}/32 via {net}.2" for a in sorted(set(addrs))]
                self.ns(ns, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0",
                        "net.ipv4.icmp_ratelimit=0")  # fmt: skip
                host = [f"addr add {a}/32 dev eth0" for a in sorted(set(addrs))]
                host += [f"addr add {net}.2/30 dev eth0", "link set lo up", "link set eth0 up",
                         f"route add default via {net}.1"]  # fmt: skip
                self.sh("ip", "-n", ns, "-batch", "-", stdin="\n".join(host) + "\n")
            self.sh("ip", "-n", self.fw, "-batch", "-", stdin="\n".join(router) + "\n")
        except Exception:
            self.close()
            raise
