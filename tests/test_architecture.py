"""The import graph of src/variantprio: no cycles, and the shared core below every stage.

Imports inside functions count: they hide a cycle from Python's start-up, not from a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import variantprio

PACKAGE = Path(variantprio.__file__).resolve().parent
STAGES = ("ingest", "annotate", "inheritance", "phenotype", "rank", "report", "bench", "resources")


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package __init__)."""
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the modules of package `root` it imports anywhere in its body. `from . import x`
    is an edge to the package's __init__ (it runs first), plus one to submodule x if x is one."""
    modules = _modules(root)

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        here = name if is_package else name.rpartition(".")[0]
        targets: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets |= {known(a.name) for a in node.names if a.name.split(".")[0] == root.name}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[:len(here.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != root.name:
                    continue
                targets.add(known(target))
                targets |= {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules}
        graph[name] = {t for t in targets if t and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_counting_imports_inside_functions():
    graph = import_graph()
    found = cycles(graph)
    described = ["; ".join(f"{m} -> {', '.join(sorted(graph[m] & set(c)))}" for m in c) for c in found]
    assert not found, "import cycles:\n" + "\n".join(described)


def test_cycle_check_sees_imports_inside_functions_and_from_the_package(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from .b import g\n")
    (pkg / "b.py").write_text("from . import a\n")
    (pkg / "sub" / "__init__.py").write_text("from .data import D\nfrom .html import h\n")
    (pkg / "sub" / "data.py").write_text("D = 1\n")
    (pkg / "sub" / "html.py").write_text("from . import D\nimport pkg.a\n")
    graph = import_graph(pkg)
    assert graph["pkg.b"] == {"pkg", "pkg.a"} and graph["pkg.sub.html"] == {"pkg.sub", "pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b"], ["pkg.sub", "pkg.sub.html"]]


def test_shared_core_reaches_no_stage():
    """Everything `variantprio.core` imports, directly or through other modules, is below the stages."""
    graph = import_graph()
    core = sorted(m for m in graph if m == "variantprio.core" or m.startswith("variantprio.core."))
    assert {"variantprio.core.pedigree", "variantprio.core.samples", "variantprio.core.alleles",
            "variantprio.core.genemodel", "variantprio.core.genome"} <= set(core)
    stages = tuple(f"variantprio.{s}" for s in STAGES)
    bad = []
    for start in core:
        seen, todo, parent = {start}, [start], {}
        while todo:
            m = todo.pop()
            for t in graph[m]:
                if t not in seen:
                    seen.add(t)
                    parent[t] = m
                    todo.append(t)
        for reached in sorted(seen):
            if reached == "variantprio.cli" or any(reached == s or reached.startswith(s + ".") for s in stages):
                path = [reached]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                bad.append(" -> ".join(reversed(path)))
    assert not bad, "the shared core imports a stage:\n" + "\n".join(bad)
