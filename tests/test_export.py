"""Firewall exports are safe to trust: only validated numbers, protocols and networks reach
a rule; hostile text in any column or map key changes no rule; every format's summary
counts the statements it wrote; IPv4 and IPv6 each get their rules or a warning.

The files are checked by the real tools where they are installed (.ci/run installs nft,
iptables-restore, ip6tables-restore; cfn-lint is a test dependency) and always by strict
line grammars of what each format may contain.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess

import pytest
from cli_args import export_args

from conftest import ROOT, cfn_lint
from pipeline.cli import main
from pipeline.dataset.published import csv_text
from pipeline.dataset.schema import columns

RULE_ID = r"[0-9a-f]{16}(?:-\d+)?"
NET = r"[0-9a-f.:/]+"
NFT_RULE = re.compile(
    rf"^\t\t(ip6?) saddr \{{ {NET}(?:, {NET})* \}} \1 daddr \{{ {NET}(?:, {NET})* \}} "
    rf"(?:(?:tcp|udp) dport \d+(?:-\d+)?|meta l4proto (?:icmp|ipv6-icmp)) accept "
    rf'comment "citrix-ports {RULE_ID}"$'
)
XT_RULE = re.compile(
    rf"^-A CITRIX-PORTS -s {NET}(?:,{NET})* -d {NET}(?:,{NET})* "
    rf"(?:-p (tcp|udp) -m \1 --dport \d+(?::\d+)?|-p (?:icmp|ipv6-icmp)) "
    rf'-m comment --comment "citrix-ports {RULE_ID}" -j ACCEPT$'
)
PSQ = r"'(?:[^'\u2018\u2019\u201a\u201b]|'')*'"
PS_RULE = re.compile(
    rf"^New-NetFirewallRule -Name {PSQ} -DisplayName {PSQ} -Group 'citrix-ports' "
    rf"-PolicyStore 'PersistentStore' -Profile Domain -Direction Inbound -Action Allow (?:-Protocol (?:TCP|UDP) -LocalPort \d+(?:-\d+)?|"
    rf"-Protocol ICMPv[46]) -RemoteAddress @\({PSQ}(?:,{PSQ})*\) "
    rf"-LocalAddress @\({PSQ}(?:,{PSQ})*\) -Description {PSQ}$"
)
FIXED = {
    "nftables": {
        "#!/usr/sbin/nft -f",
        "add table inet citrix_ports",
        "delete table inet citrix_ports",
        "table inet citrix_ports {",
        "\tchain citrix_flows {",
        "\t}",
        "}",
    },
    "iptables": {"*filter", ":CITRIX-PORTS - [0:0]", "-F CITRIX-PORTS", "COMMIT"},
    "ip6tables": {"*filter", ":CITRIX-PORTS - [0:0]", "-F CITRIX-PORTS", "COMMIT"},
    "windows": {
        "#Requires -Modules NetSecurity",
        "$ErrorActionPreference = 'Stop'",
        "Remove-NetFirewallRule -Group 'citrix-ports' -PolicyStore 'PersistentStore' "
        "-ErrorAction SilentlyContinue",
    },
}


def statements(fmt: str, text: str) -> int:
    """The rule statements of a file; fails on any line outside the format's grammar."""
    if fmt == "aws-sg":
        doc = json.loads(text)
        for res in doc["Resources"].values():
            p = res["Properties"]
            assert res["Type"] == "AWS::EC2::SecurityGroupIngress"
            assert set(p) <= {
                "GroupId",
                "IpProtocol",
                "FromPort",
                "ToPort",
                "Description",
                "CidrIp",
                "CidrIpv6",
            }
            assert p["IpProtocol"] in ("tcp", "udp", "icmp", "icmpv6")
            if p["IpProtocol"] != "icmpv6":
                assert type(p["FromPort"]) is int and type(p["ToPort"]) is int
            assert re.fullmatch(r"[a-zA-Z0-9. _\-:/()#,@\[\]+=&{}!$*]*", p["Description"])
        return len(doc["Resources"])
    grammar = {"nftables": NFT_RULE, "iptables": XT_RULE, "ip6tables": XT_RULE, "windows": PS_RULE}[
        fmt
    ]
    count = 0
    for line in text.splitlines():
        if grammar.match(line):
            count += 1
        elif line in FIXED[fmt]:
            continue
        else:
            comment = line.lstrip("\t")
            # a PowerShell line comment ends only at a line break: the policy's name keeps
            # its quotes and backslash there ('corp.example\Citrix servers')
            forbidden = r"[\r\x00\n]" if fmt == "windows" else r"[\"'`$\\;{}\r\x00]"
            assert comment.startswith("#") and not re.search(forbidden, comment[1:]), repr(line)
    return count


