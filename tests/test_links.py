"""Links and ports elsewhere: every link of the page (HTML and Markdown forms) is kept in
``sections.json`` with its text and target, the sentences that send the reader to another
page for a product's ports are published, and ``export`` names them when a mapped
component belongs to that product.  The text form keeps no link, and says so."""

from __future__ import annotations

import json

import pytest
from cli_args import export_args
from test_languages import built_in_forms

from conftest import ENGLISH
from pipeline.cli import main


def document(out):
    return json.loads((out / "sections.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def english_forms(tmp_path_factory):
    return built_in_forms(ENGLISH.read_text("utf-8"), tmp_path_factory.mktemp("links"))


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_the_markdown_and_html_forms_keep_every_link_alike(english_forms):
    md, html = document(english_forms["markdown"]), document(english_forms["html"])
    assert md["links_kept"] and html["links_kept"]
    pairs = lambda d: [(k["text"], k["target"], k["place"]) for k in d["links"]]  # noqa: E731
    assert pairs(md) == pairs(html)
    targets = {k["target"] for k in md["links"]}
    # a link of every kind the page writes: prose, a blockquote, a table cell
    assert "https://support.citrix.com/article/CTX113250" in targets
    assert "https://s3.amazonaws.com/NSAppFwSignatures/SignaturesMapping.xml" in targets
    assert any(k["place"] == "table" for k in md["links"])
    source_links = ENGLISH.read_text("utf-8").count("](")
    assert len(md["links"]) == source_links


def test_the_sentences_that_send_elsewhere_for_ports_are_published(english_forms):
    refs = document(english_forms["markdown"])["ports_elsewhere"]
    by_product = {r["product"]: r for r in refs}
    layering = by_product["Citrix App Layering"]
    assert layering["links"] == [
        {
            "text": "Firewall Ports",
            "target": "/en-us/citrix-app-layering/4/manage/firewall-ports.html",
        }
    ]
    assert by_product["Citrix Gateway"]["section_id"] == "netscaler-gateway"
    assert "Citrix Endpoint Management (XenMobile)" in by_product
    unplaced = lambda rs: [{k: v for k, v in r.items() if k != "line"} for r in rs]  # noqa: E731
    assert unplaced(document(english_forms["html"])["ports_elsewhere"]) == unplaced(refs)


def test_the_text_form_says_it_keeps_no_link(built):
    doc = document(built[0])
    assert doc["links_kept"] is False and doc["links"] == []
    products = [r["product"] for r in doc["ports_elsewhere"]]
    assert "Citrix App Layering" in products and "Citrix Gateway" in products
    assert all(r["links"] == [] for r in doc["ports_elsewhere"])


def test_export_names_the_page_of_a_mapped_product_s_ports(english_forms, tmp_path, capsys):
    amap = tmp_path / "map.yaml"
    amap.write_text(
        "components:\n  netscaler-gateway: 10.0.5.10\n  vda: 10.0.20.0/24\n"
        "  license-server: 10.0.10.30\n",
        "utf-8",
    )
    code = main(export_args("nftables", str(amap), str(english_forms["markdown"])))
    err = capsys.readouterr().err
    assert code == 0
    assert (
        "note: the ports of Citrix Gateway (netscaler-gateway in the map) are on another "
        "page: https://support.citrix.com/article/CTX113250" in err
    )
    # the License Server's links point within this page: no note
    assert "Citrix License Server" not in err
    # and a note is no warning: --strict passes
    code = main(export_args("nftables", str(amap), str(english_forms["markdown"]), "--strict"))
    assert code == 0, capsys.readouterr().err
