"""The code's shape: every public function documented, the imports within the layer
rules and without cycles, every command-line option in ``--help`` and in the docs."""

from __future__ import annotations

import ast

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
# The layers, and the layers each may import besides itself and the package's root
# (``pipeline``: version and data paths) and ``pipeline.errors``.  Data flows one way:
# source -> page -> stages -> published files, read back by dataset; readers of the
# published data (dataset, diff, export, registry, api) never import the build stages.
LAYERS = {
    "core": set(),  # utilities every layer uses: standard library only
    "dataset": {"core"},  # the schemas and the published tables read back: standard library
    "page": {"core", "dataset"},  # vocabulary, grammar, model, readers
    "registry": {"core", "dataset", "page"},  # component ids; align and compare of two pages
    "source": {"core", "page"},  # fetch (checks that a page parses) and raw/manifest.json
    "stages": {"core", "dataset", "page", "registry", "source"},  # the build (pandas)
    "diff": {"core", "dataset"},
    "export": {"core", "dataset", "registry"},
    "api": {"core", "dataset", "registry"},  # what consumers import
    "cli": {"core", "dataset", "page", "registry", "source", "stages", "diff", "export"},
    "__main__": {"cli"},
}
ANYWHERE = {"pipeline", "pipeline.errors", "pipeline.catalogue"}


def layer_of(module: str) -> str:
    """The layer of a module: ``pipeline.<layer>[.…]``."""
    parts = module.split(".")
    return "root" if len(parts) == 1 else parts[1]


def import_graph() -> dict[str, set[str]]:
    """Every module of pipeline/ and the pipeline modules it imports (anywhere in it)."""
    names = {module_name(p): p for p in MODULES}
    graph = {}
    for name, path in names.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("pipeline")
            ):
                for alias in node.names:  # `from pipeline.core import bounded`: the module
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in names else node.module)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("pipeline")}
        graph[name] = found - {name}
    return graph


def violations(graph: dict[str, set[str]]) -> list[str]:
    """The imports that break the layer rules."""
    found = []
    for module, imported in sorted(graph.items()):
        layer = layer_of(module)
        if module in ANYWHERE or layer == "data":
            allowed = set()
        elif layer not in LAYERS:
            found.append(f"{module}: in no layer (give pipeline/{layer} its place in LAYERS)")
            continue
        else:
            allowed = LAYERS[layer] | {layer}
        for target in sorted(imported - ANYWHERE):
            if layer_of(target) not in allowed:
                found.append(f"{module} imports {target} ({layer} -> {layer_of(target)})")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles among modules (each as a path that comes back to its start)."""
    found, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_imports_keep_to_the_layer_rules():
    assert violations(import_graph()) == []


def test_there_is_no_import_cycle():
    # a package importing its own modules (pipeline.diff -> pipeline.diff.load) is no cycle
    graph = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in import_graph().items()}
    assert cycles(graph) == []


def test_the_layer_rules_can_fail():
    graph = {
        "pipeline.dataset.query": {"pipeline.stages.build"},
        "pipeline.page.grammar": {"pipeline.core.normalize", "pipeline.errors"},
        "pipeline.widgets.x": set(),
    }
    assert violations(graph) == [
        "pipeline.dataset.query imports pipeline.stages.build (dataset -> stages)",
        "pipeline.widgets.x: in no layer (give pipeline/widgets its place in LAYERS)",
    ]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_port_bounds_are_the_schema_s():
    import json

    from pipeline.dataset.schema import MAX_PORT

    fields = {
        f["name"]: f
        for f in json.loads((ROOT / "schemas" / "ports.schema.json").read_text())["fields"]
    }
    assert fields["port_start"]["constraints"]["maximum"] == MAX_PORT
    assert fields["port_end"]["constraints"]["maximum"] == MAX_PORT


def test_the_cli_reference_is_made_from_the_parser(tmp_path):
    """docs/cli.md is what the parser makes, and the check sees a stale one."""
    from pipeline.cli import reference

    made = reference.reference(parser())
    assert (ROOT / "docs" / "cli.md").read_text("utf-8") == made
    assert (ROOT / "docs" / "problems.md").read_text("utf-8") == reference.problems_reference()
    assert reference.main(["--out", str(tmp_path)]) == 0
    assert reference.main(["--check", "--out", str(tmp_path)]) == 0
    stale = tmp_path / "cli.md"
    stale.write_text(made.replace("--exit-code", "--exit-status", 1), "utf-8")
    assert reference.main(["--check", "--out", str(tmp_path)]) == 1


def test_every_argument_of_every_command_says_what_it_does():
    from pipeline.cli.reference import option_rows, subcommands

    for name, sub in subcommands(parser()).items():
        for options, meaning in option_rows(sub):
            assert meaning.strip(), f"{name}: {options} has no help"
