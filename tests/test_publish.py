"""Published artifacts: Data Package validity, types, same rows in every format,
determinism, validation failures located, atomic output."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pandas as pd
import pyarrow.parquet as pq
import pytest
from cli_args import build_args, run
from five_rows import BASE, ports_table

from conftest import SNAPSHOT
from pipeline import api
from pipeline.cli import main
from pipeline.dataset.published import csv_text, neutralise, parse
from pipeline.errors import DataError, ValidationFailed
from pipeline.stages.build import build
from pipeline.stages.validate import validate


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_frictionless_validates_the_datapackage(built):
    from frictionless import validate as fl_validate

    out, _ = built
    report = fl_validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_frictionless_checks_the_foreign_keys_to_components(built, tmp_path):
    """A source id that is no component of the build breaks the datapackage's foreign key."""
    from frictionless import validate as fl_validate

    out, _ = built
    copy = tmp_path / "build"
    shutil.copytree(out, copy)
    text = (copy / "ports.csv").read_text("utf-8").splitlines(keepends=True)
    assert ",admin-workstation," in text[1]  # line 7 of the page: Poste de travail administrateur
    text[1] = text[1].replace(",admin-workstation,", ",no-such-component,", 1)
    (copy / "ports.csv").write_text("".join(text), "utf-8")
    report = fl_validate(str(copy / "datapackage.json"))
    assert not report.valid
    assert any(t == "foreign-key" for (t,) in report.flatten(["type"]))


def test_parquet_types_and_same_rows_in_every_format(built):
    out, _ = built
    for name in ("rules", "ports", "rejects", "components"):
        table = pq.read_table(out / f"{name}.parquet")
        schema = json.loads((out / "datapackage.json").read_text())["resources"]
        fields = next(r for r in schema if r["name"] == name)["schema"]["fields"]
        expected = {"string": "string", "integer": "int64", "boolean": "bool"}
        assert [(f.name, str(f.type)) for f in table.schema] == [
            (f["name"], expected[f["type"]]) for f in fields
        ]
        from_parquet = table.to_pylist()
        from_json = json.loads((out / f"{name}.json").read_text("utf-8"))
        assert from_parquet == from_json
        csv = pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)
        as_text = [
            {
                k: ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v))
                for k, v in rec.items()
            }
            for rec in from_json
        ]
        assert csv.to_dict("records") == as_text
    ports = pq.read_table(out / "ports.parquet")
    assert ports.column("port_start").null_count > 0  # nullable integers stay integers