def tool_check(fmt: str, path) -> None:
    argv = {
        "nftables": ["nft", "-c", "-f"],
        "iptables": ["iptables-restore", "--test"],
        "ip6tables": ["ip6tables-restore", "--test"],
    }.get(fmt)
    if fmt == "aws-sg":
        assert cfn_lint(path) == []
        return
    if not argv:
        return  # PowerShell is not installable here: the grammar above is the judge
    exe = shutil.which(argv[0]) or (
        str(ROOT / ".venv" / "bin" / argv[0])
        if (ROOT / ".venv" / "bin" / argv[0]).exists()
        else None
    )
    if not exe:
        pytest.skip(f"{argv[0]} is not installed here (.ci/run installs it)")
    done = subprocess.run([exe, *argv[1:], str(path)], capture_output=True, text=True)
    if done.returncode and "Operation not permitted" in done.stderr:
        pytest.skip(f"{argv[0]} cannot run here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stdout + done.stderr


def export(capsys, data, amap, fmt, *extra):
    code = main(export_args(fmt, str(amap), str(data), *extra))
    out = capsys.readouterr()
    return code, out.out, out.err


def written(err: str) -> int:
    return int(re.search(r"^(\d+) rule\(s\) written", err, re.M).group(1))


HOSTILE = [
    'x"; } table ip evil { chain c { accept; } } #',
    "a'; Remove-Item C:\\ -Recurse; '",
    "$(reboot) `reboot`",
    "line\nbreak accept",
    "tab\there\r-A INPUT -j ACCEPT",
    "\u2028-A INPUT -j ACCEPT",
    "=cmd|' /C calc'!A0",
    '\\" ; drop',
    "{ } ;",
    "${env:PATH} ${jndi:x}",
    "\u202eTPECCA j- TUPNI A-\u202c",
    "zero\u200bwidth\u2066x\u2069",
]


@pytest.fixture(scope="module")
def hostile(built, tmp_path_factory):
    """The published ports with hostile text in every text column of every row, and an
    address map whose keys are the hostile component names."""
    base = tmp_path_factory.mktemp("hostile")
    out, _ = built
    rows = list(csv.DictReader(io.StringIO((out / "ports.csv").read_text("utf-8"), newline="")))
    names = {}
    for n, row in enumerate(rows):
        evil = HOSTILE[n % len(HOSTILE)]
        for col in ("section", "type_raw", "port_raw", "details", "erratum"):
            row[col] = f"{row[col]} {evil}"
        for side in ("source", "destination"):
            names.setdefault(row[side], f"{row[side]} {HOSTILE[len(names) % len(HOSTILE)]}")
            row[side] = names[row[side]]
    (base / "ports.csv").write_text(csv_text(rows, columns("ports")), "utf-8", newline="")
    amap = ["components:"]
    for i, (_plain, evil) in enumerate(sorted(names.items())):
        v6 = f", 2001:db8::{i + 1:x}" if i % 3 == 0 else ""  # some components dual-stack
        amap.append(f"  {json.dumps(evil)}: [10.{i // 250}.{i % 250}.1{v6}]")
    (base / "map.yaml").write_text("\n".join(amap) + "\n", "utf-8")
    return base


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["nftables", "iptables", "ip6tables", "windows", "aws-sg"])
def test_hostile_text_reaches_no_rule(hostile, tmp_path, capsys, fmt):
    code, text, err = export(capsys, hostile / "ports.csv", hostile / "map.yaml", fmt)
    assert code == 0, err
    count = statements(fmt, text)  # every line in the format's grammar
    assert count == written(err) and count > 20
    for evil in ("table ip evil", "Remove-Item", "-A INPUT", "reboot)"):
        assert not any(
            evil in line
            and not line.lstrip().startswith("#")
            and "Description" not in line
            and "DisplayName" not in line
            for line in text.splitlines()
        ), evil
    path = tmp_path / f"rules.{fmt}"
    path.write_text(text, "utf-8")
    tool_check(fmt, path)


