"""The repository's import graph, read from the source (no module is imported to build it).

An edge ``a → b`` means module ``a`` imports ``b`` when it is itself imported: every
``import`` / ``from … import`` outside a function body, including those under
``if TYPE_CHECKING:`` (a cycle that only the type checker sees is still a cycle in the
design). Importing ``p.q.r`` also runs the ``__init__`` of ``p`` and ``p.q``, so those are
edges too, except for the importer's own enclosing packages (already being imported).
Modules outside the repository appear by their top-level name (``onnxruntime``, ``numpy``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("agent", "drivers", "models", "tools")


@dataclass(frozen=True, slots=True)
class Edge:
    target: str
    line: int
    typing_only: bool  # under ``if TYPE_CHECKING:``: a dependency of the design, never run


def modules(packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(tree: ast.Module) -> Iterable[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Import statements outside function bodies, each with whether only the type checker runs it."""
    pending: list[tuple[ast.AST, bool]] = [(node, False) for node in tree.body]
    while pending:
        node, typing_only = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, typing_only
        elif isinstance(node, ast.If):
            pending.extend((n, typing_only or _is_type_checking(node.test)) for n in node.body)
            pending.extend((n, typing_only) for n in node.orelse)
        elif isinstance(node, ast.Try | ast.With | ast.ClassDef | ast.ExceptHandler):
            for field in ("body", "orelse", "finalbody", "handlers"):
                pending.extend((n, typing_only) for n in getattr(node, field, []))


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def build(packages: Iterable[str] = PACKAGES) -> dict[str, list[Edge]]:
    mods = modules(packages)

    def resolve(name: str) -> str:
        probe = name
        while probe:
            if probe in mods:
                return probe
            probe = probe.rpartition(".")[0]
        return name.partition(".")[0]  # a third-party or standard-library module, by its top-level name

    graph: dict[str, list[Edge]] = {}
    for name, path in mods.items():
        is_package = path.name == "__init__.py"
        own = set(_ancestors(name)) | {name}
        edges: dict[str, Edge] = {}

        def add(target: str, line: int, typing_only: bool, own: set[str] = own, name: str = name,
                edges: dict[str, Edge] = edges) -> None:  # bound to this module, though called only for it
            implied = [t for t in _ancestors(target) if t in mods and t not in own]
            for t in [*implied, target] if target != name else implied:
                known = edges.get(t)
                if known is None or (known.typing_only and not typing_only):
                    edges[t] = Edge(t, line, typing_only)

        for node, typing_only in _module_level_imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(resolve(alias.name), node.lineno, typing_only)
                continue
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                full = f"{source}.{alias.name}"
                add(full if full in mods else resolve(source), node.lineno, typing_only)
        graph[name] = sorted(edges.values(), key=lambda e: e.target)
    return graph


def cycles(graph: dict[str, list[Edge]]) -> list[list[str]]:
    """One concrete cycle (``[a, b, …, a]``) per strongly connected group of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def strongconnect(root: str) -> None:  # Tarjan's algorithm, iterative (no recursion limit)
        work = [(root, iter(graph.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for edge in edges:
                if edge.target not in graph:
                    continue
                if edge.target not in index:
                    index[edge.target] = low[edge.target] = len(index)
                    stack.append(edge.target)
                    on_stack.add(edge.target)
                    work.append((edge.target, iter(graph[edge.target])))
                    break
                if edge.target in on_stack:
                    low[node] = min(low[node], index[edge.target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)

    for name in graph:
        if name not in index:
            strongconnect(name)
    return [_cycle_in(graph, group) for group in groups]


def _cycle_in(graph: dict[str, list[Edge]], group: set[str]) -> list[str]:
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:  # breadth first, inside the group, back to the start: a shortest cycle through it
        following = []
        for node in frontier:
            for edge in graph[node]:
                if edge.target == start:
                    return [*paths[node], start]
                if edge.target in group and edge.target not in paths:
                    paths[edge.target] = [*paths[node], edge.target]
                    following.append(edge.target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # unreachable for a strongly connected group


def path_to(graph: dict[str, list[Edge]], start: str, goal: str) -> list[str] | None:
    """A shortest chain of imports that run when ``start`` is imported and reach ``goal``; None if there is none."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for edge in graph.get(node, ()):
                if edge.typing_only or edge.target in paths:
                    continue
                paths[edge.target] = [*paths[node], edge.target]
                if edge.target == goal:
                    return paths[edge.target]
                following.append(edge.target)
        frontier = following
    return None