def test_manifest_checksums_and_counts(built):
    import hashlib

    out, _ = built
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"]["sha256"] == hashlib.sha256(SNAPSHOT.read_bytes()).hexdigest()
    for name, meta in manifest["artifacts"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == meta["sha256"]
    assert manifest["counts"]["ports"] == len(pd.read_csv(out / "ports.csv"))
    assert manifest["source"]["locale"] == "fr-fr" and manifest["source"]["form"] == "text"


def test_build_twice_is_byte_identical(built, tmp_path):
    out, _ = built
    again = tmp_path / "again"
    build(SNAPSHOT, again, strict=True)
    for path in sorted(out.iterdir()):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_corrupted_ports_are_refused_with_every_problem_located(built):
    out, result = built
    ports = result.result.ports.copy()
    ports.loc[0, "protocol"] = "tcpx"  # wrong type of protocol
    ports.loc[1, "port_start"] = 70000
    ports.loc[1, "port_end"] = 70000
    ports.loc[2, "port_start"] = 500  # reversed range
    ports.loc[2, "port_end"] = 100
    ports.loc[3, "destination"] = ""  # missing destination
    with pytest.raises(ValidationFailed) as err:
        validate("ports", ports, "snapshot")
    problems = err.value.problems
    text = "\n".join(map(str, problems))
    assert "ports.protocol" in text and "'tcpx'" in text
    assert "ports.port_start" in text and "70000" in text
    assert "port_start_le_port_end" in text
    assert "ports.destination" in text
    # each located by section, table, row and line, as data and in words
    for p in problems:
        assert (p.section, p.table, p.file) == ("Citrix SDX", 1, "snapshot"), p
        assert p.row in (1, 2, 3, 4) and p.line is not None and p.code, p
        assert str(p).startswith(f"snapshot, section 'Citrix SDX', table 1, row {p.row}, line "), p
    by_column = {p.column: p for p in problems}
    assert by_column["ports.protocol"].row == 1 and "'tcpx'" in by_column["ports.protocol"].message


def test_a_column_of_the_wrong_dtype_is_refused(built):
    """The string dtype is checked once per column (``PublishedString``, not pandera's
    element-wise check): a column of Python objects or of numbers is still refused, named."""
    _, result = built
    for wrong in (
        result.result.ports["details"].astype(object),
        pd.Series(range(len(result.result.ports)), index=result.result.ports.index),
    ):
        ports = result.result.ports.copy()
        ports["details"] = wrong
        with pytest.raises(ValidationFailed) as err:
            validate("ports", ports, "snapshot")
        assert any(p.column == "ports.details" and p.code == "type" for p in err.value.problems), (
            err.value.problems
        )


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_corrupted_rules_publish_nothing(built, tmp_path, monkeypatch):
    import pipeline.stages.build as b

    out = tmp_path / "build"
    build(SNAPSHOT, out, strict=True)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = b.rules_frame

    def corrupted(page, prose=None):
        rules = real(page, prose)
        rules.loc[0, "kind"] = "flowz"
        rules.loc[1, "table"] = -1
        rules.loc[2, "rule_id"] = rules.loc[3, "rule_id"]
        return rules

    monkeypatch.setattr(b, "rules_frame", corrupted)
    with pytest.raises(ValidationFailed) as err:
        build(SNAPSHOT, out, strict=True)
    text = str(err.value)
    assert "rules.kind" in text and "rules.table" in text and "rule_id" in text
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not list(tmp_path.glob(".build.*"))  # no leftover temporary directory


def test_formula_cells_are_neutralised_in_csv_only():
    assert neutralise('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for start in "=+-@\t\r":
        assert neutralise(start + "1").startswith("'")
    assert neutralise("80, 443") == "80, 443"
    text = csv_text([{"a": "=1+1", "b": 3, "c": None, "d": True}], ["a", "b", "c", "d"])
    assert text == "a,b,c,d\n'=1+1,3,,true\n"


def breaking_text(rules):
    """A cell that breaks one of a field's rules, and which rule."""
    if rules.enum is not None:
        return "not-a-member", "enum"
    if rules.maximum is not None:
        return str(rules.maximum + 1), "maximum"
    if rules.minimum is not None:
        return str(rules.minimum - 1), "minimum"
    if rules.pattern is not None:
        return "!?", "pattern"
    if rules.min_length:
        return "", "required" if rules.required else "min-length"
    return None, None


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_the_build_and_the_reader_read_each_constraint_alike(built):
    """One interpretation of the Table Schema constraints (pipeline.dataset.constraints):
    a cell that breaks a field's rule is refused, on that column, by the build's pandera
    validation and by the reader of published tables."""
    from pipeline.dataset.constraints import field_rules
    from pipeline.dataset.published import parse
    from pipeline.dataset.schema import table_schema

    out, result = built
    header, *lines = (out / "ports.csv").read_text("utf-8").split("\n")
    columns = header.split(",")
    tried = 0
    for field in table_schema("ports")["fields"]:
        text, rule = breaking_text(field_rules(field))
        if text is None or field["type"] != "string" and rule in ("pattern", "required"):
            continue
        tried += 1
        frame = result.result.ports.copy()
        if field["type"] == "integer":
            frame[field["name"]] = frame[field["name"]].astype("Int64")
            frame.loc[0, field["name"]] = int(text)
        else:
            frame.loc[0, field["name"]] = text
        with pytest.raises(ValidationFailed) as err:
            validate("ports", frame, "snapshot")
        assert any(p.column == f"ports.{field['name']}" for p in err.value.problems), (rule, field)
        rows = [next(csv.reader([lines[0]]))]
        rows[0][columns.index(field["name"])] = text
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(rows[0])
        bad = "\n".join([header, buf.getvalue().rstrip("\n"), *lines[1:]])
        with pytest.raises(DataError) as err2:
            parse(bad, "ports.csv", "ports")
        assert any(
            p.column == field["name"] and p.code == rule and p.line == 2
            for p in err2.value.problems
        ), (rule, field, err2.value.problems)
    assert tried >= 5  # enum, minimum, maximum, pattern and required strings at least


def test_a_table_read_again_is_kept_and_each_reader_gets_rows_of_its_own(built):
    """``published.parse`` keeps the tables it checked: the same text gives equal rows,
    which one reader may change without the next seeing it; another text, even one
    byte apart, is checked anew."""
    from pipeline.dataset import published

    out, _ = built
    text = (out / "ports.csv").read_text("utf-8")
    first = published.parse(text, "ports.csv", "ports")
    first.rows[0]["port_start"] = -5
    first.rows.pop()
    again = published.parse(text, "ports.csv", "ports")
    assert again.rows == published.parse(text, "ports.csv", "ports", True).rows
    assert again.rows[0]["port_start"] != -5 and len(again.rows) == len(first.rows) + 1
    lines = text.split("\n")
    lines[1] = lines[1].replace(",tcp,", ",tcpx,", 1)
    assert lines[1] != text.split("\n")[1]
    with pytest.raises(DataError, match="line 2"):
        published.parse("\n".join(lines), "ports.csv", "ports")


def test_formulas_do_not_reach_the_csv_as_formulas(tmp_path):
    text = (
        "P\nSource | Destination | Type | Port | Détails |\n---|---|---|---|---|\n"
        '=HYPERLINK("http://x","clic") | @SUM(A1) | TCP | 443 | +cmd|\' /C calc\'!A0 |\n'
    )
    src = tmp_path / "f.txt"
    src.write_text(text)
    build(src, tmp_path / "out")
    csv_text = (tmp_path / "out" / "rules.csv").read_text()
    json_text = (tmp_path / "out" / "rules.json").read_text()
    assert "'=HYPERLINK" in csv_text and "'@SUM(A1)" in csv_text
    assert '"=HYPERLINK' in json_text  # JSON keeps the text as it is
    for line in csv_text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "-", "@")), cell


