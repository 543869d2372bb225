"""One identity per component: the registry, ids in the dataset, align, compare, and the
address map by id, on the French snapshot and the English source.

Expected values are read from the documents: raw/citrix-communication-ports.txt (French,
line numbers given as fr:N) and tests/data/citrix-communication-ports.fd98ff78.md
(English, en:N).
"""

from __future__ import annotations

import json
import re

import pytest
from cli_args import build_args, export_args

from conftest import ENGLISH, ROOT
from pipeline.cli import main
from pipeline.dataset.published import csv_text, read
from pipeline.dataset.schema import columns
from pipeline.errors import DataError, UnknownNames
from pipeline.registry import components
from pipeline.registry.align import align, version
from pipeline.registry.compare_pages import compare
from pipeline.stages.build import build

FRENCH = ROOT / "raw" / "citrix-communication-ports.txt"


@pytest.fixture(scope="module")
def english(english_built):
    return english_built


def rows_at(out, table, line):
    return [r for r in read(out, table).rows if r["source_line"] == line]


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_every_name_of_both_pages_has_an_id(built, english):
    """--strict builds fail on an unknown name: both passed; the manifest counts none."""
    for out in (built[0], english):
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["counts"]["unknown_names"] == {"components": 0, "sections": 0}
        for table in ("rules", "ports"):
            for r in read(out, table).rows:
                assert r["section_id"], r
                for side in ("source", "destination"):
                    assert r[f"{side}_id"] or not r[side], r


# (fr line, en line, section id, source id, destination id), read from both pages
SAME_FLOWS = [
    (289, 301, "storefront", "storefront-server", "domain-controller"),  # LDAP 389
    (22, 20, "netscaler", "netscaler-nsip", "netscaler-ha-peer"),  # HA heartbeat 3003
    (180, 192, "license-server", "any-citrix-component", "license-server"),  # 27000
    (216, 226, "cvad", "delivery-controller", "xenserver-pool-master"),  # 80, 443
    (136, 136, "netscaler-gateway", "netscaler-gateway-snip", "ldap-server"),  # 636
    (242, 260, "fas", "storefront-server", "fas-server"),  # 80
]


@pytest.mark.parametrize("fr, en, section, source, destination", SAME_FLOWS)
def test_the_same_flow_has_the_same_ids_in_both_languages(
    built, english, fr, en, section, source, destination
):
    for out, line in ((built[0], fr), (english, en)):
        found = rows_at(out, "ports", line)
        assert found, line
        assert {(r["section_id"], r["source_id"], r["destination_id"]) for r in found} == {
            (section, source, destination)
        }


def test_names_of_one_role_on_one_page_share_an_id(built):
    ports = read(built[0], "ports").rows
    ids = {r["source"]: r["source_id"] for r in ports} | {
        r["destination"]: r["destination_id"] for r in ports
    }
    assert ids["Serveur FAS"] == ids["Serveur Citrix FAS"] == "fas-server"  # fr:242, fr:108
    assert ids["Director"] == ids["Serveur Director"] == "director"  # fr:221, fr:232
    assert ids["StoreFront"] == ids["Serveur StoreFront"] == "storefront-server"


def test_a_name_of_several_components_lists_its_members(built):
    table = {r["component_id"]: r for r in read(built[0], "components").rows}
    both = table["director-and-admin-workstation"]
    assert both["members"].split() == ["director", "admin-workstation"]
    assert both["page_names"] == "Citrix Director et Admin Workstation"
    # a member counts the flows of the names it is a member of (fr:225-226)
    assert table["director"]["flows"] >= both["flows"] == 2


def test_align_agrees_with_the_registry_where_it_is_sure(built, english):
    registry = components.load()
    sides = [
        version(str(out), read(out, "rules").rows, read(out, "ports").rows, loc)
        for out, loc in ((built[0], "fr-fr"), (english, "en-us"))
    ]
    result = align(*sides)
    sure = [c for c in result.components if c.sure]
    # the sure proposals pair most of the components both pages name (the rest are
    # named in too few flows to be sure of)
    named = [{r[e] for r in read(out, "ports").rows for e in ("source_id", "destination_id")} - {""} for out in (built[0], english)]  # fmt: skip
    both = named[0] & named[1]
    paired = {registry.component_id(c.left) for c in sure} & both
    assert len(paired) >= 0.8 * len(both), sorted(both - paired)
    for c in sure:
        assert registry.component_id(c.left) == registry.component_id(c.right), c
    for c in result.sections:
        if c.sure:
            assert registry.section_id(c.left) == registry.section_id(c.right), c
    # the pages write the CPX licence flows the other way round (fr:50, en:62-63): the
    # names still pair by what they say
    pairs = {(c.left, c.right) for c in sure}
    assert ("Instance Citrix ADC/CPX", "Citrix ADC CPX instance") in pairs
    # and says where it is unsure: every pairing the registry refutes is among them
    # ('Director' with 'StoreFront', 'Citrix ADC NSIP' with 'Citrix ADC', …)
    refuted = [
        c
        for c in result.components
        if registry.component_id(c.left) != registry.component_id(c.right)
    ]
    assert refuted and not any(c.sure for c in refuted)


