"""Layout metrics of the ``landscape`` package: import cycles, private cross-module imports, sizes.

Run from the repository root::

    python benchmarks/layout_metrics.py [package-folder]

Every ``import`` statement counts, at module level or inside a function (parsed with :mod:`ast`, the
package is not imported). An import of ``landscape.a.b`` is an edge to ``landscape.a.b``; ``from X import
y`` is an edge to ``X.y`` when that is a module, to the module a package's lazy ``_LAZY`` table names
for ``y`` when there is one, else to ``X`` (a package's ``__init__``). Parent packages imported
implicitly are not edges. Cycles are the strongly connected components of that
graph with more than one module (each listed with one simple cycle through it); folder cycles are
the same with every module collapsed to its first level under the package (``landscape.reference.run``
-> ``landscape.reference``).

A private cross-module import is ``from X import _name`` where ``X`` is another landscape module and
``_name`` is not a module (importing a package's private submodule, ``from . import _server``, is
its own business).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import networkx as nx


def _modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under ``root`` (a package folder)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _lazy_table(module: str, tree: ast.Module) -> dict[str, str]:
    """Name -> absolute module of a package's ``_LAZY = {...}`` table (names loaded on first use)."""
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if (
            isinstance(target, ast.Name)
            and target.id == "_LAZY"
            and isinstance(node.value, ast.Dict)
        ):
            table = {}
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                where = value.value
                table[key.value] = module + where if where.startswith(".") else where
            return table
    return {}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """Absolute name of the ``from`` target of ``node`` found in ``module``."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def analyse(root: Path):
    mods = _modules(root)
    pkg = root.name
    graph = nx.DiGraph()
    graph.add_nodes_from(mods)
    trees = {name: ast.parse(path.read_text(), filename=str(path)) for name, path in mods.items()}
    lazy = {
        name: _lazy_table(name, trees[name])
        for name, path in mods.items()
        if path.name == "__init__.py"
    }
    private = []
    sizes = {"module": [], "function": [], "class": []}
    for name, path in mods.items():
        tree = trees[name]
        sizes["module"].append((len(path.read_text().splitlines()), name))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                sizes["function"].append((node.end_lineno - node.lineno + 1, f"{name}.{node.name}"))
            elif isinstance(node, ast.ClassDef):
                sizes["class"].append((node.end_lineno - node.lineno + 1, f"{name}.{node.name}"))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == pkg and alias.name in mods:
                        graph.add_edge(name, alias.name)
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(name, is_package, node)
                if target.split(".")[0] != pkg:
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in mods:
                        graph.add_edge(name, sub)
                        continue
                    if alias.name in lazy.get(target, {}):
                        graph.add_edge(name, lazy[target][alias.name])
                    elif target in mods:
                        graph.add_edge(name, target)
                    if (
                        alias.name.startswith("_")
                        and not alias.name.startswith("__")
                        and target != name
                    ):
                        private.append((name, target, alias.name, node.lineno))
    graph.remove_edges_from(list(nx.selfloop_edges(graph)))
    cycles = []
    for comp in nx.strongly_connected_components(graph):
        if len(comp) > 1:
            sub = graph.subgraph(comp)
            cycles.append((sorted(comp), nx.find_cycle(sub)))
    folders = nx.DiGraph()
    top = {name: ".".join(name.split(".")[:2]) for name in mods}
    folders.add_edges_from((top[a], top[b]) for a, b in graph.edges if top[a] != top[b])
    folder_cycles = []
    for comp in nx.strongly_connected_components(folders):
        if len(comp) > 1:
            folder_cycles.append((sorted(comp), nx.find_cycle(folders.subgraph(comp))))
    return graph, cycles, folder_cycles, private, sizes


def main(argv: list[str]) -> None:
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parents[1] / "landscape")
    graph, cycles, folder_cycles, private, sizes = analyse(root)
    print(
        f"package {root.name}: {graph.number_of_nodes()} modules, {graph.number_of_edges()} import edges"
    )
    print()
    print(f"{'metric':<46} {'value':>8}")
    print(f"{'import cycles (SCCs with > 1 module)':<46} {len(cycles):>8}")
    print(f"{'folder import cycles (SCCs, folders collapsed)':<46} {len(folder_cycles):>8}")
    print(f"{'private cross-module imports':<46} {len(private):>8}")
    for kind in ("module", "function", "class"):
        top = sorted(sizes[kind], reverse=True)[:5]
        print(f"{'largest ' + kind + ' (lines)':<46} {top[0][0]:>8}")
    print()
    for comp, cycle in cycles:
        print(
            f"cycle among {len(comp)} modules: "
            + " -> ".join([a for a, _ in cycle] + [cycle[0][0]])
        )
    for comp, cycle in folder_cycles:
        print(
            f"folder cycle among {len(comp)}: " + " -> ".join([a for a, _ in cycle] + [cycle[0][0]])
        )
    if cycles or folder_cycles:
        print()
    for src, target, attr, line in private:
        print(f"private import: {src}:{line} from {target} import {attr}")
    if private:
        print()
    for kind in ("module", "function", "class"):
        print(f"five largest {kind}s (lines):")
        for n, name in sorted(sizes[kind], reverse=True)[:5]:
            print(f"  {n:>6}  {name}")


if __name__ == "__main__":
    main(sys.argv)
