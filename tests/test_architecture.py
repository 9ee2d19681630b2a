"""The shape of the package, checked from its source: each package imports only from the
layers below it, no module imports itself back through others, and functions fit on a
screen. Every import counts, those inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "transferkit"

#: Bottom to top: a package may import from packages of a lower rank only.
RANKS = {
    "errors": 0,
    "progress": 0,
    "config": 1,
    "registry": 1,
    "runtime": 1,
    "data": 2,
    "backbones": 2,
    "scores": 2,
    "training": 2,
    "features": 3,
    "evaluation": 4,
    "models": 5,
    "exported": 5,  # runs an export without torch: errors and evaluation.ood only
    "strategies": 6,
    "ranking": 6,
    "reporting": 7,
    "generation": 7,  # a causal LM tuned to write responses: LoRA from strategies.lora
    "workflows": 8,
    "sklearn": 9,  # scikit-learn's estimator API over the workflows
    "serving": 9,  # HTTP over the workflows
    "cli": 10,
    "__init__": 11,  # the package root: the public API
}
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """The transferkit modules a file imports (``from pkg import mod`` is ``pkg.mod``)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "transferkit":
                continue
            subs = {f"{node.module}.{a.name}" for a in node.names} & set(MODULES)
            out |= subs or {node.module}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "transferkit"}
    return out & set(MODULES)


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_package_has_a_rank():
    assert {_package(m) for m in MODULES} == set(RANKS)


def test_no_package_imports_from_a_higher_or_equal_layer():
    upward = sorted(
        f"{m} -> {d}"
        for m, deps in GRAPH.items()
        for d in deps
        if _package(m) != _package(d) and RANKS[_package(d)] >= RANKS[_package(m)]
    )
    assert upward == []


def _cycle_from(start: str) -> list[str] | None:
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in GRAPH[node]:
            if nxt == start:
                return path
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_no_import_cycles_between_modules():
    cycles = {tuple(sorted(c)) for m in GRAPH if (c := _cycle_from(m))}
    assert not cycles, sorted(cycles)


def test_the_check_finds_a_cycle_when_there_is_one(monkeypatch):
    monkeypatch.setitem(GRAPH, "transferkit.errors", {"transferkit.config"})
    assert _cycle_from("transferkit.config") == ["transferkit.config", "transferkit.errors"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_functions_fit_on_a_screen(name):
    long = []
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = node.end_lineno - node.lineno + 1  # docstring and signature included
            if lines > MAX_FUNCTION_LINES:
                long.append(f"{node.name}: {lines} lines")
    assert long == []