def test_align_proposals_are_refused_until_reviewed(built, english, tmp_path, capsys):
    assert main(["align", str(built[0]), str(english)]) == 0
    proposals = capsys.readouterr().out
    assert (
        'status = "proposed"' in proposals and "registry: agrees (storefront-server)" in proposals
    )
    path = tmp_path / "components.toml"
    path.write_text(proposals)
    with pytest.raises(DataError) as err:
        components.load.__wrapped__(path)
    assert "unknown field 'status'" in str(err.value)


def test_compare_reports_only_the_flows_one_page_has(built, english):
    result = compare(read(built[0], "ports").rows, read(english, "ports").rows, "fr", "en")
    assert result.shared >= 80
    only_fr = {(f.section, f.source, f.destination) for f in result.only_left}
    # the English source has no Citrix SDX section (fr:5-16)
    assert ("Citrix SDX", "Poste de travail administrateur", "SVM Citrix SDX") in only_fr
    for f in result.only_left + result.only_right:
        assert f.section and f.lines
    # fr:219 says TCP 1433; en:229-230 say TCP 1433 and 1434
    disagree = {(a.source, a.destination): (a, b) for a, b in result.disagree}
    a, b = disagree[("Delivery Controller", "Microsoft SQL Server")]
    assert a.lines == {219} and b.lines == {229, 230}
    assert {p[1] for p in b.ports} - {p[1] for p in a.ports} == {1434}
    listed = {f.key for f in result.only_left + result.only_right} | {
        a.key for a, _ in result.disagree
    }
    assert ("storefront", "storefront-server", "domain-controller") not in listed
    # fr:50 'Instance Citrix ADC/CPX' -> 'Serveur/agent de licences Citrix ADM' (27000,
    # 7279); en:62-63 'Citrix ADM license server' -> 'Citrix ADC CPX instance': reversed
    ((a, b),) = result.reversed
    assert (a.source, a.lines, b.source, b.lines) == (
        "Instance Citrix ADC/CPX",
        {50},
        "Citrix ADM license server",
        {62, 63},
    )
    assert a.key not in listed and b.key not in listed