TF_LINE = re.compile(  # every line a Terraform export may hold
    r"^(?:#.*|"
    r" *(?:terraform|required_providers|allow) \{|"
    r'(?:variable|resource) "[a-z0-9_]+"(?: "[a-z0-9_]+")? \{|'
    r"\}|"
    r' +[a-z_0-9]+ += (?:"(?:[^"\\$%]|\$\$\{|%%\{)*"|-?\d+|var\.[a-z0-9_]+|string|'
    r'\[(?:(?:"[^"\\$%{}]*"|var\.[a-z0-9_]+)(?:, )?)*\]|\{ source = "hashicorp/[a-z]+" \})|'
    r" +\}|)$"
)


@pytest.mark.slow
@pytest.mark.parametrize("provider", ["aws", "azure", "gcp"])
def test_hostile_text_reaches_no_terraform_statement(hostile, capsys, provider):
    """Page text reaches a Terraform file only inside descriptions: every line is in the
    grammar of what an export may write, and parses with python-hcl2."""
    hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is not installed")
    code, text, err = export(
        capsys, hostile / "ports.csv", hostile / "map.yaml", "terraform", "--provider", provider
    )
    assert code == 0, err
    for line in text.splitlines():
        assert TF_LINE.match(line), line
        if " description " not in line and not line.startswith("#"):
            for evil in ("evil", "Remove-Item", "INPUT", "reboot", "calc"):
                assert evil not in line, line
    parsed = hcl2.loads(text)
    count = sum(len(named) for entry in parsed["resource"] for named in entry.values())
    assert count == written(err) and count > 20


@pytest.mark.parametrize(
    "column, value",
    [
        ("port_start", "22 accept; ip saddr 0.0.0.0/0 tcp dport 1"),
        ("protocol", "tcp dport 1-65535 accept; meta"),
        ("rule_id", 'x" accept; #'),
        ("port_end", "-1"),
    ],
)
def test_a_hand_made_ports_file_is_validated_before_any_rule(
    built, tmp_path, capsys, column, value
):
    out, _ = built
    rows = list(csv.DictReader(io.StringIO((out / "ports.csv").read_text("utf-8"), newline="")))
    rows[3][column] = value
    bad = tmp_path / "ports.csv"
    bad.write_text(csv_text(rows, columns("ports")), "utf-8", newline="")
    code, text, err = export(capsys, bad, ROOT / "examples" / "address-map.yaml", "nftables")
    assert code == 2 and text == ""
    assert "ports.csv: " in err and f"line 5, column {column}" in err
    code = main(["query", "--data", str(bad), "--port", "22"])
    out_q = capsys.readouterr()
    assert code == 2 and out_q.out == "" and f"line 5, column {column}" in out_q.err


@pytest.mark.slow
def test_mixed_ipv4_ipv6_maps_count_what_is_written(built, tmp_path, capsys):
    out, _ = built
    amap = tmp_path / "map.yaml"
    amap.write_text(
        "components:\n"
        "  Serveur StoreFront: [10.0.10.11, 2001:db8::11]\n"  # both families
        "  Contrôleur de domaine: 2001:db8::10\n"  # IPv6 only
        "  Delivery Controller: 10.0.10.21\n"  # IPv4 only
        "  Serveur Provisioning Server: 10.0.30.1\n"  # IPv4 only
        "  Virtual Delivery Agent: [10.0.20.0/24, 2001:db8:20::/64]\n",
        "utf-8",
    )
    counts = {}
    for fmt in ("nftables", "iptables", "ip6tables", "windows", "aws-sg"):
        code, text, err = export(capsys, out, amap, fmt, "--explain")
        assert code == 0, err
        counts[fmt] = statements(fmt, text)
        assert counts[fmt] == written(err), fmt
        path = tmp_path / f"rules.{fmt}"
        path.write_text(text, "utf-8")
        if fmt == "iptables":
            # StoreFront -> Contrôleur de domaine (line 289) is IPv6 only: said, per flow
            assert "has no IPv4 addresses: not in this file; use `export ip6tables`" in err
            assert "10.0.10.11" in text and "2001:db8" not in text
        if fmt == "ip6tables":
            assert "2001:db8::11" in text and "10.0." not in text
        if fmt == "nftables":
            # Serveur Provisioning Server (IPv4 only) -> Contrôleur de domaine (IPv6 only):
            # no rule, a warning per flow
            assert re.search(
                r"warning: flow \S+ \(Serveur Provisioning Server -> Contrôleur "
                r"de domaine, tcp 389\): the sources are IPv4 and the "
                r"destinations IPv6",
                err,
            )
        if fmt != "windows":
            tool_check(fmt, path)
    assert counts["nftables"] == counts["iptables"] + counts["ip6tables"]


