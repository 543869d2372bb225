"""The code's shape: every public function documented, every module's imports within
its stage's layer, every command-line option in ``--help`` and in the docs."""

from __future__ import annotations

import ast
import re

import pytest

from conftest import ROOT
from pipeline.cli import parser

PIPELINE = ROOT / "pipeline"
MODULES = sorted(p for p in PIPELINE.rglob("*.py"))


def module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def public_definitions(tree):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            yield node
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                        yield item


def test_every_module_and_public_function_has_a_docstring():
    missing = []
    for path in MODULES:
        tree = ast.parse(path.read_text("utf-8"))
        if not ast.get_docstring(tree):
            missing.append(f"{module_name(path)} (module)")
        for node in public_definitions(tree):
            if not ast.get_docstring(node):
                missing.append(f"{module_name(path)}.{node.name}:{node.lineno}")
    assert missing == []


# Which pipeline modules each module may import: the data flows one way (raw snapshot ->
# tables -> rules -> ports -> validated -> published), and the tools that read what is
# published (query, export, diff) never reach back into the stages for a helper.
BASE = {"pipeline", "pipeline.errors", "pipeline.normalize", "pipeline.bounded"}  # bounded: every input is read there
ALLOWED = {
    "pipeline": set(),
    "pipeline.errors": set(),
    "pipeline.normalize": set(),
    "pipeline.__main__": {"pipeline.cli"},
    "pipeline.schema": set(),
    "pipeline.atomic": set(),
    "pipeline.bounded": set(),
    "pipeline.raw_manifest": {"pipeline.atomic"},
    "pipeline.markdown_out": {"pipeline.shown"},
    "pipeline.shown": set(),
    "pipeline.vocabulary": set(),
    "pipeline.model": set(),
    "pipeline.grammar": {"pipeline.vocabulary"},
    "pipeline.detect": {"pipeline.vocabulary"},
    "pipeline.readers": {"pipeline.model", "pipeline.readers.html", "pipeline.readers.markdown",
                         "pipeline.readers.text"},
    "pipeline.readers.cells": {"pipeline.grammar", "pipeline.model", "pipeline.vocabulary"},
    "pipeline.readers.flattened": {"pipeline.model", "pipeline.readers.cells",
                                   "pipeline.vocabulary"},
    "pipeline.readers.text": {"pipeline.model", "pipeline.readers.cells",
                              "pipeline.readers.flattened", "pipeline.vocabulary"},
    "pipeline.readers.markdown": {"pipeline.model", "pipeline.readers.cells",
                                  "pipeline.readers.flattened", "pipeline.vocabulary"},
    "pipeline.readers.html": {"pipeline.model", "pipeline.readers.cells",
                              "pipeline.readers.flattened", "pipeline.vocabulary"},
    "pipeline.rules": {"pipeline.model", "pipeline.schema"},
    "pipeline.components": {"pipeline.atomic", "pipeline.errors", "pipeline.normalize"},
    "pipeline.identify": {"pipeline.components"},
    "pipeline.align": {"pipeline.normalize"},
    "pipeline.compare": {"pipeline.grammar", "pipeline.markdown_out"},
    "pipeline.components_list": {"pipeline.published", "pipeline.schema"},
    "pipeline.errata": {"pipeline.rules"},
    "pipeline.ports": {"pipeline.errata", "pipeline.grammar", "pipeline.schema",
                       "pipeline.vocabulary"},
    "pipeline.validate": {"pipeline.schema"},
    "pipeline.published": {"pipeline.schema"},
    "pipeline.report": {"pipeline.grammar", "pipeline.markdown_out", "pipeline.vocabulary"},
    "pipeline.api": {"pipeline.components", "pipeline.published", "pipeline.query",
                     "pipeline.schema"},
    "pipeline.outdir": {"pipeline.atomic"},
    "pipeline.publish": {"pipeline.published", "pipeline.report", "pipeline.schema",
                         "pipeline.outdir", "pipeline.atomic"},
    "pipeline.build": {"pipeline.outdir", "pipeline.components", "pipeline.identify",
                       "pipeline.detect", "pipeline.errata", "pipeline.ports", "pipeline.published",
                       "pipeline.publish", "pipeline.raw_manifest", "pipeline.readers",
                       "pipeline.rules", "pipeline.schema", "pipeline.validate"},
    "pipeline.fetch": {"pipeline.atomic", "pipeline.detect", "pipeline.raw_manifest",
                       "pipeline.readers", "pipeline.vocabulary"},
    "pipeline.query": {"pipeline.grammar", "pipeline.published", "pipeline.schema",
                       "pipeline.shown"},
    "pipeline.export": {"pipeline.export.addresses", "pipeline.export.formats",
                        "pipeline.export.plan", "pipeline.grammar"},
    "pipeline.export.addresses": {"pipeline.bounded"},
    "pipeline.export.plan": {"pipeline.export.addresses", "pipeline.grammar", "pipeline.query",
                             "pipeline.schema"},
    "pipeline.export.formats": {"pipeline.export.addresses", "pipeline.export.plan",
                                "pipeline.export.terraform", "pipeline.shown"},
    "pipeline.export.terraform": {"pipeline.export.formats", "pipeline.export.plan",
                                  "pipeline.grammar"},
    "pipeline.diff": {"pipeline.diff.compare", "pipeline.diff.load", "pipeline.diff.render"},
    "pipeline.diff.compare": {"pipeline.published"},
    "pipeline.diff.load": {"pipeline.published", "pipeline.build"},
    "pipeline.diff.render": {"pipeline.diff.compare", "pipeline.grammar",
                             "pipeline.markdown_out", "pipeline.shown"},
}


def pipeline_imports(path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            found.add(node.module)
            for alias in node.names:  # `from pipeline import raw_manifest`
                if f"{node.module}.{alias.name}" in ALLOWED or \
                        (PIPELINE / f"{alias.name}.py").exists() and node.module == "pipeline":
                    found.add(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pipeline")}
    return found


# The command line is the one module that calls every stage: it has no layer to keep.
@pytest.mark.parametrize("path", [p for p in MODULES if module_name(p) != "pipeline.cli"],
                         ids=module_name)
def test_imports_stay_within_the_layer(path):
    name = module_name(path)
    assert name in ALLOWED, f"{name} is a new module: give it its place in ALLOWED"
    extra = pipeline_imports(path) - ALLOWED[name] - BASE - {name}
    assert extra == set(), f"{name} imports {sorted(extra)}"


def all_options():
    p = parser()
    sub = next(a for a in p._actions if a.choices and isinstance(a.choices, dict))
    for command, sp in sub.choices.items():
        for action in sp._actions:
            for opt in action.option_strings:
                if opt.startswith("--") and opt != "--help":
                    yield command, sp, opt


def test_every_option_is_in_help_and_in_the_docs():
    docs = (ROOT / "docs" / "cli.md").read_text("utf-8")
    missing = []
    for command, sp, opt in all_options():
        if opt not in sp.format_help():
            missing.append(f"{command} {opt}: not in --help")
        section = re.search(rf"^## `citrix-ports {command}`\n(.*?)(?=^## |\Z)", docs, re.M | re.S)
        if not section or opt not in section.group(1):
            missing.append(f"{command} {opt}: not in docs/cli.md")
    assert missing == []