def test_compare_command_exit_codes(built, english, capsys):
    assert main(["compare", str(built[0]), str(built[0]), "--exit-code"]) == 0
    capsys.readouterr()
    assert main(["compare", str(built[0]), str(english), "--exit-code", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["only_left"] == len(data["only_left"]) > 0
    assert main(["compare", str(built[0]), "/nonexistent"]) == 2


ID_MAP = """components:
  storefront-server: [10.0.10.11, 10.0.10.12]
  domain-controller: [10.0.0.10]
  delivery-controller: 10.0.10.21
  vda: 10.0.20.0/24
  license-server: 10.0.10.30
  director: 10.0.10.50
  admin-workstation: 10.0.99.0/24
  fas-server: 10.0.10.60
  netscaler-nsip: 10.0.1.1
  netscaler-gateway-snip: 10.0.5.10
"""


def rule_lines(path) -> set[str]:
    """The rule statements, their comments (rule ids, the page's words) left out."""
    return {
        re.sub(r' comment "[^"]*"', "", ln.strip())
        for ln in path.read_text().splitlines()
        if ln.strip() and not ln.strip().startswith("#") and re.search(r"\bdport\b|\bicmp\b", ln)
    }


def test_a_map_by_id_gives_the_same_rules_in_both_languages(built, english, tmp_path):
    amap = tmp_path / "map.yaml"
    amap.write_text(ID_MAP)
    result = compare(read(built[0], "ports").rows, read(english, "ports").rows)
    shared = {f.key for f in result.only_left + result.only_right} | {
        a.key for a, _ in result.disagree
    }
    outputs = []
    for out in (built[0], english):
        rows = [
            r
            for r in read(out, "ports").rows
            if (r["section_id"], r["source_id"], r["destination_id"]) not in shared
        ]
        kept = tmp_path / out.parent.name
        kept.mkdir()
        (kept / "ports.csv").write_text(_csv(rows))
        target = tmp_path / f"{out.parent.name}.nft"
        assert (
            main(export_args("nftables", str(amap), str(kept / "ports.csv"), "-o", str(target)))
            == 0
        )
        outputs.append(rule_lines(target))
    assert outputs[0] and outputs[0] == outputs[1]
    # StoreFront -> domain controller, LDAP 389 (fr:289, en:301)
    assert (
        "ip saddr { 10.0.10.11, 10.0.10.12 } ip daddr { 10.0.0.10 } tcp dport 389 accept"
        in outputs[0]
    )


def _csv(rows):

    return csv_text(rows, columns("ports"))


def test_members_and_any_take_the_addresses_of_their_components(built, tmp_path, capsys):
    amap = tmp_path / "map.yaml"
    amap.write_text(
        "components:\n  director: 10.0.10.50\n  admin-workstation: 10.0.99.0/24\n"
        "  vda: 10.0.20.0/24\n  license-server: 10.0.10.30\n"
        "  delivery-controller: 10.0.10.21\n  domain-controller: 10.0.0.10\n"
    )
    assert (
        main(
            export_args(
                "nftables",
                str(amap),
                str(built[0]),
                "--section",
                "Citrix Virtual Apps",
                "--from",
                "Citrix Director et Admin Workstation",
            )
        )
        == 0
    )
    text = capsys.readouterr().out
    # fr:225 'Citrix Director et Admin Workstation' -> VDA TCP 3389: each member
    assert "ip saddr { 10.0.10.50, 10.0.99.0/24 } ip daddr { 10.0.20.0/24 } tcp dport 3389" in text
    assert main(export_args("nftables", str(amap), str(built[0]), "--to", "license-server")) == 0
    text = capsys.readouterr().out
    # fr:180 'Tout composant Citrix' -> licence server 27000: every mapped Citrix
    # component (not the Microsoft domain controller)
    line = next(ln for ln in text.splitlines() if "dport 27000" in ln)
    assert "10.0.10.21" in line and "10.0.20.0/24" in line and "10.0.0.10" not in line


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_an_unknown_name_never_gets_a_rule(tmp_path, capsys):
    text = FRENCH.read_text("utf-8").replace("Serveur StoreFront", "Serveur Vitrine")
    src = tmp_path / "page.txt"
    src.write_text(text, "utf-8")
    with pytest.raises(UnknownNames) as err:
        build(src, tmp_path / "strict", strict=True)
    assert "'Serveur Vitrine'" in str(err.value) and "line 288" in str(err.value)
    assert not (tmp_path / "strict").exists()
    result = build(src, tmp_path / "out")
    assert result.manifest["counts"]["unknown_names"]["components"] == 1
    assert any(
        "'Serveur Vitrine' is not in the component registry" in w
        for w in [said["message"] for said in result.manifest["warnings"]]
    )
    amap = tmp_path / "map.yaml"
    amap.write_text(ID_MAP)
    assert main(export_args("nftables", str(amap), str(tmp_path / "out"))) == 0
    out = capsys.readouterr().out
    assert "Serveur Vitrine" not in out and "Serveur StoreFront" not in out
    assert "StoreFront" in out  # the known alias of the same component still has its rules


@pytest.mark.parametrize(
    "text, problem",
    [
        (
            '[component.a]\nname = "A"\nkind = "component"\nfamily = "F"\naliases.en = ["X"]\n'
            '[component.b]\nname = "B"\nkind = "component"\nfamily = "F"\naliases.fr = ["x"]\n',
            ":10: component alias 'x' (fr) of 'b' is already an alias of 'a'",
        ),
        (
            '[component.a]\nname = "A"\nkind = "component"\nfamily = "F"\naliases.en = ["X"]\n'
            '[component.a]\nname = "B"\n',
            "line 6",
        ),
        (
            '[component.a]\nname = "A"\nkind = "machine"\nfamily = "F"\naliases.en = ["X"]\n',
            ":1: component 'a': 'kind' must be one of",
        ),
        (
            '[component.a]\nname = "A"\nkind = "component"\nfamily = "F"\nmembers = ["zz"]\n'
            'aliases.en = ["X"]\n',
            ":5: component 'a': member 'zz' is no component",
        ),
        (
            '[component.A_1]\nname = "A"\nkind = "component"\nfamily = "F"\naliases.en = ["X"]\n',
            ":1: component id 'A_1' is not a slug",
        ),
        (
            'retired = ["a"]\n[component.a]\nname = "A"\nkind = "component"\nfamily = "F"\n'
            'aliases.en = ["X"]\n',
            ":2: id 'a' is retired",
        ),
        (
            '[component.a]\nname = "A"\nkind = "component"\nfamily = "F"\n'
            'former = [{ name = "Y", locale = "en", renamed_by = "nope" }]\naliases.en = ["X"]\n',
            "renamed by 'nope', which is no rename",
        ),
        (
            '[component.a]\nname = "A"\nkind = "component"\nfamily = "F"\n',
            ":1: component 'a' has no alias, is no member of another and serves no service",
        ),
        ("[component.a\n", "not valid TOML"),
        (
            '[component.a]\nname = "A"\nkind = "component"\nfamily = "F"\naliases.en = ["X"]\n'
            '[platform.windows]\ncomponents = ["a", "zz"]\nsource = "https://example.org"\n',
            ":7: platform 'windows': 'zz' is no component",
        ),
        (
            '[component.a]\nname = "A"\nkind = "component"\nfamily = "F"\naliases.en = ["X"]\n'
            '[platform.windows]\ncomponents = ["a"]\n',
            ":6: platform 'windows': 'source' must be a text",
        ),
    ],
)
def test_a_bad_registry_is_a_located_error(tmp_path, text, problem, capsys):
    path = tmp_path / "components.toml"
    path.write_text(text)
    with pytest.raises(DataError) as err:
        components.load.__wrapped__(path)
    assert problem in str(err.value)
    # and the command line says it without a traceback
    src = tmp_path / "p.txt"
    src.write_text(
        "P\nSource | Destination | Type | Port | Détails |\n---|---|---|---|---|\n"
        "A | B | TCP | 443 | x |\n"
    )
    with pytest.raises(DataError):
        build(src, tmp_path / "out", registry_path=path)


def test_a_registry_that_cannot_be_read_is_a_located_error(tmp_path):
    with pytest.raises(DataError) as err:
        components.load.__wrapped__(tmp_path / "none.toml")
    assert f"{tmp_path / 'none.toml'}: cannot read the component registry" in str(err.value)


def test_components_command_lists_ids_and_writes_a_map_skeleton(built, capsys):
    assert main(["components", "--data", str(built[0]), "--section", "StoreFront"]) == 0
    out = capsys.readouterr().out
    assert re.search(
        r"^storefront-server\s+component\s+\d+\s+StoreFront server "
        r"\(StoreFront \| Serveur StoreFront\)",
        out,
        re.M,
    )
    assert main(["components", "--data", str(built[0]), "--format", "yaml"]) == 0
    import yaml

    skeleton = yaml.safe_load(capsys.readouterr().out)
    assert skeleton == {"components": None}  # every entry commented out until filled


def test_firewall_rule_names_are_per_id(built, english, tmp_path, capsys):
    """Windows rule names come from the ids of the ends: the same in both languages."""
    amap = tmp_path / "map.yaml"
    amap.write_text(ID_MAP)
    names = []
    for out in (built[0], english):
        assert (
            main(
                export_args(
                    "windows",
                    str(amap),
                    str(out),
                    "--from",
                    "storefront-server",
                    "--to",
                    "domain-controller",
                )
            )
            == 0
        )
        found = re.findall(r"-Name '([^']+)'", capsys.readouterr().out)
        assert len(found) == len(set(found))
        names.append(set(found))
    # fr:289 and en:301: StoreFront -> domain controller, TCP and UDP 389
    assert "citrix-ports-storefront-server-domain-controller-tcp-389" in names[0]
    assert names[0] == names[1]


@pytest.mark.parametrize(
    "names, cid",
    [
        # snapshot (fr), English source, Japanese excerpt, current French page: one role
        (["SVM Citrix SDX", "Citrix SDX SVM", "SVM NetScaler SDX"], "sdx-svm"),
        (
            [
                "Appliance Citrix ADC (pour haute disponibilité)",
                "Citrix ADC Appliance (for High Availability)",
                "Citrix ADCアプライアンス(高可用性用)",
                "Appliance NetScaler (pour une haute disponibilité)",
                "Citrix ADC Appliance (für hohe Verfügbarkeit)",
            ],
            "netscaler-ha-peer",
        ),
        (["Citrix ADC NSIP", "NetScaler NSIP"], "netscaler-nsip"),
        (
            [
                "Poste de travail administrateur",
                "Admin Workstation",
                "管理ワークステーション",
                "Admin-Arbeitsstation",
            ],
            "admin-workstation",
        ),
    ],
)
def test_a_role_keeps_its_id_across_languages_and_renames(names, cid):
    registry = components.load()
    assert {registry.component_id(n) for n in names} == {cid}
    assert registry.component_id("Citrix ADC SNIP") != registry.component_id("Citrix ADC NSIP")


def test_the_docs_quote_what_compare_says(built, english, tmp_path):
    """The two runs of `compare` docs/components.md quotes are what compare says today."""
    readme = " ".join((ROOT / "docs" / "components.md").read_text("utf-8").split())
    fr_en = compare(read(built[0], "ports").rows, read(english, "ports").rows, "fr", "en")
    s = fr_en.summary()
    assert (
        f"{s['shared']} flows the same, {s['only_left']} only in build, "
        f"{s['only_right']} only in tests/data/citrix-communication-ports.fd98ff78.md, "
        f"{s['disagree']} disagree, {s['reversed']} the other way round"
    ) in readme
    build(
        ROOT / "tests" / "data" / "de-de" / "citrix-communication-ports.excerpt.md", tmp_path / "de"
    )
    s = compare(read(english, "ports").rows, read(tmp_path / "de", "ports").rows).summary()
    assert (
        f"{s['shared']} flows the same, {s['only_left']} only in …fd98ff78.md, "
        f"{s['only_right']} only in …excerpt.md, {s['disagree']} disagree"
    ) in readme


CURRENT_FR = ROOT / "tests" / "data" / "fr-fr" / "citrix-communication-ports.current.excerpt.txt"


def test_the_current_french_page_names_the_components_of_the_snapshot(built, tmp_path):
    """The beginning of the current French page (NetScaler era: 'SVM NetScaler SDX',
    'NetScaler NSIP', 'Instance NetScaler') against the snapshot ('SVM Citrix SDX', 'Citrix
    ADC NSIP', 'Instance Citrix ADC'): every name known, and the section NetScaler SDX
    (current:4-16, snapshot:4-16) has the very flows of the section Citrix SDX."""
    build(CURRENT_FR, tmp_path / "current")  # an excerpt: the errata are for the whole page
    manifest = json.loads((tmp_path / "current" / "manifest.json").read_text("utf-8"))
    assert manifest["counts"]["unknown_names"] == {"components": 0, "sections": 0}
    assert manifest["source"]["locale"] == "fr-fr"
    assert manifest["counts"]["rules"] == 12 and manifest["counts"]["rules_rejected"] == 0

    def sdx(out):
        return [r for r in read(out, "ports").rows if r["section_id"] == "netscaler-sdx"]

    current, snapshot = sdx(tmp_path / "current"), sdx(built[0])
    assert {r["section"] for r in current} == {"NetScaler SDX"}
    assert {r["section"] for r in snapshot} == {"Citrix SDX"}
    result = compare(snapshot, current, "snapshot", "current")
    assert not (result.only_left or result.only_right or result.disagree or result.reversed)
    # administrator -> LOM, SVM, hypervisor; SVM -> instance, NTP server; NSIP -> SVM
    assert result.shared == 6
    renamed = {
        (a["source"], b["source"])
        for a, b in zip(
            sorted(snapshot, key=lambda r: r["source_line"]),
            sorted(current, key=lambda r: r["source_line"]),
        )
        if a["source"] != b["source"]
    }
    assert renamed == {
        ("SVM Citrix SDX", "SVM NetScaler SDX"),
        ("Citrix ADC NSIP", "NetScaler NSIP"),
    }


def test_a_rename_is_recorded_with_the_name_it_retired():
    entry = components.load().components["netscaler-nsip"]
    former = {(f.name, f.locale): f.renamed_by for f in entry.former}
    assert former[("Citrix ADC NSIP", "fr-fr")] == "citrix-adc-to-netscaler"
    assert components.load().renames["citrix-adc-to-netscaler"]["to"] == "NetScaler"


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_a_product_rename_is_a_rewording_not_rows_removed_and_added(built, tmp_path, capsys):
    """The current French page writes 'NetScaler NSIP' and 'SVM NetScaler SDX' where the
    snapshot writes 'Citrix ADC NSIP' and 'SVM Citrix SDX': same ids, so `diff` reports a
    rewording with its id, and `align` proposes the correspondence the registry holds."""
    text = FRENCH.read_text("utf-8")
    for old, new in (
        ("Citrix ADC NSIP", "NetScaler NSIP"),
        ("SVM Citrix SDX", "SVM NetScaler SDX"),
    ):
        text = re.sub(rf"(?m)(^|\| ){re.escape(old)}( \|)", rf"\g<1>{new}\g<2>", text)
    src = tmp_path / "renamed.txt"
    src.write_text(text, "utf-8")
    build(src, tmp_path / "renamed", strict=True)  # every name known
    assert main(["diff", str(built[0]), str(tmp_path / "renamed"), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["summary"]["added"] == d["summary"]["removed"] == 0
    renamed = {(r["old"], r["new"], r["id"]) for r in d["renamed"]}
    assert ("Citrix ADC NSIP", "NetScaler NSIP", "netscaler-nsip") in renamed
    assert ("SVM Citrix SDX", "SVM NetScaler SDX", "sdx-svm") in renamed
    assert main(["align", str(built[0]), str(tmp_path / "renamed"), "--format", "json"]) == 0
    proposals = json.loads(capsys.readouterr().out)["components"]
    nsip = next(c for c in proposals if c["left"] == "Citrix ADC NSIP" and c["sure"])
    assert (
        nsip["right"] == "NetScaler NSIP"
        and nsip["registry"] == "registry: agrees (netscaler-nsip)"
    )


def test_compare_names_what_it_cannot_compare(built, tmp_path, capsys):
    text = FRENCH.read_text("utf-8").replace("Serveur StoreFront", "Serveur Vitrine")
    src = tmp_path / "page.txt"
    src.write_text(text, "utf-8")
    build(src, tmp_path / "out")
    assert (
        main(
            ["compare", str(built[0]), str(tmp_path / "out"), "--format", "markdown", "--exit-code"]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "#### Names of " in out and "| Serveur Vitrine | 288" in out
    # the renamed component's flows are neither shared nor listed as missing on one side
    assert "Serveur Vitrine |" not in out.split("#### Names of")[0].split("Only in")[-1]


def test_align_of_a_page_with_itself_pairs_every_name_with_itself(built, english):
    """A sanity property of align: a page against itself pairs every section with itself,
    and every correspondence it is sure of is a name with itself."""
    for out, loc in ((built[0], "fr-fr"), (english, "en-us")):
        side = version(str(out), read(out, "rules").rows, read(out, "ports").rows, loc)
        result = align(side, side)
        assert all(c.left == c.right for c in result.sections)
        assert len(result.sections) == len(side.sections())
        sure = [c for c in result.components if c.sure]
        assert sure and all(c.left == c.right for c in sure)


def test_a_member_without_address_is_named_not_dropped_silently(built, tmp_path, capsys):
    """'Delivery Controller, XenMobile' (fr:294) stands for two components: the map gives
    only the Delivery Controller an address, so its rule is written and XenMobile's is
    not, and the warning says so."""
    amap = tmp_path / "map.yaml"
    amap.write_text(
        "components:\n  storefront-server: 10.0.10.11\n  delivery-controller: 10.0.10.21\n"
    )
    assert (
        main(
            export_args(
                "nftables",
                str(amap),
                str(built[0]),
                "--from",
                "storefront-server",
                "--to",
                "Delivery Controller, XenMobile",
                "--explain",
            )
        )
        == 0
    )
    out = capsys.readouterr()
    assert "ip saddr { 10.0.10.11 } ip daddr { 10.0.10.21 } tcp dport 443" in out.out
    assert (
        "'xenmobile-server', one of the components 'Delivery Controller, XenMobile' "
        "names, has no address: no rule for it"
    ) in out.err


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
@pytest.mark.parametrize("form", ["markdown", "html"])
def test_every_row_keeps_its_id_when_the_page_writes_the_declared_renames(form, tmp_path):
    """The English source rewritten with every product rename the registry declares, as
    the live page now writes them (NetScaler, NetScaler Gateway, NetScaler Console,
    NetScaler SDX, XenServer): every row keeps the ids it had, compound names included."""
    import csv as csv_module

    from make_forms import markdown_to_html
    from pipeline.registry.components import load

    source = ENGLISH.read_text("utf-8")
    renamed = source
    renames = sorted(load().renames.values(), key=lambda r: -len(r["from"]))
    for rename in renames:
        renamed = renamed.replace(rename["from"], rename["to"])
    assert renamed != source
    ids = {}
    for name, text in (("before", source), ("after", renamed)):
        page = tmp_path / f"{name}.{'md' if form == 'markdown' else 'html'}"
        page.write_text(text if form == "markdown" else markdown_to_html(text), "utf-8")
        assert main(build_args(str(page), str(tmp_path / name), "--locale", "en-us")) == 0
        with (tmp_path / name / "rules.csv").open(encoding="utf-8") as f:
            ids[name] = [
                (r["table"], r["row"], r["section_id"], r["source_id"], r["destination_id"])
                for r in csv_module.DictReader(f)
            ]
    lost = [(b, a) for b, a in zip(ids["before"], ids["after"]) if b != a]
    assert len(ids["before"]) == len(ids["after"]) and lost == []
    found_by = json.loads((tmp_path / "after" / "manifest.json").read_text())["counts"][
        "names_found_by"
    ]
    assert found_by["rename"] > 0  # the manifest says how the ids were found


@pytest.mark.parametrize(
    "name, cid",
    [
        ("Universal Print Server", "universal-print-server"),  # the registry's display name
        ("Target Device", "target-device"),  # the display name in another case
        ("WOL Proxy", "wol-proxy"),  # the abbreviation WOL of the name 'Wake-on-LAN proxy'
        ("DDC", "delivery-controller"),  # the abbreviation of 'Delivery Controller'
        ("Controller Delivery", "delivery-controller"),  # words in another order
        ("Delivery Controllers", "delivery-controller"),  # the plural
        ("Citrix Virtual Apps and Desktops VDA", "vda"),  # the singular of '… VDAs'
        ("NetScaler Gateway SNIP", "netscaler-gateway-snip"),  # a declared rename applied
        ("XenServer Resource Pool Master", "xenserver-pool-master"),
    ],
)
def test_names_a_newer_page_writes_resolve(name, cid):
    from pipeline.registry.components import load

    assert load().component_id(name) == cid


def test_words_in_another_order_never_join_two_ids():
    from pipeline.registry.components import Registry

    r = Registry.from_data(
        {
            "component": {
                "a-b": {
                    "name": "A B",
                    "kind": "component",
                    "family": "F",
                    "aliases": {"en-us": ["A B"]},
                },
                "b-a": {
                    "name": "B A",
                    "kind": "component",
                    "family": "F",
                    "aliases": {"en-us": ["B A"]},
                },
                "c-d": {
                    "name": "C D",
                    "kind": "component",
                    "family": "F",
                    "aliases": {"en-us": ["C D"]},
                },
            }
        }
    )
    assert (r.component_id("A B"), r.component_id("B A"), r.component_id("D C")) == (
        "a-b",
        "b-a",
        "c-d",
    )
    assert r.component_id("A  B") == "a-b" and r.component_id("B  A") == "b-a"


def test_a_heuristic_id_is_warned_about_for_review():
    """Ids found by words in another order or without a trailing qualifier are warned
    about (to be recorded as aliases once reviewed) and counted by rule."""
    from pipeline.registry.components import load
    from pipeline.stages.identify import Unknown, identify

    unknown = Unknown()
    rows = [
        {
            "section": "StoreFront",
            "source": "StoreFront (HTTPS)",
            "destination": "Controller Delivery",
            "source_line": 7,
        }
    ]
    out = identify(rows, load(), unknown)[0]
    assert (out["source_id"], out["destination_id"]) == ("storefront-server", "delivery-controller")
    review = unknown.review()
    assert len(review) == 2 and all(w.startswith("warning: line 7: component ") for w in review)
    assert "without the qualifier" in review[0] + review[1]
    assert unknown.by_rule()["qualifier"] == 1 and unknown.by_rule()["words"] == 1


def test_an_abbreviation_written_short_or_long_finds_the_id():
    from pipeline.registry.components import Registry

    r = Registry.from_data(
        {
            "abbreviation": {
                "wol": {"short": "WOL", "long": "Wake-on-LAN", "source": "https://x"},
                "snip": {"short": "SNIP", "long": "Subnet IP address", "source": "https://y"},
            },
            "component": {
                "wol-proxy": {
                    "name": "Wake-on-LAN proxy",
                    "kind": "component",
                    "family": "F",
                    "aliases": {"fr-fr": ["Proxy Wake-on-LAN"]},
                },  # fmt: skip
                "gw-snip": {
                    "name": "Gateway SNIP",
                    "kind": "address",
                    "family": "F",
                    "aliases": {"en-us": ["Gateway SNIP"]},
                },  # fmt: skip
                "gw-nsip": {
                    "name": "Gateway NSIP",
                    "kind": "address",
                    "family": "F",
                    "aliases": {"en-us": ["Gateway NSIP"]},
                },  # fmt: skip
            },
        }
    )
    assert r.component_found("WOL proxy") == ("wol-proxy", "abbreviation")
    assert r.component_found("Proxy WOL") == ("wol-proxy", "abbreviation")
    assert r.component_found("Gateway Subnet IP address") == ("gw-snip", "abbreviation")
    assert r.component_found("Gateway NetScaler IP address") == ("", "")  # NSIP is not declared
    assert r.component_found("WOLproxy") == ("", "")  # whole words only


def test_the_declared_abbreviations_never_give_a_name_another_id():
    """Each form of each abbreviation, swapped for the other in every name of the
    registry, finds that name's own id or none: no abbreviation merges two roles."""
    import re

    from pipeline.core.normalize import name_key
    from pipeline.registry.components import load

    r = load()
    assert {"vda", "nsip", "snip", "wol"} <= set(r.abbreviations)
    swaps = []
    for a in r.abbreviations.values():
        assert a["source"].startswith("https://"), a
        short, long = name_key(a["short"]), name_key(a["long"])
        swaps += [(short, long), (long, short)]
    checked = 0
    for what, entries in (("component", r.components), ("section", r.sections)):
        for entry in entries.values():
            for _, name in entry.names():
                key = name_key(name)
                for a, b in swaps:
                    other = re.sub(rf"(?<![\w-]){re.escape(a)}(?![\w-])", b, key)
                    if other != key:
                        checked += 1
                        found, _ = r.found(what, other)
                        assert found in ("", entry.id), (name, other, found, entry.id)
    assert checked > 0


def test_an_abbreviation_without_its_source_is_refused():
    from pipeline.errors import DataError
    from pipeline.registry.components import Registry

    with pytest.raises(DataError) as caught:
        Registry.from_data({"abbreviation": {"vda": {"short": "VDA", "long": "Virtual Delivery Agent"}}})  # fmt: skip
    assert "'source' must be a text" in str(caught.value.problems)


def test_the_singular_never_gives_a_name_another_id():
    """Every name of the registry written in the plural or the singular (the other form
    of each word the rule changes) finds its own id or none by the plural rule, and an
    acronym ending in S stays itself."""
    from pipeline.core.normalize import name_key
    from pipeline.registry.components import load, singular

    r = load()
    checked = 0
    for what, entries in (("component", r.components), ("section", r.sections)):
        for entry in entries.values():
            for _, name in entry.names():
                plural = " ".join(w + "s" if w.isalpha() and w.islower() and len(w) > 3 else w for w in name.split())  # fmt: skip
                for other in {singular(name), name_key(plural)} - {name_key(name)}:
                    checked += 1
                    got = r._by_singular.get((what, " ".join(sorted(singular(other).split()))))
                    assert got in (None, entry.id), (name, other, got)
    assert checked > 10
    assert singular("HTTPS") == "https" and r.component_found("HTTPS") == ("https", "alias")


def test_every_rule_registry_found_gives_is_counted():
    """The rules ``Registry.found`` can answer are the ones the manifest counts."""
    import inspect

    from pipeline.registry.components import Registry
    from pipeline.stages.identify import RULES

    source = inspect.getsource(Registry.found) + inspect.getsource(Registry._heuristics)
    given = set(re.findall(r'(?:yield|return) \(?"([a-z]+)"', source)) | set(
        re.findall(r'return [a-z]+, "([a-z]+)"', source)
    )
    assert given and given <= set(RULES), given - set(RULES)


def test_align_pairs_rows_in_order_then_by_details():
    """Rows that share a signature but are listed in another order pair by the words their
    details keep across languages; rows with other ports never pair."""
    from pipeline.registry.align import AlignedRule as Row
    from pipeline.registry.align import pair_rows

    tcp = lambda *ports: tuple(("tcp", p, p) for p in ports)  # noqa: E731
    left = [
        Row("S", "A", "B", tcp(443), 1, "NITRO via HTTPS"),
        Row("S", "A", "C", tcp(22), 2, "accès SSH"),
        Row("S", "A", "D", tcp(22), 3, "synchronisation rsync"),
        Row("S", "A", "E", tcp(9000), 4, "x"),
    ]
    right = [
        Row("S", "a", "b", tcp(443), 10, "NITRO over HTTPS"),
        Row("S", "a", "d", tcp(22), 11, "rsync synchronization"),
        Row("S", "a", "c", tcp(22), 12, "SSH access"),
        Row("S", "a", "e", tcp(9001), 13, "x"),
    ]
    pairs = {(a.destination, b.destination) for a, b in pair_rows(left, right)}
    assert pairs == {("B", "b"), ("C", "c"), ("D", "d")}
