"""The package's layers: no import cycles (counting imports inside functions), imports inside
functions only where they keep start-up fast and say so, and one exit code per failure kind
from every command."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from typer.testing import CliRunner

import alliances
from alliances.cli import app

PACKAGE = Path(alliances.__file__).parent
#: modules allowed to import inside functions, and the external roots they may import there
LAZY = {"alliances.cli": None, "alliances.analysis.runtime": ("dask", "distributed"),
        "alliances.sources.fetch": ("pooch", "pyreadr"), "alliances.analysis.boosting": ("sklearn",)}
FIGURES = "alliances.analysis.figures"  # matplotlib: loaded only when figures are drawn


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, ast.AST, bool]]:
    """(imported module of the package or external root, node, inside a function) per import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for top in tree.body if isinstance(top, ast.If) and "TYPE_CHECKING" in ast.unparse(top.test)
                   for n in ast.walk(top)}
    inner = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if id(node) in typing_only or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        out += [(t, node, id(node) in inner) for t in targets]
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {t for t, _, _ in _imports(name, path, modules) if t in modules and t != name}
            for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path that returns to its start), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_counting_imports_inside_functions():
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = _graph()
    graph["alliances.store"] = graph["alliances.store"] | {"alliances.build"}  # build imports store's codebook
    graph["alliances.build"] = graph["alliances.build"] | {"alliances.store"}
    assert _cycle(graph) is not None


def test_imports_inside_functions_are_only_where_they_keep_start_up_fast():
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for target, node, inside in _imports(name, path, modules):
            if not inside or name == "alliances.cli":
                continue
            allowed = LAZY.get(name, ())
            reason = any("#" in line for line in lines[node.lineno - 2:node.end_lineno])  # above or beside it
            if not ((target == FIGURES or target.split(".")[0] in (allowed or ())) and reason):
                wrong.append(f"{name}:{node.lineno} imports {target} inside a function"
                             + ("" if reason else " without a reason"))
    assert not wrong, "\n".join(wrong)


def test_the_cli_explains_its_imports_inside_commands():
    doc = ast.get_docstring(ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8")))
    assert "inside its function" in doc and "start" in doc


@pytest.mark.parametrize("args", [
    ["fit", "analyses/specs/baseline.toml", "--panel", "{missing}"],
    ["validate", "analyses/specs/baseline.toml", "--panel", "{missing}", "--out", "{tmp}/v"],
    ["predict", "--model", "analyses/specs/baseline.toml", "--panel", "{missing}", "--out", "{tmp}/p"],
    ["multiverse", "analyses/multiverse.toml", "--panel", "{missing}", "--out", "{tmp}/m"],
    ["inspect", "{missing}"],
])
def test_a_missing_panel_exits_3_from_every_command(tmp_path, args):
    missing = tmp_path / "nowhere" / "dyad_years.parquet"
    res = CliRunner().invoke(app, [a.format(missing=missing, tmp=tmp_path) for a in args])
    assert res.exit_code == 3, res.output
    assert str(missing) in res.output and "alliances build" in res.output
    assert not (tmp_path / "v").exists() and not (tmp_path / "p").exists() and not (tmp_path / "m").exists()


def test_an_invalid_specification_exits_3_from_fit_and_validate(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text('outcome = "alliance_onsets"\ncovariates = ["cap_ratio"]\n')
    for cmd in (["fit", str(spec)], ["validate", str(spec), "--out", str(tmp_path / "v")]):
        res = CliRunner().invoke(app, cmd)
        assert res.exit_code == 3 and "'alliance_onsets' is not one of" in res.output, (cmd, res.output)