def test_spreadsheet_csv_is_read_back_alike(tmp_path, capsys, built):
    out = tmp_path / "b"
    assert main(build_args(str(SNAPSHOT), str(out), "--spreadsheet")) == 0
    capsys.readouterr()
    raw = (out / "ports.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfrule_id;section;source;") and b"\r\n" not in raw
    assert api.read("ports", out) == api.read("ports", built[0])
    package = json.loads((out / "datapackage.json").read_text())
    assert package["resources"][0]["dialect"]["csv"]["delimiter"] == ";"
    code, text, _ = run(capsys, "diff", str(built[0]), str(out), "--exit-code")
    assert code == 0, text


@pytest.mark.parametrize(
    "cell, problem",
    [
        ("port_start=abc", "column port_start: 'abc' is not an integer"),
        ("port_start=70000", "column port_start: 70000 is above the maximum 65535"),
        ("protocol=tcp; drop", "column protocol: 'tcp; drop' is not one of"),
        ("rule_id=x", "column rule_id: 'x' does not match"),
        ("row=0", "column row: 0 is below the minimum 1"),
        ("destination=", "column destination: is empty but required"),
        ("table=", "column table: is empty but required"),
        ("bidirectional=1", "column bidirectional: '1' is not true or false"),
    ],
)
def test_a_published_table_is_checked_cell_by_cell(cell, problem):
    col, value = cell.split("=", 1)
    table = ports_table(BASE, "t")
    rows = [dict(r) for r in table.rows]
    rows[2][col] = value
    with pytest.raises(Exception) as err:
        parse(csv_text(rows, table.columns), "ports.csv", "ports")
    assert f"line 4, {problem}" in str(err.value)
