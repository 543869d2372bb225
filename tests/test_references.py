"""References: a note row that makes one component act for another and names the rows
whose ports apply derives flows from them, with their provenance; a reference the page
cannot satisfy is a located warning and a reject, never a guess."""

from __future__ import annotations

from pipeline.dataset.query import load_ports
from pipeline.page.vocabulary import load
from pipeline.registry.components import load as load_registry
from pipeline.stages.references import derive

NOTE_DC = (
    "Le Cloud Connector agit en tant que proxy pour le Delivery Controller. Tous les ports "
    "répertoriés pour Delivery Controller vers {to} dans la section {section} doivent "
    "également être pris en compte."
)


def test_the_french_build_derives_the_flows_of_the_daas_notes(built):
    rows = load_ports(built[0])
    by_id = {r["rule_id"]: r for r in rows}
    derived = [r for r in rows if r["derived_from"]]
    got = sorted(
        (
            r["source_line"],
            r["source_id"],
            r["destination_id"],
            r["protocol"],
            r["port_start"],
            r["bidirectional"],
        )
        for r in derived
    )
    assert got == [
        (101, "cloud-connector", "cloud-connector", "tcp", 80, False),
        (101, "cloud-connector", "cloud-connector", "tcp", 89, False),
        (101, "cloud-connector", "cloud-connector", "tcp", 9095, False),
        (104, "cloud-connector", "vda", "tcp", 80, True),
    ]
    for r in derived:  # each takes the ports of a Delivery Controller row of the VAD section
        source = by_id[r["derived_from"]]
        assert source["section_id"] == "cvad" and source["source_id"] == "delivery-controller"
        assert (source["protocol"], source["port_start"]) == (r["protocol"], r["port_start"])
        assert source["destination_id"] == (
            "delivery-controller" if r["source_line"] == 101 else "vda"
        )
        assert r["section"] == "Citrix DaaS" and "agit en tant que proxy" in r["details"]


def rule(
    rid, line, src, sid, dst, did, details="", section="Citrix DaaS", section_id="citrix-daas"
):
    return {
        "rule_id": rid, "section": section, "source": src, "destination": dst, "details": details,
        "table": 1, "row": line, "source_line": line, "section_id": section_id,
        "source_id": sid, "destination_id": did,
    }  # fmt: skip


def port(rid, line, sid, did, p, both=False, section_id="cvad"):
    return {
        **rule(rid, line, sid, sid, did, did, "d", "Citrix Virtual Apps and Desktops", section_id),
        "protocol": "tcp", "service": "", "port_start": p, "port_end": p, "bidirectional": both,
        "type_raw": "TCP", "port_raw": str(p), "condition": "", "erratum": "", "derived_from": "",
    }  # fmt: skip


PORTS = [
    port("a" * 16, 220, "delivery-controller", "vda", 80, both=True),
    port("b" * 16, 222, "delivery-controller", "delivery-controller", 80),
    port("c" * 16, 223, "delivery-controller", "delivery-controller", 80),  # the same port again
]


def run(note):
    return derive([note], PORTS, [note["rule_id"]], load(), load_registry())


def test_a_note_derives_one_row_per_port_naming_every_row_it_comes_from():
    note = rule("1" * 16, 101, "Cloud Connector", "cloud-connector", "Cloud Connector",
                "cloud-connector", NOTE_DC.format(to="Delivery Controller", section="Citrix Virtual Apps and Desktops"))  # fmt: skip
    out = run(note)
    assert out.rules == [note["rule_id"]] and not out.rejects and not out.warnings
    assert [(r["port_start"], r["derived_from"]) for r in out.ports] == [
        (80, "b" * 16 + "," + "c" * 16)
    ]
    assert out.ports[0]["rule_id"] == note["rule_id"] and out.ports[0]["source_line"] == 101


def test_a_referenced_row_both_ways_stays_both_ways():
    note = rule("2" * 16, 104, "Cloud Connector", "cloud-connector", "VDA", "vda",
                NOTE_DC.format(to="VDA", section="Citrix Virtual Apps and Desktops"))  # fmt: skip
    out = run(note)
    assert [(r["destination_id"], r["bidirectional"]) for r in out.ports] == [("vda", True)]


def test_a_section_or_rows_the_page_lacks_is_a_reject_and_a_warning():
    for text in (
        NOTE_DC.format(to="VDA", section="Citrix Nowhere"),  # no such section
        NOTE_DC.format(to="Serveur StoreFront", section="Citrix Virtual Apps and Desktops"),
    ):
        note = rule("3" * 16, 104, "Cloud Connector", "cloud-connector", "VDA", "vda", text)
        out = run(note)
        assert not out.ports and not out.rules
        assert len(out.rejects) == 1 and "no flow derived" in out.rejects[0][1]
        assert out.warnings and out.warnings[0].startswith("warning: line 104: Citrix DaaS:")


def test_a_note_row_whose_ends_are_not_the_sentence_s_derives_nothing():
    note = rule("4" * 16, 104, "Cloud Connector", "cloud-connector", "Director", "director",
                NOTE_DC.format(to="VDA", section="Citrix Virtual Apps and Desktops"))  # fmt: skip
    out = run(note)
    assert not out.ports and "its row is Cloud Connector -> Director" in out.rejects[0][1]


def test_half_a_reference_is_a_warning_and_stays_a_note():
    text = "Le Cloud Connector agit en tant que proxy pour le Delivery Controller."
    out = run(rule("5" * 16, 101, "Cloud Connector", "cloud-connector", "Cloud Connector", "cloud-connector", text))  # fmt: skip
    assert not out.ports and not out.rejects and not out.rules
    assert "does not say both" in out.warnings[0]


def test_a_row_between_two_components_without_a_port_in_a_wording_not_known_is_a_warning():
    """A reference in a wording no [references] entry has (the English of line 104)
    derives nothing, and the build says where."""
    text = (
        "The Cloud Connector acts as a proxy for the Delivery Controller. All ports listed "
        "for Delivery Controller to VDA in the Citrix Virtual Apps and Desktops section "
        "must also be considered."
    )
    out = run(rule("6" * 16, 104, "Cloud Connector", "cloud-connector", "VDA", "vda", text))
    assert not (out.ports or out.rejects or out.rules)
    assert out.warnings == [
        "warning: line 104: Citrix DaaS: a row from Cloud Connector to VDA gives no port, "
        "and no wording of [references] in pipeline/data/vocabulary.toml reads its details: "
        "no flow derived (if they say which ports of other rows apply, add the wording)"
    ]
    # a note that names no two ends (a remark under a table) is no such row
    other = run(rule("7" * 16, 101, "", "", "", "", "Une remarque sans référence."))
    assert not (other.ports or other.rejects or other.warnings)
