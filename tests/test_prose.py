"""Flows in prose: a sentence that states a source, a destination, a protocol and a port
is a flow of the page (``rules.kind`` ``prose``, table 0, its line), read in every form;
a sentence that looks like one and that no pattern reads whole is a located warning."""

from __future__ import annotations

import json

import pytest
from test_languages import built_in_forms

from conftest import ENGLISH, SNAPSHOT
from pipeline.dataset.published import read
from pipeline.stages.build import build

FLOW = ("source_id", "destination_id", "protocol", "port_start", "port_end", "source_line")


def prose_rows(out):
    return sorted(tuple(r[c] for c in FLOW) for r in read(out, "ports").rows if r["table"] == 0)


def test_the_french_page_states_three_flows_in_sentences(built):
    assert prose_rows(built[0]) == sorted(
        [
            ("connector-appliance", "citrix-cloud", "tcp", 443, 443, 57),
            ("admin-workstation", "connector-appliance", "tcp", 443, 443, 65),
            ("cloud-connector", "citrix-cloud", "tcp", 443, 443, 84),
        ]
    )
    rules = [r for r in read(built[0], "rules").rows if r["kind"] == "prose"]
    assert [r["table"] for r in rules] == [0, 0, 0] and [r["row"] for r in rules] == [1, 2, 3]
    assert all("443" in r["details"] for r in rules)


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_every_form_of_the_english_page_reads_the_same_sentence(tmp_path):
    outs = built_in_forms(ENGLISH.read_text("utf-8"), tmp_path)
    found = {form: [f[:5] for f in prose_rows(out)] for form, out in outs.items()}
    assert found["markdown"] == [("cloud-connector", "citrix-cloud", "tcp", 443, 443)]
    assert found["html"] == found["text"] == found["markdown"]


def test_a_sentence_with_a_port_no_pattern_reads_is_a_located_warning(tmp_path):
    lines = SNAPSHOT.read_text("utf-8").splitlines()
    n = next(
        i
        for i, ln in enumerate(lines)
        if ln.startswith("Toutes les connexions sont établies depuis le Cloud")
    )
    lines[n] = lines[n].replace(
        "depuis le Cloud Connector vers le cloud", "du Cloud Connector au cloud"
    )
    page = tmp_path / "page.txt"
    page.write_text("\n".join(lines) + "\n", "utf-8")
    result = build(page, tmp_path / "out")
    assert any(
        w.startswith(f"line {n + 1}: Cloud Connector: a sentence names a port")
        for w in [said["message"] for said in result.manifest["warnings"]]
    ), [said["message"] for said in result.manifest["warnings"]]
    assert (n + 1) not in {f[-1] for f in prose_rows(tmp_path / "out")}
    report = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    assert report["counts"]["rules_prose"] == 2
