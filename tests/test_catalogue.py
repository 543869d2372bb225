"""The catalogue of problems and warnings: every code the pipeline reports is in it, with
its kind, and every message is made from its template."""

from __future__ import annotations

import csv
import io
import string

import pytest

from conftest import SNAPSHOT
from pipeline.catalogue import CATALOGUE, ENTRIES, Notice, problem, warning
from pipeline.dataset.published import read
from pipeline.errors import DataError, ValidationFailed
from pipeline.stages.build import build
from pipeline.stages.validate import validate


def test_every_template_formats_with_its_own_fields():
    for e in ENTRIES:
        fields = {name for _, name, _, _ in string.Formatter().parse(e.template) if name}
        text = e.template.format(**{f: "X" for f in fields})
        assert "{" not in text and text.strip(), e.code
        assert e.kind in ("problem", "warning") and e.title and e.stage, e.code


def test_a_warning_is_its_text_and_carries_its_code():
    n = warning("row-split", where="p.txt:9", first=9, second=10)
    assert isinstance(n, Notice) and isinstance(n, str)
    assert (
        n
        == "warning: p.txt:9: a row split over lines 9 and 10 (a line break inside it) was read as one"
    )
    assert n.code == "row-split" and n.as_dict()["message"] == n.removeprefix("warning: ")
    with pytest.raises(ValueError):
        warning("minimum", value=0, limit=1)  # a problem, not a warning
    with pytest.raises(KeyError):
        warning("no-such-code")
    assert problem("extra-cells", where={"line": 3}).code == "extra-cells"


def published_with(built, edit) -> str:
    rows = list(csv.DictReader(io.StringIO((built / "ports.csv").read_text("utf-8"))))
    edit(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_every_problem_of_a_damaged_published_table_has_a_catalogued_code(built, tmp_path):
    def damage(rows):
        rows[0]["port_start"] = "0"  # minimum
        rows[1]["protocol"] = "tcpx"  # enum
        rows[2]["port_end"] = "eighty"  # type
        rows[3]["port_start"], rows[3]["port_end"] = "90", "80"  # row-check
        rows[5] = dict(rows[4])  # unique

    path = tmp_path / "ports.csv"
    path.write_text(published_with(built[0], damage), "utf-8")
    with pytest.raises(DataError) as err:
        read(path)
    codes = {p.code for p in err.value.problems}
    assert {"minimum", "enum", "type", "row-check", "unique"} <= codes
    assert all(CATALOGUE[c].kind == "problem" for c in codes)


def test_every_problem_of_the_build_s_validation_has_a_catalogued_code(built):
    ports = built[1].result.ports.copy()
    ports.loc[ports.index[0], "port_start"] = 0
    ports.loc[ports.index[1], "protocol"] = "tcpx"
    with pytest.raises(ValidationFailed) as err:
        validate("ports", ports, "snapshot")
    codes = {p.code for p in err.value.problems}
    assert {"minimum", "enum"} <= codes, codes
    assert all(CATALOGUE[c].kind == "problem" for c in codes)


def test_every_warning_of_a_damaged_build_has_a_catalogued_code(tmp_path):
    lines = SNAPSHOT.read_text("utf-8").split("\n")
    separators = [i for i, line in enumerate(lines) if line.startswith("---|")]
    for i in reversed(separators[:2]):  # two tables lose their separator line
        del lines[i]
    page = tmp_path / SNAPSHOT.name
    page.write_text("\n".join(lines), "utf-8")
    result = build(page, tmp_path / "out", locale="fr-fr", allow_shrink=True)
    said = result.manifest["warnings"]
    assert any(w["code"] == "header-without-separator" for w in said), said
    for w in said:
        entry = CATALOGUE[w["code"]]
        assert entry.kind == "warning" and w["message"]
