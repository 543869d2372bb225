"""Errata as data: what an entry may match (names or registry ids), what it may write
(values, or a field of the matched row in braces), and how a bad entry is refused."""

from __future__ import annotations

import pytest
from five_rows import rules

from pipeline.errors import InputError
from pipeline.stages.errata import Erratum, apply_errata, load_errata
from pipeline.stages.ports import ports_frame

ROW = {
    "section": "S",
    "source": "Device",
    "source_id": "device",
    "destination": "API (Old Name)",
    "destination_id": "console-api",
    "type_raw": "TCP",
    "port_raw": "80, 443",
}


def test_a_row_written_backwards_is_turned_round_with_its_ids():
    turn = Erratum(
        "t", {"destination_id": "console-api"}, ({"source": "{destination}", "destination": "{source}"},), "r", "x"
    )  # fmt: skip
    [row], applied = apply_errata(ROW, [turn])
    assert applied == ["t"]
    assert (row["source"], row["source_id"]) == ("API (Old Name)", "console-api")
    assert (row["destination"], row["destination_id"]) == ("Device", "device")
    assert row["port_raw"] == "80, 443"


def test_an_erratum_keyed_to_an_id_survives_a_rename_a_name_key_does_not():
    by_id = Erratum("i", {"destination_id": "console-api"}, ({"port_raw": "443"},), "r", "x")
    by_name = Erratum("n", {"destination": "API (Old Name)"}, ({"port_raw": "443"},), "r", "x")
    renamed = {**ROW, "destination": "API (New Name)"}
    _, applied = apply_errata(renamed, [by_id, by_name])
    assert applied == ["i"]


def test_a_split_keeps_one_half_and_turns_the_other():
    split = Erratum(
        "s",
        {"port_raw": "80, 443"},
        ({"port_raw": "443"}, {"source": "{destination}", "destination": "{source}", "port_raw": "80"}),
        "r",
        "x",
    )  # fmt: skip
    rows, _ = apply_errata(ROW, [split])
    assert [(r["source"], r["destination"], r["port_raw"]) for r in rows] == [
        ("Device", "API (Old Name)", "443"),
        ("API (Old Name)", "Device", "80"),
    ]


def test_a_name_given_anew_leaves_its_id_to_the_identity_stage():
    rename = Erratum("g", {}, ({"source": "Other"},), "r", "x")
    [row], _ = apply_errata(ROW, [rename])
    assert (row["source"], row["source_id"]) == ("Other", "")


@pytest.mark.parametrize(
    "entry, said",
    [
        ('match = { colour = "x" }\nuse = [{ port_raw = "1" }]', "unknown fields ['colour']"),
        ('match = { port_raw = "1" }\nuse = [{ source_id = "a" }]', "unknown fields ['source_id']"),
        ('match = { port_raw = "1" }\nuse = [{ source = "{colour}" }]', "refers to unknown fields ['colour']"),
    ],
)  # fmt: skip
def test_a_bad_entry_is_refused_located(tmp_path, entry, said):
    path = tmp_path / "errata.toml"
    path.write_text(f'[[erratum]]\nid = "e"\n{entry}\nreason = "r"\nreference = "x"\n', "utf-8")
    with pytest.raises(InputError) as caught:
        load_errata(path)
    assert said in str(caught.value) and "erratum 1" in str(caught.value)


def test_errata_apply_in_order_split_rows_and_report_stale():
    r = rules(
        ("S", "A", "B", "TCP", "8O", "typo in the port"),
        ("S", "A", "B", "TCP/UDP", "53, 389", "pairs not spelt out"),
        ("S", "A", "D", "TCP", "1", "untouched"),
    )
    errata = [
        Erratum("typo", {"port_raw": "8O"}, ({"port_raw": "80"},), "typo", "page"),
        Erratum("then", {"port_raw": "80"}, ({"details": "fixed twice"},), "order", "page"),
        Erratum(
            "split",
            {"type_raw": "TCP/UDP"},
            ({"type_raw": "TCP", "port_raw": "389"}, {"type_raw": "UDP", "port_raw": "53"}),
            "pairs",
            "English page",
        ),
        Erratum("gone", {"port_raw": "99999"}, ({"port_raw": "9"},), "stale", "page"),
        Erratum("other-locale", {"port_raw": "99999"}, ({},), "en only", "page", "en-us"),
    ]
    out = ports_frame(r, errata, "fr-fr")
    p = {(x.rule_id, x.protocol, x.port_start): x for x in out.ports.itertuples()}
    ids = list(r["rule_id"])
    assert p[(ids[0], "tcp", 80)].details == "fixed twice"
    assert p[(ids[0], "tcp", 80)].erratum == "typo,then"
    assert {k[1:] for k in p if k[0] == ids[1]} == {("tcp", 389), ("udp", 53)}
    assert out.errata_stale == ["gone"]  # the en-us erratum is neither applied nor stale
