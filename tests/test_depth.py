"""Structured inputs nested deeper than the input limits (an address map in YAML, errata
in TOML, a build manifest in JSON) are refused before they are parsed, located, exit 2:
their parsers recurse and would crash (RecursionError, exit 1)."""

from __future__ import annotations

import shutil

import pytest
from cli_args import build_args, export_args

from conftest import ROOT, SNAPSHOT
from pipeline.cli import main

DEEP = 20_000


@pytest.mark.parametrize(
    "text",
    [
        "components:\n  vda: " + "[" * DEEP + "10.0.0.1" + "]" * DEEP + "\n",
        "components:\n" + "".join(" " * (i + 1) + "k:\n" for i in range(400)),
        "components:\n  vda: " + "{a: " * DEEP + "1" + "}" * DEEP + "\n",
    ],
    ids=["flow-lists", "block-mappings", "flow-mappings"],
)
def test_a_deep_address_map_is_refused_located(built, tmp_path, capsys, text):
    path = tmp_path / "map.yaml"
    path.write_text(text, "utf-8")
    code = main(export_args("nftables", str(path), str(built[0])))
    err = capsys.readouterr().err
    assert code == 2 and f"{path}:" in err and "more than 100 deep" in err


def test_deep_errata_are_refused_located(tmp_path, capsys):
    errata = tmp_path / "errata.toml"
    errata.write_text("x = " + "[" * DEEP + "]" * DEEP + "\n", "utf-8")
    code = main(build_args(str(SNAPSHOT), str(tmp_path / "b"), "--errata", str(errata)))
    err = capsys.readouterr().err
    assert code == 2 and f"{errata}:1" in err and "more than 100 deep" in err
    assert not (tmp_path / "b").exists()


def test_a_deep_build_manifest_is_refused_by_export_and_diff(built, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(built[0], data)
    (data / "manifest.json").write_text(
        '{"source": ' + "[" * 100_000 + "]" * 100_000 + "}", "utf-8"
    )
    amap = ROOT / "examples" / "address-map.yaml"
    for argv in (
        export_args("nftables", str(amap), str(data)),
        ["diff", str(built[0]), str(data)],
    ):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2 and f"{data / 'manifest.json'}:1" in err and "more than 100 deep" in err, (
            argv,
            err,
        )


def test_html_nested_deeper_than_its_limit_is_refused_located(tmp_path, capsys, monkeypatch):
    import pipeline.page.readers.html as reader
    from pipeline.core.bounded import limits

    real = limits()
    monkeypatch.setattr(reader, "limits", lambda: {**real, "depth": {**real["depth"], "html": 50}})
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body><article>\n<p>"
        + "<span>" * 60
        + "x"
        + "</span>" * 60
        + "</p></article></body></html>",
        "utf-8",
    )
    code = main(build_args(str(page), str(tmp_path / "b"), "--allow-unrecorded"))
    err = capsys.readouterr().err
    assert code == 2 and f"{page}:2" in err and "nests its elements more than 50 deep" in err
    assert not (tmp_path / "b").exists()
