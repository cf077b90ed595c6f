"""The hub's import graph, read from the source rather than from a running interpreter.

Every ``import`` statement counts, at module level or inside a function, so an
import deferred into a function cannot hide a cycle. Modules are grouped into
*rooms*: ``hub.<room>`` for the core, ``connectors.<id>`` for built-in
connectors.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name of the file holding the statement
    imported: str  # dotted module name it names
    path: Path
    line: int
    in_function: bool


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path, root: Path = ROOT) -> list[Import]:
    importer = module_name(path, root)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(importer, alias.name, path, child.lineno, in_function))
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(importer, path.name == "__init__.py", child)
                for alias in child.names:
                    # "from hub.x import y" may name a submodule y; count the finer name.
                    found.append(Import(importer, f"{target}.{alias.name}", path, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def all_imports(*top: str) -> list[Import]:
    out: list[Import] = []
    for name in top:
        for path in sorted((ROOT / name).rglob("*.py")):
            out.extend(imports_of(path))
    return out


def room_of(module: str, root: Path = ROOT) -> str | None:
    """The room a module belongs to: hub.<first>, connectors.<first>; None outside the project."""
    parts = module.split(".")
    if parts[0] not in {"hub", "connectors"}:
        return None
    if len(parts) == 1 or not _is_module(root / parts[0] / parts[1]):
        return parts[0]  # a name defined in the package itself, e.g. hub.__version__
    return f"{parts[0]}.{parts[1]}"


def _is_module(path: Path) -> bool:
    return path.is_dir() or path.with_suffix(".py").is_file()


def room_edges(imports: list[Import], root: Path = ROOT) -> dict[tuple[str, str], list[Import]]:
    edges: dict[tuple[str, str], list[Import]] = {}
    for imp in imports:
        a, b = room_of(imp.importer, root), room_of(imp.imported, root)
        if a and b and a != b:
            edges.setdefault((a, b), []).append(imp)
    return edges


def cycles(edges: dict[tuple[str, str], list[Import]]) -> list[list[str]]:
    """Strongly connected components of more than one room (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return components