def test_map_keys_are_checked_like_code(built, tmp_path, capsys):
    out, _ = built
    amap = tmp_path / "map.yaml"
    amap.write_text(
        "components:\n  Serveur de license Citrix: 10.0.0.5\n"
        "  Serveur StoreFront: 10.0.10.11\n  Contrôleur de domaine: 0.0.0.0/0\n"
        "  delivery-controler: 10.0.0.6\n",
        "utf-8",
    )
    code, text, err = export(capsys, out, amap, "nftables")
    assert code == 2 and text == ""
    assert (
        "map.yaml:4" in err
        and "covers more IPv4 addresses than a /8" in err
        and "--allow-any" in err
    )
    code, text, err = export(capsys, out, amap, "nftables", "--allow-any")
    assert code == 0
    assert (
        "warning: " in err
        and "covers more IPv4 addresses than a /8" in err
        and "(--allow-any)" in err
    )
    assert (
        "warning: address map line 2: 'Serveur de license Citrix' matches no component of "
        "the data; closest: 'Serveur de licences Citrix'"
    ) in err
    # a misspelt id: the closest is the id
    assert (
        "line 5: 'delivery-controler' matches no component of the data; closest: 'delivery-controller'"
        in err
    )
    amap.write_text("components:\n  StoreFront: '::/0'\n", "utf-8")
    code, _, err = export(capsys, out, amap, "nftables")
    assert code == 2 and "covers more IPv4 addresses than a /8" in err  # ::/0 holds ::ffff:0:0/96
    amap.write_text("components:\n  StoreFront: '2000::/16'\n", "utf-8")
    code, _, err = export(capsys, out, amap, "nftables")
    assert code == 2 and "covers more IPv6 addresses than a /32" in err


def test_identical_rules_are_written_once_with_every_rule_id(built, tmp_path, capsys):
    out, _ = built
    code, text, err = export(capsys, out, ROOT / "examples" / "address-map.yaml", "nftables")
    assert code == 0
    rules = [line for line in text.splitlines() if NFT_RULE.match(line)]
    matches = [re.sub(r' comment ".*"$', "", r) for r in rules]
    assert len(matches) == len(set(matches)) == written(err)
    merged = int(re.search(r"(\d+) duplicate\(s\) merged", err).group(1))
    assert merged > 0
    # the merged rule's comment names every rule id it stands for
    comments = [
        line
        for line in text.splitlines()
        if line.startswith("\t\t# ") and ", " in line.split(" | ")[0]
    ]
    assert len(comments) >= 1


def test_a_new_format_is_one_module_and_one_registry_line(capsys, built, tmp_path, monkeypatch):
    """docs/maintaining.md's recipe, followed as written: a module of its own with
    ``render_FORMAT(plan, source, options=Options()) -> Rendered``, one line in
    ``RENDERERS``; the command line takes it."""
    recipe = (ROOT / "docs" / "maintaining.md").read_text("utf-8")
    assert "render_FORMAT(plan, source, options=Options()) -> Rendered" in recipe
    assert "RENDERERS" in recipe and "pipeline/export/__init__.py" in recipe
    (tmp_path / "allowlist.py").write_text(
        "from pipeline.export.formats import Options, Rendered, addr, header\n\n\n"
        "def render_allowlist(plan, source, options=Options()):\n"
        "    lines = [header('#', source)]\n"
        "    for r in plan.rules:\n"
        "        for _, s, d in r.families:\n"
        "            lines += [f'{addr(a)} {addr(b)} {r.protocol} {r.ports}' for a in s for b in d]\n"
        "    return Rendered('\\n'.join(lines) + '\\n', len(lines) - 1)\n",
        "utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import allowlist

    import pipeline.export

    monkeypatch.setitem(pipeline.export.RENDERERS, "allowlist", allowlist.render_allowlist)
    code = main(
        export_args("allowlist", str(ROOT / "examples" / "address-map.yaml"), str(built[0]), "--host", "license-server")
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "10.0.10.21 10.0.10.30 tcp 27000" in out.out
    assert written(out.err) == len(out.out.splitlines()) - 1
